//! Compiling rule files: each `[[rule]]` table checked key by key (with `extends` filling in
//! what a table leaves out) into a [`DeclarativeRule`], every mistake pointing into its file.

use std::ops::Range;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use miette::{NamedSource, SourceSpan};
use toml::Spanned;

use super::RuleFileError;
use super::file::{RawFile, RawRule};
use super::functions::Function;
use super::path::Given;
use super::rule::{DeclarativeRule, ModuleFilter, Scope, Then};
use super::template::Template;
use crate::model::RefKind;
use crate::rules::{RuleKind, RuleMeta, RuleSet, Severity};

/// One `[[rule]]` table as written.
struct Entry {
    file: usize,
    raw: RawRule,
    /// The table's span, for complaints about keys it lacks.
    span: Range<usize>,
    /// The entry it `extends`, whose keys fill in the ones this one leaves out.
    base: Option<usize>,
}

pub(super) struct Compiled {
    entry: usize,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) origin: String,
    pub(super) meta: MetaText,
    /// Its `meta` is [`UNREGISTERED`] until the rule joins a set.
    pub(super) rule: DeclarativeRule,
}

/// A compiled rule's metadata, owned until the rule joins a set: `RuleMeta` holds `&'static`
/// texts, and leaking them at compile time would leak for every file only checked and never
/// run (the fuzz target compiles millions).
pub(super) struct MetaText {
    summary: String,
    pub(super) severity: Severity,
    docs: String,
}

impl MetaText {
    /// The summary and docs come from a repository's file and reach `rules`, `explain` and
    /// SARIF's rule descriptors: they are cleaned here, once, for all of them (the docs keep
    /// their line breaks).
    pub(super) fn leak(self, code: String, name: String) -> &'static RuleMeta {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let summary = crate::redact::clean(&self.summary);
        let docs = crate::redact::clean_markdown(&self.docs);
        let docs: String = docs.lines().map(|l| format!(" {l}\n")).collect();
        Box::leak(Box::new(RuleMeta {
            code: leak(code),
            name: leak(name),
            summary: leak(summary),
            severity: self.severity,
            kind: RuleKind::Offline,
            // `docs_markdown` strips the one space rustdoc leaves on each doc-comment line;
            // give every line one so that indented markdown survives it.
            docs: leak(docs),
        }))
    }
}

/// Stands in for the metadata of a compiled rule that has not joined a set.
static UNREGISTERED: RuleMeta = RuleMeta {
    code: "",
    name: "",
    summary: "",
    severity: Severity::Warning,
    kind: RuleKind::Offline,
    docs: "",
};

struct Loader {
    files: Vec<(String, String)>,
    entries: Vec<Entry>,
    compiled: Vec<Compiled>,
    /// Rules already in the set (the built-in Rust ones), with their origins.
    builtin: Vec<(&'static RuleMeta, String)>,
}

/// A key's value and the file it was written in (its own or, inherited, its base's).
struct At<'a, T> {
    file: usize,
    v: &'a Spanned<T>,
}

type Result1<T> = Result<T, Box<RuleFileError>>;

impl Loader {
    fn error(
        &self,
        file: usize,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Box<RuleFileError> {
        let (name, text) = &self.files[file];
        Box::new(RuleFileError {
            src: NamedSource::new(crate::redact::clean(name), crate::redact::safe_source(text))
                .with_language("TOML"),
            span: SourceSpan::from(span),
            message: crate::redact::clean(&message.into()),
            label: crate::redact::clean(&label.into()),
            help: None,
        })
    }

    fn load_file(&mut self, file: usize) -> Result1<()> {
        let text = &self.files[file].1;
        let parsed: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let why = crate::config::toml_message(&e, text);
            self.error(file, span, "invalid rule file", why)
        })?;
        for table in parsed.rule {
            let span = table.span();
            let raw = table.into_inner();
            let entry = self.entries.len();
            self.entries.push(Entry {
                file,
                raw,
                span,
                base: None,
            });
            self.compile(entry)?;
        }
        Ok(())
    }

    /// A key of `entry`, or else of the rules it extends.
    fn pick<T>(
        &self,
        entry: usize,
        key: impl Fn(&RawRule) -> Option<&Spanned<T>>,
    ) -> Option<At<'_, T>> {
        let mut cur = Some(entry);
        while let Some(i) = cur {
            let e = &self.entries[i];
            if let Some(v) = key(&e.raw) {
                return Some(At { file: e.file, v });
            }
            cur = e.base;
        }
        None
    }

    fn compile(&mut self, entry: usize) -> Result1<()> {
        let file = self.entries[entry].file;
        // `extends` first: every other key may come from the base.
        let replaces = self.resolve_extends(entry)?;
        let (code_text, name_text) = self.identity(entry, replaces)?;
        let enabled = self
            .pick(entry, |r| r.enabled.as_ref())
            .is_none_or(|e| *e.v.get_ref());
        let severity = match self.pick(entry, |r| r.severity.as_ref()) {
            None => Severity::Warning,
            Some(s) => match s.v.get_ref().as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                other => {
                    return Err(self.error(
                        s.file,
                        s.v.span(),
                        format!("unknown severity `{other}`"),
                        "expected error, warning or info",
                    ));
                }
            },
        };
        let message_at = self.required(
            entry,
            |r| r.message.as_ref(),
            "message",
            "e.g. `message = \"{module} has no error handler\"`",
        )?;
        let message = Template::parse(message_at.v.get_ref()).map_err(|(range, why)| {
            let span = self.inner_span(message_at.file, message_at.v, range);
            self.error(message_at.file, span, "invalid message template", why)
        })?;
        let label = match self.pick(entry, |r| r.label.as_ref()) {
            None => None,
            Some(l) => Some(Template::parse(l.v.get_ref()).map_err(|(range, why)| {
                let span = self.inner_span(l.file, l.v, range);
                self.error(l.file, span, "invalid label template", why)
            })?),
        };
        let summary = self
            .pick(entry, |r| r.summary.as_ref())
            .map_or_else(|| message_at.v.get_ref().clone(), |s| s.v.get_ref().clone());
        let docs = self
            .pick(entry, |r| r.docs.as_ref())
            .map_or_else(|| summary.clone(), |d| d.v.get_ref().clone());
        let help = self
            .pick(entry, |r| r.help.as_ref())
            .map(|h| h.v.get_ref().clone());

        let given_at = self.required(
            entry,
            |r| r.given.as_ref(),
            "given",
            "e.g. `given = \"$.mapper.url\"`",
        )?;
        let given = Given::compile(given_at.v.get_ref()).map_err(|(pos, why)| {
            let span = self.inner_span(given_at.file, given_at.v, pos..pos + 1);
            self.error(given_at.file, span, "invalid JSONPath in `given`", why)
        })?;

        let modules_at = self.pick(entry, |r| r.modules.as_ref());
        let exclude_at = self.pick(entry, |r| r.exclude_modules.as_ref());
        let scope = match self.pick(entry, |r| r.scope.as_ref()) {
            None if modules_at.is_some() || exclude_at.is_some() => Scope::Module,
            None => Scope::Scenario,
            Some(s) => match s.v.get_ref().as_str() {
                "scenario" => Scope::Scenario,
                "module" => Scope::Module,
                other => {
                    return Err(self.error(
                        s.file,
                        s.v.span(),
                        format!("unknown scope `{other}`"),
                        "expected scenario or module",
                    ));
                }
            },
        };
        let modules = self.module_filter(entry, modules_at, exclude_at)?;

        let thens = self.thens(entry)?;

        let compiled = Compiled {
            entry,
            code: code_text,
            name: name_text,
            origin: self.files[file].0.clone(),
            meta: MetaText {
                summary,
                severity,
                docs,
            },
            rule: DeclarativeRule {
                meta: &UNREGISTERED,
                enabled,
                scope,
                modules,
                given,
                thens,
                message,
                label,
                help,
            },
        };
        match replaces {
            Some(pos) => self.compiled[pos] = compiled,
            None => self.compiled.push(compiled),
        }
        Ok(())
    }

    /// Links `entry` to the rule it extends; returns the position of the compiled rule it
    /// replaces (when it keeps that rule's code).
    fn resolve_extends(&mut self, entry: usize) -> Result1<Option<usize>> {
        let file = self.entries[entry].file;
        let Some(ext) = self.entries[entry].raw.extends.clone() else {
            return Ok(None);
        };
        let target = ext.get_ref();
        let Some(pos) = self
            .compiled
            .iter()
            .position(|c| c.code == *target || c.name == *target)
        else {
            let rust = self
                .builtin
                .iter()
                .any(|(m, o)| (m.code == target || m.name == target) && o == "built-in");
            let why = if rust {
                "is a built-in Rust rule: only declarative rules can be extended"
            } else {
                "is no declarative rule loaded before this file"
            };
            return Err(self.error(
                file,
                ext.span(),
                format!("cannot extend `{target}`"),
                format!("`{target}` {why}"),
            ));
        };
        self.entries[entry].base = Some(self.compiled[pos].entry);
        let raw = &self.entries[entry].raw;
        match &raw.code {
            Some(c) if *c.get_ref() != self.compiled[pos].code => {
                if raw.name.is_none() {
                    return Err(self.error(
                        file,
                        c.span(),
                        format!(
                            "a rule extending `{target}` under a new code needs its own `name`"
                        ),
                        "new code here",
                    ));
                }
                Ok(None)
            }
            _ => Ok(Some(pos)),
        }
    }

    /// The rule's code and name, checked for form and for clashes with every other rule of
    /// the run (but the one it replaces).
    fn identity(&self, entry: usize, replaces: Option<usize>) -> Result1<(String, String)> {
        let code = self.required(
            entry,
            |r| r.code.as_ref(),
            "code",
            "e.g. `code = \"TEAM001\"`",
        )?;
        let code_text = code.v.get_ref().clone();
        if !is_code(&code_text) {
            return Err(self.error(
                code.file,
                code.v.span(),
                format!("invalid rule code `{code_text}`"),
                "expected capital letters then digits, e.g. `TEAM001`",
            ));
        }
        let name = self.required(
            entry,
            |r| r.name.as_ref(),
            "name",
            "e.g. `name = \"http-timeout-missing\"`",
        )?;
        let name_text = name.v.get_ref().clone();
        if !is_kebab(&name_text) {
            return Err(self.error(
                name.file,
                name.v.span(),
                format!("invalid rule name `{name_text}`"),
                "expected kebab-case, e.g. `http-timeout-missing`",
            ));
        }
        // Taken by another declarative rule (not the one being replaced), or by a built-in.
        let taken = self
            .compiled
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != replaces)
            .map(|(_, c)| {
                (
                    c.code.as_str(),
                    c.name.as_str(),
                    format!("from {}", c.origin),
                )
            })
            .chain(
                self.builtin
                    .iter()
                    .map(|(m, o)| (m.code, m.name, format!("({o})"))),
            )
            .find(|(c, n, _)| *c == code_text || *n == name_text);
        if let Some((c, n, origin)) = taken {
            let (at, what) = if c == code_text {
                (&code, "code")
            } else {
                (&name, "name")
            };
            return Err(self.error(
                at.file,
                at.v.span(),
                format!("duplicate rule {what}"),
                format!("already used by {c} ({n}) {origin}"),
            ));
        }
        Ok((code_text, name_text))
    }

    fn thens(&self, entry: usize) -> Result1<Vec<Then>> {
        let then_at = self.required(
            entry,
            |r| r.then.as_ref(),
            "then",
            "e.g. `then = { field = \"onerror\", function = \"defined\" }`",
        )?;
        if then_at.v.get_ref().0.is_empty() {
            return Err(self.error(
                then_at.file,
                then_at.v.span(),
                "`then` is empty",
                "give at least one check",
            ));
        }
        let mut thens = Vec::new();
        for raw in &then_at.v.get_ref().0 {
            let field = match &raw.field {
                None => Vec::new(),
                Some(f) => {
                    let parts: Vec<String> = f.get_ref().split('.').map(String::from).collect();
                    if parts.iter().any(|p| p.is_empty()) {
                        return Err(self.error(
                            then_at.file,
                            f.span(),
                            "invalid `field`",
                            "expected names separated by dots, e.g. `mapper.url`",
                        ));
                    }
                    parts
                }
            };
            let function = Function::compile(raw, then_at.v.span())
                .map_err(|e| self.error(then_at.file, e.span, e.message, e.label))?;
            thens.push(Then { field, function });
        }

        Ok(thens)
    }

    fn required<T>(
        &self,
        entry: usize,
        key: impl Fn(&RawRule) -> Option<&Spanned<T>>,
        name: &str,
        example: &str,
    ) -> Result1<At<'_, T>> {
        self.pick(entry, key).ok_or_else(|| {
            let e = &self.entries[entry];
            // The table's first line (its `[[rule]]` header) stands for the whole table.
            let text = &self.files[e.file].1[e.span.clone()];
            let first = text.find('\n').map_or(e.span.end, |n| e.span.start + n);
            self.error(
                e.file,
                e.span.start..first,
                format!("this rule has no `{name}`"),
                format!("add `{name}` to this rule ({example})"),
            )
        })
    }

    fn module_filter(
        &self,
        entry: usize,
        modules: Option<At<'_, Vec<Spanned<String>>>>,
        exclude: Option<At<'_, Vec<Spanned<String>>>>,
    ) -> Result1<ModuleFilter> {
        let mut refs = Vec::new();
        let mut include = GlobSetBuilder::new();
        if let Some(list) = &modules {
            for item in list.v.get_ref() {
                if let Some(kind) = item.get_ref().strip_prefix('@') {
                    let k = match kind {
                        "connection" => RefKind::Connection,
                        "hook" => RefKind::Hook,
                        "keychain" => RefKind::Keychain,
                        "data-store" => RefKind::DataStore,
                        "data-structure" => RefKind::DataStructure,
                        "scenario" => RefKind::Scenario,
                        _ => return Err(self.error(list.file, item.span(), format!("unknown module selector `{}`", item.get_ref()), "expected a glob on `app:action`, or @connection, @hook, @keychain, @data-store, @data-structure, @scenario")),
                    };
                    refs.push(k);
                } else {
                    include.add(self.glob(list.file, item)?);
                }
            }
        }
        let mut ex = GlobSetBuilder::new();
        if let Some(list) = &exclude {
            for item in list.v.get_ref() {
                ex.add(self.glob(list.file, item)?);
            }
        }
        let (mut orphans, mut disabled, mut handlers) = (true, true, false);
        if let Some(skip) = self.pick(entry, |r| r.skip.as_ref()) {
            (orphans, disabled, handlers) = (false, false, false);
            for item in skip.v.get_ref() {
                match item.get_ref().as_str() {
                    "orphans" => orphans = true,
                    "disabled" => disabled = true,
                    "error-handlers" => handlers = true,
                    other => {
                        return Err(self.error(
                            skip.file,
                            item.span(),
                            format!("unknown `skip` value `{other}`"),
                            "expected orphans, disabled or error-handlers",
                        ));
                    }
                }
            }
        }
        let build = |b: GlobSetBuilder| b.build().unwrap_or_else(|_| GlobSet::empty());
        Ok(ModuleFilter {
            include: build(include),
            refs,
            exclude: build(ex),
            skip_orphans: orphans,
            skip_disabled: disabled,
            skip_error_handlers: handlers,
        })
    }

    fn glob(&self, file: usize, item: &Spanned<String>) -> Result1<globset::Glob> {
        // Make spells actions in every case (`ActionCreateRecord`, `createCustomer`).
        GlobBuilder::new(item.get_ref())
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| {
                self.error(
                    file,
                    item.span(),
                    format!("invalid module glob `{}`", item.get_ref()),
                    e.kind().to_string(),
                )
            })
    }

    /// The span of `range` (bytes of a string value) in the file, when the string is written
    /// without escapes so that positions line up; else the whole value.
    fn inner_span(&self, file: usize, v: &Spanned<String>, range: Range<usize>) -> Range<usize> {
        let text = &self.files[file].1;
        let whole = v.span();
        let written = &text[whole.clone()];
        match written.find(v.get_ref().as_str()) {
            Some(at) if !v.get_ref().is_empty() => {
                let mut start = whole.start + at + range.start.min(v.get_ref().len());
                let end = (whole.start + at + range.end.min(v.get_ref().len())).max(start);
                let mut end = end.max(start + 1).min(whole.end);
                // A parser's position (`pos..pos + 1`) may fall inside a multi-byte
                // character: underline whole characters, so the span slices the text.
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                start..end
            }
            _ => whole,
        }
    }
}

fn is_code(s: &str) -> bool {
    let letters = s.bytes().take_while(u8::is_ascii_uppercase).count();
    letters > 0 && letters < s.len() && s[letters..].bytes().all(|b| b.is_ascii_digit())
}

fn is_kebab(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads, checks and compiles `files` against the rules already in `set`, in load order.
pub(super) fn compile_all(
    set: &RuleSet,
    files: Vec<(String, String)>,
) -> Result<Vec<Compiled>, Box<RuleFileError>> {
    let mut loader = Loader {
        files,
        entries: Vec::new(),
        compiled: Vec::new(),
        builtin: set.metas(),
    };
    for file in 0..loader.files.len() {
        loader.load_file(file)?;
    }
    Ok(loader.compiled)
}
