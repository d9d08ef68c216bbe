//! Reading a Federation v2 supergraph: links, subgraphs, the per-type and per-field join
//! model, and the client-facing API schema.
mod api_schema;
pub(crate) mod field_set;
mod join;
mod links;
pub mod model;

use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use indexmap::IndexMap;

pub use model::{
    AuthRequirements, ContextArgument, EntityKey, FieldJoin, FieldModel, GraphId, ListSize,
    Subgraph, TypeInGraph, TypeKind, TypeModel,
};

pub(crate) use links::Links;

#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    #[error("the supergraph is not valid GraphQL: {0}")]
    InvalidSchema(String),
    #[error("not a supergraph: {0}")]
    NotASupergraph(&'static str),
    #[error("invalid @link: {0}")]
    InvalidLink(String),
    #[error(
        "the supergraph links `{url}` for execution or security, which this gateway does not support"
    )]
    UnsupportedSpec { url: String },
    #[error("invalid join directive on `{element}`: {message}")]
    InvalidJoin { element: String, message: String },
    #[error("invalid field set `{fields}` on `{type_name}`: {message}")]
    InvalidFieldSet {
        type_name: String,
        fields: String,
        message: String,
    },
    #[error("the API schema derived from the supergraph is invalid: {0}")]
    InvalidApiSchema(String),
}

/// A parsed supergraph: the full schema (with join machinery, used for planning), the API
/// schema clients see, the subgraphs and the join model.
#[derive(Debug, Clone)]
pub struct Supergraph {
    schema: Valid<Schema>,
    api_schema: Valid<Schema>,
    subgraphs: Vec<Subgraph>,
    types: IndexMap<Name, TypeModel>,
    join_version: String,
    /// Interface name -> implementing object types, in schema order.
    implementers: IndexMap<Name, Vec<Name>>,
}

impl Supergraph {
    /// Parses and checks a supergraph SDL as Apollo's or Hive's composition emit it.
    pub fn parse(sdl: &str) -> Result<Supergraph, SupergraphError> {
        let schema = Schema::parse_and_validate(sdl, "supergraph.graphql")
            .map_err(|e| SupergraphError::InvalidSchema(e.errors.to_string()))?;
        let links = Links::read(&schema)?;
        let subgraphs = join::read_subgraphs(&schema, &links)?;
        let types = join::read_types(&schema, &links, &subgraphs)?;
        let api_schema = api_schema::build(&schema, &links)?;
        let join_version = links
            .get("join")
            .map(|l| l.version.clone())
            .unwrap_or_default();
        let mut implementers: IndexMap<Name, Vec<Name>> = IndexMap::new();
        for ty in schema.types.values() {
            if let apollo_compiler::schema::ExtendedType::Object(o) = ty {
                for i in &o.implements_interfaces {
                    implementers
                        .entry(i.name.clone())
                        .or_default()
                        .push(o.name.clone());
                }
            }
        }
        Ok(Supergraph {
            implementers,
            join_version,
            schema,
            api_schema,
            subgraphs,
            types,
        })
    }

    /// The client-facing schema: no join/link machinery, no `@inaccessible` elements.
    pub fn api_schema(&self) -> &Valid<Schema> {
        &self.api_schema
    }

    /// The full supergraph schema, as parsed (includes inaccessible elements).
    pub fn schema(&self) -> &Valid<Schema> {
        &self.schema
    }

    /// The linked join spec version (`"0.3"`, `"0.5"`, ...).
    pub fn join_version(&self) -> &str {
        &self.join_version
    }

    pub fn subgraphs(&self) -> &[Subgraph] {
        &self.subgraphs
    }

    pub fn subgraph(&self, id: GraphId) -> Option<&Subgraph> {
        self.subgraphs.get(id)
    }

    pub fn subgraph_by_name(&self, name: &str) -> Option<GraphId> {
        self.subgraphs.iter().position(|s| s.name == name)
    }

    /// Every non-built-in, non-machinery type with its join model.
    pub fn types(&self) -> &IndexMap<Name, TypeModel> {
        &self.types
    }

    pub fn type_model(&self, name: &str) -> Option<&TypeModel> {
        self.types.get(name)
    }

    pub fn field_model(&self, type_name: &str, field: &str) -> Option<&FieldModel> {
        self.types.get(type_name)?.fields.get(field)
    }

    /// Concrete object types that can be the runtime type of `abstract_or_object`
    /// in the supergraph (itself for an object type).
    pub fn possible_types(&self, type_name: &str) -> Vec<Name> {
        match self.schema.types.get(type_name) {
            Some(apollo_compiler::schema::ExtendedType::Object(o)) => vec![o.name.clone()],
            Some(apollo_compiler::schema::ExtendedType::Union(u)) => {
                u.members.iter().map(|m| m.name.clone()).collect()
            }
            Some(apollo_compiler::schema::ExtendedType::Interface(_)) => self
                .implementers
                .get(type_name)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether `object` is a possible runtime type of `abstract_type` as known by `graph`
    /// (through `@join__implements` / `@join__unionMember`).
    pub fn graph_knows_possible_type(
        &self,
        graph: GraphId,
        abstract_type: &str,
        object: &str,
    ) -> bool {
        let Some(object_model) = self.types.get(object) else {
            return false;
        };
        if !object_model.in_graph(graph) {
            return false;
        }
        let Some(abstract_model) = self.types.get(abstract_type) else {
            return false;
        };
        match abstract_model.kind {
            TypeKind::Union => {
                if abstract_model.union_members.is_empty() {
                    return abstract_model.in_graph(graph)
                        && self.schema.is_subtype(abstract_type, object);
                }
                abstract_model
                    .union_members
                    .iter()
                    .any(|(g, m)| *g == graph && m == object)
            }
            TypeKind::Interface => {
                if !self.schema.is_subtype(abstract_type, object) {
                    return false;
                }
                let declared = object_model
                    .implements
                    .iter()
                    .any(|(g, i)| *g == graph && i == abstract_type);
                // Supergraphs without @join__implements (join v0.1 style) imply it.
                declared || (object_model.implements.is_empty() && abstract_model.in_graph(graph))
            }
            _ => false,
        }
    }
}
