//! The fixture harness: runs lockscan on `fixtures/` and compares its findings with the
//! `//~ rule` marks in the fixture files.
//!
//! * a mark is met by a finding of that rule whose primary span or a label is on that line;
//! * a finding is expected when its primary line carries a mark of its rule.
//!
//! Every missed mark and every unexpected finding is listed, with the finding's message.

use crate::support::{report_all_rules, root};
use lockscan::extract::Edition;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    root().join("fixtures")
}

/// (file as displayed, line) → rules marked there.
type Marks = BTreeMap<(String, u32), BTreeSet<String>>;

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let p = entry.path();
        if p.components().any(|c| c.as_os_str() == "target") {
            continue;
        }
        if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.to_path_buf());
        }
    }
    out
}

fn marks_of(text: &str) -> Vec<(u32, Vec<String>)> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        // A mark ends a line of code; a comment line that mentions `//~` carries none.
        if let Some(pos) = line.find("//~")
            && !line.trim_start().starts_with("//")
        {
            let rules: Vec<String> = line[pos + 3..]
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            out.push((i as u32 + 1, rules));
        }
    }
    out
}

fn read_marks(files: &[PathBuf], display: &dyn Fn(&Path) -> String) -> Marks {
    let mut marks = Marks::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        for (line, rules) in marks_of(&text) {
            for r in rules {
                assert!(
                    lockscan::rules::rule(&r).is_some(),
                    "{}:{line}: `//~ {r}` names no rule",
                    display(f)
                );
                marks.entry((display(f), line)).or_default().insert(r);
            }
        }
    }
    marks
}

/// Runs lockscan on `dir` and checks it against the marks; returns the number of findings.
fn check_dir(dir: &Path) -> usize {
    let report = report_all_rules(dir);
    let by_path: BTreeMap<PathBuf, String> = report
        .project
        .files
        .iter()
        .map(|f| (f.path.clone(), f.display.clone()))
        .collect();
    let display = |p: &Path| -> String {
        let canon = lockscan::project::normalize(&std::env::current_dir().unwrap().join(p));
        by_path
            .get(&canon)
            .cloned()
            .unwrap_or_else(|| p.display().to_string())
    };
    let marks = read_marks(&rs_files(dir), &display);

    let mut problems = vec![];
    // Each finding's primary line must be marked with its rule.
    for d in &report.diagnostics {
        let file = report.display_path(d.primary.file).to_string();
        let line = d.primary.span.lo.line;
        let expected = marks
            .get(&(file.clone(), line))
            .is_some_and(|r| r.contains(d.rule));
        if !expected {
            problems.push(format!(
                "unexpected {}:{line}: [{}] {}",
                file, d.rule, d.message
            ));
        }
    }
    // Each mark must be met by a finding of its rule on that line.
    for ((file, line), rules) in &marks {
        for rule in rules {
            let met = report.diagnostics.iter().any(|d| {
                d.rule == rule
                    && d.locs()
                        .any(|l| report.display_path(l.file) == file && l.span.lo.line == *line)
            });
            if !met {
                problems.push(format!("missed {file}:{line}: [{rule}]"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} fixture mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    report.diagnostics.len()
}

#[test]
fn fixtures_match_their_marks() {
    let n = check_dir(&fixtures_dir());
    assert!(n > 0, "the fixtures produce findings");
}

/// Positive and negative cases, counted by function: a function with a mark is a positive
/// case, one without is a negative case.
#[test]
fn negatives_outnumber_positives() {
    let mut positive = 0;
    let mut negative = 0;
    for f in rs_files(&fixtures_dir()) {
        let text = std::fs::read_to_string(&f).unwrap();
        // The edition-2015 fixture crate holds syntax that only lockscan's reading of 2015
        // code parses (anonymous trait parameters, bare `Fn` objects).
        let edition = if f.components().any(|c| c.as_os_str() == "edition2015") {
            Edition::E2015
        } else {
            Edition::E2021
        };
        let file = lockscan::parse::parse_file(&text, edition)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let marked: BTreeSet<usize> = marks_of(&text).iter().map(|(l, _)| *l as usize).collect();
        let mut spans = vec![];
        collect_fn_spans(&file.items, &mut spans);
        for (start, end) in spans {
            if marked.range(start..=end).next().is_some() {
                positive += 1;
            } else {
                negative += 1;
            }
        }
    }
    assert!(positive > 0);
    assert!(
        negative >= positive,
        "{negative} negative cases against {positive} positive ones"
    );
}

fn collect_fn_spans(items: &[syn::Item], out: &mut Vec<(usize, usize)>) {
    use syn::spanned::Spanned;
    let span_of = |s: proc_macro2::Span| (s.start().line, s.end().line);
    for item in items {
        match item {
            syn::Item::Fn(f) => out.push(span_of(f.span())),
            syn::Item::Impl(i) => {
                for ii in &i.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        out.push(span_of(f.span()));
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_fn_spans(items, out);
                }
            }
            _ => {}
        }
    }
}
