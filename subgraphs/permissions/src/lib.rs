//! The permission registry as code: every module's `module.yaml` (under `subgraphs/`) compiled
//! into constants, so code names a permission as `permissions::BLOG_POST_PUBLISH` and never
//! spells `"blog.post.publish"` itself, and a typo is a compile error.
//!
//! What it is for: the declared codes and event types, and [`MODULES`], which authz seeds its
//! registry from. What it is not for: deciding who holds a permission (authz) or checking one
//! (`kit::auth::guard`).

/// One permission a module declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionDecl {
    /// `{module}.{resource}.{action}`.
    pub code: &'static str,
    pub description: &'static str,
}

/// One module's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleManifest {
    pub module: &'static str,
    /// The subgraph that serves the module.
    pub subgraph: &'static str,
    pub permissions: &'static [PermissionDecl],
    /// Event types the module emits.
    pub events: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/manifests.rs"));

/// Every declared permission code, in manifest order.
pub fn all_codes() -> impl Iterator<Item = &'static str> {
    MODULES
        .iter()
        .flat_map(|m| m.permissions.iter().map(|p| p.code))
}

/// Whether `code` is declared by some manifest.
pub fn is_declared(code: &str) -> bool {
    all_codes().any(|c| c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_manifests() {
        assert_eq!(BLOG_POST_PUBLISH, "blog.post.publish");
        assert_eq!(AUTHZ_ROLE_ASSIGN, "authz.role.assign");
        assert_eq!(events::AUTHZ_ROLE_ASSIGNED, "authz.role.assigned");
        assert!(is_declared(IDENTITY_USER_READ));
        assert!(!is_declared("blog.post"));
        let blog = MODULES
            .iter()
            .find(|m| m.module == "blog")
            .expect("blog manifest");
        assert_eq!(blog.subgraph, "blog");
        assert!(
            blog.permissions
                .iter()
                .any(|p| p.code == BLOG_COMMENT_MODERATE)
        );
        // Every code belongs to the module that declares it.
        for module in MODULES {
            for p in module.permissions {
                assert!(
                    p.code.starts_with(&format!("{}.", module.module)),
                    "{}",
                    p.code
                );
            }
        }
    }
}
