//! `--format sarif` against the real client: Microsoft's SARIF Multitool, with GitHub's rules
//! (`validate --rule-kind "Gh;Sarif"`). The test installs the Multitool from npm itself, into
//! `target/tmp/`, once; it needs `npm` (and the registry) the first time.
//!
//! The Multitool exits 0 whatever it finds, so its output log is read: no result may be an
//! error or a warning (notes are advice, such as "provide code snippets"). A log it could not
//! read at all yields no results either, so at least one result must be there, proving that
//! the rules ran on our file.

use crate::support::{data, krate, lib_crate, lockscan, npm_install, report, root, stderr, tmp};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const MULTITOOL_VERSION: &str = "5.7.0";

/// The npm package that carries the Multitool binary for this platform.
fn platform() -> (&'static str, &'static str) {
    if cfg!(target_os = "windows") {
        ("win32", "Sarif.Multitool.exe")
    } else if cfg!(target_os = "macos") {
        ("darwin", "Sarif.Multitool")
    } else {
        ("linux", "Sarif.Multitool")
    }
}

static INSTALL: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Installs the Multitool (once per machine and version) and returns its binary.
fn multitool() -> PathBuf {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = &*done {
        return p.clone();
    }
    let dir = tmp().join(format!("sarif-multitool-{MULTITOOL_VERSION}"));
    let (os, exe) = platform();
    let bin = dir
        .join("node_modules/@microsoft")
        .join(format!("sarif-multitool-{os}"))
        .join(exe);
    if !bin.is_file() {
        npm_install(
            &dir,
            &[format!("@microsoft/sarif-multitool@{MULTITOOL_VERSION}")],
            "the SARIF Multitool",
        );
        assert!(bin.is_file(), "npm installed no {}", bin.display());
    }
    // The package's own install script only marks the binary executable; npm may skip it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut perm = std::fs::metadata(&bin).unwrap().permissions();
        perm.set_mode(perm.mode() | 0o755);
        std::fs::set_permissions(&bin, perm).unwrap();
    }
    *done = Some(bin.clone());
    bin
}

fn lockscan_sarif(dir: &Path, args: &[&str]) -> String {
    let out = lockscan(dir, &[args, &["--format", "sarif"]].concat());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    String::from_utf8(out.stdout).expect("SARIF is UTF-8")
}

/// Validates `sarif` and returns the Multitool's errors and warnings (none expected), after
/// checking that it did analyse the log.
fn validate(name: &str, sarif: &str) -> Vec<String> {
    let tool = multitool();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join(format!("{name}.sarif"));
    let output = work.path().join("validation.sarif");
    std::fs::write(&input, sarif).unwrap();
    // The log comes first: `--level` and its kin take `;`-separated lists.
    let out = Command::new(&tool)
        .arg("validate")
        .arg(&input)
        .args(["--rule-kind", "Gh;Sarif", "--level", "Error;Warning;Note"])
        .arg("--output")
        .arg(&output)
        .output()
        .expect("the Multitool runs");
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&output).unwrap_or_else(|e| panic!("no validation log ({e}):\n{console}")),
    )
    .unwrap();
    let results: Vec<&serde_json::Value> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["results"].as_array().into_iter().flatten())
        .collect();
    assert!(
        !results.is_empty(),
        "the Multitool reported nothing at all, so it did not analyse `{name}`:\n{console}"
    );
    results
        .iter()
        // A result's level defaults to `warning`.
        .filter(|r| r["level"].as_str().unwrap_or("warning") != "note")
        .map(|r| {
            format!(
                "{} {}: {}",
                r["level"].as_str().unwrap_or("warning"),
                r["ruleId"].as_str().unwrap_or("?"),
                r["message"]["text"]
                    .as_str()
                    .unwrap_or_else(|| r["message"]["id"].as_str().unwrap_or("?"))
            )
        })
        .collect()
}

fn assert_valid(name: &str, sarif: &str) {
    let problems = validate(name, sarif);
    assert!(
        problems.is_empty(),
        "the SARIF Multitool found {} problems in `{name}`:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_fixtures_sarif_passes_the_multitool() {
    let sarif = lockscan_sarif(root(), &["fixtures"]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 10, "the fixtures give many findings");
    // Fixes are part of what is validated: insertions, deletions and edits in several places.
    for rule in [
        "let_underscore_guard",
        "atomic_load_store_race",
        "static_mut",
    ] {
        assert!(
            results
                .iter()
                .any(|r| r["ruleId"] == rule && r["fixes"][0]["artifactChanges"].is_array()),
            "no `{rule}` result with a fix in the fixtures' SARIF"
        );
    }
    assert_valid("fixtures", &sarif);
}

#[test]
fn fixes_suppressions_and_related_locations_pass_the_multitool() {
    let sarif = lockscan_sarif(root(), &["tests/data/outputs"]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r.get("fixes").is_some()));
    assert!(results.iter().any(|r| r.get("relatedLocations").is_some()));
    assert_valid("outputs", &sarif);
}

#[test]
fn hostile_paths_and_no_findings_pass_the_multitool() {
    let dir = krate(&[
        (
            "lib.rs",
            "#[path = \"dir with space#1/50%,é:[x].rs\"]\nmod odd;\n",
        ),
        (
            "dir with space#1/50%,é:[x].rs",
            "use std::sync::Mutex;\npub fn f(m: &Mutex<Vec<u8>>) {\n    let g = m.lock().unwrap();\n    let h = m.lock().unwrap();\n    drop((g, h));\n}\n",
        ),
    ]);
    let sarif = lockscan_sarif(dir.path(), &[]);
    assert!(
        sarif.contains("src/dir%20with%20space%231/50%25%2C%C3%A9%3A%5Bx%5D.rs"),
        "{sarif}"
    );
    assert_valid("hostile", &sarif);

    // A clean crate: an empty result list is still a valid log.
    let clean = lib_crate("pub fn f() {}\n");
    let sarif = lockscan_sarif(clean.path(), &[]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
    assert_valid("clean", &sarif);
}

#[test]
fn a_broken_log_is_caught() {
    // The check itself: a log with an out-of-range line must fail, or the tests above prove
    // nothing.
    let sarif = lockscan_sarif(root(), &["tests/data/outputs"]);
    let mut v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    let problems = validate("broken", &v.to_string());
    assert!(
        problems.iter().any(|p| p.starts_with("error")),
        "{problems:?}"
    );
}

#[test]
fn the_rules_come_from_the_registry() {
    let sarif = lockscan_sarif(root(), &["tests/data/outputs"]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let driver = &v["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "lockscan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), lockscan::rules::RULES.len());
    for (r, expected) in rules.iter().zip(lockscan::rules::RULES) {
        assert_eq!(r["id"], expected.name);
        assert_eq!(r["defaultConfiguration"]["level"], expected.level.as_str());
        let markdown = r["help"]["markdown"].as_str().unwrap();
        assert!(
            markdown.contains(expected.docs.trim_end()),
            "{}",
            expected.name
        );
        assert_eq!(
            r["shortDescription"]["text"],
            lockscan::render::sarif::sentence(expected.summary)
        );
    }
    // Each result points at its rule.
    for res in v["runs"][0]["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
}

#[test]
fn fingerprints_survive_a_line_shift() {
    let dir = lib_crate("");
    let body = "use std::sync::Mutex;\npub fn f(m: &Mutex<Vec<u8>>) {\n    let g = m.lock().unwrap();\n    let h = m.lock().unwrap();\n    drop((g, h));\n}\n";
    let fingerprints = |text: &str| -> Vec<(u64, String)> {
        std::fs::write(dir.path().join("src/lib.rs"), text).unwrap();
        let v: serde_json::Value = serde_json::from_str(&lockscan_sarif(dir.path(), &[])).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                    r["partialFingerprints"]["lockscanFingerprint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let before = fingerprints(body);
    let after = fingerprints(&format!("// a comment\n\n{}", body.replace("    ", "  ")));
    assert_eq!(before.len(), 1);
    assert_eq!(after.len(), 1);
    assert_ne!(before[0].0, after[0].0, "the finding moved");
    assert_eq!(before[0].1, after[0].1, "its fingerprint did not");
}

/// Applies a SARIF fix's replacements to `text` as SARIF defines them: every region refers to
/// the original text, lines and columns are 1-based, columns count Unicode code points
/// (`columnKind`), and `endColumn` is exclusive. Replacements at one point keep their order.
fn apply_sarif_fix(text: &str, replacements: &[serde_json::Value]) -> String {
    let offset = |line: u64, col: u64| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        let rest = &text[start..];
        rest.char_indices()
            .nth(col as usize - 1)
            .map_or(text.len(), |(i, _)| start + i)
    };
    let mut edits: Vec<(usize, usize, usize, &str)> = replacements
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let d = &r["deletedRegion"];
            let n = |k: &str| d[k].as_u64().unwrap();
            let lo = offset(n("startLine"), n("startColumn"));
            let hi = offset(n("endLine"), n("endColumn"));
            assert!(lo <= hi, "a region runs backwards: {r}");
            (
                lo,
                hi,
                i,
                r["insertedContent"]["text"].as_str().unwrap_or(""),
            )
        })
        .collect();
    edits.sort();
    let mut out = text.to_string();
    for (lo, hi, _, new) in edits.into_iter().rev() {
        out.replace_range(lo..hi, new);
    }
    out
}

#[test]
fn sarif_fixes_rewrite_files_as_the_fix_engine_does() {
    use lockscan::diag::Applicability;
    let inputs = data("fix_inputs");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for input in names {
        let original = std::fs::read_to_string(&input).unwrap();
        let dir = lib_crate(&original);
        let mut report = report(dir.path());
        let all = std::mem::take(&mut report.diagnostics);
        let mut compared = 0;
        for d in all.into_iter().filter(|d| d.fix.is_some()) {
            let applicability = d.fix.as_ref().unwrap().applicability;
            // Each fix alone: what the engine makes of the file, and what SARIF says.
            report.diagnostics = vec![d];
            let sarif = lockscan::render::sarif::document(&report);
            let fix = &sarif["runs"][0]["results"][0]["fixes"][0];
            assert_eq!(fix["properties"]["applicability"], applicability.as_str());
            let changes = fix["artifactChanges"].as_array().unwrap();
            assert_eq!(changes.len(), 1, "{fix}");
            assert!(
                changes[0]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("/src/lib.rs"),
                "{fix}"
            );
            let via_sarif =
                apply_sarif_fix(&original, changes[0]["replacements"].as_array().unwrap());
            if applicability == Applicability::DisplayOnly {
                continue;
            }
            let plan = lockscan::fix::plan(&report, Applicability::Unsafe);
            assert_eq!(
                plan.changes.len(),
                1,
                "{}: {:?}",
                input.display(),
                plan.skipped
            );
            assert_eq!(
                via_sarif,
                plan.changes[0].new,
                "{}: SARIF's fix differs from the engine's",
                input.display()
            );
            compared += 1;
        }
        assert!(compared > 0, "{}: no fix was compared", input.display());
    }
}
