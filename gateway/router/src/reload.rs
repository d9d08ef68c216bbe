//! Hot reload of the supergraph: the file is polled (modification time and size every
//! interval, then its SHA-256 when they change) and re-read on SIGHUP. A valid new supergraph
//! replaces the old one atomically ([`Gateway::swap_supergraph`]): requests in flight finish
//! on the state they started with. An invalid one is rejected with a logged error and the old
//! one keeps serving.
//!
//! Polling needs no file-system notification dependency and works the same on every volume
//! (bind mounts, Kubernetes ConfigMap symlink swaps) where notifications are unreliable.
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::pipeline::Gateway;
use crate::supergraph::{SupergraphError, SupergraphState};

/// How often the supergraph file is polled.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The hex SHA-256 of a supergraph SDL: what `/ready` reports and reloads compare.
pub fn sha256_hex(sdl: &str) -> String {
    hex::encode(Sha256::digest(sdl.as_bytes()))
}

/// The latest thing the watcher did, for tests and operators (`subscribe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// This supergraph is served (the initial one, or a reloaded one).
    Serving { sha256: String },
    /// The file changed to this invalid content; the previous supergraph keeps serving.
    Rejected { sha256: String, error: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("cannot read the supergraph {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the new supergraph is rejected: {0}")]
    Invalid(#[from] SupergraphError),
    #[error("loading the new supergraph failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Watches one supergraph file for one gateway.
pub struct SupergraphWatcher {
    gateway: Arc<Gateway>,
    path: PathBuf,
    interval: Duration,
    /// Modification time and size last seen: an unchanged file is not read again.
    seen: Option<(SystemTime, u64)>,
    /// Hash of the content served now.
    serving: String,
    /// Hash of the content last examined (served or rejected): a rejected file is not parsed
    /// again until it changes.
    examined: String,
    outcome: watch::Sender<ReloadOutcome>,
}

impl SupergraphWatcher {
    /// `serving_sdl` is what `gateway` serves now (normally the file's content at startup).
    pub fn new(gateway: Arc<Gateway>, path: impl Into<PathBuf>, serving_sdl: &str) -> Self {
        let serving = sha256_hex(serving_sdl);
        let (outcome, _) = watch::channel(ReloadOutcome::Serving {
            sha256: serving.clone(),
        });
        Self {
            gateway,
            path: path.into(),
            interval: DEFAULT_POLL_INTERVAL,
            seen: None,
            examined: serving.clone(),
            serving,
            outcome,
        }
    }

    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Follows what the watcher does (the current value is the latest outcome).
    pub fn subscribe(&self) -> watch::Receiver<ReloadOutcome> {
        self.outcome.subscribe()
    }

    /// Polls the file and listens for SIGHUP until `shutdown` completes. Errors are logged,
    /// never fatal: the gateway keeps serving what it has.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut hangups = Hangups::new();
        loop {
            let force = tokio::select! {
                () = &mut shutdown => return,
                _ = ticks.tick() => false,
                () = hangups.recv() => {
                    tracing::info!(path = %self.path.display(), "SIGHUP: re-reading the supergraph");
                    true
                }
            };
            if let Err(error) = self.check(force).await {
                tracing::error!(error = %error, "supergraph reload failed; the previous supergraph keeps serving");
            }
        }
    }

    /// Looks at the file once; `force` reads it even when its modification time and size
    /// are unchanged (SIGHUP). Returns what changed, if anything.
    pub async fn check(&mut self, force: bool) -> Result<Option<ReloadOutcome>, ReloadError> {
        let stamp = match stamp(&self.path).await {
            Ok(stamp) => stamp,
            // Mid-swap (remove then create) the file may briefly be missing: keep serving.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !force => return Ok(None),
            Err(source) => {
                return Err(ReloadError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        if !force && self.seen == Some(stamp) {
            return Ok(None);
        }
        self.seen = Some(stamp);
        let sdl = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|source| ReloadError::Read {
                path: self.path.clone(),
                source,
            })?;
        let sha256 = sha256_hex(&sdl);
        if sha256 == self.serving || (!force && sha256 == self.examined) {
            return Ok(None);
        }
        self.examined.clone_from(&sha256);
        // Building the state (parse, API schema, planner) is CPU work: off the runtime.
        let config = self.gateway.config().clone();
        let built =
            tokio::task::spawn_blocking(move || SupergraphState::from_sdl(&sdl, &config)).await?;
        let outcome = match built {
            Ok(state) => {
                self.gateway.swap_supergraph(state);
                tracing::info!(path = %self.path.display(), %sha256, "supergraph reloaded");
                self.serving.clone_from(&sha256);
                ReloadOutcome::Serving { sha256 }
            }
            Err(error) => {
                tracing::error!(
                    path = %self.path.display(), %sha256, error = %error,
                    "the new supergraph is invalid; the previous supergraph keeps serving"
                );
                ReloadOutcome::Rejected {
                    sha256,
                    error: error.to_string(),
                }
            }
        };
        self.outcome.send_replace(outcome.clone());
        Ok(Some(outcome))
    }
}

async fn stamp(path: &Path) -> std::io::Result<(SystemTime, u64)> {
    let metadata = tokio::fs::metadata(path).await?;
    Ok((metadata.modified()?, metadata.len()))
}

/// SIGHUP as a stream; never fires where there is no such signal or it cannot be installed.
struct Hangups {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangups {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::hangup())
                .inspect_err(|error| tracing::warn!(%error, "cannot listen for SIGHUP"))
                .ok();
            Self { signal }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests;
