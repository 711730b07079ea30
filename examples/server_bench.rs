//! How long `lockscan server` takes to publish a file's diagnostics: the first time (the whole
//! unit parsed), and after each edit (only the edited file parsed again; the others' facts are
//! kept). What `scripts/bench-server` runs.
//!
//! `cargo run --release --example server_bench -- LOCKSCAN FILE [EDITS]` starts `LOCKSCAN
//! server`, opens FILE (its text read from disk, sent as the editor would), and prints the time
//! from `didOpen` to the diagnostics of FILE, then the median and maximum over EDITS edits
//! (default 10; each appends a comment line) from `didChange` to the diagnostics of that
//! version. The server's own debounce of changes is part of what is measured. On Linux it also
//! prints the CPU time the server used (user and system, all threads), which a busy machine
//! inflates far less than wall time.
#[path = "../tests/it/support/lsp.rs"]
mod lsp;

use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// CPU time (user + system) the process `pid` has used so far, from `/proc`.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: server_bench LOCKSCAN FILE [EDITS]");
        std::process::exit(2);
    }
    let bin = std::fs::canonicalize(PathBuf::from(&args[1])).expect("LOCKSCAN exists");
    let file = std::fs::canonicalize(&args[2]).expect("FILE exists");
    let edits: usize = args
        .get(3)
        .map(|n| n.parse().expect("EDITS is a number"))
        .unwrap_or(10);
    let text = std::fs::read_to_string(&file).expect("FILE is readable text");
    let uri = lsp::uri(&file);

    let start = Instant::now();
    let mut c = lsp::Client::start(&bin, file.parent().unwrap());
    c.initialize(json!({ "general": { "positionEncodings": ["utf-16"] } }));
    let initialized = start.elapsed();

    let opened = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rust", "version": 1, "text": text } }),
    );
    let cpu_before = cpu_time(c.pid());
    let diags = c.diagnostics_at(&uri, 1);
    let first = opened.elapsed();
    let cpu_first = cpu_time(c.pid());
    let analysed = c
        .log
        .iter()
        .rev()
        .find_map(|m| {
            m["params"]["message"]
                .as_str()
                .filter(|s| s.starts_with("analysed"))
        })
        .unwrap_or("")
        .to_string();

    let lines = text.lines().count() as u32;
    let mut times: Vec<Duration> = vec![];
    for i in 0..edits {
        let version = 2 + i as i64;
        let at = lines + i as u32;
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": { "start": { "line": at, "character": 0 }, "end": { "line": at, "character": 0 } },
                    "text": format!("// edit {i}\n"),
                }],
            }),
        );
        c.diagnostics_at(&uri, version);
        times.push(t.elapsed());
    }
    let cpu_edits = cpu_time(c.pid());
    let status = c.shutdown();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("file:              {}", file.display());
    println!("server:            {analysed}");
    println!("start + initialize {:.0} ms", ms(initialized));
    println!(
        "first diagnostics  {:.0} ms ({} findings in the file)",
        ms(first),
        diags.len()
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu_first) {
        println!("  server CPU time  {:.0} ms", ms(b.saturating_sub(a)));
    }
    if !times.is_empty() {
        println!(
            "after an edit      {:.0} ms median, {:.0} ms max over {} edits (a {} ms debounce included)",
            ms(times[times.len() / 2]),
            ms(*times.last().unwrap()),
            times.len(),
            50
        );
        if let (Some(a), Some(b)) = (cpu_first, cpu_edits) {
            println!(
                "  server CPU time  {:.0} ms per edit",
                ms(b.saturating_sub(a)) / times.len() as f64
            );
        }
    }
    assert!(status.success(), "the server exited with {status}");
}
