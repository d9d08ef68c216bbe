use serde::{Deserialize, Serialize};

/// The claims of a platform access token. Identity encodes exactly this; verifiers decode it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id (UUIDv7).
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Space-separated permission codes (`{module}.{resource}.{action}`), per RFC 8693 `scope`.
    #[serde(default)]
    pub scope: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    /// Session (refresh-token family) the token was issued for; lets `logout` find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}
