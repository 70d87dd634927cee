//! The clap argument types of every subcommand.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::commands::{EXIT_TROUBLE, Ui};
use crate::config;
use crate::model::RefKind;
use crate::rules::{RuleSet, declarative};

/// A day: longer than any request should take, short of deadlines that overflow the clock.
const MAX_TIMEOUT_SECS: u64 = 86_400;

#[derive(Subcommand, Debug)]
pub enum ConnectionsCommand {
    /// Write a connections snapshot of a team from the Make API (for `check --connections`).
    /// With PATHS it also records everything a check of PATHS asks the API (module
    /// requirements, scope answers, other teams' objects), so `check --connections FILE PATHS`
    /// finds exactly what `check --online --team T PATHS` finds.
    Export {
        /// Blueprint files or folders whose check the snapshot is for (optional).
        paths: Vec<PathBuf>,
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
pub struct ApiArgs {
    /// Make zone: eu1, eu2, us1, us2, eu1.celonis, us1.celonis (or a host like eu1.make.com)
    /// [env: BPLINT_ZONE; else `zone` in bplint.toml].
    #[arg(long)]
    pub zone: Option<String>,
    /// API base URL instead of the zone's (https; plain http only for loopback, for tests)
    /// [env: BPLINT_API_URL]. An `api_url` in bplint.toml may only name a Make host.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Per-request timeout, seconds (1 to 86400).
    #[arg(
        long,
        default_value_t = 30,
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS)
    )]
    pub timeout: u64,
    /// Retries of a request that failed with a 5xx, a timeout or a connection error.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_retries: u32,
    /// Stop after this many HTTP requests; ids left unchecked make the run exit 2.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Rows asked per list page (tests use small pages to exercise paging).
    #[arg(long, hide = true, value_name = "N")]
    pub page_size: Option<u32>,
    /// How MAKE_API_TOKEN is sent: `token` (`Authorization: Token`, Make API keys) or `bearer`
    /// (`Authorization: Bearer`, OAuth 2.0 access tokens). Default: `token` for a key shaped
    /// like Make's API keys (a UUID v4), else `bearer`, as Make's SDK does.
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub auth_scheme: Option<AuthSchemeArg>,
}

/// A display threshold (`--min-severity`).
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ShowLevel {
    Info,
    Warning,
    Error,
}

impl From<ShowLevel> for crate::finding::Severity {
    fn from(level: ShowLevel) -> Self {
        match level {
            ShowLevel::Info => crate::finding::Severity::Info,
            ShowLevel::Warning => crate::finding::Severity::Warning,
            ShowLevel::Error => crate::finding::Severity::Error,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum AuthSchemeArg {
    Token,
    Bearer,
}

/// Where the run's declarative rules come from, beside the shipped ones.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleArgs {
    /// Folder of declarative rule files (`*.toml`), or one such file (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Leave out the shipped declarative rules (to measure what they cost, and for tests of
    /// the built-in rules alone).
    #[arg(
        long,
        hide = true,
        env = "BPLINT_NO_DECLARATIVE",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_declarative: bool,
}

impl RuleArgs {
    /// The built-in rules plus the declarative ones, compiled once for the whole run. A bad
    /// rule file is drawn on stderr and ends the run before any blueprint is read.
    pub fn rule_set(&self, ui: &Ui) -> Result<RuleSet, RuleSetError> {
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

pub enum RuleSetError {
    /// Already drawn, with its snippet.
    Shown(String),
    Message(String),
}

/// Prints a rule set error and gives the exit code, or the set.
pub fn rules_or_exit(args: &RuleArgs, ui: &Ui) -> Result<RuleSet, Result<u8, String>> {
    match args.rule_set(ui) {
        Ok(set) => Ok(set),
        Err(RuleSetError::Shown(text)) => {
            eprint!("{text}");
            Err(Ok(EXIT_TROUBLE))
        }
        Err(RuleSetError::Message(m)) => Err(Err(m)),
    }
}

/// The clock and the window of the expiry checks (`check`, `inventory`).
#[derive(Args, Debug, Clone, Default)]
pub struct ExpiryArgs {
    /// The current time for expiry checks (RFC 3339), for reproducible runs.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Report connections expiring within this many days [default: 14, or
    /// `expiry_warning_days` in the config].
    #[arg(
        long,
        value_name = "DAYS",
        value_parser = clap::value_parser!(i64).range(0..=config::MAX_EXPIRY_WARNING_DAYS)
    )]
    pub expiry_warning_days: Option<i64>,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Compact,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders (default `.`); `-` reads one blueprint from standard input.
    pub paths: Vec<PathBuf>,
    /// Check the blueprints of this team's scenarios, fetched from the Make API (nothing is
    /// written; PATHS are not read).
    #[arg(long, value_name = "TEAM", conflicts_with = "paths")]
    pub team_scenarios: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Show only findings at or above this severity (they are all still counted, and
    /// --fail-on still looks at all of them).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<ShowLevel>,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the run exit 1 [default: warning, or `fail_on` in the config].
    #[arg(long, value_enum)]
    pub fail_on: Option<config::FailOn>,
    /// Largest file read, in bytes; larger files are reported, not read [default: 64 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Report only findings not recorded in this baseline (`bplint baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Check connections against the live Make API (needs MAKE_API_TOKEN and --zone or --api-url).
    #[arg(long, conflicts_with = "connections")]
    pub online: bool,
    /// Check connections against a snapshot file (`bplint connections export`).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<PathBuf>,
    /// The team the files are checked for (required with --online).
    #[arg(long)]
    pub team: Option<u64>,
    /// Verify each connection: with --online Make tests it against its service (needs a token
    /// with connections:write); with --connections the results recorded in the snapshot are used.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Extra module catalog folder (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum TableFormat {
    Table,
    Json,
}

/// `--kind`: one kind of reference (named as the model names it), or `all`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KindFilter(Option<RefKind>);

impl KindFilter {
    pub const ALL: KindFilter = KindFilter(None);
    pub const CONNECTION: KindFilter = KindFilter(Some(RefKind::Connection));

    /// Every value, in the order `--help` lists them.
    const VALUES: [KindFilter; 7] = [
        KindFilter::ALL,
        KindFilter::CONNECTION,
        KindFilter(Some(RefKind::Hook)),
        KindFilter(Some(RefKind::Keychain)),
        KindFilter(Some(RefKind::DataStore)),
        KindFilter(Some(RefKind::DataStructure)),
        KindFilter(Some(RefKind::Scenario)),
    ];

    /// The reference kinds the filter keeps.
    pub fn kinds(self) -> Vec<RefKind> {
        match self.0 {
            Some(kind) => vec![kind],
            None => Self::VALUES.iter().filter_map(|v| v.0).collect(),
        }
    }
}

impl ValueEnum for KindFilter {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::VALUES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(
            self.0.map_or("all", RefKind::name),
        ))
    }
}

#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// Modules as blueprints name them, optionally with the module's version:
    /// `slack:CreateMessage@4`, `app#my-app-x1:doThing` (no version asks for `latest`).
    #[arg(required = true, value_name = "MODULE")]
    pub modules: Vec<String>,
    /// Ask Make's API for the apps' published requirements (needs MAKE_API_TOKEN with
    /// `apps:read`, `sdk-apps:read` for custom apps, and --zone or --api-url).
    #[arg(long, conflicts_with = "connections")]
    pub online: bool,
    /// Read the requirements a snapshot recorded (`bplint connections export --team T PATHS`).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<PathBuf>,
    /// Extra module catalog folder (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args, Debug)]
pub struct RefsArgs {
    /// Files or folders (default `.`); `-` reads standard input.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    /// Which references to list.
    #[arg(long, value_enum, default_value_t = KindFilter::ALL)]
    pub kind: KindFilter,
    /// Largest file read, in bytes [default: 64 MiB, or `max_file_size` in the config].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum InventoryFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// Files or folders whose blueprints count as users (default `.`).
    pub paths: Vec<PathBuf>,
    /// The team whose connections are listed.
    #[arg(long)]
    pub team: u64,
    /// Read the team's connections from a snapshot (`bplint connections export`) instead of the
    /// Make API (which needs MAKE_API_TOKEN and --zone or --api-url).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Largest file read, in bytes [default: 64 MiB, or `max_file_size` in the config].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args, Debug)]
pub struct RemapArgs {
    /// Files or folders (default `.`).
    pub paths: Vec<PathBuf>,
    /// OLD=NEW[,OLD=NEW...] (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    pub map: Vec<String>,
    /// A map file: `{"OLD": NEW}` JSON, or `OLD=NEW` lines.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// Print a unified diff and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Which references to rewrite (ids of different kinds may collide).
    #[arg(long, value_enum, default_value_t = KindFilter::CONNECTION)]
    pub kind: KindFilter,
    /// Before writing, check each new connection id against this snapshot of the target team.
    #[arg(long, value_name = "FILE", conflicts_with = "online")]
    pub connections: Option<PathBuf>,
    /// Before writing, check each new connection id against the Make API (MAKE_API_TOKEN).
    #[arg(long)]
    pub online: bool,
    /// The target team: new connections must belong to it.
    #[arg(long)]
    pub team: Option<u64>,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("team_source").required(true).args(["connections", "online"])))]
#[command(
    after_help = "Exit codes: 0 every reference bound (or nothing to bind), 1 references left unbound, 2 could not check.\n\
                  A reference is bound when its value is a placeholder (`<CONN_01>`, `{{YOUR_X}}`) or an id the team lacks,\n\
                  and exactly one of the team's objects fits what its modules accept and need."
)]
pub struct BindArgs {
    /// Files or folders (default `.`).
    pub paths: Vec<PathBuf>,
    /// The team whose connections, webhooks, data stores and keychains to bind to [else
    /// `team` in bplint.toml].
    #[arg(long)]
    pub team: Option<u64>,
    /// The team's lists from this snapshot (`bplint connections export`, with `hooks`,
    /// `dataStores`, `keys`, `dataStructures` lists beside `connections` where recorded).
    #[arg(long, value_name = "FILE", conflicts_with = "online")]
    pub connections: Option<PathBuf>,
    /// The team's connections from the Make API (MAKE_API_TOKEN).
    #[arg(long)]
    pub online: bool,
    /// Print a unified diff and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Among several candidates, take the one whose name matches this regex (it must match
    /// exactly one).
    #[arg(long, value_name = "REGEX")]
    pub prefer: Option<String>,
    /// Choices for references with several candidates: remap's map format, whose keys may
    /// also be placeholders (`"<CONN_01>" = 4101`). `--propose` writes one to edit.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// Print the proposal as a map file, every candidate as a comment, and change nothing.
    #[arg(long, conflicts_with = "dry_run")]
    pub propose: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_filters_read_the_model_names() {
        let kinds = |text: &str| KindFilter::from_str(text, false).map(KindFilter::kinds);
        assert_eq!(kinds("data-store"), Ok(vec![RefKind::DataStore]));
        assert_eq!(kinds("all").map(|k| k.len()), Ok(6));
        assert!(kinds("webhook").is_err());
    }
}
