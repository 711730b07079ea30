//! `unused_suppression`: a `// lockscan: allow(rule)` comment that silenced nothing. Reported
//! by the pipeline itself, after the suppressions are applied (see `crate::suppress`).

use super::{FixAvailability, Rule};

pub const NAME: &str = "unused_suppression";

pub const RULE: Rule = Rule::pipeline(NAME, SUMMARY, DOCS, FixAvailability::Always);

const SUMMARY: &str = "a `// lockscan: allow(rule)` comment that silenced no finding";

const DOCS: &str = r#"### What it does
Reports each rule named in a `// lockscan: allow(…)` comment that silenced no finding of that
rule in the lines the comment covers: the comment's own line when code precedes it, otherwise
the next line that is not a comment, or the whole item (function, `impl`, module, …) that starts
there.

### Why is this bad
A suppression outlives the code it was written for. Once the hazard is fixed, or the code has
moved, the comment silences nothing today but will hide the next finding that lands on that
line, without anyone having looked at it.

### Known problems
A suppression is judged by the findings of the files scanned in this run: naming one file
(`lockscan src/a.rs`) still reads its whole crate, so this is exact. A suppression in a file
outside the scanned paths is not reported. To keep a suppression on purpose, add
`unused_suppression` to its list: `// lockscan: allow(guard_across_sleep, unused_suppression)`.

### Example
```rust
fn bump(&self) {
    // lockscan: allow(double_lock) -- the second lock was removed long ago
    *self.n.lock().unwrap() += 1;
}
```

### Use instead
```rust
fn bump(&self) {
    *self.n.lock().unwrap() += 1;
}
```
"#;
