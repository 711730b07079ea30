//! Fixes, end to end: for each rule with a fix, a small self-contained crate is fixed with
//! `lockscan --fix`; the fixed file must match its snapshot, parse, compile, and draw no finding
//! of that rule when lockscan runs again. Then the engine's promises: `--diff` writes nothing,
//! a file changed on disk is left alone, overlapping fixes are skipped, and a fix that would
//! break the parse is rolled back.

use crate::support::{data, lib_crate, lockscan, report};
use lockscan::diag::{Applicability, Edit, Fix};
use lockscan::fix::{self, SkipReason};
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
