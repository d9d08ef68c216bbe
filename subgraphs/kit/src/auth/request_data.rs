//! `TokenVerifier` as the kit service's per-request seam: every GraphQL request gets the
//! caller's [`AuthContext`] and the event [`Actor`] in its data, or is answered
//! `UNAUTHENTICATED` when it carries a token that does not verify.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use futures::future::BoxFuture;

use super::verifier::{AuthError, TokenVerifier};
use crate::error::KitError;
use crate::events::Actor;
use crate::service::RequestData;

impl RequestData for TokenVerifier {
    fn prepare<'a>(
        &'a self,
        parts: &'a http::request::Parts,
        request: async_graphql::Request,
    ) -> BoxFuture<'a, Result<async_graphql::Request, KitError>> {
        Box::pin(async move {
            let auth = self.authenticate(&parts.headers).await.map_err(|error| {
                tracing::debug!(%error, "rejected access token");
                KitError::Unauthenticated(client_message(&error).into())
            })?;
            let peer = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip());
            let actor = Actor::from_request(auth.user_id.clone(), &parts.headers, peer);
            Ok(request.data(auth).data(actor))
        })
    }
}

/// What a client is told; the cause stays in the log.
pub(super) fn client_message(error: &AuthError) -> &'static str {
    match error {
        AuthError::Expired => "the access token has expired",
        AuthError::KeysUnavailable(_) => "the access token cannot be verified right now",
        _ => "the access token is invalid",
    }
}
