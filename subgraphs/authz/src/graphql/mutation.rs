use async_graphql::{Context, ID, InputObject, Object};
use kit::auth::RequirePermission;
use permissions::{
    AUTHZ_PERMISSION_GRANT, AUTHZ_PERMISSION_REVOKE, AUTHZ_ROLE_ASSIGN, AUTHZ_ROLE_CREATE,
    AUTHZ_ROLE_DELETE, AUTHZ_ROLE_REVOKE, AUTHZ_ROLE_UPDATE,
};

use super::types::Role;
use super::{actor, authz, gql};
use crate::errors::AuthzError;

#[derive(InputObject)]
pub struct CreateRoleInput {
    /// 2-64 characters of a-z, 0-9, `_`, `-`; unique.
    pub name: String,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateRoleInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub struct Mutation;

#[Object]
impl Mutation {
    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_CREATE)",
        requires_scopes = "authz.role.create"
    )]
    async fn create_role(
        &self,
        ctx: &Context<'_>,
        input: CreateRoleInput,
    ) -> async_graphql::Result<Role> {
        let role = authz(ctx)?
            .create_role(&input.name, input.description, &actor(ctx))
            .await;
        gql(role).map(Role)
    }

    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_UPDATE)",
        requires_scopes = "authz.role.update"
    )]
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateRoleInput,
    ) -> async_graphql::Result<Role> {
        let role = authz(ctx)?
            .update_role(&id, input.name, input.description, &actor(ctx))
            .await;
        gql(role).map(Role)
    }

    /// Deletes a role with its grants and assignments; built-in roles are refused.
    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_DELETE)",
        requires_scopes = "authz.role.delete"
    )]
    async fn delete_role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        gql(authz(ctx)?.delete_role(&id, &actor(ctx)).await).map(|()| true)
    }

    /// Grants a registered permission to a role; an unknown code is `BAD_USER_INPUT`.
    #[graphql(
        guard = "RequirePermission(AUTHZ_PERMISSION_GRANT)",
        requires_scopes = "authz.permission.grant"
    )]
    async fn grant_permission(
        &self,
        ctx: &Context<'_>,
        role_id: ID,
        permission: String,
    ) -> async_graphql::Result<Role> {
        gql(authz(ctx)?.grant(&role_id, &permission, &actor(ctx)).await).map(Role)
    }

    /// `admin` always holds every permission: revoking from it is refused.
    #[graphql(
        guard = "RequirePermission(AUTHZ_PERMISSION_REVOKE)",
        requires_scopes = "authz.permission.revoke"
    )]
    async fn revoke_permission(
        &self,
        ctx: &Context<'_>,
        role_id: ID,
        permission: String,
    ) -> async_graphql::Result<Role> {
        gql(authz(ctx)?.revoke(&role_id, &permission, &actor(ctx)).await).map(Role)
    }

    /// Assigns a role, optionally until `expiresAt` (RFC 3339). The user's tokens carry it
    /// from their next login or refresh.
    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_ASSIGN)",
        requires_scopes = "authz.role.assign"
    )]
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role_id: ID,
        expires_at: Option<String>,
    ) -> async_graphql::Result<Role> {
        let expires_at = gql(expires_at.as_deref().map(parse_rfc3339).transpose())?;
        let role = authz(ctx)?
            .assign(&user_id, &role_id, expires_at, &actor(ctx))
            .await;
        gql(role).map(Role)
    }

    /// Revokes a role; removing the last admin is refused. Tokens already issued keep the
    /// role until their next refresh (at most 15 minutes); revoking `admin` also ends the
    /// user's sessions (identity revokes their refresh tokens on the event).
    #[graphql(
        guard = "RequirePermission(AUTHZ_ROLE_REVOKE)",
        requires_scopes = "authz.role.revoke"
    )]
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role_id: ID,
    ) -> async_graphql::Result<bool> {
        gql(authz(ctx)?
            .revoke_role(&user_id, &role_id, &actor(ctx))
            .await)
    }
}

/// Unix milliseconds of an RFC 3339 timestamp.
fn parse_rfc3339(value: &str) -> Result<i64, AuthzError> {
    time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
        .map(kit::events::unix_millis)
        .map_err(|_| AuthzError::invalid("expiresAt must be an RFC 3339 timestamp"))
}
