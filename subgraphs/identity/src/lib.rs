//! Identity subgraph: users, login, tokens, JWKS, verification, password reset.
