//! The benchmark's data: computed from the index, never random, so every run (and the
//! expected response) sees the same values. Sizes are chosen so that the large operation's
//! response is 85-90 KB.

/// Number of users (`users` returns all of them).
pub const USERS: usize = 8;
/// Number of products; `topProducts(first:)` returns the first `first`.
pub const PRODUCTS: usize = 6;
/// Reviews written by each user.
pub const REVIEWS_PER_USER: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub upc: String,
    pub name: String,
    pub price: i32,
    pub weight: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub body: String,
    pub author_id: String,
    pub product_upc: String,
}

pub fn user(index: usize) -> User {
    User {
        id: (index + 1).to_string(),
        name: format!("User Number {}", index + 1),
        username: format!("@user{}", index + 1),
    }
}

pub fn users() -> Vec<User> {
    (0..USERS).map(user).collect()
}

pub fn user_by_id(id: &str) -> Option<User> {
    index_of(id, USERS).map(user)
}

pub fn product(index: usize) -> Product {
    let n = index + 1;
    Product {
        upc: n.to_string(),
        name: format!("Product Number {n}"),
        // Some products above 1000 so both shippingEstimate branches are exercised.
        price: (n * 337 % 1500) as i32,
        weight: (n * 53 % 400) as i32 + 10,
    }
}

pub fn products(first: usize) -> Vec<Product> {
    (0..first.min(PRODUCTS)).map(product).collect()
}

pub fn product_by_upc(upc: &str) -> Option<Product> {
    index_of(upc, PRODUCTS).map(product)
}

/// Review `index` is the `index % REVIEWS_PER_USER`-th review of user `index / REVIEWS_PER_USER`.
pub fn review(index: usize) -> Review {
    let author = index / REVIEWS_PER_USER;
    Review {
        id: (index + 1).to_string(),
        body: format!(
            "Review {} by user {}: solid, would recommend to a friend.",
            index + 1,
            author + 1
        ),
        author_id: (author + 1).to_string(),
        product_upc: (index % PRODUCTS + 1).to_string(),
    }
}

pub fn reviews_by_author(id: &str) -> Vec<Review> {
    match index_of(id, USERS) {
        Some(author) => (0..REVIEWS_PER_USER)
            .map(|k| review(author * REVIEWS_PER_USER + k))
            .collect(),
        None => Vec::new(),
    }
}

pub fn reviews_of_product(upc: &str) -> Vec<Review> {
    match index_of(upc, PRODUCTS) {
        Some(product) => (product..USERS * REVIEWS_PER_USER)
            .step_by(PRODUCTS)
            .map(review)
            .collect(),
        None => Vec::new(),
    }
}

pub fn in_stock(upc: &str) -> bool {
    index_of(upc, PRODUCTS).is_some_and(|index| index % 3 != 2)
}

/// The inventory's rule: free shipping above 1000, else half the weight.
pub fn shipping_estimate(price: i32, weight: i32) -> i32 {
    if price > 1000 { 0 } else { weight / 2 }
}

/// The zero-based index of the 1-based numeric `id`, if it names one of `count` items.
fn index_of(id: &str, count: usize) -> Option<usize> {
    id.parse::<usize>()
        .ok()
        .filter(|n| (1..=count).contains(n))
        .map(|n| n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_of_a_product_are_the_reviews_pointing_at_it() {
        let all: Vec<Review> = (0..USERS * REVIEWS_PER_USER).map(review).collect();
        for product in products(PRODUCTS) {
            let expected: Vec<Review> = all
                .iter()
                .filter(|r| r.product_upc == product.upc)
                .cloned()
                .collect();
            assert_eq!(reviews_of_product(&product.upc), expected);
        }
        for user in users() {
            let expected: Vec<Review> = all
                .iter()
                .filter(|r| r.author_id == user.id)
                .cloned()
                .collect();
            assert_eq!(reviews_by_author(&user.id), expected);
        }
    }

    #[test]
    fn unknown_ids_find_nothing() {
        assert_eq!(user_by_id("0"), None);
        assert_eq!(product_by_upc("x"), None);
        assert!(reviews_of_product("999").is_empty());
        assert!(!in_stock("999"));
    }
}
