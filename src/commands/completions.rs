//! `bplint completions SHELL`: a completion script for the command line.

use super::EXIT_CLEAN;

pub fn run(shell: clap_complete::Shell, mut command: clap::Command) -> Result<u8, String> {
    clap_complete::generate(shell, &mut command, "bplint", &mut std::io::stdout());
    Ok(EXIT_CLEAN)
}
