//! The outside programs the tests install for themselves, under `target/tmp/` (kept between
//! runs): npm packages, and the quick release build of lockscan that the tests which run
//! `cargo install` as users do (the pre-commit hook, the GitHub Action) share; and the system
//! tools they run for real (Graphviz, Neovim), which the repository's script installs.

use super::{output, root, text};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

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

/// One install of system packages at a time: apt-get takes a lock of its own.
static SYSTEM_INSTALL: Mutex<()> = Mutex::new(());

/// The system tool `command` (`dot`, `nvim`) on the `PATH`, installed by
/// `scripts/install-test-tools` when it is missing, for `what` (the test that needs it). A
/// machine where it cannot be had fails the test: it is never skipped.
pub fn system_tool(command: &str, what: &str) -> PathBuf {
    let find = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(command))
                .find(|p| p.is_file())
        })
    };
    if let Some(p) = find() {
        return p;
    }
    let _one_at_a_time = SYSTEM_INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = find() {
        return p;
    }
    let script = root().join("scripts/install-test-tools");
    let out = output(&mut Command::new(&script));
    find().unwrap_or_else(|| {
        panic!(
            "{what} needs `{command}`, and {} could not install it:\n{}",
            script.display(),
            text(&out)
        )
    })
}
