//! The state derived from one supergraph: API schema, planner, subgraph endpoints and the
//! caches that are only valid for it. Built once, shared as an `Arc`, swapped whole on reload.
use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::collections::HashMap as CompilerHashMap;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use http::Uri;

use crate::config::GatewayConfig;
use crate::document::DocumentCache;
use crate::execution::SubgraphEndpoint;
use crate::execution::representations::PossibleTypes;
use crate::plan_cache::{PlanCache, QueryPlanning};

#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    #[error("subgraph `{subgraph}` has an invalid URL `{url}`: {source}")]
    BadUrl {
        subgraph: String,
        url: String,
        #[source]
        source: http::uri::InvalidUri,
    },
    #[error("the configuration overrides subgraph `{0}`, which the supergraph does not define")]
    UnknownOverride(String),
    #[error("invalid supergraph: {0}")]
    Federation(#[from] federation::SupergraphError),
}

pub struct SupergraphState {
    pub api_schema: Valid<Schema>,
    pub implementers: CompilerHashMap<Name, Implementers>,
    pub possible_types: PossibleTypes,
    pub endpoints: HashMap<String, SubgraphEndpoint>,
    pub planner: Box<dyn QueryPlanning>,
    pub documents: DocumentCache,
    pub plans: PlanCache,
    /// Authorization and cost directives (empty without a federation supergraph).
    pub facts: crate::facts::DirectiveFacts,
    /// Hex SHA-256 of the supergraph SDL this state was built from (`/ready` reports it).
    pub sha256: Option<String>,
}

impl SupergraphState {
    /// Everything the gateway needs from a supergraph SDL, with the federation planner.
    pub fn from_sdl(sdl: &str, config: &GatewayConfig) -> Result<Arc<Self>, SupergraphError> {
        let supergraph = federation::Supergraph::parse(sdl)?;
        let subgraphs = supergraph
            .subgraphs()
            .iter()
            .map(|s| (s.name.clone(), s.url.clone()))
            .collect::<Vec<_>>();
        // Type conditions in `requires` and rewrites may name types the API hides.
        let possible_types = PossibleTypes::from_schema(supergraph.schema());
        let planner = crate::plan_cache::FederationPlanning {
            planner: federation::QueryPlanner::new(&supergraph),
            labels: crate::override_labels::OverrideLabels::from_supergraph(
                &supergraph,
                &config.enabled_override_labels,
            ),
        };
        let mut state = Self::build(
            supergraph.api_schema().clone(),
            subgraphs,
            Box::new(planner),
            config,
        )?;
        state.possible_types = possible_types;
        state.facts = crate::facts::DirectiveFacts::from_supergraph(&supergraph);
        state.sha256 = Some(crate::reload::sha256_hex(sdl));
        Ok(Arc::new(state))
    }

    /// Assembles the state from its parts. `subgraphs` are `(name, url)` as the supergraph
    /// declares them; the config's overrides replace URLs and timeouts.
    pub fn new(
        api_schema: Valid<Schema>,
        subgraphs: impl IntoIterator<Item = (String, String)>,
        planner: Box<dyn QueryPlanning>,
        config: &GatewayConfig,
    ) -> Result<Arc<Self>, SupergraphError> {
        Self::build(api_schema, subgraphs, planner, config).map(Arc::new)
    }

    fn build(
        api_schema: Valid<Schema>,
        subgraphs: impl IntoIterator<Item = (String, String)>,
        planner: Box<dyn QueryPlanning>,
        config: &GatewayConfig,
    ) -> Result<Self, SupergraphError> {
        let mut endpoints = HashMap::new();
        for (name, url) in subgraphs {
            let url = config
                .subgraphs
                .get(&name)
                .and_then(|o| o.url.clone())
                .unwrap_or(url);
            let uri = url
                .parse::<Uri>()
                .map_err(|source| SupergraphError::BadUrl {
                    subgraph: name.clone(),
                    url: url.clone(),
                    source,
                })?;
            let timeout = config.subgraph_timeout(&name);
            endpoints.insert(name, SubgraphEndpoint { url: uri, timeout });
        }
        if let Some(unknown) = config
            .subgraphs
            .keys()
            .find(|k| !endpoints.contains_key(*k))
        {
            return Err(SupergraphError::UnknownOverride(unknown.clone()));
        }
        Ok(Self {
            implementers: api_schema.implementers_map(),
            possible_types: PossibleTypes::from_schema(&api_schema),
            api_schema,
            endpoints,
            planner,
            documents: DocumentCache::new(config.caches.documents, &config.limits),
            plans: PlanCache::new(config.caches.plans),
            facts: crate::facts::DirectiveFacts::default(),
            sha256: None,
        })
    }
}
