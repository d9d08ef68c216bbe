use async_graphql::{Context, ID, InputObject, Object};

use super::types::{AuthPayload, User};
use super::{IntoGraphql as _, identity, request_meta};
use crate::accounts::{ProfileInput, RegisterInput};

#[derive(InputObject)]
#[graphql(name = "RegisterInput")]
pub struct RegisterArgs {
    pub email: String,
    /// 3-32 of a-z, 0-9, `_`, `.`, `-`.
    pub username: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Absent fields stay unchanged; an empty name clears it.
#[derive(InputObject)]
#[graphql(name = "UpdateProfileInput")]
pub struct UpdateProfileArgs {
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates an account and mails a verification link.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterArgs,
    ) -> async_graphql::Result<User> {
        let input = RegisterInput {
            email: input.email,
            username: input.username,
            password: input.password,
            first_name: input.first_name,
            last_name: input.last_name,
        };
        let user = identity(ctx)?
            .register(input, &request_meta(ctx))
            .await
            .gql()?;
        Ok(User::owned(user))
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let payload = identity(ctx)?
            .login(&email, &password, &request_meta(ctx))
            .await
            .gql()?;
        Ok(payload.into())
    }

    /// Exchanges a refresh token for a new access and refresh token (the old one is spent).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let payload = identity(ctx)?
            .refresh(&refresh_token, &request_meta(ctx))
            .await
            .gql()?;
        Ok(payload.into())
    }

    /// Ends this session (by refresh token, or the access token's session), or all sessions.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
        #[graphql(default = false)] all: bool,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .logout(refresh_token.as_deref(), all, &request_meta(ctx))
            .await
            .gql()
    }

    async fn request_email_verification(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        identity(ctx)?
            .request_email_verification(&request_meta(ctx))
            .await
            .gql()
    }

    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<User> {
        let user = identity(ctx)?
            .verify_email(&token, &request_meta(ctx))
            .await
            .gql()?;
        Ok(User::owned(user))
    }

    /// Always true for a well-formed email, whether or not it has an account.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .request_password_reset(&email, &request_meta(ctx))
            .await
            .gql()
    }

    /// Sets a new password with a reset token; every session of the account ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .reset_password(&token, &new_password, &request_meta(ctx))
            .await
            .gql()
    }

    /// Every other session of the account ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .change_password(&current_password, &new_password, &request_meta(ctx))
            .await
            .gql()
    }

    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileArgs,
    ) -> async_graphql::Result<User> {
        let input = ProfileInput {
            username: input.username,
            first_name: input.first_name,
            last_name: input.last_name,
        };
        let user = identity(ctx)?
            .update_profile(input, &request_meta(ctx))
            .await
            .gql()?;
        Ok(User::owned(user))
    }

    /// Deletes one's own account, or any with `identity.user.delete`.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        identity(ctx)?
            .delete_user(&id, &request_meta(ctx))
            .await
            .gql()
    }
}
