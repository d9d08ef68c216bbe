//! `accounts`: owns `User` (id, name, username) and the `users` root field.
use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};

use crate::data;

pub type AccountsSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[derive(SimpleObject)]
pub struct User {
    id: ID,
    name: String,
    username: String,
}

impl From<data::User> for User {
    fn from(user: data::User) -> Self {
        Self {
            id: ID(user.id),
            name: user.name,
            username: user.username,
        }
    }
}

pub struct Query;

#[Object]
impl Query {
    async fn users(&self) -> Vec<User> {
        data::users().into_iter().map(User::from).collect()
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Option<User> {
        data::user_by_id(&id).map(User::from)
    }
}

pub fn schema() -> AccountsSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
