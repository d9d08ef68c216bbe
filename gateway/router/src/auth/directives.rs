//! Stage: authorization. Removes from the operation every field (and fragment) whose
//! `@authenticated` / `@requiresScopes` / `@policy` the request does not satisfy, before
//! planning, and reports each removal at its client path. The caller plans the filtered
//! operation and shapes the original one, so removed fields come back null (with null
//! propagation for non-null fields).
use std::collections::HashMap;

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Schema};

use super::requirements::Principal;
use crate::error::{GraphqlError, PathSegment};
use crate::facts::DirectiveFacts;

pub struct Authorized {
    /// The filtered document; `None` when nothing was removed.
    pub document: Option<Valid<ExecutableDocument>>,
    pub errors: Vec<GraphqlError>,
}

pub fn authorize(
    schema: &Valid<Schema>,
    facts: &DirectiveFacts,
    principal: &Principal<'_>,
    document: &Valid<ExecutableDocument>,
    operation_name: Option<&str>,
) -> Authorized {
    let unchanged = Authorized {
        document: None,
        errors: Vec::new(),
    };
    if !facts.has_auth() {
        return unchanged;
    }
    let Ok(operation) = document.operations.get(operation_name) else {
        return unchanged;
    };
    let mut walk = Walk {
        schema,
        facts,
        principal,
        document,
        fragments: HashMap::new(),
        errors: Vec::new(),
    };
    let mut root = operation.selection_set.clone();
    walk.selection_set(&mut root, &mut Vec::new());
    if walk.errors.is_empty() {
        return unchanged;
    }
    let mut filtered = (**document).clone();
    if let Ok(operation) = filtered.operations.get_mut(operation_name) {
        operation.selection_set = root;
    }
    for (name, set) in walk.fragments {
        if let Some(fragment) = filtered.fragments.get_mut(&name) {
            fragment.make_mut().selection_set = set;
        }
    }
    Authorized {
        // The filter only removes selections (and fills emptied sets with `__typename`),
        // which keeps a valid operation valid.
        document: Some(Valid::assume_valid(filtered)),
        errors: walk.errors,
    }
}

/// Whether `error` is the shaper's null-in-non-null report for a field the authorization
/// stage removed: same path, a list index standing for each `@`. The removal error already
/// explains that null.
pub fn explains_null(removed: &[Vec<PathSegment>], error: &GraphqlError) -> bool {
    let Some(path) = &error.path else {
        return false;
    };
    error.code().is_none()
        && removed.iter().any(|r| {
            r.len() == path.len()
                && r.iter().zip(path).all(|(r, p)| match (r, p) {
                    (PathSegment::Key(k), PathSegment::Index(_)) => k == "@",
                    (r, p) => r == p,
                })
        })
}

struct Walk<'a> {
    schema: &'a Valid<Schema>,
    facts: &'a DirectiveFacts,
    principal: &'a Principal<'a>,
    document: &'a ExecutableDocument,
    /// Filtered fragment bodies. Decisions depend only on types and fields, never on the
    /// path, so every spread of a fragment filters it the same way.
    fragments: HashMap<Name, SelectionSet>,
    errors: Vec<GraphqlError>,
}

impl Walk<'_> {
    fn selection_set(&mut self, set: &mut SelectionSet, path: &mut Vec<PathSegment>) {
        let parent = set.ty.clone();
        let had_any = !set.selections.is_empty();
        let mut kept = Vec::with_capacity(set.selections.len());
        for selection in std::mem::take(&mut set.selections) {
            match selection {
                Selection::Field(mut field) => {
                    let key = field.response_key().to_string();
                    let named = field.definition.ty.inner_named_type().clone();
                    let denied = self
                        .facts
                        .field_requirements(&parent, &field.name)
                        .chain(self.facts.type_requirements(&named))
                        .find_map(|r| self.principal.deny(r));
                    if let Some(code) = denied {
                        self.deny(path, key, code);
                        continue;
                    }
                    if !field.selection_set.selections.is_empty() {
                        path.push(PathSegment::Key(key));
                        let list = field.definition.ty.is_list();
                        if list {
                            path.push(PathSegment::Key("@".to_string()));
                        }
                        self.selection_set(&mut field.make_mut().selection_set, path);
                        if list {
                            path.pop();
                        }
                        path.pop();
                    }
                    kept.push(Selection::Field(field));
                }
                Selection::InlineFragment(mut inline) => {
                    if let Some(condition) = &inline.type_condition
                        && let Some(code) = self.type_denied(condition)
                    {
                        self.deny(path, format!("... on {condition}"), code);
                        continue;
                    }
                    self.selection_set(&mut inline.make_mut().selection_set, path);
                    kept.push(Selection::InlineFragment(inline));
                }
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        kept.push(Selection::FragmentSpread(spread));
                        continue;
                    };
                    let condition = fragment.type_condition().clone();
                    if let Some(code) = self.type_denied(&condition) {
                        self.deny(path, format!("... on {condition}"), code);
                        continue;
                    }
                    let mut body = fragment.selection_set.clone();
                    self.selection_set(&mut body, path);
                    self.fragments.insert(spread.fragment_name.clone(), body);
                    kept.push(Selection::FragmentSpread(spread));
                }
            }
        }
        if kept.is_empty()
            && had_any
            && let Ok(typename) = set.new_field(self.schema, apollo_compiler::name!("__typename"))
        {
            kept.push(Selection::Field(typename.into()));
        }
        set.selections = kept;
    }

    fn type_denied(&self, type_name: &Name) -> Option<&'static str> {
        self.facts
            .type_requirements(type_name)
            .find_map(|r| self.principal.deny(r))
    }

    fn deny(&mut self, path: &[PathSegment], key: String, code: &'static str) {
        let mut full = path.to_vec();
        let label = key.clone();
        full.push(PathSegment::Key(key));
        self.errors.push(
            GraphqlError::with_code(format!("Unauthorized field or type `{label}`"), code).at(full),
        );
    }
}
