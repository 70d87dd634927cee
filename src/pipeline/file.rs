//! One file: read it (within its size limit, refusing what is not a regular file), parse,
//! model, run the offline rules, and locate the findings.

use std::io::Read;

use super::{FileResult, Options, Status};
use crate::discover::Input;
use crate::finding::Finding;
use crate::finding::location::Positions;
use crate::json::{self, Span};
use crate::model::{self, Detected};
use crate::report::{Diagnostic, Location, Related, SourceIndex};
use crate::rules::{Context, file};

impl FileResult {
    /// A file that could not be read at all (the run exits 2), and why.
    fn unreadable(display: &str, reason: &str) -> Self {
        Self::problem(
            display,
            Status::Unreadable,
            0,
            file::unreadable_file::finding(reason),
            None,
        )
    }

    /// A file of `bytes` bytes, over the `limit`: reported, not read.
    fn too_large(display: &str, bytes: u64, limit: u64) -> Self {
        Self::problem(
            display,
            Status::Invalid,
            bytes,
            file::file_too_large::finding(bytes, limit),
            None,
        )
    }

    fn problem(
        display: &str,
        status: Status,
        bytes: u64,
        finding: Finding,
        location: Option<Location>,
    ) -> Self {
        FileResult {
            display: display.to_string(),
            status,
            bytes,
            scenario: None,
            reference_locations: Vec::new(),
            diagnostics: vec![Diagnostic::new(finding, display, location)],
            modules: 0,
            references: 0,
        }
    }
}

/// Reads at most `limit + 1` bytes, so a file that grows past the limit is caught too. `size`
/// (the file's length from its metadata) sizes the buffer so that the file arrives in one
/// read, without the regrowth copies of an empty `Vec`; one spare byte lets the read that
/// confirms the end find no room problem.
fn read_limited(reader: &mut dyn Read, limit: u64, size: u64) -> std::io::Result<Vec<u8>> {
    let capacity = size.min(limit).saturating_add(1);
    let mut buf = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok(buf)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file (it vanished while checking)".into(),
        _ => e.to_string(),
    }
}

/// Reads and checks one input.
pub fn check_input(input: &Input, opts: &Options) -> FileResult {
    let display = input.display();
    let (bytes, explicit) = match input {
        Input::Stdin => match read_limited(&mut std::io::stdin().lock(), opts.max_file_size, 0) {
            Ok(b) => (b, true),
            Err(e) => {
                return FileResult::unreadable(display, &io_reason(&e));
            }
        },
        Input::File { path, explicit, .. } => {
            // A FIFO or device named as a blueprint would block the run or never end: refused
            // from its metadata, before it is opened (and opened non-blocking in case the path
            // is swapped in between; the opened file's metadata is checked again below).
            if let Ok(meta) = std::fs::metadata(path) {
                if !meta.is_file() && !meta.is_dir() {
                    let what = crate::side_file::file_type_name(&meta.file_type());
                    return FileResult::unreadable(
                        display,
                        &format!("is {what}, not a regular file; only regular files are read"),
                    );
                }
            }
            let opened =
                crate::side_file::open_nonblocking(path).and_then(|f| Ok((f.metadata()?, f)));
            match opened {
                Ok((meta, _)) if !meta.is_file() && !meta.is_dir() => {
                    return FileResult::unreadable(
                        display,
                        "is not a regular file; only regular files are read",
                    );
                }
                Err(e) => {
                    return FileResult::unreadable(display, &io_reason(&e));
                }
                Ok((meta, _)) if meta.is_dir() => {
                    return FileResult::unreadable(display, "is a folder");
                }
                Ok((meta, _)) if meta.len() > opts.max_file_size => {
                    return FileResult::too_large(display, meta.len(), opts.max_file_size);
                }
                Ok((meta, mut f)) => match read_limited(&mut f, opts.max_file_size, meta.len()) {
                    Ok(b) => (b, *explicit),
                    Err(e) => {
                        return FileResult::unreadable(display, &io_reason(&e));
                    }
                },
            }
        }
    };
    if bytes.len() as u64 > opts.max_file_size {
        let n = bytes.len() as u64;
        return FileResult::too_large(display, n, opts.max_file_size);
    }
    check_bytes(display, explicit, &bytes, opts)
}

/// Checks the bytes of one file. `explicit`: the file was named, so a non-blueprint is reported.
pub fn check_bytes(display: &str, explicit: bool, bytes: &[u8], opts: &Options) -> FileResult {
    let n = bytes.len() as u64;
    // simdutf8's validation is several times faster than std's on ASCII-heavy exports; only
    // when it fails is std asked where the first bad byte is (its error carries the offset).
    let checked = match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => std::str::from_utf8(bytes),
    };
    let src = match checked {
        Ok(s) => s,
        Err(e) => {
            let valid = e.valid_up_to();
            // Index only the valid prefix: positions up to the bad byte are exact.
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let idx = SourceIndex::new(prefix, Vec::new());
            let loc = idx.locate(Span::new(valid, valid));
            return FileResult::problem(
                display,
                Status::Invalid,
                n,
                file::invalid_json::invalid_utf8(valid, bytes.len()),
                Some(loc),
            );
        }
    };
    let doc = match json::parse(src) {
        Ok(doc) => doc,
        Err(err) => {
            let finding = file::invalid_json::syntax_error(src.len(), &err);
            let loc = SourceIndex::new(src, Vec::new()).locate(finding.span);
            return FileResult::problem(display, Status::Invalid, n, finding, Some(loc));
        }
    };
    let (form, root, base) = match model::detect(doc.root()) {
        Detected::Blueprint { form, root, base } => (form, root, base),
        Detected::NotBlueprint { reason } => {
            if !explicit {
                return FileResult {
                    display: display.to_string(),
                    status: Status::Skipped,
                    bytes: n,
                    scenario: None,
                    reference_locations: Vec::new(),
                    diagnostics: Vec::new(),
                    modules: 0,
                    references: 0,
                };
            }
            let finding = file::not_a_blueprint::finding(doc.root().span(), &reason);
            let loc = SourceIndex::new(src, Vec::new()).locate(finding.span);
            return FileResult::problem(display, Status::Invalid, n, finding, Some(loc));
        }
    };
    let scenario = model::build(&doc, root, form, base);
    let cx = Context::new(&doc, &scenario, &opts.offline);
    let findings = if opts.run_rules {
        opts.rules.run_offline(&cx)
    } else {
        Vec::new()
    };
    // Only the human format shows excerpts, which need every line start (and the secrets to
    // mask); other formats print positions only, found in one sweep over the offsets used.
    let locator = if opts.excerpts {
        let secrets: Vec<Span> = findings.iter().filter_map(|f| f.secret).collect();
        Locator::Index(SourceIndex::new(src, secrets))
    } else {
        let mut offsets = Vec::new();
        let mut add = |span: Span| offsets.extend([span.start, span.end.max(span.start)]);
        for f in &findings {
            add(f.span);
            f.related.iter().for_each(|(span, _)| add(*span));
        }
        if opts.keep_model {
            scenario.references.iter().for_each(|r| add(r.span));
        }
        Locator::Sweep(Positions::with_marks(src, offsets, doc.line_marks()))
    };
    let locate = |span: Span| match &locator {
        Locator::Index(index) => index.locate(span),
        Locator::Sweep(positions) => positions.locate_bare(span),
    };
    let shown = crate::redact::clean(display);
    let mut diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|f| {
            let loc = locate(f.span);
            let related = f
                .related
                .iter()
                .map(|(span, label)| Related {
                    location: locate(*span),
                    label: crate::redact::clean(label),
                })
                .collect();
            Diagnostic::in_file(f, shown.clone(), Some(loc)).with_related(related)
        })
        .collect();
    diagnostics.sort_by_key(|d| d.location.as_ref().map_or(0, |l| l.span.start));
    let (modules, references) = (scenario.modules.len(), scenario.references.len());
    let (scenario, reference_locations) = if opts.keep_model {
        let locations = scenario.references.iter().map(|r| locate(r.span)).collect();
        (Some(scenario), locations)
    } else {
        (None, Vec::new())
    };
    FileResult {
        display: display.to_string(),
        status: Status::Blueprint,
        bytes: n,
        scenario,
        reference_locations,
        diagnostics,
        modules,
        references,
    }
}

/// How one file's findings are located: with excerpts from a full index, or bare positions.
enum Locator<'a> {
    Index(SourceIndex<'a>),
    Sweep(Positions),
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRUCTURE: &str = include_str!("../../fixtures/cases/structure.json");

    #[test]
    fn modelling_without_rules_keeps_the_model_and_runs_no_rule() {
        let checked = check_bytes("s.json", true, STRUCTURE.as_bytes(), &Options::default());
        assert!(!checked.diagnostics.is_empty(), "the fixture has findings");
        let opts = Options {
            run_rules: false,
            ..Options::default()
        };
        let modelled = check_bytes("s.json", true, STRUCTURE.as_bytes(), &opts);
        assert!(modelled.diagnostics.is_empty());
        let scenario = modelled.scenario.expect("the model is kept");
        assert_eq!(
            scenario.references.len(),
            modelled.reference_locations.len()
        );
        assert_eq!(modelled.modules, checked.modules);
    }
}
