//! Rules that read connection data from the Make API or a snapshot. They run only with
//! `--online` or `--connections`, over lookups the pipeline resolved beforehand.

pub mod expired;
pub mod expiring_soon;
pub mod failed_verification;
pub mod missing_scopes;
pub mod not_found;
pub mod type_mismatch;
pub mod wrong_team;

#[cfg(test)]
pub(crate) mod testing;
