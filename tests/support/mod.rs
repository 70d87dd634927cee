//! Shared test helpers.

pub mod bin;
pub mod make_server;
