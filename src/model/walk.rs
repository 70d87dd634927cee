//! The one walk over a blueprint's module tree.
//!
//! Iterative, with an explicit stack of flows, so module nesting depth never touches the call
//! stack. Each module is visited exactly once, in document order.

use std::collections::HashMap;

use super::reference::{RefKind, RefValue, Reference, classify_value};
use super::{Container, DesignerMessage, Module, Scenario, StructureIssue};
use crate::json::{Doc, Elements, Kind, Span, Value, push_pointer_token};

/// How the blueprint sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlueprintForm {
    /// `{"name", "flow", "metadata"}` as exported from the editor.
    Plain,
    /// `{"code":"OK","response":{"blueprint":{...}}}` from `GET /scenarios/{id}/blueprint`.
    ApiResponse,
    /// `{"blueprint": {...}}` with a real blueprint inside.
    Nested,
    /// `{"subflows":[{"flow":[...]}]}`: modules copied from the editor.
    Clipboard,
}

pub enum Detected<'d> {
    Blueprint {
        form: BlueprintForm,
        root: Value<'d>,
        /// JSON pointer of the blueprint object in the file.
        base: &'static str,
    },
    NotBlueprint {
        reason: String,
    },
}

/// Decides whether a parsed JSON document is a blueprint, and where the blueprint object is.
pub fn detect<'d>(root: Value<'d>) -> Detected<'d> {
    if !root.is_object() {
        return Detected::NotBlueprint {
            reason: format!(
                "the top-level value is {}, not an object",
                root.kind().name()
            ),
        };
    }
    if let Some(flow) = root.get("flow") {
        if flow.is_array() {
            return Detected::Blueprint {
                form: BlueprintForm::Plain,
                root,
                base: "",
            };
        }
        return Detected::NotBlueprint {
            reason: format!("`flow` is {}, not an array of modules", flow.kind().name()),
        };
    }
    if let Some(inner) = root.get("response").and_then(|r| r.get("blueprint")) {
        if inner.get("flow").is_some_and(|f| f.is_array()) {
            return Detected::Blueprint {
                form: BlueprintForm::ApiResponse,
                root: inner,
                base: "/response/blueprint",
            };
        }
    }
    if let Some(inner) = root.get("blueprint") {
        if inner.get("flow").is_some_and(|f| f.is_array()) {
            return Detected::Blueprint {
                form: BlueprintForm::Nested,
                root: inner,
                base: "/blueprint",
            };
        }
        if inner.get("modules").is_some() {
            return Detected::NotBlueprint {
                reason: "`blueprint.modules` is another tool's format; a Make blueprint has a top-level `flow`".into(),
            };
        }
    }
    if root.get("subflows").is_some_and(|s| {
        s.elements()
            .any(|sf| sf.get("flow").is_some_and(|f| f.is_array()))
    }) {
        return Detected::Blueprint {
            form: BlueprintForm::Clipboard,
            root,
            base: "",
        };
    }
    Detected::NotBlueprint {
        reason: "no top-level `flow` array of modules".into(),
    }
}

enum Items<'d> {
    Array(Elements<'d>),
    One(Option<Value<'d>>),
}

impl<'d> Iterator for Items<'d> {
    type Item = Value<'d>;
    fn next(&mut self) -> Option<Value<'d>> {
        match self {
            Items::Array(e) => e.next(),
            Items::One(v) => v.take(),
        }
    }
}

/// One list of modules waiting to be walked, with the context its modules inherit.
struct Frame<'d> {
    items: Items<'d>,
    next_index: usize,
    /// Pointer of the list (items get `/<index>` appended), or of the single module.
    base: String,
    single: bool,
    container: Container,
    parent: Option<usize>,
    depth: u32,
    orphan: bool,
    disabled: bool,
    in_error_handler: bool,
    in_agent_tool: bool,
}

struct Walker<'d> {
    scenario: Scenario,
    input_defaults: HashMap<String, u64>,
    stack: Vec<Frame<'d>>,
}

/// Builds the model of the blueprint object `root` (found by [`detect`]); `base` is its pointer.
pub fn build(_doc: &Doc<'_>, root: Value<'_>, form: BlueprintForm, base: &str) -> Scenario {
    let mut w = Walker {
        scenario: Scenario {
            form,
            name: root.get_str("name").map(|s| s.into_owned()),
            span: root.span(),
            pointer: base.to_string(),
            node: root.index(),
            zone: root
                .get("metadata")
                .and_then(|m| m.get("zone"))
                .and_then(|z| Some((z.as_str()?.into_owned(), z.span()))),
            modules: Vec::new(),
            references: Vec::new(),
            structure_issues: Vec::new(),
            designer_messages: Vec::new(),
        },
        input_defaults: input_defaults(root),
        stack: Vec::new(),
    };

    let mut roots: Vec<Frame<'_>> = Vec::new();
    if form == BlueprintForm::Clipboard {
        for (i, sf) in super::elements_at(root, "subflows").enumerate() {
            if let Some(flow) = sf.get("flow") {
                let base = format!("{base}/subflows/{i}/flow");
                roots.push(w.flow_frame(flow, base, Container::Subflow { index: i }, None));
            }
        }
    } else if let Some(flow) = root.get("flow") {
        roots.push(w.flow_frame(flow, format!("{base}/flow"), Container::Flow, None));
    }
    let orphans = root
        .get("metadata")
        .and_then(|m| m.get("designer"))
        .and_then(|d| d.get("orphans"));
    if let Some(orphans) = orphans {
        let obase = format!("{base}/metadata/designer/orphans");
        for (i, group) in orphans.elements().enumerate() {
            let container = Container::Orphan { index: i };
            let mut frame = if group.is_object() {
                // Some exports list orphan modules directly instead of in groups.
                Frame {
                    items: Items::One(Some(group)),
                    next_index: 0,
                    base: format!("{obase}/{i}"),
                    single: true,
                    container,
                    parent: None,
                    depth: 0,
                    orphan: true,
                    disabled: false,
                    in_error_handler: false,
                    in_agent_tool: false,
                }
            } else {
                w.flow_frame(group, format!("{obase}/{i}"), container, None)
            };
            frame.orphan = true;
            roots.push(frame);
        }
    }
    roots.reverse();
    w.stack = roots;
    w.run();
    w.scenario
}

fn input_defaults(root: Value<'_>) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let specs = root.get("io").and_then(|io| io.get("input_spec"));
    for spec in specs.into_iter().flat_map(|s| s.elements()) {
        let Some(name) = spec.get_str("name") else {
            continue;
        };
        let default = spec.get("default").and_then(|d| match d.kind() {
            Kind::Number => super::reference::positive_id(d.raw()),
            Kind::String => super::reference::positive_id(&d.as_str()?),
            _ => None,
        });
        if let Some(id) = default {
            out.insert(name.into_owned(), id);
        }
    }
    out
}

impl<'d> Walker<'d> {
    fn issue(&mut self, pointer: String, span: Span, message: impl Into<String>) {
        self.scenario.structure_issues.push(StructureIssue {
            pointer,
            span,
            message: message.into(),
        });
    }

    /// A list of modules to walk: it inherits its parent module's context, and what its
    /// container adds (a disabled route, an error handler, an agent's tool).
    fn flow_frame(
        &mut self,
        flow: Value<'d>,
        base: String,
        container: Container,
        parent: Option<&Module>,
    ) -> Frame<'d> {
        if !flow.is_array() {
            self.issue(
                base.clone(),
                flow.span(),
                format!("expected an array of modules, found {}", flow.kind().name()),
            );
        }
        Frame {
            items: Items::Array(flow.elements()),
            next_index: 0,
            base,
            single: false,
            parent: parent.map(|p| p.index),
            depth: parent.map_or(0, |p| p.depth + 1),
            orphan: parent.is_some_and(|p| p.orphan),
            disabled: parent.is_some_and(|p| p.disabled)
                || matches!(container, Container::Route { disabled: true, .. }),
            in_error_handler: parent.is_some_and(|p| p.in_error_handler)
                || container == Container::OnError,
            in_agent_tool: parent.is_some_and(|p| p.in_agent_tool)
                || matches!(container, Container::Tool { .. }),
            container,
        }
    }

    fn run(&mut self) {
        while let Some(frame) = self.stack.last_mut() {
            let Some(item) = frame.items.next() else {
                self.stack.pop();
                continue;
            };
            let position = frame.next_index;
            let pointer = if frame.single {
                frame.base.clone()
            } else {
                format!("{}/{}", frame.base, position)
            };
            frame.next_index += 1;
            if !item.is_object() {
                self.issue(
                    pointer,
                    item.span(),
                    format!("expected a module object, found {}", item.kind().name()),
                );
                continue;
            }
            let module = Module {
                index: self.scenario.modules.len(),
                pointer,
                span: item.span(),
                id: None,
                id_span: None,
                name: None,
                name_span: None,
                version: item.get("version").and_then(|v| v.as_i64()),
                container: frame.container.clone(),
                position,
                parent: frame.parent,
                depth: frame.depth,
                orphan: frame.orphan,
                disabled: frame.disabled,
                in_error_handler: frame.in_error_handler,
                in_agent_tool: frame.in_agent_tool,
                node: item.index(),
            };
            self.visit_module(module, item);
        }
    }

    fn visit_module(&mut self, mut module: Module, obj: Value<'d>) {
        if let Some(id) = obj.get("id") {
            module.id_span = Some(id.span());
            module.id = id.as_i64();
        }
        if let Some(name) = obj.get("module") {
            module.name_span = Some(name.span());
            module.name = name.as_str().map(|s| s.into_owned());
        }
        self.references(&module, obj);
        self.designer_messages(&module, obj);

        let mut nested = Vec::new();
        for m in obj.members() {
            let key = m.key_str();
            let v = m.value;
            match key.as_ref() {
                "routes" | "branches" | "tools" => {
                    for (i, item) in v.elements().enumerate() {
                        let Some(flow) = item.get("flow") else {
                            continue;
                        };
                        let container = match key.as_ref() {
                            "routes" => Container::Route {
                                index: i,
                                disabled: item.get("disabled").and_then(|d| d.as_bool())
                                    == Some(true),
                            },
                            "branches" => Container::Branch { index: i },
                            _ => Container::Tool {
                                index: i,
                                name: item.get_str("name").map(|s| s.into_owned()),
                            },
                        };
                        let base = format!("{}/{key}/{i}/flow", module.pointer);
                        nested.push(self.flow_frame(flow, base, container, Some(&module)));
                    }
                }
                "onerror" => {
                    let base = format!("{}/onerror", module.pointer);
                    nested.push(self.flow_frame(v, base, Container::OnError, Some(&module)));
                }
                _ => {}
            }
        }
        self.scenario.modules.push(module);
        self.stack.extend(nested.into_iter().rev());
    }

    fn designer_messages(&mut self, module: &Module, obj: Value<'d>) {
        let messages = obj
            .get("metadata")
            .and_then(|m| m.get("designer"))
            .and_then(|d| d.get("messages"));
        for msg in messages.into_iter().flat_map(|m| m.elements()) {
            let Some(text_value) = msg.get("message") else {
                continue;
            };
            let Some(text) = text_value.as_str() else {
                continue;
            };
            self.scenario.designer_messages.push(DesignerMessage {
                module: module.index,
                span: msg.span(),
                message_span: text_value.span(),
                severity: msg.get_str("severity").unwrap_or_default().into_owned(),
                category: msg.get_str("category").unwrap_or_default().into_owned(),
                message: text.into_owned(),
            });
        }
    }

    fn references(&mut self, module: &Module, obj: Value<'d>) {
        let params = obj.get("parameters");
        let metadata = obj.get("metadata");
        let restore = metadata.and_then(|m| m.get("restore"));
        let echo = metadata.and_then(|m| m.get("parameters"));

        struct Declared<'d> {
            name: std::borrow::Cow<'d, str>,
            kind: Option<RefKind>,
            allowed: Vec<String>,
            required: bool,
            seen: bool,
        }
        let mut declared: Vec<Declared> = Vec::new();
        for entry in echo.into_iter().flat_map(|e| e.elements()) {
            let (Some(name), Some(ty)) = (entry.get_str("name"), entry.get_str("type")) else {
                continue;
            };
            let kind = RefKind::from_echo_type(&ty);
            let allowed = match (kind, ty.split_once(':')) {
                (Some(_), Some((_, list))) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            declared.push(Declared {
                name,
                kind,
                allowed,
                required: entry.get("required").and_then(|r| r.as_bool()) == Some(true),
                seen: false,
            });
        }

        let defaults = &self.input_defaults;
        let resolve = |name: &str| defaults.get(name).copied();
        let mut found = Vec::new();
        for m in params.into_iter().flat_map(|p| p.members()) {
            let key = m.key_str();
            let decl = declared.iter_mut().find(|d| d.name == key);
            let (kind, allowed, required, is_declared) = match decl {
                Some(d) => {
                    d.seen = true;
                    match d.kind {
                        Some(k) => (k, d.allowed.clone(), d.required, true),
                        None => continue,
                    }
                }
                None => {
                    match RefKind::from_key(&key, module.app().unwrap_or(""), module.in_agent_tool)
                    {
                        Some(k) => (k, Vec::new(), false, false),
                        None => continue,
                    }
                }
            };
            let mut pointer = format!("{}/parameters", module.pointer);
            push_pointer_token(&mut pointer, &key);
            found.push(Reference {
                module: module.index,
                kind,
                key: key.into_owned(),
                value: classify_value(m.value, &resolve),
                span: m.value.span(),
                pointer,
                declared: is_declared,
                required,
                allowed_types: allowed,
                chosen_type: None,
                chosen_type_span: None,
                chosen_type_pointer: None,
                label: None,
            });
        }
        for d in declared.into_iter().filter(|d| !d.seen) {
            let Some(kind) = d.kind else { continue };
            let mut pointer = format!("{}/parameters", module.pointer);
            push_pointer_token(&mut pointer, &d.name);
            found.push(Reference {
                module: module.index,
                kind,
                key: d.name.into_owned(),
                value: RefValue::Missing,
                span: params.map_or(module.anchor(), |p| p.span()),
                pointer,
                declared: true,
                required: d.required,
                allowed_types: d.allowed,
                chosen_type: None,
                chosen_type_span: None,
                chosen_type_pointer: None,
                label: None,
            });
        }
        for r in &mut found {
            // Modern exports nest under `restore.parameters.<p>`, legacy ones use `restore.<p>`.
            let modern = restore
                .and_then(|rs| rs.get("parameters"))
                .and_then(|p| p.get(&r.key));
            let (entry, entry_base) = match modern {
                Some(e) => (Some(e), "/metadata/restore/parameters"),
                None => (restore.and_then(|rs| rs.get(&r.key)), "/metadata/restore"),
            };
            if let Some(entry) = entry {
                r.label = entry.get_str("label").map(|s| s.into_owned());
                if let Some(ty) = entry.get("data").and_then(|d| d.get("connection")) {
                    // The editor writes JavaScript's `undefined` as a string when it knew no
                    // type; that, `""` and `null` are no choice at all.
                    let named = ty
                        .as_str()
                        .filter(|t| !matches!(t.trim(), "" | "undefined" | "null"));
                    if let Some(t) = named {
                        let mut entry_pointer = format!("{}{entry_base}", module.pointer);
                        push_pointer_token(&mut entry_pointer, &r.key);
                        entry_pointer.push_str("/data/connection");
                        r.chosen_type = Some(t.into_owned());
                        r.chosen_type_span = Some(ty.span());
                        r.chosen_type_pointer = Some(entry_pointer);
                    }
                }
            }
        }
        debug_assert!(
            self.scenario
                .references
                .last()
                .is_none_or(|r| r.module <= module.index),
            "references are appended in module order"
        );
        self.scenario.references.extend(found);
    }
}
