//! `--format github` in a GitHub Actions step: the annotations GitHub will not show are
//! counted in the log, and when `GITHUB_STEP_SUMMARY` names a file every finding is appended
//! to it as Markdown, linked to the code.

use crate::support::{LOCKSCAN, command, finish, krate, stderr, stdout};
use std::path::Path;
use std::process::Output;

/// `n` functions, each locking `self.n` twice: `n` `double_lock` errors, at lines 5, 9, 13, …
fn double_locks(n: usize) -> String {
    let mut s = String::from("use std::sync::Mutex;\npub struct C { n: Mutex<u8> }\nimpl C {\n");
    for i in 0..n {
        s.push_str(&format!(
            "    pub fn f{i}(&self) {{\n        let _a = self.n.lock().unwrap();\n        let _b = self.n.lock().unwrap();\n    }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

/// `lockscan --format github` in `dir`, in a step with the variables `env` (and no other of
/// GitHub's).
fn github(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = command(Path::new(LOCKSCAN), dir, &["--format", "github"]);
    c.envs(env.iter().copied());
    finish(c)
}

const RUN: [(&str, &str); 3] = [
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "octo/bank"),
    ("GITHUB_SHA", "0123abcd"),
];

#[test]
fn every_finding_is_appended_to_the_step_summary_with_a_link() {
    let dir = krate(&[("lib.rs", &double_locks(2))]);
    let summary = dir.path().join("summary.md");
    // An earlier step's summary stays: each step appends.
    std::fs::write(&summary, "earlier step\n").unwrap();
    let mut env = RUN.to_vec();
    env.push(("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()));
    let out = github(dir.path(), &env);
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    let msg = "`self.n` is locked while this thread already holds its guard";
    let rule = "[`double_lock`](https://github.com/lockscan/lockscan#rules)";
    assert_eq!(
        md,
        format!(
            "earlier step
### lockscan

2 errors in 1 file

| level | rule | place | message |
|---|---|---|---|
| error | {rule} | [src/lib.rs:6:18](https://github.com/octo/bank/blob/0123abcd/src/lib.rs#L6) | {msg} |
| error | {rule} | [src/lib.rs:10:18](https://github.com/octo/bank/blob/0123abcd/src/lib.rs#L10) | {msg} |

"
        )
    );
    // Two annotations are under every limit: the log says nothing about limits.
    assert!(!stdout(&out).contains("will not show"), "{}", stdout(&out));
    // Run again: appended once more.
    github(dir.path(), &env);
    let again = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(again.matches("### lockscan").count(), 2);
}

#[test]
fn outside_a_workflow_run_the_places_are_not_linked() {
    let dir = krate(&[("lib.rs", &double_locks(1))]);
    let summary = dir.path().join("summary.md");
    let out = github(
        dir.path(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("| error | [`double_lock`](https://github.com/lockscan/lockscan#rules) | src/lib.rs:6:18 | "), "{md}");
    // A clean run says so.
    let clean = krate(&[("lib.rs", "pub fn f() {}\n")]);
    let summary = clean.path().join("summary.md");
    let out = github(
        clean.path(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap(),
        "### lockscan\n\nno findings in 1 file\n\n"
    );
}

#[test]
fn annotations_over_githubs_limit_are_counted_and_all_are_in_the_summary() {
    let dir = krate(&[("lib.rs", &double_locks(13))]);
    // No summary file: the log points to SARIF.
    let out = github(dir.path(), &[]);
    let log = stdout(&out);
    assert_eq!(
        log.lines().filter(|l| l.starts_with("::error ")).count(),
        13
    );
    assert!(
        log.contains("\nGitHub will not show 3 of these annotations (3 errors): it shows 10 of each level per step and 50 per job; `--format sarif` with code scanning shows them all\n"),
        "{log}"
    );
    let summary = dir.path().join("summary.md");
    let out = github(
        dir.path(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert!(stdout(&out).contains("GitHub will not show 3 of these annotations (3 errors): it shows 10 of each level per step and 50 per job; the step summary lists every finding\n"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| error |")).count(),
        13,
        "{md}"
    );
    assert!(
        md.contains("GitHub will not show 3 of these annotations"),
        "{md}"
    );
}

#[test]
fn the_summary_is_written_only_for_the_github_format_and_a_bad_file_fails() {
    let dir = krate(&[("lib.rs", &double_locks(1))]);
    let summary = dir.path().join("summary.md");
    let mut c = command(Path::new(LOCKSCAN), dir.path(), &["--format", "sarif"]);
    c.env("GITHUB_STEP_SUMMARY", &summary);
    let out = finish(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(!summary.exists());
    let out = github(
        dir.path(),
        &[("GITHUB_STEP_SUMMARY", "no/such/dir/summary.md")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot write the step summary to `no/such/dir/summary.md`: no such file or directory\n"
    );
}
