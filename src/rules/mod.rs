//! Rules: one small file each, declared with [`declare_rule!`], registered in [`REGISTRY`].
//!
//! A rule overrides one hook of [`Rule`]: the scenario, each module, each reference, or each
//! resolved connection (live rules). The pipeline calls the hooks; rules never walk the JSON to
//! find modules and never filter their own findings (severity overrides and ignores are applied
//! centrally afterwards).

pub mod declarative;
pub mod file;
pub mod live;
pub mod offline;

pub use crate::finding::{Finding, RuleKind, RuleMeta, Severity};
use crate::json::{Doc, SerdeCache};
use crate::live::{Connection, LiveSettings, Lookup, ObjectLookup};
use crate::model::{Module, Reference, Scenario};

/// Implemented by [`declare_rule!`].
pub trait HasMeta {
    fn meta(&self) -> &'static RuleMeta;
}

/// What offline hooks see.
pub struct Context<'a> {
    pub doc: &'a Doc<'a>,
    pub scenario: &'a Scenario,
    pub settings: &'a OfflineSettings,
    /// Subtrees converted to `serde_json` for this file, shared by every rule that asks.
    pub serde: SerdeCache,
    /// The credential scan of the current module, shared by BP020 and BP021.
    pub credentials: offline::hardcoded_secret::CredentialScan,
}

impl<'a> Context<'a> {
    pub fn new(doc: &'a Doc<'a>, scenario: &'a Scenario, settings: &'a OfflineSettings) -> Self {
        Context {
            doc,
            scenario,
            settings,
            serde: SerdeCache::default(),
            credentials: Default::default(),
        }
    }
}

/// Run-wide settings offline rules read.
#[derive(Debug, Clone, Default)]
pub struct OfflineSettings {
    /// The zone the run targets (`--zone`), e.g. `eu1.make.com`.
    pub target_zone: Option<String>,
}

/// What live hooks see.
pub struct LiveContext<'a> {
    pub scenario: &'a Scenario,
    pub settings: &'a LiveSettings,
    /// The teams the file is checked for.
    pub teams: &'a [u64],
}

/// One reference as the reference hooks see it: the module that holds it, the reference, and
/// for live hooks what its id resolved to (`()` offline). Every finding about a reference is
/// built from here, so it points at the reference and carries its module and pointer.
pub struct RefSite<'a, L = ()> {
    pub module: &'a Module,
    pub reference: &'a Reference,
    pub lookup: &'a L,
}

/// A connection reference with its lookup (live connection rules).
pub type ConnRef<'a> = RefSite<'a, Lookup>;
/// A webhook, data store or keychain reference with its lookup.
pub type ObjectRef<'a> = RefSite<'a, ObjectLookup>;

impl<'a, L> RefSite<'a, L> {
    /// The same reference with what its id resolved to.
    pub fn resolved<'b, M>(&self, lookup: &'b M) -> RefSite<'b, M>
    where
        'a: 'b,
    {
        RefSite {
            module: self.module,
            reference: self.reference,
            lookup,
        }
    }

    /// How findings name the reference: ``connection parameter `__IMTCONN__` ``.
    pub fn parameter(&self) -> String {
        format!(
            "{} parameter `{}`",
            self.reference.kind.name(),
            self.reference.key
        )
    }

    /// A finding of `meta` at the reference's value.
    pub fn finding(&self, meta: &'static RuleMeta, message: impl Into<String>) -> Finding {
        Finding::new(meta, self.reference.span, message).reference(self.module, self.reference)
    }
}

impl ConnRef<'_> {
    /// The connection the id resolved to; `None` when it was not found (BP100's case).
    pub fn connection(&self) -> Option<&Connection> {
        match self.lookup {
            Lookup::Found { connection, .. } => Some(connection),
            Lookup::NotFound { .. } => None,
        }
    }
}

impl LiveContext<'_> {
    /// The teams the file is checked for, as `7 or 9`, when `team` is not one of them; `None`
    /// when it is, or when no team was given (nothing to compare with).
    pub fn other_team(&self, team: u64) -> Option<String> {
        if self.teams.is_empty() || self.teams.contains(&team) {
            return None;
        }
        let want: Vec<String> = self.teams.iter().map(u64::to_string).collect();
        Some(want.join(" or "))
    }
}

pub trait Rule: HasMeta + Sync + Send {
    fn check_scenario(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
    fn check_module(&self, _cx: &Context<'_>, _module: &Module, _out: &mut Vec<Finding>) {}
    fn check_reference(&self, _cx: &Context<'_>, _at: &RefSite<'_>, _out: &mut Vec<Finding>) {}
    /// Live: called for each connection reference whose id was looked up.
    fn check_connection(&self, _cx: &LiveContext<'_>, _at: &ConnRef<'_>, _out: &mut Vec<Finding>) {}
    /// Live: called for each webhook, data store or keychain reference whose id was looked up.
    fn check_object(&self, _cx: &LiveContext<'_>, _at: &ObjectRef<'_>, _out: &mut Vec<Finding>) {}
}

/// Declares a rule: a unit struct carrying its doc comment as docs, plus its metadata.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            code: $code:literal,
            name: $kebab:literal,
            severity: $sev:ident,
            kind: $kind:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;
        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                code: $code,
                name: $kebab,
                summary: $summary,
                severity: $crate::rules::Severity::$sev,
                kind: $crate::rules::RuleKind::$kind,
                docs: concat!($($doc, "\n"),*),
            };
        }
        impl $crate::rules::HasMeta for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &Self::META
            }
        }
    };
}

/// Rules run over the model (offline and live). File-level rules are raised by the pipeline.
pub static REGISTRY: &[&dyn Rule] = &[
    &offline::duplicate_module_id::DuplicateModuleId,
    &offline::invalid_module_name::InvalidModuleName,
    &offline::invalid_module_id::InvalidModuleId,
    &offline::malformed_structure::MalformedStructure,
    &offline::connection_missing::ConnectionMissing,
    &offline::connection_placeholder::ConnectionPlaceholder,
    &offline::connection_dynamic::ConnectionDynamic,
    &offline::connection_type_not_allowed::ConnectionTypeNotAllowed,
    &offline::connection_invalid_value::ConnectionInvalidValue,
    &offline::conflicting_connection_keys::ConflictingConnectionKeys,
    &offline::module_unconfigured::ModuleUnconfigured,
    &offline::filter_operand_literal::FilterOperandLiteral,
    &offline::malformed_expression::MalformedExpression,
    &offline::route_disabled::RouteDisabled,
    &offline::external_call_without_error_handler::ExternalCallWithoutErrorHandler,
    &offline::filter_without_conditions::FilterWithoutConditions,
    &offline::duplicate_key::DuplicateKey,
    &offline::hardcoded_secret::HardcodedSecret,
    &offline::credential_placeholder::CredentialPlaceholder,
    &offline::zone_mismatch::ZoneMismatch,
    &offline::designer_message::DesignerWarning,
    &live::not_found::ConnectionNotFound,
    &live::expired::ConnectionExpired,
    &live::expiring_soon::ConnectionExpiringSoon,
    &live::wrong_team::ConnectionWrongTeam,
    &live::missing_scopes::ConnectionMissingScopes,
    &live::type_mismatch::ConnectionTypeMismatch,
    &live::failed_verification::ConnectionFailedVerification,
    &live::stored::HOOK_NOT_FOUND,
    &live::stored::HOOK_WRONG_TEAM,
    &live::stored::DATA_STORE_NOT_FOUND,
    &live::stored::DATA_STORE_WRONG_TEAM,
    &live::stored::KEYCHAIN_NOT_FOUND,
    &live::stored::KEYCHAIN_WRONG_TEAM,
];

/// Rules the pipeline raises itself while reading files.
const FILE_RULES: &[&RuleMeta] = &[
    &file::invalid_json::InvalidJson::META,
    &file::not_a_blueprint::NotABlueprint::META,
    &file::file_too_large::FileTooLarge::META,
    &file::unreadable_file::UnreadableFile::META,
    &file::unused_ignore::UnusedIgnore::META,
];

/// Every built-in rule's metadata, in code order.
pub fn all_metas() -> Vec<&'static RuleMeta> {
    RuleSet::builtin()
        .metas()
        .into_iter()
        .map(|(m, _)| m)
        .collect()
}

/// Runs the built-in offline rules over one scenario.
pub fn run_offline(cx: &Context<'_>) -> Vec<Finding> {
    RuleSet::builtin().run_offline(cx)
}

pub fn find_meta(code_or_name: &str) -> Option<&'static RuleMeta> {
    RuleSet::builtin().find(code_or_name).map(|(m, _)| m)
}

/// The rules of one run: the built-ins plus declarative rules from rule folders, compiled
/// once per run. Rules are `'static`: declarative ones are leaked once at start-up, which costs
/// nothing a process of this lifetime would notice and keeps findings free of lifetimes.
#[derive(Clone)]
pub struct RuleSet {
    rules: Vec<(&'static dyn Rule, String)>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.rules.iter().map(|(r, _)| r.meta().code))
            .finish()
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl RuleSet {
    pub fn builtin() -> Self {
        RuleSet {
            rules: REGISTRY
                .iter()
                .map(|r| (*r, "built-in".to_string()))
                .collect(),
        }
    }

    /// Adds a rule; its code and name must not be taken.
    pub fn add(
        &mut self,
        rule: &'static dyn Rule,
        origin: impl Into<String>,
    ) -> Result<(), String> {
        let m = rule.meta();
        let origin = origin.into();
        if let Some((_, o)) = self
            .metas()
            .into_iter()
            .find(|(x, _)| x.code == m.code || x.name == m.name)
        {
            return Err(format!(
                "rule {} ({}) from {origin} clashes with a rule from {o}",
                m.code, m.name
            ));
        }
        self.rules.push((rule, origin));
        Ok(())
    }

    /// Every rule's metadata with its origin, file-level rules included, in code order.
    pub fn metas(&self) -> Vec<(&'static RuleMeta, String)> {
        let mut out: Vec<(&'static RuleMeta, String)> = FILE_RULES
            .iter()
            .map(|m| (*m, "built-in".to_string()))
            .collect();
        out.extend(self.rules.iter().map(|(r, o)| (r.meta(), o.clone())));
        out.sort_by_key(|(m, _)| m.code);
        out
    }

    pub fn find(&self, code_or_name: &str) -> Option<(&'static RuleMeta, String)> {
        self.metas()
            .into_iter()
            .find(|(m, _)| m.code.eq_ignore_ascii_case(code_or_name) || m.name == code_or_name)
    }

    fn of_kind(&self, kind: RuleKind) -> impl Iterator<Item = &'static dyn Rule> + '_ {
        self.rules
            .iter()
            .map(|(r, _)| *r)
            .filter(move |r| r.meta().kind == kind)
    }

    /// Runs every offline rule over one scenario.
    pub fn run_offline(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let offline: Vec<&dyn Rule> = self.of_kind(RuleKind::Offline).collect();
        for rule in &offline {
            rule.check_scenario(cx, &mut out);
        }
        for module in &cx.scenario.modules {
            for rule in &offline {
                rule.check_module(cx, module, &mut out);
            }
        }
        for at in sites(cx.scenario) {
            for rule in &offline {
                rule.check_reference(cx, &at, &mut out);
            }
        }
        out
    }

    /// Runs every live rule over the references of one scenario. Each finding comes with the
    /// index of the reference it is about, so it is located without a lookup.
    pub fn run_live(
        &self,
        cx: &LiveContext<'_>,
        lookup: &dyn Fn(&Reference) -> Option<Lookup>,
        object_lookup: &dyn Fn(&Reference) -> Option<ObjectLookup>,
    ) -> Vec<(usize, Finding)> {
        let mut about = Vec::new();
        let mut out = Vec::new();
        let live: Vec<&dyn Rule> = self.of_kind(RuleKind::Live).collect();
        for (index, at) in sites(cx.scenario).enumerate() {
            if at.reference.kind == crate::model::RefKind::Connection {
                let Some(found) = lookup(at.reference) else {
                    continue;
                };
                let at = at.resolved(&found);
                for rule in &live {
                    rule.check_connection(cx, &at, &mut out);
                }
            } else if let Some(found) = object_lookup(at.reference) {
                let at = at.resolved(&found);
                for rule in &live {
                    rule.check_object(cx, &at, &mut out);
                }
            }
            // The findings just added are about this reference (a `continue` above adds none).
            about.resize(out.len(), index);
        }
        about.into_iter().zip(out).collect()
    }
}

/// Every reference of `scenario` with its module, in reference order.
pub fn sites(scenario: &Scenario) -> impl Iterator<Item = RefSite<'_>> {
    scenario.references.iter().map(|reference| RefSite {
        module: &scenario.modules[reference.module],
        reference,
        lookup: &(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let metas = all_metas();
        let mut codes: Vec<_> = metas.iter().map(|m| m.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), metas.len(), "duplicate rule code");
        let mut names: Vec<_> = metas.iter().map(|m| m.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), metas.len(), "duplicate rule name");
        for m in metas {
            assert!(m.code.starts_with("BP") && m.code.len() == 5, "{}", m.code);
            assert!(
                m.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                m.name
            );
            let docs = m.docs_markdown();
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(docs.contains(section), "{} lacks `{section}`", m.code);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs one rule's offline hooks over a blueprint text.

    use super::*;
    use crate::model::{Detected, build, detect};

    /// A blueprint whose `flow` holds `modules` (comma-separated module objects).
    pub fn blueprint(modules: &str) -> String {
        format!(r#"{{"name":"test","flow":[{modules}],"metadata":{{"version":1}}}}"#)
    }

    pub fn run(rule: &dyn Rule, src: &str) -> Vec<Finding> {
        run_with(rule, src, &OfflineSettings::default())
    }

    pub fn run_with(rule: &dyn Rule, src: &str, settings: &OfflineSettings) -> Vec<Finding> {
        let doc = crate::json::parse(src).expect("test blueprint is valid JSON");
        let Detected::Blueprint { form, root, base } = detect(doc.root()) else {
            panic!("test input is not a blueprint")
        };
        let scenario = build(&doc, root, form, base);
        let cx = Context::new(&doc, &scenario, settings);
        let mut out = Vec::new();
        rule.check_scenario(&cx, &mut out);
        for m in &scenario.modules {
            rule.check_module(&cx, m, &mut out);
        }
        for at in sites(&scenario) {
            rule.check_reference(&cx, &at, &mut out);
        }
        for f in &out {
            assert_eq!(
                f.rule.code,
                rule.meta().code,
                "a rule reports only under its own code"
            );
        }
        out
    }

    /// The source text each finding points at.
    pub fn snippets<'a>(src: &'a str, findings: &[Finding]) -> Vec<&'a str> {
        findings.iter().map(|f| &src[f.span.range()]).collect()
    }

    /// The text each of `rule`'s findings on `src` points at.
    pub fn fired_at<'a>(rule: &dyn Rule, src: &'a str) -> Vec<&'a str> {
        snippets(src, &run(rule, src))
    }

    /// Each finding of `rule` on `src` as one line, `text it points at: message`, the way a
    /// reader checks them.
    pub fn lines(rule: &dyn Rule, src: &str) -> Vec<String> {
        run(rule, src)
            .iter()
            .map(|f| format!("{}: {}", &src[f.span.range()], f.message))
            .collect()
    }

    /// The messages of `findings`, in order.
    pub fn messages(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.message.as_str()).collect()
    }
}
