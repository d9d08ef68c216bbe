//! Diesel schemas of blog's tables (portable types: ids `Text`, timestamps `BigInt` ms).

diesel::table! {
    posts (id) {
        id -> Text,
        author_id -> Text,
        title -> Text,
        content -> Text,
        slug -> Text,
        status -> Text,
        published_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    comments (id) {
        id -> Text,
        post_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::allow_tables_to_appear_in_same_query!(posts, comments);
