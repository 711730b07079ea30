//! Throwaway crates for the tests that run the binary on a crate of their own.
#![allow(dead_code)] // each test crate uses what it needs

/// A package `demo` (edition 2021) in a temporary directory, with `files` (paths relative to
/// its `src/`).
pub fn krate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    for (name, text) in files {
        let p = dir.path().join("src").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A package `demo` whose `src/lib.rs` is `text`.
pub fn lib_crate(text: &str) -> tempfile::TempDir {
    krate(&[("lib.rs", text)])
}
