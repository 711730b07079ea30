//! `--diff`: the changes a fix plan would make, as a unified diff (`--- a/path`, `+++ b/path`).

use super::sanitize;
use crate::fix::Plan;
use std::io::{self, Write};

pub fn render(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    for c in &plan.changes {
        let path = sanitize(&c.display);
        let diff = similar::TextDiff::from_lines(&c.old, &c.new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        out.write_all(sanitize(&text).as_bytes())?;
    }
    Ok(())
}
