//! The settings of one run, resolved once: command-line flags win over the environment
//! (`BPLINT_API_URL`, `BPLINT_ZONE`), which wins over `bplint.toml`, which wins over the
//! defaults. Every command reads its settings from here, so none merges them its own way.

use std::path::PathBuf;

use crate::config::{self, Config};
use crate::finding::Severity;
use crate::live::api;
use crate::pipeline;
use crate::rules::RuleSet;

/// Days before expiry a connection is reported, when neither a flag nor the config says.
pub const DEFAULT_EXPIRY_WARNING_DAYS: i64 = 14;

/// What the command line said, for the settings that the config can also give. `None` means
/// "not given": the environment, the config or the default decides.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub zone: Option<String>,
    pub api_url: Option<String>,
    pub team: Option<u64>,
    pub max_file_size: Option<u64>,
    pub expiry_warning_days: Option<i64>,
    /// `Some(None)`: `--fail-on never`.
    pub fail_on: Option<Option<Severity>>,
    pub catalog_dirs: Vec<PathBuf>,
}

pub struct Settings {
    /// The zone the run targets (offline zone checks): flag, environment, config.
    pub zone: Option<String>,
    /// Where the token is sent; an error says why there is no such place.
    pub api_base: Result<url::Url, String>,
    pub team: Option<u64>,
    pub max_file_size: u64,
    pub expiry_warning_days: i64,
    /// The lowest severity that fails the run; `None` never fails on findings.
    pub fail_on: Option<Severity>,
    /// The config's catalog folders, then the flag's.
    pub catalog_dirs: Vec<PathBuf>,
    /// Include/exclude, per-file teams, severity overrides and ignores.
    pub config: Config,
    pub rules: RuleSet,
}

impl Settings {
    /// The module catalog of the run: the shipped one, then the config's and the flag's
    /// folders (later entries win).
    pub fn module_catalog(&self) -> Result<crate::live::Catalog, String> {
        let mut catalog = crate::live::Catalog::builtin();
        for dir in &self.catalog_dirs {
            catalog.add_dir(dir)?;
        }
        Ok(catalog)
    }

    pub fn resolve(flags: Flags, config: Config, rules: RuleSet) -> Settings {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let env_zone = env("BPLINT_ZONE");
        let api_base = api_base_url(&flags, env("BPLINT_API_URL"), env_zone.clone(), &config);
        let fail_on = flags.fail_on.unwrap_or(match config.fail_on {
            Some(f) => f.threshold(),
            None => Some(Severity::Warning),
        });
        Settings {
            zone: flags.zone.or(env_zone).or_else(|| config.zone.clone()),
            api_base,
            team: flags.team.or(config.team),
            max_file_size: flags
                .max_file_size
                .or(config.max_file_size)
                .unwrap_or(pipeline::DEFAULT_MAX_FILE_SIZE),
            expiry_warning_days: flags
                .expiry_warning_days
                .or(config.expiry_warning_days)
                .unwrap_or(DEFAULT_EXPIRY_WARNING_DAYS),
            fail_on,
            catalog_dirs: config
                .catalog_dirs
                .iter()
                .chain(&flags.catalog_dirs)
                .cloned()
                .collect(),
            config,
            rules,
        }
    }
}

/// Where the token is sent. The command line wins over everything (`--api-url`, then
/// `--zone`), then the environment (`BPLINT_API_URL`, `BPLINT_ZONE`), then bplint.toml, whose
/// `api_url` may only name a Make host: a repository's files never choose where the token goes.
fn api_base_url(
    flags: &Flags,
    env_api_url: Option<String>,
    env_zone: Option<String>,
    cfg: &Config,
) -> Result<url::Url, String> {
    if let Some(url) = &flags.api_url {
        return api::parse_api_url(url).map_err(|e| e.to_string());
    }
    if let Some(zone) = &flags.zone {
        return api::zone_base_url(zone).map_err(|e| e.to_string());
    }
    if let Some(url) = env_api_url {
        return api::parse_api_url(&url).map_err(|e| format!("BPLINT_API_URL: {e}"));
    }
    if let Some(zone) = env_zone {
        return api::zone_base_url(&zone).map_err(|e| format!("BPLINT_ZONE: {e}"));
    }
    if let Some(url) = &cfg.api_url {
        return api::config_api_url(url).map_err(|e| e.to_string());
    }
    if let Some(zone) = &cfg.zone {
        return api::zone_base_url(zone).map_err(|e| format!("bplint.toml `zone`: {e}"));
    }
    Err(
        "the Make API needs --zone (e.g. --zone eu1) or --api-url (or `zone` in bplint.toml)"
            .into(),
    )
}

// The config's own limit on expiry days also bounds the flag (clap checks it).
const _: () = assert!(config::MAX_EXPIRY_WARNING_DAYS >= DEFAULT_EXPIRY_WARNING_DAYS);
