//! Relay-style pages of entries: `edges`, `pageInfo`, `totalCount`. Cursors are opaque
//! (base64 of the chain position); a page lists entries newest first.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::errors::{bad_input, internal};
use super::types::AuditEntryNode;
use crate::chain::AuditChain;
use crate::query::{self, EntryFilter};

/// Largest page a client may ask for.
pub(crate) const MAX_PAGE: i32 = 100;

pub type AuditConnection = Connection<String, AuditEntryNode, TotalCount>;

/// `totalCount`, counted only when asked for.
pub struct TotalCount {
    chain: AuditChain,
    filter: EntryFilter,
}

#[Object]
impl TotalCount {
    /// Entries matching the filter, on all pages.
    async fn total_count(&self) -> Result<i64> {
        query::count(self.chain.db(), &self.filter)
            .await
            .map_err(internal)
    }
}

pub(crate) async fn page(
    ctx: &Context<'_>,
    filter: EntryFilter,
    first: i32,
    after: Option<String>,
) -> Result<AuditConnection> {
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(bad_input(format!(
            "`first` must be between 0 and {MAX_PAGE}"
        )));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(bad_input("`from` is after `to`"));
    }
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let chain = ctx.data::<AuditChain>()?;
    let page = query::list(chain.db(), &filter, i64::from(first), after)
        .await
        .map_err(internal)?;
    let mut connection = Connection::with_additional_fields(
        after.is_some(),
        page.has_next,
        TotalCount {
            chain: chain.clone(),
            filter,
        },
    );
    connection.edges.extend(
        page.entries
            .into_iter()
            .map(|entry| Edge::new(encode_cursor(entry.seq), AuditEntryNode(entry))),
    );
    Ok(connection)
}

fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("audit:{seq}"))
}

fn decode_cursor(cursor: &str) -> Result<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("audit:")?.parse().ok())
        .ok_or_else(|| bad_input("invalid cursor"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("other:1")).is_err());
    }
}
