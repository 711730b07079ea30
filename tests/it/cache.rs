//! The cache: a warm run prints what a cold one does, and no state of the cache directory
//! changes that or stops the run: corrupt, truncated or foreign entries, an entry of another
//! build, a directory that cannot be written, runs at the same time, a size limit.

use crate::support::{LOCKSCAN, command, finish, root, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Output;

/// lockscan on the fixtures with the cache in `cache` (and `env` besides).
fn run_env(cache: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = command(
        Path::new(LOCKSCAN),
        root(),
        &["fixtures", "--format", "json", "--fail-on", "never"],
    );
    c.arg("--cache-dir").arg(cache);
    for (k, v) in env {
        c.env(k, v);
    }
    finish(c)
}

fn run(cache: &Path) -> Output {
    run_env(cache, &[])
}

/// The report, but for the time it took.
fn report(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let mut v: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    v["summary"]["elapsed_ms"] = 0.into();
    v
}

/// What a run with no cache prints.
fn reference() -> serde_json::Value {
    report(&crate::support::lockscan(
        root(),
        &[
            "fixtures",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-cache",
        ],
    ))
}

/// lockscan's report on the crate `tree` (but for the time it took), with `args` and `env`
/// besides, and what it printed on stderr.
fn json_in(tree: &Path, args: &[&str], env: &[(&str, &str)]) -> (serde_json::Value, String) {
    let mut all = vec!["--format", "json", "--fail-on", "never"];
    all.extend(args);
    let mut c = command(Path::new(LOCKSCAN), tree, &all);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = finish(c);
    (report(&o), stderr(&o))
}

/// A crate file that takes `A` then `B`.
const TWO_LOCKS: &str = "use std::sync::Mutex;\npub static A: Mutex<u8> = Mutex::new(0);\npub static B: Mutex<u8> = Mutex::new(0);\npub fn one() { let _a = A.lock().unwrap(); let _b = B.lock().unwrap(); }\n";

/// The entries of one kind (`bundles`, `facts`, `units`).
fn entries(cache: &Path, kind: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(cache.join("v3").join(kind))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn all_entries(cache: &Path) -> Vec<PathBuf> {
    let mut out = entries(cache, "bundles");
    out.extend(entries(cache, "facts"));
    out.extend(entries(cache, "units"));
    out
}

/// Changes every entry of `kind` with `f`; returns what each became.
fn spoil(cache: &Path, kinds: &[&str], f: impl Fn(&mut Vec<u8>)) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for kind in kinds {
        for p in entries(cache, kind) {
            let mut bytes = std::fs::read(&p).unwrap();
            f(&mut bytes);
            std::fs::write(&p, &bytes).unwrap();
            out.push((p, bytes));
        }
    }
    assert!(!out.is_empty(), "entries to spoil");
    out
}

/// Every spoiled entry was written again (it no longer holds what it was spoiled into).
fn assert_rewritten(spoiled: &[(PathBuf, Vec<u8>)]) {
    for (p, bytes) in spoiled {
        let now = std::fs::read(p).unwrap();
        assert_ne!(&now, bytes, "{} was not written again", p.display());
    }
}

#[test]
fn a_warm_run_reads_the_cache_and_prints_what_a_cold_one_does() {
    let cache = tempfile::tempdir().unwrap();
    let want = reference();
    assert_eq!(report(&run(cache.path())), want);
    for kind in ["bundles", "units"] {
        assert!(!entries(cache.path(), kind).is_empty(), "no {kind} entry");
    }
    // A run writes one bundle per unit, not an entry per file, and one entry of the unit's
    // findings (by its files' bytes and by their facts).
    assert_eq!(
        entries(cache.path(), "bundles").len(),
        entries(cache.path(), "units").len()
    );
    assert!(entries(cache.path(), "facts").is_empty());
    // The unit's findings are read: its files' facts are not even looked at.
    let spoiled = spoil(cache.path(), &["bundles"], |b| b.truncate(10));
    assert_eq!(report(&run(cache.path())), want);
    for (p, bytes) in &spoiled {
        assert_eq!(&std::fs::read(p).unwrap(), bytes, "read {}", p.display());
    }
    // Without them, every file's facts are made again, and written.
    for p in entries(cache.path(), "units") {
        std::fs::remove_file(p).unwrap();
    }
    assert_eq!(report(&run(cache.path())), want);
    assert_rewritten(&spoiled);
}

#[test]
fn corrupt_bytes_are_a_miss_and_are_written_again() {
    let cache = tempfile::tempdir().unwrap();
    let want = report(&run(cache.path()));
    let spoiled = spoil(cache.path(), &["bundles", "units"], |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0x5a;
        let last = b.len() - 1;
        b[last] ^= 0x01;
    });
    assert_eq!(report(&run(cache.path())), want);
    assert_rewritten(&spoiled);
    assert_eq!(report(&run(cache.path())), want);
}

#[test]
fn a_truncated_entry_is_a_miss_and_is_written_again() {
    let cache = tempfile::tempdir().unwrap();
    let want = report(&run(cache.path()));
    let spoiled = spoil(cache.path(), &["bundles", "units"], |b| {
        b.truncate(b.len() / 2)
    });
    assert_eq!(report(&run(cache.path())), want);
    assert_rewritten(&spoiled);
    // Empty files too.
    spoil(cache.path(), &["bundles", "units"], |b| b.clear());
    assert_eq!(report(&run(cache.path())), want);
}

/// An entry another build wrote (another version of lockscan, other fact types: another
/// build hash in its header) is never read, even with a checksum that holds.
#[test]
fn an_entry_of_another_build_is_not_read() {
    let cache = tempfile::tempdir().unwrap();
    let want = report(&run(cache.path()));
    let spoiled = spoil(cache.path(), &["bundles", "units"], |b| {
        // The header's build hash (bytes 8..24); the payload and its checksum stay good.
        for x in &mut b[8..24] {
            *x = !*x;
        }
    });
    assert_eq!(report(&run(cache.path())), want);
    assert_rewritten(&spoiled);
    // And one of another layout.
    let spoiled = spoil(cache.path(), &["units"], |b| b[4] = b[4].wrapping_add(1));
    assert_eq!(report(&run(cache.path())), want);
    assert_rewritten(&spoiled);
}

/// A cache that cannot be written: the run goes on and prints the same, with one note on
/// stderr.
#[test]
fn a_cache_that_cannot_be_written_leaves_the_run_going() {
    let want = reference();
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache's directory would be: nothing can be created in it (even by
    // root, whom permissions do not stop).
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, "x").unwrap();
    let out = run(&blocked.join("cache"));
    assert_eq!(report(&out), want);
    let err = stderr(&out);
    assert_eq!(
        err.matches("note: cannot write the cache").count(),
        1,
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // A read-only directory, where permissions count (not for root): the same, and what it
    // holds is still read.
    let ro = dir.path().join("read-only");
    assert_eq!(report(&run(&ro)), want);
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        use std::os::unix::fs::PermissionsExt;
        for e in walkdir::WalkDir::new(&ro).into_iter().flatten() {
            let mode = if e.file_type().is_dir() { 0o555 } else { 0o444 };
            std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        for p in entries(&ro, "units") {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).ok();
            std::fs::remove_file(&p).ok();
        }
        let out = run(&ro);
        assert_eq!(report(&out), want);
        for e in walkdir::WalkDir::new(&ro).into_iter().flatten() {
            std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755)).ok();
        }
    }
}

#[test]
fn runs_at_the_same_time_share_one_cache_safely() {
    let want = reference();
    for round in 0..2 {
        let cache = tempfile::tempdir().unwrap();
        // Cold, four at once; then warm, four at once over what they wrote.
        for _ in 0..2 {
            let runs: Vec<_> = (0..4)
                .map(|_| {
                    let mut c = command(
                        Path::new(LOCKSCAN),
                        root(),
                        &[
                            "fixtures",
                            "--format",
                            "json",
                            "--fail-on",
                            "never",
                            "--threads",
                            "1",
                        ],
                    );
                    c.arg("--cache-dir").arg(cache.path());
                    c.spawn().unwrap()
                })
                .collect();
            for child in runs {
                let out = crate::support::collect(child, "a lockscan run");
                assert_eq!(report(&out), want, "round {round}");
                assert_eq!(stderr(&out), "");
            }
        }
        // Nothing half-written is left: every entry reads (a run that uses them prints the
        // same), and no temporary file stays behind.
        assert!(!all_entries(cache.path()).is_empty());
        let tmp = cache.path().join("v3/tmp");
        let left = std::fs::read_dir(&tmp).map_or(0, |d| d.count());
        assert_eq!(left, 0, "temporary files left in {}", tmp.display());
        assert_eq!(report(&run(cache.path())), want);
    }
}

#[test]
fn the_cache_stays_under_its_size_limit() {
    let cache = tempfile::tempdir().unwrap();
    let want = reference();
    // An older layout's entries, and a directory of the user's that only looks like one.
    let old = cache.path().join("v2");
    std::fs::create_dir_all(old.join("units")).unwrap();
    std::fs::write(old.join("units").join("0123"), vec![7u8; 1 << 20]).unwrap();
    std::fs::write(old.join("written"), "0").unwrap();
    let theirs = cache.path().join("v9");
    std::fs::create_dir_all(theirs.join("units")).unwrap();
    std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
    let limit = 64 << 10;
    let out = run_env(cache.path(), &[("LOCKSCAN_CACHE_SIZE", "64K")]);
    assert_eq!(report(&out), want);
    assert!(!old.exists(), "the old layout's entries are still there");
    assert!(
        theirs.join("notes.txt").exists(),
        "a directory not the cache's was removed"
    );
    let size: u64 = all_entries(cache.path())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(size <= limit, "{size} bytes in the cache, over {limit}");
    // Without the limit, the same run keeps far more.
    let big = tempfile::tempdir().unwrap();
    run(big.path());
    let full: u64 = all_entries(big.path())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(full > 2 * limit, "{full} bytes");
}

/// By default the cache is in the platform's cache directory (`$XDG_CACHE_HOME/lockscan` on
/// Linux): never in the scanned tree, which no run changes; `--no-cache` writes none.
#[test]
fn the_cache_is_never_in_the_scanned_tree() {
    let tree = crate::support::krate(&[("lib.rs", crate::support::DEADLOCK)]);
    let home = tempfile::tempdir().unwrap();
    let listing = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = walkdir::WalkDir::new(d)
            .into_iter()
            .flatten()
            .map(|e| e.into_path())
            .collect();
        v.sort();
        v
    };
    let before = listing(tree.path());
    let mut c = command(Path::new(LOCKSCAN), tree.path(), &["--format", "short"]);
    c.env_remove("LOCKSCAN_CACHE_DIR")
        .env("XDG_CACHE_HOME", home.path().join("xdg"))
        .env("HOME", home.path());
    let out = finish(c);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(listing(tree.path()), before);
    assert!(
        !all_entries(&home.path().join("xdg/lockscan")).is_empty(),
        "the cache is in $XDG_CACHE_HOME/lockscan"
    );

    let none = tempfile::tempdir().unwrap();
    let mut c = command(
        Path::new(LOCKSCAN),
        tree.path(),
        &["--format", "short", "--no-cache"],
    );
    c.env("LOCKSCAN_CACHE_DIR", none.path());
    assert_eq!(finish(c).status.code(), Some(1));
    assert_eq!(std::fs::read_dir(none.path()).unwrap().count(), 0);
    assert_eq!(listing(tree.path()), before);
}

/// A touched file is read again; the others come from the cache; the findings follow the
/// change.
#[test]
fn a_changed_file_is_analysed_again() {
    let cache = tempfile::tempdir().unwrap();
    let tree = crate::support::krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", TWO_LOCKS),
        ("b.rs", "pub fn two() {}\n"),
    ]);
    // Each run with the cache prints what a run without it does.
    let short = || {
        let dir = cache.path().to_str().unwrap();
        let (cached, _) = json_in(tree.path(), &["--cache-dir", dir], &[]);
        assert_eq!(cached, json_in(tree.path(), &["--no-cache"], &[]).0);
        let mut c = command(
            Path::new(LOCKSCAN),
            tree.path(),
            &["--format", "short", "--fail-on", "never"],
        );
        c.arg("--cache-dir").arg(cache.path());
        stdout(&finish(c))
    };
    assert_eq!(short(), "");
    std::fs::write(
        tree.path().join("src/b.rs"),
        "use crate::a::{A, B};\npub fn two() { let _b = B.lock().unwrap(); let _a = A.lock().unwrap(); }\n",
    )
    .unwrap();
    let after = short();
    assert!(after.contains("lock_order_inversion"), "{after}");
    std::fs::write(tree.path().join("src/b.rs"), "pub fn two() {}\n").unwrap();
    assert_eq!(short(), "");
    // A file added, then removed: the bundle follows the unit's files.
    std::fs::write(
        tree.path().join("src/lib.rs"),
        "pub mod a;\npub mod b;\npub mod c;\n",
    )
    .unwrap();
    std::fs::write(
        tree.path().join("src/c.rs"),
        "use crate::a::{A, B};\npub fn three() { let _b = B.lock().unwrap(); let _a = A.lock().unwrap(); }\n",
    )
    .unwrap();
    assert!(short().contains("lock_order_inversion"));
    std::fs::remove_file(tree.path().join("src/c.rs")).unwrap();
    std::fs::write(tree.path().join("src/lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    assert_eq!(short(), "");
}

/// A file whose text changes but whose facts do not (a comment) changes no finding: they are
/// read from the cache by the unit's facts, with no analysis, and only their fingerprints are
/// made again from the text as it is now (a comment on the line found is in it). Each run
/// prints what a run without the cache does; a change of code is analysed again.
#[test]
fn a_change_that_leaves_the_facts_is_not_analysed_again() {
    let cache = tempfile::tempdir().unwrap();
    let a = TWO_LOCKS;
    let tree = crate::support::krate(&[
        ("lib.rs", "pub mod a;\npub mod b;\n"),
        ("a.rs", a),
        (
            "b.rs",
            "use crate::a::{A, B};\npub fn two() { let _b = B.lock().unwrap(); let _a = A.lock().unwrap(); }\n",
        ),
    ]);
    // The report with the cache (checked against one without it), and whether the findings
    // came from the cache by facts.
    let run = || {
        let dir = cache.path().to_str().unwrap();
        let (cached, timings) = json_in(
            tree.path(),
            &["--cache-dir", dir],
            &[("LOCKSCAN_TIMINGS", "1")],
        );
        let (reference, _) = json_in(tree.path(), &["--no-cache"], &[]);
        assert_eq!(cached, reference);
        let fingerprints: Vec<String> = cached["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["fingerprint"].as_str().unwrap().to_string())
            .collect();
        assert!(!fingerprints.is_empty(), "{cached}");
        (
            fingerprints,
            timings.contains("findings from the cache by facts"),
        )
    };
    let (first, by_facts) = run();
    assert!(!by_facts);
    let write = |text: &str| std::fs::write(tree.path().join("src/a.rs"), text).unwrap();
    // A comment at the end: the same findings, the same fingerprints.
    write(&format!("{a}// a note\n"));
    let (after, by_facts) = run();
    assert!(
        by_facts,
        "a comment at the end leaves the facts as they were"
    );
    assert_eq!(after, first);
    // A comment on a line found: the same facts, but that finding's fingerprint follows the
    // line's text.
    write(&a.replace(
        "let _b = B.lock().unwrap(); }",
        "let _b = B.lock().unwrap(); } // B after A",
    ));
    let (after, by_facts) = run();
    assert!(by_facts);
    assert_ne!(after, first);
    // Code: analysed again.
    write(&a.replace("pub fn one()", "pub fn one_more() {}\npub fn one()"));
    let (_, by_facts) = run();
    assert!(!by_facts, "new code is analysed again");
}
