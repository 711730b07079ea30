//! How deep the per-file pipeline (parse, extract, drop) can go on a worker stack, and how
//! long it takes: the measurement behind `parse::MAX_DEPTH` and `parse::STACK_SIZE`.
//!
//! `cargo run --release --example depth_probe -- chain 40000` (shapes: parens, blocks, chain,
//! sum, unary, generics, closures). It skips the nesting pre-check on purpose.
fn main() {
    let kind = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let src = match kind.as_str() {
        "parens" => format!("fn f() {{ let x = {}1{}; }}", "(".repeat(n), ")".repeat(n)),
        "blocks" => format!("fn f() {}{}", "{".repeat(n), "}".repeat(n)),
        "chain" => format!("fn f() {{ x{}; }}", ".f()".repeat(n)),
        "sum" => format!("fn f() {{ let y = 1{}; }}", " + 1".repeat(n)),
        "unary" => format!("fn f() {{ let y = {}x; }}", "!".repeat(n)),
        "generics" => format!("type T = {}u8{};", "Vec<".repeat(n), ">".repeat(n)),
        "closures" => format!("fn f() {{ let c = {}1; }}", "|| ".repeat(n)),
        _ => panic!(),
    };
    let h = std::thread::Builder::new()
        .stack_size(lockscan::parse::STACK_SIZE)
        .spawn(move || {
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
                "{kind} {n}: parsed={ok} in {:?} (estimated depth {:?})",
                t.elapsed(),
                lockscan::parse::nesting_depth(src.as_bytes())
            );
        })
        .unwrap();
    h.join().unwrap();
}
