//! `cargo lockscan`: cargo runs `cargo-lockscan lockscan ARGS…`; the `lockscan` it passes is
//! dropped and the rest is lockscan's own command line.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "lockscan") {
        args.remove(1);
    }
    std::process::exit(lockscan::cli::main_from(args, "cargo lockscan"));
}
