use super::*;

fn ok(src: &str) -> Doc<'_> {
    parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {e}"))
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(_) => panic!("{src:?} should not parse"),
        Err(e) => e,
    }
}

#[test]
fn agrees_with_serde_json_on_validity() {
    let cases = [
        "{}",
        "[]",
        "0",
        "-0",
        "1.5e10",
        "-1E-2",
        "\"a\\u00e9\\n\"",
        "{\"a\":[1,2,{\"b\":null}],\"c\":true}",
        " \t\r\n{ \"x\" : false } \n",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "1.",
        ".5",
        "1e",
        "+1",
        "[1 2]",
        "{\"a\" 1}",
        "{a:1}",
        "\"\\x\"",
        "\"\\u12G4\"",
        "tru",
        "nul",
        "[",
        "{\"a\":",
        "\"abc",
        "\"a\tb\"",
        "1 2",
        "",
        "   ",
        "[[[]]]",
        "{\"\":\"\"}",
        "\"\u{1F600}\"",
    ];
    for src in cases {
        let ours = parse(src).is_ok();
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(src).is_ok();
        assert_eq!(ours, theirs, "disagreement on {src:?}");
    }
}

#[test]
fn spans_slice_the_exact_value() {
    let src = "\u{feff}{ \"name\" : \"Ré\\\"x\", \"flow\": [ {\"id\": 12, \"x\": -1.5e3}, null ] }";
    let doc = ok(src);
    let root = doc.root();
    assert!(root.raw().starts_with('{'));
    assert_eq!(root.span().start, 3, "spans are file offsets past the BOM");
    let name = root.get("name").unwrap();
    assert_eq!(name.raw(), "\"Ré\\\"x\"");
    assert_eq!(name.as_str().unwrap(), "Ré\"x");
    let flow = root.get("flow").unwrap();
    let first = flow.elements().next().unwrap();
    assert_eq!(first.get("id").unwrap().as_i64(), Some(12));
    assert_eq!(first.get("x").unwrap().raw(), "-1.5e3");
    assert_eq!(flow.elements().count(), 2);
    assert!(flow.elements().nth(1).unwrap().is_null());
    let keys: Vec<_> = root.members().map(|m| m.key_str().into_owned()).collect();
    assert_eq!(keys, ["name", "flow"]);
    for m in root.members() {
        assert_eq!(&src[m.key.span().range()], m.key.raw());
    }
}

#[test]
fn error_offsets_point_at_the_fault() {
    let e = err("{\"a\": 1,\n \"b\": }");
    assert_eq!(e.kind, ParseErrorKind::ExpectedValue);
    assert_eq!(e.offset, 15);
    let e = err("[1,2,]");
    assert_eq!(e.kind, ParseErrorKind::TrailingComma);
    assert_eq!(e.offset, 4);
    let e = err("{\"datastore\": {{id}}}");
    assert_eq!(e.kind, ParseErrorKind::ExpectedKey);
    assert_eq!(e.offset, 15);
    assert_eq!(err("").kind, ParseErrorKind::Empty);
    assert_eq!(
        err("\"a\nb\"").kind,
        ParseErrorKind::ControlCharacterInString
    );
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let deep = "[".repeat(200_000) + &"]".repeat(200_000);
    let e = err(&deep);
    assert_eq!(e.kind, ParseErrorKind::TooDeep);
    assert_eq!(e.offset, MAX_DEPTH);
    let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    ok(&fine);
}

#[test]
fn unescape_handles_surrogates() {
    let doc = ok(r#"["\ud83d\ude00", "\ud800x", "\u0041\/"]"#);
    let v: Vec<_> = doc
        .root()
        .elements()
        .map(|e| e.as_str().unwrap().into_owned())
        .collect();
    assert_eq!(v, ["\u{1F600}", "\u{FFFD}x", "A/"]);
}

#[test]
fn pointer_tokens_are_escaped() {
    let mut p = String::new();
    push_pointer_token(&mut p, "a/b~c");
    assert_eq!(p, "/a~1b~0c");
}

#[test]
fn decoded_strings_match_serde_json() {
    let cases = [
        r#""plain""#,
        r#""a\nb\r\n\t\"q\" \\ \/ \b\f""#,
        r#""caf\u00e9 \ud83d\ude00 日本 é""#,
        r#""lone \ud800 high, lone \udc00 low, \ud800\u0041 unpaired""#,
        r#""\u0000\u001f end\\""#,
        r#""long run before the escape: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n and after""#,
    ];
    for src in cases {
        let doc = ok(src);
        let ours = doc.root().as_str().expect("a string").into_owned();
        // serde_json refuses lone surrogates; bplint decodes them as U+FFFD, as JSON.parse
        // keeps them and a lossy decoder shows them.
        let theirs: String = serde_json::from_str(src).unwrap_or_else(|_| ours.clone());
        assert_eq!(ours, theirs, "{src}");
    }
    let lone = ok(r#""x\ud800y""#);
    assert_eq!(lone.root().as_str().unwrap(), "x\u{FFFD}y");
}

/// Duplicate keys are found as objects close (inner ones first) but listed in document order:
/// by object, then by the later key; chains pair each key with the nearest earlier one.
#[test]
fn duplicate_keys_in_document_order() {
    let wide: String = (0..20).map(|i| format!("\"k{i}\":{i},")).collect();
    let src = format!(
        r#"{{"a":1,"b":{{"x":1,"y":{{"q":1,"q":2}},"x":2}},"a":2,"m\u006f":3,"mo":4,"a":5,"w":{{{wide}"k3":0}}}}"#
    );
    let doc = parse(&src).unwrap();
    let pairs: Vec<(String, usize, usize)> = doc
        .duplicate_keys()
        .map(|(e, l)| {
            (
                e.as_str().unwrap().into_owned(),
                e.span().range().start,
                l.span().range().start,
            )
        })
        .collect();
    let at = |needle: &str, nth: usize| src.match_indices(needle).nth(nth).unwrap().0;
    assert_eq!(
        pairs,
        [
            ("a".into(), at("\"a\"", 0), at("\"a\"", 1)),
            ("mo".into(), at("\"m\\u006f\"", 0), at("\"mo\"", 0)),
            ("a".into(), at("\"a\"", 1), at("\"a\"", 2)),
            ("x".into(), at("\"x\"", 0), at("\"x\"", 1)),
            ("q".into(), at("\"q\"", 0), at("\"q\"", 1)),
            ("k3".into(), at("\"k3\"", 0), at("\"k3\"", 1)),
        ]
    );
    // The last of each is the one read.
    let root = doc.root();
    assert_eq!(root.get("a").unwrap().raw(), "5");
    assert_eq!(root.get("mo").unwrap().raw(), "4");
    assert_eq!(root.get("b").unwrap().get("x").unwrap().raw(), "2");
    assert_eq!(root.get("w").unwrap().get("k3").unwrap().raw(), "0");
    assert_eq!(root.members().count(), 4);
}
