//! What `bind` says: a report of its decisions (stderr), and the proposal of `--propose`, a
//! map file (remap's line format) with every candidate as a comment. Every text from a file
//! or the team's lists passes [`redact::clean`].

use std::fmt::Write as _;

use super::{Candidate, Choice, Decision, Outcome, Site};
use crate::redact;
use crate::remap::BlueprintFile;

/// `connection "<CONN_01>"`, `hook 1001`.
fn subject(d: &Decision) -> String {
    format!("{} {}", d.kind.name(), d.key.written())
}

/// `4101 "Slack" (slack2, scopes unknown)`
fn candidate(c: &Candidate) -> String {
    format!("{} {}", c.id, described(c))
}

/// `"Slack" (slack2, scopes unknown)`
fn described(c: &Candidate) -> String {
    let mut facts: Vec<&str> = Vec::new();
    if let Some(t) = &c.type_name {
        facts.push(t);
    }
    facts.extend(c.unsure.iter().copied());
    let mut s = format!("\"{}\"", c.name);
    if !facts.is_empty() {
        let _ = write!(s, " ({})", facts.join(", "));
    }
    s
}

/// Where the decision's references are: `a.json /flow/0/parameters/__IMTCONN__, ...`.
fn places(d: &Decision, sites: &[Site], files: &[BlueprintFile]) -> String {
    const SHOWN: usize = 3;
    let mut list: Vec<String> = d
        .sites
        .iter()
        .take(SHOWN)
        .map(|&i| {
            let s = &sites[i];
            format!("{} {}", files[s.file].path.display(), s.pointer)
        })
        .collect();
    if d.sites.len() > SHOWN {
        list.push(format!("and {} more", d.sites.len() - SHOWN));
    }
    list.join(", ")
}

/// What the decision's modules accept and need, one line per distinct module.
fn needs_lines(d: &Decision, sites: &[Site]) -> Vec<String> {
    let mut lines = Vec::new();
    for &i in &d.sites {
        let s = &sites[i];
        let module = s.module.as_deref().unwrap_or("a module");
        let accepts = match &s.needs.accepted {
            Some((types, source)) => format!("accepts {} (per {source})", types.join(", ")),
            None => "names no type it accepts: any fits".to_string(),
        };
        let mut line = format!("{module} {accepts}");
        if !s.needs.scopes.is_empty() {
            let scopes: Vec<String> = s.needs.scopes.iter().map(|n| n.display()).collect();
            let _ = write!(line, "; needs {}", scopes.join(", "));
        }
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// One line per decision (with its candidates when it is left unbound), for stderr. Bound
/// decisions are left out when `quiet`.
pub fn decisions_text(
    decisions: &[Decision],
    sites: &[Site],
    files: &[BlueprintFile],
    quiet: bool,
) -> String {
    let mut out = String::new();
    for d in decisions {
        let n = d.sites.len();
        let mut lines = Vec::new();
        match &d.outcome {
            Outcome::Bound { id, by } => {
                if quiet {
                    continue;
                }
                let chosen = d.candidates.iter().find(|c| c.id == *id);
                let how = match by {
                    Choice::Unique => "the only candidate",
                    Choice::Preferred => "chosen by --prefer",
                    Choice::MapFile => "chosen by the map file",
                };
                lines.push(format!(
                    "bound {} -> {} in {n} reference(s), {how}",
                    subject(d),
                    chosen.map_or(id.to_string(), candidate)
                ));
            }
            Outcome::Unbound { why } => {
                lines.push(format!(
                    "unbound {} in {n} reference(s) ({}): {why}",
                    subject(d),
                    places(d, sites, files)
                ));
                lines.extend(needs_lines(d, sites).into_iter().map(|l| format!("  {l}")));
                lines.extend(
                    d.candidates
                        .iter()
                        .map(|c| format!("  candidate {}", candidate(c))),
                );
            }
        }
        for line in lines {
            out.push_str(&redact::clean(&line));
            out.push('\n');
        }
    }
    out
}

/// The proposal: a map file (`KEY = NEW`, `#` comments) a person edits and gives back with
/// `--map-file`. A decision with one choice is an active line; every candidate of one left
/// unbound is a commented line to uncomment.
pub fn proposal_text(
    decisions: &[Decision],
    sites: &[Site],
    files: &[BlueprintFile],
    team: u64,
    source: &str,
) -> String {
    let mut out = format!(
        "# bplint bind --propose: team {team}, from {}.\n\
         # One entry per placeholder or old id: KEY = NEW_ID. To choose a candidate, remove the\n\
         # `#` before its line; then run bind again with --map-file naming this file.\n",
        redact::clean(source)
    );
    for d in decisions {
        out.push('\n');
        let key = d.key.written();
        let mut lines = vec![format!(
            "{} in {} reference(s): {}",
            subject(d),
            d.sites.len(),
            places(d, sites, files)
        )];
        lines.extend(needs_lines(d, sites));
        if let Outcome::Unbound { why } = &d.outcome {
            lines.push(format!("left unbound: {why}"));
        }
        for line in lines {
            let _ = writeln!(out, "# {}", redact::clean(&line));
        }
        // A placeholder shaped like a credential is not repeated: the person sees where it is.
        if redact::mask(&key) != key {
            out.push_str("# (its text looks like a secret and is not repeated here)\n");
            continue;
        }
        let bound = d.bound_to();
        for c in &d.candidates {
            let comment = if Some(c.id) == bound { "" } else { "# " };
            let _ = writeln!(
                out,
                "{comment}{key} = {}  # {}",
                c.id,
                redact::clean(&described(c))
            );
        }
    }
    out
}
