//! A compiled declarative rule, run through the same hooks as the built-in Rust rules.

use globset::GlobSet;

use super::functions::Function;
use super::path::{self, Given, Seg};
use super::template::{Template, Var};
use crate::finding::Finding;
use crate::json::{Kind, Value};
use crate::model::{Module, RefKind, Scenario};
use crate::rules::{Context, HasMeta, Rule, RuleMeta};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `given` starts at the blueprint object, once per scenario.
    Scenario,
    /// `given` starts at each module object the model found, wherever it nests.
    Module,
}

/// Which modules a rule looks at (module scope) or counts (`module_count`).
#[derive(Debug)]
pub struct ModuleFilter {
    /// Globs on `app:action`; empty with no `refs` means every module.
    pub include: GlobSet,
    /// `@connection` and the like: modules that make such a reference.
    pub refs: Vec<RefKind>,
    pub exclude: GlobSet,
    pub skip_orphans: bool,
    pub skip_disabled: bool,
    pub skip_error_handlers: bool,
}

impl ModuleFilter {
    pub fn selects(&self, scenario: &Scenario, m: &Module) -> bool {
        if (self.skip_orphans && m.orphan)
            || (self.skip_disabled && m.disabled)
            || (self.skip_error_handlers && m.in_error_handler)
        {
            return false;
        }
        let name = m.name.as_deref().unwrap_or("");
        // Every rule asks this of every module: the name is made a glob candidate (which
        // allocates) once, and only for a set that has globs.
        let mut candidate = None;
        let mut matches = |set: &GlobSet| {
            !set.is_empty()
                && set.is_match_candidate(
                    candidate.get_or_insert_with(|| globset::Candidate::new(name)),
                )
        };
        let included = (self.include.is_empty() && self.refs.is_empty())
            || matches(&self.include)
            || (!self.refs.is_empty()
                && scenario
                    .references_of(m.index)
                    .any(|r| self.refs.contains(&r.kind)));
        included && !matches(&self.exclude)
    }
}

/// One `then`: an optional field path under each match, and the function to apply.
#[derive(Debug)]
pub struct Then {
    pub field: Vec<String>,
    pub function: Function,
}

#[derive(Debug)]
pub struct DeclarativeRule {
    pub meta: &'static RuleMeta,
    pub enabled: bool,
    pub scope: Scope,
    pub modules: ModuleFilter,
    pub given: Given,
    pub thens: Vec<Then>,
    pub message: Template,
    /// Replaces the function's own description under the snippet.
    pub label: Option<Template>,
    pub help: Option<String>,
}

impl HasMeta for DeclarativeRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }
}

impl Rule for DeclarativeRule {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if self.enabled && self.scope == Scope::Scenario {
            let root = cx.doc.value(cx.scenario.node);
            self.evaluate(cx, root, &cx.scenario.pointer, None, out);
        }
    }

    fn check_module(&self, cx: &Context<'_>, module: &Module, out: &mut Vec<Finding>) {
        if self.enabled && self.scope == Scope::Module && self.modules.selects(cx.scenario, module)
        {
            let root = cx.doc.value(module.node);
            self.evaluate(cx, root, &module.pointer, Some(module), out);
        }
    }
}

impl DeclarativeRule {
    fn evaluate(
        &self,
        cx: &Context<'_>,
        root: Value<'_>,
        root_pointer: &str,
        module: Option<&Module>,
        out: &mut Vec<Finding>,
    ) {
        let copy = |start| cx.serde.get_within(start);
        for m in self.given.matches(root, &copy) {
            for then in &self.thens {
                let steps = path::field_steps(&then.field, Some(m.node));
                let target = path::follow(m.node, &steps);
                if target.is_none() && !then.function.checks_missing() {
                    continue;
                }
                let mut at = m.path.clone();
                at.extend(steps.iter().cloned());
                let count = || self.count_modules(cx.scenario, &path::pointer(root_pointer, &at));
                for problem in then.function.check(target, &count) {
                    let mut full = at.clone();
                    full.extend(problem.at.iter().cloned());
                    let (span, label, pointed) = match problem.node {
                        Some(node) if node.is_object() || node.is_array() => {
                            // A whole container can be dozens of lines of unrelated JSON
                            // (BP207's `flow`): its key says which one it is.
                            let span = match deepest(root, &full) {
                                (_, Some(key), reached) if reached == full.len() => key.span(),
                                _ => node.span(),
                            };
                            (span, problem.detail.clone(), full.len())
                        }
                        Some(node) => (node.span(), problem.detail.clone(), full.len()),
                        None => {
                            // A missing value has no span: point at the deepest part of its
                            // path that exists (the module's name for the module itself),
                            // and say in the label what is missing there.
                            // Walked from the root so that the key of the match itself is
                            // known when nothing of the field exists.
                            let (parent, key, reached) = deepest(root, &at);
                            let depth = reached - m.path.len();
                            let span = match (module, key) {
                                (Some(md), _) if parent.index() == root.index() => md.anchor(),
                                // A whole object can be hundreds of lines: its key says
                                // which one it is.
                                (_, Some(k)) => k.span(),
                                _ => parent.span(),
                            };
                            let missing = then.field[depth..].join(".");
                            let label = format!("`{missing}` is missing here");
                            (span, label, reached)
                        }
                    };
                    let fill = |var| match var {
                        Var::Value => problem
                            .node
                            .map_or_else(|| "(missing)".into(), display_value),
                        Var::ModuleId => module
                            .and_then(|md| md.id)
                            .map_or_else(|| "?".into(), |id| id.to_string()),
                        Var::Module => module
                            .and_then(|md| md.name.clone())
                            .unwrap_or_else(|| "?".into()),
                        Var::Scenario => cx.scenario.name.clone().unwrap_or_default(),
                        Var::Path => path::normalized(&full),
                        Var::Pointer => path::pointer(root_pointer, &full),
                        Var::Error => problem.detail.clone(),
                    };
                    let message = self.message.render(&fill);
                    let label = match (&self.label, problem.node) {
                        (Some(l), Some(_)) => l.render(&fill),
                        _ => label,
                    };
                    let mut f = Finding::new(self.meta, span, message)
                        .label(label)
                        .pointer(path::pointer(root_pointer, &full[..pointed]));
                    if let Some(md) = module {
                        f = f.module(md);
                    }
                    if let Some(h) = &self.help {
                        f = f.help(h.clone());
                    }
                    out.push(f);
                }
            }
        }
    }

    /// Modules inside the value at `pointer` (the value itself included) that the rule's
    /// module filter selects.
    fn count_modules(&self, scenario: &Scenario, pointer: &str) -> usize {
        scenario
            .modules
            .iter()
            .filter(|m| {
                m.pointer
                    .strip_prefix(pointer)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .filter(|m| self.modules.selects(scenario, m))
            .count()
    }
}

/// The deepest node along `steps` from `v`, the key it sits under (if the last step was a
/// name), and how many steps led there.
fn deepest<'d>(mut v: Value<'d>, steps: &[Seg]) -> (Value<'d>, Option<Value<'d>>, usize) {
    let mut key = None;
    for (i, s) in steps.iter().enumerate() {
        let next = match s {
            Seg::Name(n) => v
                .members()
                .filter(|m| m.key_eq(n))
                .last()
                .map(|m| (m.value, Some(m.key))),
            Seg::Index(_) => path::step(v, s).map(|x| (x, None)),
        };
        match next {
            Some((x, k)) => (v, key) = (x, k),
            None => return (v, key, i),
        }
    }
    (v, key, steps.len())
}

/// A value for a message: strings unquoted, everything shortened to one readable line.
fn display_value(v: Value<'_>) -> String {
    let text = match v.kind() {
        Kind::String => v.as_str().unwrap_or_default().into_owned(),
        Kind::Array | Kind::Object => v.to_serde().to_string(),
        _ => v.raw().to_string(),
    };
    crate::model::truncate(&text, 80)
}
