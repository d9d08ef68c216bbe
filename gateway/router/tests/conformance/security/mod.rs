//! The gateway edge over real HTTP: JWT authentication, authorization directives, operation
//! limits, persisted operations, CSRF and CORS, rate limiting, and resilience toward
//! subgraphs. Uses the `shop` fixture subgraphs (calls are recorded) and small purpose-built
//! servers (JWKS, a flaky subgraph).
mod auth;
mod browser;
mod inbound_dedup;
mod limits;
mod metrics;
mod persisted;
mod rate_limit;
mod resilience;
mod support;
