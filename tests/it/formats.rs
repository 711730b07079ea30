//! The CI formats with hostile input: messages and paths full of the characters GitHub's
//! workflow commands reserve, control characters, and many findings whose fingerprints must
//! not collide.

use crate::support::{krate, lockscan, repo, root, write_crate};
use std::path::Path;

/// Undoes GitHub's escaping.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

const HOSTILE_NAME: &str = "we,ird:50%\nname.rs";

/// A crate whose file name and whose messages hold `%`, `,`, `:`, a newline and an escape
/// character.
fn hostile() -> tempfile::TempDir {
    krate(&[
        ("lib.rs", "#[path = \"we,ird:50%\\nname.rs\"]\nmod weird;\n"),
        (
            HOSTILE_NAME,
            "pub static mut GREETING: &str = \"50%, a:b,\nsecond line \u{1b}[31m red\";\n\
             pub fn set() { unsafe { GREETING = \"x\" } }\n",
        ),
    ])
}

#[test]
fn github_annotations_escape_hostile_messages_and_paths() {
    let dir = hostile();
    let json: serde_json::Value =
        serde_json::from_slice(&lockscan(dir.path(), &["--format", "json"]).stdout).unwrap();
    let findings = json["diagnostics"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    let finding = &findings[0];
    assert_eq!(finding["file"], "src/we,ird:50%\nname.rs");

    let out = lockscan(dir.path(), &["--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    // One line per finding, and the summary (not a command).
    assert_eq!(lines.len(), 2, "{text}");
    assert!(!lines[1].starts_with("::"));
    let line = lines[0];
    let (head, message) = line[2..]
        .split_once("::")
        .expect("`::level props::message`");
    let (level, props) = head.split_once(' ').unwrap();
    assert_eq!(level, "warning");
    assert_eq!(
        props,
        "file=src/we%2Cird%3A50%25%0Aname.rs,line=1,col=16,endLine=1,endColumn=24,title=lockscan%3A static_mut"
    );
    // The property values hold no raw separator; the message no raw newline or percent sign
    // that is not an escape.
    for prop in props.split(',') {
        let (_, value) = prop.split_once('=').unwrap();
        assert!(!value.contains(':') && !value.contains('\n'), "{value}");
    }
    assert!(
        message
            .match_indices('%')
            .all(|(i, _)| ["%25", "%0A", "%0D"]
                .iter()
                .any(|e| message[i..].starts_with(e))),
        "{message}"
    );
    // Unescaped, it is the finding: message, help (with the initializer's `%`, `,`, `:` and
    // newline), notes and the other places.
    let decoded = unescape(message);
    let help = lockscan::render::sanitize(finding["help"].as_str().unwrap()).into_owned();
    assert!(
        help.contains("50%, a:b,\nsecond line \\u{1b}[31m red"),
        "{help}"
    );
    assert_eq!(
        decoded.lines().next().unwrap(),
        finding["message"].as_str().unwrap()
    );
    assert!(decoded.contains(&format!("\nhelp: {help}")), "{decoded}");
    assert!(
        decoded.contains("\nsrc/we,ird:50%\nname.rs:3:25: written here"),
        "{decoded}"
    );
}

#[test]
fn gitlab_fingerprints_are_unique_and_stable() {
    // Ten identical findings in one function, and the same in a second file.
    let body: String = (0..10)
        .map(|_| "    let g = m.lock().unwrap();\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    drop(g);\n")
        .collect();
    let file = format!("pub fn f(m: &std::sync::Mutex<Vec<u8>>) {{\n{body}}}\n");
    let dir = krate(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        ("a.rs", &file),
        ("b.rs", &file),
    ]);
    let report = |dir: &Path| -> Vec<serde_json::Value> {
        let out = lockscan(dir, &["--format", "gitlab"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let issues = report(dir.path());
    assert_eq!(issues.len(), 20);
    let mut fps: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), 20, "fingerprints collide");
    for i in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].is_string(), "{key} in {i}");
        }
        assert!(i["location"]["path"].as_str().unwrap().starts_with("src/"));
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert_eq!(i["severity"], "major");
    }
    // The same run twice gives the same report.
    assert_eq!(issues, report(dir.path()));
}

#[test]
fn every_format_handles_a_clean_crate() {
    let dir = krate(&[("lib.rs", "pub fn f() {}\n")]);
    let run = |f: &str| {
        let out = lockscan(dir.path(), &["--format", f]);
        assert_eq!(out.status.code(), Some(0), "{f}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run("short"), "");
    assert_eq!(run("github"), "no findings in 1 file\n");
    assert_eq!(run("gitlab"), "[]\n");
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn multi_line_findings_have_no_columns_in_annotations() {
    // GitHub takes columns only for an annotation on one line.
    let dir = krate(&[(
        "lib.rs",
        "pub fn f(m: &std::sync::Mutex<Vec<u8>>) {\n    let g = m\n        .lock()\n        .unwrap();\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    drop(g);\n}\n",
    )]);
    let out = lockscan(dir.path(), &["--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("::warning file=src/lib.rs,line=2,endLine=3,title="),
        "{line}"
    );
}

#[test]
fn ci_formats_are_deterministic() {
    for format in ["sarif", "gitlab", "github"] {
        let a = lockscan(root(), &["fixtures", "--format", format, "-j", "1"]);
        let b = lockscan(root(), &["fixtures", "--format", format, "-j", "2"]);
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn identical_copies_of_a_package_get_distinct_fingerprints() {
    let top = repo();
    for copy in ["one", "two"] {
        write_crate(
            &top.path().join(copy),
            &[("lib.rs", b"pub static mut N: u8 = 0;\n")],
        );
    }
    let out = lockscan(top.path(), &["--format", "gitlab"]);
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
}
