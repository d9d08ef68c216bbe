//! Retention: entries older than the configured age move to JSON-lines archive files, with the
//! chain intact.
//!
//! An archive covers a prefix of the chain. Its first line is a header naming the range, the
//! `prev_hash` its first entry links to, and the hash of its last entry; then one line per
//! entry, exactly as stored. The file is written and synced first; then, in one transaction,
//! the archive is recorded in `audit_archives` (the database's triggers allow deleting exactly
//! the entries an archive row covers), the entries are deleted, and an
//! `audit.entries.archived` event goes to the outbox, so the archiving itself is audited. The
//! first entry left in the table links to the archive's last hash, and chain verification
//! follows it. A crash between the file and the transaction leaves the entries in place and a
//! stray file that the next run rewrites.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Backend;
use kit::events::{EventEnvelope, Subject};
use serde::{Deserialize, Serialize};

use crate::chain::{AuditChain, ChainReport, PG_CHAIN_LOCK, now_millis};
use crate::config::RetentionSettings;
use crate::entry::AuditEntry;
use crate::error::AuditError;
use crate::schema::{audit_archives, audit_entries};

/// Event type recorded when entries are archived.
pub const ENTRIES_ARCHIVED: &str = "audit.entries.archived";

/// What an archive file holds, as its header line says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Insertable)]
#[diesel(table_name = audit_archives)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveHeader {
    pub id: String,
    pub first_seq: i64,
    pub last_seq: i64,
    /// The hash the first archived entry links to.
    pub first_prev_hash: String,
    /// The hash the first entry left in the database links to.
    pub last_hash: String,
    pub entry_count: i64,
    pub location: String,
    pub archived_at: i64,
}

/// One line of an archive file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum ArchiveLine {
    AuditArchive(ArchiveHeader),
    Entry(AuditEntry),
}

/// Archives the oldest entries recorded before `cutoff_ms` (at most `max_entries`) into a new
/// file in `dir`. Returns `None` when nothing is due.
pub async fn archive_before(
    chain: &AuditChain,
    cutoff_ms: i64,
    dir: &Path,
    max_entries: i64,
) -> Result<Option<ArchiveHeader>, AuditError> {
    let db = chain.db();
    let entries: Vec<AuditEntry> = kit::db_run!(db, |conn| -> AuditError, async move {
        // A prefix of the chain: everything before the first entry recorded at or after the
        // cutoff, whatever the clocks did.
        let boundary: Option<i64> = audit_entries::table
            .filter(audit_entries::recorded_at.ge(cutoff_ms))
            .select(diesel::dsl::min(audit_entries::seq))
            .first(conn)
            .await?;
        let mut query = audit_entries::table
            .select(AuditEntry::as_select())
            .order(audit_entries::seq.asc())
            .limit(max_entries.max(1))
            .into_boxed();
        if let Some(boundary) = boundary {
            query = query.filter(audit_entries::seq.lt(boundary));
        }
        Ok(query.load(conn).await?)
    })?;
    let (Some(first), Some(last)) = (<[AuditEntry]>::first(&entries), entries.last()) else {
        return Ok(None);
    };
    let path = dir.join(format!("audit-{:012}-{:012}.jsonl", first.seq, last.seq));
    let header = ArchiveHeader {
        id: uuid::Uuid::now_v7().to_string(),
        first_seq: first.seq,
        last_seq: last.seq,
        first_prev_hash: first.prev_hash.clone(),
        last_hash: last.hash.clone(),
        entry_count: entries.len() as i64,
        location: path.display().to_string(),
        archived_at: now_millis(),
    };
    write_archive(&path, &header, entries).await?;

    let event = EventEnvelope::new(
        ENTRIES_ARCHIVED,
        Subject::new("audit_archive", header.id.clone()),
        serde_json::json!({
            "firstSeq": header.first_seq,
            "lastSeq": header.last_seq,
            "entryCount": header.entry_count,
            "lastHash": header.last_hash,
            "location": header.location,
        }),
    );
    let lock = db.backend() == Backend::Postgres;
    let row = header.clone();
    kit::db_tx!(db, |conn| -> AuditError, async move {
        if lock {
            diesel::sql_query(PG_CHAIN_LOCK).execute(conn).await?;
        }
        diesel::insert_into(audit_archives::table)
            .values(&row)
            .execute(conn)
            .await?;
        diesel::delete(
            audit_entries::table.filter(audit_entries::seq.between(row.first_seq, row.last_seq)),
        )
        .execute(conn)
        .await?;
        kit::events::enqueue(conn, &event).await?;
        Ok(())
    })?;
    tracing::info!(
        first_seq = header.first_seq,
        last_seq = header.last_seq,
        path = %header.location,
        "archived audit entries"
    );
    Ok(Some(header))
}

/// Archives everything due under `settings` as of now; returns the archives written.
pub async fn run_retention(
    chain: &AuditChain,
    settings: &RetentionSettings,
) -> Result<Vec<ArchiveHeader>, AuditError> {
    let Some(cutoff) = settings.cutoff(now_millis()) else {
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    while let Some(header) = archive_before(
        chain,
        cutoff,
        &settings.archive_dir,
        settings.max_entries_per_archive,
    )
    .await?
    {
        written.push(header);
    }
    Ok(written)
}

async fn write_archive(
    path: &Path,
    header: &ArchiveHeader,
    entries: Vec<AuditEntry>,
) -> Result<(), AuditError> {
    let path = path.to_owned();
    let header = header.clone();
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| AuditError::ArchiveIo { path, source }
    };
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let partial = path.with_extension("jsonl.partial");
        let file = std::fs::File::create(&partial).map_err(io(&partial))?;
        let mut out = std::io::BufWriter::new(file);
        let mut line = |value: &ArchiveLine| -> Result<(), AuditError> {
            serde_json::to_writer(&mut out, value)?;
            out.write_all(b"\n").map_err(io(&partial))
        };
        line(&ArchiveLine::AuditArchive(header))?;
        for entry in entries {
            line(&ArchiveLine::Entry(entry))?;
        }
        let file = out.into_inner().map_err(|e| io(&partial)(e.into_error()))?;
        file.sync_all().map_err(io(&partial))?;
        std::fs::rename(&partial, &path).map_err(io(&path))
    })
    .await
    .map_err(|e| AuditError::ArchiveIo {
        path: String::from("archive writer"),
        source: std::io::Error::other(e),
    })?
}

/// Reads an archive file and checks it as [`AuditChain::verify`] checks the table: every
/// entry's hash, the links between them, and the header's first and last hashes.
pub fn verify_archive(path: &Path) -> Result<(ArchiveHeader, ChainReport), AuditError> {
    let shown = path.display().to_string();
    let format = |line: usize, reason: String| AuditError::ArchiveFormat {
        path: shown.clone(),
        line,
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| AuditError::ArchiveIo {
        path: shown.clone(),
        source,
    })?;
    let mut lines = std::io::BufReader::new(file).lines();
    let mut parse = |number: usize| -> Result<Option<ArchiveLine>, AuditError> {
        match lines.next() {
            None => Ok(None),
            Some(Err(source)) => Err(AuditError::ArchiveIo {
                path: shown.clone(),
                source,
            }),
            Some(Ok(text)) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format(number, e.to_string())),
        }
    };
    let header = match parse(1)? {
        Some(ArchiveLine::AuditArchive(header)) => header,
        _ => {
            return Err(format(
                1,
                "the first line is not an audit-archive header".into(),
            ));
        }
    };
    let mut expected_prev = header.first_prev_hash.clone();
    let mut expected_seq = header.first_seq;
    let mut checked = 0u64;
    let mut number = 1;
    let broken = |checked, entry| ChainReport {
        valid: false,
        checked,
        first_broken: Some(entry),
    };
    loop {
        number += 1;
        let entry = match parse(number)? {
            None => break,
            Some(ArchiveLine::Entry(entry)) => entry,
            Some(ArchiveLine::AuditArchive(_)) => {
                return Err(format(number, "a second header".into()));
            }
        };
        checked += 1;
        if entry.seq != expected_seq || entry.prev_hash != expected_prev || !entry.hash_is_valid() {
            return Ok((header, broken(checked, entry)));
        }
        expected_prev = entry.hash;
        expected_seq += 1;
    }
    let complete = checked == u64::try_from(header.entry_count).unwrap_or(0)
        && expected_seq == header.last_seq + 1
        && expected_prev == header.last_hash;
    if !complete {
        return Err(format(
            number,
            "entries do not match the header's range, count or last hash".into(),
        ));
    }
    Ok((
        header,
        ChainReport {
            valid: true,
            checked,
            first_broken: None,
        },
    ))
}

/// The archive files in `dir`, oldest first.
pub fn archive_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    Ok(files)
}
