//! Stage: operation limits, checked before planning so nothing reaches a subgraph:
//! lexical tokens (counted on the raw text before parsing), depth, aliases, root fields,
//! directives and the `@cost`/`@listSize` cost. Every rejection has the code
//! `OPERATION_LIMIT_EXCEEDED` and names the limit in `extensions.limit`.
pub mod tokens;

use std::collections::HashMap;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::Name;
use apollo_compiler::ast::Value;
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::response::JsonMap;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Schema, validation::Valid};

use crate::config::LimitsConfig;
use crate::error::{GraphqlError, OPERATION_LIMIT_EXCEEDED};
use crate::facts::DirectiveFacts;

/// The error for one exceeded limit.
pub fn exceeded(limit: &str, actual: f64, max: f64) -> GraphqlError {
    let mut error = GraphqlError::with_code(
        format!("The operation exceeds the `{limit}` limit ({actual} > {max})"),
        OPERATION_LIMIT_EXCEEDED,
    );
    error.extensions.insert("limit", limit.into());
    error.extensions.insert("actual", actual.into());
    error.extensions.insert("max", max.into());
    error
}

/// What one selection set adds up to (fragments are measured once and reused).
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    depth: usize,
    aliases: usize,
    directives: usize,
    cost: f64,
}

/// The measures of the operation, for tests and for `extensions`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperationMeasures {
    pub depth: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub directives: usize,
    pub cost: f64,
}

pub fn measure(
    schema: &Valid<Schema>,
    facts: &DirectiveFacts,
    limits: &LimitsConfig,
    document: &ExecutableDocument,
    operation: &Operation,
    variables: &JsonMap,
) -> OperationMeasures {
    let mut walk = Walk {
        schema,
        facts,
        default_list_size: limits.default_list_size,
        document,
        variables,
        fragments: HashMap::new(),
    };
    let root = walk.selection_set(&operation.selection_set);
    OperationMeasures {
        depth: root.depth,
        aliases: root.aliases,
        root_fields: walk.root_fields(&operation.selection_set),
        directives: root.directives + operation.directives.len(),
        cost: root.cost,
    }
}

/// Checks every configured limit; the first exceeded one is the error.
pub fn check(
    schema: &Valid<Schema>,
    facts: &DirectiveFacts,
    limits: &LimitsConfig,
    document: &ExecutableDocument,
    operation: &Operation,
    variables: &JsonMap,
) -> Result<OperationMeasures, Box<GraphqlError>> {
    let m = measure(schema, facts, limits, document, operation, variables);
    let checks = [
        ("max_depth", m.depth as f64, limits.max_depth),
        ("max_aliases", m.aliases as f64, limits.max_aliases),
        (
            "max_root_fields",
            m.root_fields as f64,
            limits.max_root_fields,
        ),
        ("max_directives", m.directives as f64, limits.max_directives),
        ("max_cost", m.cost, limits.max_cost),
    ];
    for (name, actual, max) in checks {
        if let Some(max) = max
            && actual > max as f64
        {
            return Err(Box::new(exceeded(name, actual, max as f64)));
        }
    }
    Ok(m)
}

struct Walk<'a> {
    schema: &'a Valid<Schema>,
    facts: &'a DirectiveFacts,
    default_list_size: u32,
    document: &'a ExecutableDocument,
    variables: &'a JsonMap,
    fragments: HashMap<Name, Measure>,
}

impl Walk<'_> {
    fn selection_set(&mut self, set: &SelectionSet) -> Measure {
        let mut total = Measure::default();
        for selection in &set.selections {
            let m = match selection {
                Selection::Field(field) => self.field(&set.ty, field),
                Selection::InlineFragment(inline) => {
                    let mut m = self.selection_set(&inline.selection_set);
                    m.directives += inline.directives.len();
                    m
                }
                Selection::FragmentSpread(spread) => {
                    let mut m = self.fragment(&spread.fragment_name);
                    m.directives += spread.directives.len();
                    m
                }
            };
            total.depth = total.depth.max(m.depth);
            total.aliases = total.aliases.saturating_add(m.aliases);
            total.directives = total.directives.saturating_add(m.directives);
            total.cost += m.cost;
        }
        total
    }

    fn fragment(&mut self, name: &Name) -> Measure {
        if let Some(m) = self.fragments.get(name) {
            return *m;
        }
        // Validation rejects fragment cycles; the placeholder only guards the recursion.
        self.fragments.insert(name.clone(), Measure::default());
        let m = match self.document.fragments.get(name) {
            Some(fragment) => {
                let mut m = self.selection_set(&fragment.selection_set);
                m.directives += fragment.directives.len();
                m
            }
            None => Measure::default(),
        };
        self.fragments.insert(name.clone(), m);
        m
    }

    fn field(&mut self, parent: &Name, field: &Field) -> Measure {
        let children = self.selection_set(&field.selection_set);
        let named = field.definition.ty.inner_named_type();
        let facts = self.facts.field(parent, field.name.as_str());
        let weight = facts
            .and_then(|f| f.cost)
            .or_else(|| self.facts.type_cost(named))
            .map_or_else(|| self.default_weight(named), f64::from);
        let argument_cost: f64 = facts.map_or(0.0, |f| {
            field
                .arguments
                .iter()
                .filter_map(|a| f.argument_costs.get(a.name.as_str()))
                .map(|c| f64::from(*c))
                .sum()
        });
        let multiplier = if field.definition.ty.is_list() {
            self.list_size(field, facts.and_then(|f| f.list_size.as_ref()))
        } else {
            1.0
        };
        Measure {
            depth: children.depth + 1,
            aliases: children.aliases + usize::from(field.alias.is_some()),
            directives: children.directives + field.directives.len(),
            // Every item of a list costs its type's weight plus its selections.
            cost: argument_cost + multiplier * (weight + children.cost),
        }
    }

    fn default_weight(&self, named: &Name) -> f64 {
        match self.schema.types.get(named) {
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                1.0
            }
            _ => 0.0,
        }
    }

    /// How many items a list field is assumed to return: the value of a slicing argument,
    /// else `assumedSize`, else the configured default.
    fn list_size(
        &self,
        field: &Field,
        list_size: Option<&federation::supergraph::model::ListSize>,
    ) -> f64 {
        if let Some(list_size) = list_size {
            let sliced = list_size
                .slicing_arguments
                .iter()
                .filter_map(|name| field.arguments.iter().find(|a| a.name == name.as_str()))
                .filter_map(|a| self.int_value(&a.value))
                .max();
            if let Some(size) = sliced {
                return size as f64;
            }
            if let Some(size) = list_size.assumed_size {
                return f64::from(size);
            }
        }
        f64::from(self.default_list_size)
    }

    fn int_value(&self, value: &Value) -> Option<i64> {
        match value {
            Value::Int(i) => i.try_to_i32().ok().map(i64::from),
            Value::Variable(name) => self.variables.get(name.as_str()).and_then(|v| v.as_i64()),
            _ => None,
        }
    }

    /// Fields the root selection set selects, through fragments.
    fn root_fields(&self, set: &SelectionSet) -> usize {
        set.selections
            .iter()
            .map(|s| match s {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.root_fields(&inline.selection_set),
                Selection::FragmentSpread(spread) => self
                    .document
                    .fragments
                    .get(&spread.fragment_name)
                    .map_or(0, |f| self.root_fields(&f.selection_set)),
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::ExecutableDocument;

    fn measure_of(sdl: &str, query: &str, limits: &LimitsConfig) -> OperationMeasures {
        let schema = Schema::parse_and_validate(sdl, "s.graphql").expect("schema");
        let document =
            ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").expect("query");
        let operation = document.operations.get(None).expect("operation");
        measure(
            &schema,
            &DirectiveFacts::default(),
            limits,
            &document,
            operation,
            &JsonMap::new(),
        )
    }

    #[test]
    fn default_weights_multiply_through_lists() {
        let sdl = "type Query { products: [Product] } type Product { name: String reviews: [Review] } type Review { body: String }";
        let limits = LimitsConfig {
            default_list_size: 10,
            ..LimitsConfig::default()
        };
        let m = measure_of(
            sdl,
            "{ products { reviews { body } } x: products { name } }",
            &limits,
        );
        // products: 10 × (1 + reviews: 10 × (1 + 0)) = 110; x: 10 × (1 + 0) = 10.
        assert_eq!(m.cost, 120.0);
        assert_eq!(m.depth, 3);
        assert_eq!(m.aliases, 1);
        assert_eq!(m.root_fields, 2);
    }
}
