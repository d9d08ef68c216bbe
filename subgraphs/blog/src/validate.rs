//! Input rules. Each failure names the input field, as clients see it in GraphQL.

use crate::error::BlogError;

pub const MAX_TITLE: usize = 200;
pub const MAX_SLUG: usize = 100;
pub const MAX_CONTENT: usize = 100_000;
pub const MAX_COMMENT: usize = 5_000;

pub fn title(value: &str) -> Result<String, BlogError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(BlogError::invalid("title", "must not be empty"));
    }
    if value.chars().count() > MAX_TITLE {
        return Err(BlogError::invalid(
            "title",
            format!("must be at most {MAX_TITLE} characters"),
        ));
    }
    Ok(value.to_owned())
}

pub fn content(value: &str) -> Result<String, BlogError> {
    if value.chars().count() > MAX_CONTENT {
        return Err(BlogError::invalid(
            "content",
            format!("must be at most {MAX_CONTENT} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A slug as given: lowercase ASCII letters, digits and single hyphens, not at either end.
pub fn slug(value: &str) -> Result<String, BlogError> {
    let well_formed = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(BlogError::invalid(
            "slug",
            format!(
                "must be 1 to {MAX_SLUG} lowercase letters, digits and single hyphens, \
                 not starting or ending with a hyphen"
            ),
        ))
    }
}

/// A slug derived from a title: `"Hello, World!"` -> `hello-world`. Falls back to `post`
/// when the title has no ASCII letters or digits.
pub fn slug_from_title(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MAX_SLUG {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "post".to_owned()
    } else {
        slug.to_owned()
    }
}

pub fn comment_body(value: &str) -> Result<String, BlogError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(BlogError::invalid("body", "must not be empty"));
    }
    if value.chars().count() > MAX_COMMENT {
        return Err(BlogError::invalid(
            "body",
            format!("must be at most {MAX_COMMENT} characters"),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_derived_and_checked() {
        assert_eq!(slug_from_title("Hello, World!"), "hello-world");
        assert_eq!(slug_from_title("  Ünïcode  "), "n-code");
        assert_eq!(slug_from_title("!!!"), "post");
        assert!(slug(&slug_from_title(&"x".repeat(300))).is_ok());
        assert!(slug("hello-world").is_ok());
        for bad in ["", "Hello", "-a", "a-", "a--b", "a b", "a_b"] {
            assert!(slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn titles_and_bodies_must_have_text() {
        assert_eq!(title("  Hi ").ok().as_deref(), Some("Hi"));
        assert!(matches!(
            title("   "),
            Err(BlogError::Invalid { field: "title", .. })
        ));
        assert!(title(&"x".repeat(MAX_TITLE + 1)).is_err());
        assert!(matches!(
            comment_body(""),
            Err(BlogError::Invalid { field: "body", .. })
        ));
    }
}
