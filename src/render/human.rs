//! `--format human`: miette's graphical reports. Every involved span is labelled; labels in
//! other files are shown as related reports under the main one.

use super::{RenderOptions, Sources, sanitize};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::driver::Report;
use crate::span::{FileId, Loc, byte_offset};
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
    related: Vec<Part>,
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
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|p| p as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

fn span_in(text: &str, loc: Loc) -> SourceSpan {
    let start = byte_offset(text, loc.span.lo);
    let end = byte_offset(text, loc.span.hi).max(start);
    SourceSpan::new(start.into(), end - start)
}

fn part_for(
    report: &Report,
    sources: &Sources,
    d: &Diagnostic,
    file: crate::span::FileId,
    labels: Vec<(Loc, &str, bool)>,
) -> Part {
    let text = sources.text(file);
    let name = sanitize(report.display_path(file)).into_owned();
    let labels = labels
        .into_iter()
        .map(|(loc, msg, primary)| {
            let span = span_in(&text, loc);
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
        source: NamedSource::new(name, sanitize(&text).into_owned()).with_language("Rust"),
        labels,
        related: vec![],
    }
}

/// A label to place in a file's snippet: where, what it says, whether it is the primary.
type LabelIn<'a> = (Loc, &'a str, bool);

fn to_part(report: &Report, sources: &Sources, d: &Diagnostic) -> Part {
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
    let mut part = part_for(report, sources, d, primary_file, here);
    part.code = Some(d.rule.to_string());
    part.message = sanitize(&d.message).into_owned();
    part.help = d.help.as_deref().map(|h| sanitize(h).into_owned());
    for (file, labels) in elsewhere {
        let mut p = part_for(report, sources, d, file, labels);
        p.severity = miette::Severity::Advice;
        p.message = format!("also involved, in {}", sanitize(report.display_path(file)));
        part.related.push(p);
    }
    part
}

pub fn render(report: &Report, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_context_lines(1);
    let sources = Sources::new(report);
    for d in &report.diagnostics {
        let part = to_part(report, &sources, d);
        let mut s = String::new();
        handler
            .render_report(&mut s, &part)
            .map_err(|e| io::Error::other(e.to_string()))?;
        // miette has no notes: they follow the report, aligned with its `help:`.
        let s = match s.find("\n  help:") {
            Some(_) if !d.notes.is_empty() => {
                let mut s = s.trim_end().to_string();
                s.push('\n');
                s
            }
            _ => s,
        };
        out.write_all(s.as_bytes())?;
        for n in &d.notes {
            for (i, line) in wrap(&sanitize(n), opts.width.saturating_sub(8).max(30))
                .iter()
                .enumerate()
            {
                let lead = if i == 0 { "  note: " } else { "        " };
                writeln!(out, "{lead}{line}")?;
            }
        }
        if let Some(fix) = &d.fix {
            patch(report, &sources, fix, out)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(report))
}

/// The fix under the help, as a patch of the lines it changes.
fn patch(report: &Report, sources: &Sources, fix: &Fix, out: &mut dyn Write) -> io::Result<()> {
    if fix.edits.is_empty() {
        return Ok(());
    }
    let how = match fix.applicability {
        Applicability::Safe => "fix (safe, applied by `--fix`)",
        Applicability::Unsafe => "fix (unsafe, applied by `--fix --unsafe-fixes`)",
        Applicability::DisplayOnly => "suggestion (not applied automatically)",
    };
    writeln!(out, "  {how}: {}", sanitize(&fix.message))?;
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
            writeln!(
                out,
                "    --> {}:{first}",
                sanitize(report.display_path(file))
            )?;
            for l in &old {
                writeln!(out, "    - {}", sanitize(l))?;
            }
            for l in &new {
                writeln!(out, "    + {}", sanitize(l))?;
            }
        }
    }
    Ok(())
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
    let count = |s: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("1 {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut parts = vec![];
    for (s, w) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Note, "note"),
    ] {
        let n = count(s);
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
