//! The gateway's conformance suite: fixture subgraphs over real HTTP, the real gateway in
//! front of them, and one folder per scenario. Also the HTTP edge's own tests.
mod edge;
mod executor;
mod fixture;
mod scenarios;
mod security;
