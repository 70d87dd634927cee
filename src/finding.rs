//! A finding as rules produce it: byte spans only. Line, column and excerpt are added when the
//! pipeline turns it into a [`crate::report::Diagnostic`].

use crate::json::Span;
use crate::model::{Module, Reference};
use crate::rules::{RuleMeta, Severity};

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    /// What the primary span is, shown under the snippet.
    pub label: Option<String>,
    pub help: Option<String>,
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

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
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
