//! Fetch groups: one subgraph request each, with what it selects, the representations it
//! needs and the groups whose data it waits for.
use std::collections::BTreeSet;

use crate::plan::{
    ContextInput, FetchRewrite, FlattenPathElement, OperationKind, RequireSelection,
};
use crate::supergraph::GraphId;

use super::selection::OutSel;

pub(crate) type GroupId = usize;

#[derive(Debug, Clone)]
pub(crate) struct FetchGroup {
    pub graph: GraphId,
    /// `Some` for a root fetch; `None` for an `_entities` fetch.
    pub root_kind: Option<OperationKind>,
    /// Where in the merged response the entities of this fetch live (empty for a root fetch).
    pub merge_path: Vec<FlattenPathElement>,
    /// Root fields, or one `... on T` fragment per entity type.
    pub selection: OutSel,
    /// Shape of one representation (entity fetches).
    pub requires: Vec<RequireSelection>,
    pub input_rewrites: Vec<FetchRewrite>,
    pub output_rewrites: Vec<FetchRewrite>,
    /// Groups that must have run (and merged) before this one.
    pub deps: BTreeSet<GroupId>,
    /// `@fromContext` variables filled per entity from an ancestor.
    pub context_inputs: Vec<ContextInput>,
}

/// Merges `add` into `into`, fields by response key and fragments by type condition.
pub(crate) fn merge_requires(into: &mut Vec<RequireSelection>, add: Vec<RequireSelection>) {
    for sel in add {
        match sel {
            RequireSelection::Field {
                response_key,
                name,
                selections,
            } => {
                let found = into.iter_mut().find_map(|s| match s {
                    RequireSelection::Field {
                        response_key: k,
                        name: n,
                        selections: sub,
                    } if *k == response_key && *n == name => Some(sub),
                    _ => None,
                });
                match found {
                    Some(sub) => merge_requires(sub, selections),
                    None => into.push(RequireSelection::Field {
                        response_key,
                        name,
                        selections,
                    }),
                }
            }
            RequireSelection::InlineFragment {
                type_condition,
                selections,
            } => {
                let found = into.iter_mut().find_map(|s| match s {
                    RequireSelection::InlineFragment {
                        type_condition: t,
                        selections: sub,
                    } if *t == type_condition => Some(sub),
                    _ => None,
                });
                match found {
                    Some(sub) => merge_requires(sub, selections),
                    None => into.push(RequireSelection::InlineFragment {
                        type_condition,
                        selections,
                    }),
                }
            }
        }
    }
}
