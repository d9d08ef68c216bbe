//! Field sets (`@key(fields:)`, `@requires`, `@provides`, context selections) parsed once into
//! a small tree the planner walks.
use apollo_compiler::executable::{FieldSet, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use super::SupergraphError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSetTree {
    pub items: Vec<FieldSetItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldSetItem {
    Field {
        name: Name,
        sub: FieldSetTree,
    },
    Fragment {
        type_condition: Option<Name>,
        sub: FieldSetTree,
    },
}

impl FieldSetTree {
    pub fn parse(
        schema: &Valid<Schema>,
        type_name: &Name,
        text: &str,
    ) -> Result<FieldSetTree, SupergraphError> {
        let set =
            FieldSet::parse(schema, type_name.clone(), text, "field_set.graphql").map_err(|e| {
                SupergraphError::InvalidFieldSet {
                    type_name: type_name.to_string(),
                    fields: text.to_string(),
                    message: e.errors.to_string(),
                }
            })?;
        Ok(Self::from_selection_set(&set.selection_set))
    }

    fn from_selection_set(set: &SelectionSet) -> FieldSetTree {
        let mut items = Vec::new();
        for sel in &set.selections {
            match sel {
                Selection::Field(f) => items.push(FieldSetItem::Field {
                    name: f.name.clone(),
                    sub: Self::from_selection_set(&f.selection_set),
                }),
                Selection::InlineFragment(f) => items.push(FieldSetItem::Fragment {
                    type_condition: f.type_condition.clone(),
                    sub: Self::from_selection_set(&f.selection_set),
                }),
                // Field sets cannot hold fragment spreads; the parser already rejected them.
                Selection::FragmentSpread(_) => {}
            }
        }
        FieldSetTree { items }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The provided sub-selection for `field` at a position of type `parent_type`, looking
    /// through fragments whose condition matches.
    pub fn field<'a>(
        &'a self,
        parent_type: &str,
        field: &str,
        possible: &dyn Fn(&str, &str) -> bool,
    ) -> Option<&'a FieldSetTree> {
        for item in &self.items {
            match item {
                FieldSetItem::Field { name, sub } if name.as_str() == field => return Some(sub),
                FieldSetItem::Fragment {
                    type_condition,
                    sub,
                } => {
                    let applies = match type_condition {
                        None => true,
                        Some(t) => t.as_str() == parent_type || possible(t, parent_type),
                    };
                    if applies && let Some(found) = sub.field(parent_type, field, possible) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

impl std::fmt::Display for FieldSetTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match item {
                FieldSetItem::Field { name, sub } => {
                    write!(f, "{name}")?;
                    if !sub.is_empty() {
                        write!(f, " {{ {sub} }}")?;
                    }
                }
                FieldSetItem::Fragment {
                    type_condition,
                    sub,
                } => match type_condition {
                    Some(t) => write!(f, "... on {t} {{ {sub} }}")?,
                    None => write!(f, "... {{ {sub} }}")?,
                },
            }
        }
        Ok(())
    }
}
