//! `--format gitlab`: a GitLab Code Quality report (a subset of the Code Climate issue format).
//!
//! ```json
//! [{"description","check_name","fingerprint","severity","location":{"path","lines":{"begin","end"}}}]
//! ```
//! `fingerprint` is the finding's fingerprint (see `crate::fingerprint`): unique per finding,
//! stable across runs and line shifts, as GitLab needs to tell new findings from old ones.

use crate::diag::Severity;
use crate::driver::Report;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

/// GitLab's scale is info, minor, major, critical, blocker.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Note => "info",
        Severity::Warning => "major",
        Severity::Error => "critical",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let issues: Vec<Issue> = report
        .diagnostics
        .iter()
        .map(|d| Issue {
            description: &d.message,
            check_name: d.rule,
            fingerprint: &d.fingerprint,
            severity: severity(d.severity),
            location: Location {
                path: report.display_path(d.primary.file),
                lines: Lines {
                    begin: d.primary.span.lo.line,
                    end: d.primary.span.hi.line.max(d.primary.span.lo.line),
                },
            },
        })
        .collect();
    // `From` keeps an I/O error as it was: a broken pipe stays one.
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::from)?;
    writeln!(out)
}
