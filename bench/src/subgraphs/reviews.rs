//! `reviews`: owns `Review` and adds `User.reviews` and `Product.reviews`.
use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
};

use crate::data;

pub type ReviewsSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    id: ID,
}

#[ComplexObject]
impl User {
    async fn reviews(&self) -> Vec<Review> {
        data::reviews_by_author(&self.id)
            .into_iter()
            .map(Review)
            .collect()
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    upc: String,
}

#[ComplexObject]
impl Product {
    async fn reviews(&self) -> Vec<Review> {
        data::reviews_of_product(&self.upc)
            .into_iter()
            .map(Review)
            .collect()
    }
}

pub struct Review(data::Review);

#[Object]
impl Review {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn author(&self) -> User {
        User {
            id: ID(self.0.author_id.clone()),
        }
    }

    async fn product(&self) -> Product {
        Product {
            upc: self.0.product_upc.clone(),
        }
    }
}

pub struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Product {
        Product { upc }
    }
}

pub fn schema() -> ReviewsSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
