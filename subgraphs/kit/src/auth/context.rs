use std::collections::BTreeSet;

use async_graphql::{Context, ErrorExtensions};

use super::claims::AccessClaims;

/// Who is making the request. Anonymous when the request carried no token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthContext {
    /// `None` for an anonymous request.
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
    /// Permission codes granted by the token's `scope`.
    pub scopes: BTreeSet<String>,
    /// The token's `jti`.
    pub token_id: Option<String>,
    /// The session (refresh-token family) the token belongs to, when identity issued one.
    pub session_id: Option<String>,
}

static ANONYMOUS: AuthContext = AuthContext {
    user_id: None,
    email: None,
    roles: Vec::new(),
    scopes: BTreeSet::new(),
    token_id: None,
    session_id: None,
};

impl AuthContext {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn from_claims(claims: AccessClaims) -> Self {
        Self {
            user_id: Some(claims.sub),
            email: claims.email,
            roles: claims.roles,
            scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
            token_id: Some(claims.jti),
            session_id: claims.sid,
        }
    }

    /// The request's context from async-graphql `Data`; anonymous when none was attached.
    pub fn of<'a>(ctx: &Context<'a>) -> &'a AuthContext {
        ctx.data_opt::<AuthContext>().unwrap_or(&ANONYMOUS)
    }

    pub fn is_authenticated(&self) -> bool {
        self.user_id.is_some()
    }

    pub fn has_scope(&self, code: &str) -> bool {
        self.scopes.contains(code)
    }

    /// The user id, or an `UNAUTHENTICATED` GraphQL error.
    pub fn require_user(&self) -> async_graphql::Result<&str> {
        self.user_id.as_deref().ok_or_else(|| {
            async_graphql::Error::new("authentication required")
                .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
        })
    }

    /// `Ok` when the token grants `code`; `UNAUTHENTICATED` when anonymous, else `FORBIDDEN`.
    pub fn require_scope(&self, code: &str) -> async_graphql::Result<()> {
        self.require_user()?;
        if self.has_scope(code) {
            Ok(())
        } else {
            Err(
                async_graphql::Error::new(format!("missing permission {code}")).extend_with(
                    |_, e| {
                        e.set("code", "FORBIDDEN");
                        e.set("permission", code);
                    },
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_become_context() {
        let ctx = AuthContext::from_claims(AccessClaims {
            sub: "u1".into(),
            email: Some("a@b.c".into()),
            roles: vec!["admin".into()],
            scope: "blog.post.publish  identity.user.read".into(),
            iss: "i".into(),
            aud: "a".into(),
            iat: 0,
            exp: 1,
            nbf: None,
            jti: "j".into(),
            sid: None,
        });
        assert!(ctx.is_authenticated());
        assert!(ctx.has_scope("identity.user.read"));
        assert!(ctx.has_scope("blog.post.publish"));
        assert!(!ctx.has_scope("blog.post"));
        assert!(ctx.require_scope("identity.user.read").is_ok());
        assert!(ctx.require_scope("authz.role.assign").is_err());
        assert!(AuthContext::anonymous().require_user().is_err());
    }
}
