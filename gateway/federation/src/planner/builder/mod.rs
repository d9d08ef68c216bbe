//! Builds fetch groups by walking the normalized operation: each field goes to the group of
//! the current subgraph when that subgraph can resolve it there, otherwise to an entity fetch
//! on a subgraph that can, reached through a key the current subgraph can provide.
use super::PlanError;
use super::groups::{FetchGroup, GroupId};
use super::normalize::{NField, NSel};
use super::selection::{OutItem, Pos};
use crate::plan::{FlattenPathElement, OperationKind, RewritePathElement};
use crate::supergraph::field_set::{FieldSetItem, FieldSetTree};
use crate::supergraph::{GraphId, Supergraph};
use apollo_compiler::Name;
use std::collections::BTreeSet;

mod enum_check;
mod facts;
mod hop;
mod walk;

/// Cost of a field no subgraph can be hopped to for: far above any real plan.
const UNREACHABLE: usize = 1000;

/// Recursion bound for walks (client nesting plus planner hops).
const MAX_WALK_DEPTH: usize = 256;

type RespPath = Vec<FlattenPathElement>;

pub(crate) struct Builder<'a> {
    pub sg: &'a Supergraph,
    pub labels: &'a BTreeSet<String>,
    pub groups: Vec<FetchGroup>,
    /// Every group a walk added something to, in order: the dependencies of `@requires`.
    pub(super) touched: Vec<GroupId>,
    pub(super) depth: usize,
    /// The objects above the current position (nearest last): where `@fromContext`
    /// arguments look for their context.
    pub(super) ancestors: Vec<Ancestor>,
    /// Numbers `@fromContext` variables.
    pub(super) context_counter: usize,
}

/// An object on the way down: its type, where it is selected and where it lands.
#[derive(Debug, Clone)]
pub(super) struct Ancestor {
    pub type_name: Name,
    pub group: GroupId,
    pub pos: Pos,
    pub path: RespPath,
}

impl<'a> Builder<'a> {
    pub fn new(sg: &'a Supergraph, labels: &'a BTreeSet<String>) -> Self {
        Builder {
            sg,
            labels,
            groups: Vec::new(),
            touched: Vec::new(),
            depth: 0,
            ancestors: Vec::new(),
            context_counter: 0,
        }
    }

    pub(super) fn touch(&mut self, g: GroupId) {
        if self.touched.last() != Some(&g) {
            self.touched.push(g);
        }
    }

    pub fn new_root_group(&mut self, graph: GraphId, kind: OperationKind) -> GroupId {
        self.groups.push(FetchGroup {
            graph,
            root_kind: Some(kind),
            merge_path: Vec::new(),
            selection: Default::default(),
            requires: Vec::new(),
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            deps: BTreeSet::new(),
            context_inputs: Vec::new(),
        });
        self.groups.len() - 1
    }

    pub(super) fn find_or_create(
        &mut self,
        graph: GraphId,
        path: &RespPath,
        deps: BTreeSet<GroupId>,
    ) -> GroupId {
        if let Some(i) = self.groups.iter().position(|g| {
            g.root_kind.is_none() && g.graph == graph && g.merge_path == *path && g.deps == deps
        }) {
            return i;
        }
        self.groups.push(FetchGroup {
            graph,
            root_kind: None,
            merge_path: path.clone(),
            selection: Default::default(),
            requires: Vec::new(),
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            deps,
            context_inputs: Vec::new(),
        });
        self.groups.len() - 1
    }

    pub(super) fn add_typename(&mut self, g: GroupId, pos: &Pos) -> Result<(), PlanError> {
        let typename = Name::new_static_unchecked("__typename");
        self.groups[g]
            .selection
            .at_mut(pos)
            .ok_or(PlanError::Internal("selection position"))?
            .add_field(None, &typename, &[]);
        Ok(())
    }

    /// The path from a fetch's data root to `pos`, for rewrites.
    pub(super) fn rewrite_path(&self, g: GroupId, pos: &Pos) -> Vec<RewritePathElement> {
        let mut out = Vec::new();
        let mut cur = &self.groups[g].selection;
        for &i in pos {
            match cur.items.get(i) {
                Some(OutItem::Field {
                    alias, name, sub, ..
                }) => {
                    out.push(RewritePathElement::Key(
                        alias.as_ref().unwrap_or(name).to_string(),
                    ));
                    cur = sub;
                }
                Some(OutItem::Fragment {
                    type_condition,
                    sub,
                }) => {
                    out.push(RewritePathElement::TypenameEquals(
                        type_condition.to_string(),
                    ));
                    cur = sub;
                }
                None => break,
            }
        }
        out
    }

    /// Plans the root fields of an operation.
    pub fn plan_root(
        &mut self,
        kind: OperationKind,
        root: &Name,
        sels: &[NSel],
    ) -> Result<(), PlanError> {
        let mut fields = Vec::new();
        self.fields_for_object(root, sels, &mut fields);
        for f in fields {
            // `__typename` on a root type is answered by the router.
            if f.name == "__typename" {
                continue;
            }
            let candidates: Vec<GraphId> = self
                .resolving_graphs(root, &f.name)
                .into_iter()
                .filter(|(_, requires)| !requires)
                .map(|(g, _)| g)
                .collect();
            if candidates.is_empty() {
                return Err(PlanError::Unresolvable {
                    type_name: root.to_string(),
                    field: f.name.to_string(),
                    from: "the root".into(),
                });
            }
            let ty = self.field_type(root, &f.name)?;
            // Cheapest subgraph for the whole sub-selection; among equals, one already called.
            let existing_graph = |x: GraphId| {
                kind != OperationKind::Mutation
                    && self
                        .groups
                        .iter()
                        .any(|gr| gr.root_kind == Some(kind) && gr.graph == x)
            };
            let best = candidates
                .iter()
                .copied()
                .min_by_key(|x| {
                    (
                        self.remote_cost(*x, ty.inner_named_type(), &f.selections, 0),
                        !existing_graph(*x),
                        *x,
                    )
                })
                .ok_or(PlanError::Internal("root candidate"))?;
            let existing = if kind == OperationKind::Mutation {
                None
            } else {
                self.groups
                    .iter()
                    .position(|gr| gr.root_kind == Some(kind) && gr.graph == best)
            };
            let g = match existing {
                Some(g) => g,
                None => self.new_root_group(best, kind),
            };
            self.add_local(g, &Vec::new(), root, &f, &Vec::new(), None)?;
        }
        Ok(())
    }
}

/// A field set as planner-internal selections.
fn tree_to_nsel(tree: &FieldSetTree) -> Vec<NSel> {
    tree.items
        .iter()
        .map(|item| match item {
            FieldSetItem::Field { name, sub } => {
                NSel::Field(NField::internal(name.clone(), tree_to_nsel(sub)))
            }
            FieldSetItem::Fragment {
                type_condition,
                sub,
            } => NSel::Fragment {
                type_condition: type_condition.clone(),
                selections: tree_to_nsel(sub),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feeds() -> Supergraph {
        Supergraph::parse(include_str!("../../../tests/fixtures/feeds.graphql")).expect("fixture")
    }

    fn graphs(b: &Builder<'_>, t: &str, f: &str) -> Vec<String> {
        b.resolving_graphs(t, f)
            .into_iter()
            .map(|(g, _)| b.graph_name(g))
            .collect()
    }

    #[test]
    fn progressive_override_follows_the_label() {
        let sg = feeds();
        let off = BTreeSet::new();
        let b = Builder::new(&sg, &off);
        assert_eq!(graphs(&b, "User", "avatar"), ["users"]);
        let on: BTreeSet<String> = ["new-avatars".to_string()].into();
        let b = Builder::new(&sg, &on);
        assert_eq!(graphs(&b, "User", "avatar"), ["media"]);
    }

    #[test]
    fn external_and_used_overridden_do_not_resolve() {
        let sg = feeds();
        let labels = BTreeSet::new();
        let b = Builder::new(&sg, &labels);
        assert_eq!(graphs(&b, "Post", "slug"), ["media"]);
        assert_eq!(graphs(&b, "User", "name"), ["users"]);
        // No @join__field: wherever the type is.
        assert_eq!(graphs(&b, "User", "id"), ["media", "posts", "users"]);
    }

    #[test]
    fn provides_makes_external_fields_local_on_that_path_only() {
        let sg = feeds();
        let labels = BTreeSet::new();
        let b = Builder::new(&sg, &labels);
        let posts = sg.subgraph_by_name("posts").expect("posts");
        let provided = sg
            .field_model("Post", "author")
            .and_then(|f| f.join_for(posts))
            .and_then(|j| j.provides_selection.clone())
            .expect("provides");
        assert!(b.is_local(posts, "User", "name", Some(&provided)));
        assert!(!b.is_local(posts, "User", "name", None));
    }
}
