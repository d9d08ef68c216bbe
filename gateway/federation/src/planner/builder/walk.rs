//! The walk over the client selection: local fields stay in the group, others hop.
use super::super::PlanError;
use super::super::groups::GroupId;
use super::super::normalize::{NField, NSel};
use super::super::selection::{OutItem, Pos};
use super::{Ancestor, Builder, MAX_WALK_DEPTH, RespPath};
use crate::plan::{FetchRewrite, FlattenPathElement, RewritePathElement};
use crate::supergraph::TypeKind;
use crate::supergraph::field_set::FieldSetTree;
use apollo_compiler::Name;

impl Builder<'_> {
    /// Plans `sels` (on `parent`) into group `g` at `pos`; `path` is the response path.
    pub fn walk(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        self.depth += 1;
        if self.depth > MAX_WALK_DEPTH {
            self.depth -= 1;
            return Err(PlanError::TooDeep);
        }
        self.touch(g);
        let graph = self.groups[g].graph;
        let kind = self
            .sg
            .type_model(parent)
            .map(|t| (t.kind, t.is_interface_object_in(graph)));
        let result = match kind {
            Some((TypeKind::Interface, true)) => {
                self.walk_interface_object(g, pos, parent, sels, path, provided)
            }
            Some((TypeKind::Interface | TypeKind::Union, false)) => {
                self.walk_abstract(g, pos, parent, sels, path, provided)
            }
            _ => self.walk_object(g, pos, parent, sels, path, provided),
        };
        self.depth -= 1;
        result
    }

    /// Fields that apply to an object of type `parent`, through matching fragments.
    pub(super) fn fields_for_object(&self, parent: &str, sels: &[NSel], out: &mut Vec<NField>) {
        for sel in sels {
            match sel {
                NSel::Field(f) => out.push(f.clone()),
                NSel::Fragment {
                    type_condition,
                    selections,
                } => {
                    let applies = match type_condition {
                        None => true,
                        Some(c) => c == parent || self.sg.schema().is_subtype(c, parent),
                    };
                    if applies {
                        self.fields_for_object(parent, selections, out);
                    }
                }
            }
        }
    }

    pub(super) fn walk_object(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        let mut fields = Vec::new();
        self.fields_for_object(parent, sels, &mut fields);
        let mut remote = Vec::new();
        for f in fields {
            if f.name == "__typename" {
                self.add_typename(g, pos)?;
                if f.alias.is_some() {
                    self.add_local(g, pos, parent, &f, path, provided)?;
                }
            } else if self.is_local(graph, parent, &f.name, provided)
                && (provided.is_some() || !self.better_elsewhere(graph, parent, &f))
            {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else {
                remote.push(f);
            }
        }
        if !remote.is_empty() {
            self.hop(g, pos, parent, remote, path)?;
        }
        Ok(())
    }

    /// Splits selections on an abstract type into fields on the type itself and
    /// fragments with other conditions.
    pub(super) fn split_abstract(
        &self,
        parent: &str,
        sels: &[NSel],
        direct: &mut Vec<NField>,
        fragments: &mut Vec<(Name, Vec<NSel>)>,
    ) {
        for sel in sels {
            match sel {
                NSel::Field(f) => direct.push(f.clone()),
                NSel::Fragment {
                    type_condition,
                    selections,
                } => match type_condition {
                    Some(c) if c != parent => fragments.push((c.clone(), selections.clone())),
                    _ => self.split_abstract(parent, selections, direct, fragments),
                },
            }
        }
    }

    pub(super) fn walk_abstract(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        // The router needs the runtime type to apply the client's fragments.
        self.add_typename(g, pos)?;
        let is_interface = self
            .sg
            .type_model(parent)
            .is_some_and(|t| t.kind == TypeKind::Interface);
        let mut direct = Vec::new();
        let mut fragments = Vec::new();
        self.split_abstract(parent, sels, &mut direct, &mut fragments);
        let mut per_type = Vec::new();
        let mut remote_on_interface = Vec::new();
        for f in direct {
            if f.name == "__typename" {
                if f.alias.is_some() {
                    self.add_local(g, pos, parent, &f, path, provided)?;
                }
                continue;
            }
            if is_interface && self.is_local(graph, parent, &f.name, provided) {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else if is_interface && self.interface_entity_reachable(graph, parent, &f.name) {
                remote_on_interface.push(f);
            } else {
                per_type.push(NSel::Field(f));
            }
        }
        if !remote_on_interface.is_empty() {
            self.hop(g, pos, parent, remote_on_interface, path)?;
        }
        let possible: Vec<Name> = self
            .sg
            .possible_types(parent)
            .into_iter()
            .filter(|c| self.sg.graph_knows_possible_type(graph, parent, c))
            .collect();
        for object in possible {
            let mut sub = per_type.clone();
            for (cond, selections) in &fragments {
                if cond == &object || self.sg.schema().is_subtype(cond, &object) {
                    sub.push(NSel::Fragment {
                        type_condition: Some(cond.clone()),
                        selections: selections.clone(),
                    });
                }
            }
            if sub.is_empty() {
                continue;
            }
            let idx = self.groups[g]
                .selection
                .at_mut(pos)
                .ok_or(PlanError::Internal("selection position"))?
                .add_fragment(&object);
            let mut frag_pos = pos.clone();
            frag_pos.push(idx);
            self.walk(g, &frag_pos, &object, &sub, path, provided)?;
        }
        Ok(())
    }

    pub(super) fn walk_interface_object(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        let mut direct = Vec::new();
        let mut fragments = Vec::new();
        self.split_abstract(parent, sels, &mut direct, &mut fragments);
        // This subgraph answers `__typename` with the interface's name: the real type, and
        // anything type-specific, comes from a subgraph that knows the implementations.
        let mut for_owner: Vec<NSel> = Vec::new();
        let mut remote = Vec::new();
        for f in direct {
            if f.name == "__typename" {
                if f.internal {
                    self.add_typename(g, pos)?;
                } else {
                    for_owner.push(NSel::Field(f));
                }
            } else if self.is_local(graph, parent, &f.name, provided) {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else {
                remote.push(f);
            }
        }
        for (cond, selections) in fragments {
            for_owner.push(NSel::Fragment {
                type_condition: Some(cond),
                selections,
            });
        }
        if !remote.is_empty() {
            self.hop(g, pos, parent, remote, path)?;
        }
        if !for_owner.is_empty() {
            let tm = self
                .sg
                .type_model(parent)
                .ok_or(PlanError::Internal("interface model"))?;
            let owner = (0..self.sg.subgraphs().len())
                .find(|x| {
                    tm.in_graph(*x)
                        && !tm.is_interface_object_in(*x)
                        && tm.resolvable_keys(*x).next().is_some()
                })
                .ok_or_else(|| PlanError::NoEntityPath {
                    type_name: parent.to_string(),
                    from: self.graph_name(graph),
                    to: "a subgraph defining the interface".into(),
                })?;
            let (child, cpos) = self.entity_hop(g, pos, parent, parent, owner, path, None, None)?;
            self.walk(child, &cpos, parent, &for_owner, path, None)?;
        }
        Ok(())
    }

    /// Adds a field resolvable in the group's subgraph, then plans its sub-selection.
    pub fn add_local(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        f: &NField,
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        // Whatever lands in a group is data a later `@requires` fetch may wait for.
        self.touch(g);
        let graph = self.groups[g].graph;
        let sub_provided: Option<FieldSetTree> = self
            .join_for(parent, &f.name, graph)
            .and_then(|j| j.provides_selection.clone())
            .or_else(|| {
                provided
                    .and_then(|p| p.field(parent, &f.name, &self.possible()))
                    .cloned()
            });
        if !f.arguments.is_empty() {
            self.check_enum_arguments(graph, parent, f)?;
        }
        // A field whose type in this subgraph differs from the supergraph's (`join__field(type:)`)
        // may clash with a same-named sibling under another type condition: alias it per type
        // and rename it back after the fetch.
        let retyped = !f.internal
            && pos.last().is_some()
            && self.in_fragment(g, pos)
            && self
                .join_for(parent, &f.name, graph)
                .and_then(|j| j.type_in_graph.as_deref())
                .is_some_and(|t| {
                    self.field_type(parent, &f.name)
                        .is_ok_and(|st| st.to_string() != t)
                });
        let alias = if retyped {
            Name::new(&format!("{}__{}", f.response_key(), parent)).ok()
        } else {
            f.alias.clone()
        };
        let (idx, key) = self.groups[g]
            .selection
            .at_mut(pos)
            .ok_or(PlanError::Internal("selection position"))?
            .add_field(alias.as_ref(), &f.name, &f.arguments);
        let tree_key = if f.internal {
            key.clone()
        } else {
            f.response_key().clone()
        };
        if !f.internal && key != *f.response_key() {
            let mut rewrite_path = self.rewrite_path(g, pos);
            rewrite_path.push(RewritePathElement::Key(key.to_string()));
            let rewrite = FetchRewrite::KeyRenamer {
                path: rewrite_path,
                rename_key_to: f.response_key().to_string(),
            };
            if !self.groups[g].output_rewrites.contains(&rewrite) {
                self.groups[g].output_rewrites.push(rewrite);
            }
        }
        if !f.selections.is_empty() {
            let ty = self.field_type(parent, &f.name)?;
            let mut sub_path = path.clone();
            sub_path.push(FlattenPathElement::Field(tree_key.to_string()));
            let mut t = &ty;
            while t.is_list() {
                sub_path.push(FlattenPathElement::List);
                t = t.item_type();
            }
            let mut sub_pos = pos.clone();
            sub_pos.push(idx);
            self.ancestors.push(Ancestor {
                type_name: ty.inner_named_type().clone(),
                group: g,
                pos: sub_pos.clone(),
                path: sub_path.clone(),
            });
            let walked = self.walk(
                g,
                &sub_pos,
                ty.inner_named_type(),
                &f.selections,
                &sub_path,
                sub_provided.as_ref(),
            );
            self.ancestors.pop();
            walked?;
        }
        Ok(())
    }

    /// Whether `pos` in group `g` is directly inside a type-conditioned fragment.
    pub(super) fn in_fragment(&self, g: GroupId, pos: &Pos) -> bool {
        let Some((last, up)) = pos.split_last() else {
            return false;
        };
        self.groups[g]
            .selection
            .at(up)
            .and_then(|s| s.items.get(*last))
            .is_some_and(|i| matches!(i, OutItem::Fragment { .. }))
    }
}
