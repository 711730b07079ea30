//! The nesting pre-check's estimate on real code: how far below `parse::MAX_DEPTH` real files
//! stay, and what the check costs (developer tool).
//!
//! `cargo run --release --example depth_survey -- DIR [TOP]` prints the `TOP` (default 10)
//! deepest files, the distribution of estimates and the time the check took.
use lockscan::parse::{MAX_DEPTH, nesting_depth};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: depth_survey DIR [TOP]");
    let top: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let mut found = vec![];
    let (mut bytes, mut spent) = (0usize, std::time::Duration::ZERO);
    for entry in walkdir::WalkDir::new(&dir).into_iter().flatten() {
        if entry.path().extension().is_none_or(|e| e != "rs") || !entry.file_type().is_file() {
            continue;
        }
        let Ok(src) = std::fs::read(entry.path()) else {
            continue;
        };
        let t = std::time::Instant::now();
        let d = nesting_depth(&src, u32::MAX);
        spent += t.elapsed();
        bytes += src.len();
        found.push((d.depth, d.line, entry.path().display().to_string()));
    }
    found.sort_by(|a, b| b.cmp(a));
    for (d, line, path) in found.iter().take(top) {
        println!("{d:>6}  {path}:{line}");
    }
    for limit in [25, 50, 100, 200, 500, 1000] {
        let over = found.iter().filter(|f| f.0 > limit).count();
        println!("files estimated deeper than {limit:>4}: {over}");
    }
    let rejected = found.iter().filter(|f| f.0 > MAX_DEPTH).count();
    println!(
        "{} files, {:.1} MB; {rejected} beyond the limit ({MAX_DEPTH}); the check took {:.2?} ({:.0} MB/s)",
        found.len(),
        bytes as f64 / 1e6,
        spent,
        bytes as f64 / 1e6 / spent.as_secs_f64()
    );
}
