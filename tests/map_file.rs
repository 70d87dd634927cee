//! `bplint remap --map-file`: the JSON form refuses what the `OLD=NEW` form refuses.

mod support;

use support::bin::run;

#[test]
fn a_json_map_file_repeating_an_old_id_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lead-router.blueprint.json");
    std::fs::copy("fixtures/demo/lead-router.blueprint.json", &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    let map = dir.path().join("map.json");
    // serde_json reading this into a map would keep 2002 and rewrite 1001 without a word.
    std::fs::write(&map, "{\"1001\": 2001, \"1001\": 2002}\n").unwrap();

    let r = run(&[
        "remap",
        file.to_str().unwrap(),
        "--map-file",
        map.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("map.json") && r.stderr.contains("ambiguous"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written");

    // The same pair twice is no ambiguity.
    std::fs::write(&map, "{\"1001\": 2001, \"1001\": \"2001\"}\n").unwrap();
    let r = run(&[
        "remap",
        file.to_str().unwrap(),
        "--map-file",
        map.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"__IMTCONN__\": 2001"), "{}", r.stdout);
}
