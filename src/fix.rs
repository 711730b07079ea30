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
use crate::driver::{Options, Reanalysis, Report};
use crate::span::{FileId, Pos, Span, byte_offset};
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
    /// Applying it would add findings of these rules (each once, sorted).
    AddsFindings(Vec<&'static str>),
    /// The fixed text could not be analysed again, so no fix could be checked.
    Unverified(String),
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
    /// The diagnostic whose fix it is, by index in the report.
    pub index: usize,
    pub reason: SkipReason,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Changed files, sorted by displayed path.
    pub changes: Vec<FileChange>,
    /// Diagnostics (by index in the report) whose fixes are applied.
    pub fixed: Vec<usize>,
    pub skipped: Vec<Skipped>,
    /// Fixes left out because they are above the applicability asked for (the unsafe ones,
    /// without `--unsafe-fixes`); display-only fixes are not counted.
    pub hidden: usize,
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
    apply_placed(text, edits).0
}

/// [`apply`], and the edits made (each once, in order) with where each lands in the new text.
fn apply_placed(text: &str, edits: &[ByteEdit]) -> (String, Vec<Placed>) {
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
    let mut placed = vec![];
    let mut shift: isize = 0;
    for e in unique {
        let new_lo = (e.lo as isize + shift) as usize;
        placed.push(Placed {
            edit: e.clone(),
            new_lo,
            new_hi: new_lo + e.text.len(),
        });
        shift += e.text.len() as isize - (e.hi - e.lo) as isize;
    }
    (out, placed)
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
/// nothing. Checks that the fixed files parse, not what the rules make of them: that is
/// [`plan_verified`].
pub fn plan(report: &Report, level: Applicability) -> Plan {
    plan_excluding(report, level, &BTreeSet::new()).plan
}

/// A plan, with what is needed to check it: the edits each fix makes, and where each edit
/// lands in the new text of its file.
struct Draft {
    plan: Plan,
    /// The fixes applied (by diagnostic index), with their edits by file.
    taken: Vec<(usize, BTreeMap<FileId, Vec<ByteEdit>>)>,
    /// Per changed file, the edits made, in order, with where each one lands.
    placed: BTreeMap<FileId, Vec<Placed>>,
}

/// An edit of the old text (`lo..hi`) and the range its text takes in the new one.
#[derive(Clone, Debug)]
struct Placed {
    edit: ByteEdit,
    new_lo: usize,
    new_hi: usize,
}

/// [`plan`], leaving out the fixes of the diagnostics in `excluded`.
fn plan_excluding(report: &Report, level: Applicability, excluded: &BTreeSet<usize>) -> Draft {
    let mut plan = Plan::default();
    if level == Applicability::DisplayOnly {
        return Draft {
            plan,
            taken: vec![],
            placed: BTreeMap::new(),
        };
    }
    let with_edits = |d: &Diagnostic| d.fix.as_ref().filter(|f| !f.edits.is_empty()).cloned();
    plan.hidden = report
        .diagnostics
        .iter()
        .filter_map(with_edits)
        .filter(|f| f.applicability > level && f.applicability != Applicability::DisplayOnly)
        .count();
    let candidates: Vec<(usize, &Diagnostic)> = report
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(i, d)| {
            !excluded.contains(i)
                && d.fix
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
                index: *i,
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
    // Apply, re-parse, and roll back what breaks until what is left parses: the fixes that
    // break a file on their own when there are such, else every fix touching it.
    let mut rejected: BTreeSet<usize> = BTreeSet::new();
    let mut new_texts: BTreeMap<FileId, String> = BTreeMap::new();
    let mut placed: BTreeMap<FileId, Vec<Placed>> = BTreeMap::new();
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
        placed.clear();
        for (f, es) in &file_edits {
            if let Some(Ok(text)) = texts.get(f) {
                let (new, at) = apply_placed(text, es);
                new_texts.insert(*f, new);
                placed.insert(*f, at);
            }
        }
        let broken = parse_failures(report, new_texts.iter().map(|(f, t)| (*f, t.as_str())));
        if broken.is_empty() {
            break;
        }
        for (_, f, why) in broken {
            let Some(Ok(old)) = texts.get(&f) else {
                continue;
            };
            let touching: Vec<usize> = taken
                .iter()
                .filter(|(i, edits)| !rejected.contains(i) && edits.contains_key(&f))
                .map(|(i, _)| *i)
                .collect();
            let alone: Vec<String> = taken
                .iter()
                .filter(|(i, _)| touching.contains(i))
                .map(|(_, edits)| apply(old, &edits[&f]))
                .collect();
            let fails = parse_failures(report, alone.iter().map(|t| (f, t.as_str())));
            let culprits: Vec<usize> = if fails.is_empty() {
                touching
            } else {
                fails.into_iter().map(|(k, _, _)| touching[k]).collect()
            };
            for i in culprits {
                if rejected.insert(i) {
                    plan.skipped.push(Skipped {
                        rule: report.diagnostics[i].rule,
                        index: i,
                        reason: SkipReason::WouldNotParse(format!(
                            "`{}`: {why}",
                            report.display_path(f)
                        )),
                    });
                }
            }
        }
    }
    taken.retain(|(i, _)| !rejected.contains(i));
    plan.fixed = taken.iter().map(|(i, _)| *i).collect();
    for (f, new) in new_texts {
        let Some(Ok(old)) = texts.remove(&f) else {
            continue;
        };
        if old == new {
            placed.remove(&f);
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
    Draft {
        plan,
        taken,
        placed,
    }
}

/// Rounds of dropping fixes before every fix of a unit that still adds findings is dropped.
const MAX_ROUNDS: usize = 16;

/// [`plan`], then checked with the rules: the fixed files are analysed again (each changed
/// file's unit, with the run's options and the rest of the unit as it is on disk), and a fix
/// whose result has a finding that was not there before is dropped, to a fixed point. The
/// fixes dropped are in `skipped`, with the rules of the findings they would add.
///
/// Findings are compared by rule and fingerprint (fingerprints hold no line numbers, so
/// findings below a fix keep theirs); a finding whose primary line a fix rewrote is matched
/// by rule, message and primary span, mapped back through the edits. A new finding is laid
/// at the door of one fix ([`culprit`]); that fix is dropped and the rest checked again, so
/// what is applied in the end has been checked as a whole.
pub fn plan_verified(report: &Report, level: Applicability, opts: &Options) -> Plan {
    let mut excluded: BTreeMap<usize, BTreeSet<&'static str>> = BTreeMap::new();
    let mut draft = plan_excluding(report, level, &BTreeSet::new());
    if draft.plan.changes.is_empty() {
        return draft.plan;
    }
    let again = match Reanalysis::new(&report.project, opts) {
        Ok(r) => r,
        Err(e) => {
            let mut plan = draft.plan;
            let why = e.to_string();
            for i in std::mem::take(&mut plan.fixed) {
                plan.skipped.push(Skipped {
                    rule: report.diagnostics[i].rule,
                    index: i,
                    reason: SkipReason::Unverified(why.clone()),
                });
            }
            plan.changes.clear();
            return plan;
        }
    };
    let unit_of = |f: FileId| report.project.files[f.0 as usize].unit;
    // Per unit: the findings before any fix, the original text of every file a plan changed
    // (read in place of the disk, so that the facts cache keys them by text), and the text
    // last found clean.
    let mut before: BTreeMap<u32, Vec<Diagnostic>> = BTreeMap::new();
    let mut originals: BTreeMap<u32, BTreeMap<FileId, String>> = BTreeMap::new();
    let mut clean: BTreeMap<u32, BTreeMap<FileId, String>> = BTreeMap::new();
    let mut round = 0;
    loop {
        round += 1;
        let mut by_unit: BTreeMap<u32, BTreeMap<FileId, String>> = BTreeMap::new();
        for c in &draft.plan.changes {
            let unit = unit_of(c.file);
            originals
                .entry(unit)
                .or_default()
                .entry(c.file)
                .or_insert_with(|| c.old.clone());
            by_unit
                .entry(unit)
                .or_default()
                .insert(c.file, c.new.clone());
        }
        let files = changed_files(&draft);
        let mut dropped = false;
        let excluded_before = excluded.len();
        for (unit, changed) in by_unit {
            if clean.get(&unit) == Some(&changed) {
                continue;
            }
            let old = &originals[&unit];
            let found_before = before.entry(unit).or_insert_with(|| again.unit(unit, old));
            let mut texts = old.clone();
            texts.extend(changed.iter().map(|(f, t)| (*f, t.clone())));
            let found_after = again.unit(unit, &texts);
            let added = added(found_before, &found_after, &files);
            if added.is_empty() {
                clean.insert(unit, changed);
                continue;
            }
            let in_unit: Vec<usize> = draft
                .taken
                .iter()
                .filter(|(_, edits)| edits.keys().any(|f| unit_of(*f) == unit))
                .map(|(i, _)| *i)
                .collect();
            for d in added {
                let culprits = if round > MAX_ROUNDS {
                    in_unit.clone()
                } else {
                    culprit(&draft, &files, d, &in_unit).into_iter().collect()
                };
                for i in culprits {
                    excluded.entry(i).or_default().insert(d.rule);
                }
            }
            dropped = true;
        }
        if !dropped {
            break;
        }
        if excluded.len() == excluded_before {
            // No fix to lay a new finding to (which cannot happen): none is applied.
            for &i in &draft.plan.fixed {
                excluded.entry(i).or_default();
            }
        }
        drop(files);
        let keys: BTreeSet<usize> = excluded.keys().copied().collect();
        draft = plan_excluding(report, level, &keys);
    }
    let mut plan = draft.plan;
    for (i, rules) in excluded {
        plan.skipped.push(Skipped {
            rule: report.diagnostics[i].rule,
            index: i,
            reason: SkipReason::AddsFindings(rules.into_iter().collect()),
        });
    }
    plan.skipped.sort_by_key(|s| s.index);
    plan
}

/// A changed file, as [`added`] and [`culprit`] read it.
struct Changed<'a> {
    old: &'a str,
    new: &'a str,
    placed: &'a [Placed],
}

fn changed_files(draft: &Draft) -> BTreeMap<FileId, Changed<'_>> {
    draft
        .plan
        .changes
        .iter()
        .filter_map(|c| {
            let placed = draft.placed.get(&c.file)?;
            Some((
                c.file,
                Changed {
                    old: &c.old,
                    new: &c.new,
                    placed,
                },
            ))
        })
        .collect()
}

/// The findings of `after` that `before` does not have: matched by rule and fingerprint, then
/// (for a finding whose line a fix rewrote, which changes its fingerprint) by rule, message
/// and a primary span that maps back, through the edits of its file, to the old one's.
fn added<'a>(
    before: &[Diagnostic],
    after: &'a [Diagnostic],
    files: &BTreeMap<FileId, Changed<'_>>,
) -> Vec<&'a Diagnostic> {
    let mut unmatched: BTreeMap<(&str, &str), Vec<&Diagnostic>> = BTreeMap::new();
    for d in before {
        unmatched
            .entry((d.rule, d.fingerprint.as_str()))
            .or_default()
            .push(d);
    }
    let mut left = vec![];
    for d in after {
        match unmatched.get_mut(&(d.rule, d.fingerprint.as_str())) {
            Some(v) if !v.is_empty() => {
                v.remove(0);
            }
            _ => left.push(d),
        }
    }
    let mut rest: Vec<&Diagnostic> = unmatched.into_values().flatten().collect();
    left.retain(|d| {
        let file = d.primary.file;
        let span = match files.get(&file) {
            None => Some(d.primary.span),
            Some(c) => map_back(c, d.primary.span),
        };
        let Some(span) = span else {
            return true;
        };
        match rest.iter().position(|b| {
            b.rule == d.rule
                && b.message == d.message
                && b.primary.file == file
                && b.primary.span == span
        }) {
            Some(k) => {
                rest.remove(k);
                false
            }
            None => true,
        }
    });
    left
}

/// Byte offset of a position in a file's text (positions count after a byte-order mark).
fn offset_of(text: &str, p: Pos) -> usize {
    let body = crate::parse::strip_bom(text);
    text.len() - body.len() + byte_offset(body, p)
}

/// The position of a byte offset in a file's text: the inverse of [`offset_of`].
fn pos_of(text: &str, x: usize) -> Pos {
    let body = crate::parse::strip_bom(text);
    let x = x.saturating_sub(text.len() - body.len()).min(body.len());
    let before = body.get(..x).unwrap_or(body);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: 1 + before.bytes().filter(|&b| b == b'\n').count() as u32,
        col: 1 + before[line_start..].chars().count() as u32,
    }
}

/// A span of a file's new text in its old text; `None` when an end lies inside text a fix
/// wrote.
fn map_back(c: &Changed<'_>, span: Span) -> Option<Span> {
    let back = |p: Pos| -> Option<Pos> {
        let x = offset_of(c.new, p);
        let mut shift: isize = 0;
        for e in c.placed {
            if x < e.new_lo {
                break;
            }
            if x == e.new_lo {
                return Some(pos_of(c.old, e.edit.lo));
            }
            if x < e.new_hi {
                return None;
            }
            shift = e.new_hi as isize - e.edit.hi as isize;
        }
        let old = usize::try_from(x as isize - shift).ok()?;
        Some(pos_of(c.old, old))
    };
    Some(Span {
        lo: back(span.lo)?,
        hi: back(span.hi)?,
    })
}

/// The fix a new finding is laid to: among the fixes applied in its unit (`in_unit`, in report
/// order), the first with an edit on a line the finding points at (a new finding is most often
/// a guard that now lives on from an earlier line into a later one: of two `let _ =` locks
/// made `let _guard =`, the first one's makes the double lock); else the last with an edit in a
/// file it points at; else the last of the unit.
fn culprit(
    draft: &Draft,
    files: &BTreeMap<FileId, Changed<'_>>,
    d: &Diagnostic,
    in_unit: &[usize],
) -> Option<usize> {
    // Where each fix's edits landed: its lines in the new text of each file.
    let lines = |i: usize| -> Vec<(FileId, u32, u32)> {
        let Some((_, edits)) = draft.taken.iter().find(|(k, _)| *k == i) else {
            return vec![];
        };
        let mut out = vec![];
        for (f, es) in edits {
            let Some(c) = files.get(f) else {
                continue;
            };
            for e in es {
                if let Some(p) = c.placed.iter().find(|p| p.edit == *e) {
                    out.push((
                        *f,
                        pos_of(c.new, p.new_lo).line,
                        pos_of(c.new, p.new_hi).line,
                    ));
                }
            }
        }
        out
    };
    let on_line = in_unit.iter().find(|&&i| {
        lines(i).iter().any(|&(f, lo, hi)| {
            d.locs()
                .any(|l| l.file == f && l.span.lo.line <= hi && lo <= l.span.hi.line)
        })
    });
    let in_file = || {
        in_unit.iter().rev().find(|&&i| {
            lines(i)
                .iter()
                .any(|&(f, _, _)| d.locs().any(|l| l.file == f))
        })
    };
    on_line.or_else(in_file).or(in_unit.last()).copied()
}

/// The texts that no longer parse (as their file's crate's edition reads them): the index of
/// each among `texts`, its file, and why. Parses on a thread with a large stack, as the first
/// parse did.
fn parse_failures<'t>(
    report: &Report,
    texts: impl Iterator<Item = (FileId, &'t str)>,
) -> Vec<(usize, FileId, String)> {
    let texts: Vec<(FileId, &str)> = texts.collect();
    if texts.is_empty() {
        return vec![];
    }
    let all = |why: &str| {
        texts
            .iter()
            .enumerate()
            .map(|(k, (f, _))| (k, *f, why.to_string()))
            .collect()
    };
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .stack_size(crate::parse::STACK_SIZE)
            .spawn_scoped(s, || {
                texts
                    .iter()
                    .enumerate()
                    .filter_map(|(k, (f, t))| {
                        let edition = report.project.edition(*f);
                        crate::parse::check_parses(t, edition)
                            .err()
                            .map(|e| (k, *f, e))
                    })
                    .collect::<Vec<_>>()
            });
        match worker {
            Ok(h) => h.join().unwrap_or_else(|_| all("the parser failed")),
            Err(e) => all(&format!("no thread to parse it: {e}")),
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

    fn pos(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn span(a: (u32, u32), b: (u32, u32)) -> Span {
        Span {
            lo: pos(a.0, a.1),
            hi: pos(b.0, b.1),
        }
    }

    #[test]
    fn spans_of_the_fixed_text_map_back_through_the_edits() {
        let old = "let _ = m.lock();\nlet n = 1;\n";
        // `_` → `_guard` on line 1, a line added above line 2.
        let (new, placed) = apply_placed(old, &[e(4, 5, "_guard"), e(18, 18, "drop(g);\n")]);
        assert_eq!(new, "let _guard = m.lock();\ndrop(g);\nlet n = 1;\n");
        let c = Changed {
            old,
            new: &new,
            placed: &placed,
        };
        // After an edit on its line: shifted back by what the edit added.
        assert_eq!(
            map_back(&c, span((1, 14), (1, 22))),
            Some(span((1, 9), (1, 17)))
        );
        // Below the inserted line: one line up.
        assert_eq!(
            map_back(&c, span((3, 1), (3, 11))),
            Some(span((2, 1), (2, 11)))
        );
        // From the start of an edit: its start in the old text.
        assert_eq!(
            map_back(&c, span((1, 5), (1, 5))),
            Some(span((1, 5), (1, 5)))
        );
        // Inside what a fix wrote: no place in the old text.
        assert_eq!(map_back(&c, span((1, 6), (1, 11))), None);
        assert_eq!(map_back(&c, span((2, 1), (2, 8))), None);
    }

    #[test]
    fn a_finding_is_new_unless_one_before_matches_it_by_fingerprint_or_mapped_place() {
        let old = "fn f() {\n    let _ = m.lock();\n    let _ = m.lock();\n}\n";
        let (new, placed) = apply_placed(old, &[e(17, 18, "_guard")]);
        let c = Changed {
            old,
            new: &new,
            placed: &placed,
        };
        let files: BTreeMap<FileId, Changed<'_>> = [(FileId(0), c)].into_iter().collect();
        let at = |s: Span| crate::span::Loc {
            file: FileId(0),
            span: s,
        };
        let finding = |rule, line: u32, col: u32, message: &str, fingerprint: &str| {
            let mut d = Diagnostic::new(
                rule,
                crate::diag::Severity::Error,
                at(span((line, col), (line, col + 4))),
                message,
            );
            d.fingerprint = fingerprint.into();
            d
        };
        let before = vec![
            finding("let_underscore_guard", 3, 5, "dropped at once", "b"),
            finding("static_mut", 1, 1, "a static", "s"),
        ];
        let after = vec![
            // Same fingerprint, another line: the same finding.
            finding("static_mut", 9, 1, "a static", "s"),
            // Another fingerprint, but its place maps back to one before: the same.
            finding("let_underscore_guard", 3, 5, "dropped at once", "b2"),
            // Nothing before: new.
            finding("double_lock", 3, 13, "locked twice", "d"),
        ];
        let new: Vec<&str> = added(&before, &after, &files)
            .iter()
            .map(|d| d.rule)
            .collect();
        assert_eq!(new, vec!["double_lock"]);
        // One finding before matches one after, not two.
        let twice = vec![after[0].clone(), after[0].clone()];
        assert_eq!(added(&before, &twice, &files).len(), 1);
    }
}
