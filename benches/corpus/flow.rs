//! Modules and the flows they nest: app modules with error routes, routers, If-Else,
//! agents and triggers.

use super::text::*;
use super::{Gen, MAX_NESTING};

impl Gen {
    /// A regular app module, possibly with an error handler route.
    pub(super) fn app_module(&mut self, depth: u32, end: usize) {
        let app = self.rng.pick(APPS);
        self.open_module(app.module, app.version);
        let legacy = app.conn.is_some_and(|(k, _, _)| k == "account");
        self.json.key("parameters");
        self.json.obj();
        if let Some((key, _, _)) = app.conn {
            self.json.key(key);
            self.connection_value();
        }
        if app.module == "datastore:AddRecord" {
            let n = self.rng.range(1000, 99_999) as i64;
            self.json.field_int("datastore", n);
            self.json.field_bool("overwrite", false);
        }
        if app.module == "google-sheets:filterRows" {
            self.json.field_str("__IMTENGINE__", "2");
            self.json.field_int("maxResults", 1);
        }
        self.json.end_obj();
        // Most modules are small; a few carry long prompts, HTML bodies or big records.
        // (Heavy ones only where the budget has room, so small files keep their size.)
        let heavy = end.saturating_sub(self.json.len()) > 100_000;
        let weight = match self.rng.below(100) {
            0..=69 => 1,
            70..=94 => 2,
            _ if heavy => self.rng.range(4, 12),
            _ => 3,
        };
        self.mapper(app, weight);
        if self.rng.chance(15) {
            self.filter();
        }
        let echo = self.rng.chance(85);
        self.metadata(app.conn, echo, legacy);
        if depth < MAX_NESTING && self.rng.chance(10) {
            self.json.key("onerror");
            self.json.arr();
            self.modules_in_error_route(depth + 1, end);
            self.json.end_arr();
        }
        self.json.end_obj();
        self.max_depth = self.max_depth.max(depth);
    }

    /// The modules of an `onerror` route: a fix-up module, sometimes a router, then a
    /// directive (`builtin:Ignore`, `Resume`, `Break`, ...).
    pub(super) fn modules_in_error_route(&mut self, depth: u32, end: usize) {
        if self.rng.chance(30) && depth < MAX_NESTING {
            let budget = (end.saturating_sub(self.json.len()) / 8).min(40_000);
            self.router(depth, self.json.len() + budget, false);
        } else {
            self.app_module(depth, self.json.len());
        }
        let directive = *self.rng.pick(&[
            "builtin:Ignore",
            "builtin:Resume",
            "builtin:Break",
            "builtin:Rollback",
            "builtin:Commit",
        ]);
        self.open_module(directive, 1);
        self.json.key("parameters");
        self.json.obj();
        if directive == "builtin:Break" {
            self.json.field_int("retry", 1);
            self.json.field_int("count", 3);
            self.json.field_int("interval", 15);
        }
        self.json.end_obj();
        self.json.key("mapper");
        self.json.obj();
        self.json.end_obj();
        self.json.key("metadata");
        self.json.obj();
        self.designer(false);
        self.json.end_obj();
        self.json.end_obj();
        self.max_depth = self.max_depth.max(depth);
    }

    /// Modules of one flow until the output reaches `end` (at least one module). With
    /// `deep`, the flow starts with a chain of routers down to [`MAX_NESTING`].
    pub(super) fn flow(&mut self, depth: u32, end: usize, deep: bool) {
        let mut first = true;
        while first || self.json.len() < end {
            let remaining = end.saturating_sub(self.json.len());
            if first && deep && depth < MAX_NESTING {
                self.router(depth, end, true);
            } else if depth < MAX_NESTING && remaining > 6_000 {
                match self.rng.below(100) {
                    0..=13 => {
                        let share = self.rng.range(20, 70);
                        self.router(depth, self.json.len() + remaining * share / 100, false)
                    }
                    14..=18 => {
                        let share = self.rng.range(10, 40);
                        self.if_else(depth, self.json.len() + remaining * share / 100)
                    }
                    19..=21 => {
                        let share = self.rng.range(10, 30);
                        self.agent(depth, self.json.len() + remaining * share / 100)
                    }
                    _ => self.app_module(depth, end),
                }
            } else {
                self.app_module(depth, end);
            }
            first = false;
        }
    }

    pub(super) fn router(&mut self, depth: u32, end: usize, deep: bool) {
        self.max_depth = self.max_depth.max(depth);
        self.open_module("builtin:BasicRouter", 1);
        self.json.key("mapper");
        self.json.null();
        self.json.key("metadata");
        self.json.obj();
        self.designer(false);
        self.json.end_obj();
        self.json.key("routes");
        self.json.arr();
        let routes = self.rng.range(2, 4);
        let start = self.json.len();
        let total = end.saturating_sub(start);
        for r in 0..routes {
            self.json.obj();
            if self.rng.chance(5) {
                self.json.field_bool("disabled", true);
            }
            self.json.key("flow");
            self.json.arr();
            let route_end = start + total * (r + 1) / routes;
            let deep_here = deep && r == 0;
            let route_end = if deep_here {
                route_end.max(self.json.len() + 8_000)
            } else {
                route_end
            };
            self.flow(depth + 1, route_end, deep_here);
            self.json.end_arr();
            self.json.end_obj();
        }
        self.json.end_arr();
        self.json.end_obj();
    }

    pub(super) fn if_else(&mut self, depth: u32, end: usize) {
        self.max_depth = self.max_depth.max(depth);
        self.open_module("builtin:BasicIfElse", 1);
        self.json.key("parameters");
        self.json.obj();
        self.json.end_obj();
        self.json.key("mapper");
        self.json.null();
        self.json.key("metadata");
        self.json.obj();
        self.designer(false);
        self.json.end_obj();
        self.json.key("branches");
        self.json.arr();
        let start = self.json.len();
        let total = end.saturating_sub(start);
        let n = self.rng.range(2, 3);
        for b in 0..n {
            self.json.obj();
            self.json
                .field_str("type", if b + 1 == n { "else" } else { "if" });
            if b + 1 < n {
                self.json.key("conditions");
                self.json.arr();
                self.json.arr();
                self.json.obj();
                self.json.field_str("a", "{{1.priority}}");
                self.json.field_str("b", "high");
                self.json.field_str("o", "text:equal");
                self.json.end_obj();
                self.json.end_arr();
                self.json.end_arr();
            }
            self.json.key("flow");
            self.json.arr();
            self.flow(depth + 1, start + total * (b + 1) / n, false);
            self.json.end_arr();
            self.json.end_obj();
        }
        self.json.end_arr();
        self.json.end_obj();
    }

    /// An AI agent (`makeConnectionId`) whose tools hold flows.
    pub(super) fn agent(&mut self, depth: u32, end: usize) {
        self.max_depth = self.max_depth.max(depth);
        self.open_module("ai-local-agent:RunLocalAIAgent", 0);
        self.json.key("parameters");
        self.json.obj();
        self.json.key("makeConnectionId");
        self.connection_value();
        self.json.end_obj();
        self.json.key("mapper");
        self.json.obj();
        self.json.field_str("defaultModel", "gpt-5.4");
        let n = self.rng.range(100, 800);
        let prompt = prose(&mut self.rng, n);
        self.json.field_str("systemPrompt", &prompt);
        self.json.field_str("message", "{{1.message}}");
        self.json.key("files");
        self.json.arr();
        self.json.end_arr();
        self.json.key("modelConfig");
        self.json.obj();
        self.json.field_int("recursionLimit", 300);
        self.json.field_str("iterationsFromHistoryCount", "10");
        self.json.end_obj();
        self.json.field_str("outputType", "text");
        self.json.end_obj();
        self.metadata(
            Some((
                "makeConnectionId",
                "account:ai-provider,openai-gpt-3,anthropic-claude,gemini-ai-q9zyjp,mistral-ai",
                "openai-gpt-3",
            )),
            true,
            false,
        );
        self.json.key("tools");
        self.json.arr();
        let start = self.json.len();
        let total = end.saturating_sub(start);
        let n = self.rng.range(1, 4);
        for t in 0..n {
            self.json.obj();
            let k = self.rng.range(2, 5);
            let name = prose(&mut self.rng, k);
            self.json.field_str("name", &name);
            let k = self.rng.range(8, 30);
            let description = prose(&mut self.rng, k);
            self.json.field_str("description", &description);
            self.json.key("flow");
            self.json.arr();
            self.flow(depth + 1, start + total * (t + 1) / n, false);
            self.json.end_arr();
            self.json.end_obj();
        }
        self.json.end_arr();
        self.json.end_obj();
    }

    pub(super) fn trigger(&mut self) {
        self.open_module("gateway:CustomWebHook", 1);
        self.json.key("parameters");
        self.json.obj();
        let hook = self.rng.range(10_000, 99_999) as i64;
        self.json.field_int("hook", hook);
        self.json.field_int("maxResults", 1);
        self.json.end_obj();
        self.json.key("mapper");
        self.json.obj();
        self.json.end_obj();
        self.json.key("metadata");
        self.json.obj();
        self.designer(false);
        self.json.key("restore");
        self.json.obj();
        self.json.key("parameters");
        self.json.obj();
        self.json.key("hook");
        self.json.obj();
        self.json.key("data");
        self.json.obj();
        self.json.field_str("editable", "true");
        self.json.end_obj();
        self.json
            .field_str("label", "Incoming lead — formulaire de contact");
        self.json.end_obj();
        self.json.end_obj();
        self.json.end_obj();
        self.json.key("parameters");
        self.json.arr();
        for (name, ty, label) in [
            ("hook", "hook:gateway-webhook", "Webhook"),
            ("maxResults", "number", "Maximum number of results"),
        ] {
            self.json.obj();
            self.json.field_str("name", name);
            self.json.field_str("type", ty);
            self.json.field_str("label", label);
            self.json.end_obj();
        }
        self.json.end_arr();
        self.json.end_obj();
        self.json.end_obj();
    }
}
