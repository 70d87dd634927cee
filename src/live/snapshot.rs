//! Placeholder until the snapshot reader lands (same public API).
use std::collections::HashMap;
use std::path::Path;

use super::{Connection, ConnectionSource, Resolution, ResolveRequest};

pub struct Snapshot {
    connections: HashMap<u64, Connection>,
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
        Ok(Snapshot {
            connections,
            path: path.to_string(),
        })
    }
}

impl ConnectionSource for Snapshot {
    fn describe(&self) -> String {
        format!("snapshot {}", self.path)
    }
    fn resolve(&self, request: &ResolveRequest) -> Resolution {
        let mut r = Resolution::default();
        for id in &request.ids {
            match self.connections.get(id) {
                Some(c) => {
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
