//! Hops: entity fetches to other subgraphs, through keys, with `@requires` inputs.
use super::super::PlanError;
use super::super::groups::{GroupId, merge_requires};
use super::super::normalize::{NField, NSel};
use super::super::selection::{OutItem, OutSel, Pos};
use super::{Builder, RespPath, tree_to_nsel};
use crate::plan::{ContextInput, FetchRewrite, RequireSelection, RewritePathElement};
use crate::supergraph::field_set::{FieldSetItem, FieldSetTree};
use crate::supergraph::{ContextArgument, GraphId};
use apollo_compiler::{Name, Node, ast};
use std::collections::BTreeSet;

impl Builder<'_> {
    /// Moves `fields` (not resolvable in `g`'s subgraph on `parent`) to entity fetches.
    pub(super) fn hop(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        fields: Vec<NField>,
        path: &RespPath,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        struct Need {
            field: NField,
            targets: Vec<(GraphId, bool)>,
            via: Name,
        }
        let mut needs = Vec::new();
        for field in fields {
            // Only subgraphs with an entity resolver for the type can be hopped to.
            let reachable = |type_name: &str, targets: Vec<(GraphId, bool)>| {
                let model = self.sg.type_model(type_name);
                targets
                    .into_iter()
                    .filter(|(x, _)| model.is_some_and(|m| m.resolvable_keys(*x).next().is_some()))
                    .collect::<Vec<_>>()
            };
            let own: Vec<_> = self
                .resolving_graphs(parent, &field.name)
                .into_iter()
                .filter(|(x, requires)| *x != graph || *requires)
                .collect();
            let mut via = parent.clone();
            let mut targets = reachable(parent, own);
            if targets.is_empty()
                && let Some((iface, graphs)) = self.interface_object_route(parent, &field.name)
            {
                targets = reachable(&iface, graphs);
                via = iface;
            }
            if targets.is_empty() {
                return Err(PlanError::Unresolvable {
                    type_name: parent.to_string(),
                    field: field.name.to_string(),
                    from: self.graph_name(graph),
                });
            }
            needs.push(Need {
                field,
                targets,
                via,
            });
        }
        let direct_deps: BTreeSet<GroupId> = [g].into();
        while !needs.is_empty() {
            // Greedy cover: the subgraph serving most of the remaining fields, preferring one
            // already called at this path, then the cheapest, then join__Graph order.
            let mut candidates: Vec<GraphId> = needs
                .iter()
                .flat_map(|n| n.targets.iter().map(|(x, _)| *x))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let best = candidates
                .iter()
                .copied()
                .max_by_key(|x| {
                    let count = needs
                        .iter()
                        .filter(|n| n.targets.iter().any(|(t, _)| t == x))
                        .count();
                    let existing = self.groups.iter().any(|gr| {
                        gr.root_kind.is_none()
                            && gr.graph == *x
                            && gr.merge_path == *path
                            && gr.deps == direct_deps
                    });
                    let cost: usize = needs
                        .iter()
                        .filter(|n| n.targets.iter().any(|(t, _)| t == x))
                        .map(|n| {
                            let Ok(ty) = self.field_type(&n.via, &n.field.name) else {
                                return 0;
                            };
                            self.remote_cost(*x, ty.inner_named_type(), &n.field.selections, 0)
                        })
                        .sum();
                    (
                        count,
                        existing,
                        std::cmp::Reverse(cost),
                        std::cmp::Reverse(*x),
                    )
                })
                .ok_or(PlanError::Internal("no hop candidate"))?;
            let (chosen, rest): (Vec<Need>, Vec<Need>) = needs
                .into_iter()
                .partition(|n| n.targets.iter().any(|(t, _)| *t == best));
            needs = rest;
            let mut plain: Vec<(Name, Vec<NSel>)> = Vec::new();
            for need in chosen {
                let requires = need.targets.iter().any(|(t, r)| *t == best && *r);
                if requires {
                    self.hop_with_inputs(g, pos, parent, &need.via, best, need.field, path)?;
                } else {
                    match plain.iter_mut().find(|(v, _)| *v == need.via) {
                        Some((_, list)) => list.push(NSel::Field(need.field)),
                        None => plain.push((need.via, vec![NSel::Field(need.field)])),
                    }
                }
            }
            for (via, sels) in plain {
                let (child, cpos) =
                    self.entity_hop(g, pos, parent, &via, best, path, None, None)?;
                self.walk(child, &cpos, &via, &sels, path, None)?;
            }
        }
        Ok(())
    }

    /// Resolves a field that needs inputs in `target`: what `@requires` names is fetched
    /// into the parent object first and `@fromContext` values into their ancestor (from
    /// wherever they live), then an entity fetch waits for every group that produced them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hop_with_inputs(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        via: &Name,
        target: GraphId,
        field: NField,
        path: &RespPath,
    ) -> Result<(), PlanError> {
        let join = self
            .join_for(via, &field.name, target)
            .cloned()
            .ok_or(PlanError::Internal("join for a field needing inputs"))?;
        let before = self.touched.len();
        if let Some(requires) = &join.requires_selection {
            self.walk(g, pos, parent, &tree_to_nsel(requires), path, None)?;
        }
        let mut field = field;
        let mut inputs = Vec::new();
        for argument in &join.context_arguments {
            // Without an ancestor providing the context, a nullable argument is left out
            // (the subgraph sees it absent); a non-null one cannot be planned.
            let Some(input) = self.context_input(argument, path)? else {
                if argument.type_.ends_with('!') {
                    return Err(PlanError::MissingContext(argument.context.clone()));
                }
                continue;
            };
            let name = Name::new(&argument.name)
                .map_err(|_| PlanError::Internal("contextual argument name"))?;
            let variable = Name::new(&input.variable)
                .map_err(|_| PlanError::Internal("contextual variable name"))?;
            field.arguments.push(Node::new(ast::Argument {
                name,
                value: Node::new(ast::Value::Variable(variable)),
            }));
            inputs.push(input);
        }
        let mut deps: BTreeSet<GroupId> = self.touched[before..].iter().copied().collect();
        deps.insert(g);
        let (child, cpos) = self.entity_hop(
            g,
            pos,
            parent,
            via,
            target,
            path,
            Some(deps),
            join.requires_selection.as_ref(),
        )?;
        self.groups[child].context_inputs.extend(inputs);
        self.add_local(child, &cpos, via, &field, path, None)
    }

    /// Plans the value of a `@fromContext` argument: the nearest ancestor providing the
    /// context selects the context's field, and the entity fetch reads it from there.
    fn context_input(
        &mut self,
        argument: &ContextArgument,
        path: &RespPath,
    ) -> Result<Option<ContextInput>, PlanError> {
        let Some(ancestor) = self
            .ancestors
            .iter()
            .rev()
            .find(|a| self.provides_context(&a.type_name, &argument.context))
            .cloned()
        else {
            return Ok(None);
        };
        let text = argument.selection.trim();
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let tree =
            FieldSetTree::parse(self.sg.schema(), &ancestor.type_name, text).map_err(|_| {
                PlanError::Unsupported("a @fromContext selection that is not a field set")
            })?;
        self.walk(
            ancestor.group,
            &ancestor.pos,
            &ancestor.type_name,
            &tree_to_nsel(&tree),
            &ancestor.path,
            None,
        )?;
        // The value is at a chain of fields (`{ a }`, `{ a { b } }`), read by response key.
        let mut keys = Vec::new();
        let mut at = self.groups[ancestor.group].selection.at(&ancestor.pos);
        let mut current = &tree;
        loop {
            let [FieldSetItem::Field { name, sub }] = current.items.as_slice() else {
                return Err(PlanError::Unsupported(
                    "a @fromContext selection other than a single field path",
                ));
            };
            let key = at
                .and_then(|a| a.key_of(name))
                .unwrap_or_else(|| name.clone());
            at = at.and_then(|a| {
                a.items.iter().find_map(|i| match i {
                    OutItem::Field {
                        alias,
                        name: n,
                        sub,
                        ..
                    } if alias.as_ref().unwrap_or(n) == &key => Some(sub),
                    _ => None,
                })
            });
            keys.push(key.to_string());
            if sub.is_empty() {
                break;
            }
            current = sub;
        }
        self.context_counter += 1;
        Ok(Some(ContextInput {
            variable: format!("contextualArgument_{}", self.context_counter),
            type_name: argument.type_.clone(),
            up: path.len().saturating_sub(ancestor.path.len()),
            path: keys,
        }))
    }

    /// Whether objects at a position of type `type_name` provide `context`.
    fn provides_context(&self, type_name: &str, context: &str) -> bool {
        let has = |t: &str| {
            self.sg
                .type_model(t)
                .is_some_and(|m| m.contexts.iter().any(|c| c == context))
        };
        if has(type_name) || self.sg.possible_types(type_name).iter().any(|t| has(t)) {
            return true;
        }
        self.sg
            .schema()
            .get_object(type_name)
            .is_some_and(|o| o.implements_interfaces.iter().any(|i| has(i)))
    }

    /// Finds or creates the entity fetch to `target` for the objects at `path`, adding the
    /// key (and `@requires` inputs) to the representation. Returns the group and the
    /// position of its `... on <via>` fragment.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn entity_hop(
        &mut self,
        g: GroupId,
        pos: &Pos,
        source_type: &Name,
        via: &Name,
        target: GraphId,
        path: &RespPath,
        deps: Option<BTreeSet<GroupId>>,
        requires: Option<&FieldSetTree>,
    ) -> Result<(GroupId, Pos), PlanError> {
        let graph = self.groups[g].graph;
        let via_model = self
            .sg
            .type_model(via)
            .ok_or(PlanError::Internal("entity type model"))?;
        let keys: Vec<FieldSetTree> = via_model
            .resolvable_keys(target)
            .map(|k| k.selection.clone())
            .collect();
        let target_sees_interface_object = via_model.is_interface_object_in(target);
        let Some(key) = keys
            .iter()
            .find(|k| self.key_local(graph, source_type, k))
            .cloned()
        else {
            // Two hops: through a subgraph that can be reached and can provide a key of
            // the target.
            let source_model = self
                .sg
                .type_model(source_type)
                .ok_or(PlanError::Internal("entity type model"))?;
            for m in 0..self.sg.subgraphs().len() {
                if m == graph || m == target {
                    continue;
                }
                let reachable = source_model
                    .resolvable_keys(m)
                    .any(|k| self.key_local(graph, source_type, &k.selection));
                let provides_key = keys.iter().any(|k| self.key_local(m, source_type, k));
                if reachable && provides_key {
                    let (c1, p1) =
                        self.entity_hop(g, pos, source_type, source_type, m, path, None, None)?;
                    return self.entity_hop(
                        c1,
                        &p1,
                        source_type,
                        via,
                        target,
                        path,
                        deps,
                        requires,
                    );
                }
            }
            return Err(PlanError::NoEntityPath {
                type_name: via.to_string(),
                from: self.graph_name(graph),
                to: self.graph_name(target),
            });
        };
        self.add_typename(g, pos)?;
        self.walk(g, pos, source_type, &tree_to_nsel(&key), path, None)?;
        let at = self.groups[g]
            .selection
            .at(pos)
            .ok_or(PlanError::Internal("selection position"))?;
        let mut rep = vec![RequireSelection::Field {
            response_key: "__typename".into(),
            name: "__typename".into(),
            selections: Vec::new(),
        }];
        merge_requires(&mut rep, rep_from(at, &key));
        if let Some(r) = requires {
            merge_requires(&mut rep, rep_from(at, r));
        }
        let deps = deps.unwrap_or_else(|| [g].into());
        let child = self.find_or_create(target, path, deps);
        self.touch(child);
        merge_requires(
            &mut self.groups[child].requires,
            vec![RequireSelection::InlineFragment {
                type_condition: Some(source_type.to_string()),
                selections: rep,
            }],
        );
        if target_sees_interface_object {
            // The subgraph knows the interface only as an object type named like it.
            let mut objects = self.sg.possible_types(source_type);
            objects.retain(|o| o != via);
            for object in objects {
                let rewrite = FetchRewrite::ValueSetter {
                    path: vec![
                        RewritePathElement::TypenameEquals(object.to_string()),
                        RewritePathElement::Key("__typename".into()),
                    ],
                    value: serde_json::Value::String(via.to_string()),
                };
                if !self.groups[child].input_rewrites.contains(&rewrite) {
                    self.groups[child].input_rewrites.push(rewrite);
                }
            }
        }
        let idx = self.groups[child].selection.add_fragment(via);
        Ok((child, vec![idx]))
    }
}

/// The representation shape for `tree`, reading the response keys the fields got in `at`
/// (an internal field can be aliased when the client uses its name for something else).
fn rep_from(at: &OutSel, tree: &FieldSetTree) -> Vec<RequireSelection> {
    tree.items
        .iter()
        .map(|item| match item {
            FieldSetItem::Field { name, sub } => {
                let response_key = at.key_of(name).unwrap_or_else(|| name.clone());
                let nested = at.items.iter().find_map(|i| match i {
                    OutItem::Field {
                        alias,
                        name: n,
                        arguments,
                        sub,
                    } if n == name
                        && arguments.is_empty()
                        && alias.as_ref().unwrap_or(n) == &response_key =>
                    {
                        Some(sub)
                    }
                    _ => None,
                });
                let empty = OutSel::default();
                let mut selections = rep_from(nested.unwrap_or(&empty), sub);
                // Fragments in a representation are decided by the runtime type, which the
                // subgraph also needs to read the value.
                if sub
                    .items
                    .iter()
                    .any(|i| matches!(i, FieldSetItem::Fragment { .. }))
                {
                    selections.insert(
                        0,
                        RequireSelection::Field {
                            response_key: "__typename".into(),
                            name: "__typename".into(),
                            selections: Vec::new(),
                        },
                    );
                }
                RequireSelection::Field {
                    response_key: response_key.to_string(),
                    name: name.to_string(),
                    selections,
                }
            }
            FieldSetItem::Fragment {
                type_condition,
                sub,
            } => {
                let nested = at.items.iter().find_map(|i| match i {
                    OutItem::Fragment {
                        type_condition: t,
                        sub,
                    } if Some(t) == type_condition.as_ref() => Some(sub),
                    _ => None,
                });
                RequireSelection::InlineFragment {
                    type_condition: type_condition.as_ref().map(|t| t.to_string()),
                    selections: rep_from(nested.unwrap_or(at), sub),
                }
            }
        })
        .collect()
}
