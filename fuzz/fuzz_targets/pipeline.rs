//! The whole per-file pipeline on arbitrary bytes (see `../oracle.rs` for what is checked).
//!
//! The stack is the oracle for the nesting pre-check: each input runs on a stack sized from
//! the pre-check's estimate of how deeply it nests. Input the estimate under-counts makes `syn`
//! recurse past that stack, and the overflow is a crash the fuzzer keeps.
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// [`oracle::PER_LEVEL`], or the environment variable `LOCKSCAN_FUZZ_PER_LEVEL` (bytes), for
/// measuring what the shapes need.
fn per_level() -> usize {
    static PER: OnceLock<usize> = OnceLock::new();
    *PER.get_or_init(|| {
        std::env::var("LOCKSCAN_FUZZ_PER_LEVEL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(oracle::PER_LEVEL)
    })
}

/// Where the input is written for the renderers: one file per fuzzing process.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("lockscan-fuzz-{}.rs", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let stack = oracle::stack_for(data, per_level());
    let data = data.to_vec();
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || oracle::check(&data, scratch()))
        .expect("a thread")
        .join()
        .expect("the pipeline does not panic");
});
