//! Authz subgraph: roles, permissions, assignments.
