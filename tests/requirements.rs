//! Module requirements (accepted types, required scopes) from Make itself, the SDK Apps API for
//! custom apps, snapshots that check exactly like the API, and `bplint catalog`: the binary
//! against the Make API test server on 127.0.0.1.

mod support;

use support::bin::run;

#[test]
fn catalog_command_shows_the_built_in_catalog_and_its_sources_offline() {
    let r = run(&[
        "catalog",
        "google-email:sendAnEmail@2",
        "google-drive:uploadAFile",
        "acme:DoThing",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("google-email:sendAnEmail (version 2)"),
        "{}",
        r.stdout
    );
    // Real Gmail exports declare either type: the catalog accepts both, and says why.
    assert!(
        r.stdout.contains(
            "accepted types:  google-email, google-restricted  [catalog: rules/catalog/google.toml]"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("real exports declare"), "{}", r.stdout);
    assert!(
        r.stdout.contains("acme:DoThing (version latest)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("unknown (no scope check)  [no source knows]"),
        "{}",
        r.stdout
    );

    let r = run(&["catalog", "slack:CreateMessage", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v[0]["module"], "slack:CreateMessage");
    assert_eq!(v[0]["scopes"][0][0], "chat:write");
    assert_eq!(v[0]["scopes_source"]["source"], "catalog");

    for bad in ["slack", "slack:CreateMessage@x"] {
        let r = run(&["catalog", bad]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(r.stderr.contains(bad), "{}", r.stderr);
    }
}
