//! `POST /internal/grants`: identity asks for a user's roles and permission codes when it
//! issues a token.
//!
//! Not an open endpoint: the caller presents a short-lived JWT that identity signs with its
//! own signing key (so authz verifies it through identity's JWKS like any token), whose `aud`
//! is `authz.service_audience` (user access tokens carry the platform audience and are
//! refused) and whose `sub` is `service:identity`.
//!
//! Request `{"userId": "...", "email": "..."}`; response `{"roles": [...], "permissions": [...]}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use kit::auth::TokenVerifier;
use serde::Deserialize;

use crate::access::Authz;

/// The path of the endpoint.
pub const GRANTS_PATH: &str = "/internal/grants";
/// The only service allowed to ask.
pub const IDENTITY_SERVICE: &str = "service:identity";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantsRequest {
    pub user_id: String,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Clone)]
struct InternalState {
    authz: Authz,
    verifier: TokenVerifier,
}

/// The internal routes; `verifier` must expect the service audience.
pub fn routes(authz: Authz, verifier: TokenVerifier) -> Router {
    Router::new()
        .route(GRANTS_PATH, post(grants))
        .with_state(InternalState { authz, verifier })
}

async fn grants(
    State(state): State<InternalState>,
    headers: HeaderMap,
    Json(request): Json<GrantsRequest>,
) -> Response {
    let caller = match state.verifier.authenticate(&headers).await {
        Ok(auth) => auth.user_id,
        Err(error) => {
            tracing::warn!(%error, "refused a service token");
            None
        }
    };
    if caller.as_deref() != Some(IDENTITY_SERVICE) {
        return (
            StatusCode::UNAUTHORIZED,
            "a service token from identity is required",
        )
            .into_response();
    }
    match state
        .authz
        .token_grants(&request.user_id, request.email.as_deref())
        .await
    {
        Ok(grants) => Json(grants).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot load grants");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
