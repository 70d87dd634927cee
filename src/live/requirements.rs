//! What a module needs of its connection: the connection types it accepts and the OAuth scopes
//! its action needs, and where that came from.
//!
//! Make publishes both for every app version (`GET /credential-requests/apps/{app}/{version}/
//! modules-with-credentials`) and, for custom apps, through the SDK Apps API. A snapshot records
//! those answers. The blueprint's own parameter echo (`account:slack2,slack3`) describes the
//! module version in the file, so it stays authoritative for types. The built-in catalog
//! (`rules/catalog/*.toml`) is the fallback when Make could not be asked. [`demand_for`] is the
//! one place that weighs them; BP104, BP105, the live request and `bplint catalog` all use it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::Serialize;
use serde_json::Value;

use super::catalog::{Catalog, ScopeNeed};
use crate::model::{Module, Reference};

/// An app at one version, as a blueprint module names it: `slack:CreateMessage` version 2 is
/// `slack` at `2`; `app#errorhandler-dpgcf8:errorhandler` is the custom app
/// `app#errorhandler-dpgcf8`. A module without a `version` asks for `latest`, which Make accepts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AppVersion {
    pub app: String,
    pub version: String,
}

impl AppVersion {
    /// The app version and the module's own name (`CreateMessage`) of a module named `name`;
    /// `None` for a name without an `app:` part.
    pub fn of_module(name: &str, version: Option<i64>) -> Option<(AppVersion, String)> {
        let (app, module) = name.split_once(':')?;
        if app.is_empty() || module.is_empty() {
            return None;
        }
        let version = match version {
            Some(v) => v.to_string(),
            None => "latest".to_string(),
        };
        Some((
            AppVersion {
                app: app.to_string(),
                version,
            },
            module.to_string(),
        ))
    }

    /// The custom app's SDK name (`errorhandler-dpgcf8` of `app#errorhandler-dpgcf8`); `None`
    /// for a built-in app.
    pub fn custom_name(&self) -> Option<&str> {
        self.app.strip_prefix("app#").filter(|n| !n.is_empty())
    }

    /// `slack version 2`
    pub fn describe(&self) -> String {
        format!("{} version {}", self.app, self.version)
    }
}

/// Where a requirement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementSource {
    /// Make's published requirements, asked during this run.
    MakeApi,
    /// Make's published requirements, as a snapshot recorded them.
    Snapshot,
    /// The module's own `metadata.parameters` echo in the blueprint.
    BlueprintEcho,
    /// The module catalog (`rules/catalog/*.toml`, `--catalog DIR`).
    Catalog,
}

impl RequirementSource {
    pub fn word(self) -> &'static str {
        match self {
            RequirementSource::MakeApi => "Make API",
            RequirementSource::Snapshot => "snapshot",
            RequirementSource::BlueprintEcho => "blueprint echo",
            RequirementSource::Catalog => "catalog",
        }
    }
}

/// One source of a requirement and what exactly it was (the catalog file, the app version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub source: RequirementSource,
    pub detail: String,
}

impl Origin {
    /// How findings cite it. Make's answers read the same whether asked now or recorded in a
    /// snapshot, so a check from a snapshot words its findings exactly as an online check.
    pub fn cite(&self) -> String {
        match self.source {
            RequirementSource::MakeApi | RequirementSource::Snapshot => {
                format!("Make's requirements of {}", self.detail)
            }
            RequirementSource::BlueprintEcho => "the module's parameter declaration".to_string(),
            RequirementSource::Catalog => format!("the catalog ({})", self.detail),
        }
    }
}

/// What one module needs of the connection a reference names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleRequirement {
    /// The connection types (`accountName`) it accepts; `None` when no source says.
    pub accepted_types: Option<Vec<String>>,
    pub types_from: Option<Origin>,
    /// Where a catalog entry says its types were seen (`source = "..."`).
    pub types_evidence: Option<String>,
    /// Each need is met by any one of its alternatives. Empty with `scopes_from` set: the
    /// source says none are needed; empty without: nobody knows (no scope check).
    pub scopes: Vec<ScopeNeed>,
    pub scopes_from: Option<Origin>,
    /// Provider documentation of the scopes (catalog entries name it).
    pub docs: Option<String>,
}

impl ModuleRequirement {
    /// Whether connection type `actual` is one the module refuses (known types only).
    pub fn refuses(&self, actual: &str) -> bool {
        self.accepted_types
            .as_ref()
            .is_some_and(|types| !types.iter().any(|t| t == actual))
    }
}

/// What Make says about one module of an app version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedModule {
    /// Accepted connection types (`account:...`); empty when the answer names none.
    pub types: BTreeSet<String>,
    /// Keychain types (`keychain:...`), for display: a connection reference never names one.
    pub keychains: BTreeSet<String>,
    /// Required scopes; `None` when the answer says nothing of them.
    pub scopes: Option<BTreeSet<String>>,
}

/// Make's published requirements of the app versions a run uses.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    apps: BTreeMap<AppVersion, BTreeMap<String, PublishedModule>>,
    /// Whether these were asked now or read from a snapshot.
    pub source: Option<RequirementSource>,
}

impl Requirements {
    pub fn new(source: RequirementSource) -> Requirements {
        Requirements {
            apps: BTreeMap::new(),
            source: Some(source),
        }
    }

    /// Records what Make said about `app` (replacing what was there).
    pub fn insert(&mut self, app: AppVersion, modules: BTreeMap<String, PublishedModule>) {
        self.apps.insert(app, modules);
    }

    pub fn knows_app(&self, app: &AppVersion) -> bool {
        self.apps.contains_key(app)
    }

    pub fn module(&self, app: &AppVersion, module: &str) -> Option<&PublishedModule> {
        self.apps.get(app)?.get(module)
    }

    pub fn apps(&self) -> impl Iterator<Item = (&AppVersion, &BTreeMap<String, PublishedModule>)> {
        self.apps.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// The snapshot form: `[{"app", "version", "modules": {"Name": {"types", "keychains",
    /// "scopes"}}}]`, sorted, so one export equals the next.
    pub fn to_json(&self) -> Value {
        let apps: Vec<Value> = self
            .apps
            .iter()
            .map(|(app, modules)| {
                let modules: serde_json::Map<String, Value> = modules
                    .iter()
                    .map(|(name, m)| {
                        let mut entry = serde_json::Map::new();
                        entry.insert("types".into(), serde_json::json!(m.types));
                        if !m.keychains.is_empty() {
                            entry.insert("keychains".into(), serde_json::json!(m.keychains));
                        }
                        if let Some(scopes) = &m.scopes {
                            entry.insert("scopes".into(), serde_json::json!(scopes));
                        }
                        (name.clone(), Value::Object(entry))
                    })
                    .collect();
                serde_json::json!({"app": app.app, "version": app.version, "modules": modules})
            })
            .collect();
        Value::Array(apps)
    }

    /// Reads [`Requirements::to_json`]'s form; `at` names the place in messages.
    pub fn from_json(v: &Value, at: &str) -> Result<Requirements, String> {
        let mut out = Requirements::new(RequirementSource::Snapshot);
        let list = v.as_array().ok_or_else(|| format!("{at} is not a list"))?;
        for (i, entry) in list.iter().enumerate() {
            let here = format!("{at}[{i}]");
            let text = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| format!("{here}: `{k}` is missing or not text"))
            };
            let app = AppVersion {
                app: text("app")?,
                version: text("version")?,
            };
            let modules = entry
                .get("modules")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{here}: `modules` is missing or not an object"))?;
            let mut parsed = BTreeMap::new();
            for (name, m) in modules {
                let strings = |k: &str| -> Result<Option<BTreeSet<String>>, String> {
                    match m.get(k) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::Array(items)) => items
                            .iter()
                            .map(|s| {
                                s.as_str().map(str::to_string).ok_or_else(|| {
                                    format!("{here}.modules.{name}.{k}: not a list of text")
                                })
                            })
                            .collect::<Result<BTreeSet<_>, _>>()
                            .map(Some),
                        Some(_) => Err(format!("{here}.modules.{name}.{k}: not a list")),
                    }
                };
                parsed.insert(
                    name.clone(),
                    PublishedModule {
                        types: strings("types")?.unwrap_or_default(),
                        keychains: strings("keychains")?.unwrap_or_default(),
                        scopes: strings("scopes")?,
                    },
                );
            }
            out.insert(app, parsed);
        }
        Ok(out)
    }
}

/// The app versions and modules the checked files use, for the requirements question.
pub type Wanted = BTreeMap<AppVersion, BTreeSet<String>>;

/// Adds module `m`'s app version and module name to `wanted` (nothing for a module without a
/// name of the `app:Module` form).
pub fn want(wanted: &mut Wanted, m: &Module) {
    if let Some((app, module)) = m
        .name
        .as_deref()
        .and_then(|n| AppVersion::of_module(n, m.version))
    {
        wanted.entry(app).or_default().insert(module);
    }
}

/// What a source answered about requirements.
#[derive(Debug, Clone, Default)]
pub struct RequirementsAnswer {
    pub requirements: Requirements,
    /// Why some apps fall back to the catalog (token lacks `apps:read`, unknown app...).
    pub notes: Vec<String>,
    /// Apps no requirements could be had for (they fall back to the catalog).
    pub unanswered: BTreeSet<AppVersion>,
    /// Make could not be asked (network, 5xx after retries, a broken answer): the run exits 2.
    pub errors: Vec<String>,
    /// HTTP requests made (0 for a snapshot).
    pub requests: u64,
}

/// What module `m` needs of the connection reference `r` names: types from the blueprint's echo,
/// else Make's requirements, else the catalog; scopes from Make's requirements, else the
/// catalog.
pub fn demand_for(
    m: &Module,
    r: &Reference,
    requirements: &Requirements,
    catalog: &Catalog,
) -> ModuleRequirement {
    let Some(name) = m.name.as_deref() else {
        return ModuleRequirement::default();
    };
    let echo = (!r.allowed_types.is_empty()).then(|| Origin {
        source: RequirementSource::BlueprintEcho,
        detail: r.pointer.clone(),
    });
    let echo = echo.map(|origin| (r.allowed_types.clone(), origin));
    requirement_of(name, m.version, echo, requirements, catalog)
}

/// What module `name` (`app:Action`) at `version` needs, with the types a blueprint's echo
/// declares when there is one (`bplint catalog` has none).
pub fn requirement_of(
    name: &str,
    version: Option<i64>,
    echo: Option<(Vec<String>, Origin)>,
    requirements: &Requirements,
    catalog: &Catalog,
) -> ModuleRequirement {
    let info = catalog.lookup(name);
    let published = AppVersion::of_module(name, version)
        .and_then(|(app, module)| Some((requirements.module(&app, &module)?, app)));
    let make_origin = |app: &AppVersion| Origin {
        source: requirements.source.unwrap_or(RequirementSource::MakeApi),
        detail: app.describe(),
    };
    let mut req = ModuleRequirement::default();
    if let Some((types, origin)) = echo {
        req.accepted_types = Some(types);
        req.types_from = Some(origin);
    } else if let Some((p, app)) = published.as_ref().filter(|(p, _)| !p.types.is_empty()) {
        req.accepted_types = Some(p.types.iter().cloned().collect());
        req.types_from = Some(make_origin(app));
    } else if let Some(types) = info.types {
        req.accepted_types = Some(types);
        req.types_from = Some(Origin {
            source: RequirementSource::Catalog,
            detail: info.types_source.unwrap_or_default(),
        });
        req.types_evidence = info.types_evidence;
    }
    match published
        .as_ref()
        .and_then(|(p, app)| Some((p.scopes.as_ref()?, app)))
    {
        Some((scopes, app)) => {
            req.scopes = scopes
                .iter()
                .map(|s| ScopeNeed {
                    any_of: vec![s.clone()],
                })
                .collect();
            req.scopes_from = Some(make_origin(app));
        }
        None if !info.scopes.is_empty() => {
            req.scopes = info.scopes;
            req.scopes_from = Some(Origin {
                source: RequirementSource::Catalog,
                detail: info.scopes_source.unwrap_or_default(),
            });
            req.docs = info.docs;
        }
        None => {}
    }
    req
}

/// The modules of the answer of `GET /credential-requests/apps/{app}/{version}/
/// modules-with-credentials`: `{"appModules": [{"id", "name", "type": "account:slack2,slack3",
/// "scope": [...]}]}`. Variants of one module (`MakeRequest:authenticationType:apiKey`) share
/// its `name`; their types and scopes are merged.
pub fn parse_modules_with_credentials(
    answer: &Value,
) -> Result<BTreeMap<String, PublishedModule>, String> {
    let list = answer
        .get("appModules")
        .and_then(Value::as_array)
        .ok_or("the answer has no `appModules` list")?;
    let mut modules: BTreeMap<String, PublishedModule> = BTreeMap::new();
    for row in list {
        let name = row
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                let id = row.get("id").and_then(Value::as_str)?;
                id.split(':').next().filter(|s| !s.is_empty())
            });
        let Some(name) = name else { continue };
        let entry = modules.entry(name.to_string()).or_default();
        if let Some(kind) = row.get("type").and_then(Value::as_str) {
            let (what, types) = kind.split_once(':').unwrap_or((kind, ""));
            let types = types
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            match what.trim() {
                "account" => entry.types.extend(types),
                "keychain" => entry.keychains.extend(types),
                _ => {}
            }
        }
        if let Some(scopes) = row.get("scope").and_then(Value::as_array) {
            entry
                .scopes
                .get_or_insert_with(BTreeSet::new)
                .extend(scopes.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    Ok(modules)
}

/// Reads an answer that may be JSON with comments (`application/jsonc`: the SDK's sections are
/// written by hand).
pub fn parse_jsonc(body: &[u8]) -> Result<Value, String> {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let mut text = String::new();
    json_comments::StripComments::new(body)
        .read_to_string(&mut text)
        .map_err(|e| format!("the answer is not text: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("the answer is not JSON: {e}"))
}

/// The connection names of `GET /sdk/apps/{app}/{version}/modules/{module}`:
/// `{"appModule": {"connection": "<name>" | null, "altConnection": "<name>" | null}}`.
pub fn parse_sdk_module(answer: &Value) -> Result<Vec<String>, String> {
    let module = answer
        .get("appModule")
        .filter(|m| m.is_object())
        .ok_or("the answer has no `appModule` object")?;
    Ok(["connection", "altConnection"]
        .iter()
        .filter_map(|k| module.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// A scope section (`.../scope`): a JSON array of scope strings. Some sections wrap it
/// (`{"scope": [...]}`) or give one space- or comma-separated string: all are read.
pub fn parse_scope_section(answer: &Value) -> Result<BTreeSet<String>, String> {
    let split = |s: &str| -> Vec<String> {
        s.split([' ', ','])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    match answer {
        Value::Array(items) => Ok(items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split)
            .collect()),
        Value::String(s) => Ok(split(s).into_iter().collect()),
        Value::Object(o) => match o.get("scope").or_else(|| o.get("scopes")) {
            Some(inner) => parse_scope_section(inner),
            None if o.is_empty() => Ok(BTreeSet::new()),
            None => Err("the scope section is not a list of scopes".into()),
        },
        Value::Null => Ok(BTreeSet::new()),
        _ => Err("the scope section is not a list of scopes".into()),
    }
}

/// The connection type of `GET /sdk/apps/connections/{name}`: `{"appConnection": {"name",
/// "label", "type"}}`.
pub fn parse_sdk_connection(answer: &Value) -> Result<String, String> {
    answer
        .get("appConnection")
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "the answer has no `appConnection.type`".to_string())
}

/// The connections of `GET /sdk/apps/{app}/connections` (`appConnections`; an older page of
/// Make's documentation says `connections`): name -> type.
pub fn parse_app_connections(answer: &Value) -> Result<BTreeMap<String, String>, String> {
    let list = answer
        .get("appConnections")
        .or_else(|| answer.get("connections"))
        .and_then(Value::as_array)
        .ok_or("the answer has no `appConnections` list")?;
    Ok(list
        .iter()
        .filter_map(|c| {
            Some((
                c.get("name")?.as_str()?.to_string(),
                c.get("type")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

/// Whether an SDK connection type holds OAuth scopes (oauth, oauth-refresh, oauth-resowncre,
/// oauth-clicre, oauth-1); apikey, basic and other hold none.
pub fn is_oauth_type(kind: &str) -> bool {
    kind.trim().to_ascii_lowercase().starts_with("oauth")
}

#[cfg(test)]
mod tests;
