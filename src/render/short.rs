//! `--format short`: `path:line:col: level[rule]: message`, one finding per line.

use super::sanitize;
use crate::driver::Report;
use std::io::{self, Write};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            sanitize(report.display_path(d.primary.file)),
            d.primary.span.lo.line,
            d.primary.span.lo.col,
            d.severity.as_str(),
            d.rule,
            sanitize(&d.message).replace('\n', " ")
        )?;
    }
    Ok(())
}
