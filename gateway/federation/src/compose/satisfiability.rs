//! A simplified satisfiability check: every field of the supergraph reachable from a root
//! field must be resolvable by some query plan.
//!
//! Starting from each root field in each subgraph that defines it, the check walks the
//! graph of types. At a type `T` reached in subgraph `S`, the subgraphs the planner can
//! move to are those with a resolvable `@key` on `T` (or on an `@interfaceObject` of an
//! interface `T` implements) whose top-level key fields are resolvable by a subgraph already
//! reached, transitively. A field of `T` that none of them resolves (nor a `@provides` on
//! the path) is unsatisfiable. Apollo's check is a full query-graph search; this one ignores
//! `@requires` conditions and nested key selections, and reports each field once.
use indexmap::IndexSet;
use std::collections::HashSet;

use super::errors::{CompositionError, ErrorCode};
use super::field_set::{self, Selection};
use super::merge::MergedSchema;
use super::subgraph::{Kind, SubgraphModel, TypeDef};

/// One step of the path from the root: a field, or a type condition.
#[derive(Clone)]
enum Step {
    Field(String),
    Fragment(String),
}

/// A type reached with the subgraphs the planner may be in and what they provide there.
type Visit = (String, Vec<usize>, Vec<(usize, String)>);

struct Checker<'a> {
    models: &'a [SubgraphModel],
    schema: &'a MergedSchema,
    visited: HashSet<Visit>,
    reported: HashSet<String>,
    errors: Vec<CompositionError>,
}

pub(crate) fn check(models: &[SubgraphModel], schema: &MergedSchema) -> Vec<CompositionError> {
    let mut checker = Checker {
        models,
        schema,
        visited: HashSet::new(),
        reported: HashSet::new(),
        errors: Vec::new(),
    };
    for root in ["Query", "Mutation", "Subscription"] {
        let Some(merged) = schema.types.get(root) else {
            continue;
        };
        for field in merged.fields.values() {
            let Some(ty) = &field.ty else { continue };
            // The planner may start the field in any subgraph that resolves it.
            let mut options = Vec::new();
            let mut provided = Vec::new();
            for (g, model) in models.iter().enumerate() {
                if let Some(f) = model.field(root, &field.name).filter(|f| !f.external) {
                    options.push(g);
                    provided.extend(
                        provided_fields(f.provides.as_deref())
                            .into_iter()
                            .map(|p| (g, p)),
                    );
                }
            }
            let path = vec![Step::Field(field.name.clone())];
            checker.explore(ty.inner_named_type().as_str(), &options, &path, &provided);
        }
    }
    checker.errors
}

/// Top-level field names of a `@provides` selection (per type condition when given).
fn provided_fields(provides: Option<&str>) -> Vec<String> {
    let Some(selections) = provides.and_then(|p| field_set::parse(p).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in selections {
        match s {
            Selection::Field { name, .. } => out.push(name),
            Selection::InlineFragment { children, .. } => {
                for c in children {
                    if let Selection::Field { name, .. } = c {
                        out.push(name);
                    }
                }
            }
        }
    }
    out
}

impl Checker<'_> {
    /// `T` as subgraph `g` sees it, including an `@interfaceObject` standing for it.
    fn types_in(&self, g: usize, type_name: &str) -> Vec<&TypeDef> {
        let model = &self.models[g];
        let mut out: Vec<&TypeDef> = model.types.get(type_name).into_iter().collect();
        if let Some(merged) = self.schema.types.get(type_name) {
            for itf in &merged.implements {
                if let Some(t) = model.types.get(itf).filter(|t| t.interface_object) {
                    out.push(t);
                }
            }
        }
        out
    }

    fn resolves(&self, g: usize, type_name: &str, field: &str) -> bool {
        self.types_in(g, type_name)
            .iter()
            .any(|t| t.fields.get(field).is_some_and(|f| !f.external))
    }

    /// Subgraphs reachable for `type_name` starting from `start`, through keys.
    fn reachable(&self, type_name: &str, start: usize) -> IndexSet<usize> {
        let mut reached: IndexSet<usize> = IndexSet::new();
        reached.insert(start);
        loop {
            let mut added = false;
            for g in 0..self.models.len() {
                if reached.contains(&g) {
                    continue;
                }
                let enterable = self.types_in(g, type_name).iter().any(|t| {
                    t.keys.iter().filter(|k| k.is_resolvable()).any(|k| {
                        let Some(selections) = &k.selections else {
                            return false;
                        };
                        selections.iter().all(|s| match s {
                            Selection::Field { name, .. } => {
                                reached.iter().any(|r| self.resolves(*r, type_name, name))
                            }
                            Selection::InlineFragment { .. } => true,
                        })
                    })
                });
                if enterable {
                    reached.insert(g);
                    added = true;
                }
            }
            if !added {
                return reached;
            }
        }
    }

    /// Checks the fields of `type_name` reached by `path`, where the planner may be in any
    /// of the `options` subgraphs (with `provided` external fields resolvable there).
    fn explore(
        &mut self,
        type_name: &str,
        options: &[usize],
        path: &[Step],
        provided: &[(usize, String)],
    ) {
        let Some(merged) = self.schema.types.get(type_name) else {
            return;
        };
        let key = (type_name.to_string(), options.to_vec(), provided.to_vec());
        if options.is_empty() || !self.visited.insert(key) {
            return;
        }
        let mut exploded: Vec<(String, Vec<usize>)> = Vec::new();
        match merged.kind {
            Kind::Union | Kind::Interface => {
                let mut possible: IndexSet<String> = IndexSet::new();
                for g in options {
                    for o in self.models[*g].possible_types(type_name) {
                        if o != type_name {
                            possible.insert(o.to_string());
                        }
                    }
                }
                for o in possible {
                    let here: Vec<usize> = options
                        .iter()
                        .copied()
                        .filter(|g| {
                            self.models[*g]
                                .possible_types(type_name)
                                .contains(&o.as_str())
                        })
                        .collect();
                    let mut p = path.to_vec();
                    p.push(Step::Fragment(o.clone()));
                    self.explore(&o, &here, &p, provided);
                    exploded.push((o, here));
                }
                if merged.kind == Kind::Union {
                    return;
                }
            }
            Kind::Object => {}
            _ => return,
        }
        let reached: Vec<(usize, IndexSet<usize>)> = options
            .iter()
            .map(|g| (*g, self.reachable(type_name, *g)))
            .collect();
        let fields: Vec<(String, String)> = merged
            .fields
            .values()
            .map(|f| {
                let inner =
                    f.ty.as_ref()
                        .map(|t| t.inner_named_type().to_string())
                        .unwrap_or_default();
                (f.name.clone(), inner)
            })
            .collect();
        for (field, inner) in fields {
            let mut resolvers: IndexSet<usize> = IndexSet::new();
            for (g, set) in &reached {
                if provided.iter().any(|(pg, pf)| pg == g && *pf == field) {
                    resolvers.insert(*g);
                }
                for r in set {
                    if self.resolves(*r, type_name, &field) {
                        resolvers.insert(*r);
                    }
                }
            }
            // An interface field the current subgraphs lack can still be planned through
            // the implementations (type explosion) when each of them can reach it.
            let through_implementations = !exploded.is_empty()
                && exploded.iter().all(|(object, here)| {
                    here.iter().any(|g| {
                        self.reachable(object, *g)
                            .iter()
                            .any(|r| self.resolves(*r, object, &field))
                    })
                });
            if resolvers.is_empty() && through_implementations {
                continue;
            }
            if resolvers.is_empty() {
                self.report(type_name, &field, options[0], path);
                continue;
            }
            let mut next_provided = Vec::new();
            for r in &resolvers {
                for t in self.types_in(*r, type_name) {
                    if let Some(f) = t.fields.get(&field) {
                        next_provided.extend(
                            provided_fields(f.provides.as_deref())
                                .into_iter()
                                .map(|p| (*r, p)),
                        );
                    }
                }
            }
            let mut p = path.to_vec();
            p.push(Step::Field(field.clone()));
            let resolvers: Vec<usize> = resolvers.into_iter().collect();
            self.explore(&inner, &resolvers, &p, &next_provided);
        }
    }

    fn report(&mut self, type_name: &str, field: &str, start: usize, path: &[Step]) {
        let coordinate = format!("{type_name}.{field}");
        if !self.reported.insert(coordinate.clone()) {
            return;
        }
        let mut steps = path.to_vec();
        steps.push(Step::Field(field.to_string()));
        let composite = self
            .schema
            .types
            .get(type_name)
            .and_then(|t| t.fields.get(field))
            .and_then(|f| f.ty.as_ref())
            .and_then(|t| self.schema.types.get(t.inner_named_type().as_str()))
            .is_some_and(|t| matches!(t.kind, Kind::Object | Kind::Interface | Kind::Union));
        let query = print_path(&steps, composite);
        let from = &self.models[start].name;
        let mut reasons = vec![format!("cannot find field \"{coordinate}\".")];
        let mut owners: Vec<usize> = (0..self.models.len())
            .filter(|o| *o != start && self.resolves(*o, type_name, field))
            .collect();
        owners.dedup();
        for o in owners {
            let owner = &self.models[o].name;
            let keys: Vec<_> = self
                .types_in(o, type_name)
                .iter()
                .flat_map(|t| t.keys.iter())
                .collect();
            let reason = if keys.is_empty() {
                format!(
                    "cannot move to subgraph \"{owner}\", which has field \"{coordinate}\", because type \"{type_name}\" has no @key defined in subgraph \"{owner}\"."
                )
            } else if keys.iter().all(|k| !k.is_resolvable()) {
                format!(
                    "cannot move to subgraph \"{owner}\", which has field \"{coordinate}\", because none of the @key defined on type \"{type_name}\" in subgraph \"{owner}\" are resolvable (they are all declared with their \"resolvable\" argument set to false)."
                )
            } else {
                let k = &keys[0].fields;
                format!(
                    "cannot move to subgraph \"{owner}\" using @key(fields: \"{k}\") of \"{type_name}\", the key field(s) cannot be resolved from subgraph \"{from}\"."
                )
            };
            reasons.push(reason);
        }
        self.errors.push(CompositionError::new(
            ErrorCode::SatisfiabilityError,
            Some(from),
            Some(&coordinate),
            format!(
                "The following supergraph API query:\n{query}\ncannot be satisfied by the subgraphs because:\n- from subgraph \"{from}\":{}",
                if reasons.len() == 1 {
                    format!(" {}", reasons[0])
                } else {
                    reasons.iter().map(|r| format!("\n  - {r}")).collect::<String>()
                }
            ),
        ));
    }
}

/// `{ a { ... on B { c } } }`, one selection per line, as Apollo shows the failing query.
fn print_path(steps: &[Step], leaf_is_composite: bool) -> String {
    let mut out = String::from("{\n");
    let mut depth = 1;
    for (i, step) in steps.iter().enumerate() {
        let indent = "  ".repeat(depth);
        let last = i + 1 == steps.len();
        match step {
            Step::Field(name) if last => {
                if leaf_is_composite {
                    out.push_str(&format!("{indent}{name} {{\n{indent}  ...\n{indent}}}\n"));
                } else {
                    out.push_str(&format!("{indent}{name}\n"));
                }
            }
            Step::Field(name) => {
                out.push_str(&format!("{indent}{name} {{\n"));
                depth += 1;
            }
            Step::Fragment(t) => {
                out.push_str(&format!("{indent}... on {t} {{\n"));
                depth += 1;
            }
        }
    }
    while depth > 1 {
        depth -= 1;
        out.push_str(&format!("{}}}\n", "  ".repeat(depth)));
    }
    out.push('}');
    out
}
