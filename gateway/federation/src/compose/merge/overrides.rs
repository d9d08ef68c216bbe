//! `@override`: which subgraph a field moved from, whether the old one still uses it
//! (`usedOverridden`), progressive labels, and the rules overrides must follow.
use std::collections::{HashMap, HashSet};

use super::super::errors::{CompositionError, ErrorCode};
use super::super::subgraph::Field;
use super::Merger;

#[derive(Default, Clone)]
pub(super) struct OverrideContext {
    pub used_overridden: HashSet<usize>,
    pub unused_overridden: HashSet<usize>,
    pub labels: HashMap<usize, String>,
    pub unknown_target: HashSet<usize>,
}

impl OverrideContext {
    pub fn is_overridden(&self, g: usize) -> bool {
        self.used_overridden.contains(&g) || self.unused_overridden.contains(&g)
    }
}

impl<'a> Merger<'a> {
    pub(super) fn validate_override(
        &mut self,
        type_name: &str,
        field: &str,
        present: &[(usize, &'a Field)],
    ) -> OverrideContext {
        let mut ctx = OverrideContext::default();
        let with_override: Vec<(usize, &Field)> = present
            .iter()
            .filter(|(g, f)| f.override_from.is_some() && self.models[*g].fed2)
            .map(|(g, f)| (*g, *f))
            .collect();
        let coordinate = format!("{type_name}.{field}");
        for (g, f) in &with_override {
            let Some(from) = f.override_from.as_deref() else {
                continue;
            };
            let name = self.models[*g].name.clone();
            if self.models[*g]
                .types
                .get(type_name)
                .is_some_and(|t| t.interface_object)
            {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    Some(&name),
                    Some(&coordinate),
                    format!("@override is not yet supported on fields of @interfaceObject types: cannot be used on field \"{coordinate}\" on subgraph \"{name}\"."),
                ));
                continue;
            }
            let Some(from_idx) = self.models.iter().position(|m| m.name == from) else {
                // Apollo only hints here; we refuse, since a misspelt `from` silently moves
                // nothing.
                ctx.unknown_target.insert(*g);
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideFromUnknownSubgraph,
                    Some(&name),
                    Some(&coordinate),
                    format!("Source subgraph \"{from}\" for field \"{coordinate}\" on subgraph \"{name}\" does not exist."),
                ));
                continue;
            };
            if from == name {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideFromSelfError,
                    Some(&name),
                    Some(&coordinate),
                    format!("Source and destination subgraphs \"{from}\" are the same for overridden field \"{coordinate}\""),
                ));
                continue;
            }
            if with_override.iter().any(|(og, _)| *og == from_idx) {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideSourceHasOverride,
                    Some(&name),
                    Some(&coordinate),
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" is also marked with directive @override in subgraph \"{from}\". Only one @override directive is allowed per field."),
                ));
                continue;
            }
            let Some((_, from_field)) = present.iter().find(|(pg, _)| *pg == from_idx) else {
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    &coordinate,
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" no longer exists in the from subgraph. The @override directive can be removed."),
                );
                continue;
            };
            let conflict = if from_field.requires.is_some() {
                Some((from, "requires"))
            } else if from_field.provides.is_some() {
                Some((from, "provides"))
            } else if f.external {
                Some((name.as_str(), "external"))
            } else {
                None
            };
            if let Some((subgraph, directive)) = conflict {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    Some(&name),
                    Some(&coordinate),
                    format!("@override cannot be used on field \"{coordinate}\" on subgraph \"{name}\" since \"{coordinate}\" on \"{subgraph}\" is marked with directive \"@{directive}\""),
                ));
                continue;
            }
            let referenced = self.models[from_idx]
                .used_in_field_sets
                .contains(&(type_name.to_string(), field.to_string()));
            let label = f.override_label.clone();
            if from_field.external {
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    &coordinate,
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" is not resolved anymore by the from subgraph (it is marked \"@external\" in \"{from}\"). The @override directive can be removed."),
                );
            } else if referenced {
                ctx.used_overridden.insert(from_idx);
                if label.is_none() {
                    self.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        &coordinate,
                        format!("Field \"{coordinate}\" on subgraph \"{from}\" is overridden. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s), but consider marking it @external explicitly or removing it along with its references."),
                    );
                }
            } else {
                ctx.unused_overridden.insert(from_idx);
                if label.is_none() {
                    self.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        &coordinate,
                        format!("Field \"{coordinate}\" on subgraph \"{from}\" is overridden. Consider removing it."),
                    );
                }
            }
            if let Some(label) = label {
                let message = if referenced {
                    format!(
                        "Field \"{coordinate}\" on subgraph \"{from}\" is currently being migrated via progressive @override. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s). Once the migration is complete, consider marking it @external explicitly or removing it along with its references."
                    )
                } else {
                    format!(
                        "Field \"{coordinate}\" is currently being migrated with progressive @override. Once the migration is complete, remove the field from subgraph \"{from}\"."
                    )
                };
                if valid_override_label(&label) {
                    ctx.labels.insert(*g, label.clone());
                    ctx.labels.insert(from_idx, label);
                } else {
                    self.errors.push(CompositionError::new(
                        ErrorCode::OverrideLabelInvalid,
                        Some(&name),
                        Some(&coordinate),
                        format!("Invalid @override label \"{label}\" on field \"{coordinate}\" on subgraph \"{name}\": labels must start with a letter and after that may contain alphanumerics, underscores, minuses, colons, periods, or slashes. Alternatively, labels may be of the form \"percent(x)\" where x is a float between 0-100 inclusive."),
                    ));
                }
                self.hint("OVERRIDE_MIGRATION_IN_PROGRESS", &coordinate, message);
            }
        }
        ctx
    }
}

fn valid_override_label(label: &str) -> bool {
    if let Some(inner) = label
        .strip_prefix("percent(")
        .and_then(|l| l.strip_suffix(')'))
    {
        if inner == "100" {
            return true;
        }
        let (int, frac) = inner.split_once('.').unwrap_or((inner, ""));
        let int_ok = !int.is_empty() && int.len() <= 2 && int.chars().all(|c| c.is_ascii_digit());
        let frac_ok = !inner.contains('.')
            || (!frac.is_empty() && frac.len() <= 8 && frac.chars().all(|c| c.is_ascii_digit()));
        return int_ok && frac_ok;
    }
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-:./".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_labels() {
        assert!(valid_override_label("percent(50)"));
        assert!(valid_override_label("percent(12.5)"));
        assert!(valid_override_label("percent(100)"));
        assert!(!valid_override_label("percent(101)"));
        assert!(valid_override_label("beta-users"));
        assert!(!valid_override_label("1abc"));
    }
}
