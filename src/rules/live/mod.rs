//! Rules that read connection data from the Make API or a snapshot. They run only with
//! `--online` or `--connections`, over lookups the pipeline resolved beforehand.

pub mod data_store;
pub mod expired;
pub mod expiring_soon;
pub mod failed_verification;
pub mod hook;
pub mod keychain;
pub mod missing_scopes;
pub mod not_found;
pub mod stored;
pub mod type_mismatch;
pub mod wrong_team;

#[cfg(test)]
pub(crate) mod testing;
