//! A generator for a large supergraph (start-up cost: parse + planner construction), about
//! 9 MB at [`LargeShape::DEFAULT`]: 50 subgraphs of 100 object types with 70 fields each
//! (5,000 types), all reachable from `Query`, and one entity every subgraph extends.
use std::fmt::Write;

use federation::compose::SubgraphInput;

use crate::supergraph::ComposeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LargeShape {
    pub subgraphs: usize,
    pub types_per_subgraph: usize,
    pub fields_per_type: usize,
}

impl LargeShape {
    /// About 9 MB of supergraph SDL, 5,000 object types (size checked by a test).
    pub const DEFAULT: LargeShape = LargeShape {
        subgraphs: 50,
        types_per_subgraph: 100,
        fields_per_type: 70,
    };
}

/// Subgraph `index`'s SDL: a chain of types from its root field, each type with scalar
/// fields, and its own field on the shared `Product` entity.
pub fn subgraph_sdl(shape: LargeShape, index: usize) -> String {
    let mut sdl = String::from(
        "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\"])\n\n",
    );
    let _ = writeln!(
        sdl,
        "type Query {{\n  s{index}Root: S{index}T0\n  s{index}Product: Product\n}}\n"
    );
    let _ = writeln!(
        sdl,
        "type Product @key(fields: \"id\") {{\n  id: ID!\n  s{index}Score: Int\n}}\n"
    );
    for t in 0..shape.types_per_subgraph {
        let _ = writeln!(sdl, "type S{index}T{t} {{");
        if t + 1 < shape.types_per_subgraph {
            let _ = writeln!(sdl, "  next: S{index}T{}", t + 1);
        }
        for f in 0..shape.fields_per_type {
            let kind = ["String", "Int", "Float", "Boolean"][f % 4];
            let _ = writeln!(sdl, "  field{f}OfType{t}: {kind}");
        }
        sdl.push_str("}\n\n");
    }
    sdl
}

/// Composes the large supergraph (subgraphs routed to unused loopback URLs).
pub fn supergraph(shape: LargeShape) -> Result<String, ComposeError> {
    let inputs: Vec<SubgraphInput> = (0..shape.subgraphs)
        .map(|index| SubgraphInput {
            name: format!("subgraph{index}"),
            url: format!("http://127.0.0.1:9/s{index}"),
            sdl: subgraph_sdl(shape, index),
        })
        .collect();
    federation::compose::compose(&inputs)
        .map(|composed| composed.sdl)
        .map_err(ComposeError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_instance_composes_and_loads() {
        let shape = LargeShape {
            subgraphs: 3,
            types_per_subgraph: 4,
            fields_per_type: 5,
        };
        let sdl = supergraph(shape).unwrap_or_else(|error| panic!("{error}"));
        let loaded = federation::Supergraph::parse(&sdl).unwrap_or_else(|e| panic!("{e}"));
        let document = loaded
            .validate_operation("{ s2Root { next { field4OfType1 } } s0Product { s1Score } }")
            .unwrap_or_else(|e| panic!("{e}"));
        let planner = federation::QueryPlanner::new(&loaded);
        assert!(
            planner
                .plan(&document, None, &federation::PlanOptions::default())
                .is_ok()
        );
    }
}
