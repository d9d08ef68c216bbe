//! Turns fetch groups into plan nodes: a group runs after the groups it depends on,
//! independent groups run in parallel, mutation root fields run in document order.
use apollo_compiler::executable::Operation;
use std::collections::BTreeSet;

use crate::plan::{FetchNode, FlattenNode, OperationKind, PlanNode};
use crate::supergraph::Supergraph;

use super::groups::{FetchGroup, GroupId};

/// Where each group hangs in the plan tree: under the lowest common ancestor of its
/// dependencies, after the siblings whose subtrees hold the others.
struct Placement {
    parent: Vec<Option<GroupId>>,
    stage: Vec<usize>,
}

fn ancestors(parent: &[Option<GroupId>], g: GroupId) -> Vec<GroupId> {
    let mut out = vec![g];
    let mut cur = g;
    while let Some(p) = parent.get(cur).copied().flatten() {
        out.push(p);
        cur = p;
    }
    out
}

fn place(groups: &[FetchGroup]) -> Placement {
    let mut parent: Vec<Option<GroupId>> = vec![None; groups.len()];
    let mut stage = vec![0; groups.len()];
    for (i, g) in groups.iter().enumerate() {
        let deps: Vec<GroupId> = g.deps.iter().copied().filter(|d| *d < i).collect();
        let Some(first) = deps.first() else {
            continue;
        };
        // Lowest common ancestor of all deps (a dep is its own ancestor).
        let mut common = ancestors(&parent, *first);
        for d in &deps[1..] {
            let other: BTreeSet<GroupId> = ancestors(&parent, *d).into_iter().collect();
            common.retain(|a| other.contains(a));
        }
        let lca = common.first().copied();
        parent[i] = lca;
        // Run after every sibling subtree that holds one of the other deps.
        let mut s = 0;
        for d in &deps {
            let chain = ancestors(&parent, *d);
            let sibling = match lca {
                Some(l) => chain
                    .iter()
                    .position(|a| *a == l)
                    .and_then(|p| p.checked_sub(1))
                    .map(|p| chain[p]),
                None => chain.last().copied(),
            };
            if let Some(sib) = sibling {
                s = s.max(stage[sib] + 1);
            }
        }
        stage[i] = s;
    }
    Placement { parent, stage }
}

pub(crate) struct PlanPrinter<'a> {
    pub sg: &'a Supergraph,
    pub operation: &'a Operation,
    pub groups: &'a [FetchGroup],
    counter: usize,
}

impl<'a> PlanPrinter<'a> {
    pub fn new(sg: &'a Supergraph, operation: &'a Operation, groups: &'a [FetchGroup]) -> Self {
        PlanPrinter {
            sg,
            operation,
            groups,
            counter: 0,
        }
    }

    pub fn build(&mut self, mutation: bool) -> Option<PlanNode> {
        let placement = place(self.groups);
        let roots: Vec<GroupId> = (0..self.groups.len())
            .filter(|g| placement.parent[*g].is_none())
            .collect();
        let mut nodes = Vec::new();
        if mutation {
            // Mutation root groups are created in document order and run one by one;
            // entity groups hang under their root group.
            for r in roots {
                nodes.push(self.subtree(r, &placement));
            }
            return wrap(nodes, |nodes| PlanNode::Sequence { nodes });
        }
        let stages = staged(&roots, &placement);
        let mut seq = Vec::new();
        for stage in stages {
            let par: Vec<PlanNode> = stage.iter().map(|g| self.subtree(*g, &placement)).collect();
            if let Some(n) = wrap(par, |nodes| PlanNode::Parallel { nodes }) {
                seq.push(n);
            }
        }
        nodes.extend(seq);
        wrap(nodes, |nodes| PlanNode::Sequence { nodes })
    }

    fn subtree(&mut self, g: GroupId, placement: &Placement) -> PlanNode {
        let own = self.fetch(g);
        let children: Vec<GroupId> = (0..self.groups.len())
            .filter(|c| placement.parent[*c] == Some(g))
            .collect();
        let mut seq = vec![own];
        for stage in staged(&children, placement) {
            let par: Vec<PlanNode> = stage.iter().map(|c| self.subtree(*c, placement)).collect();
            if let Some(n) = wrap(par, |nodes| PlanNode::Parallel { nodes }) {
                seq.push(n);
            }
        }
        // Flatten nested sequences for readability.
        let mut flat = Vec::new();
        for n in seq {
            match n {
                PlanNode::Sequence { nodes } => flat.extend(nodes),
                other => flat.push(other),
            }
        }
        wrap(flat, |nodes| PlanNode::Sequence { nodes })
            .unwrap_or(PlanNode::Sequence { nodes: Vec::new() })
    }

    fn fetch(&mut self, g: GroupId) -> PlanNode {
        let group = &self.groups[g];
        let n = self.counter;
        self.counter += 1;
        let subgraph = self
            .sg
            .subgraph(group.graph)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let operation_name = self.operation.name.as_ref().map(|name| {
            let clean: String = subgraph
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{name}__{clean}__{n}")
        });
        let mut variables = BTreeSet::new();
        group.selection.variables(&mut variables);
        let definitions: Vec<String> = self
            .operation
            .variables
            .iter()
            .filter(|v| variables.contains(&v.name))
            .map(|v| match &v.default_value {
                Some(d) => format!("${}: {} = {}", v.name, v.ty, d),
                None => format!("${}: {}", v.name, v.ty),
            })
            .collect();
        let variable_usages: Vec<String> = self
            .operation
            .variables
            .iter()
            .filter(|v| variables.contains(&v.name))
            .map(|v| v.name.to_string())
            .collect();
        let kind = group.root_kind.unwrap_or(OperationKind::Query);
        let keyword = match kind {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        };
        let mut operation = String::from(keyword);
        if let Some(name) = &operation_name {
            operation.push(' ');
            operation.push_str(name);
        }
        let mut all_definitions = Vec::new();
        if group.root_kind.is_none() {
            all_definitions.push("$representations: [_Any!]!".to_string());
        }
        all_definitions.extend(definitions);
        all_definitions.extend(
            group
                .context_inputs
                .iter()
                .map(|c| format!("${}: {}", c.variable, c.type_name)),
        );
        if !all_definitions.is_empty() {
            operation.push('(');
            operation.push_str(&all_definitions.join(", "));
            operation.push(')');
        }
        operation.push(' ');
        if group.root_kind.is_some() {
            group.selection.print(&mut operation);
        } else {
            operation.push_str("{ _entities(representations: $representations) ");
            group.selection.print(&mut operation);
            operation.push_str(" }");
        }
        let fetch = PlanNode::Fetch(Box::new(FetchNode {
            subgraph,
            operation_kind: kind,
            operation,
            operation_name,
            variable_usages,
            requires: group.requires.clone(),
            input_rewrites: group.input_rewrites.clone(),
            output_rewrites: group.output_rewrites.clone(),
            context_inputs: group.context_inputs.clone(),
        }));
        if group.root_kind.is_some() {
            fetch
        } else {
            PlanNode::Flatten(FlattenNode {
                path: group.merge_path.clone(),
                node: Box::new(fetch),
            })
        }
    }
}

/// Groups `members` (siblings) by stage, keeping creation order inside a stage.
fn staged(members: &[GroupId], placement: &Placement) -> Vec<Vec<GroupId>> {
    let mut stages: Vec<Vec<GroupId>> = Vec::new();
    for m in members {
        let s = placement.stage[*m];
        while stages.len() <= s {
            stages.push(Vec::new());
        }
        stages[s].push(*m);
    }
    stages.retain(|s| !s.is_empty());
    stages
}

fn wrap(
    mut nodes: Vec<PlanNode>,
    make: impl FnOnce(Vec<PlanNode>) -> PlanNode,
) -> Option<PlanNode> {
    match nodes.len() {
        0 => None,
        1 => nodes.pop(),
        _ => Some(make(nodes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::selection::OutSel;

    fn group(deps: &[GroupId]) -> FetchGroup {
        FetchGroup {
            graph: 0,
            root_kind: if deps.is_empty() {
                Some(OperationKind::Query)
            } else {
                None
            },
            merge_path: Vec::new(),
            selection: OutSel::default(),
            requires: Vec::new(),
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            deps: deps.iter().copied().collect(),
            context_inputs: Vec::new(),
        }
    }

    #[test]
    fn chain_hangs_under_its_dependency() {
        let groups = vec![group(&[]), group(&[0]), group(&[1])];
        let p = place(&groups);
        assert_eq!(p.parent, vec![None, Some(0), Some(1)]);
        assert_eq!(p.stage, vec![0, 0, 0]);
    }

    #[test]
    fn group_with_two_deps_runs_after_the_sibling_subtree() {
        // 0 root; 1 and 2 depend on 0; 3 needs 0 and 2 (a @requires input fetched by 2).
        let groups = vec![group(&[]), group(&[0]), group(&[0]), group(&[0, 2])];
        let p = place(&groups);
        assert_eq!(p.parent, vec![None, Some(0), Some(0), Some(0)]);
        assert_eq!(p.stage[1], 0);
        assert_eq!(p.stage[2], 0);
        assert_eq!(p.stage[3], 1);
        assert_eq!(staged(&[1, 2, 3], &p), vec![vec![1, 2], vec![3]]);
    }

    #[test]
    fn deps_deeper_in_one_branch_use_the_common_ancestor() {
        // 3 needs 1 (child of 0) and 2 (child of 1): its parent is 1, after 2.
        let groups = vec![group(&[]), group(&[0]), group(&[1]), group(&[1, 2])];
        let p = place(&groups);
        assert_eq!(p.parent[3], Some(1));
        assert_eq!(p.stage[3], 1);
    }
}
