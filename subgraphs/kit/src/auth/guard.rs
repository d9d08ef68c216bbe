//! `RequirePermission`: the async-graphql guard for a permission code.
//!
//! ```ignore
//! #[graphql(
//!     guard = "RequirePermission(permissions::BLOG_POST_PUBLISH)",
//!     requires_scopes = "blog.post.publish"
//! )]
//! async fn publish_post(&self, ctx: &Context<'_>, id: ID) -> Result<Post> { ... }
//! ```
//!
//! The guard reads the request's [`AuthContext`] (the verified token's `scope`), so it decides
//! with what the token says, not with the database: a role revoked since the token was issued
//! still counts until the token expires. `requires_scopes` puts the same code into the subgraph
//! SDL as `@requiresScopes`, so the gateway can remove the field before planning.

use async_graphql::{Context, Guard};

use super::context::AuthContext;

/// Allows the field when the caller's token grants the permission code; otherwise the field
/// fails with `UNAUTHENTICATED` (no token) or `FORBIDDEN` (token without the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequirePermission(pub &'static str);

impl RequirePermission {
    /// Whether `auth` passes this guard; the same decision [`Guard::check`] makes.
    pub fn allows(&self, auth: &AuthContext) -> bool {
        auth.is_authenticated() && auth.has_scope(self.0)
    }
}

impl Guard for RequirePermission {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        AuthContext::of(ctx).require_scope(self.0)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        #[graphql(guard = "RequirePermission(\"blog.post.publish\")")]
        async fn guarded(&self) -> bool {
            true
        }
    }

    async fn run(auth: Option<AuthContext>) -> async_graphql::Response {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let mut request = async_graphql::Request::new("{ guarded }");
        if let Some(auth) = auth {
            request = request.data(auth);
        }
        schema.execute(request).await
    }

    fn code(response: &async_graphql::Response) -> Option<String> {
        let value = response.errors.first()?.extensions.as_ref()?.get("code")?;
        match value {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn user(scopes: &[&str]) -> AuthContext {
        AuthContext {
            user_id: Some("u1".into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..AuthContext::default()
        }
    }

    #[tokio::test]
    async fn allows_only_tokens_with_the_code() {
        let guard = RequirePermission("blog.post.publish");
        let cases = [
            (None, Some("UNAUTHENTICATED")),
            (Some(user(&[])), Some("FORBIDDEN")),
            (Some(user(&["blog.post.create"])), Some("FORBIDDEN")),
            (Some(user(&["blog.post.publish"])), None),
        ];
        for (auth, expected) in cases {
            let allowed = auth.as_ref().is_some_and(|a| guard.allows(a));
            let response = run(auth).await;
            assert_eq!(code(&response).as_deref(), expected, "{response:?}");
            assert_eq!(allowed, expected.is_none());
        }
    }
}
