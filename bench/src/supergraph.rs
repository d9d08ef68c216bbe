//! Composes the four subgraphs into a supergraph with our own composition
//! (`federation::compose`). `bench/supergraph.graphql` is [`compose`] at [`default_urls`].
use federation::compose::{CompositionError, SubgraphInput, compose as compose_subgraphs};

use crate::serve::DEFAULT_PORTS;
use crate::subgraphs::{NAMES, accounts, inventory, products, reviews, sdl};

#[derive(Debug, thiserror::Error)]
#[error("the benchmark subgraphs do not compose: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ComposeError(pub Vec<CompositionError>);

/// The SDL of each subgraph, in [`NAMES`] order.
pub fn subgraph_sdls() -> [String; 4] {
    [
        sdl(&accounts::schema()),
        sdl(&products::schema()),
        sdl(&inventory::schema()),
        sdl(&reviews::schema()),
    ]
}

/// The URLs of the subgraphs on their fixed ports.
pub fn default_urls() -> [String; 4] {
    DEFAULT_PORTS.map(|port| format!("http://127.0.0.1:{port}/"))
}

/// The supergraph routing each subgraph (in [`NAMES`] order) to `urls`.
pub fn compose(urls: &[String; 4]) -> Result<String, ComposeError> {
    let inputs: Vec<SubgraphInput> = NAMES
        .iter()
        .zip(urls)
        .zip(subgraph_sdls())
        .map(|((name, url), sdl)| SubgraphInput {
            name: (*name).to_owned(),
            url: url.clone(),
            sdl,
        })
        .collect();
    compose_subgraphs(&inputs)
        .map(|composed| composed.sdl)
        .map_err(ComposeError)
}
