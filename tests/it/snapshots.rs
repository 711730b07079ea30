//! Snapshots of the human and JSON output for a few fixtures. A change in wording or layout
//! shows up as a diff to review (`INSTA_UPDATE=always cargo test --test it snapshots` to
//! accept).

use crate::support::{LOCKSCAN, command, finish, root};
use std::path::Path;

/// lockscan's output on `path` (relative to the repository root) in `format`.
fn run(path: &str, format: &str) -> String {
    run_at(path, format, 100)
}

/// The output at a terminal width of `columns` (pinned: a test never depends on the terminal
/// it runs in).
fn run_at(path: &str, format: &str, columns: usize) -> String {
    let mut c = command(Path::new(LOCKSCAN), root(), &[path, "--format", format]);
    c.env("COLUMNS", columns.to_string());
    let out = finish(c);
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn json(path: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&run(path, "json")).unwrap();
    // The only part of the output that changes from run to run.
    v["summary"]["elapsed_ms"] = serde_json::Value::from(0);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn vote_human() {
    insta::assert_snapshot!(run("fixtures/src/seeds/vote.rs", "human"));
}

#[test]
fn vote_json() {
    insta::assert_snapshot!(json("fixtures/src/seeds/vote.rs"));
}

/// A lock-order cycle across two files, at 80 columns: the other file's places are a `note:`
/// with its own snippet.
#[test]
fn lock_order_across_files_human_80() {
    insta::assert_snapshot!(run_at(
        "fixtures/crates/warehouse/src/audit.rs",
        "human",
        80
    ));
}

#[test]
fn vote_human_80() {
    insta::assert_snapshot!(run_at("fixtures/src/seeds/vote.rs", "human", 80));
}

#[test]
fn rwlock_upgrade_human() {
    insta::assert_snapshot!(run("fixtures/src/rwlock_upgrade.rs", "human"));
}

#[test]
fn static_mut_json() {
    insta::assert_snapshot!(json("fixtures/src/static_mut.rs"));
}

#[test]
fn guard_across_await_human() {
    insta::assert_snapshot!(run("fixtures/src/guard_across_await.rs", "human"));
}

/// The SARIF log with each rule's long texts left out: they are the registry's docs, checked
/// against the registry in `tests/it/sarif.rs`, and would make every doc edit a snapshot change.
fn sarif(path: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&run(path, "sarif")).unwrap();
    for rule in v["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        let obj = rule.as_object_mut().unwrap();
        for key in ["fullDescription", "help"] {
            assert!(obj.remove(key).is_some(), "rule lacks `{key}`: {obj:?}");
        }
    }
    // The version changes with every release.
    let driver = &mut v["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    driver["version"] = "VERSION".into();
    driver["semanticVersion"] = "VERSION".into();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn outputs_sarif() {
    insta::assert_snapshot!(sarif("tests/data/outputs"));
}

#[test]
fn outputs_github() {
    insta::assert_snapshot!(run("tests/data/outputs", "github"));
}

#[test]
fn outputs_gitlab() {
    insta::assert_snapshot!(run("tests/data/outputs", "gitlab"));
}

#[test]
fn outputs_short() {
    insta::assert_snapshot!(run("tests/data/outputs", "short"));
}

#[test]
fn outputs_human() {
    insta::assert_snapshot!(run("tests/data/outputs", "human"));
}
