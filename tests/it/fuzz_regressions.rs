//! Replays every input the fuzzer ever crashed on (`fuzz/regressions/`) through the fuzz
//! target's own checks (`fuzz/oracle.rs`): the whole per-file pipeline in both editions, then
//! every output format. Each runs on a worker-sized stack, as in a real run.

#[path = "../../fuzz/oracle.rs"]
mod oracle;

use crate::support::root;

#[test]
fn every_kept_crash_now_passes() {
    let dir = root().join("fuzz/regressions");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/regressions exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    inputs.sort();
    let scratch = tempfile::tempdir().unwrap();
    let mut failed = vec![];
    for (i, input) in inputs.iter().enumerate() {
        let data = std::fs::read(input).unwrap();
        let at = scratch.path().join(format!("{i}.rs"));
        let ok = std::thread::Builder::new()
            .stack_size(lockscan::parse::STACK_SIZE)
            .spawn(move || oracle::check(&data, &at))
            .unwrap()
            .join()
            .is_ok();
        if !ok {
            failed.push(input.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "these inputs fail again: {failed:?}");
}
