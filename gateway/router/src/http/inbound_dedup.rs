//! Edge stage: inbound request deduplication (`gateway.inbound_dedup.enabled`, off by
//! default). Identical client queries in flight at the same time share one execution: the
//! first (the leader) runs the pipeline, the others (followers) await its serialized answer.
//! The entry leaves the map when the execution ends: nothing is cached.
//!
//! Runs after CSRF, authentication and rate limiting (every client request still spends its
//! own rate budget) and before the pipeline. "Identical" is exact: the key is the full bytes
//! of the method, the operation text, the operation name, the variables and extensions as
//! received, and every header that can change the answer (the token's header, `Cookie` when
//! tokens may come from a cookie, every header a propagation rule forwards to subgraphs, and
//! `x-query-plan`). The map compares whole keys, so a hash collision never hands one client
//! another's answer.
//!
//! Only queries are shared: the operation type comes from the document cache the pipeline
//! uses next (so the parse is not wasted); anything that is not a valid query (mutations,
//! invalid documents, hash-only persisted requests) bypasses the stage.
//!
//! Cancellation: the execution is a [`Shared`] future driven by whichever waiter polls it, so
//! a leader whose client disconnects leaves the followers to finish it. The map holds only a
//! weak handle: when every waiter is gone the execution is dropped and its entry removed.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use apollo_compiler::executable::OperationType;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use http::{HeaderMap, HeaderName};
use serde::{Deserialize, Serialize};

use crate::config::GatewayConfig;
use crate::pipeline::{GraphqlRequest, Handled, Outcome};
use crate::resilience::headers::HeaderRule;
use crate::supergraph::SupergraphState;

/// `gateway.inbound_dedup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundDedupConfig {
    /// Share one execution between identical client queries in flight at the same time.
    pub enabled: bool,
}

/// One execution's answer, serialized once and handed to every waiter; each builds its own
/// HTTP response from it (status and content type follow its own `Accept`).
#[derive(Debug)]
pub struct SharedResponse {
    pub outcome: Outcome,
    /// `None` when the response could not be serialized (answered 500).
    pub body: Option<Bytes>,
    /// `extensions.code` of each error, for the per-request metrics.
    pub error_codes: Vec<String>,
}

impl SharedResponse {
    pub fn from_handled(handled: &Handled) -> Self {
        let body = match handled.response.to_json() {
            Ok(body) => Some(Bytes::from(body)),
            Err(error) => {
                tracing::error!(%error, "could not serialize a response");
                None
            }
        };
        Self {
            outcome: handled.outcome,
            body,
            error_codes: handled
                .response
                .errors
                .iter()
                .map(|e| e.code().unwrap_or("UNKNOWN").to_string())
                .collect(),
        }
    }
}

/// The exact identity of a request: length-prefixed parts, compared whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey(Box<[u8]>);

/// Whether a request led its execution or joined one in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
}

type Execution = Shared<BoxFuture<'static, Arc<SharedResponse>>>;

struct Entry {
    /// Tells this execution's entry from a later one under the same key.
    id: u64,
    execution: WeakShared<BoxFuture<'static, Arc<SharedResponse>>>,
}

type Calls = Arc<Mutex<HashMap<DedupKey, Entry, ahash::RandomState>>>;

pub struct InboundDedup {
    /// Lower-case names of the headers that can change the answer, sorted.
    headers: Vec<HeaderName>,
    calls: Calls,
    next_id: AtomicU64,
}

impl InboundDedup {
    pub fn new(config: &GatewayConfig) -> Self {
        let mut names: Vec<&str> = vec!["authorization", "x-query-plan"];
        names.push(config.auth.jwt.header_name.as_str());
        if config.auth.jwt.cookie.is_some() {
            names.push("cookie");
        }
        for rule in &config.headers.rules {
            if let HeaderRule::Propagate { named, .. } = rule {
                names.push(named.as_str());
            }
        }
        // `from_bytes` lower-cases; a name it refuses can be in no request either.
        let mut headers: Vec<HeaderName> = names
            .into_iter()
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .collect();
        headers.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        headers.dedup();
        Self {
            headers,
            calls: Arc::default(),
            next_id: AtomicU64::new(0),
        }
    }

    /// The key under which `request` may share an execution, or `None` when it must run on
    /// its own (not a valid query, or no operation text at the edge).
    pub fn key(
        &self,
        state: &SupergraphState,
        is_get: bool,
        request: &GraphqlRequest,
        headers: &HeaderMap,
    ) -> Option<DedupKey> {
        let query = request.query.as_deref().filter(|q| !q.is_empty())?;
        if !is_query(state, query, request.operation_name.as_deref()) {
            return None;
        }
        let variables = serde_json::to_vec(&request.variables).ok()?;
        let extensions = serde_json::to_vec(&request.extensions).ok()?;
        let mut key = Vec::with_capacity(query.len() + variables.len() + extensions.len() + 128);
        key.push(u8::from(is_get));
        part(&mut key, query.as_bytes());
        match &request.operation_name {
            Some(name) => {
                key.push(1);
                part(&mut key, name.as_bytes());
            }
            None => key.push(0),
        }
        part(&mut key, &variables);
        part(&mut key, &extensions);
        for name in &self.headers {
            let values = headers.get_all(name);
            key.extend_from_slice(&(values.iter().count() as u64).to_le_bytes());
            for value in values {
                part(&mut key, value.as_bytes());
            }
        }
        Some(DedupKey(key.into_boxed_slice()))
    }

    /// Runs `execute()` unless an execution under `key` is in flight, in which case this
    /// waits for that one's answer instead.
    pub async fn run<F, Fut>(&self, key: DedupKey, execute: F) -> (Arc<SharedResponse>, Role)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = SharedResponse> + Send + 'static,
    {
        let (execution, role) = self.join_or_lead(key, execute);
        if role == Role::Follower {
            metrics::counter!("gateway_inbound_dedup_total").increment(1);
        }
        (execution.await, role)
    }

    fn join_or_lead<F, Fut>(&self, key: DedupKey, execute: F) -> (Execution, Role)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = SharedResponse> + Send + 'static,
    {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(execution) = calls.get(&key).and_then(|e| e.execution.upgrade()) {
            return (execution, Role::Follower);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let removal = Removal {
            calls: self.calls.clone(),
            key: key.clone(),
            id,
        };
        let run = execute();
        let execution = async move {
            // Dropped on completion, or with the execution once every waiter is gone.
            let _removal = removal;
            Arc::new(run.await)
        }
        .boxed()
        .shared();
        if let Some(weak) = execution.downgrade() {
            calls.insert(
                key,
                Entry {
                    id,
                    execution: weak,
                },
            );
        }
        (execution, Role::Leader)
    }

    /// Executions in flight (for tests and diagnostics).
    pub fn in_flight(&self) -> usize {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Removes its execution's entry from the map when dropped.
struct Removal {
    calls: Calls,
    key: DedupKey,
    id: u64,
}

impl Drop for Removal {
    fn drop(&mut self) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if calls.get(&self.key).is_some_and(|e| e.id == self.id) {
            calls.remove(&self.key);
        }
    }
}

fn part(key: &mut Vec<u8>, bytes: &[u8]) {
    key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    key.extend_from_slice(bytes);
}

/// Whether `query` selects a valid query operation (not a mutation or subscription), read
/// from the document cache the pipeline consults next.
fn is_query(state: &SupergraphState, query: &str, operation_name: Option<&str>) -> bool {
    let document = state.documents.get(&state.api_schema, query);
    let Ok(document) = document.as_ref() else {
        return false;
    };
    document
        .operations
        .get(operation_name.filter(|n| !n.is_empty()))
        .is_ok_and(|operation| operation.operation_type == OperationType::Query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn answer(text: &'static str) -> SharedResponse {
        SharedResponse {
            outcome: Outcome::Executed,
            body: Some(Bytes::from_static(text.as_bytes())),
            error_codes: Vec::new(),
        }
    }

    fn key(text: &str) -> DedupKey {
        DedupKey(text.as_bytes().into())
    }

    #[tokio::test]
    async fn followers_share_the_leaders_execution_and_the_entry_leaves() {
        let dedup = InboundDedup::new(&GatewayConfig::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let counted = runs.clone();
        let leader = dedup.run(key("a"), move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = released.await;
            answer("one")
        });
        let follower = dedup.run(key("a"), || async { unreachable_answer() });
        let other = dedup.run(key("b"), || async { answer("two") });
        let driver = async {
            tokio::task::yield_now().await;
            let _ = release.send(());
        };
        let ((a, role_a), (b, role_b), (c, role_c), ()) =
            tokio::join!(leader, follower, other, driver);
        assert_eq!(
            (role_a, role_b, role_c),
            (Role::Leader, Role::Follower, Role::Leader)
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(c.body.as_deref(), Some(&b"two"[..]));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(dedup.in_flight(), 0, "no caching after completion");
        let (_, role) = dedup.run(key("a"), || async { answer("again") }).await;
        assert_eq!(role, Role::Leader);
    }

    fn unreachable_answer() -> SharedResponse {
        answer("a follower never executes")
    }

    #[tokio::test]
    async fn a_cancelled_leader_leaves_the_followers_to_finish() {
        let dedup = Arc::new(InboundDedup::new(&GatewayConfig::default()));
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let leader = {
            let dedup = dedup.clone();
            tokio::spawn(async move {
                dedup
                    .run(key("k"), move || async move {
                        let _ = started_tx.send(());
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        answer("done")
                    })
                    .await
            })
        };
        started.await.expect("the leader started executing");
        let follower = {
            let dedup = dedup.clone();
            tokio::spawn(
                async move { dedup.run(key("k"), || async { unreachable_answer() }).await },
            )
        };
        // The follower has joined once it holds a second strong handle; poll for it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let strong = {
                let calls = dedup.calls.lock().expect("calls");
                calls
                    .get(&key("k"))
                    .and_then(|e| e.execution.upgrade())
                    .and_then(|s| s.strong_count())
            };
            if strong.is_some_and(|n| n >= 3) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "follower never joined"
            );
            tokio::task::yield_now().await;
        }
        leader.abort();
        let (answer, role) = follower.await.expect("follower task");
        assert_eq!(role, Role::Follower);
        assert_eq!(answer.body.as_deref(), Some(&b"done"[..]));
        assert_eq!(dedup.in_flight(), 0);
    }

    #[tokio::test]
    async fn an_execution_every_waiter_abandoned_is_dropped_with_its_entry() {
        let dedup = InboundDedup::new(&GatewayConfig::default());
        let waiting = dedup.run(key("x"), std::future::pending::<SharedResponse>);
        let timed_out = tokio::time::timeout(Duration::from_millis(10), waiting).await;
        assert!(timed_out.is_err());
        assert_eq!(dedup.in_flight(), 0);
        let (answer, role) = dedup.run(key("x"), || async { answer("fresh") }).await;
        assert_eq!(role, Role::Leader);
        assert_eq!(answer.body.as_deref(), Some(&b"fresh"[..]));
    }

    #[test]
    fn answer_changing_headers_are_collected_once() {
        let config: GatewayConfig = serde_json::from_value(serde_json::json!({
            "auth": {"jwt": {"header_name": "X-Token", "cookie": "session"}},
            "headers": {"rules": [
                {"propagate": {"named": "X-Tenant", "rename": "x-org"}},
                {"propagate": {"named": "authorization"}},
                {"insert": {"name": "x-fixed", "value": "1"}}
            ]}
        }))
        .expect("config");
        let dedup = InboundDedup::new(&config);
        let names: Vec<&str> = dedup.headers.iter().map(HeaderName::as_str).collect();
        assert_eq!(
            names,
            [
                "authorization",
                "cookie",
                "x-query-plan",
                "x-tenant",
                "x-token"
            ]
        );
    }
}
