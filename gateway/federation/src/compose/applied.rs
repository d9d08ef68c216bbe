//! Merging what several subgraphs say about one element: directive applications (in the
//! order Apollo prints them) and descriptions, plus the wording of per-subgraph mismatches.
use indexmap::{IndexMap, IndexSet};
use std::collections::HashSet;

use super::errors::subgraph_list;
use super::merge::quote;
use super::subgraph::Applied;

/// Gathers directive applications: `@inaccessible` separately (it is placed before join
/// directives on fields), access-control directives first when `access_first`, then the rest
/// in the order subgraphs apply them.
pub(crate) struct DirectiveMerge {
    pub inaccessible: bool,
    pub rest: Vec<String>,
}

const ACCESS_CONTROL: &[&str] = &["authenticated", "requiresScopes", "policy"];

pub(crate) fn merge_directives(
    sources: &[&[Applied]],
    access_first: bool,
    extra_access: &[&[Applied]],
    repeatable_custom: &HashSet<String>,
) -> DirectiveMerge {
    let mut names: IndexSet<&str> = IndexSet::new();
    for s in sources {
        for a in s.iter() {
            names.insert(a.name.as_str());
        }
    }
    let inaccessible = names.shift_remove("inaccessible");
    let mut rest = Vec::new();
    if access_first {
        for ac in ACCESS_CONTROL {
            let in_extra = extra_access.iter().any(|s| s.iter().any(|a| a.name == *ac));
            if names.contains(ac) || in_extra {
                let all: Vec<&[Applied]> = sources.iter().chain(extra_access).copied().collect();
                rest.extend(merge_one(ac, &all, repeatable_custom));
            }
            names.shift_remove(ac);
        }
    }
    for name in names {
        rest.extend(merge_one(name, sources, repeatable_custom));
    }
    DirectiveMerge { inaccessible, rest }
}

fn merge_one(
    name: &str,
    sources: &[&[Applied]],
    repeatable_custom: &HashSet<String>,
) -> Vec<String> {
    let applications: Vec<&Applied> = sources
        .iter()
        .flat_map(|s| s.iter().filter(|a| a.name == name))
        .collect();
    if name == "tag" || repeatable_custom.contains(name) {
        let mut out: Vec<String> = Vec::new();
        for a in applications {
            let printed = a.print();
            if !out.contains(&printed) {
                out.push(printed);
            }
        }
        return out;
    }
    let mut distinct: Vec<(&Applied, usize)> = Vec::new();
    for a in &applications {
        match distinct.iter_mut().find(|(d, _)| d.args == a.args) {
            Some((_, n)) => *n += 1,
            None => distinct.push((a, 1)),
        }
    }
    match distinct.as_slice() {
        [] => Vec::new(),
        [(one, _)] => vec![one.print()],
        _ if name == "requiresScopes" || name == "policy" => {
            // Both requirements must hold: the conjunction of two disjunctions.
            let mut acc: Vec<Vec<String>> = vec![Vec::new()];
            for (a, _) in &distinct {
                let mut next = Vec::new();
                for left in &acc {
                    for right in &a.nested {
                        let mut set: Vec<String> = left.iter().chain(right).cloned().collect();
                        set.sort();
                        set.dedup();
                        if !next.contains(&set) {
                            next.push(set);
                        }
                    }
                }
                acc = next;
            }
            let arg = if name == "policy" {
                "policies"
            } else {
                "scopes"
            };
            let lists: Vec<String> = acc
                .iter()
                .map(|l| {
                    format!(
                        "[{}]",
                        l.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            vec![format!("@{name}({arg}: [{}])", lists.join(", "))]
        }
        _ if name == "cost" => {
            // Apollo keeps the highest weight.
            let weight = |a: &Applied| -> i64 {
                a.args
                    .trim_start_matches("(weight:")
                    .trim_end_matches(')')
                    .trim()
                    .parse()
                    .unwrap_or(i64::MIN)
            };
            let heaviest = distinct
                .iter()
                .map(|(a, _)| *a)
                .max_by_key(|a| weight(a))
                .map(|a| a.print());
            heaviest.into_iter().collect()
        }
        _ => {
            let mut best = 0;
            for (i, (_, n)) in distinct.iter().enumerate() {
                if *n > distinct[best].1 {
                    best = i;
                }
            }
            vec![distinct[best].0.print()]
        }
    }
}

/// Apollo's description merge: the only one, the only non-empty one, or the most common.
pub(crate) fn merge_descriptions<'d>(
    descriptions: impl Iterator<Item = Option<&'d str>>,
) -> Option<String> {
    let mut distinct: Vec<(&str, i64)> = Vec::new();
    for d in descriptions.flatten() {
        match distinct.iter_mut().find(|(x, _)| *x == d) {
            Some((_, n)) => *n += 1,
            None => distinct.push((d, if d.is_empty() { i64::MIN } else { 1 })),
        }
    }
    let non_empty: Vec<&str> = distinct
        .iter()
        .map(|d| d.0)
        .filter(|d| !d.is_empty())
        .collect();
    match (distinct.len(), non_empty.len()) {
        (0, _) => None,
        (1, _) => Some(distinct[0].0.to_string()),
        (_, 1) => Some(non_empty[0].to_string()),
        _ => {
            let mut best = 0;
            for (i, (_, n)) in distinct.iter().enumerate() {
                if *n > distinct[best].1 {
                    best = i;
                }
            }
            Some(distinct[best].0.to_string())
        }
    }
}

/// `Type.field` with a value (`type "String"`) per subgraph, worded as Apollo's mismatch
/// reports: `X in subgraph "a" but Y in subgraphs "b" and "c"`.
pub(crate) fn distribution(
    first_value: &str,
    per_graph: &[(&str, String)],
    separator_first: &str,
) -> String {
    let mut groups: IndexMap<&str, Vec<&str>> = IndexMap::new();
    groups.entry(first_value).or_default();
    for (g, v) in per_graph {
        groups.entry(v.as_str()).or_default().push(g);
    }
    let parts: Vec<String> = groups
        .iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(v, names)| format!("{v} in {}", subgraph_list(names)))
        .collect();
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 1 {
            out.push_str(separator_first);
        } else if i > 1 {
            out.push_str(" and ");
        }
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(name: &str, args: &str, nested: Vec<Vec<&str>>) -> Applied {
        Applied {
            name: name.into(),
            args: args.into(),
            nested: nested
                .into_iter()
                .map(|l| l.into_iter().map(str::to_string).collect())
                .collect(),
        }
    }

    #[test]
    fn descriptions_prefer_the_most_common() {
        let d = merge_descriptions([Some("a"), Some("b"), Some("b")].into_iter());
        assert_eq!(d.as_deref(), Some("b"));
        let d = merge_descriptions([Some(""), Some("x")].into_iter());
        assert_eq!(d.as_deref(), Some("x"));
        assert_eq!(merge_descriptions([None, None].into_iter()), None);
    }

    #[test]
    fn access_control_first_and_scopes_conjoined() {
        let a = vec![
            applied("tag", "(name: \"x\")", vec![]),
            applied("requiresScopes", "(scopes: [[\"a\"]])", vec![vec!["a"]]),
        ];
        let b = vec![
            applied("inaccessible", "", vec![]),
            applied(
                "requiresScopes",
                "(scopes: [[\"b\"], [\"c\"]])",
                vec![vec!["b"], vec!["c"]],
            ),
        ];
        let merged = merge_directives(&[&a, &b], true, &[], &HashSet::new());
        assert!(merged.inaccessible);
        assert_eq!(
            merged.rest,
            [
                "@requiresScopes(scopes: [[\"a\", \"b\"], [\"a\", \"c\"]])",
                "@tag(name: \"x\")"
            ]
        );
    }

    #[test]
    fn mismatch_wording() {
        let per_graph = vec![
            ("a", "type \"Int\"".to_string()),
            ("b", "type \"String\"".to_string()),
            ("c", "type \"String\"".to_string()),
        ];
        assert_eq!(
            distribution("type \"Int\"", &per_graph, " but "),
            "type \"Int\" in subgraph \"a\" but type \"String\" in subgraphs \"b\" and \"c\""
        );
    }
}
