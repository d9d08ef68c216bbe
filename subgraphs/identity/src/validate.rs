//! Input rules shared by the GraphQL mutations and bootstrap: each failure names the field.

/// A rejected input value: `field` is the GraphQL input field name, `message` says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidInput {
    pub field: String,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Lowercased, trimmed email: the form the unique index is on.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately simple check (one `@`, non-empty local part, a dotted domain, no spaces):
/// the real proof of an address is the verification mail.
pub fn email(email: &str) -> Result<String, String> {
    let email = email.trim();
    if email.is_empty() {
        return Err("is required".into());
    }
    if email.len() > 254 {
        return Err("must be at most 254 characters".into());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an email address".into());
    };
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_string())
    } else {
        Err("must be an email address".into())
    }
}

/// 3 to 32 of `a-z 0-9 _ . -`, starting with a letter or digit. Lowercase only, so the plain
/// unique index is case-insensitive in effect.
pub fn username(name: &str) -> Result<String, String> {
    let name = name.trim();
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err("must be 3 to 32 characters".into());
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok {
        Ok(name.to_string())
    } else {
        Err("may contain only lowercase letters, digits, '_', '.' and '-', starting with a letter or digit".into())
    }
}

/// Length bounds only (counted in characters); composition rules push users to worse passwords.
pub fn password(password: &str, min: usize, max: usize) -> Result<(), String> {
    let len = password.chars().count();
    if len < min {
        return Err(format!("must be at least {min} characters"));
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(())
}

/// Optional display names: trimmed, at most 100 characters, empty becomes absent.
pub fn person_name(name: Option<&str>) -> Result<Option<String>, String> {
    let Some(name) = name.map(str::trim) else {
        return Ok(None);
    };
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(Some(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" A@Example.org ").as_deref(), Ok("A@Example.org"));
        assert_eq!(normalize_email(" A@Example.org "), "a@example.org");
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.c", "a@c."] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn usernames() {
        assert!(username("alice_1").is_ok());
        for bad in ["al", "Alice", "_alice", "al ice", &"a".repeat(33)] {
            assert!(username(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_and_names() {
        assert!(password("short", 8, 64).is_err());
        assert!(password("long enough", 8, 64).is_ok());
        assert!(password(&"x".repeat(65), 8, 64).is_err());
        assert_eq!(person_name(Some("  ")), Ok(None));
        assert_eq!(person_name(Some(" Ada ")), Ok(Some("Ada".into())));
        assert!(person_name(Some(&"x".repeat(101))).is_err());
    }
}
