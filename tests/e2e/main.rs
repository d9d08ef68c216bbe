//! End-to-end tests. Each module is one area of the platform.
