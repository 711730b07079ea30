//! Renderers: the only code that knows output formats. Each format is one file behind
//! [`render`].

pub mod diff;
pub mod github;
pub mod gitlab;
pub mod graph;
mod human;
mod json;
pub mod sarif;
mod short;
pub mod statistics;

use crate::driver::Report;
use crate::span::FileId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical reports with every involved place labelled (the default).
    Human,
    /// One line per finding: `path:line:col: level[rule]: message`.
    Short,
    /// The JSON contract (version 1).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
}

#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
    /// The width the human format wraps to (the caller decides: the terminal's, `COLUMNS`, or
    /// a fixed one in tests).
    pub width: usize,
    /// The summary line ("3 errors in 12 files") of the human and GitHub formats; off with
    /// `--quiet`.
    pub summary: bool,
    /// Counts per rule instead of the findings (`--statistics`; human, short and JSON only).
    pub statistics: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 80,
            summary: true,
            statistics: false,
        }
    }
}

/// "1 file", "3 files".
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How many of the report's findings are at level `s`.
pub(crate) fn count(report: &Report, s: crate::diag::Severity) -> usize {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == s)
        .count()
}

/// `s` with each character that `table` lists replaced by its text there.
pub(crate) fn replace_chars(s: &str, table: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match table.iter().find(|(k, _)| *k == c) {
            Some((_, text)) => out.push_str(text),
            None => out.push(c),
        }
    }
    out
}

/// `text` in an SGR colour (`"1;31"`: bold red) when `on`.
pub(crate) fn paint(text: &str, sgr: &str, on: bool) -> String {
    if on {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// File text, read when a renderer first needs it (files with findings only).
pub struct Sources<'r> {
    report: &'r Report,
    cache: RefCell<HashMap<FileId, std::rc::Rc<String>>>,
}

impl<'r> Sources<'r> {
    pub fn new(report: &'r Report) -> Self {
        Sources {
            report,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The file's text as [`display_source`] shows it (empty when it cannot be read).
    pub fn text(&self, file: FileId) -> std::rc::Rc<String> {
        if let Some(t) = self.cache.borrow().get(&file) {
            return t.clone();
        }
        let path = &self.report.project.files[file.0 as usize].path;
        let text = std::fs::read(path)
            .map(|b| display_source(&String::from_utf8_lossy(&b)))
            .unwrap_or_default();
        let text = std::rc::Rc::new(text);
        self.cache.borrow_mut().insert(file, text.clone());
        text
    }
}

pub fn render(
    report: &Report,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if opts.statistics {
        return match format {
            Format::Json => statistics::json(report, out),
            _ => statistics::table(report, opts.summary && format == Format::Human, out),
        };
    }
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Short => short::render(report, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, opts, out),
        Format::Gitlab => gitlab::render(report, out),
    }
}

/// A character that must not reach a terminal as it is: a control character (terminal escape
/// sequences start with one; C1 controls such as U+009B are escapes on their own) or a
/// bidirectional formatting character (which reorders what the reader sees).
pub(crate) fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Text from the scanned code (names, paths, messages that quote them) is never printed raw:
/// unsafe characters other than newline and tab are shown as Rust escapes (`\u{1b}`).
pub fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| is_unsafe_char(c) && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Source text as a snippet shows it, with every line and (character) column where it was: the
/// byte-order mark is dropped (positions count after it), a `\r` that ends a line is dropped,
/// and any other unsafe character becomes one visible stand-in (`␛` for ESC, `�` beyond
/// ASCII).
pub fn display_source(text: &str) -> String {
    let text = crate::parse::strip_bom(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_unsafe_char(c) => out.push(match c as u32 {
                0..0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                0x7f => '\u{2421}',
                _ => '\u{fffd}',
            }),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_text_is_escaped() {
        assert_eq!(sanitize("plain `x`\n\tok"), "plain `x`\n\tok");
        assert_eq!(sanitize("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(sanitize("csi\u{9b}2J del\x7f"), "csi\\u{9b}2J del\\u{7f}");
        assert_eq!(sanitize("bidi\u{202e}x"), "bidi\\u{202e}x");
        assert_eq!(sanitize("cr\r"), "cr\\u{d}");
    }

    #[test]
    fn displayed_source_keeps_lines_and_columns() {
        let shown = display_source("\u{feff}a\x1b[0m\r\n\tb\u{9b}\u{202e}c\rd\n");
        assert_eq!(shown, "a\u{241b}[0m\n\tb\u{fffd}\u{fffd}c\u{240d}d\n");
        let cols = |s: &str| s.lines().map(|l| l.chars().count()).collect::<Vec<_>>();
        assert_eq!(cols(&shown), [5, 7]);
    }
}
