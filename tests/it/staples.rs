//! The command-line habits of ruff and clippy users: `--select`, `--statistics`,
//! `--output-file`, `--quiet`, `-A all`, kebab-case rule names, "did you mean", shell
//! completions; output that fits the terminal and is coloured; progress only on a terminal; and
//! no silent passes (a path with no Rust files, a file that could not be checked).
//!
//! Terminal behaviour is tested on a real pseudo-terminal: util-linux's `script` runs lockscan
//! on one.

use crate::support::{
    LOCKSCAN, command, finish, krate, lockscan, repo, root, rules, stderr, stdout,
};
use std::path::Path;
use std::process::Command;

/// A crate with one finding of each of five rules: `double_lock` (line 11, error),
/// `guard_across_sleep` (16, warning), `let_underscore_guard` (22, error), `static_mut` (26,
/// warning) and an `unused_suppression` (28, warning, with a safe fix).
const SOURCE: &str = "use std::sync::Mutex;
use std::time::Duration;

pub struct Counter {
    n: Mutex<Vec<u64>>,
}

impl Counter {
    pub fn bump(&self) {
        let g = self.n.lock().unwrap();
        let again = self.n.lock().unwrap();
        println!(\"{} {}\", g.len(), again.len());
    }

    pub fn slow(&self) {
        let g = self.n.lock().unwrap();
        std::thread::sleep(Duration::from_millis(1));
        println!(\"{}\", g.len());
    }

    pub fn touch(&self) {
        let _ = self.n.lock();
    }
}

static mut HITS: u64 = 0;

// lockscan: allow(forgotten_guard)
pub fn hit() {
    unsafe { HITS += 1 }
}
";

fn demo() -> tempfile::TempDir {
    krate(&[("lib.rs", SOURCE)])
}

/// lockscan in `dir`, as [`lockscan`] runs it, to change its environment first.
fn cmd(dir: &Path, args: &[&str]) -> Command {
    command(Path::new(LOCKSCAN), dir, args)
}

const ALL: [&str; 5] = [
    "double_lock",
    "guard_across_sleep",
    "let_underscore_guard",
    "static_mut",
    "unused_suppression",
];

#[test]
fn the_demo_crate_has_one_finding_per_rule() {
    let out = lockscan(demo().path(), &["-f", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(rules(&out), ALL);
}

#[test]
fn select_reports_only_the_rules_named() {
    let dir = demo();
    let out = lockscan(dir.path(), &["-f", "short", "--select", "double_lock"]);
    assert_eq!(rules(&out), ["double_lock"]);
    assert_eq!(out.status.code(), Some(1));
    // Comma-separated or repeated, in either case of name.
    let out = lockscan(
        dir.path(),
        &[
            "-f",
            "short",
            "--select",
            "static-mut,double_lock",
            "--select",
            "guard-across-sleep",
        ],
    );
    assert_eq!(
        rules(&out),
        ["double_lock", "guard_across_sleep", "static_mut"]
    );
    // A selected rule with no findings: a clean run.
    let out = lockscan(dir.path(), &["-f", "short", "--select", "rwlock_upgrade"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
    // A suppression for a rule that is not selected is not reported as unused: the rule still
    // ran, so the comment is judged against its findings.
    let suppressed = "use std::sync::Mutex;\npub fn f(m: &Mutex<u8>) {\n    // lockscan: allow(let_underscore_guard)\n    let _ = m.lock();\n}\n";
    let d = krate(&[("lib.rs", suppressed)]);
    let out = lockscan(
        d.path(),
        &["-f", "short", "--select", "double_lock,unused_suppression"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // --allow, --warn and --deny apply after it.
    let out = lockscan(
        dir.path(),
        &[
            "-f",
            "short",
            "--select",
            "double_lock,static_mut",
            "-A",
            "static_mut",
        ],
    );
    assert_eq!(rules(&out), ["double_lock"]);
    let out = lockscan(
        dir.path(),
        &["-f", "short", "--select", "double_lock", "-W", "static_mut"],
    );
    assert_eq!(rules(&out), ["double_lock", "static_mut"]);
    // A selected rule the configuration turns off is back at its default level.
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "[rules]\nstatic_mut = \"allow\"\n",
    )
    .unwrap();
    assert!(!rules(&lockscan(dir.path(), &["-f", "short"])).contains(&"static_mut".to_string()));
    let out = lockscan(dir.path(), &["-f", "short", "--select", "static_mut"]);
    assert_eq!(
        stdout(&out),
        "src/lib.rs:26:12: warning[static_mut]: `static mut HITS` is shared mutable state with no synchronization\n"
    );
}

#[test]
fn allow_all_turns_everything_off_and_later_flags_turn_rules_back_on() {
    let dir = demo();
    let out = lockscan(dir.path(), &["-f", "short", "-A", "all"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
    let out = lockscan(
        dir.path(),
        &["-f", "short", "-A", "all", "-W", "double-lock"],
    );
    assert_eq!(
        stdout(&out),
        "src/lib.rs:11:21: warning[double_lock]: `self.n` is locked while this thread already holds its guard\n"
    );
    // In the order given: `all` after a rule wins over it.
    let out = lockscan(
        dir.path(),
        &["-f", "short", "-W", "double_lock", "-A", "all"],
    );
    assert!(stdout(&out).is_empty());
    let out = lockscan(dir.path(), &["-f", "short", "--deny", "all"]);
    assert!(
        stdout(&out).lines().all(|l| l.contains(": error[")),
        "{}",
        stdout(&out)
    );
    assert_eq!(rules(&out), ALL);
}

#[test]
fn kebab_case_rule_names_work_in_flags_configuration_and_comments() {
    let dir = demo();
    let out = lockscan(
        dir.path(),
        &[
            "-f",
            "short",
            "--allow",
            "double-lock",
            "-A",
            "guard-across-sleep",
        ],
    );
    assert_eq!(
        rules(&out),
        ["let_underscore_guard", "static_mut", "unused_suppression"]
    );
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "[rules]\nlet-underscore-guard = \"allow\"\nstatic-mut = \"deny\"\n",
    )
    .unwrap();
    let out = lockscan(dir.path(), &["-f", "short"]);
    assert_eq!(
        rules(&out),
        [
            "double_lock",
            "guard_across_sleep",
            "static_mut",
            "unused_suppression"
        ]
    );
    assert!(stdout(&out).contains("error[static_mut]"));
    // `// lockscan: allow(double-lock)` silences `double_lock` and is not unused.
    let src = SOURCE.replace(
        "let again = self.n.lock().unwrap();",
        "let again = self.n.lock().unwrap(); // lockscan: allow(double-lock) -- test",
    );
    let d = krate(&[("lib.rs", &src)]);
    let out = lockscan(d.path(), &["-f", "short"]);
    assert_eq!(
        rules(&out),
        [
            "guard_across_sleep",
            "let_underscore_guard",
            "static_mut",
            "unused_suppression"
        ]
    );
    assert!(!stdout(&out).contains(":11:"), "{}", stdout(&out));
    // `--explain` takes either form.
    let a = lockscan(d.path(), &["--explain", "double-lock"]);
    let b = lockscan(d.path(), &["--explain", "double_lock"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn a_mistyped_rule_gets_the_closest_one() {
    let dir = demo();
    for (flag, name) in [
        ("--allow", "dubble_lock"),
        ("--warn", "double-locks"),
        ("--deny", "double_lok"),
        ("--select", "dobule_lock"),
    ] {
        let out = lockscan(dir.path(), &[flag, name]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            stderr(&out),
            format!("error: unknown rule `{name}` in `{flag}`; did you mean `double_lock`?\n")
        );
        assert!(stdout(&out).is_empty());
    }
    let out = lockscan(dir.path(), &["--explain", "static_mutt"]);
    assert_eq!(
        stderr(&out),
        "error: unknown rule `static_mutt`; did you mean `static_mut`?\n"
    );
    // Nothing close: the list of rules.
    let out = lockscan(dir.path(), &["-A", "deadlocks"]);
    assert_eq!(
        stderr(&out),
        "error: unknown rule `deadlocks` in `--allow`; `lockscan --list-rules` lists the rules\n"
    );
    // In the configuration, with the place of the key.
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "fail-on = \"error\"\n\n[rules]\n  guard_accross_sleep = \"deny\"\n",
    )
    .unwrap();
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: unknown rule `guard_accross_sleep` in `lockscan.toml:4:3` (key `rules.guard_accross_sleep`); did you mean `guard_across_sleep`?\n"
    );
    std::fs::write(dir.path().join("lockscan.toml"), "\nexlcude = [\"gen/\"]\n").unwrap();
    assert_eq!(
        stderr(&lockscan(dir.path(), &[])),
        "error: unknown key `exlcude` in `lockscan.toml:2:1` (did you mean `exclude`?)\n"
    );
}

#[test]
fn statistics_count_findings_per_rule_in_each_format() {
    let dir = demo();
    let out = lockscan(dir.path(), &["--statistics"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "    1  double_lock           error
    1  guard_across_sleep    warning
    1  let_underscore_guard  error
    1  static_mut            warning
    1  unused_suppression    warning  [*]
[*] fixable with `--fix`
2 errors and 3 warnings in 1 file
"
    );
    // Counts add up, most frequent first; short has no summary.
    let two = format!(
        "{SOURCE}\npub fn hit2() {{\n    unsafe {{ HITS += 2 }}\n}}\nstatic mut MORE: u8 = 0;\npub fn more() {{ unsafe {{ MORE = 1 }} }}\n"
    );
    let d = krate(&[("lib.rs", &two)]);
    let out = lockscan(
        d.path(),
        &[
            "--statistics",
            "-f",
            "short",
            "--select",
            "static_mut,double_lock",
        ],
    );
    assert_eq!(
        stdout(&out),
        "    2  static_mut   warning\n    1  double_lock  error\n"
    );
    // JSON.
    let out = lockscan(dir.path(), &["--statistics", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["diagnostics"], 5);
    let rows = v["statistics"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[4],
        serde_json::json!({"rule": "unused_suppression", "severity": "warning", "count": 1, "fixable": 1})
    );
    // Formats with a fixed schema have no room for it.
    for f in ["sarif", "github", "gitlab"] {
        let out = lockscan(dir.path(), &["--statistics", "-f", f]);
        assert_eq!(out.status.code(), Some(2), "{f}");
        assert_eq!(
            stderr(&out),
            format!(
                "error: `--statistics` prints counts in the `human`, `short` or `json` format, not `{f}`\n"
            )
        );
    }
    // Quiet: the counts only.
    let out = lockscan(dir.path(), &["--statistics", "-q"]);
    assert_eq!(stdout(&out).lines().count(), 5, "{}", stdout(&out));
}

/// The output with the JSON's time zeroed (the one thing that changes between runs).
fn normalized(s: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(mut v) if v.get("summary").is_some() => {
            v["summary"]["elapsed_ms"] = 0.into();
            v.to_string()
        }
        _ => s.to_string(),
    }
}

#[test]
fn output_file_takes_what_stdout_would_in_every_format() {
    let dir = demo();
    let out_dir = tempfile::tempdir().unwrap();
    for format in ["human", "short", "json", "sarif", "github", "gitlab"] {
        for extra in [&[][..], &["--statistics"][..]] {
            if !extra.is_empty() && !matches!(format, "human" | "short" | "json") {
                continue;
            }
            let mut args = vec!["-f", format];
            args.extend_from_slice(extra);
            let plain = lockscan(dir.path(), &args);
            let file = out_dir.path().join(format!("out.{format}"));
            // The file is emptied first.
            std::fs::write(&file, "old text that must go\n".repeat(100)).unwrap();
            let mut with = args.clone();
            with.extend(["--output-file", file.to_str().unwrap()]);
            let to_file = lockscan(dir.path(), &with);
            assert_eq!(to_file.status.code(), plain.status.code(), "{format}");
            assert!(to_file.stdout.is_empty(), "{format}: {}", stdout(&to_file));
            let written = std::fs::read_to_string(&file).unwrap();
            assert!(!written.is_empty());
            assert_eq!(
                normalized(&written),
                normalized(&stdout(&plain)),
                "{format} {extra:?}"
            );
        }
    }
    // `-o` too, and colour never goes into a file unless asked for.
    let file = out_dir.path().join("o.txt");
    let mut c = cmd(dir.path(), &["-o", file.to_str().unwrap()]);
    c.env_remove("NO_COLOR");
    let out = finish(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(!std::fs::read_to_string(&file).unwrap().contains('\x1b'));
    // A file that cannot be written: exit 2, and nothing else happens.
    let out = lockscan(dir.path(), &["-o", "no/such/dir/out.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot write `no/such/dir/out.txt`: no such file or directory\n"
    );
    // `--diff` goes there too.
    let file = out_dir.path().join("fix.diff");
    let out = lockscan(dir.path(), &["--diff", "-o", file.to_str().unwrap()]);
    assert!(out.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("--- a/src/lib.rs\n")
    );
}

#[test]
fn quiet_prints_the_findings_and_nothing_else() {
    let dir = demo();
    let loud = lockscan(dir.path(), &[]);
    let quiet = lockscan(dir.path(), &["--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    let summary = "2 errors and 3 warnings in 1 file\n";
    assert!(stdout(&loud).ends_with(summary));
    assert_eq!(stdout(&quiet), stdout(&loud).strip_suffix(summary).unwrap());
    assert!(stderr(&quiet).is_empty());
    let gh = lockscan(dir.path(), &["-f", "github", "-q"]);
    assert!(
        stdout(&gh).lines().all(|l| l.starts_with("::")),
        "{}",
        stdout(&gh)
    );
    // `--fix` and `--diff` say nothing of what they did.
    let out = lockscan(dir.path(), &["--diff", "-q"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(!stdout(&out).is_empty());
    let out = lockscan(dir.path(), &["--fix", "-q"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("in 1 file"));
    let out = lockscan(dir.path(), &["--write-baseline", "b.json", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).is_empty() && stdout(&out).is_empty());
    // A clean run prints nothing at all.
    let clean = krate(&[("lib.rs", "pub fn f() {}\n")]);
    let out = lockscan(clean.path(), &["-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn completions_complete_flags_and_rule_names_in_bash() {
    let dir = demo();
    let out = lockscan(dir.path(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = dir.path().join("lockscan.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    // What bash offers after `lockscan --sel` and after `lockscan --allow doub`.
    let complete = |words: &str, cword: usize| -> String {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _lockscan lockscan \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = finish(command(Path::new("bash"), dir.path(), &["-c", &program]));
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let flags = complete("lockscan --sel", 1);
    assert_eq!(flags.trim(), "--select");
    let rules = complete("lockscan --allow doub", 2);
    assert_eq!(rules.trim(), "double_lock");
    let sub = complete("lockscan gra", 1);
    assert_eq!(sub.trim(), "graph");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = lockscan(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("select"), "{shell}");
    }
    let out = lockscan(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_path_with_no_rust_files_is_an_error() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/notes.md"), "# notes\n").unwrap();
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let msg = "(`.rs` files that `.gitignore`, hidden directories, `target/` or `exclude` leave out are not read)\n";
    assert_eq!(
        stderr(&out),
        format!("error: no Rust files to check in `.` {msg}")
    );
    // One good path does not hide a bad one.
    let k = demo();
    std::fs::create_dir_all(k.path().join("empty")).unwrap();
    let out = lockscan(k.path(), &["src", "empty", "-f", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        format!("error: no Rust files to check in `empty` {msg}")
    );
    // Everything excluded is nothing to check too.
    let out = lockscan(k.path(), &["src", "--exclude", "*.rs"]);
    assert_eq!(out.status.code(), Some(2));
    // And so is a crate whose files are all ignored.
    let out = lockscan(k.path(), &["--select", "double_lock", "--exclude", "src/"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    // But a file named on the command line that the configuration excludes is left out on
    // purpose (pre-commit passes every staged file): nothing to do, no error.
    std::fs::write(
        k.path().join("lockscan.toml"),
        "exclude = [\"src/lib.rs\"]\n",
    )
    .unwrap();
    let out = lockscan(k.path(), &["src/lib.rs"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "no findings in 0 files\n");
}

#[test]
fn a_file_that_could_not_be_checked_fails_the_run() {
    let dir = krate(&[
        ("lib.rs", "pub mod broken;\npub fn fine() {}\n"),
        ("broken.rs", "pub fn broken( {\n"),
    ]);
    for level in ["note", "warning", "error"] {
        let out = lockscan(dir.path(), &["--fail-on", level]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "--fail-on {level}: {}",
            stdout(&out)
        );
    }
    // Whatever the level of `parse_error`, even off: an unchecked file is no pass.
    for args in [
        &["-A", "parse_error"][..],
        &["-A", "all"],
        &["--select", "double_lock"],
    ] {
        let mut a = vec!["--fail-on", "error"];
        a.extend_from_slice(args);
        let out = lockscan(dir.path(), &a);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stdout(&out).ends_with("no findings in 2 files (1 file could not be parsed)\n"),
            "{}",
            stdout(&out)
        );
    }
    std::fs::write(dir.path().join("lockscan.toml"), "fail-on = \"error\"\n").unwrap();
    assert_eq!(lockscan(dir.path(), &[]).status.code(), Some(1));
    // Only `never` passes.
    let out = lockscan(dir.path(), &["--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
    // Excluding the file is how to leave it out on purpose.
    let out = lockscan(dir.path(), &["--exclude", "src/broken.rs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Runs `lockscan ARGS` on a pseudo-terminal of `cols` columns, its standard output into a
/// temporary file when `stdout_to_file` (never into `dir`, which may be this repository);
/// returns what the terminal showed and the exit code.
fn on_terminal(
    dir: &Path,
    cols: u16,
    args: &str,
    env: &[(&str, &str)],
    stdout_to_file: bool,
) -> (String, i32) {
    let sink = tempfile::NamedTempFile::new().unwrap();
    let redirect = if stdout_to_file {
        format!(" > '{}'", sink.path().display())
    } else {
        String::new()
    };
    // The variables go on the command itself: the shell `script` starts sets `COLUMNS` from
    // the terminal.
    let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let program = format!(
        "stty cols {cols} rows 40; env -u COLUMNS {} {LOCKSCAN} {args}{redirect}",
        vars.join(" "),
    );
    let mut c = command(Path::new("script"), dir, &["-qec", &program, "/dev/null"]);
    c.env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("TERM", "xterm");
    let out = finish(c);
    (
        stdout(&out).replace("\r\n", "\n"),
        out.status.code().unwrap_or(-1),
    )
}

/// Text with the terminal's escape sequences taken out.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The lines of the help and the notes, which lockscan wraps (source lines it cannot).
fn prose(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut in_prose = false;
    for l in plain(s).lines() {
        let t = l.trim_start();
        if t.starts_with("help:") || t.starts_with("note:") {
            in_prose = true;
        } else if !l.starts_with("        ") {
            in_prose = false;
        }
        if in_prose {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn human_output_wraps_to_the_terminal_or_columns_or_80() {
    let repo = root();
    let path = "fixtures/src/lock_order.rs";
    // On a terminal: its width.
    let (shown, code) = on_terminal(repo, 70, &format!("{path} --color never"), &[], false);
    assert_eq!(code, 1);
    let lines = prose(&shown);
    assert!(lines.len() > 10, "{shown}");
    assert!(lines.iter().all(|l| l.chars().count() <= 70), "{lines:#?}");
    assert!(lines.iter().any(|l| l.chars().count() > 60), "{lines:#?}");
    let (wide, _) = on_terminal(repo, 150, &format!("{path} --color never"), &[], false);
    assert!(
        prose(&wide).iter().any(|l| l.chars().count() > 100),
        "{wide}"
    );
    // `COLUMNS` wins over the terminal.
    let (cols, _) = on_terminal(
        repo,
        150,
        &format!("{path} --color never"),
        &[("COLUMNS", "90")],
        false,
    );
    assert!(prose(&cols).iter().all(|l| l.chars().count() <= 90));
    assert!(prose(&cols).iter().any(|l| l.chars().count() > 80));
    // No terminal, no `COLUMNS`: 80. No word is broken: every wrapped word is whole.
    let mut c = cmd(repo, &[path]);
    c.env_remove("COLUMNS");
    let out = finish(c);
    let text = stdout(&out);
    let lines = prose(&text);
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{lines:#?}");
    assert!(lines.iter().any(|l| l.chars().count() > 70), "{lines:#?}");
    let words_of = |s: &str| -> Vec<String> { s.split_whitespace().map(str::to_string).collect() };
    let wide_out = lockscan(repo, &[path]);
    let words_80: Vec<String> = prose(&text).iter().flat_map(|l| words_of(l)).collect();
    let words_100: Vec<String> = prose(&stdout(&wide_out))
        .iter()
        .flat_map(|l| words_of(l))
        .collect();
    assert_eq!(words_80, words_100);
}

#[test]
fn colour_marks_notes_and_patches_and_follows_the_flags() {
    let dir = demo();
    // On a terminal, colour by default...
    let (shown, _) = on_terminal(dir.path(), 100, "", &[], false);
    assert!(shown.contains("\x1b[36mnote:\x1b[0m"), "{shown}");
    assert!(shown.contains("\x1b[31m- "), "{shown}");
    assert!(shown.contains("\x1b[32m+ "), "{shown}");
    // ...but not with `NO_COLOR` or `--color never`.
    let (shown, _) = on_terminal(dir.path(), 100, "", &[("NO_COLOR", "1")], false);
    assert!(!shown.contains('\x1b'), "{shown}");
    let (shown, _) = on_terminal(dir.path(), 100, "--color never", &[], false);
    assert!(!shown.contains('\x1b'), "{shown}");
    // `--color always` in a pipe, and the diff too.
    let out = lockscan(dir.path(), &["--color", "always"]);
    assert!(stdout(&out).contains("\x1b[36mnote:\x1b[0m"));
    let out = lockscan(dir.path(), &["--diff", "--color", "always"]);
    assert!(
        stdout(&out).contains("\x1b[1m--- a/src/lib.rs\x1b[0m\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("\x1b[31m-// lockscan: allow(forgotten_guard)\x1b[0m\n"),
        "{}",
        stdout(&out)
    );
    let out = lockscan(dir.path(), &["--diff"]);
    assert!(!stdout(&out).contains('\x1b'));
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let repo = root();
    let delay = [("LOCKSCAN_PROGRESS_DELAY_MS", "0")];
    // Standard output to a file, so what the terminal shows is the standard error.
    let (shown, code) = on_terminal(repo, 100, "fixtures", &delay, true);
    assert_eq!(code, 1);
    assert!(plain(&shown).contains("checking "), "{shown:?}");
    assert!(plain(&shown).contains(" files"), "{shown:?}");
    // Not with --quiet, not in CI.
    let (shown, _) = on_terminal(repo, 100, "fixtures --quiet", &delay, true);
    assert!(shown.is_empty(), "{shown:?}");
    let (shown, _) = on_terminal(repo, 100, "fixtures", &[delay[0], ("CI", "true")], true);
    assert!(shown.is_empty(), "{shown:?}");
    // Not for a run shorter than the delay (the default: a second).
    let (shown, _) = on_terminal(repo, 100, "fixtures/src/static_mut.rs", &[], true);
    assert!(shown.is_empty(), "{shown:?}");
    // Not in a pipe.
    let mut c = cmd(repo, &["fixtures"]);
    c.env("LOCKSCAN_PROGRESS_DELAY_MS", "0").env_remove("CI");
    let out = finish(c);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // `lockscan graph` shows it too.
    let (shown, _) = on_terminal(repo, 100, "graph fixtures", &delay, true);
    assert!(plain(&shown).contains("checking "), "{shown:?}");
}

#[test]
fn the_other_half_of_a_lock_order_report_is_a_note_not_advice() {
    let out = lockscan(root(), &["fixtures/crates/warehouse/src/audit.rs"]);
    let text = stdout(&out);
    assert!(!text.contains("Advice"), "{text}");
    assert!(
        text.contains("\n  note: also involved, in fixtures/crates/warehouse/src/inventory.rs\n"),
        "{text}"
    );
}
