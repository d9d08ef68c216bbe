//! The `fields:` selections of `@key`, `@requires` and `@provides`: a small parser (field
//! sets are plain selection sets) and their resolution against a subgraph's types.
use std::fmt;

/// One selection of a field set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    Field {
        name: String,
        has_arguments: bool,
        children: Vec<Selection>,
    },
    InlineFragment {
        type_condition: Option<String>,
        children: Vec<Selection>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSetSyntaxError(pub String);

impl fmt::Display for FieldSetSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    Open,
    Close,
    OpenParen,
    Spread,
    Colon,
    At,
    Other(char),
}

fn tokenize(source: &str) -> Result<Vec<Token>, FieldSetSyntaxError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '{' => {
                tokens.push(Token::Open);
                i += 1
            }
            '}' => {
                tokens.push(Token::Close);
                i += 1
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1
            }
            '@' => {
                tokens.push(Token::At);
                i += 1
            }
            '(' => {
                // Arguments are only noted, never interpreted: skip to the matching paren.
                let mut depth = 0;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 {
                    return Err(FieldSetSyntaxError("unclosed `(`".into()));
                }
                tokens.push(Token::OpenParen);
                i += 1;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                tokens.push(Token::Spread);
                i += 3;
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => {
                tokens.push(Token::Other(other));
                i += 1
            }
        }
    }
    Ok(tokens)
}

/// Parses a field set (`"id organization { id }"`, `"... on Book { isbn }"`).
pub(crate) fn parse(source: &str) -> Result<Vec<Selection>, FieldSetSyntaxError> {
    let tokens = tokenize(source)?;
    let mut pos = 0;
    let selections = parse_selections(&tokens, &mut pos, false)?;
    if selections.is_empty() {
        return Err(FieldSetSyntaxError("empty selection".into()));
    }
    Ok(selections)
}

fn parse_selections(
    tokens: &[Token],
    pos: &mut usize,
    nested: bool,
) -> Result<Vec<Selection>, FieldSetSyntaxError> {
    let mut out = Vec::new();
    loop {
        match tokens.get(*pos) {
            None if nested => return Err(FieldSetSyntaxError("unclosed `{`".into())),
            None => return Ok(out),
            Some(Token::Close) if nested => {
                *pos += 1;
                return Ok(out);
            }
            Some(Token::Spread) => {
                *pos += 1;
                let mut type_condition = None;
                if tokens.get(*pos) == Some(&Token::Name("on".into())) {
                    *pos += 1;
                    match tokens.get(*pos) {
                        Some(Token::Name(n)) => type_condition = Some(n.clone()),
                        _ => return Err(FieldSetSyntaxError("expected a type after `on`".into())),
                    }
                    *pos += 1;
                }
                skip_directives(tokens, pos);
                if tokens.get(*pos) != Some(&Token::Open) {
                    return Err(FieldSetSyntaxError("expected `{` after fragment".into()));
                }
                *pos += 1;
                let children = parse_selections(tokens, pos, true)?;
                out.push(Selection::InlineFragment {
                    type_condition,
                    children,
                });
            }
            Some(Token::Name(first)) => {
                *pos += 1;
                let mut name = first.clone();
                if tokens.get(*pos) == Some(&Token::Colon) {
                    // An alias: the field is the next name.
                    *pos += 1;
                    match tokens.get(*pos) {
                        Some(Token::Name(n)) => name = n.clone(),
                        _ => {
                            return Err(FieldSetSyntaxError("expected a field after alias".into()));
                        }
                    }
                    *pos += 1;
                }
                let mut has_arguments = false;
                if tokens.get(*pos) == Some(&Token::OpenParen) {
                    has_arguments = true;
                    *pos += 1;
                }
                skip_directives(tokens, pos);
                let mut children = Vec::new();
                if tokens.get(*pos) == Some(&Token::Open) {
                    *pos += 1;
                    children = parse_selections(tokens, pos, true)?;
                    if children.is_empty() {
                        return Err(FieldSetSyntaxError("empty selection set".into()));
                    }
                }
                out.push(Selection::Field {
                    name,
                    has_arguments,
                    children,
                });
            }
            Some(other) => {
                return Err(FieldSetSyntaxError(format!("unexpected {other:?}")));
            }
        }
    }
}

fn skip_directives(tokens: &[Token], pos: &mut usize) {
    while tokens.get(*pos) == Some(&Token::At) {
        *pos += 1;
        if matches!(tokens.get(*pos), Some(Token::Name(_))) {
            *pos += 1;
        }
        if tokens.get(*pos) == Some(&Token::OpenParen) {
            *pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, children: Vec<Selection>) -> Selection {
        Selection::Field {
            name: name.into(),
            has_arguments: false,
            children,
        }
    }

    #[test]
    fn parses_nested_and_fragments() {
        let parsed = parse("id org { id } ... on Book { isbn }").expect("valid");
        assert_eq!(
            parsed,
            vec![
                field("id", vec![]),
                field("org", vec![field("id", vec![])]),
                Selection::InlineFragment {
                    type_condition: Some("Book".into()),
                    children: vec![field("isbn", vec![])]
                }
            ]
        );
    }

    #[test]
    fn notes_arguments_and_rejects_garbage() {
        let parsed = parse("f(x: 1)").expect("valid");
        assert!(matches!(
            &parsed[0],
            Selection::Field {
                has_arguments: true,
                ..
            }
        ));
        assert!(parse("a {").is_err());
        assert!(parse("").is_err());
        assert!(parse("a { }").is_err());
    }
}
