//! Live data about connections: the types live rules read, and the [`ConnectionSource`] trait
//! with its two implementations (the Make API client and a snapshot file).
//!
//! I/O happens here, before the rules run: the pipeline gathers every distinct connection id
//! referenced by the checked files, asks one source once, and hands rules the [`Lookup`] of
//! each reference. An id the source could not check is never silently skipped: it is listed in
//! [`Resolution::unchecked`] and makes the run exit 2.

pub mod api;
pub mod catalog;
pub mod connection;
pub mod snapshot;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

pub use catalog::Catalog;
pub use connection::Connection;

/// What the pipeline asks a source for.
#[derive(Debug, Clone, Default)]
pub struct ResolveRequest {
    /// The team the files are checked for (`--team`); `None` checks existence only.
    pub team: Option<u64>,
    /// Every distinct connection id referenced by the checked files.
    pub ids: BTreeSet<u64>,
    /// Scopes the modules referencing each id need (from the catalog); ids without needs are absent.
    pub required_scopes: HashMap<u64, BTreeSet<String>>,
    /// `--verify`: ask Make to test each found connection against its service.
    pub verify: bool,
}

/// The outcome of a verification (`POST /connections/{id}/test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub verified: bool,
    pub error: Option<String>,
}

/// What a source found.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Connections found, in the team or elsewhere (check `team_id`).
    pub found: HashMap<u64, Connection>,
    /// Ids the source positively knows do not exist (404, or absent from a complete snapshot).
    pub not_found: BTreeSet<u64>,
    /// Ids that could not be checked, with the reason. Any entry makes the run exit 2.
    pub unchecked: BTreeMap<u64, String>,
    /// Verification results for `--verify`.
    pub verification: HashMap<u64, Verification>,
    /// Run-level problems (e.g. a 401): printed, and they make the run exit 2 when ids are unchecked.
    pub errors: Vec<String>,
    /// Things worth saying under `--verbose` (e.g. verification refused for a read-only token).
    pub notes: Vec<String>,
    /// HTTP requests made (0 for a snapshot).
    pub requests: u64,
}

/// A place connections come from.
pub trait ConnectionSource {
    /// A short description for messages (`Make API eu1.make.com`, `snapshot conns.json`).
    fn describe(&self) -> String;
    fn resolve(&self, request: &ResolveRequest) -> Resolution;
    /// The team this source speaks for when the run names none (a snapshot records the team it
    /// was exported from).
    fn default_team(&self) -> Option<u64> {
        None
    }
}

/// Run-wide settings live rules read.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    pub now: DateTime<Utc>,
    pub expiry_warning_days: i64,
    pub catalog: Catalog,
    /// `--verify` was given.
    pub verify: bool,
}

/// What the source said about the id one reference names.
#[derive(Debug, Clone)]
pub enum Lookup {
    Found {
        connection: Connection,
        verification: Option<Verification>,
    },
    NotFound {
        id: u64,
    },
}
