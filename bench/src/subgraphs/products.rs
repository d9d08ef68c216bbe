//! `products`: owns `Product` (upc, name, price, weight) and `topProducts`.
use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};

use crate::data;

pub type ProductsSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[derive(SimpleObject)]
pub struct Product {
    upc: String,
    name: String,
    price: i32,
    weight: i32,
}

impl From<data::Product> for Product {
    fn from(product: data::Product) -> Self {
        Self {
            upc: product.upc,
            name: product.name,
            price: product.price,
            weight: product.weight,
        }
    }
}

pub struct Query;

#[Object]
impl Query {
    async fn top_products(&self, #[graphql(default = 5)] first: Option<i32>) -> Vec<Product> {
        // An explicit null or a negative count returns nothing.
        let first = first.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        data::products(first)
            .into_iter()
            .map(Product::from)
            .collect()
    }

    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
        data::product_by_upc(&upc).map(Product::from)
    }
}

pub fn schema() -> ProductsSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
