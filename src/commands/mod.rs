//! Subcommands that live in their own files (the rest are still in `cli.rs`).

pub mod config;
pub mod init;
