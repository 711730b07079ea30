//! `action.yml`, the composite GitHub Action, run as GitHub runs it: each `run:` step is
//! taken from the file, its `${{ }}` expressions are evaluated (inputs, `github.action_path`,
//! `runner.temp`, earlier steps' outputs), its `if:` decides whether it runs, and its script is
//! executed with `bash --noprofile --norc -eo pipefail` (GitHub's `shell: bash`) with
//! `GITHUB_OUTPUT`, `GITHUB_PATH` and `GITHUB_STEP_SUMMARY` files, whose contents carry over
//! to the next steps as on a runner.
//!
//! The install step runs for real: `cargo install` from this repository, into a directory
//! under `target/tmp/` (the quick release build tests/it/precommit.rs makes too, in the same
//! target directory; the first run takes a minute or two). The `uses:` step (code scanning's upload) cannot run outside GitHub:
//! the test checks that it would run and that the file it would upload is the SARIF log
//! lockscan wrote.
//!
//! Expressions the test does not know make it fail: anything new in `action.yml` must be
//! taught here, so that it is tested.

use crate::support::{DEADLOCK, GITHUB_STEP, krate, output, quick_release_build, root, tmp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn action() -> serde_yaml::Value {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).expect("action.yml is YAML")
}

/// One run of the action: its inputs, the outputs of the steps so far, the runner's files.
struct Run {
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    temp: PathBuf,
    workspace: PathBuf,
    path: Vec<PathBuf>,
    summary: PathBuf,
    _temp: tempfile::TempDir,
}

impl Run {
    fn new(workspace: &Path, given: &[(&str, &str)]) -> Run {
        let a = action();
        let mut inputs = BTreeMap::new();
        for (name, spec) in a["inputs"].as_mapping().unwrap() {
            let name = name.as_str().unwrap().to_string();
            let default = spec["default"].as_str().unwrap_or("").to_string();
            inputs.insert(name, default);
        }
        for (k, v) in given {
            assert!(inputs.contains_key(*k), "action.yml has no input `{k}`");
            inputs.insert(k.to_string(), v.to_string());
        }
        let guard = tempfile::tempdir().unwrap();
        let temp = guard.path().to_path_buf();
        Run {
            inputs,
            outputs: BTreeMap::new(),
            summary: temp.join("step_summary.md"),
            _temp: guard,
            temp,
            workspace: workspace.to_path_buf(),
            path: vec![],
        }
    }

    /// The value of `expr` (inside `${{ }}`).
    fn value(&self, expr: &str) -> String {
        let expr = expr.trim();
        if let Some(name) = expr.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .cloned()
                .unwrap_or_else(|| panic!("no input `{name}`"));
        }
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, rest) = rest.split_once('.').unwrap();
            let name = rest
                .strip_prefix("outputs.")
                .unwrap_or_else(|| panic!("`{expr}`"));
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(name))
                .cloned()
                .unwrap_or_default();
        }
        match expr {
            "github.action_path" => root().display().to_string(),
            "runner.temp" => self.temp.display().to_string(),
            _ => panic!("tests/it/action.rs does not know the expression `{expr}`"),
        }
    }

    /// `text` with every `${{ expr }}` replaced by its value.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("an expression is closed") + start;
            out.push_str(&self.value(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` of the forms the action uses: `A == 'x'`, `A != 'x'`, joined by `&&`.
    fn condition(&self, cond: &str) -> bool {
        let cond = cond.trim();
        let cond = cond
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(cond);
        cond.split("&&").all(|part| {
            let (lhs, rhs, eq) = match (part.split_once("=="), part.split_once("!=")) {
                (Some((l, r)), _) => (l, r, true),
                (None, Some((l, r))) => (l, r, false),
                _ => panic!("tests/it/action.rs does not know the condition `{part}`"),
            };
            let rhs = rhs.trim();
            let lit = rhs
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .unwrap_or_else(|| panic!("`{rhs}` is not a string literal"));
            (self.value(lhs) == lit) == eq
        })
    }

    /// Runs step `i` when its condition holds: `None` when skipped, else its exit code and
    /// output.
    fn step(&mut self, step: &serde_yaml::Value) -> Option<StepResult> {
        if let Some(cond) = step["if"].as_str()
            && !self.condition(cond)
        {
            return None;
        }
        if let Some(uses) = step["uses"].as_str() {
            let with: BTreeMap<String, String> = step["with"]
                .as_mapping()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().unwrap().to_string(),
                                self.substitute(v.as_str().unwrap()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            return Some(StepResult {
                code: 0,
                stdout: String::new(),
                stderr: String::new(),
                uses: Some((uses.to_string(), with)),
            });
        }
        assert_eq!(
            step["shell"].as_str(),
            Some("bash"),
            "a composite run step names its shell"
        );
        let script = step["run"]
            .as_str()
            .expect("a step runs a script or uses an action");
        assert!(
            !script.contains("${{"),
            "a script reads its inputs from `env:`, never `${{{{ }}}}`"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("step.sh");
        std::fs::write(&file, script).unwrap();
        let output_file = dir.path().join("output");
        let path_file = dir.path().join("path");
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        let mut path: Vec<PathBuf> = self.path.clone();
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut c = Command::new("bash");
        // Not the variables of the step running this test, if it runs in one.
        for var in GITHUB_STEP {
            c.env_remove(var);
        }
        c.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(&self.workspace)
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTIONS", "true")
            .env("RUNNER_TEMP", &self.temp)
            .env("CI", "true");
        // The install step's build: the quick one, shared between runs and with the build of
        // tests/it/precommit.rs, so that CI compiles the dependencies once for both.
        quick_release_build(&mut c);
        if let Some(env) = step["env"].as_mapping() {
            for (k, v) in env {
                let v = match v {
                    serde_yaml::Value::String(s) => self.substitute(s),
                    other => panic!("env values are strings: {other:?}"),
                };
                c.env(k.as_str().unwrap(), v);
            }
        }
        let out = output(&mut c);
        if let Some(id) = step["id"].as_str() {
            let text = std::fs::read_to_string(&output_file).unwrap();
            let outputs = self.outputs.entry(id.to_string()).or_default();
            for line in text.lines() {
                let (k, v) = line.split_once('=').expect("outputs are `name=value`");
                outputs.insert(k.to_string(), v.to_string());
            }
        }
        for line in std::fs::read_to_string(&path_file).unwrap().lines() {
            self.path.insert(0, PathBuf::from(line));
        }
        Some(StepResult {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            uses: None,
        })
    }
}

#[derive(Debug)]
struct StepResult {
    code: i32,
    stdout: String,
    stderr: String,
    /// For a `uses:` step: the action and its `with:`, evaluated.
    uses: Option<(String, BTreeMap<String, String>)>,
}

/// The steps by name, in order.
fn steps() -> Vec<(String, serde_yaml::Value)> {
    action()["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// The directory the install step put on the `PATH`, installed once for every test here.
fn installed() -> &'static Vec<PathBuf> {
    static INSTALL: OnceLock<Vec<PathBuf>> = OnceLock::new();
    INSTALL.get_or_init(|| {
        let ws = tempfile::tempdir().unwrap();
        let mut run = Run::new(ws.path(), &[]);
        // The install root is the runner's temporary directory, kept for the other runs.
        run.temp = tmp().join("action-runner-temp");
        std::fs::create_dir_all(&run.temp).unwrap();
        let (name, install) = &steps()[0];
        assert_eq!(name, "Install lockscan");
        let r = run.step(install).expect("the install step always runs");
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            run.path.len(),
            1,
            "the install step adds lockscan to the PATH"
        );
        let bin = run.path[0].join("lockscan");
        assert!(bin.is_file(), "{} was not installed", bin.display());
        run.path
    })
}

/// Runs every step after the install (already done) in a workspace holding `files`; returns
/// the run and each step's result by name (`None`: skipped).
fn run_action(
    files: &[(&str, &str)],
    inputs: &[(&str, &str)],
) -> (Run, tempfile::TempDir, Vec<(String, Option<StepResult>)>) {
    let ws = krate(files);
    let mut run = Run::new(ws.path(), inputs);
    run.path = installed().clone();
    let mut results = vec![];
    let mut failed = false;
    for (name, step) in steps().into_iter().skip(1) {
        // A failed step skips the rest (no step here asks for `always()`).
        if failed {
            results.push((name, None));
            continue;
        }
        let r = run.step(&step);
        failed = r.as_ref().is_some_and(|r| r.code != 0);
        results.push((name, r));
    }
    (run, ws, results)
}

fn result<'a>(results: &'a [(String, Option<StepResult>)], name: &str) -> Option<&'a StepResult> {
    results
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no step `{name}`"))
        .1
        .as_ref()
}

#[test]
fn sarif_is_written_and_uploaded_and_the_action_passes() {
    let (run, _ws, results) = run_action(&[("lib.rs", DEADLOCK)], &[]);
    let r = result(&results, "Run lockscan").unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    let sarif_file = run.outputs["run"]["sarif-file"].clone();
    assert_eq!(run.outputs["run"]["exit-code"], "0");
    let upload = result(&results, "Upload to code scanning").expect("the upload runs");
    let (uses, with) = upload.uses.as_ref().unwrap();
    assert_eq!(uses, "github/codeql-action/upload-sarif@v3");
    assert_eq!(with["sarif_file"], sarif_file);
    assert_eq!(with["category"], "lockscan");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_file).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results_in_log = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results_in_log.len(), 1);
    assert_eq!(results_in_log[0]["ruleId"], "double_lock");
    assert_eq!(
        results_in_log[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/lib.rs"
    );
    // Code scanning decides: no failing step.
    assert!(result(&results, "Fail on findings").is_none());
}

#[test]
fn sarif_with_fail_on_uploads_then_fails() {
    let (run, _ws, results) = run_action(
        &[("lib.rs", DEADLOCK)],
        &[("fail-on", "error"), ("category", "locks")],
    );
    assert_eq!(run.outputs["run"]["exit-code"], "1");
    let upload = result(&results, "Upload to code scanning").expect("the upload still runs");
    assert_eq!(upload.uses.as_ref().unwrap().1["category"], "locks");
    let fail = result(&results, "Fail on findings").expect("then the action fails");
    assert_eq!(fail.code, 1);
}

#[test]
fn github_format_annotates_summarizes_and_fails() {
    let (run, _ws, results) = run_action(&[("lib.rs", DEADLOCK)], &[("format", "github")]);
    let r = result(&results, "Run lockscan").unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with("::error file=src/lib.rs,line=6,col=21,endLine=6,endColumn=34,title=lockscan%3A double_lock::`self.n` is locked while this thread already holds its guard%0Ahelp: "),
        "{}",
        r.stdout
    );
    assert_eq!(run.outputs["run"]["exit-code"], "1");
    let md = std::fs::read_to_string(&run.summary).unwrap();
    assert!(
        md.starts_with("### lockscan\n\n1 error in 1 file\n"),
        "{md}"
    );
    assert!(md.contains("| error | [`double_lock`]"), "{md}");
    assert!(result(&results, "Upload to code scanning").is_none());
    assert_eq!(result(&results, "Fail on findings").unwrap().code, 1);
    assert!(!run.outputs["run"].contains_key("sarif-file"));
}

#[test]
fn paths_args_and_fail_on_reach_lockscan() {
    let files = [
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", DEADLOCK),
        ("b.rs", "pub fn ok() {}\n"),
    ];
    // Only `src/b.rs`: nothing there.
    let (run, _ws, results) = run_action(&files, &[("format", "github"), ("paths", "src/b.rs")]);
    assert_eq!(run.outputs["run"]["exit-code"], "0");
    assert!(result(&results, "Fail on findings").is_none());
    // Two paths, and the finding turned into a warning below `fail-on: error`.
    let (run, _ws, results) = run_action(
        &files,
        &[
            ("format", "github"),
            ("paths", "src/b.rs src/a.rs"),
            ("args", "--warn double_lock --no-config"),
            ("fail-on", "error"),
        ],
    );
    let r = result(&results, "Run lockscan").unwrap();
    assert!(
        r.stdout.starts_with("::warning file=src/a.rs,"),
        "{}",
        r.stdout
    );
    assert_eq!(run.outputs["run"]["exit-code"], "0");
    assert!(result(&results, "Fail on findings").is_none());
}

#[test]
fn what_lockscan_cannot_do_stops_the_action() {
    // A bad format.
    let (run, _ws, results) = run_action(&[("lib.rs", DEADLOCK)], &[("format", "yaml")]);
    let r = result(&results, "Run lockscan").unwrap();
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "::error title=lockscan::the format is `sarif` or `github`, not `yaml`\n"
    );
    assert_eq!(run.outputs["run"]["exit-code"], "2");
    assert!(result(&results, "Upload to code scanning").is_none());
    // A path with no Rust code: exit 2 and nothing uploaded.
    let (run, _ws, results) = run_action(&[("lib.rs", DEADLOCK)], &[("paths", "docs")]);
    let r = result(&results, "Run lockscan").unwrap();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("error: no such file or directory: `docs`"),
        "{r:?}"
    );
    assert!(!run.outputs["run"].contains_key("sarif-file"));
    assert!(result(&results, "Upload to code scanning").is_none());
    // An input that would be shell code is only text.
    let (run, _ws, results) = run_action(
        &[("lib.rs", DEADLOCK)],
        &[("format", "github"), ("args", "$(touch pwned) --no-config")],
    );
    let r = result(&results, "Run lockscan").unwrap();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!run.workspace.join("pwned").exists());
}
