//! Configuration as users write it: `lockscan.toml` and Cargo metadata, what each key does,
//! flags over configuration, and the bad inputs (exit code 2, a message naming key and file).

use crate::support::{assert_quiet, lockscan, package, repo, rules, stderr, stdout};

const SLEEPY: &str = "use std::sync::Mutex;
pub fn wait(m: &Mutex<Vec<u8>>) {
    let g = m.lock().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1));
    drop(g);
}
";

const STATIC_MUT: &str = "pub static mut COUNT: u32 = 0;\n";

#[test]
fn rule_levels_change_and_silence_rules() {
    let dir = package(&[
        ("src/lib.rs", "mod a;\nmod b;\n"),
        ("src/a.rs", SLEEPY),
        ("src/b.rs", STATIC_MUT),
        (
            "lockscan.toml",
            "[rules]\nstatic_mut = \"allow\"\nguard_across_sleep = \"deny\"\n",
        ),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(
        stdout(&out),
        "src/a.rs:3:13: error[guard_across_sleep]: guard of `m` is held across a sleep\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn flags_override_the_configuration() {
    let dir = package(&[
        ("src/lib.rs", SLEEPY),
        (
            "lockscan.toml",
            "fail-on = \"never\"\n[rules]\nguard_across_sleep = \"allow\"\n",
        ),
    ]);
    // The configuration: the rule is off and nothing fails.
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    // The flags win; the last of --allow/--warn/--deny for a rule wins.
    let out = lockscan(
        dir.path(),
        &[
            "--format",
            "short",
            "--warn",
            "guard_across_sleep",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(rules(&out), ["guard_across_sleep"]);
    assert_eq!(out.status.code(), Some(1));
    let out = lockscan(
        dir.path(),
        &[
            "--format",
            "short",
            "-D",
            "guard_across_sleep",
            "-A",
            "guard_across_sleep",
        ],
    );
    assert_quiet(&out);
    let out = lockscan(
        dir.path(),
        &[
            "--format",
            "short",
            "-A",
            "guard_across_sleep",
            "-D",
            "guard_across_sleep",
        ],
    );
    assert!(
        stdout(&out).contains("error[guard_across_sleep]"),
        "{}",
        stdout(&out)
    );
    // --no-config reads none.
    let out = lockscan(dir.path(), &["--format", "short", "--no-config"]);
    assert_eq!(rules(&out), ["guard_across_sleep"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fail_on_from_the_configuration() {
    let dir = package(&[
        ("src/lib.rs", SLEEPY),
        ("lockscan.toml", "fail-on = \"error\"\n"),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(rules(&out), ["guard_across_sleep"]);
    assert_eq!(out.status.code(), Some(0), "a warning does not fail");
}

#[test]
fn the_configuration_of_the_crate_named_applies_wherever_lockscan_runs() {
    let dir = package(&[
        ("src/lib.rs", SLEEPY),
        (
            "lockscan.toml",
            "fail-on = \"error\"\n[rules]\nguard_across_sleep = \"allow\"\n",
        ),
    ]);
    let elsewhere = repo();
    for path in [dir.path().to_path_buf(), dir.path().join("src/lib.rs")] {
        let out = lockscan(
            elsewhere.path(),
            &["--format", "short", path.to_str().unwrap()],
        );
        assert_eq!(rules(&out), Vec::<String>::new(), "{}", stdout(&out));
        assert_eq!(out.status.code(), Some(0));
        // What the configuration silenced is there: the crate was read.
        let out = lockscan(
            elsewhere.path(),
            &["--format", "short", "--no-config", path.to_str().unwrap()],
        );
        assert_eq!(rules(&out), ["guard_across_sleep"], "{}", stdout(&out));
        assert_eq!(out.status.code(), Some(1));
    }
}

#[test]
fn excluded_paths_are_not_read() {
    let dir = package(&[
        ("src/lib.rs", "mod gen;\nmod a;\n"),
        ("src/gen/mod.rs", STATIC_MUT),
        ("src/a.rs", SLEEPY),
        ("lockscan.toml", "exclude = [\"gen/\"]\n"),
    ]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(rules(&out), ["guard_across_sleep"], "{}", stdout(&out));
    // Even when named.
    let out = lockscan(dir.path(), &["--format", "short", "src/gen/mod.rs"]);
    assert_quiet(&out);
    let out = lockscan(dir.path(), &["src/gen/mod.rs"]);
    assert_eq!(stdout(&out), "no findings in 0 files\n");
    // The flag adds patterns, relative to the working directory.
    let out = lockscan(dir.path(), &["--format", "short", "--exclude", "src/a.rs"]);
    assert_quiet(&out);
    // A bad pattern is an error.
    let out = lockscan(dir.path(), &["--exclude", "src/{a.rs"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: invalid exclude pattern `src/{a.rs`: unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)\n"
    );
}

#[test]
fn extra_lock_blocking_and_sleep_functions() {
    let code = "pub struct Pool { inner: Gate }
pub struct Gate;
impl Pool {
    pub fn refill(&self) {
        let g = self.inner.acquire();
        backoff::pause(3);
        drop(g);
    }
    pub fn drain(&self, rx: &Chan) {
        let g = self.inner.acquire();
        rx.wait_ready();
        rpc::call_sync();
        drop(g);
    }
}
pub struct Chan;
";
    let dir = package(&[("src/lib.rs", code)]);
    // Without configuration: nothing lockscan knows.
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "lock-methods = [\"acquire\"]\nsleep-functions = [\"backoff::pause\"]\nblocking-functions = [\"rpc::call_sync\", \"wait_ready\"]\n",
    )
    .unwrap();
    let out = lockscan(dir.path(), &["--format", "short"]);
    let text = stdout(&out);
    assert!(
        text.contains("src/lib.rs:5:17: warning[guard_across_sleep]"),
        "{text}"
    );
    assert!(
        text.contains("src/lib.rs:10:17: warning[guard_across_blocking]: guard of `self.inner` is held across 2 blocking calls (a call listed in `blocking-functions`)"),
        "{text}"
    );
}

#[test]
fn a_configured_lock_method_thrown_away_is_a_lost_guard() {
    let code = "pub struct Pool { inner: Gate }
pub struct Gate;
impl Pool {
    pub fn touch(&self) {
        let _ = self.inner.acquire();
        self.inner.acquire();
        let _permit = self.inner.acquire();
    }
}
";
    let dir = package(&[("src/lib.rs", code)]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "lock-methods = [\"acquire\"]\n",
    )
    .unwrap();
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(
        rules(&out),
        ["let_underscore_guard", "let_underscore_guard"],
        "{}",
        stdout(&out)
    );
}

/// What configuration adds is part of each function's summary, so it is seen through calls,
/// as what lockscan knows is: a helper that sleeps, blocks or takes a configured lock makes
/// its caller do so.
#[test]
fn configured_functions_are_seen_through_calls() {
    let code = "pub struct Gate;
pub struct Pool {
    inner: Gate,
    other: Gate,
}
impl Pool {
    pub fn refill(&self) {
        let g = self.inner.acquire();
        self.settle();
        drop(g);
    }
    fn settle(&self) {
        backoff::pause(3);
    }
    pub fn drain(&self) {
        let g = self.inner.acquire();
        self.flush();
        drop(g);
    }
    fn flush(&self) {
        rpc::call_sync();
    }
    pub fn both(&self) {
        let g = self.inner.acquire();
        self.take_other();
        drop(g);
    }
    fn take_other(&self) {
        let _h = self.other.acquire();
    }
    pub fn both_reversed(&self) {
        let h = self.other.acquire();
        self.take_inner();
        drop(h);
    }
    fn take_inner(&self) {
        let _g = self.inner.acquire();
    }
}
";
    let dir = package(&[("src/lib.rs", code)]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "lock-methods = [\"acquire\"]\nsleep-functions = [\"backoff::pause\"]\nblocking-functions = [\"rpc::call_sync\"]\n",
    )
    .unwrap();
    let out = lockscan(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, Vec<String>)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| format!("{}: {}", l["line"], l["message"].as_str().unwrap()))
                    .collect(),
            )
        })
        .collect();
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(
        rules,
        [
            ("guard_across_sleep", 8),
            ("guard_across_blocking", 16),
            ("lock_order_inversion", 25),
        ],
        "{found:#?}"
    );
    // Each names the call that leads to the hazard and the place inside the callee.
    let labels = |i: usize| found[i].2.join("\n");
    assert!(
        labels(0).contains("9: calls `Pool::settle`, which sleeps"),
        "{}",
        labels(0)
    );
    assert!(labels(0).contains("13: sleeps here"), "{}", labels(0));
    assert!(
        labels(1).contains(
            "17: calls `Pool::flush`, which blocks on a call listed in `blocking-functions`"
        ),
        "{}",
        labels(1)
    );
    assert!(
        labels(1).contains("21: blocks on a call listed in `blocking-functions` here"),
        "{}",
        labels(1)
    );
    assert!(
        labels(2).contains("29: locks `self.other` here"),
        "{}",
        labels(2)
    );
    assert!(
        labels(2).contains("37: locks `self.inner` here"),
        "{}",
        labels(2)
    );
}

#[test]
fn cargo_metadata_is_read() {
    let dir = package(&[
        ("src/lib.rs", STATIC_MUT),
        (
            "Cargo.toml",
            "\n[package.metadata.lockscan]\nrules = { static_mut = \"allow\" }\n",
        ),
    ]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    // A workspace's metadata, read from a member's directory.
    let ws = repo();
    std::fs::write(
        ws.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\"]\n[workspace.metadata.lockscan.rules]\nstatic_mut = \"deny\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(ws.path().join("a/src")).unwrap();
    std::fs::write(
        ws.path().join("a/Cargo.toml"),
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(ws.path().join("a/src/lib.rs"), STATIC_MUT).unwrap();
    let out = lockscan(&ws.path().join("a"), &["--format", "short"]);
    assert!(
        stdout(&out).contains("error[static_mut]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_explicit_config_file() {
    let dir = package(&[("src/lib.rs", STATIC_MUT)]);
    std::fs::write(
        dir.path().join("strict.toml"),
        "[rules]\nstatic_mut = \"deny\"\n",
    )
    .unwrap();
    let out = lockscan(
        dir.path(),
        &["--format", "short", "--config", "strict.toml"],
    );
    assert!(
        stdout(&out).contains("error[static_mut]"),
        "{}",
        stdout(&out)
    );
    let out = lockscan(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read configuration `missing.toml`: no such file or directory\n"
    );
    let out = lockscan(dir.path(), &["--config", "strict.toml", "--no-config"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Each bad input stops the run with exit code 2 and one clear line.
#[test]
fn bad_configuration_is_an_error_naming_the_key_and_the_file() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "lockscan.toml",
            "colour = true\n",
            "error: unknown key `colour` in `lockscan.toml:1:1`\n",
        ),
        (
            "lockscan.toml",
            "fail_on = \"error\"\n",
            "error: unknown key `fail_on` in `lockscan.toml:1:1` (did you mean `fail-on`?)\n",
        ),
        (
            "lockscan.toml",
            "[rules]\ndeadlock = \"deny\"\n",
            "error: unknown rule `deadlock` in `lockscan.toml:2:1` (key `rules.deadlock`); `lockscan --list-rules` lists the rules\n",
        ),
        (
            "lockscan.toml",
            "[rules]\nstatic_mut = \"off\"\n",
            "error: invalid value for `rules.static_mut` in `lockscan.toml:2:1`: expected `allow`, `warn` or `deny`, found `off`\n",
        ),
        (
            "lockscan.toml",
            "exclude = [1]\n",
            "error: invalid value for `exclude` in `lockscan.toml:1:1`: expected an array of strings, found an integer in it\n",
        ),
        (
            "Cargo.toml",
            "\n[package.metadata.lockscan]\nexcludes = []\n",
            "error: unknown key `package.metadata.lockscan.excludes` in `Cargo.toml:7:1` (did you mean `exclude`?)\n",
        ),
    ];
    for (file, text, expected) in cases {
        let dir = package(&[("src/lib.rs", STATIC_MUT), (file, text)]);
        let out = lockscan(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(2), "{file}: {text}");
        assert_eq!(&stderr(&out), expected, "{file}: {text}");
        assert!(stdout(&out).is_empty());
    }
    // Not TOML at all.
    let dir = package(&[("src/lib.rs", STATIC_MUT), ("lockscan.toml", "rules = [\n")]);
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot parse `lockscan.toml`: "),
        "{}",
        stderr(&out)
    );
    // An unknown rule in a flag.
    let out = lockscan(dir.path(), &["--no-config", "--allow", "deadlock"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: unknown rule `deadlock` in `--allow`; `lockscan --list-rules` lists the rules\n"
    );
}
