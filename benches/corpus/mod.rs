//! Deterministic generator of synthetic Make.com blueprints for the throughput bench.
//!
//! The shapes follow real exports (see `/work/shared/samples/blueprints/01, 02, 04, 09`): module
//! objects with `id`, `module`, `version`, `parameters` (connection ids under `__IMTCONN__`,
//! legacy `account`, agents' `makeConnectionId`, `connection`), a `mapper` with long prompt and
//! HTML strings (escapes `\n`, `\"`, `\u00e9`, raw non-ASCII text, IML `{{1.x}}`), and
//! `metadata` with `designer`, `restore`, the `parameters` echo and the `expect` specs. Flows
//! nest through routers (up to [`MAX_NESTING`] deep), `onerror` routes (some holding routers),
//! If-Else `branches`, agent `tools` and `metadata.designer.orphans`. Indentation varies per file
//! like real exports do (4 spaces, 2 spaces, tabs, compact API responses).
//!
//! The same seed always gives the same bytes: the generator uses its own xorshift, never the
//! clock or a thread-local RNG. Each file records how many connection references it contains,
//! so the bench can check that every contender finds all of them, and [`validate`] checks with
//! serde_json alone that a file is valid JSON and a blueprint.

use std::fmt::Write as _;

/// Deepest module nesting a file reaches (modules inside routers inside routers ...).
pub const MAX_NESTING: u32 = 8;

/// xorshift64* (Vigna): small, fast, and stable across versions of everything.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so nearby seeds give unrelated streams; never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indent {
    /// `JSON.stringify(x, null, 4)`, as the editor's "Export blueprint" writes.
    Spaces4,
    Spaces2,
    Tabs,
    /// No whitespace, as API responses and some tools write.
    Compact,
}

/// One generated blueprint.
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Connection references the generator wrote (what the model must find).
    pub connection_refs: usize,
    pub modules: usize,
    pub max_depth: u32,
    pub indent: Indent,
}

/// A small streaming JSON writer that controls escaping and layout exactly.
struct Json {
    out: String,
    indent: Indent,
    /// One entry per open container: whether it already holds an item.
    open: Vec<bool>,
    after_key: bool,
}

impl Json {
    fn new(indent: Indent, capacity: usize) -> Self {
        Json {
            out: String::with_capacity(capacity),
            indent,
            open: Vec::new(),
            after_key: false,
        }
    }

    fn len(&self) -> usize {
        self.out.len()
    }

    fn newline(&mut self) {
        let unit = match self.indent {
            Indent::Compact => return,
            Indent::Spaces4 => "    ",
            Indent::Spaces2 => "  ",
            Indent::Tabs => "\t",
        };
        self.out.push('\n');
        for _ in 0..self.open.len() {
            self.out.push_str(unit);
        }
    }

    /// Separator and line break before an array item (nothing after a key).
    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has) = self.open.last_mut() {
            let had = *has;
            *has = true;
            if had {
                self.out.push(',');
            }
            self.newline();
        }
    }

    fn key(&mut self, k: &str) {
        let has = self.open.last_mut().expect("key inside an object");
        let had = *has;
        *has = true;
        if had {
            self.out.push(',');
        }
        self.newline();
        self.escaped(k, false);
        self.out.push(':');
        if self.indent != Indent::Compact {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    fn begin(&mut self, c: char) {
        self.before_value();
        self.out.push(c);
        self.open.push(false);
    }

    fn end(&mut self, c: char) {
        let had = self.open.pop().expect("end of an open container");
        if had {
            self.newline();
        }
        self.out.push(c);
    }

    fn obj(&mut self) {
        self.begin('{');
    }
    fn end_obj(&mut self) {
        self.end('}');
    }
    fn arr(&mut self) {
        self.begin('[');
    }
    fn end_arr(&mut self) {
        self.end(']');
    }

    fn raw(&mut self, text: &str) {
        self.before_value();
        self.out.push_str(text);
    }

    fn int(&mut self, n: i64) {
        self.before_value();
        write!(self.out, "{n}").unwrap();
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    fn null(&mut self) {
        self.raw("null");
    }

    fn str(&mut self, s: &str) {
        self.before_value();
        self.escaped(s, false);
    }

    /// A string whose non-ASCII characters are written as `\uXXXX` escapes (surrogate pairs
    /// above the BMP), as some tools do.
    fn str_ascii(&mut self, s: &str) {
        self.before_value();
        self.escaped(s, true);
    }

    fn escaped(&mut self, s: &str, ascii_only: bool) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if (c as u32) < 0x20 => write!(self.out, "\\u{:04x}", c as u32).unwrap(),
                c if ascii_only && !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        write!(self.out, "\\u{:04x}", u).unwrap();
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn field_str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }
    fn field_int(&mut self, k: &str, v: i64) {
        self.key(k);
        self.int(v);
    }
    fn field_bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.bool(v);
    }
}

/// An app module: name, version, and the connection it takes (parameter key, echo type,
/// chosen type).
struct App {
    module: &'static str,
    version: i64,
    conn: Option<(&'static str, &'static str, &'static str)>,
}

const APPS: &[App] = &[
    App {
        module: "slack:CreateMessage",
        version: 4,
        conn: Some(("__IMTCONN__", "account:slack2,slack3", "slack3")),
    },
    App {
        module: "google-sheets:addRow",
        version: 2,
        conn: Some(("__IMTCONN__", "account:google", "google")),
    },
    App {
        module: "google-sheets:filterRows",
        version: 2,
        conn: Some(("__IMTCONN__", "account:google", "google")),
    },
    App {
        module: "openai-gpt-3:CreateCompletion",
        version: 1,
        conn: Some(("__IMTCONN__", "account:openai-gpt-3", "openai-gpt-3")),
    },
    App {
        module: "airtable:ActionUpdateRecords",
        version: 3,
        conn: Some(("__IMTCONN__", "account:airtable3,airtable2", "airtable3")),
    },
    App {
        module: "hubspotcrm:createContact",
        version: 2,
        conn: Some(("__IMTCONN__", "account:hubspotcrm", "hubspotcrm")),
    },
    App {
        module: "email:ActionSendEmail",
        version: 7,
        conn: Some(("account", "account:smtp,google-restricted", "smtp")),
    },
    App {
        module: "notion:searchObjects",
        version: 2,
        conn: Some(("connection", "account:notion2,notion3", "notion3")),
    },
    App {
        module: "app#acme-crm-x7k2:createLead",
        version: 1,
        conn: Some((
            "__IMTCONN__",
            "account:app#acme-crm-x7k2",
            "app#acme-crm-x7k2",
        )),
    },
    App {
        module: "http:ActionSendData",
        version: 3,
        conn: None,
    },
    App {
        module: "util:SetVariables",
        version: 1,
        conn: None,
    },
    App {
        module: "json:ParseJSON",
        version: 1,
        conn: None,
    },
    App {
        module: "util:TextAggregator",
        version: 1,
        conn: None,
    },
    App {
        module: "gateway:WebhookRespond",
        version: 1,
        conn: None,
    },
    App {
        module: "datastore:AddRecord",
        version: 1,
        conn: None,
    },
];

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "lead", "customer", "follow-up", "draft", "message", "review", "reviewer", "notes",
    "priority", "category", "contact", "email", "WhatsApp", "phone", "request", "project",
    "business", "confirm", "details", "escalate", "uncertainty", "confidence", "tone",
    "professional", "specific", "safe", "human", "response", "invoice", "certificate", "match",
    "score", "fixture", "team", "schedule", "channel", "thread", "update", "record", "status",
    "café", "naïve", "Zürich", "résumé", "façade", "São", "Paulo", "Ærøskøbing", "Kraków", "日本語",
    "テスト", "données", "straße", "Ελληνικά", "русский", "→", "—", "…", "✓", "🚀", "“quoted”", "it’s",
    "{{1.name}}", "{{2.data.email}}", "{{formatDate(now; \"YYYY-MM-DD\")}}",
    "{{ifempty(3.`Linked Lead`; \"n/a\")}}", "{{var.scenario.executionId}}",
];

const ZONES: &[&str] = &[
    "eu1.make.com",
    "eu2.make.com",
    "us1.make.com",
    "us2.make.com",
];

/// Text of `words` words: sentences, line breaks (`\n`, sometimes `\r\n`), quotes and tabs.
fn prose(rng: &mut Rng, words: usize) -> String {
    let mut s = String::with_capacity(words * 8);
    let crlf = rng.chance(30);
    for i in 0..words {
        if i > 0 {
            match rng.below(40) {
                0..=2 => s.push_str(if crlf { ".\r\n\r\n" } else { ".\n\n" }),
                3..=5 => s.push_str(if crlf { "\r\n* " } else { "\n* " }),
                6 => s.push_str(". \""),
                7 => s.push_str("\" "),
                8 => s.push('\t'),
                9 | 10 => s.push_str(", "),
                _ => s.push(' '),
            }
        }
        let word = *rng.pick(WORDS);
        s.push_str(word);
    }
    s
}

fn html(rng: &mut Rng, paragraphs: usize) -> String {
    let mut s = String::from("<html><body style=\"font-family: Arial, sans-serif;\">\n");
    for _ in 0..paragraphs {
        let n = rng.range(10, 60);
        let text = prose(rng, n);
        write!(
            s,
            "<p class=\"para\">{text}</p>\n<a href=\"https://example.com/track?id={{{{1.id}}}}&amp;ref=mail\">link</a>\n"
        )
        .unwrap();
    }
    s.push_str("</body></html>");
    s
}

fn ident(rng: &mut Rng, len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| *rng.pick(ALNUM) as char).collect()
}

/// Names of scenario inputs that hold a default connection id (`io.input_spec`).
const INPUTS: &[(&str, &str)] = &[
    ("SlackConnection", "account:slack2,slack3"),
    ("GoogleConnection", "account:google"),
    ("OpenAIConnection", "account:openai-gpt-3"),
];

struct Gen {
    rng: Rng,
    json: Json,
    next_id: i64,
    refs: usize,
    modules: usize,
    max_depth: u32,
    x: i64,
}

impl Gen {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// A connection value: mostly integer ids, sometimes digit strings, expressions or
    /// template placeholders, as found in shared blueprints.
    fn connection_value(&mut self) {
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

    fn designer(&mut self, extra_name: bool) {
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
    fn mapper(&mut self, app: &App, weight: usize) {
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
    fn expect_specs(&mut self, count: usize) {
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
    fn metadata(&mut self, conn: Option<(&str, &str, &str)>, echo: bool, legacy: bool) {
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

    fn filter(&mut self) {
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

    /// A regular app module, possibly with an error handler route.
    fn app_module(&mut self, depth: u32, end: usize) {
        let app = self.rng.pick(APPS);
        self.modules += 1;
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", app.module);
        self.json.field_int("version", app.version);
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
    fn modules_in_error_route(&mut self, depth: u32, end: usize) {
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
        self.modules += 1;
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", directive);
        self.json.field_int("version", 1);
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
    fn flow(&mut self, depth: u32, end: usize, deep: bool) {
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

    fn router(&mut self, depth: u32, end: usize, deep: bool) {
        self.modules += 1;
        self.max_depth = self.max_depth.max(depth);
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", "builtin:BasicRouter");
        self.json.field_int("version", 1);
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

    fn if_else(&mut self, depth: u32, end: usize) {
        self.modules += 1;
        self.max_depth = self.max_depth.max(depth);
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", "builtin:BasicIfElse");
        self.json.field_int("version", 1);
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
    fn agent(&mut self, depth: u32, end: usize) {
        self.modules += 1;
        self.max_depth = self.max_depth.max(depth);
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json
            .field_str("module", "ai-local-agent:RunLocalAIAgent");
        self.json.field_int("version", 0);
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

    fn trigger(&mut self) {
        self.modules += 1;
        self.json.obj();
        let id = self.id();
        self.json.field_int("id", id);
        self.json.field_str("module", "gateway:CustomWebHook");
        self.json.field_int("version", 1);
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

/// Generates one blueprint of about `target_bytes` bytes (at least a few KB).
pub fn blueprint(seed: u64, target_bytes: usize, indent: Indent) -> File {
    let mut g = Gen {
        rng: Rng::new(seed),
        json: Json::new(indent, target_bytes + target_bytes / 8 + 4096),
        next_id: 0,
        refs: 0,
        modules: 0,
        max_depth: 0,
        x: 0,
    };
    // Reserve room for orphans and scenario metadata at the end.
    let tail = (target_bytes / 20).max(1_000);
    let flow_end = target_bytes.saturating_sub(tail);

    g.json.obj();
    let n = g.rng.range(2, 6);
    let name = format!("{} — {}", prose(&mut g.rng, n), ident(&mut g.rng, 4));
    g.json.field_str("name", &name);
    g.json.key("flow");
    g.json.arr();
    g.trigger();
    g.flow(0, flow_end, target_bytes >= 150_000);
    g.json.end_arr();

    g.json.key("metadata");
    g.json.obj();
    g.json.field_bool("instant", true);
    g.json.field_int("version", 1);
    g.json.key("scenario");
    g.json.obj();
    g.json.field_int("roundtrips", 1);
    g.json.field_int("maxErrors", 3);
    g.json.field_bool("autoCommit", true);
    g.json.field_bool("autoCommitTriggerLast", true);
    g.json.field_bool("sequential", false);
    g.json.key("slots");
    g.json.null();
    g.json.field_bool("confidential", false);
    g.json.field_bool("dataloss", false);
    g.json.field_bool("dlq", false);
    g.json.field_bool("freshVariables", false);
    g.json.end_obj();
    g.json.key("designer");
    g.json.obj();
    g.json.key("orphans");
    g.json.arr();
    if g.rng.chance(60) {
        let end = target_bytes.saturating_sub(tail / 2);
        for _ in 0..g.rng.range(1, 3) {
            g.json.arr();
            g.flow(0, end.min(g.json.len() + tail / 4), false);
            g.json.end_arr();
        }
    }
    g.json.end_arr();
    g.json.end_obj();
    let zone = *g.rng.pick(ZONES);
    g.json.field_str("zone", zone);
    g.json.key("notes");
    g.json.arr();
    for _ in 0..g.rng.range(0, 3) {
        g.json.obj();
        g.json.key("moduleIds");
        g.json.arr();
        let m = g.rng.range(1, g.next_id as usize) as i64;
        g.json.int(m);
        g.json.end_arr();
        let n = g.rng.range(10, 60);
        let content = format!("<p><em>{}</em></p>", prose(&mut g.rng, n));
        g.json.key("content");
        g.json.str_ascii(&content);
        g.json.field_bool("isFilterNote", false);
        g.json.key("metadata");
        g.json.obj();
        g.json.field_str("color", "#9138FE");
        g.json.end_obj();
        g.json.end_obj();
    }
    g.json.end_arr();
    g.json.end_obj();

    g.json.key("io");
    g.json.obj();
    g.json.key("input_spec");
    g.json.arr();
    for (name, ty) in INPUTS {
        g.json.obj();
        g.json.field_str("name", name);
        g.json.field_str("type", ty);
        g.json.field_str("label", name);
        g.json.field_bool("required", true);
        let d = g.rng.range(100_000, 9_999_999) as i64;
        g.json.field_int("default", d);
        g.json.end_obj();
    }
    g.json.end_arr();
    g.json.key("output_spec");
    g.json.arr();
    g.json.end_arr();
    g.json.end_obj();
    g.json.end_obj();
    if indent != Indent::Compact {
        g.json.out.push('\n');
    }

    File {
        name: String::new(),
        bytes: g.json.out.into_bytes(),
        connection_refs: g.refs,
        modules: g.modules,
        max_depth: g.max_depth,
        indent,
    }
}

/// Smallest and largest file of a corpus.
pub const MIN_FILE: usize = 10 * 1024;
pub const MAX_FILE: usize = 5 * 1024 * 1024;

/// A corpus of about `total_bytes`: file sizes log-uniform in `MIN_FILE..=MAX_FILE` (the
/// first file is the largest size and the second the smallest, so the range is always
/// covered), indentation mixed like real exports.
pub fn corpus(seed: u64, total_bytes: usize) -> Vec<File> {
    let mut rng = Rng::new(seed);
    let max = MAX_FILE.min(total_bytes.max(MIN_FILE));
    let mut files = Vec::new();
    let mut sum = 0;
    while sum < total_bytes {
        let size = match files.len() {
            0 => max,
            1 => MIN_FILE,
            _ => {
                let ln = (MIN_FILE as f64).ln()
                    + rng.unit() * ((max as f64).ln() - (MIN_FILE as f64).ln());
                ln.exp() as usize
            }
        };
        let size = size.min(total_bytes - sum).max(MIN_FILE);
        let indent = match rng.below(10) {
            0..=4 => Indent::Spaces4,
            5 | 6 => Indent::Spaces2,
            7 => Indent::Tabs,
            _ => Indent::Compact,
        };
        let mut f = blueprint(rng.next_u64(), size, indent);
        f.name = format!(
            "bench-{:03}-{}k.blueprint.json",
            files.len(),
            f.bytes.len() / 1024
        );
        sum += f.bytes.len();
        files.push(f);
    }
    files
}

/// Checks that `f` is valid JSON and a plausible blueprint, independently of bplint.
pub fn validate(f: &File) -> Result<(), String> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(&f.bytes).map_err(|e| format!("{}: {e}", f.name))?;
    let flow = v
        .get("flow")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: no top-level flow array", f.name))?;
    if flow.is_empty() {
        return Err(format!("{}: empty flow", f.name));
    }
    if !v.get("metadata").is_some_and(Value::is_object) {
        return Err(format!("{}: no metadata object", f.name));
    }
    // Every module has an integer id (unique in the file) and an `app:action` name.
    let mut ids = std::collections::HashSet::new();
    let mut modules = 0;
    let mut check = |m: &Value| -> Result<(), String> {
        modules += 1;
        let id = m.get("id").and_then(Value::as_i64);
        let name = m.get("module").and_then(Value::as_str);
        match (id, name) {
            (Some(id), Some(n)) if n.contains(':') && ids.insert(id) => Ok(()),
            _ => Err(format!("{}: bad module {}", f.name, m)),
        }
    };
    for_each_module(&v, &mut check)?;
    if modules != f.modules {
        return Err(format!(
            "{}: {modules} modules found, {} generated",
            f.name, f.modules
        ));
    }
    Ok(())
}

/// Calls `f` for every module of a blueprint held as a `serde_json::Value`: `flow`, router
/// `routes[].flow`, `onerror`, If-Else `branches[].flow`, agent `tools[].flow`, and
/// `metadata.designer.orphans[]` (groups of modules, or single modules).
pub fn for_each_module<'a, E>(
    root: &'a serde_json::Value,
    f: &mut dyn FnMut(&'a serde_json::Value) -> Result<(), E>,
) -> Result<(), E> {
    use serde_json::Value;
    let mut flows: Vec<&'a Value> = Vec::new();
    flows.extend(root.get("flow"));
    if let Some(orphans) = root
        .get("metadata")
        .and_then(|m| m.get("designer"))
        .and_then(|d| d.get("orphans"))
        .and_then(Value::as_array)
    {
        flows.extend(orphans.iter());
    }
    while let Some(flow) = flows.pop() {
        let items: &[Value] = match flow {
            Value::Array(items) => items,
            Value::Object(_) => std::slice::from_ref(flow),
            _ => &[],
        };
        for m in items {
            let Value::Object(obj) = m else { continue };
            f(m)?;
            if let Some(onerror) = obj.get("onerror") {
                flows.push(onerror);
            }
            for key in ["routes", "branches", "tools"] {
                if let Some(Value::Array(list)) = obj.get(key) {
                    flows.extend(list.iter().filter_map(|r| r.get("flow")));
                }
            }
        }
    }
    Ok(())
}
