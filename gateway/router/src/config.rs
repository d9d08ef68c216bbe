//! The gateway's configuration: the `gateway:` section of the platform config, or the
//! standalone binary's flags. Every field has a default so the gateway starts with none.
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address the gateway listens on.
    pub listen: SocketAddr,
    /// Path of the supergraph SDL file.
    pub supergraph: PathBuf,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            supergraph: PathBuf::from("schema/supergraph.graphql"),
        }
    }
}
