//! `bplint connections export`: a team's connections as a snapshot file.

use std::path::PathBuf;

use super::{EXIT_CLEAN, api_client, write_output};
use crate::cli::args::ApiArgs;
use crate::settings::Settings;

pub fn export(
    team: u64,
    output: Option<PathBuf>,
    api: &ApiArgs,
    settings: &Settings,
) -> Result<u8, String> {
    let client = api_client(api, settings)?;
    let snapshot = client.export_connections(team).map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())? + "\n";
    write_output(output.as_ref(), &text)?;
    Ok(EXIT_CLEAN)
}
