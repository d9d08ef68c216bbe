//! `inventory`: adds `Product.inStock` and `Product.shippingEstimate`, which
//! `@requires(fields: "price weight")` from `products`.
use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, Object, Schema, SimpleObject,
};

use crate::data;

pub type InventorySchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    upc: String,
    // Owned by `products`; the gateway never resolves them here.
    #[graphql(external)]
    price: i32,
    #[graphql(external)]
    weight: i32,
    /// `price` and `weight` as the gateway sent them in the representation, if it did.
    #[graphql(skip)]
    required: Option<(i32, i32)>,
}

#[ComplexObject]
impl Product {
    async fn in_stock(&self) -> bool {
        data::in_stock(&self.upc)
    }

    /// Null when the gateway did not send the required `price` and `weight`.
    #[graphql(requires = "price weight")]
    async fn shipping_estimate(&self) -> Option<i32> {
        self.required
            .map(|(price, weight)| data::shipping_estimate(price, weight))
    }
}

pub struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_product_by_upc(
        &self,
        #[graphql(key)] upc: String,
        price: Option<i32>,
        weight: Option<i32>,
    ) -> Product {
        let required = price.zip(weight);
        let (price, weight) = required.unwrap_or_default();
        Product {
            upc,
            price,
            weight,
            required,
        }
    }
}

pub fn schema() -> InventorySchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
