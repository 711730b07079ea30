//! What the topics share, written once: running lockscan and the other programs the tests
//! drive (`run`), throwaway crates (`scratch`), the nesting shapes (`nesting`, shared with
//! `src/parse.rs` and `examples/depth_probe.rs`), and where the repository's own test data
//! is. A topic module adds only what is its own.

pub mod nesting;
mod run;
mod scratch;

pub use run::{
    LOCKSCAN, assert_quiet, collect, command, finish, git, lockscan, ok, output, stderr, stdout,
    text,
};
pub use scratch::{
    DEADLOCK, DEADLOCK_AT, krate, krate_bytes, lib_crate, package, repo, write_crate,
};

use std::path::{Path, PathBuf};

/// The repository's root, where `fixtures/`, `fuzz/` and `README.md` are; the working
/// directory of the tests.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data/{name}`: the inputs the tests read (`outputs/`, `fix_inputs/`).
pub fn data(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

/// lockscan's report on `dir` from the library, with the default options (which read no
/// configuration: only the command line does) and the screen, as the command line runs it.
pub fn report(dir: &Path) -> lockscan::driver::Report {
    lockscan::driver::run(&lockscan::driver::Options {
        paths: vec![dir.to_path_buf()],
        screen: true,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("lockscan runs on {}: {e}", dir.display()))
}
