//! Fixes, end to end: for each rule with a fix, a small self-contained crate is fixed with
//! `lockscan --fix`; the fixed file must match its snapshot, parse, compile, and draw no finding
//! of that rule when lockscan runs again. Then the engine's promises: `--diff` writes nothing,
//! a file changed on disk is left alone, overlapping fixes are skipped, a fix that would
//! break the parse is rolled back, and a fix that would add a finding is withheld. Last, the
//! whole fixtures workspace is fixed: no finding appears and it still compiles.

use crate::support::{data, lib_crate, lockscan, repo, report, root, stderr, tmp};
use lockscan::diag::{Applicability, Edit, Fix};
use lockscan::fix::{self, SkipReason};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The input for `rule`'s fix: `tests/data/fix_inputs/{rule}.rs`.
fn input(rule: &str) -> String {
    std::fs::read_to_string(data("fix_inputs").join(format!("{rule}.rs"))).unwrap()
}

fn rules_found(dir: &Path) -> Vec<String> {
    let out = lockscan(dir, &["--format", "json", "--fail-on", "never"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Compiles a file as a library with the toolchain running the tests.
fn compiles(file: &Path) -> Result<(), String> {
    let out_dir = tempfile::tempdir().unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
        ])
        .arg("--out-dir")
        .arg(out_dir.path())
        .arg(file)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Fixes the rule's input and checks everything a fix promises; returns the fixed text.
fn fixed(rule: &str, unsafe_fixes: bool) -> String {
    let original = input(rule);
    let dir = lib_crate(&original);
    let lib: PathBuf = dir.path().join("src/lib.rs");
    compiles(&lib).unwrap_or_else(|e| panic!("the input for {rule} compiles:\n{e}"));
    assert!(
        rules_found(dir.path()).iter().any(|r| r == rule),
        "the input has {rule} findings"
    );
    let mut args = vec!["--fix", "--fail-on", "never", "--format", "short"];
    if unsafe_fixes {
        args.push("--unsafe-fixes");
    }
    let out = lockscan(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&lib).unwrap();
    assert_ne!(text, original, "{rule}: the fix changed the file");
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{rule}: the fixed file parses: {e}"));
    compiles(&lib).unwrap_or_else(|e| panic!("{rule}: the fixed file compiles:\n{e}\n{text}"));
    let left = rules_found(dir.path());
    assert!(
        !left.iter().any(|r| r == rule),
        "{rule}: findings left after the fix: {left:?}\n{text}"
    );
    // No temporary files are left beside the fixed one.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["lib.rs".to_string()]);
    text
}

#[test]
fn let_underscore_guard_fix() {
    insta::assert_snapshot!(fixed("let_underscore_guard", true));
}

#[test]
fn atomic_load_store_race_fix() {
    insta::assert_snapshot!(fixed("atomic_load_store_race", false));
}

#[test]
fn forgotten_guard_fix() {
    insta::assert_snapshot!(fixed("forgotten_guard", true));
}

#[test]
fn guard_across_sleep_fix() {
    insta::assert_snapshot!(fixed("guard_across_sleep", true));
}

#[test]
fn static_mut_fix() {
    insta::assert_snapshot!(fixed("static_mut", true));
}

#[test]
fn mutex_of_primitive_fix() {
    insta::assert_snapshot!(fixed("mutex_of_primitive", true));
}

#[test]
fn safe_fixes_leave_unsafe_ones() {
    let dir = lib_crate(&input("let_underscore_guard"));
    let out = lockscan(dir.path(), &["--fix", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap();
    // The section lock's binding is safe; the others change how long data locks are held.
    assert!(
        text.contains("let _guard = self.section.lock().unwrap();"),
        "{text}"
    );
    assert!(text.contains("        self.entries.lock();\n"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("fixed 1 finding in 1 file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn diff_shows_and_writes_nothing() {
    let original = input("forgotten_guard");
    let dir = lib_crate(&original);
    let out = lockscan(dir.path(), &["--diff", "--unsafe-fixes"]);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("--- a/src/lib.rs\n+++ b/src/lib.rs\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-        mem::forget(guard);\n+        drop(guard);\n"),
        "{diff}"
    );
    // Findings remain, so the exit code says so, as without `--diff`.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        original
    );
}

#[test]
fn a_file_changed_since_it_was_read_is_left_alone() {
    let dir = lib_crate(&input("forgotten_guard"));
    let report = report(dir.path());
    std::fs::write(dir.path().join("src/lib.rs"), "// edited meanwhile\n").unwrap();
    let plan = fix::plan(&report, Applicability::Unsafe);
    assert!(plan.changes.is_empty());
    assert!(plan.fixed.is_empty());
    assert!(
        plan.skipped
            .iter()
            .all(|s| matches!(s.reason, SkipReason::Changed(_))),
        "{:?}",
        plan.skipped
    );
    assert!(!plan.skipped.is_empty());
}

#[test]
fn overlapping_fixes_are_skipped_and_broken_results_rolled_back() {
    let dir = lib_crate(&input("forgotten_guard"));
    let mut report = report(dir.path());
    let first = report
        .diagnostics
        .iter()
        .position(|d| d.fix.is_some())
        .expect("a fix");
    // A second fix over the same text conflicts with the first.
    let mut twin = report.diagnostics[first].clone();
    if let Some(f) = &mut twin.fix {
        f.edits[0].replacement = "std::mem::drop".into();
    }
    report.diagnostics.insert(first + 1, twin);
    let plan = fix::plan(&report, Applicability::Unsafe);
    assert!(plan.fixed.contains(&first));
    assert!(plan.skipped.iter().any(|s| s.reason == SkipReason::Overlap));
    assert!(plan.changes[0].new.contains("drop(guard)"));

    // A fix whose result does not parse is rolled back, and the file with it.
    let d = &mut report.diagnostics[first];
    let loc = d.fix.as_ref().unwrap().edits[0].loc;
    d.fix = Some(Fix {
        applicability: Applicability::Safe,
        message: "break it".into(),
        edits: vec![Edit {
            loc,
            replacement: "{{{".into(),
        }],
    });
    let plan = fix::plan(&report, Applicability::Safe);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(
        plan.skipped
            .iter()
            .any(|s| matches!(s.reason, SkipReason::WouldNotParse(_))),
        "{:?}",
        plan.skipped
    );
}

#[test]
fn fixes_land_in_the_same_place_on_a_file_with_a_bom_and_crlf_line_ends() {
    // Positions count after a byte-order mark, as rustc's do; the engine must count the same
    // way, or each edit on line 1 (where `use` lines go) lands before the mark.
    for rule in [
        "static_mut",
        "atomic_load_store_race",
        "let_underscore_guard",
    ] {
        let plain = lib_crate(&input(rule));
        let windows = lib_crate(&format!("\u{feff}{}", input(rule).replace('\n', "\r\n")));
        for dir in [&plain, &windows] {
            let out = lockscan(
                dir.path(),
                &["--fix", "--unsafe-fixes", "--fail-on", "never"],
            );
            assert_eq!(out.status.code(), Some(0), "{out:?}");
        }
        let read = |d: &tempfile::TempDir| std::fs::read_to_string(d.path().join("src/lib.rs"));
        let (plain, windows) = (read(&plain).unwrap(), read(&windows).unwrap());
        assert_ne!(plain, input(rule), "{rule}: fixed");
        let windows = windows
            .strip_prefix('\u{feff}')
            .unwrap_or_else(|| panic!("{rule}: the mark stays first:\n{windows}"));
        assert_eq!(windows.replace("\r\n", "\n"), plain, "{rule}");
    }
}

/// Two `let _ = m.lock().unwrap();` in one scope: binding the first one's guard to `_guard` keeps it
/// to the end of the scope, over the second lock, a double lock.
const TWO_DISCARDED_LOCKS: &str = "#![allow(let_underscore_lock)]
use std::sync::Mutex;

pub struct Log {
    entries: Mutex<Vec<String>>,
}

impl Log {
    pub fn wait_for_writers(&self) {
        let _ = self.entries.lock().unwrap();
        let _ = self.entries.lock().unwrap();
    }
}
";

#[test]
fn a_fix_that_would_add_a_finding_is_withheld_and_said_so() {
    let dir = lib_crate(TWO_DISCARDED_LOCKS);
    compiles(&dir.path().join("src/lib.rs")).unwrap();
    let report = report(dir.path());
    let fixable: Vec<usize> = (0..report.diagnostics.len())
        .filter(|&i| report.diagnostics[i].fix.is_some())
        .collect();
    assert_eq!(fixable.len(), 2, "{:?}", report.diagnostics);
    // Unchecked, both fixes apply; checked, the first one's double lock withholds it.
    assert_eq!(
        fix::plan(&report, Applicability::Unsafe).fixed,
        fixable,
        "unchecked"
    );
    let opts = lockscan::driver::Options {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    };
    let plan = fix::plan_verified(&report, Applicability::Unsafe, &opts);
    assert_eq!(plan.fixed, vec![fixable[1]], "{:?}", plan.skipped);
    assert_eq!(plan.skipped.len(), 1, "{:?}", plan.skipped);
    assert_eq!(plan.skipped[0].index, fixable[0]);
    assert_eq!(
        plan.skipped[0].reason,
        SkipReason::AddsFindings(vec!["double_lock"])
    );

    // The command line says so, and writes only the fix that is checked.
    let out = lockscan(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--fail-on",
            "never",
            "--format",
            "short",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("fixed 1 finding in 1 file\n"), "{err}");
    assert!(
        err.contains(
            "1 fix withheld, as it would add findings lockscan reports: \
             [let_underscore_guard] src/lib.rs:10:9 would add a new `double_lock` finding"
        ),
        "{err}"
    );
    let text = std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap();
    assert!(
        text.contains(
            "        let _ = self.entries.lock().unwrap();\n        \
             let _guard = self.entries.lock().unwrap();\n"
        ),
        "{text}"
    );
    compiles(&dir.path().join("src/lib.rs")).unwrap();
    let left = rules_found(dir.path());
    assert_eq!(left, vec!["let_underscore_guard".to_string()], "{text}");
}

#[test]
fn fix_without_unsafe_fixes_says_how_many_it_left() {
    let dir = lib_crate(&input("static_mut"));
    let out = lockscan(dir.path(), &["--format", "json", "--fail-on", "never"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unsafe_fixes = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["fix"]["applicability"] == "unsafe")
        .count();
    assert!(unsafe_fixes > 1, "{v}");
    let original = input("static_mut");
    for args in [&["--fix"][..], &["--diff"]] {
        let out = lockscan(dir.path(), &[args, &["--fail-on", "never"]].concat());
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "\n{unsafe_fixes} hidden fixes can be enabled with the `--unsafe-fixes` option\n"
            )),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
            original
        );
    }
    // With them, nothing is hidden.
    let out = lockscan(
        dir.path(),
        &["--diff", "--unsafe-fixes", "--fail-on", "never"],
    );
    assert!(!stderr(&out).contains("hidden"), "{}", stderr(&out));
}

/// `static_mut`'s fix on `text` (with `--unsafe-fixes`): the fixed file, which must compile
/// and have no `static_mut` finding.
fn static_mut_fixed(text: &str) -> String {
    let dir = lib_crate(text);
    let out = lockscan(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lib = dir.path().join("src/lib.rs");
    let fixed = std::fs::read_to_string(&lib).unwrap();
    assert_ne!(fixed, text, "{}", stderr(&out));
    compiles(&lib).unwrap_or_else(|e| panic!("the fixed file compiles:\n{e}\n{fixed}"));
    assert!(rules_found(dir.path()).is_empty(), "{fixed}");
    fixed
}

#[test]
fn static_mut_fix_makes_a_bump_and_its_read_one_atomic_step() {
    // `X += 1; X` as `fetch_add` then `load` would let two callers read the same value.
    let fixed = static_mut_fixed(
        "static mut NEXT: u64 = 0;

pub fn next_id() -> u64 {
    unsafe {
        NEXT += 1;
        NEXT
    }
}

pub fn take(step: u64) -> u64 {
    let id = unsafe {
        NEXT = NEXT + step;
        NEXT
    };
    id * 2
}

pub fn back() -> u64 {
    unsafe {
        NEXT -= 1;
        return NEXT;
    }
}
",
    );
    assert!(
        fixed
            .contains("pub fn next_id() -> u64 {\n    NEXT.fetch_add(1, Ordering::Relaxed) + 1\n}"),
        "{fixed}"
    );
    assert!(
        fixed.contains("let id = NEXT.fetch_add(step, Ordering::Relaxed) + step;"),
        "{fixed}"
    );
    assert!(
        fixed.contains("return NEXT.fetch_sub(1, Ordering::Relaxed) - 1;"),
        "{fixed}"
    );
    assert!(!fixed.contains("load"), "{fixed}");
    assert!(!fixed.contains("unsafe"), "{fixed}");
}

#[test]
fn static_mut_fix_offers_nothing_where_a_write_and_its_read_cannot_be_one_step() {
    // `v` is a call: written twice it would run twice. No fix beats two steps.
    let text = "static mut TOTAL: u64 = 0;

fn weight() -> u64 {
    3
}

pub fn add() -> u64 {
    unsafe {
        TOTAL += weight();
        TOTAL
    }
}
";
    let dir = lib_crate(text);
    let out = lockscan(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        text
    );
    assert!(rules_found(dir.path()).iter().any(|r| r == "static_mut"));
}

#[test]
fn static_mut_fix_takes_away_the_unsafe_blocks_it_empties_and_keeps_the_others() {
    let fixed = static_mut_fixed(
        "static mut HITS: u32 = 0;
static mut LIMIT: u32 = 10;

extern \"C\" {
    fn abs(x: i32) -> i32;
}

pub fn hit() {
    unsafe { HITS += 1 }
}

pub fn hit_twice() {
    unsafe {
        HITS += 1;
        HITS += 1;
    }
}

pub fn over() -> bool {
    unsafe { HITS > LIMIT }
}

pub fn report(x: i32) -> u32 {
    let a = unsafe { abs(x) } as u32;
    let h = unsafe { HITS };
    a + unsafe { HITS } * 2
}

pub fn doubled() -> u32 {
    let total = unsafe {
        let h = HITS;
        h * 2
    };
    total
}

pub fn reset_and_call(x: i32) -> i32 {
    unsafe {
        HITS = 0;
        abs(x)
    }
}
",
    );
    // One statement takes the block's place; more keep their braces, without `unsafe`.
    assert!(
        fixed.contains("pub fn hit() {\n    HITS.fetch_add(1, Ordering::Relaxed);\n}"),
        "{fixed}"
    );
    assert!(
        fixed.contains(
            "pub fn hit_twice() {\n    {\n        HITS.fetch_add(1, Ordering::Relaxed);\n        HITS.fetch_add(1, Ordering::Relaxed);\n    }\n}"
        ),
        "{fixed}"
    );
    // Two statics in one block: both fixed, so the block goes.
    assert!(
        fixed.contains("HITS.load(Ordering::Relaxed) > LIMIT.load(Ordering::Relaxed)"),
        "{fixed}"
    );
    assert!(
        fixed.contains("let h = HITS.load(Ordering::Relaxed);"),
        "{fixed}"
    );
    assert!(
        fixed.contains("a + HITS.load(Ordering::Relaxed) * 2"),
        "{fixed}"
    );
    // A block with a `let` keeps its braces, which scope the name.
    assert!(
        fixed.contains(
            "let total = {\n        let h = HITS.load(Ordering::Relaxed);\n        h * 2\n    };"
        ),
        "{fixed}"
    );
    // A block that still calls a foreign function keeps its `unsafe`.
    assert!(
        fixed.contains("let a = unsafe { abs(x) } as u32;"),
        "{fixed}"
    );
    assert!(
        fixed.contains(
            "    unsafe {\n        HITS.store(0, Ordering::Relaxed);\n        abs(x)\n    }"
        ),
        "{fixed}"
    );
}

/// Copies the tree at `from` to `to`, leaving out build output (`target/`).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Findings per (rule, file) in `dir`, as the JSON output gives them.
fn findings_by_rule_and_file(dir: &Path) -> BTreeMap<(String, String), usize> {
    let out = lockscan(dir, &["--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut counts = BTreeMap::new();
    for d in v["diagnostics"].as_array().unwrap() {
        let key = (
            d["rule"].as_str().unwrap().to_string(),
            d["file"].as_str().unwrap().to_string(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// `cargo check --workspace --offline` of the workspace at `dir`, with the build output under
/// `target/tmp/` (kept between runs, so the dependencies build once; `.ci/run` compiles the
/// fixtures before the tests, so they are fetched): the warnings, counted by message, or the
/// errors.
fn check_workspace(dir: &Path) -> Result<BTreeMap<String, usize>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "check",
            "--workspace",
            "--offline",
            "--quiet",
            "--message-format",
            "short",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", tmp().join("fixed-fixtures"))
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| e.to_string())?;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(err);
    }
    let mut warnings = BTreeMap::new();
    for line in err.lines() {
        // `src/a.rs:3:5: warning: unused import: `x``; the summary lines have no place.
        if let Some((_, msg)) = line.split_once(": warning: ") {
            *warnings.entry(msg.to_string()).or_default() += 1;
        }
    }
    Ok(warnings)
}

#[test]
fn fixing_the_fixtures_adds_no_finding_and_still_compiles() {
    let dir = repo();
    let ws = dir.path().join("fixtures");
    copy_tree(&root().join("fixtures"), &ws);
    let warnings_before = check_workspace(&ws).unwrap_or_else(|e| {
        panic!(
            "the fixtures compile offline (their dependencies are fetched by \
             `cargo check --manifest-path fixtures/Cargo.toml --workspace`):\n{e}"
        )
    });
    let before = findings_by_rule_and_file(&ws);
    let out = lockscan(
        &ws,
        &[
            "--fix",
            "--unsafe-fixes",
            "--fail-on",
            "never",
            "--format",
            "short",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = stderr(&out);
    let summary = err
        .lines()
        .find(|l| l.starts_with("fixed "))
        .unwrap_or_else(|| panic!("a summary: {err}"));
    let fixed: usize = summary
        .split(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    // Enough fixes apply that the test means something: a fix of each kind that has one.
    assert!(fixed >= 10, "{err}");
    let changed = crate::support::tree(&ws)
        .into_iter()
        .filter(|(p, bytes)| {
            let original = std::fs::read(root().join("fixtures").join(p)).ok();
            bytes.as_ref() != original.as_ref()
        })
        .count();
    assert!(changed >= 5, "{err}");

    // (a) No finding that was not there: per rule and file, no more than before.
    let after = findings_by_rule_and_file(&ws);
    let added: Vec<_> = after
        .iter()
        .filter(|(k, n)| before.get(*k).is_none_or(|b| *n > b))
        .collect();
    assert!(
        added.is_empty(),
        "findings added by the fixes: {added:?}\n{err}"
    );
    let removed: usize = before.values().sum::<usize>() - after.values().sum::<usize>();
    assert!(
        removed >= fixed,
        "{removed} findings fewer for {fixed} fixed"
    );

    // (b) It still compiles, with no warning it did not have (an `unsafe` block left with
    // nothing unsafe in it, a `drop` of a copy).
    let warnings_after =
        check_workspace(&ws).unwrap_or_else(|e| panic!("the fixed fixtures compile:\n{e}\n{err}"));
    let new_warnings: Vec<_> = warnings_after
        .iter()
        .filter(|(k, n)| warnings_before.get(*k).is_none_or(|b| *n > b))
        .collect();
    assert!(
        new_warnings.is_empty(),
        "warnings added by the fixes: {new_warnings:?}"
    );
}

#[test]
fn no_fix_edits_a_macro_call_that_was_expanded() {
    // What is found inside an expansion is spanned at the call: an edit there would rewrite
    // the call, not the code in the macro.
    let dir = lib_crate(
        "use std::sync::Mutex;\n\
         macro_rules! touch {\n    ($m:expr) => {\n        let _ = $m.lock().unwrap();\n    };\n}\n\
         pub fn poke(m: &Mutex<Vec<u8>>) {\n    touch!(m);\n}\n\
         pub fn prod(m: &Mutex<Vec<u8>>) {\n    let _ = m.lock().unwrap();\n}\n",
    );
    let r = report(dir.path());
    let found: Vec<(u32, bool)> = r
        .diagnostics
        .iter()
        .filter(|d| d.rule == "let_underscore_guard")
        .map(|d| (d.primary.span.lo.line, d.fix.is_some()))
        .collect();
    // The call in `poke` is reported without a fix; the one written out keeps its fix.
    assert_eq!(found, [(8, false), (11, true)], "{:?}", r.diagnostics);
}
