//! A finding as rules produce it, and what it is made of: the rule's metadata and severity,
//! its locations (byte spans, turned into lines and excerpts by [`location`]) and its stable
//! fingerprint. Everything here sits below both the rules and the renderers.

pub mod fingerprint;
pub mod location;

use std::borrow::Cow;

use crate::json::Span;
use crate::model::{Module, Reference};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Reported by the pipeline while reading and parsing a file.
    File,
    /// Runs on the model, without the network.
    Offline,
    /// Needs connection data from the API or a snapshot.
    Live,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::File => "file",
            RuleKind::Offline => "offline",
            RuleKind::Live => "live",
        }
    }
}

/// What every rule declares about itself.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, e.g. `BP011`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `connection-placeholder`.
    pub name: &'static str,
    /// One line for listings.
    pub summary: &'static str,
    pub severity: Severity,
    pub kind: RuleKind,
    /// Markdown docs (the rule's doc comment), printed by `bplint explain`.
    pub docs: &'static str,
}

impl RuleMeta {
    /// The doc comment with the one leading space rustdoc leaves on each line removed.
    pub fn docs_markdown(&self) -> String {
        let mut out = String::new();
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    /// What the primary span is, shown under the snippet. Label and help are mostly literals
    /// of a rule (borrowed: no copy per finding, and nothing from a file to clean in them);
    /// text built at run time is owned and cleaned like the message.
    pub label: Option<Cow<'static, str>>,
    pub help: Option<Cow<'static, str>>,
    pub span: Span,
    pub pointer: Option<String>,
    pub module_id: Option<i64>,
    pub module_name: Option<String>,
    /// Byte ranges whose text must never be shown (secrets); masked in every excerpt.
    pub secret: Option<Span>,
    /// Other places the finding is about, each with what it is there.
    pub related: Vec<(Span, String)>,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            label: None,
            help: None,
            span,
            pointer: None,
            module_id: None,
            module_name: None,
            secret: None,
            related: Vec::new(),
        }
    }

    /// Another place the finding is about (e.g. the first of two duplicate keys).
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Attaches the module the finding is about (id, name, and its pointer unless one is set).
    pub fn module(mut self, module: &Module) -> Self {
        self.module_id = module.id;
        self.module_name = module.name.clone();
        if self.pointer.is_none() {
            self.pointer = Some(module.pointer.clone());
        }
        self
    }

    /// Attaches a reference: its module and the pointer to its value.
    pub fn reference(self, module: &Module, reference: &Reference) -> Self {
        self.pointer(reference.pointer.clone()).module(module)
    }

    pub fn secret(mut self, span: Span) -> Self {
        self.secret = Some(span);
        self
    }
}
