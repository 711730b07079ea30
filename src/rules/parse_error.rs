//! `parse_error`: a file lockscan could not read or parse. Reported by the pipeline itself.

use super::{FixAvailability, Rule};

pub const NAME: &str = "parse_error";

pub const RULE: Rule = Rule::pipeline(NAME, SUMMARY, DOCS, FixAvailability::None);

const SUMMARY: &str = "a file that could not be read or parsed, so it was not checked";

const DOCS: &str = r#"### What it does
Reports each `.rs` file that lockscan could not check: it could not be read, is not UTF-8, does
not parse as Rust (as `syn` reads it), or nests too deeply to analyse safely. The run goes on
with the other files.

### Why is this bad
Nothing in the file was checked, and a lock-order cycle that passes through it cannot be seen.

### Known problems
Files that are not meant to be compiled on their own are reported too: fragments pulled in with
`include!`, cargo-script files with front matter, and deliberately invalid test inputs; the
message says which, where it can tell. Edition-2015 code is read (its anonymous trait-method
parameters and bare `Fn` trait objects included) when its crate is edition 2015, or names no
edition; in a crate of a later edition the same code is reported, as rustc would reject it.
Exclude such files in `lockscan.toml`, or set `parse_error = "allow"`.

### Example
```rust
fn broken( {
```

### Use instead
Fix the syntax, or exclude the file if it is not meant to be parsed on its own.
"#;
