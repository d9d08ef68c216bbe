//! HTTP servers for the four subgraphs. Each counts the GraphQL requests it answers
//! (`GET /count`), so the runner can report subgraph requests per client request.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::Executor;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::subgraphs::{NAMES, accounts, inventory, products, reviews};

/// The fixed loopback ports of `accounts`, `products`, `inventory` and `reviews`.
pub const DEFAULT_PORTS: [u16; 4] = [4201, 4202, 4203, 4204];

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read a listener's address: {0}")]
    Address(#[source] std::io::Error),
}

#[derive(Clone)]
struct Served<E> {
    executor: E,
    requests: Arc<AtomicU64>,
}

async fn graphql<E: Executor>(
    State(served): State<Served<E>>,
    request: GraphQLBatchRequest,
) -> GraphQLResponse {
    served.requests.fetch_add(1, Ordering::Relaxed);
    served
        .executor
        .execute_batch(request.into_inner())
        .await
        .into()
}

async fn count<E: Executor>(State(served): State<Served<E>>) -> String {
    served.requests.load(Ordering::Relaxed).to_string()
}

/// A subgraph's routes: `POST /` (GraphQL) and `GET /count` (requests answered so far).
pub fn router<E: Executor + Clone>(executor: E, requests: Arc<AtomicU64>) -> Router {
    Router::new()
        .route("/", post(graphql::<E>))
        .route("/count", get(count::<E>))
        .with_state(Served { executor, requests })
}

/// One running subgraph.
#[derive(Debug)]
pub struct RunningSubgraph {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub requests: Arc<AtomicU64>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl RunningSubgraph {
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Starts the four subgraphs on `ports` (in [`NAMES`] order; 0 picks a free port) on
/// 127.0.0.1 and returns once all are listening.
pub async fn start(ports: [u16; 4]) -> Result<Vec<RunningSubgraph>, ServeError> {
    let mut running = Vec::with_capacity(NAMES.len());
    for (name, port) in NAMES.into_iter().zip(ports) {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(ServeError::Address)?;
        let requests = Arc::new(AtomicU64::new(0));
        let app = match name {
            "accounts" => router(accounts::schema(), requests.clone()),
            "products" => router(products::schema(), requests.clone()),
            "inventory" => router(inventory::schema(), requests.clone()),
            _ => router(reviews::schema(), requests.clone()),
        };
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        running.push(RunningSubgraph {
            name,
            addr,
            requests,
            task,
        });
    }
    Ok(running)
}
