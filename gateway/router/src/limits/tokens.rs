//! Counts GraphQL lexical tokens on the raw text, before any parsing, so a huge document
//! costs one linear scan that stops at the limit.

/// The number of tokens in `source`, counting at most `max + 1`.
pub fn count(source: &str, max: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    while i < bytes.len() && tokens <= max {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i..].starts_with(b"\\\"\"\"") {
                            4
                        } else {
                            1
                        };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            c if c == b'_' || c.is_ascii_alphanumeric() || c == b'-' => {
                tokens += 1;
                i += 1;
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.')
                {
                    i += 1;
                }
            }
            _ => {
                tokens += 1;
                i += 1;
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_punctuators_names_numbers_and_strings() {
        assert_eq!(count("{ a }", 100), 3);
        assert_eq!(
            count("query Q($x: Int = -1.5e3) { a(s: \"x, y\") ...F }", 100),
            20
        );
        assert_eq!(count("# comment\n{a,b}", 100), 4);
        assert_eq!(count(r#"{ a(s: """block "" text""") }"#, 100), 8);
    }

    #[test]
    fn stops_after_the_limit() {
        let huge = "{ a ".repeat(100_000);
        assert_eq!(count(&huge, 10), 11);
    }
}
