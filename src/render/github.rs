//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//!
//! ```text
//! ::error file=src/lib.rs,line=6,col=21,endLine=6,endColumn=38,title=lockscan: double_lock::message
//! ```
//! Property values escape `%`, `\r`, `\n`, `:` and `,`; the message escapes `%`, `\r` and `\n`,
//! as GitHub's toolkit does. Columns are given only for a finding on one line (GitHub accepts
//! them for nothing else). The message carries the help, the notes and the other places
//! involved, on lines of their own.
//!
//! GitHub shows at most [`PER_STEP`] annotations of each level per step (and 50 per job) and
//! drops the rest without a word, so the log says how many it will not show; and when
//! `GITHUB_STEP_SUMMARY` names a file, every finding is also written there as a Markdown
//! table ([`write_step_summary`]), which has no such limit.

use super::{RenderOptions, sanitize};
use crate::diag::Severity;
use crate::driver::Report;
use std::io::{self, Write};
use std::path::Path;

/// Annotations of one level GitHub shows per step.
pub const PER_STEP: usize = 10;
/// Annotations GitHub shows per job.
pub const PER_JOB: usize = 50;

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    escape(s, false)
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape(s, true)
}

/// `%`, CR and LF always; `:` and `,` in a property, where they separate properties.
fn escape(s: &str, property: bool) -> String {
    const DATA: &[(char, &str)] = &[('%', "%25"), ('\r', "%0D"), ('\n', "%0A")];
    const PROPERTY: &[(char, &str)] = &[
        ('%', "%25"),
        ('\r', "%0D"),
        ('\n', "%0A"),
        (':', "%3A"),
        (',', "%2C"),
    ];
    super::replace_chars(s, if property { PROPERTY } else { DATA })
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

pub fn render(report: &Report, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let p = d.primary.span;
        let mut props = format!(
            "file={},line={}",
            escape_property(&sanitize(report.display_path(d.primary.file))),
            p.lo.line
        );
        if p.hi.line == p.lo.line {
            props.push_str(&format!(",col={},endLine={}", p.lo.col, p.hi.line));
            props.push_str(&format!(",endColumn={}", p.hi.col.max(p.lo.col)));
        } else {
            props.push_str(&format!(",endLine={}", p.hi.line.max(p.lo.line)));
        }
        props.push_str(&format!(
            ",title={}",
            escape_property(&format!("lockscan: {}", d.rule))
        ));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        for l in &d.labels {
            message.push_str(&format!(
                "\n{}:{}:{}: {}",
                report.display_path(l.loc.file),
                l.loc.span.lo.line,
                l.loc.span.lo.col,
                l.message
            ));
        }
        writeln!(
            out,
            "::{} {props}::{}",
            command(d.severity),
            escape_data(&sanitize(&message))
        )?;
    }
    // Plain lines for the log; they are not commands.
    if let Some(line) = hidden_annotations(report) {
        writeln!(out, "{line}")?;
    }
    if opts.summary {
        writeln!(out, "{}", super::human::summary(report))?;
    }
    Ok(())
}

/// How many annotations of each level there are, by GitHub's names.
fn by_level(report: &Report) -> [(&'static str, usize); 3] {
    let n = |s: Severity| super::count(report, s);
    [
        ("error", n(Severity::Error)),
        ("warning", n(Severity::Warning)),
        ("notice", n(Severity::Note)),
    ]
}

/// "GitHub will not show 14 of these annotations (…)", when some levels have more than it
/// shows in a step. (Its limit per job, over all the job's steps, lockscan cannot see; the line
/// names it.)
pub fn hidden_annotations(report: &Report) -> Option<String> {
    let mut over: Vec<String> = vec![];
    let mut hidden = 0;
    for (name, n) in by_level(report) {
        if n > PER_STEP {
            let h = n - PER_STEP;
            hidden += h;
            over.push(format!("{h} {name}{}", if h == 1 { "" } else { "s" }));
        }
    }
    if hidden == 0 {
        return None;
    }
    let mut line = format!(
        "GitHub will not show {hidden} of these annotations ({}): it shows {PER_STEP} of each level per step and {PER_JOB} per job",
        over.join(", ")
    );
    if std::env::var_os("GITHUB_STEP_SUMMARY").is_some_and(|f| !f.is_empty()) {
        line.push_str("; the step summary lists every finding");
    } else {
        line.push_str("; `--format sarif` with code scanning shows them all");
    }
    Some(line)
}

/// Escapes text for a cell of a Markdown table: `|` always (GitHub splits cells on it even in
/// code), and outside code spans the characters that would start HTML or emphasis.
fn cell(s: &str) -> String {
    let s = sanitize(s).replace(['\n', '\r'], " ");
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '&' if !in_code => out.push_str("&amp;"),
            '*' | '_' | '[' | ']' | '\\' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The link to a place on GitHub, from the variables every workflow run has; `None` outside
/// one, or for a path outside the repository.
fn link(path: &str, line: u32, end_line: u32) -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (server, repo, sha) = (
        var("GITHUB_SERVER_URL")?,
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?,
    );
    if path.starts_with('/') || path.starts_with("..") {
        return None;
    }
    let lines = if end_line > line {
        format!("L{line}-L{end_line}")
    } else {
        format!("L{line}")
    };
    Some(format!(
        "{server}/{repo}/blob/{sha}/{}#{lines}",
        super::sarif::uri(path)
    ))
}

/// The Markdown summary of a run: a count, then every finding (level, rule, place linked to
/// the code, message).
pub fn step_summary(report: &Report) -> String {
    let mut s = String::from(
        "### lockscan

",
    );
    s.push_str(&cell(&super::human::summary(report)));
    s.push_str(
        "

",
    );
    if let Some(line) = hidden_annotations(report) {
        s.push_str(&format!(
            "{}

",
            cell(&line)
        ));
    }
    if report.diagnostics.is_empty() {
        return s;
    }
    s.push_str(
        "| level | rule | place | message |
|---|---|---|---|
",
    );
    for d in &report.diagnostics {
        let path = report.display_path(d.primary.file);
        let (line, col) = (d.primary.span.lo.line, d.primary.span.lo.col);
        let shown = cell(&format!("{path}:{line}:{col}"));
        let place = match link(path, line, d.primary.span.hi.line) {
            Some(url) => format!("[{shown}]({url})"),
            None => shown,
        };
        let rule = format!("[`{}`]({}#rules)", d.rule, env!("CARGO_PKG_HOMEPAGE"));
        s.push_str(&format!(
            "| {} | {rule} | {place} | {} |
",
            d.severity.as_str(),
            cell(&d.message)
        ));
    }
    s.push('\n');
    s
}

/// Appends the [`step_summary`] to `file` (GitHub's `GITHUB_STEP_SUMMARY`: each step appends
/// to its own).
pub fn write_step_summary(report: &Report, file: &Path) -> Result<(), String> {
    let text = step_summary(report);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| {
            format!(
                "cannot write the step summary to `{}`: {}",
                file.display(),
                crate::baseline::io_reason(&e)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_github_requires() {
        assert_eq!(
            escape_data("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("src/a:b,c%d\ne"), "src/a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn markdown_cells_keep_code_and_escape_the_rest() {
        assert_eq!(
            cell("`Mutex<u8>` in a|b <script> *x*"),
            "`Mutex<u8>` in a\\|b &lt;script&gt; \\*x\\*"
        );
        assert_eq!(cell("`a|b`"), "`a\\|b`");
    }
}
