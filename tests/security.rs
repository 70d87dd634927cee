//! The attacker's view: files and answers written to leak secrets or to inject text into
//! terminals and CI logs, and a repository config that tries to send the token elsewhere.
//! Every format, stdout and stderr: no secret text appears, no control character or bidi
//! override gets through raw, and every document format still parses.

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::bin::{Run, bplint_in, run_cmd};

const FORMATS: &[&str] = &["human", "compact", "json", "sarif", "github", "junit"];

/// Secret shapes, each placed where a rule other than `hardcoded-secret` quotes it.
fn secrets() -> Vec<String> {
    vec![
        concat!("xoxb-", "2222222222-quotedplaceholder").into(),
        concat!("ghp_", "abcdefghijklmnopqrstuvwxyz0123456789").into(),
        "sk_live_quotedinurl1234567890".into(),
        "hunter2userinfo".into(),
        "querytokenvalue42".into(),
        "AKIDEXAMPLEQUERY".into(),
    ]
}

/// What a hostile text tries to do in a log: a GitHub workflow command on a line of its own.
const INJECTED: &str = "::error file=pwned.json,line=1::injected";

fn hostile_blueprint() -> String {
    let s = secrets();
    // JSON escapes become real control characters once decoded: rules quote decoded text.
    let evil = r#"\n::error file=pwned.json,line=1::injected\u001b]0;title\u0007\u001b[2J\u202e\ufffe\u0085"#;
    format!(
        r#"{{
  "name": "scenario{evil}",
  "flow": [
    {{"id": 1, "module": "slack:CreateMessage{evil}", "version": 4,
      "parameters": {{"__IMTCONN__": "{slack}"}},
      "metadata": {{"designer": {{"messages": [{{"category": "x", "severity": "warning", "message": "designer{evil}"}}]}}}}}},
    {{"id": 2, "module": "github:createIssue", "version": 1,
      "parameters": {{"__IMTCONN__": "{ghp}"}}}},
    {{"id": 3, "module": "http:ActionSendData", "version": 3,
      "mapper": {{"url": "http://api.example.com/v1?api_key={stripe}&x={evil}", "method": "get"}}}},
    {{"id": 4, "module": "http:ActionSendData", "version": 3,
      "mapper": {{"url": "http://user:{userinfo}@api.example.com/x?token={query}&AWSAccessKeyId={aws}", "method": "get"}}}},
    {{"id": 5, "module": "slack:CreateMessage", "version": 4, "parameters": {{"__IMTCONN__": 1001}}}},
    {{"id": "x{evil}", "module": "bad name{evil}"}}
  ],
  "metadata": {{"version": 1}}
}}
"#,
        slack = s[0],
        ghp = s[1],
        stripe = s[2],
        userinfo = s[3],
        query = s[4],
        aws = s[5],
    )
}

/// A snapshot whose connection name is hostile (live findings quote it) and holds a secret.
fn hostile_snapshot() -> String {
    let evil = r#"\n::error file=pwned.json,line=1::injected\u001b[31m\u202e"#;
    format!(
        r#"{{"teamId": 100, "connections": [
  {{"id": 1001, "name": "conn{evil} {slack}", "accountName": "slack2{evil}", "accountType": "oauth",
    "teamId": 100, "expire": "2020-01-01T00:00:00Z", "scopes": []}}
]}}"#,
        slack = secrets()[0]
    )
}

fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.json"), hostile_blueprint()).unwrap();
    // A file name that is itself an injection: names reach every format.
    let name = format!("name\n{INJECTED}\u{1b}[2J\u{202e}.json");
    std::fs::write(dir.path().join(name), hostile_blueprint()).unwrap();
    // A broken file: its excerpt is shown raw by the human format.
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"name\": \"x\u{1b}]0;t\u{7}\u{202e}\", \"flow\": [ \r\u{1b}[2J \n",
    )
    .unwrap();
    std::fs::write(dir.path().join("snapshot.json"), hostile_snapshot()).unwrap();
    dir
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(
            !text.contains(&s),
            "{what}: the secret {s:?} is printed:\n{text}"
        );
    }
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{fffe}', '\u{85}', '\r'] {
        assert!(
            !text.contains(bad),
            "{what}: raw {bad:?} reaches the output:\n{}",
            text.escape_debug()
        );
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with(INJECTED),
            "{what}: an injected workflow command has a line of its own:\n{text}"
        );
    }
}

fn check(dir: &Path, format: &str) -> Run {
    run_cmd(
        bplint_in(dir),
        &[
            "check",
            ".",
            "--format",
            format,
            "--color",
            "never",
            "--connections",
            "snapshot.json",
            "--now",
            "2026-03-01T00:00:00Z",
            "--verbose",
        ],
    )
}

#[test]
fn hostile_corpus_leaks_nothing_and_injects_nothing_in_any_format() {
    let dir = corpus();
    for format in FORMATS {
        let r = check(dir.path(), format);
        assert_eq!(r.code, 1, "{format}: {}\n{}", r.stdout, r.stderr);
        assert_clean(&format!("{format} stdout"), &r.stdout);
        assert_clean(&format!("{format} stderr"), &r.stderr);
        match *format {
            "json" | "sarif" => {
                serde_json::from_str::<serde_json::Value>(&r.stdout)
                    .unwrap_or_else(|e| panic!("{format} is not JSON: {e}"));
            }
            "junit" => {
                roxmltree::Document::parse(&r.stdout)
                    .unwrap_or_else(|e| panic!("junit is not well-formed XML: {e}\n{}", r.stdout));
            }
            _ => {}
        }
    }
}

#[test]
fn a_declarative_rules_texts_are_cleaned_in_every_format() {
    // A rule file is repository text like a blueprint: its message, label, help and summary
    // reach every format and must be masked and neutralised like what rules quote.
    let dir = corpus();
    let evil = r"\n::error file=pwned.json,line=1::injected\u001b[2J\u202e";
    let slack = &secrets()[0];
    let rule = format!(
        r#"[[rule]]
code = "EVIL001"
name = "evil-rule"
summary = "summary{evil} {slack}"
scope = "scenario"
given = "$.name"
message = "message{evil} {slack}"
label = "label{evil} {slack}"
help = "help{evil} {slack}"
then = {{ function = "pattern", match = "^nothing matches this$" }}
"#
    );
    std::fs::write(dir.path().join("hostile-rules.toml"), rule).unwrap();
    for format in FORMATS {
        let r = run_cmd(
            bplint_in(dir.path()),
            &[
                "check",
                "hostile.json",
                "--format",
                format,
                "--color",
                "never",
                "--rules",
                "hostile-rules.toml",
                "--verbose",
            ],
        );
        assert!(
            r.stdout.contains("EVIL001"),
            "{format}: {}\n{}",
            r.stdout,
            r.stderr
        );
        assert_clean(&format!("{format} stdout"), &r.stdout);
        assert_clean(&format!("{format} stderr"), &r.stderr);
    }
    for args in [
        &["rules", "--rules", "hostile-rules.toml"][..],
        &["explain", "EVIL001", "--rules", "hostile-rules.toml"],
    ] {
        let r = run_cmd(bplint_in(dir.path()), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stdout.contains("EVIL001") || r.stdout.contains("evil-rule"));
        assert_clean(&format!("{args:?} stdout"), &r.stdout);
    }
}

#[test]
fn the_findings_still_say_what_they_are_about() {
    let dir = corpus();
    let r = check(dir.path(), "compact");
    // The placeholder is named as one, masked; the escaped injection is shown escaped.
    assert!(r.stdout.contains("BP011"), "{}", r.stdout);
    assert!(r.stdout.contains("****"), "{}", r.stdout);
    assert!(
        r.stdout.contains("\\n::error file=pwned.json"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\\u{1b}"), "{}", r.stdout);
    assert!(r.stdout.contains("\\u{202e}"), "{}", r.stdout);
}

#[test]
fn refs_and_inventory_mask_and_neutralize_too() {
    let dir = corpus();
    for args in [
        vec!["refs", "."],
        vec!["refs", ".", "--format", "json"],
        vec![
            "inventory",
            ".",
            "--team",
            "100",
            "--connections",
            "snapshot.json",
            "--now",
            "2026-03-01T00:00:00Z",
        ],
        vec![
            "inventory",
            ".",
            "--team",
            "100",
            "--connections",
            "snapshot.json",
            "--format",
            "markdown",
        ],
    ] {
        let r = run_cmd(bplint_in(dir.path()), &args);
        assert_clean(&format!("{args:?} stdout"), &r.stdout);
        assert_clean(&format!("{args:?} stderr"), &r.stderr);
    }
}

/// A listener that counts the connections made to it (and answers none of them).
struct Listener {
    url: String,
    accepted: Arc<AtomicUsize>,
}

fn listener() -> Listener {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v2", socket.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in socket.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut s) = stream {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                // Closing without an answer: the client reports a transport error.
            }
        }
    });
    Listener { url, accepted }
}

const TOKEN: &str = "tok-3f1c-never-printed-anywhere";

fn online(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    std::fs::write(
        dir.join("a.json"),
        r#"{"name":"a","flow":[{"id":1,"module":"slack:CreateMessage","version":4,"parameters":{"__IMTCONN__":1001}}],"metadata":{"version":1}}"#,
    )
    .unwrap();
    let mut cmd = bplint_in(dir);
    cmd.env("MAKE_API_TOKEN", TOKEN)
        .env_remove("BPLINT_API_URL")
        .env_remove("BPLINT_ZONE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut args = vec![
        "check",
        "a.json",
        "--online",
        "--team",
        "1",
        "--max-retries",
        "0",
        "--timeout",
        "5",
    ];
    args.extend(extra);
    let r = run_cmd(cmd, &args);
    assert!(!r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN));
    r
}

#[test]
fn a_config_api_url_outside_make_is_refused_before_any_request() {
    let l = listener();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bplint.toml"),
        format!("api_url = \"{}\"\n", l.url),
    )
    .unwrap();
    let r = online(dir.path(), &[], &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not a Make host"), "{}", r.stderr);
    assert!(r.stderr.contains("--api-url"), "{}", r.stderr);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(l.accepted.load(Ordering::SeqCst), 0, "the token went out");
}

#[test]
fn a_config_api_url_with_a_password_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bplint.toml"),
        "api_url = \"https://collector:hunter2userinfo@evil.example/api/v2\"\n",
    )
    .unwrap();
    let r = online(dir.path(), &[], &[]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("hunter2userinfo"), "{}", r.stderr);
}

#[test]
fn command_line_and_environment_win_over_the_config() {
    for how in ["--api-url", "BPLINT_API_URL"] {
        let l = listener();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bplint.toml"),
            "api_url = \"https://evil.example/api/v2\"\nzone = \"eu2\"\n",
        )
        .unwrap();
        let r = if how == "--api-url" {
            online(dir.path(), &["--api-url", &l.url], &[])
        } else {
            online(dir.path(), &[], &[("BPLINT_API_URL", &l.url)])
        };
        assert_eq!(r.code, 2, "{how}: {}", r.stderr);
        assert!(!r.stderr.contains("evil.example"), "{how}: {}", r.stderr);
        assert!(!r.stderr.contains("not a Make host"), "{how}: {}", r.stderr);
        assert!(l.accepted.load(Ordering::SeqCst) >= 1, "{how}: never asked");
    }
}

#[test]
fn zone_on_the_command_line_beats_the_config_api_url() {
    let l = listener();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bplint.toml"),
        format!("api_url = \"{}\"\n", l.url),
    )
    .unwrap();
    // No network here: what matters is where it went (Make's host), never the config's.
    let r = online(dir.path(), &["--zone", "eu1"], &[]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("not a Make host"), "{}", r.stderr);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(l.accepted.load(Ordering::SeqCst), 0);
}

mod token_in_answers {
    use super::*;
    use serde_json::json;
    use support::make_server::{MakeServer, real_row};

    /// Long enough that cutting an error text to 200 characters could cut it in two.
    /// Shaped like a Make API key (a UUID v4), so it is sent as `Token`.
    const TOKEN: &str = "3f1c9a2e-7d2e-4b8a-9c1d-5e6f7a8b9c0d";

    fn run(server: &MakeServer, format: &str) -> Run {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            r#"{"name":"a","flow":[
              {"id":1,"module":"slack:CreateMessage","version":4,"parameters":{"__IMTCONN__":1001}},
              {"id":2,"module":"slack:CreateMessage","version":4,"parameters":{"__IMTCONN__":2002}}],
              "metadata":{"version":1}}"#,
        )
        .unwrap();
        let mut cmd = bplint_in(dir.path());
        cmd.env("MAKE_API_TOKEN", TOKEN);
        run_cmd(
            cmd,
            &[
                "check",
                "a.json",
                "--online",
                "--team",
                "1",
                "--api-url",
                server.base_url(),
                "--max-retries",
                "0",
                "--format",
                format,
                "--verbose",
            ],
        )
    }

    #[test]
    fn a_token_echoed_in_answers_is_never_printed_not_even_in_part() {
        let mut row = real_row(1001, &format!("conn {TOKEN} end"), "slack2", 1, &[]);
        row["expire"] = json!("2020-01-01T00:00:00.000Z");
        // 180 characters, then the token: a cut at 200 leaves its first 20 characters.
        let echo = format!("{}{TOKEN}", "a".repeat(180));
        let server = MakeServer::builder()
            .token(TOKEN)
            .team(1, vec![row])
            .status_message("/connections/2002", 403, &echo)
            .start();
        for format in FORMATS {
            let r = run(&server, format);
            assert_eq!(r.code, 2, "{format}: {}\n{}", r.stdout, r.stderr);
            for text in [&r.stdout, &r.stderr] {
                assert!(!text.contains(&TOKEN[..12]), "{format}: {text}");
            }
            // The finding about the expired connection is still there, its name masked.
            assert!(r.stdout.contains("BP101"), "{format}: {}", r.stdout);
        }
    }
}

#[test]
fn remap_dry_run_diff_masks_secrets_in_context_lines() {
    let dir = tempfile::tempdir().unwrap();
    let secret = &secrets()[1];
    std::fs::write(
        dir.path().join("a.json"),
        format!(
            "{{\"name\":\"a\",\"flow\":[{{\"id\":1,\"module\":\"github:createIssue\",\"version\":1,\n\"parameters\":{{\"__IMTCONN__\":1001}},\n\"mapper\":{{\"token\":\"{secret}\",\"t\":\"\\u001b\u{202e}\"}}}}],\"metadata\":{{\"version\":1}}}}\n"
        ),
    )
    .unwrap();
    let r = run_cmd(
        bplint_in(dir.path()),
        &["remap", "--map", "1001=2002", "--dry-run", "a.json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2002"), "{}", r.stdout);
    assert_clean("remap --dry-run", &r.stdout);
    assert_clean("remap --dry-run stderr", &r.stderr);
}
