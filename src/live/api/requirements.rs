//! Make's published module requirements of the app versions a run uses: one
//! `GET /credential-requests/apps/{app}/{version}/modules-with-credentials` per (app, version);
//! for a custom app (`app#name`) whose answer lacks a module, the SDK Apps API: the module's
//! connections and scope, each connection's type and (OAuth only) default scope.
//!
//! Never `GET /sdk/apps/connections/{name}/common`: it holds the app's client secrets. A token
//! without `apps:read` or `sdk-apps:read` (401/403 here) or an app Make does not know (404) is a
//! note: those apps are checked with the built-in catalog. Make not answering at all (network,
//! 5xx after retries, a broken answer) is an error: the run exits 2.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use reqwest::Method;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use super::error::{ApiError, Request};
use super::transport::Run;
use crate::live::requirements::{
    self as req, AppVersion, PublishedModule, RequirementSource, Requirements, RequirementsAnswer,
    Wanted,
};

/// What asking about one app gave.
#[derive(Default)]
struct AppOutcome {
    modules: Option<BTreeMap<String, PublishedModule>>,
    /// Why (part of) the app falls back to the catalog: the token lacks a scope.
    refused: Vec<(&'static str, ApiError)>,
    /// Make knows no such app version (404 on its requirements), or no such custom module.
    unknown: Vec<String>,
    errors: Vec<String>,
}

/// Connection name -> (type, default scopes when OAuth), asked once per run.
type ConnectionCache = Arc<Mutex<HashMap<String, Result<ConnectionKind, ApiError>>>>;

#[derive(Clone)]
struct ConnectionKind {
    oauth: bool,
    default_scopes: BTreeSet<String>,
}

/// What the apps' answers add up to, as they come in.
struct Gathered {
    answer: RequirementsAnswer,
    /// Refused scope -> the first refusal and the apps it left to the catalog.
    refused: BTreeMap<&'static str, (ApiError, BTreeSet<AppVersion>)>,
    unknown: Vec<String>,
}

impl Gathered {
    fn add(&mut self, wanted: &Wanted, app: AppVersion, outcome: AppOutcome) {
        let reqs = &mut self.answer.requirements;
        match outcome.modules {
            Some(modules) if !modules.is_empty() || outcome.refused.is_empty() => {
                reqs.insert(app.clone(), modules);
            }
            _ => {}
        }
        let covered = reqs.knows_app(&app)
            && wanted
                .get(&app)
                .is_some_and(|ms| ms.iter().all(|m| reqs.module(&app, m).is_some()));
        if !covered {
            self.answer.unanswered.insert(app.clone());
        }
        for (scope, error) in outcome.refused {
            self.refused
                .entry(scope)
                .or_insert_with(|| (error, BTreeSet::new()))
                .1
                .insert(app.clone());
        }
        self.unknown.extend(outcome.unknown);
        self.answer.errors.extend(outcome.errors);
    }
}

/// The requirements of every app version in `wanted`, each asked once, concurrently within
/// the client's bound.
pub(super) async fn ask(run: &Arc<Run>, wanted: &Wanted) -> RequirementsAnswer {
    let cache: ConnectionCache = Arc::default();
    let mut jobs: JoinSet<(AppVersion, AppOutcome)> = JoinSet::new();
    let mut got = Gathered {
        answer: RequirementsAnswer {
            requirements: Requirements::new(RequirementSource::MakeApi),
            ..RequirementsAnswer::default()
        },
        refused: BTreeMap::new(),
        unknown: Vec::new(),
    };
    // The first app alone: a token without `apps:read` (or a wrong one) is then refused once,
    // and the other apps' questions are not sent.
    let mut rest: Vec<_> = wanted.iter().collect();
    let first: Vec<_> = rest.drain(..rest.len().min(1)).collect();
    for batch in [first, rest] {
        for (app, modules) in batch {
            let (run, app, modules, cache) =
                (run.clone(), app.clone(), modules.clone(), cache.clone());
            jobs.spawn(async move {
                let outcome = app_requirements(&run, &app, &modules, &cache).await;
                (app, outcome)
            });
        }
        while let Some(joined) = jobs.join_next().await {
            match joined {
                Ok((app, outcome)) => got.add(wanted, app, outcome),
                Err(_) => got
                    .answer
                    .errors
                    .push("internal error: a requirements task failed".into()),
            }
        }
    }
    let Gathered {
        mut answer,
        refused,
        mut unknown,
    } = got;
    for (scope, (error, apps)) in refused {
        let apps: Vec<String> = apps.iter().map(AppVersion::describe).collect();
        answer.notes.push(run.scrub(&format!(
            "the token lacks `{scope}` ({}): the built-in catalog is used for: {}",
            refusal_text(&error),
            apps.join(", ")
        )));
    }
    unknown.sort();
    unknown.dedup();
    for u in unknown {
        answer.notes.push(run.scrub(&u));
    }
    answer.errors.sort();
    answer.errors.dedup();
    answer.requests = run.requests();
    answer
}

/// `HTTP 403 on GET /api/v2/credential-requests/...`: the refused request, said once.
fn refusal_text(error: &ApiError) -> String {
    match error {
        ApiError::MissingTokenScope {
            request, status, ..
        }
        | ApiError::Refused {
            request, status, ..
        } => format!("HTTP {} on {}", status.as_u16(), request.template()),
        other => other.summary(),
    }
}

/// Whether `error` is a refusal of the token's scope for this endpoint (a note, not a failure).
fn refused_scope(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::MissingTokenScope { .. } | ApiError::Refused { .. }
    )
}

/// Whether a name from a blueprint or an answer may be a path segment here: never a dot
/// segment (which would climb to another endpoint) and never `common` (the SDK section that
/// holds client secrets).
fn safe_segment(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.eq_ignore_ascii_case("common")
}

async fn app_requirements(
    run: &Run,
    app: &AppVersion,
    modules: &BTreeSet<String>,
    cache: &ConnectionCache,
) -> AppOutcome {
    let mut out = AppOutcome::default();
    if !safe_segment(&app.app) || !safe_segment(&app.version) {
        out.unknown.push(format!(
            "{} is not a name Make's requirements can be asked for: the built-in catalog is \
             used for it",
            app.describe()
        ));
        return out;
    }
    let segments = [
        "credential-requests",
        "apps",
        app.app.as_str(),
        app.version.as_str(),
        "modules-with-credentials",
    ];
    let published = run
        .get_json(&segments, &[], |v| req::parse_modules_with_credentials(&v))
        .await;
    let mut known = match published {
        Ok(m) => Some(m),
        Err(e) if e.is_not_found() => {
            if app.custom_name().is_none() {
                out.unknown.push(format!(
                    "Make knows no app {} (HTTP 404 on its requirements): the built-in catalog \
                     is used for it",
                    app.describe()
                ));
            }
            None
        }
        Err(e) if refused_scope(&e) => {
            out.refused.push(("apps:read", e));
            None
        }
        Err(e) => {
            out.errors.push(run.scrub(&format!(
                "Make's requirements of {} could not be had: {}",
                app.describe(),
                e.summary()
            )));
            None
        }
    };
    let Some(custom) = app.custom_name() else {
        out.modules = known;
        return out;
    };
    // A custom app's module the answer does not cover: the SDK Apps API knows it.
    for module in modules {
        if known.as_ref().is_some_and(|k| k.contains_key(module)) || !safe_segment(module) {
            continue;
        }
        match sdk_module(run, custom, &app.version, module, cache).await {
            Ok(m) => {
                known
                    .get_or_insert_with(BTreeMap::new)
                    .insert(module.clone(), m);
            }
            Err(e) if e.is_not_found() => out.unknown.push(format!(
                "Make's SDK Apps API knows no module {module} of custom app {} (HTTP 404): the \
                 built-in catalog is used for it",
                app.describe()
            )),
            Err(e) if refused_scope(&e) => {
                out.refused.push(("sdk-apps:read", e));
                // Every other module would be refused the same way (and is not even sent).
                break;
            }
            Err(e) => out.errors.push(run.scrub(&format!(
                "the SDK Apps API could not say what module {module} of custom app {} needs: {}",
                app.describe(),
                e.summary()
            ))),
        }
    }
    out.modules = known;
    out
}

/// A custom app's module: its connections are the accepted types; its scope, and the default
/// scope of each OAuth connection, the required scopes.
async fn sdk_module(
    run: &Run,
    app: &str,
    version: &str,
    module: &str,
    cache: &ConnectionCache,
) -> Result<PublishedModule, ApiError> {
    let base = ["sdk", "apps", app, version, "modules", module];
    let connections = run
        .get_json(&base, &[], |v| req::parse_sdk_module(&v))
        .await?;
    let mut scope_path = base.to_vec();
    scope_path.push("scope");
    let mut scopes = jsonc(run, &scope_path, req::parse_scope_section).await?;
    let mut any_oauth = false;
    for name in &connections {
        let kind = connection_kind(run, name, cache).await?;
        any_oauth |= kind.oauth;
        scopes.extend(kind.default_scopes);
    }
    Ok(PublishedModule {
        types: connections.into_iter().collect(),
        keychains: BTreeSet::new(),
        // Only OAuth connections hold scopes: a module whose connections are all API keys or
        // basic auth needs none.
        scopes: Some(if any_oauth { scopes } else { BTreeSet::new() }),
    })
}

async fn connection_kind(
    run: &Run,
    name: &str,
    cache: &ConnectionCache,
) -> Result<ConnectionKind, ApiError> {
    // Held across the requests: two modules sharing a connection ask about it once.
    let mut cache = cache.lock().await;
    if let Some(known) = cache.get(name) {
        return known.clone();
    }
    if !safe_segment(name) {
        // A connection name from Make's answer that cannot be asked about safely.
        return Err(ApiError::Internal(format!(
            "the SDK Apps API named a connection {name:?} that cannot be asked about"
        )));
    }
    let answer = async {
        let kind = run
            .get_json(&["sdk", "apps", "connections", name], &[], |v| {
                req::parse_sdk_connection(&v)
            })
            .await?;
        let oauth = req::is_oauth_type(&kind);
        let default_scopes = if oauth {
            jsonc(
                run,
                &["sdk", "apps", "connections", name, "scope"],
                req::parse_scope_section,
            )
            .await?
        } else {
            BTreeSet::new()
        };
        Ok(ConnectionKind {
            oauth,
            default_scopes,
        })
    }
    .await;
    cache.insert(name.to_string(), answer.clone());
    answer
}

/// `GET` of an SDK section, which may be JSON with comments (`application/jsonc`).
async fn jsonc<T>(
    run: &Run,
    segments: &[&str],
    read: impl FnOnce(&serde_json::Value) -> Result<T, String>,
) -> Result<T, ApiError> {
    let url = run.endpoint(segments);
    let body = run.call_raw(Method::GET, &url).await?;
    let request = Request::new(&Method::GET, &url);
    let value = req::parse_jsonc(&body).map_err(|e| run.bad_answer(request.clone(), e))?;
    read(&value).map_err(|e| run.bad_answer(request, e))
}

#[cfg(test)]
mod tests {
    use super::safe_segment;

    #[test]
    fn names_that_would_climb_or_reach_the_secrets_are_never_path_segments() {
        for bad in ["", ".", "..", "common", "COMMON"] {
            assert!(!safe_segment(bad), "{bad:?}");
        }
        for good in ["app#acme-x1", "acme-x1-oauth", "latest", "2", "commons"] {
            assert!(safe_segment(good), "{good:?}");
        }
    }
}
