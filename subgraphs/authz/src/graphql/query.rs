use async_graphql::{Context, ID, Object};
use kit::auth::{AuthContext, RequirePermission};
use permissions::AUTHZ_ROLE_READ;

use super::types::{Permission, Role, User};
use super::{authz, gql, require_self_or_read};
use crate::store::{registry, roles};

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// Every role, by name.
    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_READ)",
        requires_scopes = "authz.role.read"
    )]
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        Ok(gql(roles::list(authz(ctx)?.db()).await)?
            .into_iter()
            .map(Role)
            .collect())
    }

    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_READ)",
        requires_scopes = "authz.role.read"
    )]
    async fn role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Role>> {
        Ok(gql(roles::find(authz(ctx)?.db(), &id).await)?.map(Role))
    }

    /// The permission registry, optionally of one module. Any signed-in user may read it.
    async fn permissions(
        &self,
        ctx: &Context<'_>,
        module: Option<String>,
    ) -> async_graphql::Result<Vec<Permission>> {
        AuthContext::of(ctx).require_user()?;
        Ok(gql(registry::list(authz(ctx)?.db(), module).await)?
            .into_iter()
            .map(Permission::from)
            .collect())
    }

    /// Whether `userId` holds `permission` now, by the database (a token issued earlier may
    /// still say otherwise for up to its lifetime). Oneself, or anyone with `authz.role.read`.
    async fn authorize(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        permission: String,
    ) -> async_graphql::Result<bool> {
        require_self_or_read(AuthContext::of(ctx), &user_id)?;
        gql(authz(ctx)?.authorize(&user_id, &permission).await)
    }

    /// The caller's permission codes now, sorted.
    async fn my_permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let me = AuthContext::of(ctx).require_user()?;
        Ok(gql(authz(ctx)?.grants(me).await)?.permissions)
    }

    /// Federation: authz contributes `roles` and `permissions` to identity's `User`.
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id: id.0 }
    }
}
