//! `--diff`: the changes a fix plan would make, as a unified diff (`--- a/path`, `+++ b/path`).

use super::{paint, sanitize};
use crate::fix::Plan;
use std::io::{self, Write};

/// The diff, coloured as `git diff` colours it when `color` (headers bold, hunks cyan,
/// removed lines red, added lines green).
pub fn render(plan: &Plan, color: bool, out: &mut dyn Write) -> io::Result<()> {
    for c in &plan.changes {
        let path = sanitize(&c.display);
        let diff = similar::TextDiff::from_lines(&c.old, &c.new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        let text = sanitize(&text);
        if !color {
            out.write_all(text.as_bytes())?;
            continue;
        }
        for line in text.split_inclusive('\n') {
            let (body, end) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let sgr = if body.starts_with("+++") || body.starts_with("---") {
                "1"
            } else if body.starts_with("@@") {
                "36"
            } else if body.starts_with('+') {
                "32"
            } else if body.starts_with('-') {
                "31"
            } else {
                ""
            };
            if sgr.is_empty() {
                write!(out, "{body}{end}")?;
            } else {
                write!(out, "{}{end}", paint(body, sgr, true))?;
            }
        }
    }
    Ok(())
}
