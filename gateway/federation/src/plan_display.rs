//! `Display` for [`QueryPlan`] in the familiar Apollo shape, for snapshots and
//! `platform query-plan`.
use std::fmt::{self, Write};

use crate::plan::{
    FetchNode, FetchRewrite, FlattenPathElement, PlanNode, QueryPlan, RequireSelection,
    RewritePathElement,
};

impl fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("QueryPlan {\n");
        if let Some(node) = &self.node {
            node_to(&mut out, node, 1);
        }
        out.push('}');
        f.write_str(&out)
    }
}

impl fmt::Display for PlanNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        node_to(&mut out, self, 0);
        f.write_str(out.trim_end())
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn node_to(out: &mut String, node: &PlanNode, level: usize) {
    indent(out, level);
    match node {
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            out.push_str(if matches!(node, PlanNode::Sequence { .. }) {
                "Sequence {\n"
            } else {
                "Parallel {\n"
            });
            for n in nodes {
                node_to(out, n, level + 1);
            }
            indent(out, level);
            out.push_str("},\n");
        }
        PlanNode::Fetch(fetch) => fetch_to(out, fetch, level),
        PlanNode::Flatten(flatten) => {
            let path: Vec<String> = flatten
                .path
                .iter()
                .map(|p| match p {
                    FlattenPathElement::Field(k) => k.clone(),
                    FlattenPathElement::List => "@".to_string(),
                })
                .collect();
            let _ = writeln!(out, "Flatten(path: \"{}\") {{", path.join("."));
            node_to(out, &flatten.node, level + 1);
            indent(out, level);
            out.push_str("},\n");
        }
        PlanNode::Condition(c) => {
            let _ = writeln!(out, "Condition(if: ${}) {{", c.variable);
            if let Some(n) = &c.if_clause {
                node_to(out, n, level + 1);
            }
            if let Some(n) = &c.else_clause {
                indent(out, level);
                out.push_str("} else {\n");
                node_to(out, n, level + 1);
            }
            indent(out, level);
            out.push_str("},\n");
        }
    }
}

fn fetch_to(out: &mut String, fetch: &FetchNode, level: usize) {
    let _ = writeln!(out, "Fetch(service: \"{}\") {{", fetch.subgraph);
    if !fetch.requires.is_empty() {
        indent(out, level + 1);
        requires_to(out, &fetch.requires);
        out.push_str(" =>\n");
    }
    indent(out, level + 1);
    out.push_str(&fetch.operation);
    out.push('\n');
    for input in &fetch.context_inputs {
        indent(out, level + 1);
        let up = vec![".."; input.up].join("/");
        let _ = writeln!(
            out,
            "context: ${} = {}/{}",
            input.variable,
            up,
            input.path.join(".")
        );
    }
    for (label, rewrites) in [
        ("input rewrite", &fetch.input_rewrites),
        ("output rewrite", &fetch.output_rewrites),
    ] {
        for r in rewrites {
            indent(out, level + 1);
            let _ = writeln!(out, "{label}: {}", rewrite(r));
        }
    }
    indent(out, level);
    out.push_str("},\n");
}

fn requires_to(out: &mut String, sels: &[RequireSelection]) {
    out.push('{');
    for s in sels {
        out.push(' ');
        match s {
            RequireSelection::Field {
                response_key,
                name,
                selections,
            } => {
                if response_key != name {
                    let _ = write!(out, "{response_key}: ");
                }
                out.push_str(name);
                if !selections.is_empty() {
                    out.push(' ');
                    requires_to(out, selections);
                }
            }
            RequireSelection::InlineFragment {
                type_condition,
                selections,
            } => {
                match type_condition {
                    Some(t) => {
                        let _ = write!(out, "... on {t} ");
                    }
                    None => out.push_str("... "),
                }
                requires_to(out, selections);
            }
        }
    }
    out.push_str(" }");
}

fn rewrite(r: &FetchRewrite) -> String {
    let path = |p: &[RewritePathElement]| {
        p.iter()
            .map(|e| match e {
                RewritePathElement::Key(k) => k.clone(),
                RewritePathElement::TypenameEquals(t) => format!("... on {t}"),
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    match r {
        FetchRewrite::ValueSetter { path: p, value } => format!("{} = {value}", path(p)),
        FetchRewrite::KeyRenamer {
            path: p,
            rename_key_to,
        } => format!("{} -> {rename_key_to}", path(p)),
    }
}
