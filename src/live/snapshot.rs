//! Placeholder until the snapshot reader lands (same public API).
use std::collections::HashMap;
use std::path::Path;

use super::{Connection, ConnectionSource, Resolution, ResolveRequest};

pub struct Snapshot {
    connections: HashMap<u64, Connection>,
    verification: HashMap<u64, super::Verification>,
    team: Option<u64>,
    path: String,
}

impl Snapshot {
    pub fn load(path: &Path) -> Result<Snapshot, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_str(&text, &path.display().to_string())
    }

    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, path: &str) -> Result<Snapshot, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        let rows = v
            .get("connections")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        let connections = rows
            .iter()
            .filter_map(Connection::from_json)
            .map(|c| (c.id, c))
            .collect();
        let verification = rows
            .iter()
            .filter_map(|r| {
                let id = r.get("id")?.as_u64()?;
                let verified = r.get("verified")?.as_bool()?;
                let error = r
                    .get("verifyError")
                    .and_then(|e| e.as_str())
                    .map(str::to_string);
                Some((id, super::Verification { verified, error }))
            })
            .collect();
        let team = v.get("teamId").and_then(|t| t.as_u64());
        Ok(Snapshot {
            connections,
            verification,
            team,
            path: path.to_string(),
        })
    }
}

impl ConnectionSource for Snapshot {
    fn describe(&self) -> String {
        format!("snapshot {}", self.path)
    }
    fn default_team(&self) -> Option<u64> {
        self.team
    }
    fn resolve(&self, request: &ResolveRequest) -> Resolution {
        let mut r = Resolution::default();
        for id in &request.ids {
            match self.connections.get(id) {
                Some(c) => {
                    if request.verify {
                        if let Some(v) = self.verification.get(id) {
                            r.verification.insert(*id, v.clone());
                        }
                    }
                    r.found.insert(*id, c.clone());
                }
                None => {
                    r.not_found.insert(*id);
                }
            }
        }
        r
    }
}
