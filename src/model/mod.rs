//! The scenario model: every module wherever it nests, and every reference it makes.
//!
//! The model is built once per file by [`walk::build`] and owns its data (no borrow of the
//! source), so the live stage can run after the file's bytes are gone. Rules consume it; none
//! of them walks the JSON to find modules on its own.

pub mod leaves;
mod reference;
mod walk;

pub use reference::{
    OUT_OF_RANGE_DIGIT_STRING, OUT_OF_RANGE_NUMBER, RefKind, RefValue, Reference, classify_string,
    positive_id, truncate,
};
pub use walk::{BlueprintForm, Detected, build, detect};

use crate::json::{Span, Value};

/// Where a list of modules sits relative to its parent module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Container {
    /// The scenario's top-level `flow`.
    Flow,
    /// `routes[index].flow` of a router.
    Route { index: usize, disabled: bool },
    /// The `onerror` error-handler route of a module.
    OnError,
    /// `branches[index].flow` of an If-Else module.
    Branch { index: usize },
    /// `tools[index].flow` of an AI agent.
    Tool { index: usize, name: Option<String> },
    /// `metadata.designer.orphans[index]`: modules not connected to the flow.
    Orphan { index: usize },
    /// `subflows[index].flow` of a clipboard copy.
    Subflow { index: usize },
}

/// A module of the scenario.
#[derive(Debug, Clone)]
pub struct Module {
    /// Position in [`Scenario::modules`].
    pub index: usize,
    /// RFC 6901 pointer to the module object.
    pub pointer: String,
    /// The whole module object.
    pub span: Span,
    pub id: Option<i64>,
    /// Span of the `id` value, when present.
    pub id_span: Option<Span>,
    /// The raw `module` string (`app:Action`, `app#custom-name:action`).
    pub name: Option<String>,
    pub name_span: Option<Span>,
    pub version: Option<i64>,
    pub container: Container,
    /// Index in its list of modules (`0` is the first module of a route or error handler).
    pub position: usize,
    pub parent: Option<usize>,
    /// Number of modules above this one.
    pub depth: u32,
    /// Inside `metadata.designer.orphans` (directly or nested).
    pub orphan: bool,
    /// Inside a disabled router route (directly or nested).
    pub disabled: bool,
    /// Inside an `onerror` route (directly or nested).
    pub in_error_handler: bool,
    /// Inside an AI agent's `tools` (directly or nested): its errors go back to the agent.
    pub in_agent_tool: bool,
    /// Tape index of the module object, for rules that read the module's own fields.
    pub(crate) node: u32,
}

impl Module {
    /// The part before `:` (`slack`, `app#my-custom-app`).
    pub fn app(&self) -> Option<&str> {
        self.name.as_deref()?.split_once(':').map(|(a, _)| a)
    }

    /// The part after `:` (`CreateMessage`).
    pub fn action(&self) -> Option<&str> {
        self.name.as_deref()?.split_once(':').map(|(_, a)| a)
    }

    pub fn is_custom_app(&self) -> bool {
        self.app().is_some_and(|a| a.contains('#'))
    }

    /// Best span to point at for a finding about the module as a whole.
    pub fn anchor(&self) -> Span {
        self.name_span.or(self.id_span).unwrap_or(self.span)
    }

    pub fn display_name(&self) -> String {
        match (&self.id, &self.name) {
            (Some(id), Some(n)) => format!("module {id} ({n})"),
            (None, Some(n)) => format!("module {n}"),
            (Some(id), None) => format!("module {id}"),
            (None, None) => "module".into(),
        }
    }
}

/// A structural defect the walker met (a module that is not an object, `routes` that is not an
/// array, ...). Reported by the `malformed-structure` rule.
#[derive(Debug, Clone)]
pub struct StructureIssue {
    pub pointer: String,
    pub span: Span,
    pub message: String,
}

/// A message Make's editor wrote into the export (`metadata.designer.messages`).
#[derive(Debug, Clone)]
pub struct DesignerMessage {
    pub module: usize,
    /// The whole message object.
    pub span: Span,
    /// The `message` text.
    pub message_span: Span,
    pub severity: String,
    pub category: String,
    pub message: String,
}

/// One blueprint, modelled.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub form: BlueprintForm,
    pub name: Option<String>,
    /// Span of the blueprint object (inside the wrapper, for API responses).
    pub span: Span,
    /// RFC 6901 pointer to the blueprint object (`""`, or `/response/blueprint` in a wrapper).
    pub pointer: String,
    /// Tape index of the blueprint object, for rules that read the scenario's own fields.
    pub(crate) node: u32,
    /// `metadata.zone` and its span.
    pub zone: Option<(String, Span)>,
    pub modules: Vec<Module>,
    pub references: Vec<Reference>,
    pub structure_issues: Vec<StructureIssue>,
    pub designer_messages: Vec<DesignerMessage>,
}

impl Scenario {
    pub fn module(&self, index: usize) -> &Module {
        &self.modules[index]
    }

    /// The references of one module. The walker appends each module's references as it
    /// visits it, in module order, so they are one contiguous run: two binary searches, not a
    /// scan of every reference per module (which made checks quadratic in modules).
    pub fn references_of(&self, module: usize) -> impl Iterator<Item = &Reference> {
        let from = self.references.partition_point(|r| r.module < module);
        let to = from + self.references[from..].partition_point(|r| r.module <= module);
        self.references[from..to].iter()
    }

    pub fn connection_references(&self) -> impl Iterator<Item = &Reference> {
        self.references
            .iter()
            .filter(|r| r.kind == RefKind::Connection)
    }
}

/// The elements of the array `obj` holds at `key`: none when the key is absent or holds no
/// array (`routes`, `branches`, `subflows`, ...).
pub(crate) fn elements_at<'d>(obj: Value<'d>, key: &str) -> impl Iterator<Item = Value<'d>> {
    obj.get(key).into_iter().flat_map(|list| list.elements())
}

#[cfg(test)]
mod tests;
