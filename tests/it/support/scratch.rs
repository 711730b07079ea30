//! Throwaway crates for the tests that run lockscan on code of their own. Each lives in a
//! temporary directory that is a repository root of its own (it holds an empty `.git`), so
//! that no configuration above it applies: lockscan's search for a `lockscan.toml` stops at
//! the repository root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The manifest of the package `demo`.
const MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

/// A `double_lock`: `self.n` locked again at line 6, column 21 ([`DEADLOCK_AT`]).
pub const DEADLOCK: &str = "use std::sync::Mutex;
pub struct Counter { n: Mutex<u64> }
impl Counter {
    pub fn bump(&self) {
        let g = self.n.lock().unwrap();
        let again = self.n.lock().unwrap();
        println!(\"{} {}\", *g, *again);
    }
}
";

/// Where [`DEADLOCK`]'s finding is: line, column, rule.
pub const DEADLOCK_AT: (u64, u64, &str) = (6, 21, "double_lock");

/// An empty temporary directory that is the root of a repository of its own.
pub fn repo() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

/// Writes `files` under `root`, making their directories.
fn write_files(root: &Path, files: &[(&str, &[u8])]) {
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Writes the package `demo` (edition 2021) at `root`: its manifest, and `files` with paths
/// relative to its `src/`.
pub fn write_crate(root: &Path, files: &[(&str, &[u8])]) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("Cargo.toml"), MANIFEST).unwrap();
    write_files(&root.join("src"), files);
}

/// The package `demo` in a [`repo`], with `files` (paths relative to its `src/`).
pub fn krate(files: &[(&str, &str)]) -> TempDir {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    krate_bytes(&files)
}

/// [`krate`] for files that need not be UTF-8.
pub fn krate_bytes(files: &[(&str, &[u8])]) -> TempDir {
    let dir = repo();
    write_crate(dir.path(), files);
    dir
}

/// The package `demo` whose `src/lib.rs` is `text`.
pub fn lib_crate(text: &str) -> TempDir {
    krate(&[("lib.rs", text)])
}

/// The package `demo` in a [`repo`], with `files` relative to the package root (so that a
/// `lockscan.toml` can sit beside `src/`); a `Cargo.toml` among them is added to the end of
/// the package's manifest.
pub fn package(files: &[(&str, &str)]) -> TempDir {
    let dir = repo();
    let mut manifest = MANIFEST.to_string();
    for (name, text) in files {
        if *name == "Cargo.toml" {
            manifest.push_str(text);
        } else {
            write_files(dir.path(), &[(name, text.as_bytes())]);
        }
    }
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    dir
}

/// Every entry under `dir` by relative path: `None` for a directory, a file's contents. Two
/// trees compare equal when nothing in them was written.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).unwrap());
            (e.path().strip_prefix(dir).unwrap().to_path_buf(), bytes)
        })
        .collect()
}
