use async_graphql::{Context, ID, Object, SimpleObject};
use kit::auth::AuthContext;

use super::{authz, gql};
use crate::store::{PermissionRow, RoleRow, roles};

/// A named set of permissions.
pub struct Role(pub RoleRow);

#[Object]
impl Role {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// `admin` and `user` are built in: they cannot be deleted or renamed.
    async fn built_in(&self) -> bool {
        self.0.built_in
    }

    /// The permission codes the role grants, sorted.
    async fn permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let authz = authz(ctx)?;
        Ok(
            gql(roles::grants_of(authz.db(), vec![self.0.id.clone()]).await)?
                .into_iter()
                .map(|(_, code)| code)
                .collect(),
        )
    }
}

/// A permission some module declares in its manifest.
#[derive(SimpleObject)]
pub struct Permission {
    /// `{module}.{resource}.{action}`.
    pub code: String,
    pub module: String,
    pub description: String,
}

impl From<PermissionRow> for Permission {
    fn from(row: PermissionRow) -> Self {
        Self {
            code: row.code,
            module: row.module,
            description: row.description,
        }
    }
}

/// Identity's user, extended with what authz knows about them. Readable by the user
/// themself or with `authz.role.read`.
pub struct User {
    pub id: String,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    /// Roles held now, `user` included.
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        super::require_self_or_read(AuthContext::of(ctx), &self.id)?;
        let held = gql(authz(ctx)?.roles_of(&self.id).await)?;
        Ok(held.into_iter().map(Role).collect())
    }

    /// Permission codes held now, sorted.
    async fn permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        super::require_self_or_read(AuthContext::of(ctx), &self.id)?;
        Ok(gql(authz(ctx)?.grants(&self.id).await)?.permissions)
    }
}
