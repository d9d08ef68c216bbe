//! Every mutation runs with its permission and is refused without it: `FORBIDDEN`, and no row
//! (nor event) written.

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{self, Backend, Platform};

/// Every authz code, so a token can hold all but one.
fn authz_codes() -> Vec<&'static str> {
    permissions::MODULES
        .iter()
        .filter(|m| m.module == "authz")
        .flat_map(|m| m.permissions.iter().map(|p| p.code))
        .collect()
}

struct Case {
    code: &'static str,
    query: &'static str,
    variables: Value,
    event: &'static str,
}

async fn create_role(platform: &Platform, token: &str, name: &str) -> String {
    platform
        .authz_ok(
            "mutation($n: String!) { createRole(input: { name: $n }) { id } }",
            json!({ "n": name }),
            Some(token),
        )
        .await["createRole"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn each_mutation_needs_its_permission(backend: Backend) {
    let platform = support::start(backend).await;
    let actor = uuid::Uuid::now_v7().to_string();
    let everything = platform.token_with(&actor, &authz_codes());
    let user = uuid::Uuid::now_v7().to_string();
    let target = create_role(&platform, &everything, "target").await;
    let doomed = create_role(&platform, &everything, "doomed").await;
    let assigned = create_role(&platform, &everything, "assigned").await;
    platform
        .authz_ok(
            "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
            json!({ "u": user, "r": assigned }),
            Some(&everything),
        )
        .await;
    platform
        .authz_ok(
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": target, "p": permissions::BLOG_POST_DELETE }),
            Some(&everything),
        )
        .await;

    let cases = [
        Case {
            code: permissions::AUTHZ_ROLE_CREATE,
            query: "mutation { createRole(input: { name: \"editor\", description: \"Edits\" }) { name description builtIn } }",
            variables: json!({}),
            event: permissions::events::AUTHZ_ROLE_CREATED,
        },
        Case {
            code: permissions::AUTHZ_ROLE_UPDATE,
            query: "mutation($r: ID!) { updateRole(id: $r, input: { description: \"Renamed\" }) { description } }",
            variables: json!({ "r": target }),
            event: permissions::events::AUTHZ_ROLE_UPDATED,
        },
        Case {
            code: permissions::AUTHZ_PERMISSION_GRANT,
            query: "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { permissions } }",
            variables: json!({ "r": target, "p": permissions::BLOG_POST_PUBLISH }),
            event: permissions::events::AUTHZ_PERMISSION_GRANTED,
        },
        Case {
            code: permissions::AUTHZ_PERMISSION_REVOKE,
            query: "mutation($r: ID!, $p: String!) { revokePermission(roleId: $r, permission: $p) { permissions } }",
            variables: json!({ "r": target, "p": permissions::BLOG_POST_DELETE }),
            event: permissions::events::AUTHZ_PERMISSION_REVOKED,
        },
        Case {
            code: permissions::AUTHZ_ROLE_ASSIGN,
            query: "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { name } }",
            variables: json!({ "u": user, "r": target }),
            event: permissions::events::AUTHZ_ROLE_ASSIGNED,
        },
        Case {
            code: permissions::AUTHZ_ROLE_REVOKE,
            query: "mutation($u: ID!, $r: ID!) { revokeRole(userId: $u, roleId: $r) }",
            variables: json!({ "u": user, "r": assigned }),
            event: permissions::events::AUTHZ_ROLE_REVOKED,
        },
        Case {
            code: permissions::AUTHZ_ROLE_DELETE,
            query: "mutation($r: ID!) { deleteRole(id: $r) }",
            variables: json!({ "r": doomed }),
            event: permissions::events::AUTHZ_ROLE_DELETED,
        },
    ];
    for case in cases {
        let before = platform.table_counts().await;
        // Anonymous: UNAUTHENTICATED. Every other authz permission but this one: FORBIDDEN.
        let anonymous = platform
            .authz(case.query, case.variables.clone(), None)
            .await;
        assert_eq!(
            support::error_code(&anonymous),
            "UNAUTHENTICATED",
            "{}",
            case.code
        );
        let others: Vec<&str> = authz_codes()
            .into_iter()
            .filter(|c| *c != case.code)
            .collect();
        let without = platform.token_with(&actor, &others);
        let refused = platform
            .authz(case.query, case.variables.clone(), Some(&without))
            .await;
        assert_eq!(
            support::error_code(&refused),
            "FORBIDDEN",
            "{}: {refused:#}",
            case.code
        );
        assert_eq!(refused["errors"][0]["extensions"]["permission"], case.code);
        assert_eq!(
            platform.table_counts().await,
            before,
            "{} wrote while refused",
            case.code
        );

        let only = platform.token_with(&actor, &[case.code]);
        let allowed = platform
            .authz(case.query, case.variables.clone(), Some(&only))
            .await;
        assert!(
            allowed.get("errors").is_none(),
            "{}: {allowed:#}",
            case.code
        );
        let types = platform.outbox_types().await;
        assert_eq!(
            types.last().map(String::as_str),
            Some(case.event),
            "{}",
            case.code
        );
        let after = platform.table_counts().await;
        assert_eq!(
            after[4],
            before[4] + 1,
            "{}: one event per change",
            case.code
        );
    }

    // What the allowed calls did.
    let roles = platform
        .authz_ok(
            "{ roles { id name description permissions } }",
            json!({}),
            Some(&everything),
        )
        .await;
    let roles = roles["roles"].as_array().expect("roles");
    let by_name = |name: &str| roles.iter().find(|r| r["name"] == name).cloned();
    assert!(by_name("editor").is_some());
    assert!(by_name("doomed").is_none());
    let target = by_name("target").expect("target");
    assert_eq!(target["description"], "Renamed");
    assert_eq!(
        target["permissions"],
        json!([permissions::BLOG_POST_PUBLISH])
    );
    let held = platform
        .authz_ok(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { roles { name } } } }",
            json!({ "r": [{ "__typename": "User", "id": user }] }),
            Some(&everything),
        )
        .await;
    let names: Vec<&str> = held["_entities"][0]["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, vec!["user", "target"]);
}

async fn built_in_roles_and_bad_input(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let roles = platform
        .authz_ok("{ roles { id name builtIn } }", json!({}), Some(&admin))
        .await;
    let id_of = |name: &str| {
        roles["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .find(|r| r["name"] == name)
            .expect("built-in role")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (admin_role, user_role) = (id_of("admin"), id_of("user"));
    let before = platform.table_counts().await;
    let refused = [
        (
            "mutation($r: ID!) { deleteRole(id: $r) }",
            json!({ "r": admin_role }),
        ),
        (
            "mutation($r: ID!) { deleteRole(id: $r) }",
            json!({ "r": user_role }),
        ),
        (
            "mutation($r: ID!) { updateRole(id: $r, input: { name: \"boss\" }) { id } }",
            json!({ "r": admin_role }),
        ),
        (
            "mutation($r: ID!, $p: String!) { revokePermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": admin_role, "p": permissions::AUTHZ_ROLE_READ }),
        ),
        (
            "mutation($r: ID!) { grantPermission(roleId: $r, permission: \"blog.post.fly\") { id } }",
            json!({ "r": user_role }),
        ),
        (
            "mutation { createRole(input: { name: \"admin\" }) { id } }",
            json!({}),
        ),
        (
            "mutation { createRole(input: { name: \"Bad Name\" }) { id } }",
            json!({}),
        ),
    ];
    for (query, variables) in refused {
        let body = platform.authz(query, variables.clone(), Some(&admin)).await;
        assert_eq!(
            support::error_code(&body),
            "BAD_USER_INPUT",
            "{query} {variables}: {body:#}"
        );
    }
    assert_eq!(platform.table_counts().await, before);
    let authorize = platform
        .authz(
            "query($u: ID!) { authorize(userId: $u, permission: \"blog.post.fly\") }",
            json!({ "u": uuid::Uuid::now_v7().to_string() }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&authorize), "BAD_USER_INPUT");
}

on_both_backends!(
    each_mutation_needs_its_permission,
    built_in_roles_and_bad_input
);
