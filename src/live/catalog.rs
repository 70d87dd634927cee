//! The module catalog (`rules/catalog/*.toml`): connection types a module accepts and the OAuth
//! scopes its action needs. The shipped files are compiled in; `--catalog DIR` adds more.

use std::path::Path;

use serde::Deserialize;

use crate::side_file::{SideFileKind, read_side_file};

/// The shipped catalog files, embedded so an installed binary has them.
const BUILTIN: &[(&str, &str)] = &[
    (
        "rules/catalog/airtable.toml",
        include_str!("../../rules/catalog/airtable.toml"),
    ),
    (
        "rules/catalog/github.toml",
        include_str!("../../rules/catalog/github.toml"),
    ),
    (
        "rules/catalog/google.toml",
        include_str!("../../rules/catalog/google.toml"),
    ),
    (
        "rules/catalog/hubspot.toml",
        include_str!("../../rules/catalog/hubspot.toml"),
    ),
    (
        "rules/catalog/microsoft.toml",
        include_str!("../../rules/catalog/microsoft.toml"),
    ),
    (
        "rules/catalog/notion.toml",
        include_str!("../../rules/catalog/notion.toml"),
    ),
    (
        "rules/catalog/salesforce.toml",
        include_str!("../../rules/catalog/salesforce.toml"),
    ),
    (
        "rules/catalog/slack.toml",
        include_str!("../../rules/catalog/slack.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    module: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(rename = "match")]
    pattern: String,
    types: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    docs: Option<String>,
    /// Where the types were seen (real exports, Make's SDK test data).
    source: Option<String>,
}

#[derive(Debug, Clone)]
struct Loaded {
    entry: Entry,
    source: String,
}

/// One required scope: any of the alternatives satisfies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeNeed {
    pub any_of: Vec<String>,
}

impl ScopeNeed {
    pub fn is_met_by(&self, granted: &[String]) -> bool {
        self.any_of.iter().any(|s| granted.iter().any(|g| g == s))
    }
    pub fn display(&self) -> String {
        self.any_of.join(" or ")
    }
}

/// What the catalog says about one module.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    pub types: Option<Vec<String>>,
    pub types_source: Option<String>,
    /// What the entry giving the types says they come from (`source = "..."`).
    pub types_evidence: Option<String>,
    pub scopes: Vec<ScopeNeed>,
    pub scopes_source: Option<String>,
    pub docs: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<Loaded>,
}

impl Catalog {
    /// The shipped catalog.
    pub fn builtin() -> Catalog {
        let mut c = Catalog::default();
        for (name, text) in BUILTIN {
            // The shipped files are tested to parse; a failure here is a build defect, so it
            // is reported loudly rather than skipped.
            if let Err(e) = c.add_text(text, name) {
                panic!("shipped catalog {name} is invalid: {e}");
            }
        }
        c
    }

    /// Adds every `*.toml` in `dir` (sorted by name); later entries win.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), String> {
        let read =
            std::fs::read_dir(dir).map_err(|e| format!("catalog folder {}: {e}", dir.display()))?;
        let mut files: Vec<_> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            // Every `*.toml` entry is read, so one that is not a regular file is an error,
            // not a catalog silently smaller than the user thinks.
            let text =
                read_side_file(&path, SideFileKind::CatalogFile).map_err(|e| e.to_string())?;
            self.add_text(&text, &path.display().to_string())?;
        }
        Ok(())
    }

    pub fn add_text(&mut self, text: &str, source: &str) -> Result<(), String> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
        for entry in file.module {
            if !entry.pattern.contains(':') {
                return Err(format!(
                    "{source}: `match = \"{}\"` must be `app:Action` or `app:*`",
                    entry.pattern
                ));
            }
            self.entries.push(Loaded {
                entry,
                source: source.to_string(),
            });
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What is known about `module` (`app:Action`): exact entries beat `app:*`, later beat earlier.
    pub fn lookup(&self, module: &str) -> ModuleInfo {
        let Some((app, _)) = module.split_once(':') else {
            return ModuleInfo::default();
        };
        let wildcard = format!("{app}:*");
        let mut info = ModuleInfo::default();
        let mut types_rank = 0;
        let mut scopes_rank = 0;
        for l in &self.entries {
            let rank = if l.entry.pattern == module {
                2
            } else if l.entry.pattern == wildcard {
                1
            } else {
                continue;
            };
            if let Some(t) = &l.entry.types {
                if rank >= types_rank {
                    types_rank = rank;
                    info.types = Some(t.clone());
                    info.types_source = Some(l.source.clone());
                    info.types_evidence = l.entry.source.clone();
                }
            }
            if let Some(s) = &l.entry.scopes {
                if rank >= scopes_rank {
                    scopes_rank = rank;
                    info.scopes = s
                        .iter()
                        .map(|alt| ScopeNeed {
                            any_of: alt
                                .split('|')
                                .map(|x| x.trim().to_string())
                                .filter(|x| !x.is_empty())
                                .collect(),
                        })
                        .filter(|n| !n.any_of.is_empty())
                        .collect();
                    info.scopes_source = Some(l.source.clone());
                    info.docs = l.entry.docs.clone();
                }
            }
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_parses_and_covers_the_promised_apps() {
        let c = Catalog::builtin();
        for module in [
            "slack:CreateMessage",
            "google-sheets:addRow",
            "google-drive:uploadAFile",
            "google-email:sendAnEmail",
            "google-calendar:ActionGetEvents",
            "github:createAnIssue",
            "microsoft-email:sendAnEmail",
            "salesforce:createRecord",
            "hubspotcrm:createContact",
            "airtable:ActionCreateRecord",
        ] {
            assert!(
                !c.lookup(module).scopes.is_empty(),
                "{module} has no scopes"
            );
        }
        assert!(c.lookup("notion:search").types.is_some());
        assert_eq!(
            c.lookup("slack:CreateMessage").scopes[0].any_of,
            ["chat:write"]
        );
        assert!(c.lookup("unknown:x").types.is_none());
        // Real Gmail exports declare either type; Drive's declare google-restricted.
        let gmail = c.lookup("google-email:sendAnEmail");
        for t in ["google-email", "google-restricted"] {
            assert!(gmail.types.as_ref().unwrap().iter().any(|x| x == t), "{t}");
        }
        assert!(gmail.types_evidence.unwrap().contains("real exports"));
        let drive = c.lookup("google-drive:uploadAFile").types.unwrap();
        assert!(drive.iter().any(|x| x == "google-restricted"));
    }

    #[test]
    fn exact_beats_wildcard_and_user_entries_win() {
        let mut c = Catalog::builtin();
        c.add_text(
            "[[module]]\nmatch = \"slack:CreateMessage\"\nscopes = [\"chat:write.public\"]\n",
            "user.toml",
        )
        .unwrap();
        assert_eq!(
            c.lookup("slack:CreateMessage").scopes[0].any_of,
            ["chat:write.public"]
        );
        assert!(
            c.lookup("slack:CreateMessage").types.is_some(),
            "types still come from slack:*"
        );
        assert!(
            c.add_text("[[module]]\nmatch = \"x\"\n", "bad.toml")
                .is_err()
        );
        assert!(
            c.add_text("[[module]]\nmatch = \"a:b\"\nscope = []\n", "typo.toml")
                .is_err()
        );
    }

    #[test]
    fn alternatives() {
        let need = ScopeNeed {
            any_of: vec!["a".into(), "b".into()],
        };
        assert!(need.is_met_by(&["b".into()]));
        assert!(!need.is_met_by(&["c".into()]));
    }
}
