//! What the API said about the token: which endpoint scopes it proved or was refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Method, StatusCode};

use super::AuthScheme;
use super::error::{ApiError, Request};

/// The token scope (as Make's SDK names them) an endpoint needs, from the path below the base
/// URL: `["hooks"]`, `["connections", "5", "test"]`.
pub(super) fn token_scope(method: &Method, endpoint: &[&str]) -> Option<&'static str> {
    Some(match endpoint.first().copied()? {
        "connections" if *method == Method::POST => "connections:write",
        "connections" => "connections:read",
        "hooks" => "hooks:read",
        "data-stores" => "datastores:read",
        "keys" => "keys:read",
        "scenarios" => "scenarios:read",
        "credential-requests" => "apps:read",
        "sdk" => "sdk-apps:read",
        _ => return None,
    })
}

/// Scopes whose endpoints only add to a check (Make's module requirements): a token without
/// them is still a token.
const OPTIONAL_SCOPES: &[&str] = &["apps:read", "sdk-apps:read"];

/// What the API said about the token so far. Make does not document whether a token without a
/// scope gets 401 or 403, so a refusal is read against what came before it: before any success
/// a 401 means the token itself is wrong or missing; after one, a 401 or 403 on an endpoint
/// whose scope nothing has proven means the token lacks that scope, and only that endpoint's
/// answers are lost. A refused read of one object by id (`GET /hooks/5`) stays about that
/// object (another team's, another zone's, or the scope: its message names all three), so one
/// foreign id cannot stop the lookups of the others.
#[derive(Default)]
pub(super) struct TokenAccess {
    accepted: AtomicBool,
    /// The token refused outright; once set, nothing more is sent.
    rejected: Mutex<Option<ApiError>>,
    /// Scopes some successful answer proved.
    granted: Mutex<BTreeSet<&'static str>>,
    /// Scopes refused after the token was accepted; their endpoints are not asked again.
    refused: Mutex<BTreeMap<&'static str, ApiError>>,
}

impl TokenAccess {
    pub(super) fn rejected(&self) -> Option<ApiError> {
        self.rejected.lock().ok().and_then(|r| r.clone())
    }

    pub(super) fn refused(&self, scope: Option<&'static str>) -> Option<ApiError> {
        let scope = scope?;
        self.refused.lock().ok()?.get(scope).cloned()
    }

    pub(super) fn succeeded(&self, scope: Option<&'static str>) {
        self.accepted.store(true, Ordering::SeqCst);
        if let (Some(scope), Ok(mut granted)) = (scope, self.granted.lock()) {
            granted.insert(scope);
        }
    }

    /// How to read a 401 or 403 to `request`, which needs `scope`: the error about the token
    /// ([`ApiError::Unauthorized`], [`ApiError::MissingTokenScope`]) when it is about the
    /// token, `None` when it is about the one object asked for.
    pub(super) fn classify(
        &self,
        status: StatusCode,
        scope: Option<&'static str>,
        request: &Request,
        read_by_id: bool,
        scheme: AuthScheme,
        said: &str,
    ) -> Option<ApiError> {
        let proven = scope.is_some_and(|s| self.granted.lock().is_ok_and(|g| g.contains(s)));
        // Make's module requirements are asked before anything else, and a token may well
        // lack their scopes: a refusal there is about that scope only, never the token, which
        // the connection endpoints still judge.
        let optional = scope.filter(|s| OPTIONAL_SCOPES.contains(s) && !proven);
        if let Some(scope) = optional {
            let error = ApiError::MissingTokenScope {
                scope,
                request: request.clone(),
                status,
                said: said.to_string(),
            };
            return Some(match self.refused.lock() {
                Ok(mut r) => r.entry(scope).or_insert(error).clone(),
                Err(_) => error,
            });
        }
        if !self.accepted.load(Ordering::SeqCst) {
            if status != StatusCode::UNAUTHORIZED {
                return None;
            }
            let error = ApiError::Unauthorized {
                request: request.clone(),
                said: said.to_string(),
                needs: scope.unwrap_or("connections:read"),
                hint: scheme.hint(),
            };
            return Some(match self.rejected.lock() {
                // The first refusal names the request; later ones repeat it.
                Ok(mut r) => r.get_or_insert(error).clone(),
                Err(_) => error,
            });
        }
        match scope {
            Some(scope) if !proven && !read_by_id => {
                let error = ApiError::MissingTokenScope {
                    scope,
                    request: request.clone(),
                    status,
                    said: said.to_string(),
                };
                Some(match self.refused.lock() {
                    Ok(mut r) => r.entry(scope).or_insert(error).clone(),
                    Err(_) => error,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scopes_per_endpoint() {
        let get = Method::GET;
        let post = Method::POST;
        for (method, path, want) in [
            (&get, &["connections"][..], "connections:read"),
            (&get, &["connections", "5"], "connections:read"),
            (&post, &["connections", "5", "test"], "connections:write"),
            (&get, &["hooks", "5"], "hooks:read"),
            (&get, &["data-stores"], "datastores:read"),
            (&get, &["keys"], "keys:read"),
            (&get, &["scenarios", "5", "blueprint"], "scenarios:read"),
            (
                &get,
                &["credential-requests", "apps", "slack", "1"],
                "apps:read",
            ),
            (
                &get,
                &["sdk", "apps", "x", "1", "modules", "y"],
                "sdk-apps:read",
            ),
        ] {
            assert_eq!(token_scope(method, path), Some(want), "{method} {path:?}");
        }
        assert_eq!(token_scope(&get, &["users", "me"]), None);
    }
}
