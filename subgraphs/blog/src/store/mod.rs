//! Blog's persistence: one function per operation, written once for PostgreSQL and SQLite.
//! Writes take the events that describe them and commit both in one transaction; no policy
//! lives here except the `check` callbacks the caller passes to run inside the transaction.

pub mod comments;
pub mod posts;
pub mod schema;

/// Current time in unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    kit::events::unix_millis(time::OffsetDateTime::now_utc())
}

/// A fresh id: a UUIDv7 string, so ids sort by creation time (pagination relies on it).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// `rows` holds up to `first + 1` rows: the extra one only says another page exists.
    pub(crate) fn from_overfetch(mut rows: Vec<T>, first: i64) -> Self {
        let limit = usize::try_from(first).unwrap_or(0);
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        Self { rows, has_next }
    }
}

/// Whether a diesel error is the unique violation on `posts.slug`.
pub(crate) fn is_slug_taken(error: &diesel::result::Error) -> bool {
    let diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::UniqueViolation,
        info,
    ) = error
    else {
        return false;
    };
    // PostgreSQL names the index; SQLite names the column in the message.
    info.constraint_name().is_some_and(|c| c.contains("slug")) || info.message().contains("slug")
}
