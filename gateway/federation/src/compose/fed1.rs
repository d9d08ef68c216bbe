//! Upgrading a Federation 1 subgraph (no federation `@link`) to Federation 2 semantics, as
//! Apollo's schema upgrader does before merging.
use std::collections::HashSet;

use super::field_set::Selection;
use super::subgraph::{Kind, SubgraphModel};

/// Federation 1 semantics expressed in Federation 2 terms, as Apollo's schema upgrader does:
/// type extensions become definitions, `@external` on key fields of extensions is dropped,
/// keys and `@external` on interfaces are dropped (fed1 ignored them), and every field is
/// shareable (see [`SubgraphModel::is_shareable`]).
pub(crate) fn upgrade_fed1(model: &mut SubgraphModel) {
    for ty in model.types.values_mut() {
        if ty.kind == Kind::Interface {
            ty.keys.clear();
            for f in ty.fields.values_mut() {
                f.external = false;
            }
        }
        let key_fields: HashSet<String> = ty
            .keys
            .iter()
            .filter_map(|k| k.selections.as_ref())
            .flatten()
            .filter_map(|s| match s {
                Selection::Field { name, .. } => Some(name.clone()),
                Selection::InlineFragment { .. } => None,
            })
            .collect();
        if ty.has_extension || ty.extends {
            for f in ty.fields.values_mut() {
                if key_fields.contains(&f.name) {
                    f.external = false;
                }
            }
        }
        for k in &mut ty.keys {
            k.on_extension = false;
        }
        ty.extends = false;
        if ty.has_extension {
            ty.has_extension = false;
            ty.has_definition = true;
        }
    }
    // @provides on a field whose type is not composite was ignored by fed1.
    let composite: HashSet<String> = model
        .types
        .values()
        .filter(|t| matches!(t.kind, Kind::Object | Kind::Interface | Kind::Union))
        .map(|t| t.name.clone())
        .collect();
    for ty in model.types.values_mut() {
        for f in ty.fields.values_mut() {
            if f.provides.is_some() && !composite.contains(f.ty.inner_named_type().as_str()) {
                f.provides = None;
            }
        }
    }
}

/// Federation 1 tolerated `@external` fields nothing used; Federation 2 rejects them, so
/// the upgrade removes them.
pub(crate) fn remove_unused_externals(model: &mut SubgraphModel) {
    let used = model.used_in_field_sets.clone();
    for ty in model.types.values_mut() {
        let name = ty.name.clone();
        ty.fields
            .retain(|f, field| !field.external || used.contains(&(name.clone(), f.clone())));
    }
}
