//! `// lockscan: allow(rule) -- reason` as users write it: on the line, on the line above, above
//! an item; and what is reported about suppressions that do nothing or cannot work.

use crate::support::{assert_quiet, krate, lockscan};
use std::process::Output;

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `double_lock` at line 6 unless suppressed; `{above}` goes on line 5, `{trailing}` at the
/// end of line 6, `{item}` above the `impl`.
fn deadlock(item: &str, above: &str, trailing: &str) -> String {
    format!(
        "use std::sync::Mutex;
pub struct Counter {{ n: Mutex<Vec<u64>> }}
{item}impl Counter {{
    pub fn bump(&self) {{
        let g = self.n.lock().unwrap();{above}
        let again = self.n.lock().unwrap();{trailing}
        println!(\"{{}} {{}}\", g.len(), again.len());
    }}
}}
"
    )
}

#[test]
fn unsuppressed_the_finding_shows() {
    let dir = krate(&[("lib.rs", &deadlock("", "", ""))]);
    assert_eq!(
        lines(&lockscan(dir.path(), &["--format", "short"])),
        [
            "src/lib.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard"
        ]
    );
}

#[test]
fn a_comment_on_the_line_silences_it() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock("", "", " // lockscan: allow(double_lock) -- fine"),
    )]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_quiet(&out);
}

#[test]
fn a_comment_on_the_line_above_silences_it() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock(
            "",
            "\n        // lockscan: allow(double_lock) -- fine\n        // (and a plain comment between)",
            "",
        ),
    )]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
}

#[test]
fn a_comment_above_an_item_covers_the_whole_item() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock(
            "// lockscan: allow(double_lock) -- the whole impl\n/// Docs between are fine.\n#[allow(dead_code)]\n",
            "",
            "",
        ),
    )]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
}

#[test]
fn a_comment_above_a_blank_line_covers_nothing() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock("// lockscan: allow(double_lock) -- too far\n\n", "", ""),
    )]);
    let out = lines(&lockscan(dir.path(), &["--format", "short"]));
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].starts_with("src/lib.rs:3:20: warning[unused_suppression]: unused suppression: no `double_lock` finding on line 4"), "{out:?}");
    assert!(out[1].contains("error[double_lock]"), "{out:?}");
}

#[test]
fn another_rule_name_does_not_silence_it_and_is_unused() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock("", "", " // lockscan: allow(static_mut) -- wrong rule"),
    )]);
    let out = lines(&lockscan(dir.path(), &["--format", "short"]));
    assert_eq!(
        out,
        [
            "src/lib.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard",
            "src/lib.rs:6:64: warning[unused_suppression]: unused suppression: no `static_mut` finding on line 6",
        ]
    );
}

#[test]
fn unknown_rules_and_malformed_comments_are_reported() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock(
            "// lockscan: allow double_lock\n",
            "",
            " // lockscan: allow(double_lock, dubble_lock) -- one typo",
        ),
    )]);
    let out = lines(&lockscan(dir.path(), &["--format", "short"]));
    assert_eq!(
        out,
        [
            "src/lib.rs:3:1: warning[invalid_suppression]: malformed suppression: expected `(` after `allow`",
            "src/lib.rs:7:77: warning[invalid_suppression]: unknown rule `dubble_lock` in suppression",
        ]
    );
    // The known name in the same comment still applies: no double_lock.
}

#[test]
fn a_directive_inside_a_string_is_not_a_suppression() {
    let dir = krate(&[(
        "lib.rs",
        &deadlock(
            "",
            "",
            " let _s = \"// lockscan: allow(double_lock) -- not a comment\";",
        ),
    )]);
    let out = lines(&lockscan(dir.path(), &["--format", "short"]));
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].contains("error[double_lock]"), "{out:?}");
}

#[test]
fn the_report_levels_of_suppression_rules_follow_the_configuration() {
    let dir = krate(&[("lib.rs", "// lockscan: allow(static_mut)\npub fn f() {}\n")]);
    assert_eq!(
        lines(&lockscan(dir.path(), &["--format", "short"])).len(),
        1
    );
    let out = lockscan(
        dir.path(),
        &["--format", "short", "-A", "unused_suppression"],
    );
    assert_quiet(&out);
}

#[test]
fn a_suppression_counts_as_used_when_its_rule_is_turned_off() {
    // The rule is off in the configuration, so there is nothing to show; the comment still
    // silences a finding and is not reported as unused.
    let dir = krate(&[(
        "lib.rs",
        &deadlock("", "", " // lockscan: allow(double_lock) -- fine"),
    )]);
    let out = lockscan(dir.path(), &["--format", "short", "-A", "double_lock"]);
    assert_quiet(&out);
}

#[test]
fn with_a_named_file_suppressions_are_judged_on_the_whole_crate() {
    // The finding lies in b.rs (a guard of a.rs's lock held across b.rs's sleep is b.rs's);
    // naming only a.rs must not call b.rs's suppression unused, nor show b.rs's finding.
    let a = "use std::sync::Mutex;\npub static M: Mutex<Vec<u8>> = Mutex::new(Vec::new());\n";
    let b = "pub fn f() {\n    // lockscan: allow(guard_across_sleep) -- on purpose\n    let g = crate::a::M.lock().unwrap();\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    drop(g);\n}\n";
    let dir = krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", a),
        ("b.rs", b),
    ]);
    assert_quiet(&lockscan(dir.path(), &["--format", "short"]));
    assert_quiet(&lockscan(dir.path(), &["--format", "short", "src/a.rs"]));
    assert_quiet(&lockscan(dir.path(), &["--format", "short", "src/b.rs"]));
}
