//! Reading and parsing one file: bytes in, facts (or the reason there are none) out.
//!
//! Runs on a worker thread with a large stack (see [`STACK_SIZE`]). The syntax tree never
//! leaves this module: it is dropped as soon as its facts are extracted, and the thread's span
//! table is cleared after every file so that memory does not grow with the run.

use crate::extract::{self, ExtractOptions};
use crate::facts::FileFacts;
use crate::span::{Pos, Span};
use std::path::Path;

/// Stack for worker threads. syn and the walker recurse once per nesting level; real code
/// stays under depth 50, and [`MAX_DEPTH`] keeps pathological files far below this.
pub const STACK_SIZE: usize = 256 << 20;

/// Estimated nesting beyond which a file is reported instead of parsed.
pub const MAX_DEPTH: u32 = 20_000;

/// Why a file has no facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub span: Span,
}

pub enum Outcome {
    /// Boxed: facts are large, and a failure is small.
    Parsed(Box<FileFacts>),
    Failed(Failure),
}

fn at(line: u32, col: u32) -> Span {
    let p = Pos { line, col };
    Span { lo: p, hi: p }
}

/// Reads, checks, parses and extracts one file.
pub fn parse_path(path: &Path, opts: &ExtractOptions) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Failed(Failure {
                reason: format!("cannot read this file: {}", io_reason(&e)),
                span: at(1, 1),
            });
        }
    };
    parse_bytes(&bytes, opts)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "it no longer exists".into(),
        _ => {
            let s = e.to_string();
            // "Is a directory (os error 21)" → "is a directory"
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
                None => s,
            }
        }
    }
}

/// Parses source bytes (the whole per-file pipeline, without I/O: what the fuzzer drives).
pub fn parse_bytes(bytes: &[u8], opts: &ExtractOptions) -> Outcome {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
            return Outcome::Failed(Failure {
                reason: format!(
                    "this file is not valid UTF-8 (invalid byte at line {line}, column {col})"
                ),
                span: at(line, col),
            });
        }
    };
    let prepared = prepare(text);
    let depth = nesting_depth(prepared.as_bytes());
    if depth.depth > MAX_DEPTH {
        return Outcome::Failed(Failure {
            reason: format!(
                "this file nests too deeply to analyse (nesting depth of at least {}; lockscan's limit is {MAX_DEPTH})",
                depth.depth
            ),
            span: at(depth.line, 1),
        });
    }
    let outcome = match syn::parse_str::<syn::File>(&prepared) {
        Ok(file) => {
            let mut facts = extract::extract(&file, &prepared, opts);
            facts.source_hash = source_hash(bytes);
            drop(file);
            Outcome::Parsed(Box::new(facts))
        }
        Err(e) => {
            let start = e.span().start();
            let end = e.span().end();
            Outcome::Failed(Failure {
                reason: format!("could not parse this file: {e}"),
                span: Span {
                    lo: Pos {
                        line: start.line.max(1) as u32,
                        col: start.column as u32 + 1,
                    },
                    hi: Pos {
                        line: end.line.max(1) as u32,
                        col: end.column as u32 + 1,
                    },
                },
            })
        }
    };
    // Every span of this file is dead now.
    proc_macro2::extra::invalidate_current_thread_spans();
    outcome
}

/// FNV-1a over the bytes: cheap, stable across runs, and enough to notice a file that changed.
pub fn source_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Does `text` still parse as a Rust file (as lockscan reads it)? The reason when it does not.
/// Run on a thread with a [`STACK_SIZE`] stack: syn recurses.
pub fn check_parses(text: &str) -> Result<(), String> {
    let prepared = prepare(text);
    let depth = nesting_depth(prepared.as_bytes());
    if depth.depth > MAX_DEPTH {
        return Err(format!("it nests too deeply (line {})", depth.line));
    }
    let result = syn::parse_str::<syn::File>(&prepared)
        .map(drop)
        .map_err(|e| {
            let at = e.span().start();
            format!("{e} (line {}, column {})", at.line, at.column + 1)
        });
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Makes source text parseable by `syn` without moving anything: a byte-order mark becomes a
/// space and a `#!` interpreter line becomes spaces, so lines and columns stay those of the
/// file.
fn prepare(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    if let Some(rest) = out.strip_prefix('\u{feff}') {
        out = std::borrow::Cow::Owned(format!(" {rest}"));
    }
    let body = out.trim_start_matches(' ');
    if body.starts_with("#!") && !body[2..].trim_start().starts_with('[') {
        let end = out.find('\n').unwrap_or(out.len());
        let blank: String = out[..end].chars().map(|_| ' ').collect();
        out = std::borrow::Cow::Owned(format!("{blank}{}", &out[end..]));
    }
    out
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Depth {
    pub depth: u32,
    /// Where the deepest point was first reached.
    pub line: u32,
}

/// A cheap lexical estimate of how deeply the parser will recurse: open brackets, plus the
/// operators chained at each open level since its last `,` or `;` (a chain of `a.b().c()` or
/// `a + b + c` nests as deeply as brackets do). Comments, strings and character literals are
/// skipped. It over-estimates real code a little and never under-estimates a pathological file.
pub fn nesting_depth(src: &[u8]) -> Depth {
    let n = src.len();
    let mut i = 0;
    let mut line = 1u32;
    // Chain counts saved at each open bracket, and their sum.
    let mut levels: Vec<u32> = vec![];
    let mut saved = 0u32;
    let mut chained = 0u32;
    let mut best = Depth { depth: 0, line: 1 };
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let note = |open: usize, saved: u32, chained: u32, line: u32, best: &mut Depth| {
        let d = (open as u32).saturating_add(saved).saturating_add(chained);
        if d > best.depth {
            *best = Depth { depth: d, line };
        }
    };
    while i < n {
        let b = src[i];
        match b {
            b'\n' => line += 1,
            b'/' if i + 1 < n && src[i + 1] == b'/' => {
                while i < n && src[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if i + 1 < n && src[i + 1] == b'*' => {
                let mut nest = 1;
                i += 2;
                while i < n && nest > 0 {
                    if src[i] == b'\n' {
                        line += 1;
                    }
                    if src[i] == b'/' && i + 1 < n && src[i + 1] == b'*' {
                        nest += 1;
                        i += 1;
                    } else if src[i] == b'*' && i + 1 < n && src[i + 1] == b'/' {
                        nest -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < n && src[i] != b'"' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    if i < n && src[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            b'r' if (i == 0 || !ident(src[i - 1]))
                && i + 1 < n
                && (src[i + 1] == b'"'
                    || (src[i + 1] == b'#' && i + 2 < n && matches!(src[i + 2], b'"' | b'#'))) =>
            {
                // r"..", r#".."#
                let mut j = i + 1;
                let mut hashes = 0;
                while j < n && src[j] == b'#' {
                    hashes += 1;
                    j += 1;
                }
                if j < n && src[j] == b'"' {
                    j += 1;
                    loop {
                        if j >= n {
                            break;
                        }
                        if src[j] == b'\n' {
                            line += 1;
                        }
                        if src[j] == b'"'
                            && src[j + 1..]
                                .iter()
                                .take(hashes)
                                .filter(|&&c| c == b'#')
                                .count()
                                == hashes
                        {
                            j += 1 + hashes;
                            break;
                        }
                        j += 1;
                    }
                    i = j;
                    continue;
                }
            }
            b'\'' => {
                // A character literal ('a', '\n', 'é') or a lifetime ('a).
                if i + 1 < n && src[i + 1] == b'\\' {
                    let mut j = i + 2;
                    while j < n && src[j] != b'\'' && src[j] != b'\n' {
                        j += 1;
                    }
                    i = j + 1;
                    continue;
                }
                let width = match src.get(i + 1) {
                    Some(&c) if c < 0x80 => 1,
                    Some(&c) if c >= 0xf0 => 4,
                    Some(&c) if c >= 0xe0 => 3,
                    Some(_) => 2,
                    None => 1,
                };
                if src.get(i + 1 + width) == Some(&b'\'') {
                    i += width + 2;
                    continue;
                }
            }
            b'(' | b'[' | b'{' => {
                levels.push(chained);
                saved = saved.saturating_add(chained);
                chained = 0;
                note(levels.len(), saved, chained, line, &mut best);
            }
            b')' | b']' | b'}' => {
                chained = levels.pop().unwrap_or(0);
                saved = saved.saturating_sub(chained);
                if b == b'}' {
                    chained = 0;
                }
            }
            b',' | b';' => chained = 0,
            b'=' if i + 1 < n && src[i + 1] == b'>' => {
                chained = 0;
                i += 2;
                continue;
            }
            b'.' | b'+' | b'-' | b'*' | b'&' | b'|' | b'^' | b'!' | b'<' | b'>' | b'%' | b'?'
            | b'/' => {
                chained = chained.saturating_add(1);
                note(levels.len(), saved, chained, line, &mut best);
            }
            _ => {}
        }
        i += 1;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(s: &str) -> u32 {
        nesting_depth(s.as_bytes()).depth
    }

    #[test]
    fn real_code_is_shallow() {
        let src = r##"
            fn main() {
                let s = "((((((((("; // ))))
                let c = '(';
                /* ((((( */
                let v = vec![1, 2, 3].iter().map(|x| x + 1).collect::<Vec<_>>();
                let r = r#"(((("#;
                println!("{}", v.len());
            }
        "##;
        assert!(depth(src) < 20, "{}", depth(src));
    }

    #[test]
    fn pathological_nesting_is_seen() {
        let parens = format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert!(depth(&parens) >= 5000);
        let chain = format!("fn f() {{ x{} }}", ".f()".repeat(5000));
        assert!(depth(&chain) >= 5000);
        let sums = format!("fn f() {{ 1{} }}", " + 1".repeat(5000));
        assert!(depth(&sums) >= 5000);
    }

    #[test]
    fn prepared_text_keeps_positions() {
        assert_eq!(prepare("\u{feff}fn a() {}"), " fn a() {}");
        assert_eq!(
            prepare("#!/usr/bin/env run\nfn a() {}"),
            "                  \nfn a() {}"
        );
        assert_eq!(
            prepare("#![allow(x)]\nfn a() {}"),
            "#![allow(x)]\nfn a() {}"
        );
    }
}
