//! `--write-baseline` and `--baseline`: known findings stay quiet, moved code stays known, new
//! findings show, and a bad baseline file stops the run with exit code 2.

use crate::support::{lib_crate, lockscan, stderr, stdout, tree};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const TWO: &str = "use std::sync::Mutex;
pub static mut HITS: u32 = 0;
pub fn wait(m: &Mutex<Vec<u8>>) {
    let g = m.lock().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1));
    drop(g);
}
";

/// Writes the baseline `name` in `dir`; returns how many findings it records.
fn write_baseline(dir: &Path, name: &str) -> usize {
    let out = lockscan(dir, &["--write-baseline", name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["findings"].as_array().unwrap().len()
}

#[test]
fn recorded_findings_are_not_reported_again() {
    let dir = lib_crate(TWO);
    let out = lockscan(dir.path(), &["--write-baseline", "lockscan-baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "recorded 2 findings in `lockscan-baseline.json`\n"
    );
    assert!(stdout(&out).is_empty());
    let text = std::fs::read_to_string(dir.path().join("lockscan-baseline.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["rule"], "guard_across_sleep");
    assert_eq!(findings[1]["rule"], "static_mut");
    assert_eq!(findings[0]["fingerprint"].as_str().unwrap().len(), 32);

    let out = lockscan(
        dir.path(),
        &["--format", "short", "--baseline", "lockscan-baseline.json"],
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(out.status.code(), Some(0));
    let out = lockscan(dir.path(), &["--baseline", "lockscan-baseline.json"]);
    assert_eq!(
        stdout(&out),
        "no findings in 1 file; 2 known findings in the baseline are not shown\n"
    );
}

#[test]
fn moving_code_keeps_findings_known_and_new_ones_show() {
    let dir = lib_crate(TWO);
    assert_eq!(write_baseline(dir.path(), "base.json"), 2);
    // Moved down, re-indented, with a new hazard at the end.
    let moved = format!(
        "//! A crate.\n\n{}\npub fn again(m: &std::sync::Mutex<Vec<u8>>) {{\n  let g = m.lock().unwrap();\n  std::thread::sleep(std::time::Duration::from_millis(2));\n  drop(g);\n}}\n",
        TWO.replace("    ", "  ")
    );
    std::fs::write(dir.path().join("src/lib.rs"), moved).unwrap();
    let out = lockscan(
        dir.path(),
        &["--format", "short", "--baseline", "base.json"],
    );
    assert_eq!(
        stdout(&out),
        "src/lib.rs:12:11: warning[guard_across_sleep]: guard of `m` is held across a sleep\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_baseline_file_is_stable() {
    let dir = lib_crate(TWO);
    assert_eq!(write_baseline(dir.path(), "a.json"), 2);
    std::fs::write(
        dir.path().join("src/lib.rs"),
        format!("\n\n// shifted\n{TWO}"),
    )
    .unwrap();
    assert_eq!(write_baseline(dir.path(), "b.json"), 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.json")).unwrap(),
        std::fs::read_to_string(dir.path().join("b.json")).unwrap()
    );
}

#[test]
fn a_bad_baseline_is_an_error() {
    let dir = lib_crate(TWO);
    let cases: &[(&str, &str)] = &[
        (
            "{\"version\":1,",
            "error: baseline `b.json` is not valid JSON: EOF while parsing a value at line 1 column 13\n",
        ),
        (
            "[1, 2]",
            "error: baseline `b.json` is not a lockscan baseline: expected a JSON object with `version` and `findings`\n",
        ),
        (
            "{\"version\":7,\"findings\":[]}",
            "error: baseline `b.json` is not a lockscan baseline: version 7 is not supported (this lockscan reads version 1)\n",
        ),
        (
            "{\"version\":1,\"findings\":[{\"rule\":\"x\"}]}",
            "error: baseline `b.json` is not a lockscan baseline: `findings[0].fingerprint` is missing or not a non-empty string\n",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join("b.json"), text).unwrap();
        let out = lockscan(dir.path(), &["--baseline", "b.json"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert_eq!(&stderr(&out), expected, "{text}");
        assert!(stdout(&out).is_empty(), "{text}");
    }
    let out = lockscan(dir.path(), &["--baseline", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read baseline `missing.json`: no such file or directory\n"
    );
    let out = lockscan(dir.path(), &["--write-baseline", "no/such/dir/b.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot write baseline `no/such/dir/b.json`: no such file or directory\n"
    );
}

/// Only `--write-baseline` writes, and only the file it names: runs in every format, with a
/// baseline or without, leave every file in the tree as it was, byte for byte, the baseline
/// they read included.
#[test]
fn lockscan_writes_nothing_else() {
    let dir = lib_crate(TWO);
    assert_eq!(write_baseline(dir.path(), "base.json"), 2);
    let before = tree(dir.path());
    for format in ["human", "short", "json", "sarif", "github", "gitlab"] {
        let out = lockscan(dir.path(), &["--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{format}");
        let out = lockscan(dir.path(), &["--format", format, "--baseline", "base.json"]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
    }
    let after = tree(dir.path());
    let changed: BTreeSet<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(changed.is_empty(), "lockscan changed {changed:?}");
}

#[test]
fn naming_files_does_not_change_fingerprints() {
    // A pre-commit run names a few files; the baseline was written from a full run.
    let dir = lib_crate("pub mod a;\npub mod b;\n");
    std::fs::write(dir.path().join("src/a.rs"), TWO).unwrap();
    std::fs::write(dir.path().join("src/b.rs"), TWO).unwrap();
    assert_eq!(write_baseline(dir.path(), "base.json"), 4);
    for named in [&["src/a.rs"][..], &["src/b.rs"], &["src/a.rs", "src/b.rs"]] {
        let mut args = vec!["--format", "short", "--baseline", "base.json"];
        args.extend(named);
        let out = lockscan(dir.path(), &args);
        assert_eq!(stdout(&out), "", "{named:?}");
        assert_eq!(out.status.code(), Some(0));
    }
}
