//! Reading the audit log: filtered, newest first, paginated by position in the chain.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;

use crate::entry::AuditEntry;
use crate::error::AuditError;
use crate::schema::audit_entries;

/// Which entries to return. Every set field must match; `from` / `to` bound `timestamp`
/// (when the action happened, unix ms, inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// One page, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub entries: Vec<AuditEntry>,
    pub has_next: bool,
}

/// Applies an [`EntryFilter`] to a boxed `audit_entries` query, whatever its backend.
macro_rules! filtered {
    ($query:expr, $filter:expr) => {{
        let filter: &EntryFilter = $filter;
        let mut query = $query;
        if let Some(user_id) = &filter.user_id {
            query = query.filter(audit_entries::user_id.eq(user_id.clone()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_entries::action.eq(action.clone()));
        }
        if let Some(resource) = &filter.resource {
            query = query.filter(audit_entries::resource.eq(resource.clone()));
        }
        if let Some(resource_id) = &filter.resource_id {
            query = query.filter(audit_entries::resource_id.eq(resource_id.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_entries::timestamp.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(audit_entries::timestamp.le(to));
        }
        query
    }};
}

/// Up to `first` entries matching `filter` that come before position `after` (exclusive) in
/// the chain, newest first.
pub async fn list(
    db: &Db,
    filter: &EntryFilter,
    first: i64,
    after: Option<i64>,
) -> Result<Page, AuditError> {
    let first = first.max(0);
    let filter = filter.clone();
    let mut entries: Vec<AuditEntry> = kit::db_run!(db, |conn| -> AuditError, async move {
        let mut query = filtered!(
            audit_entries::table.select(AuditEntry::as_select()).into_boxed(),
            &filter
        );
        if let Some(after) = after {
            query = query.filter(audit_entries::seq.lt(after));
        }
        Ok(query
            .order(audit_entries::seq.desc())
            .limit(first + 1)
            .load(conn)
            .await?)
    })?;
    let has_next = entries.len() as i64 > first;
    entries.truncate(usize::try_from(first).unwrap_or(0));
    Ok(Page { entries, has_next })
}

/// How many entries match `filter`.
pub async fn count(db: &Db, filter: &EntryFilter) -> Result<i64, AuditError> {
    let filter = filter.clone();
    kit::db_run!(db, |conn| -> AuditError, async move {
        Ok(filtered!(audit_entries::table.into_boxed(), &filter)
            .count()
            .get_result(conn)
            .await?)
    })
}

/// The entry with this id.
pub async fn get(db: &Db, id: &str) -> Result<Option<AuditEntry>, AuditError> {
    let id = id.to_owned();
    kit::db_run!(db, |conn| -> AuditError, async move {
        Ok(audit_entries::table
            .filter(audit_entries::id.eq(id))
            .select(AuditEntry::as_select())
            .first(conn)
            .await
            .optional()?)
    })
}
