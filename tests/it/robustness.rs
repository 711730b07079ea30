//! lockscan on anything it may meet: it never panics, hangs or aborts, a file it cannot read
//! or parse is reported and the run goes on, and text from the scanned code never reaches the
//! terminal raw. Each test runs the real binary, with a time limit.

use crate::support::{
    DEADLOCK, DEADLOCK_AT, LOCKSCAN, collect, command, finish, krate_bytes, lockscan, nesting, ok,
    repo, stderr, stdout, write_crate,
};
use clap::ValueEnum;
use lockscan::render::Format;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The JSON report's diagnostics as `(file, line, column, rule, message)`.
fn findings(o: &Output) -> Vec<(String, u64, u64, String, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}):\n{}", stdout(o)));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

#[test]
fn code_nested_tens_of_thousands_deep_is_reported_not_a_stack_overflow() {
    let n = 50_000;
    let mut files: Vec<(String, Vec<u8>)> = nesting::shapes(n)
        .into_iter()
        .map(|(name, src)| (format!("{}.rs", name.replace(' ', "_")), src.into_bytes()))
        .collect();
    files.push(("lib.rs".into(), DEADLOCK.as_bytes().to_vec()));
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_slice()))
        .collect();
    let dir = krate_bytes(&files);
    let out = lockscan(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found = findings(&out);
    for (name, _) in nesting::shapes(1) {
        let file = format!("src/{}.rs", name.replace(' ', "_"));
        let msg = found
            .iter()
            .find(|f| f.0 == file && f.3 == "parse_error")
            .map(|f| f.4.as_str())
            .unwrap_or_else(|| panic!("{name}: no parse_error in {found:?}"));
        assert!(
            msg.starts_with("this file nests too deeply to analyse: more than 20000 levels"),
            "{name}: {msg}"
        );
    }
    // The run went on.
    assert!(
        found
            .iter()
            .any(|f| f.0 == "src/lib.rs" && (f.1, f.2, f.3.as_str()) == DEADLOCK_AT)
    );
}

#[test]
fn code_nested_just_under_the_limit_is_analysed() {
    // The deepest nesting of each shape that the pre-check lets through: the worker stack must
    // hold it, in this (debug) build too.
    let deepest = |name: &str| {
        let estimate = |n: usize| {
            let src = &nesting::shapes(n)
                .into_iter()
                .find(|s| s.0 == name)
                .unwrap()
                .1;
            lockscan::parse::nesting_depth(src.as_bytes(), u32::MAX).depth
        };
        let (mut lo, mut hi) = (1usize, lockscan::parse::MAX_DEPTH as usize + 1);
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            if estimate(mid) <= lockscan::parse::MAX_DEPTH {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let files: Vec<(String, Vec<u8>)> = nesting::shapes(1)
        .into_iter()
        .map(|(name, _)| {
            let n = deepest(name);
            let src = nesting::shapes(n)
                .into_iter()
                .find(|s| s.0 == name)
                .unwrap()
                .1;
            (format!("{}.rs", name.replace(' ', "_")), src.into_bytes())
        })
        .collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_slice()))
        .collect();
    let dir = krate_bytes(&files);
    let out = lockscan(dir.path(), &["--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let deep: Vec<_> = findings(&out)
        .into_iter()
        .filter(|f| f.4.contains("nests too deeply"))
        .collect();
    assert!(deep.is_empty(), "{deep:?}");
}

// ---------------------------------------------------------------------------------------------
// Encodings, line ends, tabs, long lines, empty and foreign files

#[test]
fn a_bom_crlf_line_ends_and_tabs_change_no_position() {
    let plain = "static mut X: u8 = 0;\npub fn f() {\n\tlet m = std::sync::Mutex::new(0);\n\tlet g = m.lock().unwrap();\n\tlet h = m.lock().unwrap();\n\tdrop((g, h));\n}\n";
    let variants = [
        plain.to_string(),
        format!("\u{feff}{plain}"),
        plain.replace('\n', "\r\n"),
        format!("\u{feff}{}", plain.replace('\n', "\r\n")),
    ];
    let mut seen: Vec<(String, String, String)> = vec![];
    for v in &variants {
        let dir = krate_bytes(&[("lib.rs", v.as_bytes())]);
        let short = stdout(&lockscan(dir.path(), &["--format", "short"]));
        let json = findings(&lockscan(dir.path(), &["--format", "json"]));
        let human = stdout(&lockscan(dir.path(), &[]));
        seen.push((short, format!("{json:?}"), human));
    }
    // Columns count characters after the mark, a tab as one, as rustc's do.
    assert_eq!(
        seen[0].0,
        "src/lib.rs:1:12: warning[static_mut]: `static mut X` is shared mutable state with no synchronization\n\
         src/lib.rs:5:10: error[double_lock]: `m` is locked while this thread already holds its guard\n"
    );
    for (i, s) in seen.iter().enumerate().skip(1) {
        assert_eq!(s, &seen[0], "variant {i}");
    }
    // The human snippet expands the tab, and the label stays under the code it points at.
    let human = &seen[0].2;
    let lines: Vec<&str> = human.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("let h = m.lock()"))
        .unwrap();
    let code = lines[at].chars().position(|c| c == 'm').unwrap();
    let mark = lines[at + 1].chars().position(|c| c == '─').unwrap();
    assert_eq!(code, mark, "{human}");
    assert!(!human.contains('\t') && !human.contains('\r'), "{human:?}");
}

#[test]
fn a_finding_on_a_very_long_line_is_shown_cut() {
    // A minified line: 200,000 characters, the finding near its end.
    let line = format!(
        "/*{}*/ static mut COUNT: u64 = 0; pub fn f() {{}}\n",
        "x".repeat(200_000)
    );
    let dir = krate_bytes(&[("lib.rs", line.as_bytes())]);
    let short = stdout(&lockscan(dir.path(), &["--format", "short"]));
    assert!(
        short.starts_with("src/lib.rs:1:200017: warning[static_mut]"),
        "{short}"
    );
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let human = stdout(&out);
    assert!(human.contains("[src/lib.rs:1:200017]"), "{human}");
    assert!(human.contains("…"), "{human}");
    let widest = human.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 300, "a line of {widest} characters");
}

#[test]
fn empty_and_blank_files_are_clean() {
    let dir = krate_bytes(&[
        ("lib.rs", b""),
        ("blank.rs", b"\n\n   \n\t\n"),
        ("comments.rs", b"// nothing here\n/* nor here */\n"),
        ("bom_only.rs", b"\xef\xbb\xbf"),
    ]);
    let out = lockscan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "no findings in 4 files\n");
    let out = lockscan(dir.path(), &["src/lib.rs", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(findings(&out).is_empty());
}

#[test]
fn files_named_rs_that_are_not_rust_are_reported_and_the_run_goes_on() {
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    let nul: &[u8] = &[0u8; 64];
    let foreign: Vec<(&str, &[u8])> = vec![
        ("image.rs", png),
        ("zeros.rs", nul),
        ("python.rs", b"def f():\n    return {'a': [1, 2]}\n"),
        (
            "page.rs",
            b"<!DOCTYPE html>\n<html><body>hi</body></html>\n",
        ),
        ("data.rs", b"{\"key\": [1, 2, {\"x\": null}]}\n"),
        ("script.rs", b"#!/bin/sh\necho \"$HOME\" | tr a-z A-Z\n"),
        ("unclosed.rs", b"fn f() { let s = \"never closed;\n"),
        ("lone_bracket.rs", b")))]]]}}}\n"),
    ];
    let mut files = foreign.clone();
    files.push(("lib.rs", DEADLOCK.as_bytes()));
    let dir = krate_bytes(&files);
    let out = lockscan(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let found = findings(&out);
    for (name, _) in &foreign {
        let file = format!("src/{name}");
        assert!(
            found.iter().any(|f| f.0 == file && f.3 == "parse_error"),
            "{name}: {found:?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|f| f.0 == "src/lib.rs" && (f.1, f.2, f.3.as_str()) == DEADLOCK_AT)
    );
    // The human report of such files shows their bytes escaped.
    let human = lockscan(dir.path(), &[]);
    assert_no_raw_control(&human.stdout, "human output of foreign files");
}

#[test]
fn a_file_too_large_to_analyse_is_reported() {
    let mut big = b"// generated\n".to_vec();
    big.resize((17 << 20) as usize, b'\n');
    let dir = krate_bytes(&[("lib.rs", DEADLOCK.as_bytes()), ("big.rs", &big)]);
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "src/big.rs:1:1: warning[parse_error]: this file is too large to analyse (more than 16 MiB)"
        ),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("src/lib.rs:6:21: error[double_lock]"));
}

// ---------------------------------------------------------------------------------------------
// The file system: symlink loops, special files, permissions, names

#[cfg(unix)]
#[test]
fn symlink_loops_neither_hang_nor_stop_the_run() {
    use std::os::unix::fs::symlink;
    let dir = krate_bytes(&[("lib.rs", DEADLOCK.as_bytes())]);
    let src = dir.path().join("src");
    symlink("..", src.join("up")).unwrap();
    symlink(".", src.join("here")).unwrap();
    symlink("self.rs", src.join("self.rs")).unwrap();
    symlink("b.rs", src.join("a.rs")).unwrap();
    symlink("a.rs", src.join("b.rs")).unwrap();
    let out = lockscan(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let found = findings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "src/lib.rs");
    // Named on the command line, a loop is an error that says why.
    let out = lockscan(dir.path(), &["src/self.rs"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read `src/self.rs`: too many levels of symbolic links\n"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_rs_is_never_read() {
    // Reading a FIFO waits for a writer that never comes: it must be passed over.
    let dir = krate_bytes(&[("lib.rs", DEADLOCK.as_bytes())]);
    let fifo = dir.path().join("src/pipe.rs");
    ok(Command::new("mkfifo").arg(&fifo));
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard\n"
    );
    let out = lockscan(dir.path(), &["src/pipe.rs"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read `src/pipe.rs`: it is neither a file nor a directory\n"
    );
}

/// Whether this process can read a file whose mode is 000 (root can).
#[cfg(unix)]
fn reads_past_permissions(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::write(&probe, "x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    readable
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let top = repo();
    let root = top.path().join("c");
    write_crate(
        &root,
        &[
            ("lib.rs", DEADLOCK.as_bytes()),
            ("secret.rs", b"static mut X: u8 = 0;\n"),
            ("locked/inner.rs", b"static mut Y: u8 = 0;\n"),
        ],
    );
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    // As root, permissions do not stop reading: run lockscan as `nobody`, from a copy of the
    // binary that `nobody` can reach, in a tree it can search.
    let privileged = reads_past_permissions(top.path());
    let bin = if privileged {
        let copy = top.path().join("lockscan");
        std::fs::copy(LOCKSCAN, &copy).unwrap();
        mode(&copy, 0o755).unwrap();
        for d in [
            top.path(),
            &root,
            &root.join("src"),
            &root.join("src/locked"),
        ] {
            mode(d, 0o755).unwrap();
        }
        copy
    } else {
        PathBuf::from(LOCKSCAN)
    };
    mode(&root.join("src/secret.rs"), 0o000).unwrap();
    mode(&root.join("src/locked"), 0o000).unwrap();
    let run = |args: &[&str]| {
        let mut c = command(&bin, &root, args);
        if privileged {
            c.uid(65534).gid(65534);
        }
        finish(c)
    };
    let out = run(&["--format", "short"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert_eq!(
        text,
        "src/lib.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard\n\
         src/locked:1:1: warning[parse_error]: cannot read this directory: permission denied\n\
         src/secret.rs:1:1: warning[parse_error]: cannot read this file: permission denied\n"
    );
    // Named, an unreadable file is reported the same way.
    let out = run(&["src/secret.rs", "--format", "short"]);
    assert_eq!(
        stdout(&out),
        "src/secret.rs:1:1: warning[parse_error]: cannot read this file: permission denied\n"
    );
    let out = run(&[]);
    assert!(
        stdout(&out).contains("(2 files could not be parsed)"),
        "{}",
        stdout(&out)
    );
    // Let the temporary directory be removed.
    mode(&root.join("src/locked"), 0o755).unwrap();
}

#[test]
fn paths_with_spaces_and_non_ascii_characters_are_shown_as_typed() {
    let top = repo();
    let root = top.path().join("my crate – ünïcødé");
    write_crate(
        &root,
        &[
            ("lib.rs", b"mod r\xc3\xa9sum\xc3\xa9;\n"),
            ("résumé.rs", DEADLOCK.as_bytes()),
            ("with space/日本.rs", DEADLOCK.as_bytes()),
        ],
    );
    let expect = |found: &[(String, u64, u64, String, String)], file: &str| {
        assert!(
            found
                .iter()
                .any(|f| f.0 == file && (f.1, f.2, f.3.as_str()) == DEADLOCK_AT),
            "{file}: {found:?}"
        );
    };
    let out = lockscan(top.path(), &["my crate – ünïcødé", "--format", "json"]);
    let found = findings(&out);
    expect(&found, "my crate – ünïcødé/src/résumé.rs");
    expect(&found, "my crate – ünïcødé/src/with space/日本.rs");
    let out = lockscan(&root, &["src/with space/日本.rs", "--format", "short"]);
    assert_eq!(
        stdout(&out),
        "src/with space/日本.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard\n"
    );
    let human = stdout(&lockscan(&root, &[]));
    assert!(human.contains("[src/résumé.rs:6:21]"), "{human}");
    assert!(human.contains("[src/with space/日本.rs:6:21]"), "{human}");
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_shown_and_checked() {
    use std::os::unix::ffi::OsStrExt;
    let dir = krate_bytes(&[("lib.rs", b"")]);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.rs");
    if let Err(e) = std::fs::write(dir.path().join("src").join(name), DEADLOCK) {
        // The usual Linux file systems take any bytes in a name but `/` and NUL; others may not.
        if cfg!(target_os = "linux") {
            panic!("cannot make a file named `caf\\xe9.rs`: {e}");
        }
        eprintln!("skipped: this file system takes only UTF-8 names ({e})");
        return;
    }
    let out = lockscan(dir.path(), &["--format", "short"]);
    assert_eq!(
        stdout(&out),
        "src/caf\u{fffd}.rs:6:21: error[double_lock]: `self.n` is locked while this thread already holds its guard\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Output: broken pipes, and text from the scanned code

/// A crate with so many findings that every format's output fills a pipe many times over.
fn noisy_crate() -> tempfile::TempDir {
    let mut src = String::new();
    for i in 0..2000 {
        src.push_str(&format!("pub static mut COUNTER_{i}: u64 = 0;\n"));
    }
    krate_bytes(&[("lib.rs", src.as_bytes())])
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    let dir = noisy_crate();
    // Every format, and the diff of the fixes.
    let mut runs: Vec<Vec<String>> = Format::value_variants()
        .iter()
        .map(|f| {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            vec!["--format".into(), name]
        })
        .collect();
    runs.push(vec!["--diff".into(), "--unsafe-fixes".into()]);
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = command(Path::new(LOCKSCAN), dir.path(), &args)
            .spawn()
            .unwrap();
        // Read a little, then close the pipe, as `head` does.
        let mut first = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let out = collect(child, &format!("lockscan {args:?}"));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn lockscan_piped_into_head_exits_quietly() {
    let dir = noisy_crate();
    let script = format!(
        "'{}' --format short | head -n 1; echo \"status $?\" >&2",
        LOCKSCAN
    );
    // `sh` gives the status of the pipeline's last command; lockscan's own is checked above.
    let out = finish(command(Path::new("sh"), dir.path(), &["-c", &script]));
    assert_eq!(
        stdout(&out),
        "src/lib.rs:1:16: warning[static_mut]: `static mut COUNTER_0` is shared mutable state with no synchronization\n"
    );
    // Nothing but the shell's own line: no error, no panic from lockscan.
    assert_eq!(stderr(&out), "status 0\n");
}

/// Control and bidirectional-formatting characters: what a terminal would act on or reorder.
/// Newline and tab are the only controls an output may carry.
fn assert_no_raw_control(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    if let Some(c) = bad {
        panic!("{what} carries {c:?} raw:\n{text}");
    }
}

/// Code full of escape sequences: in strings, comments, a literal that a help quotes, an
/// identifier position, and the file's name.
const HOSTILE: &[u8] = b"static mut TITLE: &str = \"\x1b]0;pwned\x07\";
static mut N: u32 = 1; // \x1b[2J\x1b[H cleared \xc2\x9b31m csi
pub fn set() {
    unsafe {
        TITLE = \"\x1b[31m\xe2\x80\xaereversed\";
        N += 1; /* \x1b[8m hidden \x1b[0m */
    }
    let m = std::sync::Mutex::new(0);
    let g = m.lock().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1)); // \r\x1b[Kover
    drop(g);
}
";

#[test]
fn escape_sequences_in_scanned_code_never_reach_the_output_raw() {
    let mut files: Vec<(&str, &[u8])> = vec![
        ("lib.rs", HOSTILE),
        // A bidi override where an identifier goes: a parse error whose snippet shows it.
        ("bidi.rs", b"fn \xe2\x80\xae_x() {}\n"),
        ("crlf.rs", b"static mut Z: u8 = 0;\r\n\x1b[1A\r\n"),
    ];
    if cfg!(unix) {
        files.push(("e\x1b[31mvil.rs", b"static mut Y: u8 = 0;\n"));
    }
    let dir = krate_bytes(&files);
    // Every format lockscan has, and the diff of its fixes.
    let mut runs: Vec<Vec<String>> = Format::value_variants()
        .iter()
        .map(|f| {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            vec!["--format".into(), name]
        })
        .collect();
    runs.push(vec!["--diff".into(), "--unsafe-fixes".into()]);
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = lockscan(dir.path(), &args);
        assert!(!out.stdout.is_empty(), "{args:?}");
        assert_no_raw_control(&out.stdout, &format!("stdout of {args:?}"));
        assert_no_raw_control(&out.stderr, &format!("stderr of {args:?}"));
    }
    // In colour, lockscan's own escapes are the only ones: without them, the text is that of
    // the plain report.
    let human = stdout(&lockscan(dir.path(), &[]));
    let colored = lockscan(dir.path(), &["--color", "always"]).stdout;
    assert_eq!(String::from_utf8_lossy(&strip_sgr(&colored)), human);
    // The help quotes the initializer; the human format shows it escaped.
    assert!(
        human.contains(r#"Mutex::new("\u{1b}]0;pwned\u{7}")"#),
        "{human}"
    );
    // Keys from a configuration file in errors.
    let configured = krate_bytes(&[("lib.rs", b"")]);
    std::fs::write(
        configured.path().join("lockscan.toml"),
        "[rules]\n\"\\u001b[2Jbad\" = \"allow\"\n",
    )
    .unwrap();
    let out = lockscan(configured.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(r"unknown rule `\u{1b}[2Jbad`"),
        "{}",
        stderr(&out)
    );
    assert_no_raw_control(&out.stderr, "a configuration error");
    // Paths in errors too.
    let out = lockscan(dir.path(), &["no\x1b[31m/such.rs"]);
    assert_eq!(
        stderr(&out),
        "error: no such file or directory: `no\\u{1b}[31m/such.rs`\n"
    );
}

/// `bytes` without SGR sequences (`ESC [ digits and ; m`), the only escapes colour output adds.
fn strip_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b';') {
                j += 1;
            }
            if bytes.get(j) == Some(&b'm') {
                i = j + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
