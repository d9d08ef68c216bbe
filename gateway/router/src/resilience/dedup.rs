//! Deduplication of identical subgraph queries in flight: the first caller sends, later
//! identical callers await the same answer. The entry leaves the map when the call ends.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use http::StatusCode;

use crate::execution::subgraph_client::FetchError;

pub type Exchange = Result<(StatusCode, Bytes), Arc<FetchError>>;
type Pending = Shared<BoxFuture<'static, Exchange>>;

#[derive(Default, Clone)]
pub struct InFlight {
    calls: Arc<Mutex<HashMap<[u8; 32], Pending>>>,
}

impl InFlight {
    /// Runs `call` unless an identical call (same `key`) is in flight, then shares it.
    pub async fn run(
        &self,
        key: [u8; 32],
        call: impl std::future::Future<Output = Exchange> + Send + 'static,
    ) -> Exchange {
        let pending = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            match calls.get(&key) {
                Some(pending) => {
                    metrics::counter!("gateway_subgraph_dedup_total").increment(1);
                    pending.clone()
                }
                None => {
                    let map = self.calls.clone();
                    let pending = async move {
                        let out = call.await;
                        map.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
                        out
                    }
                    .boxed()
                    .shared();
                    calls.insert(key, pending.clone());
                    pending
                }
            }
        };
        pending.await
    }
}
