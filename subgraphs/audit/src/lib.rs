//! Audit subgraph: append-only, hash-chained log of every domain event.
