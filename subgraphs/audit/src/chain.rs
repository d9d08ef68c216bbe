//! The audit chain: appending entries one after another, and checking that the chain holds.
//!
//! Appends are serialized by the database: on PostgreSQL each append takes a transaction-scoped
//! advisory lock keyed by the schema (so several audit replicas append in turn), on SQLite the
//! kit's transaction lock plus SQLite's single writer do it. Inside that lock an append reads
//! the tip, links to it, and inserts; an event already recorded is skipped (idempotent by event
//! id), so redelivered events never make a second entry.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Backend, Db};

use crate::entry::{AuditEntry, EntryContent, GENESIS_HASH};
use crate::error::AuditError;
use crate::schema::{audit_archives, audit_entries};

/// What [`AuditChain::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// A new entry at the tip of the chain.
    New(Box<AuditEntry>),
    /// The event was already recorded at this position; nothing was written.
    Duplicate { seq: i64 },
}

/// The result of a chain verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub valid: bool,
    /// Entries examined, the broken one included.
    pub checked: u64,
    /// The first entry where the chain does not hold: its own hash is wrong, its `prev_hash`
    /// is not the previous entry's hash, or an entry before it is missing.
    pub first_broken: Option<AuditEntry>,
}

/// Range of a verification, on `recorded_at` (unix ms, inclusive). The chain order follows
/// `recorded_at`, so a range is a contiguous part of the chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The hash-chained audit log in one database.
#[derive(Clone, Debug)]
pub struct AuditChain {
    db: Db,
}

/// Rows read per round trip while verifying.
const VERIFY_PAGE: i64 = 1000;

impl AuditChain {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Appends the entry for `content` unless its event is already recorded.
    pub async fn append(&self, content: EntryContent) -> Result<Appended, AuditError> {
        let lock = self.db.backend() == Backend::Postgres;
        kit::db_tx!(self.db, |conn| -> AuditError, async move {
            if lock {
                diesel::sql_query(PG_CHAIN_LOCK).execute(conn).await?;
            }
            let existing: Option<i64> = audit_entries::table
                .filter(audit_entries::event_id.eq(&content.event_id))
                .select(audit_entries::seq)
                .first(conn)
                .await
                .optional()?;
            if let Some(seq) = existing {
                return Ok(Appended::Duplicate { seq });
            }
            let tip: Option<(i64, String, i64)> = audit_entries::table
                .order(audit_entries::seq.desc())
                .select((audit_entries::seq, audit_entries::hash, audit_entries::recorded_at))
                .first(conn)
                .await
                .optional()?;
            let (tip_seq, tip_hash, tip_recorded) = match tip {
                Some(tip) => tip,
                None => audit_archives::table
                    .order(audit_archives::last_seq.desc())
                    .select((audit_archives::last_seq, audit_archives::last_hash, audit_archives::archived_at))
                    .first(conn)
                    .await
                    .optional()?
                    .unwrap_or((0, GENESIS_HASH.to_owned(), 0)),
            };
            // Never earlier than the tip, so `recorded_at` ranges are contiguous chain parts.
            let recorded_at = now_millis().max(tip_recorded);
            let entry = content.seal(tip_seq + 1, recorded_at, tip_hash);
            diesel::insert_into(audit_entries::table)
                .values(&entry)
                .execute(conn)
                .await?;
            Ok(Appended::New(Box::new(entry)))
        })
    }

    /// Checks every entry whose `recorded_at` is in `range`, in chain order: each entry's hash
    /// must match its content and `prev_hash`, its `prev_hash` must be the hash of the entry
    /// before it (or of the archive that ends just before it, or the genesis hash), and no
    /// position may be missing. Stops at the first broken entry.
    pub async fn verify(&self, range: VerifyRange) -> Result<ChainReport, AuditError> {
        let mut checked = 0u64;
        let mut previous: Option<(i64, String)> = None;
        loop {
            let after = previous.as_ref().map(|(seq, _)| *seq);
            let page: Vec<AuditEntry> = kit::db_run!(self.db, |conn| -> AuditError, async move {
                let mut query = audit_entries::table
                    .select(AuditEntry::as_select())
                    .order(audit_entries::seq.asc())
                    .limit(VERIFY_PAGE)
                    .into_boxed();
                if let Some(after) = after {
                    query = query.filter(audit_entries::seq.gt(after));
                }
                if let Some(from) = range.from {
                    query = query.filter(audit_entries::recorded_at.ge(from));
                }
                if let Some(to) = range.to {
                    query = query.filter(audit_entries::recorded_at.le(to));
                }
                Ok(query.load(conn).await?)
            })?;
            let Some(last) = page.last() else {
                return Ok(ChainReport {
                    valid: true,
                    checked,
                    first_broken: None,
                });
            };
            let last = (last.seq, last.hash.clone());
            for entry in page {
                checked += 1;
                let expected_prev = match &previous {
                    Some((seq, hash)) if *seq + 1 == entry.seq => Some(hash.clone()),
                    Some(_) => None,
                    None => self.hash_before(entry.seq).await?,
                };
                let linked = expected_prev.as_deref() == Some(entry.prev_hash.as_str());
                if !linked || !entry.hash_is_valid() {
                    return Ok(ChainReport {
                        valid: false,
                        checked,
                        first_broken: Some(entry),
                    });
                }
                previous = Some((entry.seq, entry.hash));
            }
            previous = Some(last);
        }
    }

    /// The hash the entry at `seq` must link to: the stored entry before it, the archive that
    /// ends just before it, or the genesis hash for the first position. `None` when the
    /// position before it is missing.
    async fn hash_before(&self, seq: i64) -> Result<Option<String>, AuditError> {
        if seq == 1 {
            return Ok(Some(GENESIS_HASH.to_owned()));
        }
        let before = seq - 1;
        kit::db_run!(self.db, |conn| -> AuditError, async move {
            let stored: Option<String> = audit_entries::table
                .filter(audit_entries::seq.eq(before))
                .select(audit_entries::hash)
                .first(conn)
                .await
                .optional()?;
            if stored.is_some() {
                return Ok(stored);
            }
            Ok(audit_archives::table
                .filter(audit_archives::last_seq.eq(before))
                .select(audit_archives::last_hash)
                .first(conn)
                .await
                .optional()?)
        })
    }
}

/// Serializes appends on PostgreSQL across connections and replicas until the transaction
/// ends. Keyed by schema so separate audit schemas do not wait on each other.
pub(crate) const PG_CHAIN_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_entries'))";

pub(crate) fn now_millis() -> i64 {
    kit::events::unix_millis(time::OffsetDateTime::now_utc())
}
