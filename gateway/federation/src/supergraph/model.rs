//! The supergraph model: for every type and field, which subgraphs can resolve it and how,
//! plus the authorization and cost directives the router enforces.
use apollo_compiler::Name;
use indexmap::IndexMap;

use super::field_set::FieldSetTree;

/// Index of a subgraph in [`super::Supergraph::subgraphs`] (the `join__Graph` order).
pub type GraphId = usize;

/// One subgraph, from a `join__Graph` value's `@join__graph(name:, url:)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subgraph {
    pub name: String,
    pub url: String,
    /// The `join__Graph` enum value naming this subgraph in join directives.
    pub enum_value: Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
    Scalar,
}

/// A `@key` of an entity in one subgraph.
#[derive(Debug, Clone)]
pub struct EntityKey {
    pub graph: GraphId,
    /// The key's field set as written (`"id organization { id }"`).
    pub fields: String,
    /// `false`: the subgraph can reference the entity but has no resolver for it.
    pub resolvable: bool,
    pub(crate) selection: FieldSetTree,
}

/// `@join__type` facts for one subgraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInGraph {
    pub graph: GraphId,
    pub extension: bool,
    /// The subgraph sees this interface as an object type (`@interfaceObject`).
    pub is_interface_object: bool,
}

/// `@authenticated`, `@requiresScopes`, `@policy` on one element. Empty means no requirement.
/// `scopes` and `policies` are disjunctions of conjunctions, as in the directives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthRequirements {
    pub authenticated: bool,
    pub scopes: Vec<Vec<String>>,
    pub policies: Vec<Vec<String>>,
}

impl AuthRequirements {
    pub fn is_empty(&self) -> bool {
        !self.authenticated && self.scopes.is_empty() && self.policies.is_empty()
    }
}

/// `@listSize` on a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSize {
    pub assumed_size: Option<i32>,
    pub slicing_arguments: Vec<String>,
    pub sized_fields: Vec<String>,
    pub require_one_slicing_argument: bool,
}

/// A type of the supergraph with its federation facts.
#[derive(Debug, Clone)]
pub struct TypeModel {
    pub name: Name,
    pub kind: TypeKind,
    /// Subgraphs that define this type. Empty when the type carries no `@join__type`
    /// (then every subgraph is assumed to know it).
    pub graphs: Vec<TypeInGraph>,
    pub keys: Vec<EntityKey>,
    /// `(graph, interface)` from `@join__implements`.
    pub implements: Vec<(GraphId, Name)>,
    /// `(graph, member)` from `@join__unionMember`.
    pub union_members: Vec<(GraphId, Name)>,
    /// Enum values with the subgraphs that know them (`@join__enumValue`); an empty list
    /// means every subgraph that has the enum knows the value.
    pub enum_values: IndexMap<Name, Vec<GraphId>>,
    pub fields: IndexMap<Name, FieldModel>,
    pub auth: AuthRequirements,
    pub cost: Option<i32>,
    pub inaccessible: bool,
    /// Context names this type provides (`@context(name:)`), for `@fromContext` arguments.
    pub contexts: Vec<String>,
}

impl TypeModel {
    /// Whether `graph` defines this type.
    pub fn in_graph(&self, graph: GraphId) -> bool {
        self.graphs.is_empty() || self.graphs.iter().any(|g| g.graph == graph)
    }

    pub fn is_interface_object_in(&self, graph: GraphId) -> bool {
        self.graphs
            .iter()
            .any(|g| g.graph == graph && g.is_interface_object)
    }

    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, TypeKind::Interface | TypeKind::Union)
    }

    /// Resolvable keys of this type in `graph`.
    pub fn resolvable_keys(&self, graph: GraphId) -> impl Iterator<Item = &EntityKey> {
        self.keys
            .iter()
            .filter(move |k| k.graph == graph && k.resolvable)
    }

    /// Whether the enum value is known to `graph`.
    pub fn enum_value_in_graph(&self, value: &str, graph: GraphId) -> bool {
        match self.enum_values.get(value) {
            Some(graphs) => graphs.is_empty() || graphs.contains(&graph),
            None => false,
        }
    }
}

/// A `@join__field` of one subgraph.
#[derive(Debug, Clone, Default)]
pub struct FieldJoin {
    /// `None` for a bare `@join__field` (the field is reached through an interface).
    pub graph: Option<GraphId>,
    pub requires: Option<String>,
    pub provides: Option<String>,
    /// The field's type in that subgraph when it differs from the supergraph.
    pub type_in_graph: Option<String>,
    pub external: bool,
    /// Name of the subgraph the field was moved from.
    pub override_from: Option<String>,
    pub used_overridden: bool,
    pub override_label: Option<String>,
    pub context_arguments: Vec<ContextArgument>,
    pub(crate) requires_selection: Option<FieldSetTree>,
    pub(crate) provides_selection: Option<FieldSetTree>,
}

/// A `join__ContextArgument`: an argument filled from a `@context` selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextArgument {
    pub name: String,
    pub type_: String,
    pub context: String,
    pub selection: String,
}

#[derive(Debug, Clone)]
pub struct FieldModel {
    pub name: Name,
    /// Every `@join__field`; empty when the field has none (resolvable wherever its type is).
    pub joins: Vec<FieldJoin>,
    pub auth: AuthRequirements,
    pub cost: Option<i32>,
    /// `@cost(weight:)` on the field's arguments, by argument name.
    pub argument_costs: IndexMap<Name, i32>,
    pub list_size: Option<ListSize>,
    pub inaccessible: bool,
}

impl FieldModel {
    /// The `@join__field` for `graph`, if any.
    pub fn join_for(&self, graph: GraphId) -> Option<&FieldJoin> {
        self.joins.iter().find(|j| j.graph == Some(graph))
    }
}
