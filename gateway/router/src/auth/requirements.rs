//! Deciding one element's `@authenticated` / `@requiresScopes` / `@policy` requirements
//! against the request's claims.
use federation::supergraph::model::AuthRequirements;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Claims;
use crate::error::{FORBIDDEN, UNAUTHENTICATED};

/// A policy named in `@policy(policies:)`: satisfied when the claim at `claim` (dotted path)
/// contains `contains` (array member or space-separated word) or equals `equals`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    pub name: String,
    pub claim: String,
    #[serde(default)]
    pub contains: Option<String>,
    #[serde(default)]
    pub equals: Option<Value>,
}

impl PolicyRule {
    fn holds(&self, claims: &Claims) -> bool {
        let mut parts = self.claim.split('.');
        let Some(first) = parts.next() else {
            return false;
        };
        let mut value = claims.get(first);
        for part in parts {
            value = value.and_then(|v| v.get(part));
        }
        let Some(value) = value else {
            return false;
        };
        if let Some(expected) = &self.equals
            && value != expected
        {
            return false;
        }
        match &self.contains {
            Some(wanted) => words(value).any(|w| w == wanted),
            None => self.equals.is_some(),
        }
    }
}

/// The words of a claim: array items or a space-separated string.
fn words(value: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        Value::String(s) => Box::new(s.split_whitespace()),
        Value::Array(items) => Box::new(items.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

/// What the request may see: its claims (if authenticated) and the policies in config.
pub struct Principal<'a> {
    pub claims: Option<&'a Claims>,
    pub policies: &'a [PolicyRule],
    pub scope_claim: &'a str,
}

impl Principal<'_> {
    /// `None` when allowed, else the error code to report.
    pub fn deny(&self, requirements: &AuthRequirements) -> Option<&'static str> {
        if requirements.is_empty() {
            return None;
        }
        let Some(claims) = self.claims else {
            return Some(UNAUTHENTICATED);
        };
        let scopes: Vec<&str> = claims
            .get(self.scope_claim)
            .map(|v| words(v).collect())
            .unwrap_or_default();
        let scopes_ok = requirements.scopes.is_empty()
            || requirements
                .scopes
                .iter()
                .any(|all| all.iter().all(|s| scopes.contains(&s.as_str())));
        let policies_ok = requirements.policies.is_empty()
            || requirements.policies.iter().any(|all| {
                all.iter().all(|name| {
                    self.policies
                        .iter()
                        .find(|p| &p.name == name)
                        .is_some_and(|p| p.holds(claims))
                })
            });
        (!(scopes_ok && policies_ok)).then_some(FORBIDDEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Claims {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn scopes_are_or_of_and_lists_from_string_or_array() {
        let rules = [];
        let requirements = AuthRequirements {
            scopes: vec![vec!["a".into(), "b".into()], vec!["c".into()]],
            ..AuthRequirements::default()
        };
        for (value, allowed) in [
            (json!({"scope": "a b"}), true),
            (json!({"scope": ["c"]}), true),
            (json!({"scope": "a"}), false),
            (json!({}), false),
        ] {
            let claims = claims(value);
            let principal = Principal {
                claims: Some(&claims),
                policies: &rules,
                scope_claim: "scope",
            };
            assert_eq!(
                principal.deny(&requirements).is_none(),
                allowed,
                "{claims:?}"
            );
        }
        let anonymous = Principal {
            claims: None,
            policies: &rules,
            scope_claim: "scope",
        };
        assert_eq!(anonymous.deny(&requirements), Some(UNAUTHENTICATED));
    }

    #[test]
    fn policies_read_claim_rules() {
        let rules = [
            PolicyRule {
                name: "admin".into(),
                claim: "realm.roles".into(),
                contains: Some("admin".into()),
                equals: None,
            },
            PolicyRule {
                name: "verified".into(),
                claim: "email_verified".into(),
                contains: None,
                equals: Some(json!(true)),
            },
        ];
        let requirements = AuthRequirements {
            policies: vec![vec!["admin".into(), "verified".into()]],
            ..AuthRequirements::default()
        };
        let ok = claims(json!({"realm": {"roles": ["admin"]}, "email_verified": true}));
        let not_verified = claims(json!({"realm": {"roles": ["admin"]}, "email_verified": false}));
        let principal = |c| Principal {
            claims: Some(c),
            policies: &rules,
            scope_claim: "scope",
        };
        assert_eq!(principal(&ok).deny(&requirements), None);
        assert_eq!(
            principal(&not_verified).deny(&requirements),
            Some(FORBIDDEN)
        );
    }
}
