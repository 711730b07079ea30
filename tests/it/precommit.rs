//! The pre-commit round trip with the real `pre-commit` tool: a throwaway git repository whose
//! `.pre-commit-config.yaml` uses this repository (as it is on disk, committed into a scratch
//! copy) as a hook source. The hook must block a commit that adds a deadlock, let clean
//! commits through, and judge a commit by the findings that touch its files.
//!
//! It runs in `cargo test` like every other test, and sets up what it needs itself: pre-commit
//! from PyPI, in a virtualenv under `target/tmp/` (made once). pre-commit builds the hook as
//! for users, with `cargo install` from the hook repository; the test points that build at a
//! target directory under `target/tmp/` kept between runs, builds offline from the crates
//! `cargo test` has already fetched, and makes it an unoptimized release build (profile
//! settings through `CARGO_PROFILE_RELEASE_*`): on two cores the first run takes about a
//! minute instead of several, and a later one seconds.

use crate::support::{git, ok, output, quick_release_build, root, text, tmp};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PRE_COMMIT_VERSION: &str = "4.7.0";

/// pre-commit, in a virtualenv of its own (made once).
fn pre_commit() -> PathBuf {
    let venv = tmp().join(format!("pre-commit-{PRE_COMMIT_VERSION}"));
    let bin = venv.join("bin/pre-commit");
    if !bin.is_file() {
        let python = if Command::new("python3").arg("--version").output().is_ok() {
            "python3"
        } else {
            "python"
        };
        ok(Command::new(python).args(["-m", "venv"]).arg(&venv));
        ok(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("pre-commit=={PRE_COMMIT_VERSION}"),
        ]));
    }
    bin
}

/// Copies this repository's working tree (without build output and git data) into `to`, so
/// that the test sees the source as it is, committed or not. `.git` is left out whether it is
/// a directory or, in a linked worktree, a file pointing at the real repository: copied, that
/// file would make the scratch copy's commits land in the real repository. `fuzz/` is left out
/// too: the hook does not build it, and a running fuzzer adds and removes corpus files while
/// the copy is made.
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let n = e.file_name();
            n != ".git"
                && !(e.file_type().is_dir() && n == "target")
                && !(e.depth() == 1 && n == "fuzz")
        })
    {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

const COUNTER: &str = "pub struct Counter {
    pub(crate) n: parking_lot::Mutex<u64>,
}

impl Counter {
    pub fn get(&self) -> u64 {
        *self.n.lock()
    }
}
";

const BUMP: &str = "use crate::counter::Counter;

impl Counter {
    pub fn bump(&self) {
        let mut n = self.n.lock();
        *n += 1;
        let again = self.n.lock();
        println!(\"{}\", *again);
    }
}
";

const BUMP_FIXED: &str = "use crate::counter::Counter;

impl Counter {
    pub fn bump(&self) {
        let mut n = self.n.lock();
        *n += 1;
        println!(\"{}\", *n);
    }
}
";

#[test]
fn pre_commit_blocks_a_deadlock_and_lets_clean_commits_through() {
    let pre_commit = pre_commit();
    let scratch = tempfile::tempdir().unwrap();

    // The hook source: this repository's files, committed.
    let hooks = scratch.path().join("hooks");
    copy_tree(root(), &hooks);
    assert!(!hooks.join(".git").exists());
    ok(git(&hooks).args(["init", "-q", "-b", "main"]));
    // The scratch repository is its own, and nothing else is committed to.
    let git_dir =
        String::from_utf8(ok(git(&hooks).args(["rev-parse", "--absolute-git-dir"])).stdout)
            .unwrap();
    assert_eq!(
        Path::new(git_dir.trim()).canonicalize().unwrap(),
        hooks.join(".git").canonicalize().unwrap()
    );
    ok(git(&hooks).args(["add", "-A"]));
    ok(git(&hooks).args(["commit", "-q", "-m", "lockscan"]));
    let rev = String::from_utf8(ok(git(&hooks).args(["rev-parse", "HEAD"])).stdout)
        .unwrap()
        .trim()
        .to_string();

    // The user's repository.
    let repo = scratch.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    ok(git(&repo).args(["init", "-q", "-b", "main"]));
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: lockscan\n        args: [--format, short]\n",
            hooks.display()
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    let write = |name: &str, text: &str| std::fs::write(repo.join(name), text).unwrap();
    write("src/lib.rs", "pub mod counter;\npub mod other;\n");
    write("src/counter.rs", COUNTER);
    write("src/other.rs", "pub fn nothing() {}\n");

    let cache = scratch.path().join("pre-commit-home");
    let commit = |message: &str, extra: &[&str]| -> Output {
        ok(git(&repo).args(["add", "-A"]));
        // pre-commit still runs `cargo install` as it does for users, as a quick build.
        output(quick_release_build(
            git(&repo)
                .args(["commit", "-q", "-m", message])
                .args(extra)
                .env("PRE_COMMIT_HOME", &cache),
        ))
    };
    let commits = || -> usize {
        String::from_utf8(ok(git(&repo).args(["rev-list", "--count", "--all"])).stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap_or(0)
    };
    ok(Command::new(&pre_commit)
        .arg("install")
        .current_dir(&repo)
        .env("PRE_COMMIT_HOME", &cache));

    // 1. A clean crate goes in (this run builds the hook).
    let out = commit("clean", &[]);
    assert!(
        out.status.success(),
        "a clean commit was blocked:\n{}",
        text(&out)
    );
    assert!(text(&out).contains("lockscan"), "{}", text(&out));
    assert_eq!(commits(), 1);

    // 2. A deadlock is blocked.
    write(
        "src/lib.rs",
        "pub mod bump;\npub mod counter;\npub mod other;\n",
    );
    write("src/bump.rs", BUMP);
    let out = commit("bump", &[]);
    assert!(
        !out.status.success(),
        "the deadlock got in:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("src/bump.rs:7:21: error[double_lock]"),
        "{}",
        text(&out)
    );
    assert_eq!(commits(), 1);

    // 3. Its fix goes in.
    write("src/bump.rs", BUMP_FIXED);
    let out = commit("bump, fixed", &[]);
    assert!(out.status.success(), "the fix was blocked:\n{}", text(&out));
    assert_eq!(commits(), 2);

    // 4. Old debt, committed without the hook: a `static mut` in `stats.rs`. A commit that
    //    touches only an unrelated file goes through: no finding touches it.
    write(
        "src/lib.rs",
        "pub mod bump;\npub mod counter;\npub mod other;\npub mod stats;\n",
    );
    write("src/stats.rs", "pub static mut HITS: u64 = 0;\n");
    let out = commit("stats", &["--no-verify"]);
    assert!(out.status.success(), "{}", text(&out));
    write(
        "src/other.rs",
        "pub fn nothing() {}\n\npub fn still_nothing() {}\n",
    );
    let out = commit("other", &[]);
    assert!(
        out.status.success(),
        "an unrelated commit was blocked:\n{}",
        text(&out)
    );
    assert_eq!(commits(), 4);

    // 5. A commit that adds an access to that static, in `other.rs` only, is blocked: the
    //    finding is declared in `stats.rs`, which the commit does not touch, but lockscan
    //    reads the whole crate and the new access is part of the finding.
    write(
        "src/other.rs",
        "pub fn nothing() {}\n\npub fn still_nothing() {}\n\npub fn hit() {\n    unsafe { crate::stats::HITS += 1 }\n}\n",
    );
    let out = commit("hit", &[]);
    assert!(
        !out.status.success(),
        "the new access got in:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("src/stats.rs:1:16: warning[static_mut]"),
        "{}",
        text(&out)
    );
    assert_eq!(commits(), 4);
}
