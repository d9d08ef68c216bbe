//! The HTTP client for subgraph calls: one pooled hyper-util client (HTTP/1.1 keep-alive)
//! shared by every request, a timeout per subgraph, and request bodies serialized straight
//! from the fetch node and the coerced variables.
use std::sync::Arc;
use std::time::{Duration, Instant};

use apollo_compiler::response::JsonMap;

use super::value::{Value as JsonValue, ValueSeed};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use crate::config::PoolConfig;
use crate::resilience::headers::OUTGOING;
use crate::resilience::{Resilience, ResilienceConfig};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("could not serialize the subgraph request: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("invalid subgraph request: {0}")]
    Request(#[source] http::Error),
    #[error("HTTP request to the subgraph failed: {0}")]
    Transport(#[source] hyper_util::client::legacy::Error),
    #[error("reading the subgraph response failed: {0}")]
    Body(#[source] hyper::Error),
    #[error("the subgraph did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the subgraph answered with HTTP status {0}")]
    Status(http::StatusCode),
    #[error("the subgraph response is not a GraphQL response: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("the subgraph's circuit breaker is open after repeated failures")]
    CircuitOpen,
    /// The outcome of a deduplicated call shared with another request.
    #[error("{0}")]
    Shared(Arc<FetchError>),
}

/// The JSON body sent to a subgraph.
pub struct SubgraphRequest<'a> {
    pub query: &'a str,
    pub operation_name: Option<&'a str>,
    pub variables: RequestVariables<'a>,
}

/// The forwarded client variables plus, for entity fetches, `@fromContext` values and
/// `representations`. Written by reference: no variables object is built per fetch.
pub struct RequestVariables<'a> {
    pub usages: &'a [String],
    pub values: &'a JsonMap,
    /// `(variable, value)` filled from ancestors of the entities (`@fromContext`).
    pub context: &'a [(String, JsonValue)],
    /// Each representation as JSON text (see `representations::write_representation`).
    pub representations: Option<&'a [Box<[u8]>]>,
}

impl SubgraphRequest<'_> {
    /// The request body: `{"query", "operationName"?, "variables"}`.
    pub fn to_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let representations = self.variables.representations.unwrap_or_default();
        let mut out = Vec::with_capacity(
            self.query.len() + 64 + representations.iter().map(|r| r.len() + 1).sum::<usize>(),
        );
        out.extend_from_slice(b"{\"query\":");
        serde_json::to_writer(&mut out, self.query)?;
        if let Some(name) = self.operation_name {
            out.extend_from_slice(b",\"operationName\":");
            serde_json::to_writer(&mut out, name)?;
        }
        out.extend_from_slice(b",\"variables\":{");
        let mut first = true;
        let mut entry = |out: &mut Vec<u8>, name: &str| -> Result<(), serde_json::Error> {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, name)?;
            out.push(b':');
            Ok(())
        };
        for name in self.variables.usages {
            // An absent variable stays absent, so the subgraph applies the argument default.
            if let Some(value) = self.variables.values.get(name.as_str()) {
                entry(&mut out, name)?;
                serde_json::to_writer(&mut out, value)?;
            }
        }
        for (name, value) in self.variables.context {
            entry(&mut out, name)?;
            serde_json::to_writer(&mut out, value)?;
        }
        if self.variables.representations.is_some() {
            entry(&mut out, "representations")?;
            out.push(b'[');
            for (i, representation) in representations.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(representation);
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        Ok(out)
    }
}

/// A subgraph's GraphQL response, as far as the executor reads it.
#[derive(Debug, Default)]
pub struct SubgraphResponse {
    pub data: Option<JsonValue>,
    pub errors: Vec<SubgraphError>,
}

impl SubgraphResponse {
    /// Parses a response body.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

        struct Body;

        impl<'de> Visitor<'de> for Body {
            type Value = SubgraphResponse;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a GraphQL response object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut response = SubgraphResponse::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "data" => {
                            let data = map.next_value_seed(ValueSeed)?;
                            response.data = (!data.is_null()).then_some(data);
                        }
                        "errors" => {
                            response.errors = map
                                .next_value::<Option<Vec<SubgraphError>>>()?
                                .unwrap_or_default()
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(response)
            }
        }

        impl<'de> DeserializeSeed<'de> for Body {
            type Value = SubgraphResponse;

            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
        }

        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let response = Body.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(response)
    }
}

#[derive(Debug, Deserialize)]
pub struct SubgraphError {
    pub message: String,
    #[serde(default)]
    pub path: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub extensions: Option<JsonMap>,
}

#[derive(Clone)]
pub struct SubgraphClient {
    client: Client<CountingConnector, Full<Bytes>>,
    resilience: Arc<Resilience>,
}

impl SubgraphClient {
    pub fn new(pool: &PoolConfig) -> Self {
        Self::with_resilience(pool, &ResilienceConfig::default())
    }

    /// A client applying circuit breakers, retries and deduplication (see [`crate::resilience`]).
    pub fn with_resilience(pool: &PoolConfig, resilience: &ResilienceConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool.max_idle_per_host)
            .pool_idle_timeout(Duration::from_millis(pool.idle_timeout_ms))
            .build(CountingConnector(connector));
        Self {
            client,
            resilience: Arc::new(Resilience::new(resilience)),
        }
    }

    pub fn resilience(&self) -> &Resilience {
        &self.resilience
    }

    /// Sends one request and reads the whole answer within `timeout`, through the
    /// subgraph's circuit breaker, with retries (queries only) and deduplication of
    /// identical queries in flight. Adds the request's propagated headers.
    pub async fn send(
        &self,
        url: &Uri,
        request: &SubgraphRequest<'_>,
        authorization: Option<&HeaderValue>,
        timeout: Duration,
    ) -> Result<SubgraphResponse, FetchError> {
        let body = Bytes::from(request.to_body().map_err(FetchError::Serialize)?);
        let outgoing = OUTGOING.try_with(Clone::clone).ok();
        let mut headers = http::HeaderMap::new();
        if let Some(outgoing) = &outgoing {
            headers.extend(outgoing.headers.clone());
        }
        if let Some(authorization) = authorization
            && outgoing.as_ref().is_none_or(|o| o.forward_authorization)
        {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        let url_text = url.to_string();
        let subgraph = self.resilience.name(&url_text);
        let is_query = !request.query.trim_start().starts_with("mutation");
        let breaker = self.resilience.breaker(&subgraph, &url_text);
        let retry = self.resilience.retry(&subgraph);
        let dedup = is_query && self.resilience.dedup_queries(&subgraph);
        let mut attempt = 0;
        let (status, bytes) = loop {
            if breaker.as_ref().is_some_and(|b| !b.admit()) {
                return Err(FetchError::CircuitOpen);
            }
            let started = Instant::now();
            let call = exchange(
                self.client.clone(),
                url.clone(),
                headers.clone(),
                body.clone(),
                timeout,
            );
            let result = if dedup {
                let key = dedup_key(&url_text, &headers, &body);
                self.resilience
                    .dedup
                    .run(key, async move { call.await.map_err(Arc::new) })
                    .await
                    .map_err(FetchError::Shared)
            } else {
                call.await
            };
            metrics::histogram!("gateway_subgraph_request_duration_seconds", "subgraph" => subgraph.clone())
                .record(started.elapsed().as_secs_f64());
            let failed = match &result {
                Ok((status, _)) => status.is_server_error(),
                Err(_) => true,
            };
            if let Some(breaker) = &breaker {
                breaker.record(!failed);
            }
            if failed && is_query && attempt < retry.attempts {
                attempt += 1;
                tokio::time::sleep(retry.backoff(attempt)).await;
                continue;
            }
            break result?;
        };
        // GraphQL-over-HTTP lets a subgraph answer 4xx with a GraphQL body; read it when it
        // parses, otherwise report the status.
        match SubgraphResponse::from_bytes(&bytes) {
            Ok(parsed) if status.is_success() || !parsed.errors.is_empty() => Ok(parsed),
            Ok(_) => Err(FetchError::Status(status)),
            Err(_) if !status.is_success() => Err(FetchError::Status(status)),
            Err(error) => Err(FetchError::Malformed(error)),
        }
    }
}

/// The pool's connector, counting the connections it opens
/// (`gateway_subgraph_connections_opened_total`): against requests sent, it shows that
/// connections are reused.
#[derive(Clone)]
pub struct CountingConnector(HttpConnector);

impl tower::Service<Uri> for CountingConnector {
    type Response = <HttpConnector as tower::Service<Uri>>::Response;
    type Error = <HttpConnector as tower::Service<Uri>>::Error;
    type Future = <HttpConnector as tower::Service<Uri>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        metrics::counter!("gateway_subgraph_connections_opened_total").increment(1);
        self.0.call(uri)
    }
}

/// One HTTP exchange, owning everything so it can be shared between deduplicated callers.
async fn exchange(
    client: Client<CountingConnector, Full<Bytes>>,
    url: Uri,
    headers: http::HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> Result<(http::StatusCode, Bytes), FetchError> {
    let mut builder = Request::post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(
            ACCEPT,
            "application/graphql-response+json, application/json",
        );
    if let Some(map) = builder.headers_mut() {
        map.extend(headers);
    }
    let http_request = builder.body(Full::new(body)).map_err(FetchError::Request)?;
    let exchange = async {
        let response = client
            .request(http_request)
            .await
            .map_err(FetchError::Transport)?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(FetchError::Body)?
            .to_bytes();
        Ok::<_, FetchError>((status, bytes))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| FetchError::Timeout(timeout))?
}

/// Identity of a subgraph call for deduplication: URL, headers and body.
fn dedup_key(url: &str, headers: &http::HeaderMap, body: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(url.as_bytes());
    let mut pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    pairs.sort();
    for (name, value) in pairs {
        part(name.as_bytes());
        part(value);
    }
    part(body);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::response::serde_json_bytes::json;

    #[test]
    fn body_forwards_only_used_and_present_variables() {
        let mut values = JsonMap::new();
        values.insert("a", json!(1));
        values.insert("unused", json!(2));
        let usages = vec!["a".to_string(), "absent".to_string()];
        let reps: Vec<Box<[u8]>> = vec![br#"{"__typename":"T","id":"1"}"#.to_vec().into()];
        let request = SubgraphRequest {
            query: "query($representations:[_Any!]!){_entities(representations:$representations){...on T{x}}}",
            operation_name: None,
            variables: RequestVariables {
                usages: &usages,
                values: &values,
                context: &[],
                representations: Some(&reps),
            },
        };
        let body: serde_json::Value =
            serde_json::from_slice(&request.to_body().expect("serialize")).expect("json");
        assert_eq!(
            body["variables"],
            serde_json::json!({"a": 1, "representations": [{"__typename": "T", "id": "1"}]})
        );
        assert!(body.get("operationName").is_none());
        let context = [("contextualArgument_1".to_string(), JsonValue::from("en"))];
        let named = SubgraphRequest {
            query: "query Q { a }",
            operation_name: Some("Q"),
            variables: RequestVariables {
                usages: &[],
                values: &values,
                context: &context,
                representations: None,
            },
        };
        let body: serde_json::Value =
            serde_json::from_slice(&named.to_body().expect("serialize")).expect("json");
        assert_eq!(
            body,
            serde_json::json!({"query": "query Q { a }", "operationName": "Q", "variables": {"contextualArgument_1": "en"}})
        );
    }
}
