//! Blog subgraph: posts and comments, the reference feature module.
