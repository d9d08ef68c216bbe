//! The per-request seam: code that looks at the HTTP request before a GraphQL request runs and
//! adds to its context (kit::auth puts the verified bearer token's `AuthContext` here).
use futures::future::BoxFuture;

use crate::error::KitError;

/// Prepares each GraphQL request from its HTTP request head: typically inserts data with
/// `request.data(...)`. An `Err` answers the request with that error and runs nothing.
pub trait RequestData: Send + Sync + 'static {
    fn prepare<'a>(
        &'a self,
        parts: &'a http::request::Parts,
        request: async_graphql::Request,
    ) -> BoxFuture<'a, Result<async_graphql::Request, KitError>>;
}

/// Any `async` closure over a copy of the request head works as a seam.
impl<F, Fut> RequestData for F
where
    F: Fn(http::request::Parts, async_graphql::Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<async_graphql::Request, KitError>> + Send + 'static,
{
    fn prepare<'a>(
        &'a self,
        parts: &'a http::request::Parts,
        request: async_graphql::Request,
    ) -> BoxFuture<'a, Result<async_graphql::Request, KitError>> {
        Box::pin(self(parts.clone(), request))
    }
}
