//! The outside programs the tests install for themselves, under `target/tmp/` (kept between
//! runs): npm packages, and the quick release build of lockscan that the tests which run
//! `cargo install` as users do (the pre-commit hook, the GitHub Action) share.

use super::text;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/tmp/`, where the tests install what they need.
pub fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Installs the npm `packages` (`name@version`) into `dir`, for the test that needs `what`;
/// fails the test when npm cannot run or cannot install them.
pub fn npm_install(dir: &Path, packages: &[String], what: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let out = Command::new(npm)
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(dir)
        .args(packages)
        .output()
        .unwrap_or_else(|e| panic!("this test installs {what} with npm, which could not run: {e}"));
    assert!(
        out.status.success(),
        "npm could not install {}:\n{}",
        packages.join(" "),
        text(&out)
    );
}

/// `c`, a `cargo install` of this repository (or what runs one), made a quick build: an
/// unoptimized release build (what lockscan finds does not depend on optimization), offline
/// from the crates `cargo test` has fetched, into one target directory under `target/tmp/`
/// that every such test shares, so that the dependencies compile once for all of them.
pub fn quick_release_build(c: &mut Command) -> &mut Command {
    c.env("CARGO_TARGET_DIR", tmp().join("pre-commit-build"))
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
}
