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

mod flow;
mod json;
mod module;
mod text;

use json::Json;
use text::{INPUTS, ZONES, ident, prose};

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

struct Gen {
    rng: Rng,
    json: Json,
    next_id: i64,
    refs: usize,
    modules: usize,
    max_depth: u32,
    x: i64,
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
