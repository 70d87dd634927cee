//! The command line: the clap types, and a dispatch of a few lines per command into
//! [`crate::commands`]. The settings are resolved once, here, before any command runs.

pub mod args;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::commands::{
    self, EXIT_CLEAN, EXIT_TROUBLE, Ui, bind, catalog, check, completions, connections, inventory,
    pull, refs, remap, rules, say,
};
use crate::config::{self, Config};
use crate::settings::{Flags, Settings};
use args::{
    ApiArgs, BindArgs, CatalogArgs, CheckArgs, ConnectionsCommand, InventoryArgs, RefsArgs,
    RemapArgs, RuleArgs, RulesArgs, rules_or_exit,
};

#[derive(Parser, Debug)]
#[command(
    name = "bplint",
    version,
    about = "Lint Make.com scenario blueprints and audit the connections they reference."
)]
#[command(
    after_help = "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or something could not be checked.\nRun `bplint explain CODE` for a rule's documentation."
)]
pub struct Cli {
    /// When to use colors (NO_COLOR is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only findings (no summary).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Say more: notes from the live check, modules no catalog knows.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Config file (default: the nearest bplint.toml in this folder or above).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check blueprints: offline rules, and live connection checks with --online or --connections.
    Check(CheckArgs),
    /// Record today's findings in a baseline file (`--output FILE`), for `check --baseline`.
    Baseline(CheckArgs),
    /// List every reference (connection, webhook, keychain, data store) the blueprints make.
    Refs(RefsArgs),
    /// List every rule with its code, name, default severity and origin.
    Rules(RulesArgs),
    /// Print a rule's documentation (`bplint explain BP011` or `bplint explain connection-placeholder`).
    Explain {
        /// Rule code or name.
        rule: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// What modules need of their connection (accepted types, required scopes) and where that
    /// comes from: Make's API (--online), a snapshot (--connections), or the built-in catalog.
    Catalog(CatalogArgs),
    /// Rewrite connection ids in blueprint files, byte-exactly (e.g. dev team -> prod team).
    Remap(RemapArgs),
    /// Bind a template's placeholders (and other teams' ids) to the team's own connections,
    /// webhooks, data stores and keychains, where exactly one fits; report the rest.
    Bind(BindArgs),
    /// A team's connections and who uses them: unused, expiring, expired, other teams', missing.
    Inventory(InventoryArgs),
    /// Save every scenario blueprint of a team from the Make API as DIR/<id>-<slug>.json.
    Pull {
        /// Team id.
        #[arg(long)]
        team: u64,
        /// Folder to save the blueprints in (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Delete the files an earlier pull left under a scenario's old name
        /// (`<id>-<old-slug>.json` beside the new `<id>-<slug>.json`); without it they are noted.
        #[arg(long)]
        prune: bool,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Work with the team's connections.
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// Write a commented bplint.toml for this repository and print pre-commit and GitHub
    /// Actions snippets.
    Init(commands::init::InitArgs),
    /// Work with bplint.toml (`bplint config schema` prints its JSON Schema).
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_CLEAN
            });
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let ui = Ui {
        color,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    // These set a configuration up: a broken bplint.toml or rule folder must not stop them.
    match &cli.command {
        Command::Init(args) => return exit_with(commands::init::run(args)),
        Command::Config(command) => return exit_with(commands::config::run(command)),
        _ => {}
    }
    let config_path = cli.config.clone().or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d))
    });
    // The rule set comes first: the config names rules, and may add rule folders itself.
    let mut rule_args = match &cli.command {
        Command::Check(a) | Command::Baseline(a) => a.rules.clone(),
        Command::Rules(a) => a.rules.clone(),
        Command::Explain { rules, .. } => rules.clone(),
        _ => RuleArgs::default(),
    };
    if let Some(path) = &config_path {
        rule_args.dirs.extend(config::peek_rules_dirs(path));
    }
    let rules = match rules_or_exit(&rule_args, &ui) {
        Ok(set) => set,
        Err(Ok(code)) => return ExitCode::from(code),
        Err(Err(message)) => {
            say("error", &message);
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let config = match &config_path {
        Some(path) => match Config::load(path, &rules) {
            Ok(c) => c,
            Err(errors) => {
                // 200 columns: miette's default, which config errors have always been drawn at.
                eprint!("{}", errors.render(color, 200));
                return ExitCode::from(EXIT_TROUBLE);
            }
        },
        None => Config::default(),
    };
    let settings = Settings::resolve(flags_of(&cli.command), config, rules);
    let code = match cli.command {
        Command::Check(args) => check::run(args, &ui, &settings),
        Command::Baseline(args) => check::baseline(args, &ui, &settings),
        Command::Refs(args) => refs::run(args, &settings),
        Command::Catalog(args) => catalog::run(&args, &settings),
        Command::Remap(args) => remap::run(args, &ui, &settings),
        Command::Bind(args) => bind::run(args, &ui, &settings),
        Command::Inventory(args) => inventory::run(args, &settings),
        Command::Pull {
            team,
            out,
            prune,
            api,
        } => pull::run(team, &out, prune, &api, &ui, &settings),
        Command::Rules(args) => rules::list(args, &settings.rules),
        Command::Explain { rule, .. } => rules::explain(&rule, &settings.rules),
        Command::Connections(ConnectionsCommand::Export {
            paths,
            team,
            output,
            api,
        }) => connections::export(&paths, team, output, &api, &settings),
        Command::Completions { shell } => completions::run(shell, Cli::command()),
        // Run before the config is read (above); kept here so that the match stays whole.
        Command::Init(args) => commands::init::run(&args).map_err(|e| e.to_string()),
        Command::Config(command) => commands::config::run(&command).map_err(|e| e.to_string()),
    };
    exit_with(code)
}

/// The exit code of a command, its error printed (exit 2).
fn exit_with<E: std::fmt::Display>(code: Result<u8, E>) -> ExitCode {
    match code {
        Ok(c) => ExitCode::from(c),
        Err(message) => {
            say("error", &message.to_string());
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// The settings this command's flags give; the rest comes from the environment and the config.
fn flags_of(command: &Command) -> Flags {
    let api = |api: &ApiArgs| Flags {
        zone: api.zone.clone(),
        api_url: api.api_url.clone(),
        ..Flags::default()
    };
    match command {
        Command::Check(a) | Command::Baseline(a) => Flags {
            team: a.team,
            max_file_size: a.max_file_size,
            expiry_warning_days: a.expiry.expiry_warning_days,
            fail_on: a.fail_on.map(config::FailOn::threshold),
            catalog_dirs: a.catalog.clone(),
            ..api(&a.api)
        },
        Command::Catalog(a) => Flags {
            catalog_dirs: a.catalog.clone(),
            ..api(&a.api)
        },
        Command::Refs(a) => Flags {
            max_file_size: a.max_file_size,
            ..Flags::default()
        },
        Command::Inventory(a) => Flags {
            team: Some(a.team),
            max_file_size: a.max_file_size,
            expiry_warning_days: a.expiry.expiry_warning_days,
            ..api(&a.api)
        },
        Command::Remap(a) => Flags {
            team: a.team,
            ..api(&a.api)
        },
        Command::Bind(a) => Flags {
            team: a.team,
            ..api(&a.api)
        },
        Command::Pull { api: a, .. }
        | Command::Connections(ConnectionsCommand::Export { api: a, .. }) => api(a),
        _ => Flags::default(),
    }
}
