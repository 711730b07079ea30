//! `--format json`: the public contract (version 1).
//!
//! ```text
//! {"version":1,"diagnostics":[{"rule","severity","message","file","line","column","end_line",
//!   "end_column","labels":[{"file","line","column","end_line","end_column","message"}],"help",
//!   "notes","fix","fingerprint"}],"summary":{"files","parse_errors","diagnostics","elapsed_ms"}}
//! ```
//! Lines and columns are 1-based; `labels` holds every involved span, the primary first.
//! `notes` (a list of strings, maybe empty) and `fingerprint` (as in SARIF and baselines) were
//! added within version 1: a version only ever gains fields.

use crate::diag::{Diagnostic, Fix};
use crate::driver::Report;
use crate::span::Loc;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
pub(super) struct Summary {
    files: usize,
    parse_errors: usize,
    diagnostics: usize,
    elapsed_ms: u64,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
    fix: Option<JsonFix<'a>>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    replacement: &'a str,
}

fn label<'a>(report: &'a Report, loc: Loc, message: &'a str) -> JsonLabel<'a> {
    JsonLabel {
        file: report.display_path(loc.file),
        line: loc.span.lo.line,
        column: loc.span.lo.col,
        end_line: loc.span.hi.line,
        end_column: loc.span.hi.col,
        message,
    }
}

fn fix<'a>(report: &'a Report, f: &'a Fix) -> JsonFix<'a> {
    JsonFix {
        applicability: f.applicability.as_str(),
        edits: f
            .edits
            .iter()
            .map(|e| JsonEdit {
                file: report.display_path(e.loc.file),
                line: e.loc.span.lo.line,
                column: e.loc.span.lo.col,
                end_line: e.loc.span.hi.line,
                end_column: e.loc.span.hi.col,
                replacement: &e.replacement,
            })
            .collect(),
    }
}

fn diagnostic<'a>(report: &'a Report, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let mut labels = vec![label(report, d.primary, &d.primary_label)];
    labels.extend(d.labels.iter().map(|l| label(report, l.loc, &l.message)));
    JsonDiagnostic {
        rule: d.rule,
        severity: d.severity.as_str(),
        message: &d.message,
        file: report.display_path(d.primary.file),
        line: d.primary.span.lo.line,
        column: d.primary.span.lo.col,
        end_line: d.primary.span.hi.line,
        end_column: d.primary.span.hi.col,
        labels,
        help: d.help.as_deref(),
        notes: &d.notes,
        fix: d.fix.as_ref().map(|f| fix(report, f)),
        fingerprint: &d.fingerprint,
    }
}

pub(super) fn summary(report: &Report) -> Summary {
    Summary {
        files: report.files_scanned,
        parse_errors: report.parse_errors,
        diagnostics: report.diagnostics.len(),
        elapsed_ms: report.elapsed.as_millis() as u64,
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Out {
        version: 1,
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| diagnostic(report, d))
            .collect(),
        summary: summary(report),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
    out.write_all(escape_terminal_controls(&text).as_bytes())?;
    writeln!(out)
}

/// serde escapes the C0 controls; DEL, the C1 controls and bidirectional formatting
/// characters it leaves raw, and a terminal would act on them. Outside strings a JSON document
/// is ASCII, so each such character is inside a string, where `\uXXXX` means the same.
fn escape_terminal_controls(json: &str) -> std::borrow::Cow<'_, str> {
    match super::sanitize(json) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s),
        std::borrow::Cow::Owned(_) => std::borrow::Cow::Owned(
            json.chars()
                .map(|c| {
                    if super::is_unsafe_char(c) && c != '\n' {
                        format!("\\u{:04x}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn terminal_controls_are_escaped_and_the_json_unchanged() {
        let raw =
            serde_json::to_string(&["a\x1b[31m", "csi\u{9b}", "del\x7f", "\u{202e}rtl"]).unwrap();
        let escaped = super::escape_terminal_controls(&raw);
        assert!(escaped.is_ascii(), "{escaped}");
        let back: Vec<String> = serde_json::from_str(&escaped).unwrap();
        let orig: Vec<String> = serde_json::from_str(&raw).unwrap();
        assert_eq!(back, orig);
    }
}
