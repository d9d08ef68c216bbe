//! Header rules for subgraph requests: propagate (optionally renamed, with a default),
//! insert (a fixed value or a claim), remove. Applied in order per request; the result
//! travels to the subgraph client in a task-local for the duration of the execution.
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::auth::Claims;

/// `gateway.headers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderRules {
    /// Forward the client's `Authorization` header to every subgraph.
    pub forward_authorization: bool,
    pub rules: Vec<HeaderRule>,
}

impl Default for HeaderRules {
    fn default() -> Self {
        Self {
            forward_authorization: true,
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HeaderRule {
    Propagate {
        named: String,
        #[serde(default)]
        rename: Option<String>,
        #[serde(default)]
        default: Option<String>,
    },
    Insert {
        name: String,
        #[serde(default)]
        value: Option<String>,
        /// A claim of the verified token (top-level name); strings as is, others as JSON.
        #[serde(default)]
        from_claim: Option<String>,
    },
    Remove {
        named: String,
    },
}

/// What one request sends to subgraphs besides the body.
#[derive(Debug, Clone, Default)]
pub struct OutgoingHeaders {
    pub headers: HeaderMap,
    pub forward_authorization: bool,
}

tokio::task_local! {
    /// The current request's outgoing headers, set by the pipeline around execution.
    pub static OUTGOING: OutgoingHeaders;
}

impl HeaderRules {
    pub fn apply(&self, client: &HeaderMap, claims: Option<&Claims>) -> OutgoingHeaders {
        let mut out = OutgoingHeaders {
            headers: HeaderMap::new(),
            forward_authorization: self.forward_authorization,
        };
        for rule in &self.rules {
            match rule {
                HeaderRule::Propagate {
                    named,
                    rename,
                    default,
                } => {
                    let Ok(target) =
                        HeaderName::from_bytes(rename.as_deref().unwrap_or(named).as_bytes())
                    else {
                        continue;
                    };
                    let values: Vec<HeaderValue> =
                        client.get_all(named.as_str()).iter().cloned().collect();
                    if values.is_empty() {
                        if let Some(value) = default
                            .as_deref()
                            .and_then(|d| HeaderValue::from_str(d).ok())
                        {
                            out.headers.insert(target, value);
                        }
                    } else {
                        for value in values {
                            out.headers.append(target.clone(), value);
                        }
                    }
                }
                HeaderRule::Insert {
                    name,
                    value,
                    from_claim,
                } => {
                    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                        continue;
                    };
                    let text = match (value, from_claim) {
                        (Some(value), _) => Some(value.clone()),
                        (None, Some(claim)) => claims.and_then(|c| c.get(claim)).map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        }),
                        (None, None) => None,
                    };
                    if let Some(value) = text.and_then(|t| HeaderValue::from_str(&t).ok()) {
                        out.headers.insert(name, value);
                    }
                }
                HeaderRule::Remove { named } => {
                    if named.eq_ignore_ascii_case("authorization") {
                        out.forward_authorization = false;
                    }
                    out.headers.remove(named.as_str());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order() {
        let rules: HeaderRules = serde_json::from_value(serde_json::json!({
            "rules": [
                {"propagate": {"named": "x-tenant", "rename": "x-org"}},
                {"propagate": {"named": "x-missing", "default": "d"}},
                {"insert": {"name": "x-user", "from_claim": "sub"}},
                {"insert": {"name": "x-fixed", "value": "1"}},
                {"remove": {"named": "x-fixed"}},
                {"remove": {"named": "authorization"}}
            ]
        }))
        .expect("rules");
        let mut client = HeaderMap::new();
        client.insert("x-tenant", HeaderValue::from_static("acme"));
        let claims = serde_json::json!({"sub": "u1"}).as_object().cloned();
        let out = rules.apply(&client, claims.as_ref());
        assert_eq!(
            out.headers.get("x-org").map(|v| v.as_bytes()),
            Some(&b"acme"[..])
        );
        assert_eq!(
            out.headers.get("x-missing").map(|v| v.as_bytes()),
            Some(&b"d"[..])
        );
        assert_eq!(
            out.headers.get("x-user").map(|v| v.as_bytes()),
            Some(&b"u1"[..])
        );
        assert!(out.headers.get("x-fixed").is_none());
        assert!(!out.forward_authorization);
    }
}
