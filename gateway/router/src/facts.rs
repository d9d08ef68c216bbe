//! The supergraph facts the edge enforces, indexed once per supergraph: authorization
//! requirements (`@authenticated`, `@requiresScopes`, `@policy`) and cost weights (`@cost`,
//! `@listSize`) by type and field. Empty for a state built without a federation supergraph.
use std::collections::HashMap;

use apollo_compiler::Name;
use federation::supergraph::model::{AuthRequirements, ListSize, TypeKind};

#[derive(Debug, Clone, Default)]
pub struct FieldFacts {
    pub auth: AuthRequirements,
    pub cost: Option<i32>,
    pub argument_costs: HashMap<String, i32>,
    pub list_size: Option<ListSize>,
}

#[derive(Debug, Clone, Default)]
pub struct DirectiveFacts {
    types: HashMap<String, (AuthRequirements, Option<i32>)>,
    fields: HashMap<(String, String), FieldFacts>,
    /// Object types of each interface and union.
    possible: HashMap<String, Vec<String>>,
    has_auth: bool,
}

impl DirectiveFacts {
    pub fn from_supergraph(supergraph: &federation::Supergraph) -> Self {
        let mut facts = Self::default();
        for (name, model) in supergraph.types() {
            if matches!(model.kind, TypeKind::InputObject) {
                continue;
            }
            if model.is_abstract() {
                let possible = supergraph.possible_types(name);
                facts.possible.insert(
                    name.to_string(),
                    possible.iter().map(|t| t.to_string()).collect(),
                );
            }
            if !model.auth.is_empty() || model.cost.is_some() {
                facts.has_auth |= !model.auth.is_empty();
                facts
                    .types
                    .insert(name.to_string(), (model.auth.clone(), model.cost));
            }
            for (field_name, field) in &model.fields {
                if field.auth.is_empty()
                    && field.cost.is_none()
                    && field.argument_costs.is_empty()
                    && field.list_size.is_none()
                {
                    continue;
                }
                facts.has_auth |= !field.auth.is_empty();
                facts.fields.insert(
                    (name.to_string(), field_name.to_string()),
                    FieldFacts {
                        auth: field.auth.clone(),
                        cost: field.cost,
                        argument_costs: field
                            .argument_costs
                            .iter()
                            .map(|(k, v)| (k.to_string(), *v))
                            .collect(),
                        list_size: field.list_size.clone(),
                    },
                );
            }
        }
        facts
    }

    pub fn has_auth(&self) -> bool {
        self.has_auth
    }

    pub fn field(&self, type_name: &str, field: &str) -> Option<&FieldFacts> {
        self.fields.get(&(type_name.to_string(), field.to_string()))
    }

    pub fn type_cost(&self, type_name: &str) -> Option<i32> {
        self.types.get(type_name).and_then(|(_, cost)| *cost)
    }

    /// Requirements of `type_name` itself.
    pub fn type_requirements<'a>(
        &'a self,
        type_name: &str,
    ) -> impl Iterator<Item = &'a AuthRequirements> + 'a {
        self.types
            .get(type_name)
            .map(|(auth, _)| auth)
            .filter(|a| !a.is_empty())
            .into_iter()
    }

    /// Requirements of `parent.field`, and of the same field on every possible type when
    /// `parent` is abstract (an interface field is only as open as its strictest
    /// implementation).
    pub fn field_requirements<'a>(
        &'a self,
        parent: &Name,
        field: &Name,
    ) -> impl Iterator<Item = &'a AuthRequirements> + 'a {
        let mut owners = vec![parent.to_string()];
        if let Some(possible) = self.possible.get(parent.as_str()) {
            owners.extend(possible.iter().cloned());
        }
        let field = field.to_string();
        owners
            .into_iter()
            .filter_map(move |owner| self.fields.get(&(owner, field.clone())))
            .map(|f| &f.auth)
            .filter(|a| !a.is_empty())
    }
}
