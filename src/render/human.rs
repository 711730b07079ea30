//! `--format human`: miette's graphical reports, wrapped to the width the caller gives. Every
//! involved span is labelled; labels in other files follow the main report as `note:` parts,
//! each with its own snippet (as rustc shows the other places of an error), then the notes and
//! the fix as a patch, in colour when colour is on.

use super::{RenderOptions, Sources, paint, sanitize};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::driver::Report;
use crate::span::{FileId, Loc, Pos, byte_offset};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;
use std::io::{self, Write};

/// One file's part of a finding, in miette's terms.
struct Part {
    code: Option<String>,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Part {}

impl miette::Diagnostic for Part {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// Lines longer than this many characters are shown cut: around their labels' ends, with
/// [`MARGIN`] characters on each side, and `…` where text was left out. A minified line would
/// otherwise be printed whole, and miette cannot place a label beyond column 65535.
const LONG_LINE: usize = 400;
const MARGIN: usize = 40;

/// A file's text as one finding's snippet shows it, and the labels' spans in it.
struct Snippet {
    text: String,
    spans: Vec<SourceSpan>,
}

fn has_long_line(text: &str) -> bool {
    text.lines()
        .any(|l| l.len() > LONG_LINE && l.chars().count() > LONG_LINE)
}

fn snippet(text: &str, locs: &[Loc]) -> Snippet {
    let span_in = |text: &str, lo: Pos, hi: Pos| {
        let start = byte_offset(text, lo);
        let end = byte_offset(text, hi).max(start);
        SourceSpan::new(start.into(), end - start)
    };
    if !has_long_line(text) {
        return Snippet {
            text: text.to_string(),
            spans: locs
                .iter()
                .map(|l| span_in(text, l.span.lo, l.span.hi))
                .collect(),
        };
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut ends: Vec<Pos> = locs.iter().flat_map(|l| [l.span.lo, l.span.hi]).collect();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= LONG_LINE {
            out.push_str(line);
            continue;
        }
        let number = i as u32 + 1;
        // Windows [a, b) of character indices around each label end on this line, merged.
        let mut windows: Vec<(usize, usize)> = ends
            .iter()
            .filter(|p| p.line == number)
            .map(|p| {
                let at = (p.col.max(1) as usize - 1).min(chars.len());
                (at.saturating_sub(MARGIN), (at + MARGIN).min(chars.len()))
            })
            .collect();
        if windows.is_empty() {
            windows.push((0, 2 * MARGIN));
        }
        windows.sort();
        let mut merged: Vec<(usize, usize)> = vec![];
        for w in windows {
            match merged.last_mut() {
                Some(last) if w.0 <= last.1 + 1 => last.1 = last.1.max(w.1),
                _ => merged.push(w),
            }
        }
        // Where each window starts in the shown line.
        let mut starts = vec![];
        let mut shown = 0;
        for &(a, b) in &merged {
            if a > 0 {
                out.push('…');
                shown += 1;
            }
            starts.push(shown);
            out.extend(&chars[a..b]);
            shown += b - a;
        }
        if merged.last().is_some_and(|&(_, b)| b < chars.len()) {
            out.push('…');
        }
        for p in ends.iter_mut().filter(|p| p.line == number) {
            let at = (p.col.max(1) as usize - 1).min(chars.len());
            if let Some(k) = merged.iter().position(|&(a, b)| a <= at && at <= b) {
                p.col = (starts[k] + at - merged[k].0 + 1) as u32;
            }
        }
    }
    let spans = ends.chunks(2).map(|e| span_in(&out, e[0], e[1])).collect();
    Snippet { text: out, spans }
}

/// One file's part of a finding. With `located`, the source's name carries the place (miette
/// would take the column from a cut line, so it is told not to print its own).
fn part_for(
    report: &Report,
    sources: &Sources,
    d: &Diagnostic,
    file: crate::span::FileId,
    labels: Vec<(Loc, &str, bool)>,
    located: bool,
) -> Part {
    let text = sources.text(file);
    let snip = snippet(&text, &labels.iter().map(|l| l.0).collect::<Vec<_>>());
    let mut name = sanitize(report.display_path(file)).into_owned();
    if located {
        // miette's header names the primary label, or the first.
        let first = labels.iter().find(|l| l.2).or(labels.first());
        if let Some((loc, _, _)) = first {
            name = format!("{name}:{}:{}", loc.span.lo.line, loc.span.lo.col);
        }
    }
    let labels = labels
        .into_iter()
        .zip(snip.spans)
        .map(|((_, msg, primary), span)| {
            let msg = (!msg.is_empty()).then(|| sanitize(msg).into_owned());
            if primary {
                LabeledSpan::new_primary_with_span(msg, span)
            } else {
                LabeledSpan::new_with_span(msg, span)
            }
        })
        .collect();
    Part {
        code: None,
        severity: severity(d.severity),
        message: String::new(),
        help: None,
        source: NamedSource::new(name, snip.text).with_language("Rust"),
        labels,
    }
}

/// A label to place in a file's snippet: where, what it says, whether it is the primary.
type LabelIn<'a> = (Loc, &'a str, bool);

/// The finding as miette's reports: the main one (in the primary's file), one per other file
/// involved, and whether their headers name their places themselves.
fn to_parts(report: &Report, sources: &Sources, d: &Diagnostic) -> (Part, Vec<Part>, bool) {
    let primary_file = d.primary.file;
    let mut here: Vec<LabelIn> = vec![(d.primary, d.primary_label.as_str(), true)];
    // Other files' labels, grouped by file in order of appearance.
    let mut elsewhere: Vec<(crate::span::FileId, Vec<LabelIn>)> = vec![];
    for l in &d.labels {
        if l.loc.file == primary_file {
            here.push((l.loc, &l.message, false));
        } else {
            match elsewhere.iter_mut().find(|(f, _)| *f == l.loc.file) {
                Some((_, v)) => v.push((l.loc, &l.message, false)),
                None => elsewhere.push((l.loc.file, vec![(l.loc, &l.message, false)])),
            }
        }
    }
    // A long line is cut in every snippet of its file; then every header names its place.
    let located = std::iter::once(primary_file)
        .chain(elsewhere.iter().map(|e| e.0))
        .any(|f| has_long_line(&sources.text(f)));
    let mut part = part_for(report, sources, d, primary_file, here, located);
    part.code = Some(d.rule.to_string());
    part.message = sanitize(&d.message).into_owned();
    part.help = d.help.as_deref().map(|h| sanitize(h).into_owned());
    let mut others = vec![];
    for (file, labels) in elsewhere {
        let mut p = part_for(report, sources, d, file, labels, located);
        p.severity = miette::Severity::Advice;
        p.message = format!("also involved, in {}", sanitize(report.display_path(file)));
        others.push(p);
    }
    (part, others, located)
}

/// The colour of `note:` and of a fix's heading, as miette colours `help:` (cyan).
const NOTE: &str = "36";

pub fn render(report: &Report, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // The parts in other files read as notes of the main report: miette's advice icon
    // becomes `note:`.
    let mut note_theme = theme.clone();
    note_theme.characters.advice = "note:".into();
    let handler = |theme: &GraphicalTheme| {
        GraphicalReportHandler::new_themed(theme.clone())
            .with_width(opts.width)
            .with_links(false)
            .with_context_lines(1)
    };
    let (main, main_cut) = (
        handler(&theme),
        handler(&theme).without_primary_span_start(),
    );
    let (note, note_cut) = (
        handler(&note_theme),
        handler(&note_theme).without_primary_span_start(),
    );
    let sources = Sources::new(report);
    for d in &report.diagnostics {
        let (part, others, located) = to_parts(report, &sources, d);
        let mut s = String::new();
        let (main, note) = if located {
            (&main_cut, &note_cut)
        } else {
            (&main, &note)
        };
        main.render_report(&mut s, &part)
            .map_err(|e| io::Error::other(e.to_string()))?;
        for p in &others {
            let mut n = String::new();
            note.render_report(&mut n, p)
                .map_err(|e| io::Error::other(e.to_string()))?;
            s = s.trim_end().to_string() + "\n" + n.trim_start_matches('\n');
        }
        // miette has no notes: they follow the report, aligned with its `help:`.
        if !d.notes.is_empty() {
            s = s.trim_end().to_string() + "\n";
        }
        out.write_all(s.as_bytes())?;
        for n in &d.notes {
            for (i, line) in wrap(&sanitize(n), opts.width.saturating_sub(8).max(30))
                .iter()
                .enumerate()
            {
                if i == 0 {
                    writeln!(out, "  {} {line}", paint("note:", NOTE, opts.color))?;
                } else {
                    writeln!(out, "        {line}")?;
                }
            }
        }
        if let Some(fix) = &d.fix {
            patch(report, &sources, fix, opts.color, out)?;
        }
        writeln!(out)?;
    }
    if opts.summary {
        writeln!(out, "{}", summary(report))?;
    }
    Ok(())
}

/// The fix under the help, as a patch of the lines it changes.
fn patch(
    report: &Report,
    sources: &Sources,
    fix: &Fix,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if fix.edits.is_empty() {
        return Ok(());
    }
    let how = match fix.applicability {
        Applicability::Safe => "fix (safe, applied by `--fix`)",
        Applicability::Unsafe => "fix (unsafe, applied by `--fix --unsafe-fixes`)",
        Applicability::DisplayOnly => "suggestion (not applied automatically)",
    };
    writeln!(
        out,
        "  {} {}",
        paint(&format!("{how}:"), NOTE, color),
        sanitize(&fix.message)
    )?;
    let mut files: Vec<FileId> = fix.edits.iter().map(|e| e.loc.file).collect();
    files.dedup();
    files.sort_by_key(|f| report.display_path(*f).to_string());
    files.dedup();
    for file in files {
        let text = sources.text(file);
        let edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.loc.file == file).collect();
        // One hunk per run of edits no more than a line apart.
        let mut groups: Vec<Vec<&Edit>> = vec![];
        let mut sorted = edits.clone();
        sorted.sort_by_key(|e| e.loc.span);
        for e in sorted {
            match groups.last_mut() {
                Some(g)
                    if g.iter().map(|x| x.loc.span.hi.line).max().unwrap_or(0) + 1
                        >= e.loc.span.lo.line =>
                {
                    g.push(e)
                }
                _ => groups.push(vec![e]),
            }
        }
        for g in groups {
            let Some((first, old, new)) = crate::fix::preview(&text, &g) else {
                continue;
            };
            let place = format!("--> {}:{first}", sanitize(report.display_path(file)));
            writeln!(out, "    {}", paint(&place, "2", color))?;
            for l in &old {
                let line = format!("- {}", sanitize(&patch_line(l, &new)));
                writeln!(out, "    {}", paint(&line, "31", color))?;
            }
            for l in &new {
                let line = format!("+ {}", sanitize(&patch_line(l, &old)));
                writeln!(out, "    {}", paint(&line, "32", color))?;
            }
        }
    }
    Ok(())
}

/// A line of a patch as shown. One longer than [`LONG_LINE`] characters is cut to the
/// [`MARGIN`] around where it first differs from the most alike line on the other side of the
/// patch, with `…` for what is left out.
fn patch_line<'a>(line: &'a str, other_side: &[String]) -> std::borrow::Cow<'a, str> {
    let chars: Vec<char> = line.chars().collect();
    if line.len() <= LONG_LINE || chars.len() <= LONG_LINE {
        return std::borrow::Cow::Borrowed(line);
    }
    let at = other_side
        .iter()
        .map(|o| o.chars().zip(&chars).take_while(|(a, b)| a == *b).count())
        .max()
        .unwrap_or(0)
        .min(chars.len());
    let (a, b) = (at.saturating_sub(MARGIN), (at + MARGIN).min(chars.len()));
    let mut out = String::with_capacity(4 * MARGIN);
    if a > 0 {
        out.push('…');
    }
    out.extend(&chars[a..b]);
    if b < chars.len() {
        out.push('…');
    }
    std::borrow::Cow::Owned(out)
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut cur = String::new();
    for word in text.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// "3 errors and 1 warning in 12 files", or "no findings in 12 files".
pub fn summary(report: &Report) -> String {
    use super::{count, plural};
    let mut parts = vec![];
    for (s, w) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Note, "note"),
    ] {
        let n = count(report, s);
        if n > 0 {
            parts.push(plural(n, w));
        }
    }
    let files = plural(report.files_scanned, "file");
    let found = if parts.is_empty() {
        format!("no findings in {files}")
    } else {
        let last = parts.pop().unwrap_or_default();
        let head = parts.join(", ");
        if head.is_empty() {
            format!("{last} in {files}")
        } else {
            format!("{head} and {last} in {files}")
        }
    };
    let mut out = match report.parse_errors {
        0 => found,
        n => format!("{found} ({} could not be parsed)", plural(n, "file")),
    };
    if report.baselined > 0 {
        let n = report.baselined;
        let (them, are) = if n == 1 {
            ("finding", "is")
        } else {
            ("findings", "are")
        };
        out.push_str(&format!(
            "; {n} known {them} in the baseline {are} not shown"
        ));
    }
    out
}
