//! The responses the benchmark operations must produce, computed straight from [`crate::data`]
//! (not from a gateway run), so a gateway answer can be checked field by field.
use serde_json::{Map, Value, json};

use crate::data::{self, Product, Review, User};

/// `topProducts` without an argument returns this many products.
pub const TOP_PRODUCTS_DEFAULT: usize = 5;

fn user(user: &User) -> Map<String, Value> {
    object(json!({ "id": user.id, "name": user.name, "username": user.username }))
}

fn review(review: &Review) -> Map<String, Value> {
    object(json!({ "id": review.id, "body": review.body }))
}

fn product(product: &Product) -> Map<String, Value> {
    object(json!({
        "upc": product.upc,
        "name": product.name,
        "price": product.price,
        "weight": product.weight,
        "inStock": data::in_stock(&product.upc),
        "shippingEstimate": data::shipping_estimate(product.price, product.weight),
    }))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn with(mut map: Map<String, Value>, key: &str, value: Value) -> Value {
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// The review's author, rendered by `render` (null if the data had a dangling id).
fn author_of(review: &Review, render: impl Fn(&User) -> Value) -> Value {
    data::user_by_id(&review.author_id).map_or(Value::Null, |u| render(&u))
}

fn product_of(review: &Review, render: impl Fn(&Product) -> Value) -> Value {
    data::product_by_upc(&review.product_upc).map_or(Value::Null, |p| render(&p))
}

fn plain_product(item: &Product) -> Value {
    Value::Object(product(item))
}

/// `...User reviews { ...Review product { ...Product } }`
fn author_with_reviews(author: &User) -> Value {
    let reviews = data::reviews_by_author(&author.id)
        .iter()
        .map(|r| with(review(r), "product", product_of(r, plain_product)))
        .collect();
    with(user(author), "reviews", Value::Array(reviews))
}

/// `...Product reviews { ...Review author { <author_with_reviews> } }`
fn product_with_reviews(item: &Product) -> Value {
    let reviews = data::reviews_of_product(&item.upc)
        .iter()
        .map(|r| with(review(r), "author", author_of(r, author_with_reviews)))
        .collect();
    with(product(item), "reviews", Value::Array(reviews))
}

/// The full response (`{"data": ...}`) to `operations/large.graphql`.
pub fn large() -> Value {
    let users: Vec<Value> = data::users()
        .iter()
        .map(|u| {
            let reviews = data::reviews_by_author(&u.id)
                .iter()
                .map(|r| with(review(r), "product", product_of(r, product_with_reviews)))
                .collect();
            with(user(u), "reviews", Value::Array(reviews))
        })
        .collect();
    let top: Vec<Value> = data::products(TOP_PRODUCTS_DEFAULT)
        .iter()
        .map(product_with_reviews)
        .collect();
    json!({ "data": { "users": users, "topProducts": top } })
}

/// The full response to `operations/small.graphql`.
pub fn small() -> Value {
    let top: Vec<Value> = data::products(5)
        .iter()
        .map(|p| json!({ "upc": p.upc, "name": p.name, "price": p.price, "weight": p.weight }))
        .collect();
    json!({ "data": { "topProducts": top } })
}
