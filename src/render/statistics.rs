//! `--statistics`: how many findings each rule has, instead of the findings, as ruff prints
//! them: the most frequent first, with `[*]` where `--fix` can fix some.
//!
//! ```text
//!    12  guard_across_sleep    warning  [*]
//!     3  double_lock           error
//! ```
//! With `--format json`: `{"version":1,"statistics":[{"rule","severity","count","fixable"}],
//! "summary":{…}}`, where `fixable` counts the findings with a safe fix.

use crate::diag::{Applicability, Severity};
use crate::driver::Report;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Row {
    rule: &'static str,
    severity: &'static str,
    count: usize,
    fixable: usize,
}

fn rows(report: &Report) -> Vec<Row> {
    let mut rows: Vec<(Row, Severity)> = vec![];
    for d in &report.diagnostics {
        let fixable = d
            .fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty());
        // A rule has one level in a run; findings of one rule at two levels are two rows.
        match rows
            .iter_mut()
            .find(|(r, s)| r.rule == d.rule && *s == d.severity)
        {
            Some((r, _)) => {
                r.count += 1;
                r.fixable += usize::from(fixable);
            }
            None => rows.push((
                Row {
                    rule: d.rule,
                    severity: d.severity.as_str(),
                    count: 1,
                    fixable: usize::from(fixable),
                },
                d.severity,
            )),
        }
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(r, _)| r).collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    rows
}

/// The counts as JSON: the version, the rows, the summary of the JSON contract.
pub fn json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Out {
        version: u32,
        statistics: Vec<Row>,
        summary: super::json::Summary,
    }
    let doc = Out {
        version: 1,
        statistics: rows(report),
        summary: super::json::summary(report),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
    out.write_all(text.as_bytes())?;
    writeln!(out)
}

/// The counts as a table, then (with `footer`) what `[*]` means and the summary line.
pub fn table(report: &Report, footer: bool, out: &mut dyn Write) -> io::Result<()> {
    let rows = rows(report);
    let count_w = rows
        .iter()
        .map(|r| r.count.to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    let rule_w = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    for r in &rows {
        let fix = if r.fixable > 0 { "[*]" } else { "" };
        let line = format!(
            "{:>count_w$}  {:rule_w$}  {:7}  {fix}",
            r.count, r.rule, r.severity
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if footer {
        if rows.iter().any(|r| r.fixable > 0) {
            writeln!(out, "[*] fixable with `--fix`")?;
        }
        writeln!(out, "{}", super::human::summary(report))?;
    }
    Ok(())
}
