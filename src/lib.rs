//! bplint: lint Make.com scenario blueprints and audit the connections they reference.
//!
//! The pipeline, in order: [`discover`] finds files; [`json`] parses each into a spanned tape;
//! [`model`] walks the module tree once; [`rules`] check the model (offline) and resolved
//! connections (live, through a [`live::ConnectionSource`]); [`report`] renders the findings.

pub mod atomic_file;
pub mod bind;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod draw;
pub mod filter;
pub mod finding;
pub mod inventory;
pub mod json;
pub mod live;
pub mod model;
pub mod pipeline;
pub mod pull;
pub mod redact;
pub mod remap;
pub mod report;
pub mod rules;
pub mod run;
pub mod settings;
pub mod side_file;
