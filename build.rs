//! Hashes of the source that decides what the cache holds, so that an entry written by one
//! build is never read by another that would have written something else: no version number
//! to remember to bump.
//!
//! - `LOCKSCAN_FACTS_HASH`: what decides a file's facts and the screen's words (the fact types,
//!   extraction, the API tables, the lexer, parsing, symbols, spans, the screen and the cache's
//!   own format), with `Cargo.lock` (a new `syn` may parse differently).
//! - `LOCKSCAN_SRC_HASH`: all of `src/` with `Cargo.lock`, for cached findings.
//!
//! Both include the crate's version.

use std::path::{Path, PathBuf};

/// The files under `dir` (recursively), sorted.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// FNV-1a, 128 bits: no dependency, and stable across platforms and Rust versions.
struct Fnv(u128);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0x6c62272e07bb014262b821756295c58d)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
    }
}

fn hash(paths: &[&str]) -> String {
    let mut all = vec![];
    for p in paths {
        let p = Path::new(p);
        if p.is_dir() {
            files(p, &mut all);
        } else {
            all.push(p.to_path_buf());
        }
    }
    all.sort();
    let mut h = Fnv::new();
    h.write(
        std::env::var("CARGO_PKG_VERSION")
            .unwrap_or_default()
            .as_bytes(),
    );
    for p in all {
        // Paths with `/`, so that the hash is the same on every platform.
        h.write(p.to_string_lossy().replace('\\', "/").as_bytes());
        h.write(&std::fs::read(&p).unwrap_or_default());
    }
    format!("{:032x}", h.0)
}

fn main() {
    let facts = [
        "src/facts",
        "src/extract",
        "src/known",
        "src/lex.rs",
        "src/parse.rs",
        "src/intern.rs",
        "src/span.rs",
        "src/screen",
        "src/cache",
        "Cargo.lock",
    ];
    println!("cargo:rustc-env=LOCKSCAN_FACTS_HASH={}", hash(&facts));
    println!(
        "cargo:rustc-env=LOCKSCAN_SRC_HASH={}",
        hash(&["src", "Cargo.lock"])
    );
    for p in ["src", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={p}");
    }
}
