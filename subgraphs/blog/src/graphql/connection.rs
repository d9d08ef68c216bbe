//! Relay-style pages (`edges`, `node`, `cursor`, `pageInfo`). Cursors are opaque: base64 of
//! the row id, which sorts by creation time (UUIDv7).

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::IntoGraphql;
use crate::error::BlogError;
use crate::store::Page;

pub(crate) fn encode_cursor(kind: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The row id of a cursor made by [`encode_cursor`] for `kind`.
pub(crate) fn decode_cursor(kind: &str, cursor: Option<String>) -> Result<Option<String>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let id = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Some(text.strip_prefix(kind)?.strip_prefix(':')?.to_owned()));
    match id {
        Some(id) => Ok(Some(id)),
        None => Err(BlogError::invalid(
            "after",
            "is not a cursor from this list",
        ))
        .gql(),
    }
}

pub(crate) fn page<R, N: OutputType>(
    kind: &str,
    page: Page<R>,
    had_cursor: bool,
    id_of: impl Fn(&R) -> &str,
    node: impl Fn(R) -> N,
) -> Connection<String, N> {
    let mut connection = Connection::new(had_cursor, page.has_next);
    connection.edges.extend(
        page.rows
            .into_iter()
            .map(|row| Edge::new(encode_cursor(kind, id_of(&row)), node(row))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_lists() {
        let cursor = encode_cursor("post", "0190-abc");
        assert_eq!(
            decode_cursor("post", Some(cursor.clone()))
                .ok()
                .flatten()
                .as_deref(),
            Some("0190-abc")
        );
        assert!(decode_cursor("comment", Some(cursor)).is_err());
        assert!(decode_cursor("post", Some("%%%".into())).is_err());
        assert!(matches!(decode_cursor("post", None), Ok(None)));
    }
}
