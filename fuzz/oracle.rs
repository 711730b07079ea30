//! What the fuzz target checks on each input, shared with `tests/it/fuzz_regressions.rs` so
//! that a kept crash is replayed through exactly the checks that found it.
//!
//! The whole per-file pipeline on arbitrary bytes: decode, nesting pre-check, parse, extract,
//! index and rules on a one-file unit (both editions whose scoping differs), then every output
//! format, and the fix engine's plan (safe and unsafe fixes) with its diff. It must not panic,
//! must not overflow its stack, must not print anything a terminal would act on, and every
//! file the fixes change must still parse.
// The regression test uses `check` only.
#![allow(dead_code)]

use clap::ValueEnum;
use lockscan::diag::Applicability;
use lockscan::driver::{Report, analyse_source};
use lockscan::extract::Edition;
use lockscan::fix;
use lockscan::parse::{self, MAX_DEPTH};
use lockscan::project::Project;
use lockscan::render::{self, Format, RenderOptions};
use std::path::Path;

/// Stack per estimated level of nesting: half as much again as the most any shape of
/// `tests/it/support/nesting.rs` needs in the fuzz build (6.5 KiB, nested generics; measured
/// as `fuzz/README.md` says), and less than a real run has (`parse::STACK_SIZE` over
/// `MAX_DEPTH`, 13.1 KiB), so that input the estimate under-counts fails here first.
pub const PER_LEVEL: usize = 10 << 10;
/// Stack for everything but nesting: the pipeline and the renderers on a flat file.
pub const BASE: usize = 1 << 20;

/// The stack the fuzz target gives `data`: [`BASE`] plus `per_level` per level the nesting
/// pre-check estimates. Input the estimate under-counts makes `syn` recurse past it, and the
/// overflow is a crash the fuzzer keeps.
pub fn stack_for(data: &[u8], per_level: usize) -> usize {
    let estimate = parse::nesting_depth(data, u32::MAX)
        .depth
        .min(MAX_DEPTH + 1);
    BASE + per_level * estimate as usize
}

/// Characters no output may carry: the renderers escape or replace them. A tab is harmless
/// and `render::sanitize` keeps it.
fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Runs the pipeline and the renderers on `data`, panicking on anything wrong. `scratch` is
/// where the input is written for the renderers, which read the file to show snippets.
pub fn check(data: &[u8], scratch: &Path) {
    let mut diagnostics = vec![];
    for edition in [Edition::E2021, Edition::E2024] {
        diagnostics = analyse_source(data, edition);
        for d in &diagnostics {
            for loc in d.locs() {
                let s = loc.span;
                assert!(s.lo <= s.hi, "{}: {s:?}", d.rule);
                // Built with `cfg(fuzzing)`, proc-macro2 has no span locations: every span is
                // line 0, which must break nothing but cannot be checked.
                if !cfg!(fuzzing) {
                    assert!(s.lo.line >= 1 && s.lo.col >= 1, "{}: {s:?}", d.rule);
                }
            }
        }
    }
    if std::fs::write(scratch, data).is_err() {
        return;
    }
    let parse_errors = diagnostics
        .iter()
        .filter(|d| d.rule == "parse_error")
        .count();
    let report = Report {
        project: Project::one_file(scratch.to_path_buf(), "input.rs".into()),
        parse_errors,
        diagnostics,
        files_scanned: 1,
        baselined: 0,
        elapsed: std::time::Duration::ZERO,
        hashes: vec![(parse_errors == 0).then(|| parse::source_hash(data))],
    };
    // Every format there is, so that a new one is fuzzed from the day it is added.
    for &format in Format::value_variants() {
        let mut out = vec![];
        render::render(&report, format, RenderOptions::default(), &mut out).expect("renders");
        let text = std::str::from_utf8(&out).expect("output is UTF-8");
        assert_safe(&format!("{format:?}"), text);
        if text.starts_with(['{', '['])
            && let Err(e) = serde_json::from_str::<serde_json::Value>(text)
        {
            panic!("{format:?} output is not JSON ({e}):\n{text}");
        }
    }
    let plan = fix::plan(&report, Applicability::Unsafe);
    for change in &plan.changes {
        if let Err(why) = parse::check_parses(&change.new) {
            panic!("a fix broke the file ({why}):\n{}", change.new);
        }
    }
    let mut out = vec![];
    render::diff::render(&plan, false, &mut out).expect("renders");
    assert_safe(
        "--diff",
        std::str::from_utf8(&out).expect("output is UTF-8"),
    );
    // A crash leaves the input behind; a pass does not.
    let _ = std::fs::remove_file(scratch);
}

fn assert_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| is_terminal_control(c)) {
        panic!("{what} output carries {c:?}:\n{text}");
    }
}
