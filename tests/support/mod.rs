//! Shared test helpers.

pub mod make_server;
