//! Diesel schema of authz's tables; portable types only (see the migrations).

diesel::table! {
    permissions (code) {
        code -> Text,
        module -> Text,
        description -> Text,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        built_in -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    role_permissions (role_id, permission_code) {
        role_id -> Text,
        permission_code -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> Text,
        role_id -> Text,
        granted_by -> Nullable<Text>,
        granted_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::allow_tables_to_appear_in_same_query!(permissions, roles, role_permissions, user_roles);
