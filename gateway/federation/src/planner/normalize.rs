//! The client's operation, normalized for planning: fragment spreads become inline fragments,
//! `@skip`/`@include` are decided from the plan options, introspection root fields are dropped.
use apollo_compiler::ast::{self, Value};
use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::{ExecutableDocument, Name, Node};
use std::collections::{BTreeMap, BTreeSet};

use super::PlanError;

/// Nesting bound: deeper documents are refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone)]
pub(crate) struct NField {
    pub alias: Option<Name>,
    pub name: Name,
    pub arguments: Vec<Node<ast::Argument>>,
    pub selections: Vec<NSel>,
    /// Added by the planner (key, `@requires` input), not asked by the client.
    pub internal: bool,
}

impl NField {
    pub fn response_key(&self) -> &Name {
        self.alias.as_ref().unwrap_or(&self.name)
    }

    pub fn internal(name: Name, selections: Vec<NSel>) -> NField {
        NField {
            alias: None,
            name,
            arguments: Vec::new(),
            selections,
            internal: true,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum NSel {
    Field(NField),
    Fragment {
        type_condition: Option<Name>,
        selections: Vec<NSel>,
    },
}

pub(crate) struct Normalizer<'a> {
    pub document: &'a ExecutableDocument,
    pub operation: &'a Operation,
    pub conditions: &'a BTreeMap<String, bool>,
}

impl Normalizer<'_> {
    pub fn root(&self) -> Result<Vec<NSel>, PlanError> {
        let mut out = self.selection_set(&self.operation.selection_set, 0)?;
        // Introspection is answered by the router from the API schema.
        out.retain(|s| !matches!(s, NSel::Field(f) if f.name == "__schema" || f.name == "__type"));
        Ok(out)
    }

    fn selection_set(&self, set: &SelectionSet, depth: usize) -> Result<Vec<NSel>, PlanError> {
        if depth > MAX_DEPTH {
            return Err(PlanError::TooDeep);
        }
        let mut out = Vec::new();
        for sel in &set.selections {
            if !self.included(sel.directives())? {
                continue;
            }
            match sel {
                Selection::Field(f) => out.push(NSel::Field(NField {
                    alias: f.alias.clone(),
                    name: f.name.clone(),
                    arguments: f.arguments.clone(),
                    selections: self.selection_set(&f.selection_set, depth + 1)?,
                    internal: false,
                })),
                Selection::InlineFragment(f) => out.push(NSel::Fragment {
                    type_condition: f.type_condition.clone(),
                    selections: self.selection_set(&f.selection_set, depth + 1)?,
                }),
                Selection::FragmentSpread(s) => {
                    let frag = self
                        .document
                        .fragments
                        .get(&s.fragment_name)
                        .ok_or_else(|| PlanError::UnknownFragment(s.fragment_name.to_string()))?;
                    out.push(NSel::Fragment {
                        type_condition: Some(frag.type_condition().clone()),
                        selections: self.selection_set(&frag.selection_set, depth + 1)?,
                    });
                }
            }
        }
        Ok(out)
    }

    fn included(
        &self,
        directives: &apollo_compiler::executable::DirectiveList,
    ) -> Result<bool, PlanError> {
        for d in directives.iter() {
            let negate = match d.name.as_str() {
                "skip" => true,
                "include" => false,
                _ => continue,
            };
            let value = match d.specified_argument_by_name("if").map(|v| v.as_ref()) {
                Some(Value::Boolean(b)) => *b,
                Some(Value::Variable(v)) => self.variable(v)?,
                _ => return Err(PlanError::InvalidCondition(d.name.to_string())),
            };
            if value == negate {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn variable(&self, name: &Name) -> Result<bool, PlanError> {
        if let Some(v) = self.conditions.get(name.as_str()) {
            return Ok(*v);
        }
        self.operation
            .variables
            .iter()
            .find(|v| v.name == *name)
            .and_then(|v| v.default_value.as_ref())
            .and_then(|d| d.to_bool())
            .ok_or_else(|| PlanError::MissingConditionVariable(name.to_string()))
    }
}

/// Variables used by `@skip`/`@include` anywhere in the operation (its fragments included):
/// exactly the variable values that change the plan.
pub(crate) fn condition_variables(
    document: &ExecutableDocument,
    operation: &Operation,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen_fragments = BTreeSet::new();
    collect(
        document,
        &operation.selection_set,
        &mut out,
        &mut seen_fragments,
    );
    out
}

fn collect(
    document: &ExecutableDocument,
    set: &SelectionSet,
    out: &mut BTreeSet<String>,
    seen: &mut BTreeSet<Name>,
) {
    for sel in &set.selections {
        for d in sel.directives().iter() {
            if (d.name == "skip" || d.name == "include")
                && let Some(Value::Variable(v)) =
                    d.specified_argument_by_name("if").map(|v| v.as_ref())
            {
                out.insert(v.to_string());
            }
        }
        match sel {
            Selection::Field(f) => collect(document, &f.selection_set, out, seen),
            Selection::InlineFragment(f) => collect(document, &f.selection_set, out, seen),
            Selection::FragmentSpread(s) => {
                if seen.insert(s.fragment_name.clone())
                    && let Some(frag) = document.fragments.get(&s.fragment_name)
                {
                    collect(document, &frag.selection_set, out, seen);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::Schema;

    fn document(source: &str) -> apollo_compiler::validation::Valid<ExecutableDocument> {
        let schema = Schema::parse_and_validate(
            "type Query { a: Int b: Int c: C } type C { d: Int }",
            "s.graphql",
        )
        .expect("schema");
        ExecutableDocument::parse_and_validate(&schema, source, "q.graphql").expect("document")
    }

    fn names(sels: &[NSel]) -> Vec<String> {
        let mut out = Vec::new();
        for s in sels {
            match s {
                NSel::Field(f) => out.push(f.response_key().to_string()),
                NSel::Fragment { selections, .. } => out.extend(names(selections)),
            }
        }
        out
    }

    #[test]
    fn conditions_use_options_then_defaults() {
        let doc = document(
            "query($x: Boolean!, $y: Boolean = false) { a @include(if: $x) b @skip(if: $y) ...F }
             fragment F on Query { c @include(if: $x) { d } }",
        );
        let op = doc.operations.get(None).expect("op");
        let vars = condition_variables(&doc, op);
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["x", "y"]);
        let mut conditions = BTreeMap::new();
        conditions.insert("x".to_string(), false);
        let n = Normalizer {
            document: &doc,
            operation: op,
            conditions: &conditions,
        };
        assert_eq!(names(&n.root().expect("normalized")), ["b"]);
        conditions.insert("x".to_string(), true);
        conditions.insert("y".to_string(), true);
        let n = Normalizer {
            document: &doc,
            operation: op,
            conditions: &conditions,
        };
        assert_eq!(names(&n.root().expect("normalized")), ["a", "c"]);
    }

    #[test]
    fn missing_condition_without_default_is_an_error() {
        let doc = document("query($x: Boolean!) { a @include(if: $x) }");
        let op = doc.operations.get(None).expect("op");
        let conditions = BTreeMap::new();
        let n = Normalizer {
            document: &doc,
            operation: op,
            conditions: &conditions,
        };
        assert_eq!(
            n.root().err(),
            Some(PlanError::MissingConditionVariable("x".into()))
        );
    }

    #[test]
    fn introspection_root_fields_are_dropped() {
        let doc = document("{ __schema { queryType { name } } __type(name: \"C\") { name } a }");
        let op = doc.operations.get(None).expect("op");
        let conditions = BTreeMap::new();
        let n = Normalizer {
            document: &doc,
            operation: op,
            conditions: &conditions,
        };
        assert_eq!(names(&n.root().expect("normalized")), ["a"]);
    }
}
