//! The command line: parses arguments, runs the pipeline, prints, and picks the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::discover::{self, Input};
use crate::filter::{self, Baseline};
use crate::live::api::{self, ApiConfig, MakeApi, Token};
use crate::live::snapshot::Snapshot;
use crate::live::{Catalog, ConnectionSource, LiveSettings};
use crate::pipeline::{self, FileResult, Options, Status};
use crate::redact;
use crate::remap;
use crate::report::{self, Diagnostic, Report, format_table};
use crate::rules::{self, OfflineSettings, RuleSet, Severity, declarative};

/// Exit codes: nothing at or above --fail-on / findings / could not check.
const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_TROUBLE: u8 = 2;
/// A day: longer than any request should take, short of deadlines that overflow the clock.
const MAX_TIMEOUT_SECS: u64 = 86_400;
/// Runs over fewer files finish before a progress bar would tell anyone anything.
const PROGRESS_MIN_FILES: usize = 500;

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
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
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
    /// Rewrite connection ids in blueprint files, byte-exactly (e.g. dev team -> prod team).
    Remap(RemapArgs),
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
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Work with the team's connections.
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum ConnectionsCommand {
    /// Write a connections snapshot of a team from the Make API (for `check --connections`).
    Export {
        /// Team id.
        #[arg(long)]
        team: u64,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        api: ApiArgs,
    },
}

#[derive(Args, Debug, Clone)]
struct ApiArgs {
    /// Make zone: eu1, eu2, us1, us2, eu1.celonis, us1.celonis (or a host like eu1.make.com)
    /// [env: BPLINT_ZONE; else `zone` in bplint.toml].
    #[arg(long)]
    zone: Option<String>,
    /// API base URL instead of the zone's (https; plain http only for loopback, for tests)
    /// [env: BPLINT_API_URL]. An `api_url` in bplint.toml may only name a Make host.
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    concurrency: u64,
    /// Per-request timeout, seconds (1 to 86400).
    #[arg(
        long,
        default_value_t = 30,
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS)
    )]
    timeout: u64,
    /// Retries of a request that failed with a 5xx, a timeout or a connection error.
    #[arg(long, default_value_t = 4, value_name = "N")]
    max_retries: u32,
    /// Stop after this many HTTP requests; ids left unchecked make the run exit 2.
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// Rows asked per list page (tests use small pages to exercise paging).
    #[arg(long, hide = true, value_name = "N")]
    page_size: Option<u32>,
    /// How MAKE_API_TOKEN is sent: `token` (`Authorization: Token`, Make API keys) or `bearer`
    /// (`Authorization: Bearer`, OAuth 2.0 access tokens). Default: `token` for a key shaped
    /// like Make's API keys (a UUID v4), else `bearer`, as Make's SDK does.
    #[arg(long, value_enum, value_name = "SCHEME")]
    auth_scheme: Option<AuthSchemeArg>,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum AuthSchemeArg {
    Token,
    Bearer,
}

/// Where the run's declarative rules come from, beside the shipped ones.
#[derive(Args, Debug, Clone, Default)]
struct RuleArgs {
    /// Folder of declarative rule files (`*.toml`), or one such file (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Leave out the shipped declarative rules (to measure what they cost, and for tests of
    /// the built-in rules alone).
    #[arg(
        long,
        hide = true,
        env = "BPLINT_NO_DECLARATIVE",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    no_declarative: bool,
}

impl RuleArgs {
    /// The built-in rules plus the declarative ones, compiled once for the whole run. A bad
    /// rule file is drawn on stderr and ends the run before any blueprint is read.
    fn rule_set(&self, ui: &Ui) -> Result<RuleSet, RuleSetError> {
        declarative::load(RuleSet::builtin(), &self.dirs, !self.no_declarative).map_err(|e| match e
        {
            declarative::LoadError::File(f) => {
                let color = ui.color && std::io::stderr().is_terminal();
                RuleSetError::Shown(f.render(color))
            }
            declarative::LoadError::Io(m) => RuleSetError::Message(m),
        })
    }
}

enum RuleSetError {
    /// Already drawn, with its snippet.
    Shown(String),
    Message(String),
}

/// Prints a rule set error and gives the exit code, or the set.
fn rules_or_exit(args: &RuleArgs, ui: &Ui) -> Result<RuleSet, Result<u8, String>> {
    match args.rule_set(ui) {
        Ok(set) => Ok(set),
        Err(RuleSetError::Shown(text)) => {
            eprint!("{text}");
            Err(Ok(EXIT_TROUBLE))
        }
        Err(RuleSetError::Message(m)) => Err(Err(m)),
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Compact,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Files or folders (default `.`); `-` reads one blueprint from standard input.
    paths: Vec<PathBuf>,
    /// Check the blueprints of this team's scenarios, fetched from the Make API (nothing is
    /// written; PATHS are not read).
    #[arg(long, value_name = "TEAM", conflicts_with = "paths")]
    team_scenarios: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Lowest severity that makes the run exit 1 [default: warning, or `fail_on` in the config].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Largest file read, in bytes; larger files are reported, not read [default: 64 MiB].
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Report only findings not recorded in this baseline (`bplint baseline`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Check connections against the live Make API (needs MAKE_API_TOKEN and --zone or --api-url).
    #[arg(long, conflicts_with = "connections")]
    online: bool,
    /// Check connections against a snapshot file (`bplint connections export`).
    #[arg(long, value_name = "FILE")]
    connections: Option<PathBuf>,
    /// The team the files are checked for (required with --online).
    #[arg(long)]
    team: Option<u64>,
    /// Verify each connection: with --online Make tests it against its service (needs a token
    /// with connections:write); with --connections the results recorded in the snapshot are used.
    #[arg(long)]
    verify: bool,
    /// The current time for expiry checks (RFC 3339), for reproducible runs.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Warn about connections expiring within this many days [default: 14].
    #[arg(
        long,
        value_name = "DAYS",
        value_parser = clap::value_parser!(i64).range(0..=config::MAX_EXPIRY_WARNING_DAYS)
    )]
    expiry_warning_days: Option<i64>,
    /// Extra module catalog folder (repeatable).
    #[arg(long, value_name = "DIR")]
    catalog: Vec<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum TableFormat {
    Table,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum KindFilter {
    All,
    Connection,
    Hook,
    Keychain,
    DataStore,
}

#[derive(Args, Debug)]
struct RefsArgs {
    /// Files or folders (default `.`); `-` reads standard input.
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    /// Which references to list.
    #[arg(long, value_enum, default_value_t = KindFilter::All)]
    kind: KindFilter,
    #[arg(long, value_name = "BYTES", default_value_t = pipeline::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum InventoryFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Args, Debug)]
struct InventoryArgs {
    /// Files or folders whose blueprints count as users (default `.`).
    paths: Vec<PathBuf>,
    /// The team whose connections are listed.
    #[arg(long)]
    team: u64,
    /// Read the team's connections from a snapshot (`bplint connections export`) instead of the
    /// Make API (which needs MAKE_API_TOKEN and --zone or --api-url).
    #[arg(long, value_name = "FILE")]
    connections: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InventoryFormat::Table)]
    format: InventoryFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The current time for expiry (RFC 3339), for reproducible runs.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// List connections expiring within this many days.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 14,
        value_parser = clap::value_parser!(i64).range(0..=config::MAX_EXPIRY_WARNING_DAYS)
    )]
    expiry_warning_days: i64,
    #[arg(long, value_name = "BYTES", default_value_t = pipeline::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Args, Debug)]
struct RemapArgs {
    /// Files or folders (default `.`).
    paths: Vec<PathBuf>,
    /// OLD=NEW[,OLD=NEW...] (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    map: Vec<String>,
    /// A map file: `{"OLD": NEW}` JSON, or `OLD=NEW` lines.
    #[arg(long, value_name = "FILE")]
    map_file: Option<PathBuf>,
    /// Print a unified diff and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Which references to rewrite (ids of different kinds may collide).
    #[arg(long, value_enum, default_value_t = KindFilter::Connection)]
    kind: KindFilter,
    /// Before writing, check each new connection id against this snapshot of the target team.
    #[arg(long, value_name = "FILE", conflicts_with = "online")]
    connections: Option<PathBuf>,
    /// Before writing, check each new connection id against the Make API (MAKE_API_TOKEN).
    #[arg(long)]
    online: bool,
    /// The target team: new connections must belong to it.
    #[arg(long)]
    team: Option<u64>,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Args, Debug)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    #[command(flatten)]
    rules: RuleArgs,
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
    let cfg = match &config_path {
        Some(path) => match Config::load(path, &rules) {
            Ok(c) => c,
            Err(e) => {
                let handler = if color {
                    miette::GraphicalReportHandler::new()
                } else {
                    miette::GraphicalReportHandler::new_themed(
                        miette::GraphicalTheme::unicode_nocolor(),
                    )
                };
                let mut out = String::new();
                let _ = handler.render_report(&mut out, e.as_ref());
                eprint!("{out}");
                return ExitCode::from(EXIT_TROUBLE);
            }
        },
        None => Config::default(),
    };
    let code = match cli.command {
        Command::Check(args) => run_check(args, &ui, &cfg, &rules),
        Command::Baseline(args) => run_baseline(args, &ui, &cfg, &rules),
        Command::Refs(args) => run_refs(args),
        Command::Remap(args) => run_remap(args, &ui, &cfg),
        Command::Inventory(args) => run_inventory(args, &cfg),
        Command::Pull { team, out, api } => run_pull(team, &out, &api, &ui, &cfg),
        Command::Rules(args) => run_rules(args, &rules),
        Command::Explain { rule, .. } => run_explain(&rule, &rules),
        Command::Connections(ConnectionsCommand::Export { team, output, api }) => {
            run_export(team, output, &api, &cfg)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "bplint", &mut std::io::stdout());
            Ok(EXIT_CLEAN)
        }
    };
    match code {
        Ok(c) => ExitCode::from(c),
        Err(message) => {
            say("error", &message);
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// One line on stderr, `prefix: text`, cleaned: these texts quote files, paths and answers.
fn say(prefix: &str, text: &str) {
    eprintln!("{prefix}: {}", redact::clean(text));
}

struct Ui {
    color: bool,
    quiet: bool,
    verbose: bool,
}

fn inputs_of(paths: &[PathBuf]) -> (Vec<Input>, Vec<discover::WalkProblem>) {
    let default = [PathBuf::from(".")];
    discover::discover(if paths.is_empty() { &default } else { paths })
}

/// Walk problems become findings: a loop is a warning-free note, anything else "could not read".
fn walk_results(problems: Vec<discover::WalkProblem>) -> (Vec<FileResult>, Vec<String>) {
    let mut results = Vec::new();
    let mut notes = Vec::new();
    for p in problems {
        if p.is_loop {
            notes.push(format!("{}: {}", p.display, p.message));
            continue;
        }
        results.push(FileResult {
            display: p.display.clone(),
            status: Status::Unreadable,
            bytes: 0,
            scenario: None,
            reference_locations: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                rules::file::unreadable_file::finding(&p.message),
                &p.display,
                None,
            )],
            modules: 0,
            references: 0,
        });
    }
    (results, notes)
}

fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, String> {
    match now {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            })
            .map_err(|_| {
                format!("--now {s:?} is not an RFC 3339 time (e.g. 2026-03-01T12:00:00Z) or a date")
            }),
    }
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The zone the run is for: `--zone`, else `BPLINT_ZONE`, else `zone` in bplint.toml.
fn zone_of(api: &ApiArgs, cfg: &Config) -> Option<String> {
    api.zone
        .clone()
        .or_else(|| env_var("BPLINT_ZONE"))
        .or_else(|| cfg.zone.clone())
}

/// Where the token is sent. The command line wins over everything (`--api-url`, then
/// `--zone`), then the environment (`BPLINT_API_URL`, `BPLINT_ZONE`), then bplint.toml, whose
/// `api_url` may only name a Make host: a repository's files never choose where the token goes.
fn api_base_url(api: &ApiArgs, cfg: &Config) -> Result<url::Url, String> {
    if let Some(url) = &api.api_url {
        return api::parse_api_url(url);
    }
    if let Some(zone) = &api.zone {
        return api::zone_base_url(zone);
    }
    if let Some(url) = env_var("BPLINT_API_URL") {
        return api::parse_api_url(&url).map_err(|e| format!("BPLINT_API_URL: {e}"));
    }
    if let Some(zone) = env_var("BPLINT_ZONE") {
        return api::zone_base_url(&zone).map_err(|e| format!("BPLINT_ZONE: {e}"));
    }
    if let Some(url) = &cfg.api_url {
        return api::config_api_url(url);
    }
    if let Some(zone) = &cfg.zone {
        return api::zone_base_url(zone).map_err(|e| format!("bplint.toml `zone`: {e}"));
    }
    Err(
        "the Make API needs --zone (e.g. --zone eu1) or --api-url (or `zone` in bplint.toml)"
            .into(),
    )
}

fn api_client(api: &ApiArgs, cfg: &Config) -> Result<MakeApi, String> {
    let base = api_base_url(api, cfg)?;
    let token = Token::from_env()?;
    let mut cfg = ApiConfig::new(base, token);
    cfg.concurrency = api.concurrency as usize;
    cfg.timeout = Duration::from_secs(api.timeout);
    cfg.max_requests = api.max_requests;
    cfg.max_retries = api.max_retries;
    if let Some(n) = api.page_size {
        cfg.page_size = n;
    }
    cfg.auth_scheme = api.auth_scheme.map(|s| match s {
        AuthSchemeArg::Token => api::AuthScheme::Token,
        AuthSchemeArg::Bearer => api::AuthScheme::Bearer,
    });
    MakeApi::new(cfg)
}

fn write_output(output: Option<&PathBuf>, text: &str) -> Result<(), String> {
    // Whatever a renderer missed, the token itself never leaves (an answer may echo it).
    let text = &*redact::scrub_registered(text);
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`bplint check | head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

/// What a check run produced, before rendering.
struct CheckRun {
    diagnostics: Vec<Diagnostic>,
    summary: report::Summary,
    errors: Vec<String>,
    notes: Vec<String>,
    unreadable: bool,
}

fn fail_on_of(args: &CheckArgs, cfg: &Config) -> FailOn {
    args.fail_on.unwrap_or(match cfg.fail_on {
        Some(config::FailOn::Error) => FailOn::Error,
        Some(config::FailOn::Info) => FailOn::Info,
        Some(config::FailOn::Never) => FailOn::Never,
        Some(config::FailOn::Warning) | None => FailOn::Warning,
    })
}

/// The checked files of a run over PATHS.
fn file_results(
    args: &CheckArgs,
    ui: &Ui,
    cfg: &Config,
    opts: &Options,
) -> (Vec<FileResult>, Vec<String>) {
    let (mut inputs, problems) = inputs_of(&args.paths);
    inputs.retain(|i| match i {
        Input::File {
            display,
            explicit: false,
            ..
        } => cfg.in_scope(display),
        _ => true,
    });
    let (mut results, notes) = walk_results(problems);
    // A progress bar only for a person watching a long run: never in CI logs or pipes.
    let bar = (!ui.quiet && inputs.len() >= PROGRESS_MIN_FILES && std::io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(inputs.len() as u64));
    results.extend(pipeline::check_all_with_progress(&inputs, opts, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    }));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    (results, notes)
}

/// The team's blueprints, fetched and checked in memory as `scenario:<id>-<slug>`. A blueprint
/// that could not be fetched is a run error (exit 2); the list failing ends the run.
fn team_scenario_results(
    team: u64,
    api: &ApiArgs,
    cfg: &Config,
    opts: &Options,
    errors: &mut Vec<String>,
) -> Result<Vec<FileResult>, String> {
    let pulled = api_client(api, cfg)?.pull_blueprints(team)?;
    let mut results = Vec::new();
    for p in &pulled.scenarios {
        let display = format!("scenario:{}-{}", p.id, crate::pull::slug(&p.name));
        match &p.blueprint {
            Ok(text) => results.push(pipeline::check_bytes(&display, true, text.as_bytes(), opts)),
            Err(e) => errors.push(format!("{display}: could not fetch the blueprint: {e}")),
        }
    }
    if pulled.rows_without_id > 0 {
        errors.push(format!(
            "{} scenario(s) of team {team} were listed without a usable id and not checked",
            pulled.rows_without_id
        ));
    }
    Ok(results)
}

/// discover -> check every file -> live check -> central filter.
fn check_run(
    args: &CheckArgs,
    ui: &Ui,
    cfg: &Config,
    rules: &RuleSet,
    baseline: Option<&Baseline>,
) -> Result<CheckRun, String> {
    let now = parse_now(args.now.as_deref())?;
    let api = &args.api;
    let team = args.team.or(cfg.team);
    let source: Option<Box<dyn ConnectionSource>> = if args.online {
        if team.is_none() && cfg.teams.is_empty() {
            return Err("--online needs --team T (or `team` in bplint.toml): the team the blueprints are checked for".into());
        }
        Some(Box::new(api_client(api, cfg)?))
    } else if let Some(path) = &args.connections {
        Some(Box::new(Snapshot::load(path)?))
    } else {
        None
    };
    let mut catalog = Catalog::builtin();
    for dir in cfg.catalog_dirs.iter().chain(&args.catalog) {
        catalog.add_dir(dir)?;
    }
    let opts = Options {
        max_file_size: args
            .max_file_size
            .or(cfg.max_file_size)
            .unwrap_or(pipeline::DEFAULT_MAX_FILE_SIZE),
        offline: OfflineSettings {
            target_zone: zone_of(api, cfg),
        },
        rules: rules.clone(),
        // Only the human format shows snippets; only the live stage needs the models.
        excerpts: args.format == Format::Human,
        keep_model: source.is_some(),
    };
    let mut errors = Vec::new();
    let (mut results, mut notes) = match args.team_scenarios {
        Some(team) => (
            team_scenario_results(team, api, cfg, &opts, &mut errors)?,
            Vec::new(),
        ),
        None => file_results(args, ui, cfg, &opts),
    };

    let mut unchecked = Vec::new();
    let mut requests = 0;
    if let Some(source) = source {
        let settings = LiveSettings {
            now,
            expiry_warning_days: args
                .expiry_warning_days
                .or(cfg.expiry_warning_days)
                .unwrap_or(14),
            catalog,
            verify: args.verify,
        };
        if ui.verbose {
            for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
                for r in s.connection_references() {
                    if let Some(name) = &s.modules[r.module].name {
                        if settings.catalog.lookup(name).scopes.is_empty() {
                            notes.push(format!("no catalog entry gives the scopes of {name}; its scopes are not checked"));
                        }
                    }
                }
            }
            notes.sort();
            notes.dedup();
        }
        let teams_for = |file: &str| -> Vec<u64> {
            match args.team {
                Some(t) => vec![t],
                None => cfg.teams_for(file),
            }
        };
        let outcome = pipeline::live_check(
            &mut results,
            source.as_ref(),
            &settings,
            team,
            &teams_for,
            &opts.rules,
        );
        requests = outcome.resolution.requests;
        errors.extend(outcome.resolution.errors.iter().cloned());
        if ui.verbose {
            notes.extend(outcome.resolution.notes.iter().cloned());
        }
        if !outcome.unchecked.is_empty() {
            let list: Vec<String> = outcome
                .unchecked
                .iter()
                .map(|(id, why)| format!("{id} ({why})"))
                .collect();
            errors.push(format!(
                "{} connection id(s) could not be checked against {}: {}",
                outcome.unchecked.len(),
                source.describe(),
                list.join(", ")
            ));
            unchecked = outcome.unchecked.iter().map(|(id, _)| *id).collect();
        }
    }

    let mut summary = pipeline::summarize(&results);
    summary.unchecked = unchecked;
    summary.requests = requests;
    let unreadable = results.iter().any(|r| r.status == Status::Unreadable);
    let all: Vec<Diagnostic> = results.into_iter().flat_map(|r| r.diagnostics).collect();
    let mut filtered = filter::apply(all, cfg, baseline);
    filtered
        .kept
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    summary.count(&filtered.kept);
    if baseline.is_some() {
        notes.push(format!(
            "baseline: {} known finding(s) hidden, {} baseline entr(y/ies) fixed since",
            filtered.baselined, filtered.baseline_fixed
        ));
    }
    // Run errors and notes quote answers and paths: cleaned once, for every format.
    let errors = errors.iter().map(|e| redact::clean(e)).collect();
    let notes = notes.iter().map(|n| redact::clean(n)).collect();
    summary.checked = summary.checked.iter().map(|f| redact::clean(f)).collect();
    Ok(CheckRun {
        diagnostics: filtered.kept,
        summary,
        errors,
        notes,
        unreadable,
    })
}

fn run_check(args: CheckArgs, ui: &Ui, cfg: &Config, rules: &RuleSet) -> Result<u8, String> {
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let run = check_run(&args, ui, cfg, rules, baseline.as_ref())?;
    let report = Report {
        diagnostics: &run.diagnostics,
        summary: &run.summary,
        errors: &run.errors,
    };
    let mut text = match args.format {
        Format::Human => report::human::render(&report, ui.color && args.output.is_none()),
        Format::Compact => report::compact::render(&report),
        Format::Json => report::json::render(&report),
        Format::Sarif => report::sarif::render(&report),
        Format::Github => report::github::render(&report),
        Format::Junit => report::junit::render(&report),
    };
    if ui.quiet && args.format == Format::Human {
        // Drop the summary line, keep findings and errors.
        if let Some(cut) = text.trim_end().rfind('\n') {
            text.truncate(cut + 1);
        } else {
            text.clear();
        }
    }
    write_output(args.output.as_ref(), &text)?;
    if !ui.quiet {
        for n in &run.notes {
            say("note", n);
        }
    }
    if args.output.is_some() || args.format != Format::Human {
        for e in &run.errors {
            say("error", e);
        }
    }
    Ok(exit_code(&run, fail_on_of(&args, cfg)))
}

/// 2 when anything could not be checked, else 1 when a finding reaches the threshold, else 0.
fn exit_code(run: &CheckRun, fail_on: FailOn) -> u8 {
    if run.unreadable || !run.summary.unchecked.is_empty() || !run.errors.is_empty() {
        return EXIT_TROUBLE;
    }
    let failing = fail_on
        .threshold()
        .is_some_and(|t| run.diagnostics.iter().any(|d| d.severity >= t));
    if failing { EXIT_FINDINGS } else { EXIT_CLEAN }
}

fn run_baseline(args: CheckArgs, ui: &Ui, cfg: &Config, rules: &RuleSet) -> Result<u8, String> {
    let Some(output) = args.output.clone() else {
        return Err("`bplint baseline` needs --output FILE".into());
    };
    let run = check_run(&args, ui, cfg, rules, None)?;
    for e in &run.errors {
        say("error", e);
    }
    if run.unreadable || !run.errors.is_empty() {
        return Err("not writing a baseline from a run that could not check everything".into());
    }
    let baseline = Baseline::of(&run.diagnostics);
    let text = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())? + "\n";
    write_output(Some(&output), &text)?;
    if !ui.quiet {
        eprintln!(
            "baseline: {} finding(s) recorded in {}",
            baseline.findings.len(),
            redact::clean(&output.display().to_string())
        );
    }
    Ok(EXIT_CLEAN)
}

#[derive(serde::Serialize)]
struct RefRow {
    file: String,
    line: u32,
    column: u32,
    pointer: String,
    module_id: Option<i64>,
    module: Option<String>,
    kind: &'static str,
    key: String,
    value: String,
    value_kind: &'static str,
    resolved_id: Option<u64>,
    allowed_types: Vec<String>,
    chosen_type: Option<String>,
    label: Option<String>,
    required: bool,
    orphan: bool,
    disabled: bool,
}

fn run_refs(args: RefsArgs) -> Result<u8, String> {
    let opts = Options {
        max_file_size: args.max_file_size,
        ..Options::default()
    };
    let (inputs, problems) = inputs_of(&args.paths);
    let (mut results, _) = walk_results(problems);
    results.extend(pipeline::check_all(&inputs, &opts));
    let mut rows = Vec::new();
    for r in &results {
        let Some(s) = &r.scenario else { continue };
        for (reference, loc) in s.references.iter().zip(&r.reference_locations) {
            let wanted = match args.kind {
                KindFilter::All => true,
                KindFilter::Connection => reference.kind == crate::model::RefKind::Connection,
                KindFilter::Hook => reference.kind == crate::model::RefKind::Hook,
                KindFilter::Keychain => reference.kind == crate::model::RefKind::Keychain,
                KindFilter::DataStore => reference.kind == crate::model::RefKind::DataStore,
            };
            if !wanted {
                continue;
            }
            let m = &s.modules[reference.module];
            // Every text here comes from the file: cleaned before it is printed.
            rows.push(RefRow {
                file: redact::clean(&r.display),
                line: loc.start.line,
                column: loc.start.column,
                pointer: redact::clean(&reference.pointer),
                module_id: m.id,
                module: m.name.as_deref().map(redact::clean),
                kind: reference.kind.name(),
                key: redact::clean(&reference.key),
                value: redact::clean(&reference.value.display()),
                value_kind: reference.value.kind_name(),
                resolved_id: reference.value.effective_id(),
                allowed_types: reference
                    .allowed_types
                    .iter()
                    .map(|t| redact::clean(t))
                    .collect(),
                chosen_type: reference.chosen_type.as_deref().map(redact::clean),
                label: reference.label.as_deref().map(redact::clean),
                required: reference.required,
                orphan: m.orphan,
                disabled: m.disabled,
            });
        }
    }
    let problems: Vec<&Diagnostic> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Invalid | Status::Unreadable))
        .flat_map(|r| &r.diagnostics)
        .collect();
    let text = match args.format {
        TableFormat::Json => {
            let files_with_errors: Vec<_> = problems
                .iter()
                .map(|d| report::json::FindingV1::from(d))
                .collect();
            let v = serde_json::json!({ "version": 1, "references": rows, "problems": files_with_errors });
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n"
        }
        TableFormat::Table => refs_table(&rows),
    };
    write_output(None, &text)?;
    if args.format == TableFormat::Table {
        for d in &problems {
            eprint!("{}", report::compact::line(d));
        }
    }
    Ok(if results.iter().any(|r| r.status == Status::Unreadable) {
        EXIT_TROUBLE
    } else {
        EXIT_CLEAN
    })
}

fn refs_table(rows: &[RefRow]) -> String {
    let header = [
        "LOCATION",
        "POINTER",
        "MODULE",
        "KIND",
        "KEY",
        "VALUE",
        "VALUE KIND",
        "ALLOWED TYPES",
        "CHOSEN TYPE",
        "LABEL",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        table.push(vec![
            format!("{}:{}:{}", r.file, r.line, r.column),
            r.pointer.to_string(),
            format!(
                "{} {}",
                r.module_id
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.module.as_deref().unwrap_or("-")
            ),
            r.kind.to_string(),
            r.key.to_string(),
            match r.resolved_id {
                Some(id) if r.value_kind == "expression" => format!("{} (= {id})", r.value),
                _ => r.value.clone(),
            },
            r.value_kind.to_string(),
            if r.allowed_types.is_empty() {
                "-".into()
            } else {
                r.allowed_types.join(",")
            },
            r.chosen_type.as_deref().unwrap_or("-").to_string(),
            crate::model::truncate(r.label.as_deref().unwrap_or("-"), 40),
        ]);
    }
    format_table(&table) + &format!("{} reference(s)\n", rows.len())
}

fn run_rules(args: RulesArgs, rules: &RuleSet) -> Result<u8, String> {
    let metas = rules.metas();
    let text = match args.format {
        TableFormat::Json => {
            let rows: Vec<_> = metas
                .iter()
                .map(|(m, origin)| {
                    serde_json::json!({"code": m.code, "name": m.name, "severity": m.severity, "kind": m.kind, "origin": origin, "summary": m.summary})
                })
                .collect();
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n"
        }
        TableFormat::Table => {
            let mut table = vec![vec![
                "CODE".to_string(),
                "NAME".into(),
                "SEVERITY".into(),
                "KIND".into(),
                "ORIGIN".into(),
                "SUMMARY".into(),
            ]];
            for (m, origin) in &metas {
                table.push(vec![
                    m.code.into(),
                    m.name.into(),
                    m.severity.as_str().into(),
                    m.kind.as_str().into(),
                    origin.clone(),
                    m.summary.into(),
                ]);
            }
            redact::safe_source(&format_table(&table))
        }
    };
    write_output(None, &text)?;
    Ok(EXIT_CLEAN)
}

fn run_explain(rule: &str, rules: &RuleSet) -> Result<u8, String> {
    let Some((m, origin)) = rules.find(rule) else {
        return Err(format!("no rule {rule:?}; `bplint rules` lists them"));
    };
    // A rule pack's docs come from its files: shown with control characters replaced.
    let text = redact::safe_source(&format!(
        "# {} {}\n\nSeverity: {} · Kind: {} · Origin: {origin}\n\n{}\n",
        m.code,
        m.name,
        m.severity,
        m.kind.as_str(),
        m.docs_markdown()
    ));
    write_output(None, &text)?;
    Ok(EXIT_CLEAN)
}

fn run_remap(args: RemapArgs, ui: &Ui, cfg: &Config) -> Result<u8, String> {
    use crate::model::RefKind;
    let mut map = remap::IdMap::new();
    for m in &args.map {
        remap::parse_pairs(m, "--map", &mut map)?;
    }
    if let Some(f) = &args.map_file {
        remap::load_map_file(f, &mut map)?;
    }
    if map.is_empty() {
        return Err("give the ids to change with --map OLD=NEW or --map-file FILE".into());
    }
    let kinds: Vec<RefKind> = match args.kind {
        KindFilter::All => vec![
            RefKind::Connection,
            RefKind::Hook,
            RefKind::Keychain,
            RefKind::DataStore,
        ],
        KindFilter::Connection => vec![RefKind::Connection],
        KindFilter::Hook => vec![RefKind::Hook],
        KindFilter::Keychain => vec![RefKind::Keychain],
        KindFilter::DataStore => vec![RefKind::DataStore],
    };
    let (inputs, problems) = inputs_of(&args.paths);
    if let Some(p) = problems.iter().find(|p| !p.is_loop) {
        return Err(format!("{}: {}", p.display, p.message));
    }
    let mut plans = Vec::new();
    for input in &inputs {
        let Input::File {
            path,
            display,
            explicit,
        } = input
        else {
            return Err("remap rewrites files in place; it cannot read standard input".into());
        };
        let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
        match remap::plan(path, bytes, &map, &kinds) {
            Ok(Some(plan)) => plans.push(plan),
            Ok(None) if *explicit => {
                return Err(format!("{display}: not a blueprint; nothing was written"));
            }
            Ok(None) => {}
            Err(e) if *explicit => return Err(format!("{e}; nothing was written")),
            Err(e) => say("note", &format!("skipped {e}")),
        }
    }
    let mut out = String::new();
    let changed: Vec<&remap::FilePlan> = plans.iter().filter(|p| !p.edits.is_empty()).collect();
    for p in &changed {
        if args.dry_run {
            out.push_str(&p.diff());
        } else if !ui.quiet {
            let pairs: Vec<String> = p
                .edits
                .iter()
                .map(|e| format!("{}->{}", e.old, e.new))
                .collect();
            out.push_str(&format!(
                "{}: {} id(s) rewritten ({})\n",
                p.path.display(),
                p.edits.len(),
                pairs.join(", ")
            ));
        }
    }
    if args.online || args.connections.is_some() {
        let source: Box<dyn ConnectionSource> = match &args.connections {
            Some(path) => Box::new(Snapshot::load(path)?),
            None => Box::new(api_client(&args.api, cfg)?),
        };
        let team = args.team.or(source.default_team());
        let ids = changed
            .iter()
            .flat_map(|p| p.edits.iter())
            .filter(|e| e.kind == RefKind::Connection)
            .map(|e| e.new)
            .collect();
        let resolution = source.resolve(&crate::live::ResolveRequest {
            team,
            ids,
            ..Default::default()
        });
        if !resolution.unchecked.is_empty() || !resolution.errors.is_empty() {
            for e in &resolution.errors {
                say("error", e);
            }
            return Err(format!(
                "the new ids could not be checked against {}; nothing was written",
                source.describe()
            ));
        }
        let catalog = Catalog::builtin();
        let problems =
            remap::check_targets(&plans, &resolution, team, &|m| catalog.lookup(m).types);
        if !problems.is_empty() {
            for p in &problems {
                say("error", p);
            }
            eprintln!(
                "{} problem(s) with the new ids; nothing was written",
                problems.len()
            );
            return Ok(EXIT_FINDINGS);
        }
    }
    if !args.dry_run {
        remap::apply(&plans)?;
    }
    let total: usize = changed.iter().map(|p| p.edits.len()).sum();
    if !ui.quiet {
        let verb = if args.dry_run {
            "would rewrite"
        } else {
            "rewrote"
        };
        eprintln!(
            "{verb} {total} id(s) in {} of {} blueprint(s)",
            changed.len(),
            plans.len()
        );
    }
    write_output(None, &out)?;
    Ok(EXIT_CLEAN)
}

fn run_export(
    team: u64,
    output: Option<PathBuf>,
    api: &ApiArgs,
    cfg: &Config,
) -> Result<u8, String> {
    let client = api_client(api, cfg)?;
    let snapshot = client.export_connections(team)?;
    let text = serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())? + "\n";
    write_output(output.as_ref(), &text)?;
    Ok(EXIT_CLEAN)
}

fn run_inventory(args: InventoryArgs, cfg: &Config) -> Result<u8, String> {
    use crate::inventory;
    use crate::live::ResolveRequest;
    let now = parse_now(args.now.as_deref())?;
    let opts = Options {
        max_file_size: args.max_file_size,
        ..Options::default()
    };
    let (inputs, problems) = inputs_of(&args.paths);
    let (mut results, _) = walk_results(problems);
    results.extend(pipeline::check_all(&inputs, &opts));
    let referenced: std::collections::BTreeSet<u64> =
        inventory::usages(&results).into_keys().collect();
    let team = args.team;
    let (listed, resolution) = match &args.connections {
        Some(path) => {
            let snap = Snapshot::load(path)?;
            // Rows without a team belong to the team the snapshot was exported for.
            let listed: Vec<_> = snap
                .connections()
                .filter(|c| match c.team_id {
                    Some(t) => t == team,
                    None => snap.team().is_none_or(|t| t == team),
                })
                .cloned()
                .map(|mut c| {
                    c.team_id.get_or_insert(team);
                    c
                })
                .collect();
            let request = ResolveRequest {
                team: Some(team),
                ids: referenced,
                ..ResolveRequest::default()
            };
            (listed, snap.resolve(&request))
        }
        None => api_client(&args.api, cfg)?.team_inventory(team, &referenced)?,
    };
    let inv = inventory::build(
        team,
        &results,
        &listed,
        &resolution,
        now,
        args.expiry_warning_days,
    );
    let text = match args.format {
        InventoryFormat::Table => report::inventory::table(&inv),
        InventoryFormat::Json => report::inventory::json(&inv)?,
        InventoryFormat::Csv => report::inventory::csv(&inv)?,
        InventoryFormat::Markdown => report::inventory::markdown(&inv),
    };
    write_output(args.output.as_ref(), &text)?;
    for d in results
        .iter()
        .filter(|r| matches!(r.status, Status::Invalid | Status::Unreadable))
        .flat_map(|r| &r.diagnostics)
    {
        eprint!("{}", report::compact::line(d));
    }
    for e in &resolution.errors {
        say("error", e);
    }
    let unreadable = results.iter().any(|r| r.status == Status::Unreadable);
    // Fail closed: an inventory with references nobody could settle is not a clean one.
    Ok(if unreadable || !inv.unchecked.is_empty() {
        EXIT_TROUBLE
    } else {
        EXIT_CLEAN
    })
}

fn run_pull(
    team: u64,
    out: &std::path::Path,
    api: &ApiArgs,
    ui: &Ui,
    cfg: &Config,
) -> Result<u8, String> {
    let client = api_client(api, cfg)?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let pulled = client.pull_blueprints(team)?;
    let mut saved = 0usize;
    let mut failed = 0usize;
    for p in &pulled.scenarios {
        let name = crate::pull::file_name(p.id, &p.name);
        let result = p
            .blueprint
            .as_ref()
            .map_err(|e| format!("could not fetch the blueprint: {e}"))
            .and_then(|text| crate::pull::save(out, &name, &crate::pull::pretty(text)));
        match result {
            Ok(path) => {
                saved += 1;
                if ui.verbose {
                    eprintln!("saved {}", redact::clean(&path.display().to_string()));
                }
            }
            Err(e) => {
                failed += 1;
                say("error", &format!("scenario {} ({}): {e}", p.id, p.name));
            }
        }
    }
    if pulled.rows_without_id > 0 {
        failed += pulled.rows_without_id;
        eprintln!(
            "error: {} scenario(s) were listed without a usable id and not saved",
            pulled.rows_without_id
        );
    }
    if !ui.quiet {
        eprintln!(
            "saved {saved} of {} blueprint(s) of team {team} in {} ({} request(s))",
            pulled.scenarios.len() + pulled.rows_without_id,
            redact::clean(&out.display().to_string()),
            pulled.requests
        );
    }
    Ok(if failed > 0 { EXIT_TROUBLE } else { EXIT_CLEAN })
}
