//! Replays every input the fuzzer ever crashed on (`fuzz/regressions/`) through the fuzz
//! target's own checks (`fuzz/oracle.rs`): the whole per-file pipeline in both editions, then
//! every output format and the fix plan. Each runs on a worker-sized stack, as in a real run.
//! The inputs the fuzzer starts from go through the same checks, so that they run in
//! `cargo test` even while no crash is kept.

#[path = "../../fuzz/oracle.rs"]
mod oracle;

use crate::support::{nesting, root};
use std::path::Path;

/// Runs each `(name, bytes)` through the oracle, each on a thread with a real run's worker
/// stack; returns the names of those that fail.
fn failures(inputs: Vec<(String, Vec<u8>)>) -> Vec<String> {
    let scratch = tempfile::tempdir().unwrap();
    let mut failed = vec![];
    for (i, (name, data)) in inputs.into_iter().enumerate() {
        let at = scratch.path().join(format!("{i}.rs"));
        let ok = std::thread::Builder::new()
            .stack_size(lockscan::parse::STACK_SIZE)
            .spawn(move || oracle::check(&data, &at))
            .unwrap()
            .join()
            .is_ok();
        if !ok {
            failed.push(name);
        }
    }
    failed
}

/// The files under `dir` (not under a `target/`) for which `keep` holds, by name.
fn files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != "target")
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.file_type().is_file() && keep(e.path()))
        .map(|e| {
            let name = e.path().strip_prefix(root()).unwrap().display().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn every_kept_crash_now_passes() {
    let dir = root().join("fuzz/regressions");
    assert!(dir.is_dir(), "fuzz/regressions exists");
    let inputs = files(&dir, |p| {
        !p.file_name().unwrap().to_string_lossy().starts_with('.')
    });
    let failed = failures(inputs);
    assert!(failed.is_empty(), "these inputs fail again: {failed:?}");
}

/// What `fuzz/run` seeds the corpus with: every fixture, and every nesting shape at a small
/// depth; and each shape once more past `parse::MAX_DEPTH`, where the pre-check turns it into
/// a `parse_error`.
#[test]
fn the_fuzzers_seeds_pass_its_checks() {
    let mut inputs = files(&root().join("fixtures"), |p| {
        p.extension().is_some_and(|e| e == "rs")
    });
    assert!(inputs.len() > 20, "{} fixture files", inputs.len());
    let too_deep = lockscan::parse::MAX_DEPTH as usize + 1;
    for n in [1, 50, too_deep] {
        for (shape, src) in nesting::shapes(n) {
            inputs.push((format!("{shape}, {n} deep"), src.into_bytes()));
        }
    }
    let failed = failures(inputs);
    assert!(
        failed.is_empty(),
        "these inputs fail the fuzz checks: {failed:?}"
    );
}
