//! The HTTP client for subgraph calls: one pooled hyper-util client (HTTP/1.1 keep-alive)
//! shared by every request, a timeout per subgraph, and request bodies serialized straight
//! from the fetch node and the coerced variables.
use std::time::Duration;

use apollo_compiler::response::{JsonMap, JsonValue};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::config::PoolConfig;

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
}

/// The JSON body sent to a subgraph.
#[derive(Serialize)]
pub struct SubgraphRequest<'a> {
    pub query: &'a str,
    #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<&'a str>,
    pub variables: RequestVariables<'a>,
}

/// The forwarded client variables plus, for entity fetches, `representations`. Serialized
/// by reference: no variables object is built per fetch.
pub struct RequestVariables<'a> {
    pub usages: &'a [String],
    pub values: &'a JsonMap,
    pub representations: Option<&'a [JsonValue]>,
}

impl Serialize for RequestVariables<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for name in self.usages {
            // An absent variable stays absent, so the subgraph applies the argument default.
            if let Some(value) = self.values.get(name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        if let Some(representations) = self.representations {
            map.serialize_entry("representations", representations)?;
        }
        map.end()
    }
}

/// A subgraph's GraphQL response, as far as the executor reads it.
#[derive(Debug, Default, Deserialize)]
pub struct SubgraphResponse {
    #[serde(default)]
    pub data: Option<JsonValue>,
    #[serde(default)]
    pub errors: Vec<SubgraphError>,
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
    client: Client<HttpConnector, Full<Bytes>>,
}

impl SubgraphClient {
    pub fn new(pool: &PoolConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool.max_idle_per_host)
            .pool_idle_timeout(Duration::from_millis(pool.idle_timeout_ms))
            .build(connector);
        Self { client }
    }

    /// Sends one request and reads the whole answer within `timeout`.
    pub async fn send(
        &self,
        url: &Uri,
        request: &SubgraphRequest<'_>,
        authorization: Option<&HeaderValue>,
        timeout: Duration,
    ) -> Result<SubgraphResponse, FetchError> {
        let body = serde_json::to_vec(request).map_err(FetchError::Serialize)?;
        let mut builder = Request::post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(
                ACCEPT,
                "application/graphql-response+json, application/json",
            );
        if let Some(authorization) = authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        let http_request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(FetchError::Request)?;
        let exchange = async {
            let response = self
                .client
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
        let (status, bytes) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| FetchError::Timeout(timeout))??;
        // GraphQL-over-HTTP lets a subgraph answer 4xx with a GraphQL body; read it when it
        // parses, otherwise report the status.
        match serde_json::from_slice::<SubgraphResponse>(&bytes) {
            Ok(parsed) if status.is_success() || !parsed.errors.is_empty() => Ok(parsed),
            Ok(_) => Err(FetchError::Status(status)),
            Err(_) if !status.is_success() => Err(FetchError::Status(status)),
            Err(error) => Err(FetchError::Malformed(error)),
        }
    }
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
        let reps = vec![json!({"__typename": "T", "id": "1"})];
        let request = SubgraphRequest {
            query: "query($representations:[_Any!]!){_entities(representations:$representations){...on T{x}}}",
            operation_name: None,
            variables: RequestVariables {
                usages: &usages,
                values: &values,
                representations: Some(&reps),
            },
        };
        let body: serde_json::Value =
            serde_json::from_slice(&serde_json::to_vec(&request).expect("serialize"))
                .expect("json");
        assert_eq!(
            body["variables"],
            serde_json::json!({"a": 1, "representations": [{"__typename": "T", "id": "1"}]})
        );
        assert!(body.get("operationName").is_none());
    }
}
