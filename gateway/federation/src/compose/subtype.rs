//! Field type compatibility across subgraphs (Apollo's default subtyping rules: nullability,
//! list item propagation, and object-implements-interface / member-of-union).
use apollo_compiler::ast::Type;
use std::collections::{HashMap, HashSet};

/// The abstract-type relations of the merged schema.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    /// type -> interfaces it implements (in any subgraph).
    pub implements: HashMap<String, HashSet<String>>,
    /// union -> members (in any subgraph).
    pub members: HashMap<String, HashSet<String>>,
}

impl Relations {
    fn named_subtype(&self, sup: &str, sub: &str) -> bool {
        self.implements.get(sub).is_some_and(|i| i.contains(sup))
            || self.members.get(sup).is_some_and(|m| m.contains(sub))
    }

    /// Whether `sub` is a subtype of `sup` or the same type.
    pub fn is_subtype_or_same(&self, sup: &Type, sub: &Type) -> bool {
        sup == sub || self.is_strict_subtype(sup, sub)
    }

    /// Whether `sub` is a strict subtype of `sup`.
    pub fn is_strict_subtype(&self, sup: &Type, sub: &Type) -> bool {
        match (sup, sub) {
            (Type::NonNullNamed(a), Type::NonNullNamed(b)) | (Type::Named(a), Type::Named(b)) => {
                a != b && self.named_subtype(a, b)
            }
            (Type::Named(a), Type::NonNullNamed(b)) => a == b || self.named_subtype(a, b),
            (Type::NonNullList(a), Type::NonNullList(b)) | (Type::List(a), Type::List(b)) => {
                self.is_strict_subtype(a, b)
            }
            (Type::List(a), Type::NonNullList(b)) => self.is_subtype_or_same(a, b),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::Name;

    fn named(n: &str) -> Type {
        Type::Named(Name::new(n).expect("valid name"))
    }

    #[test]
    fn nullability_and_lists() {
        let r = Relations::default();
        let s = named("String");
        assert!(r.is_strict_subtype(&s, &s.clone().non_null()));
        assert!(!r.is_strict_subtype(&s.clone().non_null(), &s));
        let list = s.clone().list();
        assert!(r.is_strict_subtype(&list, &s.clone().non_null().list().non_null()));
        assert!(!r.is_strict_subtype(&list, &s));
        assert!(!r.is_strict_subtype(&s, &named("Int")));
    }

    #[test]
    fn implementations() {
        let mut r = Relations::default();
        r.implements
            .entry("Book".into())
            .or_default()
            .insert("Media".into());
        assert!(r.is_strict_subtype(&named("Media"), &named("Book")));
        assert!(!r.is_strict_subtype(&named("Book"), &named("Media")));
    }
}
