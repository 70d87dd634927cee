//! The parts of one module: ids, connection values, `mapper`, `metadata`, filters.

use std::fmt::Write as _;

use super::Gen;
use super::text::*;

impl Gen {
    pub(super) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Counts a module and opens its object with `id`, `module` and `version`: how every
    /// generated module starts.
    pub(super) fn open_module(&mut self, module: &str, version: i64) {
        self.modules += 1;
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", module);
        self.json.field_int("version", version);
    }

    /// A connection value: mostly integer ids, sometimes digit strings, expressions or
    /// template placeholders, as found in shared blueprints.
    pub(super) fn connection_value(&mut self) {
        match self.rng.below(100) {
            0..=79 => {
                let id = self.rng.range(1_000, 9_999_999) as i64;
                self.json.int(id);
            }
            80..=87 => {
                let id = self.rng.range(1_000, 9_999_999);
                self.json.str(&id.to_string());
            }
            88..=93 => {
                let (name, _) = *self.rng.pick(INPUTS);
                self.json.str(&format!("{{{{var.input.{name}}}}}"));
            }
            _ => {
                let n = self.rng.range(1, 9);
                self.json.str(&format!("<CONN_0{n}>"));
            }
        }
        self.refs += 1;
    }

    pub(super) fn designer(&mut self, extra_name: bool) {
        self.json.key("designer");
        self.json.obj();
        self.x += 300;
        self.json.field_int("x", self.x);
        let y = self.rng.range(0, 3000) as i64 - 600;
        self.json.field_int("y", y);
        if extra_name {
            let n = self.rng.range(2, 5);
            let name = prose(&mut self.rng, n);
            self.json.field_str("name", &name);
        }
        if self.rng.chance(2) {
            self.json.key("messages");
            self.json.arr();
            self.json.obj();
            self.json.field_str("category", "last");
            self.json.field_str("severity", "warning");
            self.json.field_str(
                "message",
                "A transformer should not be the last module in the route.",
            );
            self.json.end_obj();
            self.json.end_arr();
        }
        self.json.end_obj();
    }

    /// The `mapper` of a regular module; `weight` scales how much text it holds.
    pub(super) fn mapper(&mut self, app: &App, weight: usize) {
        self.json.key("mapper");
        if app.module == "gateway:WebhookRespond" && self.rng.chance(30) {
            self.json.null();
            return;
        }
        self.json.obj();
        match app.module {
            "util:SetVariables" => {
                self.json.key("variables");
                self.json.arr();
                for _ in 0..self.rng.range(2, 12) {
                    self.json.obj();
                    let n = self.rng.range(1, 4);
                    let name = prose(&mut self.rng, n);
                    self.json.field_str("name", &name);
                    let v = match self.rng.below(4) {
                        0 => "{{true}}".to_string(),
                        1 => format!(
                            "{{{{{}.{}}}}}",
                            self.rng.range(1, 90),
                            ident(&mut self.rng, 8)
                        ),
                        2 => ident(&mut self.rng, 44),
                        _ => {
                            let n = self.rng.range(2, 12);
                            prose(&mut self.rng, n)
                        }
                    };
                    self.json.field_str("value", &v);
                    self.json.end_obj();
                }
                self.json.end_arr();
                self.json.field_str("scope", "roundtrip");
            }
            "http:ActionSendData" => {
                let url = format!(
                    "https://api.example.com/v2/{}/items?limit=100&cursor={{{{{}.next}}}}",
                    ident(&mut self.rng, 6),
                    self.rng.range(1, 40)
                );
                self.json.field_str("url", &url);
                self.json.field_str("method", "post");
                self.json.key("headers");
                self.json.arr();
                for (name, value) in [
                    ("Content-Type", "application/json"),
                    ("Authorization", "Bearer {{var.input.apiToken}}"),
                    ("X-Request-Id", "{{uuid}}"),
                ] {
                    self.json.obj();
                    self.json.field_str("name", name);
                    self.json.field_str("value", value);
                    self.json.end_obj();
                }
                self.json.end_arr();
                self.json.key("qs");
                self.json.arr();
                self.json.end_arr();
                self.json.field_str("bodyType", "raw");
                self.json.field_str("contentType", "application/json");
                // A JSON body embedded in a string: escaped quotes all the way.
                let mut body = String::from("{\n  \"items\": [\n");
                for i in 0..self.rng.range(2, 8 + weight) {
                    let n = self.rng.range(3, 12);
                    let text = prose(&mut self.rng, n).replace(['"', '\\'], "'");
                    writeln!(
                        body,
                        "    {{\"n\": {i}, \"text\": \"{text}\", \"ref\": \"{{{{{}.id}}}}\"}},",
                        self.rng.range(1, 50)
                    )
                    .unwrap();
                }
                body.push_str("    null\n  ]\n}");
                self.json.field_str("data", &body);
                self.json.field_bool("parseResponse", true);
                self.json.field_int("timeout", 300);
            }
            "openai-gpt-3:CreateCompletion" => {
                self.json.field_str("model", "gpt-4o-mini");
                self.json.key("messages");
                self.json.arr();
                self.json.obj();
                self.json.field_str("role", "system");
                let n = self.rng.range(150, 600) * weight;
                let prompt = prose(&mut self.rng, n);
                self.json.key("content");
                if self.rng.chance(40) {
                    self.json.str_ascii(&prompt);
                } else {
                    self.json.str(&prompt);
                }
                self.json.end_obj();
                self.json.obj();
                self.json.field_str("role", "user");
                let user = format!(
                    "Lead: {{{{1.name}}}}\nRequest: {{{{1.`Project Details`}}}}\nNotes: {}",
                    prose(&mut self.rng, 30)
                );
                self.json.field_str("content", &user);
                self.json.end_obj();
                self.json.end_arr();
                self.json.key("temperature");
                self.json.raw("0.7");
                self.json.field_int("max_tokens", 2048);
                self.json.key("response_format");
                self.json.obj();
                self.json.field_str("type", "json_object");
                self.json.end_obj();
            }
            "email:ActionSendEmail" | "slack:CreateMessage" => {
                if app.module == "slack:CreateMessage" {
                    self.json.field_str("channel", "C05KYBWFZUZ");
                    let n = self.rng.range(20, 200) * weight;
                    let text = prose(&mut self.rng, n);
                    self.json.field_str("text", &text);
                    self.json.key("blocks");
                    let n = self.rng.range(10, 40);
                    let blocks = format!(
                        "[{{\"type\": \"section\", \"text\": {{\"type\": \"mrkdwn\", \"text\": \"*{}*\"}}}}]",
                        prose(&mut self.rng, n).replace(['"', '\\'], "'")
                    );
                    self.json.str(&blocks);
                } else {
                    self.json.key("to");
                    self.json.arr();
                    self.json.str("{{1.email}}");
                    self.json.end_arr();
                    let n = self.rng.range(4, 10);
                    let subject = prose(&mut self.rng, n);
                    self.json.field_str("subject", &subject);
                    self.json.field_str("contentType", "html");
                    let n = self.rng.range(3, 10) * weight;
                    let body = html(&mut self.rng, n);
                    self.json.key("html");
                    if self.rng.chance(30) {
                        self.json.str_ascii(&body);
                    } else {
                        self.json.str(&body);
                    }
                    self.json.key("attachments");
                    self.json.arr();
                    self.json.end_arr();
                }
            }
            _ => {
                // Field ids -> values, as Airtable, HubSpot, Sheets and data stores map them.
                let table = format!("<TABLE_0{}>", self.rng.range(1, 9));
                self.json.field_str("table", &table);
                self.json.key("record");
                self.json.obj();
                for _ in 0..self.rng.range(3, 6 + 3 * weight) {
                    let key = format!("fld{}", ident(&mut self.rng, 14));
                    self.json.key(&key);
                    match self.rng.below(5) {
                        0 => self.json.bool(self.rng.chance(50)),
                        1 => {
                            let v = format!(
                                "{{{{{}.{}}}}}",
                                self.rng.range(1, 60),
                                ident(&mut self.rng, 6)
                            );
                            self.json.str(&v);
                        }
                        2 => {
                            let n = self.rng.range(0, 100_000) as i64;
                            self.json.int(n);
                        }
                        _ => {
                            let n = self.rng.range(3, 40);
                            let v = prose(&mut self.rng, n);
                            self.json.str(&v);
                        }
                    }
                }
                self.json.end_obj();
                self.json.field_bool("typecast", false);
                self.json.field_bool("useColumnId", false);
            }
        }
        self.json.end_obj();
    }

    /// `metadata.expect`: the editor's field specs, nested for collections and arrays.
    pub(super) fn expect_specs(&mut self, count: usize) {
        self.json.key("expect");
        self.json.arr();
        for i in 0..count {
            self.json.obj();
            let name = format!("field{i}_{}", ident(&mut self.rng, 4));
            self.json.field_str("name", &name);
            let ty =
                *self
                    .rng
                    .pick(&["text", "select", "boolean", "number", "array", "collection"]);
            self.json.field_str("type", ty);
            let n = self.rng.range(1, 4);
            let label = prose(&mut self.rng, n);
            self.json.field_str("label", &label);
            if self.rng.chance(40) {
                self.json.field_bool("required", true);
            }
            match ty {
                "select" => {
                    self.json.key("validate");
                    self.json.obj();
                    self.json.key("enum");
                    self.json.arr();
                    for _ in 0..self.rng.range(2, 6) {
                        let v = ident(&mut self.rng, 7);
                        self.json.str(&v);
                    }
                    self.json.end_arr();
                    self.json.end_obj();
                }
                "array" | "collection" => {
                    self.json.key("spec");
                    self.json.arr();
                    for j in 0..self.rng.range(1, 4) {
                        self.json.obj();
                        self.json.field_str("name", &format!("sub{j}"));
                        self.json.field_str("type", "text");
                        self.json.field_str("label", "Value");
                        self.json.end_obj();
                    }
                    self.json.end_arr();
                }
                "number" if self.rng.chance(50) => {
                    self.json.key("validate");
                    self.json.obj();
                    self.json.field_int("min", 1);
                    self.json.field_int("max", 600);
                    self.json.end_obj();
                }
                _ => {}
            }
            self.json.end_obj();
        }
        self.json.end_arr();
    }

    /// `metadata` of a regular module; `conn` is the connection parameter it declares.
    pub(super) fn metadata(&mut self, conn: Option<(&str, &str, &str)>, echo: bool, legacy: bool) {
        self.json.key("metadata");
        self.json.obj();
        let named = self.rng.chance(10);
        self.designer(named);
        self.json.key("restore");
        self.json.obj();
        if let Some((key, _, chosen)) = conn {
            // Modern exports nest under `restore.parameters`, legacy ones put it directly.
            if !legacy {
                self.json.key("parameters");
                self.json.obj();
            }
            self.json.key(key);
            self.json.obj();
            self.json.key("data");
            self.json.obj();
            self.json.field_str("scoped", "true");
            self.json.field_str("connection", chosen);
            self.json.end_obj();
            let n = self.rng.range(1, 4);
            let label = format!(
                "{} ({}@example.com)",
                prose(&mut self.rng, n),
                ident(&mut self.rng, 6)
            );
            self.json.field_str("label", &label);
            self.json.end_obj();
            if !legacy {
                self.json.end_obj();
            }
        }
        self.json.key("expect");
        self.json.obj();
        for _ in 0..self.rng.range(1, 5) {
            let key = ident(&mut self.rng, 8);
            self.json.key(&key);
            self.json.obj();
            self.json.field_str("mode", "chose");
            if self.rng.chance(50) {
                let n = self.rng.range(1, 5);
                let label = prose(&mut self.rng, n);
                self.json.field_str("label", &label);
            }
            if self.rng.chance(20) {
                self.json.key("items");
                self.json.arr();
                for _ in 0..self.rng.range(2, 12) {
                    self.json.null();
                }
                self.json.end_arr();
            }
            self.json.end_obj();
        }
        self.json.end_obj();
        self.json.end_obj();
        if let Some((key, ty, _)) = conn.filter(|_| echo) {
            self.json.key("parameters");
            self.json.arr();
            self.json.obj();
            self.json.field_str("name", key);
            self.json.field_str("type", ty);
            self.json.field_str("label", "Connection");
            self.json.field_bool("required", true);
            self.json.end_obj();
            self.json.end_arr();
        }
        let n = self.rng.range(1, 8);
        self.expect_specs(n);
        if self.rng.chance(15) {
            self.json.key("interface");
            self.json.arr();
            for _ in 0..self.rng.range(1, 6) {
                self.json.obj();
                let name = ident(&mut self.rng, 9);
                self.json.field_str("name", &name);
                self.json.field_str("type", "text");
                self.json.end_obj();
            }
            self.json.end_arr();
        }
        self.json.end_obj();
    }

    pub(super) fn filter(&mut self) {
        self.json.key("filter");
        self.json.obj();
        let n = self.rng.range(2, 5);
        let name = prose(&mut self.rng, n);
        self.json.field_str("name", &name);
        self.json.key("conditions");
        self.json.arr();
        self.json.arr();
        self.json.obj();
        let a = format!("{{{{{}.status}}}}", self.rng.range(1, 40));
        self.json.field_str("a", &a);
        self.json.field_str("b", "approved");
        self.json.field_str("o", "text:equal:ci");
        self.json.end_obj();
        self.json.end_arr();
        self.json.end_arr();
        self.json.end_obj();
    }
}
