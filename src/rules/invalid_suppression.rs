//! `invalid_suppression`: a `// lockscan:` comment that cannot suppress what it says: it names
//! a rule lockscan does not have, or it is not written `allow(rule, …) -- reason`. Reported by
//! the pipeline itself (see `crate::suppress`).

use super::{FixAvailability, Rule};

pub const NAME: &str = "invalid_suppression";

pub const RULE: Rule = Rule::pipeline(NAME, SUMMARY, DOCS, FixAvailability::None);

const SUMMARY: &str = "a `// lockscan:` comment that names an unknown rule or is malformed";

const DOCS: &str = r#"### What it does
Reports a `// lockscan:` comment that does not do what it looks like it does: a rule name
lockscan does not know (a typo, or a rule of another tool), or a comment that is not written
`// lockscan: allow(rule, …) -- reason`. The known names in the same comment still apply.

### Why is this bad
The finding the comment was meant to silence is still reported, or worse, a finding of the
rule that was meant is not silenced while the author believes it is.

### Known problems
Only plain `//` comments that start with `lockscan:` are read; doc comments (`///`, `//!`) and
block comments are not, so a directive written there is ignored rather than reported.

### Example
```rust
// lockscan: allow(double_locks) -- reentrant by design
let again = self.n.lock().unwrap();
```

### Use instead
```rust
// lockscan: allow(double_lock) -- reentrant by design
let again = self.n.lock().unwrap();
```
"#;
