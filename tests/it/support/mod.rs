//! What the topics share, written once: running lockscan and the other programs the tests
//! drive (`run`), throwaway crates (`scratch`), the outside tools the tests install and the
//! quick release build of the install tests (`tools`), the nesting shapes (`nesting`, shared
//! with `src/parse.rs` and `examples/depth_probe.rs`), a language-server client (`lsp`,
//! shared with `examples/server_bench.rs`), and where the repository's own test data is. A
//! topic module adds only what is its own.

pub mod lsp;
pub mod nesting;
mod run;
mod scratch;
mod tools;

pub use run::{
    GITHUB_STEP, LOCKSCAN, assert_quiet, collect, command, finish, git, lockscan, ok, output,
    rules, stderr, stdout, text,
};
pub use scratch::{
    DEADLOCK, DEADLOCK_AT, krate, krate_bytes, lib_crate, package, repo, tree, write_crate,
};
pub use tools::{npm_install, quick_release_build, system_tool, tmp};

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

/// [`report`] with the opt-in rules turned on at their default levels too, as the fixtures
/// are checked.
pub fn report_all_rules(dir: &Path) -> lockscan::driver::Report {
    let levels = lockscan::rules::RULES
        .iter()
        .filter(|r| r.group != lockscan::rules::Group::Default)
        .map(|r| (r.name.to_string(), Some(r.level)))
        .collect();
    lockscan::driver::run(&lockscan::driver::Options {
        paths: vec![dir.to_path_buf()],
        levels,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("lockscan runs on {}: {e}", dir.display()))
}
