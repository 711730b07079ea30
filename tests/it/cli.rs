//! The command line as users meet it: exit codes, bad paths, bad files, and output formats.

use crate::support::{
    DEADLOCK, assert_quiet, git, krate, krate_bytes, lockscan, ok, root, stderr, stdout,
};
use std::path::Path;
use std::process::Command;

const CLEAN: &str = "use std::sync::Mutex;
pub struct Log { lines: Mutex<Vec<String>> }
impl Log {
    pub fn push(&self, line: String) { self.lines.lock().unwrap().push(line); }
}
";

const SLEEPY: &str = "use std::sync::Mutex;
pub fn wait(m: &Mutex<u8>) {
    let g = m.lock().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1));
    drop(g);
}
";

#[test]
fn clean_code_exits_zero() {
    let dir = krate(&[("lib.rs", CLEAN)]);
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("no findings in 1 file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn findings_exit_one() {
    let dir = krate(&[("lib.rs", DEADLOCK)]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard\n"
    );
}

#[test]
fn fail_on_sets_the_threshold() {
    let dir = krate(&[("lib.rs", SLEEPY)]);
    assert_eq!(lockscan(dir.path(), &[]).status.code(), Some(1));
    assert_eq!(
        lockscan(dir.path(), &["--fail-on", "error"]).status.code(),
        Some(0)
    );
    assert_eq!(
        lockscan(dir.path(), &["--fail-on", "never"]).status.code(),
        Some(0)
    );
}

#[test]
fn a_missing_path_exits_two() {
    let dir = krate(&[("lib.rs", CLEAN)]);
    let out = lockscan(dir.path(), &["no/such/place"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "error: no such file or directory: `no/such/place`\n"
    );
}

#[test]
fn bad_arguments_exit_two() {
    let dir = krate(&[("lib.rs", CLEAN)]);
    assert_eq!(
        lockscan(dir.path(), &["--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        lockscan(dir.path(), &["--threads", "0"]).status.code(),
        Some(2)
    );
    assert_eq!(
        lockscan(dir.path(), &["--no-such-flag"]).status.code(),
        Some(2)
    );
}

#[test]
fn help_and_version_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = lockscan(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage: lockscan"));
    let out = lockscan(dir.path(), &["--version"]);
    assert_eq!(
        stdout(&out),
        format!("lockscan {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// `lockscan help` is clap's help, and `help SUBCOMMAND` a subcommand's; a directory named
/// like a subcommand is checked when written as a path (`./server`), and a subcommand takes
/// none of the checking flags.
#[test]
fn subcommands_and_directories_named_like_them() {
    let dir = krate(&[("lib.rs", CLEAN)]);
    let out = lockscan(dir.path(), &["help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("Usage: lockscan"), "{help}");
    for sub in ["server", "graph", "completions", "help"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "`{sub}` missing from:\n{help}"
        );
    }
    let out = lockscan(dir.path(), &["help", "server"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("Usage: lockscan server"),
        "{}",
        stdout(&out)
    );
    // The server reads no paths and takes no checking flags.
    for args in [&["server", "src"][..], &["server", "--format", "json"]] {
        let out = lockscan(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("unexpected argument"), "{args:?}");
    }
    // Directories named like the subcommands, each with a finding of its own.
    for sub in ["server", "graph", "completions", "help"] {
        let file = dir.path().join(sub).join("lib.rs");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            format!("pub static mut IN_{}: u32 = 0;\n", sub.to_uppercase()),
        )
        .unwrap();
        for path in [format!("./{sub}"), format!("{sub}/")] {
            let out = lockscan(dir.path(), &["--format", "short", &path]);
            assert_eq!(out.status.code(), Some(1), "{path}: {}", stderr(&out));
            assert_eq!(
                stdout(&out),
                format!(
                    "{sub}/lib.rs:1:16: warning[static_mut]: `static mut IN_{}` is shared mutable state with no synchronization\n",
                    sub.to_uppercase()
                ),
                "{path}"
            );
        }
        // After a flag, the name is a path too.
        let out = lockscan(dir.path(), &["--format", "short", sub]);
        assert_eq!(out.status.code(), Some(1), "{sub}: {}", stderr(&out));
        assert!(stdout(&out).starts_with(&format!("{sub}/lib.rs:")), "{sub}");
    }
}

#[test]
fn a_non_utf8_file_is_reported_and_the_run_goes_on() {
    let dir = krate_bytes(&[
        ("lib.rs", DEADLOCK.as_bytes()),
        ("latin1.rs", b"// caf\xe9\nfn f() {}\n"),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("src/latin1.rs:1:7: warning[parse_error]: this file is not valid UTF-8 (invalid byte at line 1, column 7)"),
        "{text}"
    );
    assert!(
        text.contains("src/lib.rs:6:21: error[double_lock]"),
        "{text}"
    );
}

#[test]
fn a_syntax_error_among_good_files_is_reported_and_the_run_goes_on() {
    let dir = krate(&[
        ("lib.rs", DEADLOCK),
        ("broken.rs", "fn broken( {\n"),
        ("fine.rs", CLEAN),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("src/broken.rs:1:"), "{text}");
    assert!(
        lines[0].contains("warning[parse_error]: could not parse this file:"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("src/lib.rs:6:21: error[double_lock]"),
        "{text}"
    );
}

#[test]
fn a_named_file_is_checked_with_its_crate_and_only_its_findings_shown() {
    let dir = krate(&[("lib.rs", DEADLOCK), ("other.rs", SLEEPY)]);
    let out = lockscan(dir.path(), &["--format", "short", "src/other.rs"]);
    let text = stdout(&out);
    assert!(
        text.contains("src/other.rs:3:13: warning[guard_across_sleep]"),
        "{text}"
    );
    assert!(!text.contains("src/lib.rs"), "{text}");
}

#[test]
fn json_follows_the_contract() {
    let dir = krate(&[("lib.rs", DEADLOCK)]);
    let out = lockscan(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let d = &v["diagnostics"][0];
    for key in [
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "labels",
        "help",
        "fix",
    ] {
        assert!(d.get(key).is_some(), "diagnostic lacks `{key}`: {d}");
    }
    assert_eq!(d["rule"], "double_lock");
    assert_eq!(d["file"], "src/lib.rs");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(21))
    );
    let labels = d["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[1]["line"], 5);
    for key in ["files", "parse_errors", "diagnostics", "elapsed_ms"] {
        assert!(v["summary"].get(key).is_some(), "summary lacks `{key}`");
    }
    assert_eq!(v["summary"]["diagnostics"], 1);
}

#[test]
fn output_is_deterministic() {
    let fixtures = root();
    let a = lockscan(fixtures, &["fixtures", "--format", "short", "-j", "2"]);
    let b = lockscan(fixtures, &["fixtures", "--format", "short", "-j", "1"]);
    assert!(!a.stdout.is_empty());
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn a_source_module_named_target_is_read_but_a_build_dir_is_not() {
    let dir = krate(&[("lib.rs", "mod target;\n"), ("target/mod.rs", DEADLOCK)]);
    std::fs::create_dir_all(dir.path().join("target/debug")).unwrap();
    std::fs::write(dir.path().join("target/debug/build.rs"), DEADLOCK).unwrap();
    let out = lockscan(dir.path(), &["--format", "short"]);
    let text = stdout(&out);
    assert!(
        text.contains("src/target/mod.rs:6:21: error[double_lock]"),
        "{text}"
    );
    assert!(!text.contains("target/debug"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_named_symlink_to_a_directory_is_followed() {
    let dir = krate(&[("lib.rs", DEADLOCK)]);
    let link = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path(), link.path().join("linked")).unwrap();
    let out = lockscan(link.path(), &["linked", "--format", "short"]);
    assert!(
        stdout(&out).contains("linked/src/lib.rs:6:21: error[double_lock]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_named_directory_is_read_even_when_an_outer_gitignore_lists_it() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join(".gitignore"), "vendored/\n").unwrap();
    // An ignore file applies only inside a git repository: without one, the first check
    // below would prove nothing, and the second would fail blaming lockscan.
    ok(git(outer.path()).args(["init", "-q"]));
    let inner = outer.path().join("vendored/src");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join("lib.rs"), DEADLOCK).unwrap();
    let out = lockscan(outer.path(), &["vendored", "--format", "short"]);
    assert!(
        stdout(&out).contains("vendored/src/lib.rs:6:21"),
        "{}",
        stdout(&out)
    );
    // Walking from the top, the ignore file applies.
    let out = lockscan(outer.path(), &["--format", "short"]);
    assert!(!stdout(&out).contains("vendored"), "{}", stdout(&out));
}

#[test]
fn explain_prints_the_registry_docs() {
    let dir = tempfile::tempdir().unwrap();
    for rule in lockscan::rules::RULES {
        let out = lockscan(dir.path(), &["--explain", rule.name]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        assert_eq!(text, lockscan::rules::explanation(rule));
        assert!(text.starts_with(&format!("# {}\n", rule.name)), "{text}");
        assert!(text.contains(rule.docs.trim_end()), "{text}");
    }
    let out = lockscan(dir.path(), &["--explain", "no_such_rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: unknown rule `no_such_rule`; `lockscan --list-rules` lists the rules\n"
    );
    // It takes no paths or other flags.
    let out = lockscan(dir.path(), &["--explain", "double_lock", "src"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_rules_prints_every_registered_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = lockscan(dir.path(), &["--list-rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), lockscan::rules::RULES.len());
    for (line, rule) in text.lines().zip(lockscan::rules::RULES) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], rule.name);
        assert_eq!(cols[1], rule.level.as_str());
        assert!(line.ends_with(rule.summary), "{line}");
    }
}

#[test]
fn a_named_file_shows_findings_that_touch_it() {
    // A finding touches a file through its primary span or any label: naming `lib.rs` shows
    // its finding, naming `other.rs` does not.
    let sleepy = "use std::sync::Mutex;
pub fn wait(m: &Mutex<Vec<u8>>) {
    let g = m.lock().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1));
    drop(g);
}
";
    let dir = krate(&[("lib.rs", sleepy), ("other.rs", "pub fn f() {}\n")]);
    assert_quiet(&lockscan(
        dir.path(),
        &["--format", "short", "src/other.rs"],
    ));
    let out = lockscan(dir.path(), &["--format", "short", "src/lib.rs"]);
    assert!(
        stdout(&out).contains("src/lib.rs:3:13: warning[guard_across_sleep]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn static_mut_accesses_in_a_named_file_show_the_finding() {
    // The static is declared in `a.rs` (the primary span); `b.rs` writes it (a label). A
    // commit that touches only `b.rs` must still see the finding.
    let dir = krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", "pub static mut HITS: u32 = 0;\n"),
        (
            "b.rs",
            "pub fn hit() {\n    unsafe { crate::a::HITS += 1 }\n}\n",
        ),
    ]);
    let out = lockscan(dir.path(), &["--format", "short", "src/b.rs"]);
    assert_eq!(
        stdout(&out),
        "src/a.rs:1:16: warning[static_mut]: `static mut HITS` is shared mutable state with no synchronization\n"
    );
}

#[test]
fn cargo_runs_it_as_a_subcommand() {
    // The real client: cargo finds `cargo-lockscan` on the PATH and passes `lockscan` first.
    let deadlock = "use std::sync::Mutex;
pub struct Log { lines: Mutex<Vec<String>> }
impl Log {
    pub fn add(&self, line: String) {
        let g = self.lines.lock().unwrap();
        let mut again = self.lines.lock().unwrap();
        again.push(line);
        drop(g);
    }
}
";
    let dir = krate(&[("lib.rs", deadlock)]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-lockscan"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["lockscan", "--format", "short"])
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .expect("cargo runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:6:25: error[double_lock]: `self.lines` is locked while this thread already holds its guard\n"
    );
    // Run directly, it takes the same arguments.
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-lockscan"))
        .args(["lockscan", "--help"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("Usage: cargo lockscan"),
        "{}",
        stdout(&out)
    );
}

/// A binding typed by a call on itself (`n = n.max(5)`) once made place typing recurse until
/// the stack overflowed. Code that does not compile must not crash lockscan either.
#[test]
fn self_referential_bindings_do_not_recurse_forever() {
    let dir = krate(&[(
        "lib.rs",
        "pub struct Level { n: u32 }
impl Level {
    pub fn max(&self, other: u32) -> Level { Level { n: other } }
    pub fn next(&self) -> Level { Level { n: self.n + 1 } }
}
pub fn climb() {
    let mut n = 0;
    n = n.max(5);
    let mut cur;
    cur = cur.next();
    let mut a;
    let mut b;
    a = b.next();
    b = a.next();
    loop { cur = cur.next().max(a.n); }
}
",
    )]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn a_crate_whose_root_does_not_parse_is_still_checked() {
    // Its other files have no module tree to hang from: they are placed by location, in one
    // crate for the package.
    let dir = krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\nfn broken( {\n"),
        ("a.rs", DEADLOCK),
        ("b.rs", DEADLOCK),
        ("c/d.rs", DEADLOCK),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (line, file) in lines.iter().zip(["a.rs", "b.rs", "c/d.rs"]) {
        assert!(
            line.starts_with(&format!("src/{file}:6:21: error[double_lock]")),
            "{text}"
        );
    }
    assert!(lines[3].starts_with("src/lib.rs:3:"), "{text}");
}
