use super::*;

fn map(text: &str) -> IdMap {
    let mut m = IdMap::new();
    parse_pairs(text, "--map", &mut m).unwrap();
    m
}

/// Plans the rewrite of `src` (as `a.json`) with the connection ids of `pairs` (`111=9001,...`).
fn connections_plan(src: impl Into<Vec<u8>>, pairs: &str) -> FilePlan {
    plan(
        Path::new("a.json"),
        src.into(),
        &map(pairs),
        &[RefKind::Connection],
    )
    .unwrap()
    .unwrap()
}

const SRC: &str = "{\"flow\": [\n  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 111, \"x\": 111}},\n  {\"id\": 2, \"module\": \"a:b\", \"parameters\": {\"account\": \" 222 \"}, \"mapper\": {\"n\": 222}}\n]}\n";

#[test]
fn only_id_tokens_change_and_the_round_trip_is_exact() {
    let p = connections_plan(SRC, "111=9001,222=9002");
    assert_eq!(p.edits.len(), 2);
    let out = String::from_utf8(p.rewritten()).unwrap();
    assert_eq!(
        out,
        SRC.replacen("\"__IMTCONN__\": 111", "\"__IMTCONN__\": 9001", 1)
            .replace("\" 222 \"", "\" 9002 \"")
    );
    let back = connections_plan(out, "9001=111,9002=222");
    assert_eq!(back.rewritten(), SRC.as_bytes());
}

#[test]
fn ambiguous_and_malformed_maps_are_refused() {
    let mut m = IdMap::new();
    assert!(
        parse_pairs("1=2,1=3", "--map", &mut m)
            .unwrap_err()
            .contains("ambiguous")
    );
    assert!(parse_pairs("1=2,1=2", "--map", &mut IdMap::new()).is_ok());
    assert!(parse_pairs("1:2", "--map", &mut IdMap::new()).is_err());
    assert!(parse_pairs("0=2", "--map", &mut IdMap::new()).is_err());
}

#[test]
fn diff_shows_the_changed_line() {
    let p = connections_plan(SRC, "111=9001");
    let d = p.diff();
    assert!(
        d.contains("-  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 111"),
        "{d}"
    );
    assert!(
        d.contains("+  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 9001"),
        "{d}"
    );
}

#[test]
fn a_file_changed_since_it_was_read_stops_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, SRC).unwrap();
    std::fs::write(&b, SRC).unwrap();
    let m = map("111=9001");
    let plans: Vec<FilePlan> = [&a, &b]
        .iter()
        .map(|p| {
            plan(p, std::fs::read(p).unwrap(), &m, &[RefKind::Connection])
                .unwrap()
                .unwrap()
        })
        .collect();
    let edited = SRC.replace("\"a:b\"", "\"c:d\"");
    std::fs::write(&b, &edited).unwrap();
    let err = apply(&plans).unwrap_err().to_string();
    assert!(err.contains("changed since it was read"), "{err}");
    assert!(err.ends_with("; nothing was written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        SRC,
        "a.json untouched"
    );
    assert_eq!(
        std::fs::read_to_string(&b).unwrap(),
        edited,
        "b.json keeps the other edit"
    );
    std::fs::write(&b, SRC).unwrap();
    assert_eq!(apply(&plans).unwrap(), 2);
    assert!(std::fs::read_to_string(&a).unwrap().contains("9001"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left behind");
}

/// Plans `SRC` with 111 -> 9001 for each path (written with `SRC` first).
fn planned(paths: &[&Path]) -> Vec<FilePlan> {
    let m = map("111=9001");
    paths
        .iter()
        .map(|p| {
            std::fs::write(p, SRC).unwrap();
            plan(p, SRC.as_bytes().to_vec(), &m, &[RefKind::Connection])
                .unwrap()
                .unwrap()
        })
        .collect()
}

/// [`planned`] for `names` in `dir` (their folders created), with their paths.
fn planned_in<const N: usize>(dir: &Path, names: [&str; N]) -> ([PathBuf; N], Vec<FilePlan>) {
    let paths = names.map(|name| dir.join(name));
    for parent in paths.iter().filter_map(|p| p.parent()) {
        std::fs::create_dir_all(parent).unwrap();
    }
    let plans = planned(&paths.each_ref().map(|p| p.as_path()));
    (paths, plans)
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn a_failed_rename_after_others_restores_the_files_already_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b, c], plans) = planned_in(dir.path(), ["a.json", "sub/b.json", "c.json"]);
    let staged = stage(&plans).unwrap();
    assert_eq!(staged.len(), 3);
    // b's new text vanishes between staging and renaming: its rename fails after a's.
    std::fs::remove_file(&staged.temp_paths()[1].0).unwrap();
    let err = staged.commit().unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, ApplyError::RolledBack { restored, .. } if restored == std::slice::from_ref(&a)),
        "{err:?}"
    );
    assert!(text.starts_with("cannot replace "), "{text}");
    assert!(
        text.contains("the 1 file(s) already rewritten were restored")
            && text.contains("a.json")
            && text.ends_with("so nothing was changed"),
        "{text}"
    );
    for f in [&a, &b, &c] {
        assert_eq!(std::fs::read_to_string(f).unwrap(), SRC, "{}", f.display());
    }
    assert_eq!(
        files_in(dir.path()),
        3,
        "no temporary files left (a, c, sub)"
    );
    assert_eq!(files_in(&dir.path().join("sub")), 1);
}

#[test]
fn a_failed_rollback_names_the_files_rewritten_and_the_files_not() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b, c], plans) = planned_in(dir.path(), ["a.json", "b.json", "c.json"]);
    let staged = stage(&plans).unwrap();
    let temps = staged.temp_paths();
    // b's rename fails, and so does restoring a (its copy of the original is gone).
    std::fs::remove_file(&temps[1].0).unwrap();
    std::fs::remove_file(&temps[0].1).unwrap();
    let err = staged.commit().unwrap_err();
    match &err {
        ApplyError::Partial {
            rewritten,
            unchanged,
            ..
        } => {
            assert_eq!(rewritten, std::slice::from_ref(&a));
            assert_eq!(unchanged, &[b.clone(), c.clone()]);
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("the run is partial"), "{text}");
    assert!(
        text.contains(&format!("rewritten with the new ids: {};", a.display()))
            && text.contains(&format!("as they were: {}, {}", b.display(), c.display())),
        "{text}"
    );
    assert!(std::fs::read_to_string(&a).unwrap().contains("9001"));
    assert_eq!(std::fs::read_to_string(&b).unwrap(), SRC);
    assert_eq!(std::fs::read_to_string(&c).unwrap(), SRC);
}

#[test]
fn an_edit_made_between_staging_and_renaming_is_kept_and_the_run_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b], plans) = planned_in(dir.path(), ["a.json", "b.json"]);
    let staged = stage(&plans).unwrap();
    let edited = SRC.replace("\"a:b\"", "\"c:d\"");
    std::fs::write(&b, &edited).unwrap();
    let err = staged.commit().unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{} changed since it was read", b.display())),
        "{text}"
    );
    assert!(matches!(err, ApplyError::RolledBack { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), SRC, "a restored");
    assert_eq!(
        std::fs::read_to_string(&b).unwrap(),
        edited,
        "b's edit kept"
    );
    assert_eq!(files_in(dir.path()), 2);
}

#[cfg(unix)]
#[test]
fn a_symlink_is_kept_and_its_target_rewritten_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("store")).unwrap();
    let target = dir.path().join("store/a.json");
    let link = dir.path().join("a.json");
    let mut plans = planned(&[&target]);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    plans.extend(planned(&[&link]));
    assert_eq!(apply(&plans).unwrap(), 1, "one file behind two names");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&target).unwrap().contains("9001"));
    assert_eq!(files_in(&dir.path().join("store")), 1);
}

#[test]
fn only_the_digits_of_a_quoted_id_are_located() {
    for (inner, digits) in [
        ("1001", Some("1001")),
        (" 1001 ", Some("1001")),
        ("\\t1001", Some("1001")),
        ("\\u00201001\\n", Some("1001")),
        ("\\u0031001", Some("\\u0031001")),
        ("1001\\u00a0", Some("1001")),
        ("10 01", None),
        ("\\ud83d1001", None),
        ("x1001", None),
        ("", None),
    ] {
        assert_eq!(id_digits(inner).map(|r| &inner[r]), digits, "{inner}");
    }
}

#[test]
fn an_identity_map_changes_no_byte_even_behind_escapes() {
    let src = "{\"flow\": [{\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": \"\\u0031001\", \"account\": \"\\t1002\"}}]}";
    let same = connections_plan(src, "1001=1001,1002=1002");
    assert_eq!(same.edits.len(), 2);
    assert!(!same.changes_bytes());
    assert_eq!(same.rewritten(), src.as_bytes());
    let changed = connections_plan(src, "1001=7,1002=8");
    assert_eq!(
        String::from_utf8(changed.rewritten()).unwrap(),
        src.replace("\\u0031001", "7").replace("\\t1002", "\\t8")
    );
}

#[test]
fn a_json_map_with_a_duplicate_key_is_ambiguous() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    let load = |text: &str| {
        std::fs::write(&path, text).unwrap();
        let mut m = IdMap::new();
        load_map_file(&path, &mut m).map(|()| m)
    };
    let err = load("{\"1001\": 2001, \"1001\": 3001}").unwrap_err();
    assert!(
        err.ends_with(
            "m.json:1:16: id 1001 is mapped to both 2001 (line 1) and 3001; the map is ambiguous"
        ),
        "{err}"
    );
    // Keys are ids, however they are written.
    let err = load("{\"1001\": 2001,\n \" 1001\": \"3001\"}").unwrap_err();
    assert!(
        err.contains(":2:2: id 1001 is mapped to both 2001 (line 1)"),
        "{err}"
    );
    let m = load("\u{feff}{\"1001\": 2001, \"1001\": \"2001\", \"5\": 6}").unwrap();
    assert_eq!(m, IdMap::from([(1001, 2001), (5, 6)]));
    let err = load("{\"1001\": -3}").unwrap_err();
    assert!(
        err.contains("m.json:1:2: `\"1001\": -3` is not a pair"),
        "{err}"
    );
    assert!(load("[1, 2]").is_err());
    assert!(load("{\"1\": 2").unwrap_err().contains("invalid JSON"));
}

#[test]
fn a_json_map_repeating_an_old_id_is_refused_like_the_line_form() {
    let mut m = IdMap::new();
    let e = parse_map_text("{\"1\": 2, \"1\": 3}", "m.json", &mut m).unwrap_err();
    assert!(e.contains("m.json") && e.contains("ambiguous"), "{e}");
    let mut m = IdMap::new();
    parse_map_text("{\"1\": 2, \" 1\": \"2\", \"4\": 5}", "m.json", &mut m).unwrap();
    assert_eq!(m, IdMap::from([(1, 2), (4, 5)]));
    let mut m = IdMap::new();
    parse_map_text("# old=new\n1=2\n\n4 = 5 # why\n", "m.txt", &mut m).unwrap();
    assert_eq!(m, IdMap::from([(1, 2), (4, 5)]));
    let e = parse_map_text("[1, 2]", "m.json", &mut IdMap::new()).unwrap_err();
    assert!(e.starts_with("m.json: "), "{e}");
}

#[test]
fn bind_maps_take_placeholders_as_keys_in_both_forms() {
    let mut m = KeyMap::new();
    parse_map_text(
        "\"<CONN_01>\" = 4101   # \"Slack\" (slack2), one, two\n\
         {{YOUR_GMAIL}}=4102\n1001 = 4103\n\"a,#=\\\"\\u00e9\" = 4104\n",
        "m.txt",
        &mut m,
    )
    .unwrap();
    assert_eq!(
        m,
        KeyMap::from([
            (MapKey::Id(1001), 4103),
            (MapKey::Placeholder("<CONN_01>".into()), 4101),
            (MapKey::Placeholder("a,#=\"é".into()), 4104),
            (MapKey::Placeholder("{{YOUR_GMAIL}}".into()), 4102),
        ])
    );
    // What `written` gives reads back as the same key, in ASCII.
    for key in m.keys() {
        let line = format!("{} = 7", key.written());
        assert!(line.is_ascii(), "{line}");
        let mut back = KeyMap::new();
        parse_pairs(&line, "m.txt", &mut back).unwrap();
        assert_eq!(back.keys().collect::<Vec<_>>(), [key], "{line}");
    }
    let mut m = KeyMap::new();
    parse_map_text("{\"<CONN_01>\": 4101, \"7\": \"8\"}", "m.json", &mut m).unwrap();
    assert_eq!(m.len(), 2);
    // Expressions are no placeholders; remap's maps still take ids only.
    let e = parse_pairs("{{1.id}}=5", "m.txt", &mut KeyMap::new()).unwrap_err();
    assert!(
        e.contains("is not a positive integer id or a placeholder"),
        "{e}"
    );
    let e = parse_pairs("<CONN_01>=5", "--map", &mut IdMap::new()).unwrap_err();
    assert!(
        e.contains("`<CONN_01>` is not a positive integer id"),
        "{e}"
    );
    let e = parse_pairs("\"<A>\"=1,\"<A>\"=2", "m", &mut KeyMap::new()).unwrap_err();
    assert!(
        e.contains("placeholder \"<A>\" is mapped to both 1 and 2"),
        "{e}"
    );
}
