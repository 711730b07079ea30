//! The fix engine: from the fixes diagnostics carry to new file contents, and (on request) to
//! the files on disk.
//!
//! What it guarantees, in order:
//!
//! * only fixes at or below the chosen applicability are taken (`safe`, or `safe` and
//!   `unsafe`; `display_only` never);
//! * a fix is applied whole or not at all, across every file it touches;
//! * a fix whose edits overlap an edit already taken (from an earlier diagnostic, in report
//!   order) is skipped; identical edits from two fixes are made once;
//! * a file whose bytes differ from those lockscan analysed (by hash) is left alone, with every
//!   fix that touches it;
//! * edits are applied from the end of each file backwards, so each edit's position is that of
//!   the text that was analysed;
//! * every changed file is parsed again, and a file that no longer parses is rolled back with
//!   every fix that touches it (and so, transitively, the other files of those fixes);
//! * files are written atomically: a temporary file in the same directory, renamed over the
//!   original, with the original's permissions.
//!
//! [`plan`] computes everything without writing; [`write`] writes a plan.

use crate::diag::{Applicability, Diagnostic, Edit};
use crate::driver::Report;
use crate::span::{FileId, byte_offset};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// A changed file: what lockscan read and what the fixes make of it.
#[derive(Debug)]
pub struct FileChange {
    pub file: FileId,
    pub path: PathBuf,
    /// The path as displayed in diagnostics.
    pub display: String,
    pub old: String,
    pub new: String,
}

/// Why a fix was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Its edits overlap those of a fix applied before it; a second run may apply it.
    Overlap,
    /// A file it touches changed on disk after lockscan read it (or could not be read).
    Changed(String),
    /// A file it touches would no longer parse.
    WouldNotParse(String),
    /// An edit points outside its file or runs backwards.
    BadEdit,
}

#[derive(Debug)]
pub struct Skipped {
    pub rule: &'static str,
    pub reason: SkipReason,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Changed files, sorted by displayed path.
    pub changes: Vec<FileChange>,
    /// Diagnostics (by index in the report) whose fixes are applied.
    pub fixed: Vec<usize>,
    pub skipped: Vec<Skipped>,
}

/// An edit as a byte range of its file's text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ByteEdit {
    lo: usize,
    hi: usize,
    text: String,
}

/// Two edits conflict when their ranges overlap. Insertions at one point do not: they are made
/// in the order their fixes were taken (each inserts whole text, such as a `use` line or a
/// `drop(g);`). Identical edits are made once.
fn conflicts(a: &ByteEdit, b: &ByteEdit) -> bool {
    a != b && a.lo < b.hi && b.lo < a.hi
}

/// Applies non-overlapping edits to `text`, from the end backwards; insertions at one point
/// keep the order of `edits`.
fn apply(text: &str, edits: &[ByteEdit]) -> String {
    let mut sorted: Vec<(usize, &ByteEdit)> = edits.iter().enumerate().collect();
    sorted.sort_by_key(|(i, e)| (e.lo, e.hi, *i));
    let mut unique: Vec<&ByteEdit> = vec![];
    for (_, e) in sorted {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    let mut out = text.to_string();
    for e in unique.iter().rev() {
        out.replace_range(e.lo..e.hi, &e.text);
    }
    out
}

fn to_bytes(text: &str, e: &Edit) -> Option<ByteEdit> {
    // Positions count after a byte-order mark, as the parser read the file.
    let body = crate::parse::strip_bom(text);
    let skip = text.len() - body.len();
    let lo = skip + byte_offset(body, e.loc.span.lo);
    let hi = skip + byte_offset(body, e.loc.span.hi);
    (lo <= hi && hi <= text.len()).then(|| ByteEdit {
        lo,
        hi,
        text: e.replacement.clone(),
    })
}

/// Applies `edits` (all in one file) to the lines they touch, for showing a fix: returns the
/// first line number, the old lines and the new lines.
pub fn preview(text: &str, edits: &[&Edit]) -> Option<(u32, Vec<String>, Vec<String>)> {
    let text = crate::parse::strip_bom(text);
    let first = edits.iter().map(|e| e.loc.span.lo.line).min()?;
    let last = edits.iter().map(|e| e.loc.span.hi.line).max()?;
    let start = byte_offset(
        text,
        crate::span::Pos {
            line: first,
            col: 1,
        },
    );
    let end = text[start..]
        .match_indices('\n')
        .nth((last - first) as usize)
        .map(|(i, _)| start + i)
        .unwrap_or(text.len());
    let region = &text[start..end];
    let mut bytes = vec![];
    for e in edits {
        let b = to_bytes(text, e)?;
        if b.lo < start || b.hi > end {
            return None;
        }
        bytes.push(ByteEdit {
            lo: b.lo - start,
            hi: b.hi - start,
            text: b.text,
        });
    }
    for (i, a) in bytes.iter().enumerate() {
        if bytes[i + 1..].iter().any(|b| conflicts(a, b)) {
            return None;
        }
    }
    let new = apply(region, &bytes);
    Some((
        first,
        region.lines().map(str::to_string).collect(),
        new.lines().map(str::to_string).collect(),
    ))
}

/// Which fixes of the report to apply, and what the files become. Reads the files; writes
/// nothing.
pub fn plan(report: &Report, level: Applicability) -> Plan {
    let mut plan = Plan::default();
    if level == Applicability::DisplayOnly {
        return plan;
    }
    let candidates: Vec<(usize, &Diagnostic)> = report
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability <= level && !f.edits.is_empty())
        })
        .collect();
    // The files the fixes touch, as they are now, if they are what was analysed.
    let mut texts: BTreeMap<FileId, Result<String, String>> = BTreeMap::new();
    for (_, d) in &candidates {
        for e in &d.fix.as_ref().expect("filtered on fix").edits {
            texts.entry(e.loc.file).or_insert_with(|| {
                let path = &report.project.files[e.loc.file.0 as usize].path;
                let expected = report.hashes.get(e.loc.file.0 as usize).copied().flatten();
                match std::fs::read(path) {
                    Ok(bytes) if Some(crate::parse::source_hash(&bytes)) == expected => {
                        String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_string())
                    }
                    Ok(_) => Err("it changed on disk after lockscan read it".to_string()),
                    Err(e) => Err(format!("it could not be read again: {e}")),
                }
            });
        }
    }
    // Take fixes in report order, skipping those that conflict with one already taken.
    let mut taken: Vec<(usize, BTreeMap<FileId, Vec<ByteEdit>>)> = vec![];
    let mut by_file: BTreeMap<FileId, Vec<ByteEdit>> = BTreeMap::new();
    for (i, d) in &candidates {
        let fix = d.fix.as_ref().expect("filtered on fix");
        let mut edits: BTreeMap<FileId, Vec<ByteEdit>> = BTreeMap::new();
        let mut reason = None;
        for e in &fix.edits {
            match texts.get(&e.loc.file) {
                Some(Ok(text)) => match to_bytes(text, e) {
                    Some(b) => edits.entry(e.loc.file).or_default().push(b),
                    None => reason = Some(SkipReason::BadEdit),
                },
                Some(Err(why)) => {
                    reason = Some(SkipReason::Changed(format!(
                        "`{}`: {why}",
                        report.display_path(e.loc.file)
                    )))
                }
                None => reason = Some(SkipReason::BadEdit),
            }
        }
        let inner_conflict = edits.values().any(|es| {
            es.iter()
                .enumerate()
                .any(|(k, a)| es[k + 1..].iter().any(|b| conflicts(a, b)))
        });
        if reason.is_none() && inner_conflict {
            reason = Some(SkipReason::BadEdit);
        }
        if reason.is_none()
            && edits.iter().any(|(f, es)| {
                by_file
                    .get(f)
                    .is_some_and(|have| es.iter().any(|a| have.iter().any(|b| conflicts(a, b))))
            })
        {
            reason = Some(SkipReason::Overlap);
        }
        match reason {
            Some(reason) => plan.skipped.push(Skipped {
                rule: d.rule,
                reason,
            }),
            None => {
                for (f, es) in &edits {
                    by_file.entry(*f).or_default().extend(es.iter().cloned());
                }
                taken.push((*i, edits));
            }
        }
    }
    // Apply, re-parse, and roll back files that break (with every fix touching them) until
    // what is left parses.
    let mut rejected: BTreeSet<usize> = BTreeSet::new();
    let mut new_texts: BTreeMap<FileId, String> = BTreeMap::new();
    loop {
        let mut file_edits: BTreeMap<FileId, Vec<ByteEdit>> = BTreeMap::new();
        for (i, edits) in &taken {
            if rejected.contains(i) {
                continue;
            }
            for (f, es) in edits {
                file_edits.entry(*f).or_default().extend(es.iter().cloned());
            }
        }
        new_texts.clear();
        for (f, es) in &file_edits {
            if let Some(Ok(text)) = texts.get(f) {
                new_texts.insert(*f, apply(text, es));
            }
        }
        let broken = reparse(report, &new_texts);
        if broken.is_empty() {
            break;
        }
        for (f, why) in broken {
            for (i, edits) in &taken {
                if edits.contains_key(&f) && rejected.insert(*i) {
                    plan.skipped.push(Skipped {
                        rule: report.diagnostics[*i].rule,
                        reason: SkipReason::WouldNotParse(format!(
                            "`{}`: {why}",
                            report.display_path(f)
                        )),
                    });
                }
            }
        }
    }
    plan.fixed = taken
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| !rejected.contains(i))
        .collect();
    for (f, new) in new_texts {
        let Some(Ok(old)) = texts.remove(&f) else {
            continue;
        };
        if old == new {
            continue;
        }
        let src = &report.project.files[f.0 as usize];
        plan.changes.push(FileChange {
            file: f,
            path: src.path.clone(),
            display: src.display.clone(),
            old,
            new,
        });
    }
    plan.changes.sort_by(|a, b| a.display.cmp(&b.display));
    plan
}

/// The files among `texts` that no longer parse (as their crate's edition reads them), with the
/// reason. Parses on a thread with a large stack, as the first parse did.
fn reparse(report: &Report, texts: &BTreeMap<FileId, String>) -> Vec<(FileId, String)> {
    if texts.is_empty() {
        return vec![];
    }
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .stack_size(crate::parse::STACK_SIZE)
            .spawn_scoped(s, || {
                texts
                    .iter()
                    .filter_map(|(f, t)| {
                        let edition = report.project.edition(*f);
                        crate::parse::check_parses(t, edition)
                            .err()
                            .map(|e| (*f, e))
                    })
                    .collect::<Vec<_>>()
            });
        match worker {
            Ok(h) => h.join().unwrap_or_else(|_| {
                texts
                    .keys()
                    .map(|f| (*f, "the parser failed".to_string()))
                    .collect()
            }),
            Err(e) => texts
                .keys()
                .map(|f| (*f, format!("no thread to parse it: {e}")))
                .collect(),
        }
    })
}

/// Writes one file atomically: a temporary file beside it, then a rename over it.
fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.lockscan-{}.tmp", std::process::id()));
    let result = (|| {
        std::fs::write(&tmp, text)?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes the plan's changes. A file that changed on disk since it was planned is left alone.
/// Returns the files written, and the ones that could not be, with why.
pub fn write(plan: &Plan) -> (Vec<&FileChange>, Vec<(&FileChange, String)>) {
    let mut written = vec![];
    let mut failed = vec![];
    for c in &plan.changes {
        match std::fs::read(&c.path) {
            Ok(bytes) if bytes == c.old.as_bytes() => match write_atomic(&c.path, &c.new) {
                Ok(()) => written.push(c),
                Err(e) => failed.push((c, e.to_string())),
            },
            Ok(_) => failed.push((c, "it changed on disk while lockscan was fixing".into())),
            Err(e) => failed.push((c, e.to_string())),
        }
    }
    (written, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: usize, hi: usize, t: &str) -> ByteEdit {
        ByteEdit {
            lo,
            hi,
            text: t.into(),
        }
    }

    #[test]
    fn edits_apply_from_the_end() {
        let text = "let _ = m.lock();";
        let out = apply(text, &[e(4, 5, "_guard"), e(0, 0, "/* a */ ")]);
        assert_eq!(out, "/* a */ let _guard = m.lock();");
    }

    #[test]
    fn identical_edits_are_made_once_and_overlaps_conflict() {
        assert!(!conflicts(&e(0, 0, "use x;\n"), &e(0, 0, "use x;\n")));
        assert_eq!(
            apply("fn a() {}", &[e(0, 0, "use x;\n"), e(0, 0, "use x;\n")]),
            "use x;\nfn a() {}"
        );
        assert!(!conflicts(&e(0, 0, "a"), &e(0, 0, "b")));
        assert_eq!(apply("x", &[e(0, 0, "a"), e(0, 0, "b")]), "abx");
        assert!(conflicts(&e(2, 6, "a"), &e(5, 9, "b")));
        assert!(!conflicts(&e(2, 5, "a"), &e(5, 9, "b")));
        assert!(!conflicts(&e(5, 5, "a"), &e(5, 9, "b")));
    }
}
