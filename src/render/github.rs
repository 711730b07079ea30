//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//!
//! ```text
//! ::error file=src/lib.rs,line=6,col=21,endLine=6,endColumn=38,title=lockscan: double_lock::message
//! ```
//! Property values escape `%`, `\r`, `\n`, `:` and `,`; the message escapes `%`, `\r` and `\n`,
//! as GitHub's toolkit does. Columns are given only for a finding on one line (GitHub accepts
//! them for nothing else). The message carries the help, the notes and the other places
//! involved, on lines of their own.

use super::sanitize;
use crate::diag::Severity;
use crate::driver::Report;
use std::io::{self, Write};

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
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
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
    // A plain line for the log; it is not a command.
    writeln!(out, "{}", super::human::summary(report))
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
}
