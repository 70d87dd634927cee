//! Arbitrary bytes as an answer about module requirements (Make's `credential-requests` and
//! SDK Apps answers, JSON or JSON with comments), and as a module name from a blueprint.
//! Asserted: no panic; what the readers accept holds no empty module name, and a module name
//! never yields an app version with an empty app.
#![no_main]

use bplint::live::requirements::{
    AppVersion, parse_app_connections, parse_jsonc, parse_modules_with_credentials,
    parse_scope_section, parse_sdk_connection, parse_sdk_module,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(answer) = parse_jsonc(body) {
        if let Ok(modules) = parse_modules_with_credentials(&answer) {
            assert!(modules.keys().all(|m| !m.is_empty()), "{modules:?}");
        }
        let _ = parse_sdk_module(&answer);
        let _ = parse_scope_section(&answer);
        let _ = parse_sdk_connection(&answer);
        let _ = parse_app_connections(&answer);
    }
    if let Ok(name) = std::str::from_utf8(body) {
        let version = body.first().map(|b| i64::from(*b) - 128);
        if let Some((app, module)) = AppVersion::of_module(name, version) {
            assert!(!app.app.is_empty() && !module.is_empty());
            let _ = app.custom_name();
        }
    }
});
