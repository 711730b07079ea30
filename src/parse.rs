//! Reading and parsing one file: bytes in, facts (or the reason there are none) out.
//!
//! Runs on a worker thread with a large stack (see [`STACK_SIZE`]). The syntax tree never
//! leaves this module: it is dropped as soon as its facts are extracted, and the thread's span
//! table is cleared after every file so that memory does not grow with the run.

use crate::edition2015;
use crate::extract::{self, Edition, ExtractOptions};
use crate::facts::FileFacts;
use crate::lex::{Kind, Token, tokens};
use crate::span::{Pos, Span};
use std::path::Path;

/// Stack for worker threads. syn and the walker recurse once per nesting level; real code
/// stays under depth 50, and [`MAX_DEPTH`] keeps pathological files far below this.
pub const STACK_SIZE: usize = 256 << 20;

/// Estimated nesting beyond which a file is reported instead of parsed.
pub const MAX_DEPTH: u32 = 20_000;

/// Why a file has no facts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// What went wrong, in rustc's style.
    pub reason: String,
    pub span: Span,
    /// What the user can do about it: one of [`HELPS`].
    #[serde(with = "help_by_text")]
    pub help: Help,
}

/// A help text of [`HELPS`]. (An alias, so that serde does not take the field for text
/// borrowed from what it reads.)
pub type Help = &'static str;

/// A [`Failure`]'s help stored by its text and read back as one of [`HELPS`].
mod help_by_text {
    pub fn serialize<S: serde::Serializer>(h: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(h)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = &'static str;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a help")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<&'static str, E> {
                super::HELPS
                    .iter()
                    .copied()
                    .find(|h| *h == v)
                    .ok_or_else(|| E::custom("no such help"))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Clone)]
pub enum Outcome {
    /// Shared: facts are large, a failure is small, and whoever keeps facts between analyses
    /// (the language server's [`crate::driver::FactsCache`]) hands the index the same ones.
    Parsed(std::sync::Arc<FileFacts>),
    Failed(Failure),
}

fn at(line: u32, col: u32) -> Span {
    let p = Pos { line, col };
    Span { lo: p, hi: p }
}

const HELP_SYNTAX: &str = "nothing in this file was checked; fix the syntax, or exclude the file if it is not meant to be parsed on its own";
const HELP_READ: &str = "nothing in this file was checked; make it readable, or exclude it";
const HELP_ENCODING: &str =
    "nothing in this file was checked; save it as UTF-8, or exclude it if it is not Rust source";
const HELP_DEPTH: &str =
    "nothing in this file was checked; generated code this deep is best excluded";
const HELP_LARGE: &str =
    "nothing in this file was checked; generated code this large is best excluded";
const HELP_DIRECTORY: &str =
    "no file in this directory was checked; make it readable, or exclude it";

/// The helps a [`Failure`] can carry, so that one read back from the cache is one of them.
pub const HELPS: &[&str] = &[
    HELP_SYNTAX,
    HELP_READ,
    HELP_ENCODING,
    HELP_DEPTH,
    HELP_LARGE,
    HELP_DIRECTORY,
];

/// A directory that discovery could not read: its files, if any, were not checked.
pub fn unreadable_directory(reason: &str) -> Failure {
    Failure {
        reason: format!("cannot read this directory: {reason}"),
        span: at(1, 1),
        help: HELP_DIRECTORY,
    }
}

/// Files larger than this are reported, not parsed: `syn`'s tree takes about 80 bytes per
/// source byte while it lives, and the largest file of the corpus of popular crates is 2.5 MB.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// Reads, checks, parses and extracts one file.
pub fn parse_path(path: &Path, opts: &ExtractOptions) -> Outcome {
    match read_path(path) {
        Ok(bytes) => parse_bytes(&bytes, opts),
        Err(f) => Outcome::Failed(f),
    }
}

/// A file's bytes, or why they cannot be read.
pub fn read_path(path: &Path) -> Result<Vec<u8>, Failure> {
    match read_limited(path) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(too_large()),
        Err(e) => Err(Failure {
            reason: format!("cannot read this file: {}", io_reason(&e)),
            span: at(1, 1),
            help: HELP_READ,
        }),
    }
}

/// Why a file of more than [`MAX_FILE_SIZE`] bytes is not parsed.
pub fn too_large() -> Failure {
    Failure {
        reason: format!(
            "this file is too large to analyse (more than {} MiB)",
            MAX_FILE_SIZE >> 20
        ),
        span: at(1, 1),
        help: HELP_LARGE,
    }
}

/// The file's bytes, or `None` when there are more than [`MAX_FILE_SIZE`].
fn read_limited(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_SIZE {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_FILE_SIZE).then_some(bytes))
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
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

/// The byte-order mark, which is no part of the text: positions are counted after it, as
/// rustc and editors count them.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Source text without its byte-order mark: what positions count from.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses source bytes (the whole per-file pipeline, without I/O: what the fuzzer drives).
///
/// Recurses as deeply as the file nests, up to [`MAX_DEPTH`]: run it on a thread with a
/// [`STACK_SIZE`] stack.
pub fn parse_bytes(file_bytes: &[u8], opts: &ExtractOptions) -> Outcome {
    let text = match decode(file_bytes) {
        Ok(t) => t,
        Err(f) => return Outcome::Failed(f),
    };
    if let Err(f) = lex_checked(&text) {
        return Outcome::Failed(f);
    }
    parse_text(&text, None, source_hash(file_bytes), opts)
}

/// A file's bytes as text to parse: after its byte-order mark, checked to be UTF-8, a `#!`
/// line made blank.
pub fn decode(file_bytes: &[u8]) -> Result<String, Failure> {
    let bytes = file_bytes.strip_prefix(BOM).unwrap_or(file_bytes);
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(prepare(t).into_owned()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
            Err(Failure {
                reason: format!(
                    "this file is not valid UTF-8 (invalid byte at line {line}, column {col})"
                ),
                span: at(line, col),
                help: HELP_ENCODING,
            })
        }
    }
}

/// `text`'s tokens (`lex.rs`, comments included), once they pass the nesting pre-check
/// (`check_depth`).
pub fn lex_checked(text: &str) -> Result<Vec<Token>, Failure> {
    let tokens = tokens(text.as_bytes());
    check_depth(text, &tokens)?;
    Ok(tokens)
}

/// The nesting pre-check on text already lexed (`lex.rs`, comments included).
fn check_depth(text: &str, tokens: &[Token]) -> Result<(), Failure> {
    let depth = nesting_depth_tokens(text.as_bytes(), tokens, MAX_DEPTH);
    if depth.depth > MAX_DEPTH {
        return Err(Failure {
            reason: format!(
                "this file nests too deeply to analyse: more than {MAX_DEPTH} levels at line {}, which would overflow the parser's stack",
                depth.line
            ),
            span: at(depth.line, depth.col),
            help: HELP_DEPTH,
        });
    }
    Ok(())
}

/// Parses and extracts `text` (checked by [`lex_checked`]). `blanked` is the same text with
/// the screen's regions made white space (`crate::screen::blank`): `syn` reads that, and
/// extraction reads `text` wherever it takes text (they agree byte for byte outside the
/// regions). When the blanked text does not parse, `text` is parsed instead, so that a syntax
/// error is the one `syn` finds in the file.
pub fn parse_text(
    text: &str,
    blanked: Option<&str>,
    source_hash: u64,
    opts: &ExtractOptions,
) -> Outcome {
    let mut outcome = parse_one(blanked.unwrap_or(text), text, source_hash, opts);
    if blanked.is_some() && matches!(outcome, Outcome::Failed(_)) {
        outcome = parse_one(text, text, source_hash, opts);
    }
    outcome
}

fn parse_one(parsed: &str, text: &str, source_hash: u64, opts: &ExtractOptions) -> Outcome {
    let outcome = match parse_file(parsed, opts.edition) {
        Ok(file) => {
            let mut facts = extract::extract(&file, text, opts);
            // The whole file, as the fix engine reads it again.
            facts.source_hash = source_hash;
            drop(file);
            Outcome::Parsed(std::sync::Arc::new(facts))
        }
        Err(e) => Outcome::Failed(syntax_failure(parsed, &e, opts.edition)),
    };
    // Every span of this file is dead now.
    proc_macro2::extra::invalidate_current_thread_spans();
    outcome
}

/// A hash of a file's bytes (xxh3): stable across runs, and enough to notice a file that
/// changed. The low half of [`content_hash`].
pub fn source_hash(bytes: &[u8]) -> u64 {
    content_hash(bytes) as u64
}

/// The 128-bit hash of a file's bytes the cache keys it by.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// Does `text` still parse as a Rust file of this edition (as lockscan reads it)? The reason
/// when it does not. Run on a thread with a [`STACK_SIZE`] stack: syn recurses.
pub fn check_parses(text: &str, edition: Edition) -> Result<(), String> {
    let prepared = prepare(strip_bom(text));
    let depth = nesting_depth(prepared.as_bytes(), MAX_DEPTH);
    if depth.depth > MAX_DEPTH {
        return Err(format!("it nests too deeply (line {})", depth.line));
    }
    let result = parse_file(&prepared, edition).map(drop).map_err(|e| {
        let at = e.span().start();
        format!("{e} (line {}, column {})", at.line, at.column + 1)
    });
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Parses a file's text, made ready by [`parse_bytes`] (no byte-order mark, no `#!` line), as
/// `syn` reads it. An edition-2015 file that `syn` rejects is parsed again with its 2015-only
/// forms respelled the 2018 way, every token keeping its position ([`edition2015`]); the error
/// is then that of the respelled text. A file `syn` reads as written is never respelled.
///
/// Recurses as deeply as the file nests: check [`nesting_depth`] first, and run it on a thread
/// with a [`STACK_SIZE`] stack.
pub fn parse_file(text: &str, edition: Edition) -> syn::Result<syn::File> {
    match syn::parse_str::<syn::File>(text) {
        Err(e) if edition == Edition::E2015 => edition2015::parse_file(text).unwrap_or(Err(e)),
        parsed => parsed,
    }
}

/// Why a file does not parse, said as plainly as its shape allows: cargo-script front matter,
/// a fragment for `include!` (an expression or statements, not items), 2015 syntax in a crate
/// of a later edition, or else `syn`'s own message where it stopped.
fn syntax_failure(text: &str, e: &syn::Error, edition: Edition) -> Failure {
    let (start, end) = (e.span().start(), e.span().end());
    let span = Span {
        lo: Pos {
            line: start.line.max(1) as u32,
            col: start.column as u32 + 1,
        },
        hi: Pos {
            line: end.line.max(1) as u32,
            col: end.column as u32 + 1,
        },
    };
    if let Some(line) = front_matter_line(text) {
        return Failure {
            reason: "this file starts with cargo-script front matter (`---`), which lockscan does not read".into(),
            span: Span {
                lo: Pos { line, col: 1 },
                hi: Pos { line, col: 4 },
            },
            help: "nothing in this file was checked; exclude cargo scripts, or move the code into a crate",
        };
    }
    if holds_statements(text) {
        return Failure {
            reason: "could not parse this file as a module: it holds an expression or statements, not items, as a fragment for `include!` does".into(),
            span,
            help: "nothing in this file was checked; exclude it if it is only read through `include!`",
        };
    }
    if edition > Edition::E2015 && matches!(edition2015::parse_file(text), Some(Ok(_))) {
        return Failure {
            reason: format!(
                "could not parse this file: {e}; it reads as edition-2015 code, but its crate is edition {}",
                year(edition)
            ),
            span,
            help: "nothing in this file was checked; respell it for its crate's edition (`cargo fix --edition`), or set the edition its code is written for in `Cargo.toml`",
        };
    }
    Failure {
        reason: format!("could not parse this file: {e}"),
        span,
        help: HELP_SYNTAX,
    }
}

fn year(edition: Edition) -> &'static str {
    match edition {
        Edition::E2015 => "2015",
        Edition::E2018 => "2018",
        Edition::E2021 => "2021",
        Edition::E2024 => "2024",
    }
}

/// The line of a cargo script's opening `---`: the first line that is not blank (a `#!` line,
/// blanked by [`prepare`], is).
fn front_matter_line(text: &str) -> Option<u32> {
    let (i, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())?;
    line.starts_with("---").then_some(i as u32 + 1)
}

/// Whether the text parses as the inside of a block with something in it that is no item: an
/// expression, a `let`, a statement.
fn holds_statements(text: &str) -> bool {
    use syn::parse::Parser;
    syn::Block::parse_within
        .parse_str(text)
        .is_ok_and(|stmts| stmts.iter().any(|s| !matches!(s, syn::Stmt::Item(_))))
}

/// Makes source text parseable by `syn` without moving anything: a `#!` interpreter line
/// becomes spaces, so lines and columns stay those of the file.
fn prepare(text: &str) -> std::borrow::Cow<'_, str> {
    let body = text.trim_start_matches(' ');
    if body.starts_with("#!") && !body[2..].trim_start().starts_with('[') {
        let end = text.find('\n').unwrap_or(text.len());
        let blank: String = text[..end].chars().map(|_| ' ').collect();
        return std::borrow::Cow::Owned(format!("{blank}{}", &text[end..]));
    }
    std::borrow::Cow::Borrowed(text)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// The estimated depth: the deepest point seen, or the first point beyond the limit.
    pub depth: u32,
    /// Where that point is (1-based line, 1-based character column).
    pub line: u32,
    pub col: u32,
}

/// What opened a level of the estimate: a real bracket, or a `<` or closure `|` that may be one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Real,
    Angle,
    Pipe,
}

struct Level {
    /// The chain count of the enclosing level when this one opened.
    chain: u32,
    open: Open,
}

/// The state of [`nesting_depth`]: open levels, and the chain at the innermost one.
struct Estimator {
    levels: Vec<Level>,
    /// The sum of `levels[..].chain`.
    saved: u32,
    chain: u32,
    best: u32,
    best_at: usize,
}

impl Estimator {
    fn depth(&self) -> u32 {
        (self.levels.len() as u32)
            .saturating_add(self.saved)
            .saturating_add(self.chain)
    }

    fn note(&mut self, at: usize) {
        let d = self.depth();
        if d > self.best {
            self.best = d;
            self.best_at = at;
        }
    }

    /// One more link of a chain: an operator, a keyword, a closed group.
    fn step(&mut self, at: usize) {
        self.steps(1, at);
    }

    fn steps(&mut self, n: u32, at: usize) {
        self.chain = self.chain.saturating_add(n);
        self.note(at);
    }

    fn open(&mut self, open: Open, at: usize) {
        self.levels.push(Level {
            chain: self.chain,
            open,
        });
        self.saved = self.saved.saturating_add(self.chain);
        self.chain = 0;
        self.note(at);
    }

    fn pop(&mut self) -> Option<Level> {
        let l = self.levels.pop()?;
        self.saved = self.saved.saturating_sub(l.chain);
        Some(l)
    }

    /// `)`, `]`, `}`: closes the innermost real bracket and the soft levels inside it. The group
    /// is one link of the chain around it (`f()()`, `a[0][0]`, `if a {} else if b {}`).
    fn close_real(&mut self, at: usize) {
        while let Some(l) = self.pop() {
            if l.open == Open::Real {
                self.chain = l.chain;
                self.step(at);
                return;
            }
        }
        self.chain = 0;
    }

    /// `>` or the second `|`: closes the innermost level if it is a soft one of this kind.
    fn close_soft(&mut self, open: Open, at: usize) -> bool {
        if self.levels.last().is_some_and(|l| l.open == open) {
            if let Some(l) = self.pop() {
                self.chain = l.chain;
                self.step(at);
            }
            return true;
        }
        false
    }

    /// A statement or match arm ends: soft levels opened since the innermost real bracket were
    /// comparisons or bit-ors, and the next chain starts afresh.
    fn end_statement(&mut self) {
        while self.levels.last().is_some_and(|l| l.open != Open::Real) {
            self.pop();
        }
        self.chain = 0;
    }
}

/// Keywords: each may prefix an expression, type or pattern that nests (`return return x`,
/// `x as u8 as u8`, `else if`), so each counts as a link of the chain.
fn is_keyword(w: &[u8]) -> bool {
    matches!(
        w,
        b"as"
            | b"async"
            | b"await"
            | b"become"
            | b"box"
            | b"break"
            | b"const"
            | b"continue"
            | b"crate"
            | b"do"
            | b"dyn"
            | b"else"
            | b"enum"
            | b"extern"
            | b"false"
            | b"final"
            | b"fn"
            | b"for"
            | b"gen"
            | b"if"
            | b"impl"
            | b"in"
            | b"let"
            | b"loop"
            | b"macro"
            | b"match"
            | b"mod"
            | b"move"
            | b"mut"
            | b"override"
            | b"priv"
            | b"pub"
            | b"raw"
            | b"ref"
            | b"return"
            | b"safe"
            | b"self"
            | b"Self"
            | b"static"
            | b"struct"
            | b"super"
            | b"trait"
            | b"true"
            | b"try"
            | b"type"
            | b"typeof"
            | b"union"
            | b"unsafe"
            | b"unsized"
            | b"use"
            | b"virtual"
            | b"where"
            | b"while"
            | b"yield"
            | b"abstract"
    )
}

/// What a keyword counts for when `syn` parses it by copying the tokens of everything nested
/// inside it (`box` patterns, `become`, `dyn*` and `unsafe<'a>` types become verbatim tokens):
/// such nesting costs time quadratic in its depth, and this weight keeps the worst file the
/// pre-check lets through under a second.
const COPYING_WEIGHT: u32 = 20;

/// The first byte of the first of `rest` that is not a comment.
fn next_code_byte(rest: &[Token], src: &[u8]) -> Option<u8> {
    rest.iter()
        .find(|t| !matches!(t.kind, Kind::LineComment { .. } | Kind::BlockComment))
        .map(|t| src[t.start])
}

/// A cheap lexical estimate of how deeply `syn` (and the walks over its tree) will recurse, an
/// over-estimate by design: open brackets, plus at each open level the links chained since its
/// last `,`, `;` or `=>` — operators, keywords and closed groups (`a.b().c()`, `a + b + c`,
/// `return return x`, `f()()`, `if a {} else if b {}` all nest as deeply as brackets do). A `<`
/// and a closure's `|..|` count as levels too, as they may hold commas of their own
/// (`HashMap<K, HashMap<K, V>>`, `|a, b| |c, d| x`); a comparison's `<` is closed at the end
/// of its statement. Keywords that `syn` parses by copying tokens count [`COPYING_WEIGHT`]
/// each. Comments, strings and character literals are skipped, as the lexer does.
///
/// Stops at the first point deeper than `limit`, so that a pathological file costs little.
pub fn nesting_depth(src: &[u8], limit: u32) -> Depth {
    let tokens: Vec<Token> = tokens(src);
    nesting_depth_tokens(src, &tokens, limit)
}

/// [`nesting_depth`] over tokens already lexed (`lex.rs`, comments included).
pub fn nesting_depth_tokens(src: &[u8], tokens: &[Token], limit: u32) -> Depth {
    let mut e = Estimator {
        levels: vec![],
        saved: 0,
        chain: 0,
        best: 0,
        best_at: 0,
    };
    // Just after a `}`: a word there starts a new statement or item, unless it is `else` or
    // `as` (which continue the expression the block ends).
    let mut after_brace = false;
    let mut i = 0;
    while let Some(&t) = tokens.get(i) {
        i += 1;
        if e.best > limit {
            break;
        }
        if matches!(t.kind, Kind::LineComment { .. } | Kind::BlockComment) {
            continue;
        }
        let was_after_brace = std::mem::replace(&mut after_brace, false);
        let at = t.start;
        match t.kind {
            Kind::Literal => {}
            Kind::Lifetime => {
                if was_after_brace {
                    // A label after a block: a new statement.
                    e.end_statement();
                }
            }
            Kind::Ident => {
                let word = &src[t.start..t.end];
                if was_after_brace && word != b"else" && word != b"as" {
                    e.end_statement();
                }
                if !word.starts_with(b"r#") && is_keyword(word) {
                    let next = next_code_byte(&tokens[i..], src);
                    let copies = match word {
                        b"box" | b"become" => true,
                        b"dyn" => next == Some(b'*'),
                        b"unsafe" => next == Some(b'<'),
                        _ => false,
                    };
                    e.steps(if copies { COPYING_WEIGHT } else { 1 }, at);
                }
            }
            // Skipped above.
            Kind::LineComment { .. } | Kind::BlockComment => {}
            Kind::Punct => {
                let second = src.get(at + 1).copied();
                match (src[at], second) {
                    (b'(' | b'[' | b'{', _) => e.open(Open::Real, at),
                    (b')' | b']', _) => e.close_real(at),
                    (b'}', _) => {
                        e.close_real(at);
                        after_brace = true;
                    }
                    (b',', _) => e.chain = 0,
                    (b';', _) => e.end_statement(),
                    (b'#', _) if was_after_brace => e.end_statement(),
                    (b'=', Some(b'>')) => {
                        e.end_statement();
                        // The operator's second byte is the next token.
                        i += 1;
                    }
                    (b'-', Some(b'>')) | (b'<', Some(b'=')) | (b'|', Some(b'|')) => {
                        e.step(at);
                        i += 1;
                    }
                    (b'<', _) => e.open(Open::Angle, at),
                    (b'>', _) if !e.close_soft(Open::Angle, at) => e.step(at),
                    // A closing `|` of a closure's parameters, or an opening one.
                    (b'|', _) if !e.close_soft(Open::Pipe, at) => e.open(Open::Pipe, at),
                    (
                        b'.' | b'+' | b'-' | b'*' | b'&' | b'^' | b'!' | b'%' | b'?' | b'/' | b'@'
                        | b'=',
                        _,
                    ) => e.step(at),
                    _ => {}
                }
            }
        }
    }
    let n = src.len();
    let at = e.best_at.min(n);
    let before = &src[..at];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    Depth {
        depth: e.best,
        line: before.iter().filter(|&&b| b == b'\n').count() as u32 + 1,
        col: String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count() as u32
            + 1,
    }
}

#[cfg(test)]
#[path = "../tests/it/support/nesting.rs"]
mod nesting;

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(s: &str) -> u32 {
        nesting_depth(s.as_bytes(), u32::MAX).depth
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
        let n = 5000;
        for (name, src) in nesting::shapes(n) {
            let d = depth(&src);
            assert!(d >= n as u32, "{name}: estimated {d}, nests {n} deep");
        }
    }

    #[test]
    fn nesting_inside_literals_and_comments_is_not_code() {
        let deep = "(".repeat(100);
        for src in [
            format!("fn f() {{ let s = \"{deep}\"; }}"),
            format!("fn f() {{ let s = r#\"\"{deep}\"#; }}"),
            format!("fn f() {{ let s = br##\"\"#{deep}\"##; }}"),
            format!("fn f() {{ let s = cr\"{deep}\"; }}"),
            format!("fn f() {{ let s = b\"\\\"{deep}\"; }}"),
            format!("fn f() {{}} // {deep}"),
            format!("fn f() {{}} /* /* */ {deep} */"),
        ] {
            assert!(depth(&src) < 10, "{src}: {}", depth(&src));
        }
    }

    #[test]
    fn literals_do_not_hide_code() {
        // Each literal is followed by code that nests 5000 deep: a lexer that misreads the
        // literal would skip that code and under-estimate.
        let deep = format!("let x = {}1{};", "(".repeat(5000), ")".repeat(5000));
        for lit in [
            "'\"'",
            "b'\"'",
            "'\\''",
            "'\\u{22}'",
            "\"\\\"\"",
            "br#\"\"\"#",
            "cr#\"\"\"#",
            "r##\"\"#\"##",
            "'\u{e9}'",
            "'\\\\'",
            "&'a ()",
        ] {
            let src = format!("fn f<'a>() {{ let c = {lit}; {deep} }} // \" '");
            assert!(depth(&src) >= 5000, "after {lit}: {}", depth(&src));
        }
        // A raw identifier is a name, not the start of a raw string.
        let src = format!("fn f() {{ let r#type = 1; {deep} }}");
        assert!(depth(&src) >= 5000);
    }

    #[test]
    fn statements_and_items_do_not_add_up() {
        let many = |s: &str| s.repeat(2000);
        for src in [
            format!("fn f() {{ {} }}", many("if a < b { x() } ")),
            format!("fn f() {{ {} }}", many("let x = a.b().c() as u8 + 1;")),
            many("impl<T> Foo for Bar<T> where T: Fn(u8) -> u8 { fn f(&self) {} }\n"),
            format!("fn f() {{ match x {{ {} }} }}", many("A | B => { a | b } ")),
            format!("const T: &[u8] = &[{}];", many("-1, ")),
            format!("fn f() {{ {} }}", many("'a: loop { break 'a; } ")),
            format!("fn f() {{ {} }}", many("#[cfg(x)] { x } ")),
        ] {
            assert!(depth(&src) < 20, "{}: {}", &src[..60], depth(&src));
        }
    }

    #[test]
    fn the_estimate_stops_at_the_limit_and_says_where() {
        let src = format!("\n\n  é{}", "(".repeat(1_000_000));
        let d = nesting_depth(src.as_bytes(), 100);
        assert_eq!(d.depth, 101);
        assert_eq!((d.line, d.col), (3, 104));
    }

    #[test]
    fn prepared_text_keeps_positions() {
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

#[cfg(test)]
mod edition_tests {
    use super::*;
    use crate::driver::analyse_source;

    /// Valid edition-2015 code: an anonymous trait parameter and bare `Fn` objects, with
    /// findings on the lines of the rewrites (after them) and on lines after.
    const SRC_2015: &str = "\
trait Sink { fn put(&self, u8); } static mut A: u8 = 0;
type Hook = Box<Fn(u8) + Send>; static mut B: u8 = 0;
static mut C: u8 = 0;
struct S { m: std::sync::Mutex<u8>, hook: Option<Box<Fn(u8) -> u8>> }
impl S { fn f(&self, h: &Fn(u8)) { let g = self.m.lock().unwrap(); let k = self.m.lock().unwrap(); } }
";

    /// (rule, line, column, end column) of each finding, columns from 1.
    fn findings(src: &str, edition: Edition) -> Vec<(&'static str, u32, u32, u32)> {
        analyse_source(src.as_bytes(), edition)
            .iter()
            .map(|d| {
                let s = d.primary.span;
                (d.rule, s.lo.line, s.lo.col, s.hi.col)
            })
            .collect()
    }

    /// The 1-based column of `needle`'s `n`th occurrence on line `line` of `src`.
    fn col(src: &str, line: usize, needle: &str, n: usize) -> u32 {
        let text = src.lines().nth(line - 1).unwrap();
        let at = text.match_indices(needle).nth(n).unwrap().0;
        at as u32 + 1
    }

    #[test]
    fn edition_2015_code_is_read_with_its_positions() {
        let got = findings(SRC_2015, Edition::E2015);
        let find = |rule: &str, line: u32| {
            got.iter()
                .find(|f| f.0 == rule && f.1 == line)
                .copied()
                .unwrap_or_else(|| panic!("no {rule} at line {line} in {got:?}"))
        };
        assert!(got.iter().all(|f| f.0 != "parse_error"), "{got:?}");
        // On the line of an inserted `_:`, of an inserted `dyn`, and after both.
        for (line, name) in [(1, "A"), (2, "B"), (3, "C")] {
            let (_, _, lo, hi) = find("static_mut", line);
            let at = col(SRC_2015, line as usize, &format!("{name}: u8"), 0);
            assert_eq!((lo, hi), (at, at + 1), "the name `{name}`");
        }
        // After a `dyn` inserted on the same line, the second lock is where it is written.
        let (_, _, lo, hi) = find("double_lock", 5);
        assert_eq!(lo, col(SRC_2015, 5, "self.m.lock()", 1));
        assert!(hi > lo);
    }

    #[test]
    fn only_edition_2015_files_are_respelled() {
        for edition in [Edition::E2018, Edition::E2021, Edition::E2024] {
            let got = findings(SRC_2015, edition);
            assert_eq!(got.len(), 1, "{edition:?}: {got:?}");
            assert_eq!(got[0].0, "parse_error");
            let failed = analyse_source(SRC_2015.as_bytes(), edition);
            assert!(
                failed[0]
                    .message
                    .contains("it reads as edition-2015 code, but its crate is edition"),
                "{}",
                failed[0].message
            );
        }
    }

    #[test]
    fn a_file_syn_reads_is_not_respelled() {
        // `Fn(x)` here is a call of a tuple struct named `Fn`, which respelling would turn
        // into `dyn Fn(x)`, no expression: read as written, it parses.
        let src = "struct Fn(u8);\nfn f() -> u8 { let v = Fn(1); v.0 }\n";
        assert!(edition2015::parse_file(src).is_some_and(|r| r.is_err()));
        assert!(parse_file(src, Edition::E2015).is_ok());
        assert!(check_parses(src, Edition::E2015).is_ok());
    }

    #[test]
    fn the_fix_check_reads_the_edition() {
        assert!(check_parses(SRC_2015, Edition::E2015).is_ok());
        // Read as written, `u8` is a parameter's pattern and a `:` is missing after it.
        let e = check_parses(SRC_2015, Edition::E2021).unwrap_err();
        let at = col(SRC_2015, 1, "u8)", 0) + 2;
        assert!(e.ends_with(&format!("(line 1, column {at})")), "{e}");
    }

    fn failure(src: &str, edition: Edition) -> Failure {
        let opts = ExtractOptions {
            edition,
            ..ExtractOptions::default()
        };
        match parse_bytes(src.as_bytes(), &opts) {
            Outcome::Failed(f) => f,
            Outcome::Parsed(_) => panic!("`{src}` parsed"),
        }
    }

    #[test]
    fn files_that_are_no_module_say_what_they_are() {
        let f = failure(
            "#!/usr/bin/env -S cargo +nightly -Zscript\n---cargo\n[dependencies]\n---\nfn main() {}\n",
            Edition::E2021,
        );
        assert!(
            f.reason.contains("cargo-script front matter"),
            "{}",
            f.reason
        );
        assert_eq!((f.span.lo.line, f.span.lo.col), (2, 1));
        for src in [
            "\"requires the `std` feature\"\n",
            "bindgen::Builder::default()\n    .header(\"wrapper.h\")\n",
            "let x = 1;\nx + 1\n",
        ] {
            let f = failure(src, Edition::E2021);
            assert!(
                f.reason.contains("a fragment for `include!`"),
                "{src}: {}",
                f.reason
            );
        }
        // A broken file of items is no fragment: `syn`'s own message, where it stopped.
        let f = failure("fn f() {}\nfn g( {}\n", Edition::E2015);
        assert!(
            f.reason.starts_with("could not parse this file: "),
            "{}",
            f.reason
        );
        assert!(!f.reason.contains("edition"), "{}", f.reason);
        assert_eq!(f.span.lo.line, 2);
    }

    #[test]
    fn a_respelled_file_that_still_fails_says_where() {
        // The anonymous parameter is read; the error is the one after it.
        let f = failure(
            "trait T { fn f(&self, u8); }\nfn g() { let x = ; }\n",
            Edition::E2015,
        );
        assert_eq!(f.span.lo.line, 2, "{}", f.reason);
    }
}
