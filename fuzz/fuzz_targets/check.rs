//! Arbitrary bytes through the whole offline check: UTF-8 check, parse, model, rules and the
//! locating of every finding and reference. Any panic, overflow or hang is a bug: a blueprint
//! folder may hold anything.
#![no_main]

use std::sync::OnceLock;

use bplint::pipeline::{Options, check_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Building the rule set compiles regexes; once is enough.
    static OPTS: OnceLock<Options> = OnceLock::new();
    static BARE: OnceLock<Options> = OnceLock::new();
    let opts = OPTS.get_or_init(Options::default);
    // Without excerpts, positions come from one sweep resuming at the parser's line marks
    // instead of the full line index: both must give every finding the same lines and columns.
    let bare = BARE.get_or_init(|| Options {
        excerpts: false,
        ..Options::default()
    });
    // `explicit = true` also exercises the not-a-blueprint report.
    let result = check_bytes("fuzz.json", true, data, opts);
    // Every location must lie inside the input.
    for d in &result.diagnostics {
        if let Some(loc) = &d.location {
            assert!(
                loc.span.end as usize <= data.len(),
                "span past the end: {loc:?}"
            );
        }
    }
    let swept = check_bytes("fuzz.json", true, data, bare);
    assert_eq!(result.diagnostics.len(), swept.diagnostics.len());
    for (a, b) in result.diagnostics.iter().zip(&swept.diagnostics) {
        let (a, b) = (a.location.as_ref(), b.location.as_ref());
        assert_eq!(
            a.map(|l| (l.span, l.start, l.end)),
            b.map(|l| (l.span, l.start, l.end)),
            "index and sweep disagree"
        );
    }
    for loc in &result.reference_locations {
        assert!(
            loc.span.end as usize <= data.len(),
            "reference past the end: {loc:?}"
        );
    }
});
