//! `bplint config schema`: the JSON Schema of `bplint.toml`, for editors (Even Better TOML,
//! taplo) and SchemaStore. The schema is docs/bplint.schema.json, embedded; tests/config_schema.rs
//! keeps it in step with the keys `src/config/` accepts.

use std::io::Write;

use clap::Subcommand;

/// The JSON Schema (draft-07) of `bplint.toml`.
pub const SCHEMA: &str = include_str!("../../docs/bplint.schema.json");

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the JSON Schema of bplint.toml (for Even Better TOML / taplo and SchemaStore).
    Schema,
}

/// Writing to standard output failed (other than a closed pipe, which is not worth a message).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the schema to standard output: {0}")]
pub struct ConfigCommandError(#[source] std::io::Error);

pub fn run(command: &ConfigCommand) -> Result<u8, ConfigCommandError> {
    match command {
        ConfigCommand::Schema => {
            let mut out = std::io::stdout().lock();
            match out.write_all(SCHEMA.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(ConfigCommandError(e)),
                _ => Ok(0),
            }
        }
    }
}
