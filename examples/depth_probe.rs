//! How deep the per-file pipeline (parse, extract, drop) can go on a worker stack, and how
//! long it takes: the measurement behind `parse::MAX_DEPTH` and `parse::STACK_SIZE`.
//!
//! - `cargo run --release --example depth_probe -- SHAPE N` runs one shape of
//!   `tests/it/support/nesting.rs` nested N levels deep, skipping the nesting pre-check on
//!   purpose (`list` prints the shapes).
//! - `cargo run --release --example depth_probe -- at-limit` runs every shape at the deepest
//!   nesting the pre-check lets through: a stack overflow aborts the probe, naming the shape.
//! - `cargo run --release --example depth_probe -- files DIR E` writes every shape, as deep as
//!   an estimate of E allows, into DIR (to measure the fuzz target's stack per level).
#[path = "../tests/it/support/nesting.rs"]
mod nesting;

use lockscan::parse::{self, MAX_DEPTH, Outcome};
use std::io::Write;

fn shape(name: &str, n: usize) -> String {
    nesting::shapes(n)
        .into_iter()
        .find(|(s, _)| s.replace(' ', "-") == name)
        .unwrap_or_else(|| panic!("no shape `{name}`: try `list`"))
        .1
}

fn estimate(src: &str) -> u32 {
    parse::nesting_depth(src.as_bytes(), u32::MAX).depth
}

/// The deepest nesting of a shape whose estimate is at most `limit`.
fn deepest(name: &str, limit: u32) -> usize {
    let (mut lo, mut hi) = (1usize, limit as usize + 1);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if estimate(&shape(name, mid)) <= limit {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Runs `f` on a thread with the workers' stack.
fn on_worker_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(parse::STACK_SIZE)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("the probe does not panic");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("list") => {
            for (name, _) in nesting::shapes(1) {
                println!("{}", name.replace(' ', "-"));
            }
        }
        Some("files") => {
            let (Some(dir), Some(limit)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok()))
            else {
                panic!("usage: depth_probe files DIR ESTIMATE");
            };
            std::fs::create_dir_all(dir).expect("a directory");
            for (name, _) in nesting::shapes(1) {
                let name = name.replace(' ', "-");
                let src = shape(&name, deepest(&name, limit));
                std::fs::write(format!("{dir}/{name}.rs"), src).expect("written");
            }
        }
        Some("at-limit") => {
            for (name, _) in nesting::shapes(1) {
                let name = name.replace(' ', "-");
                let lo = deepest(&name, MAX_DEPTH);
                let src = shape(&name, lo);
                print!(
                    "{name:<26} {lo:>6} levels (estimate {:>5}): ",
                    estimate(&src)
                );
                std::io::stdout().flush().ok();
                on_worker_stack(move || {
                    let t = std::time::Instant::now();
                    let result = match parse::parse_bytes(src.as_bytes(), &Default::default()) {
                        Outcome::Parsed(_) => "parsed".to_string(),
                        Outcome::Failed(f) => f.reason,
                    };
                    println!("{result} in {:.2?}", t.elapsed());
                });
            }
        }
        Some(name) => {
            let n: usize = args
                .get(1)
                .and_then(|n| n.parse().ok())
                .expect("usage: depth_probe SHAPE N | list | at-limit | files DIR E");
            let src = shape(name, n);
            let name = name.to_string();
            on_worker_stack(move || {
                let t = std::time::Instant::now();
                // Bypass the pre-check: parse, extract and drop, as the pipeline would.
                let ok = match syn::parse_str::<syn::File>(&src) {
                    Ok(file) => {
                        let facts = lockscan::extract::extract(&file, &src, &Default::default());
                        drop(file);
                        drop(facts);
                        true
                    }
                    Err(_) => false,
                };
                println!(
                    "{name} {n}: parsed={ok} in {:?} (estimated depth {})",
                    t.elapsed(),
                    estimate(&src)
                );
            });
        }
        None => eprintln!("usage: depth_probe SHAPE N | list | at-limit | files DIR E"),
    }
}
