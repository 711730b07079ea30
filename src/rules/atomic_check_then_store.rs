//! `atomic_check_then_store` (opt-in): a constant stored in a branch that tested a `load` of
//! the same atomic. It shares `atomic_load_store_race`'s analysis; only the form differs.

use super::atomic_load_store_race::{Form, find};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::index::model::Model;

pub const RULE: Rule = Rule {
    name: "atomic_check_then_store",
    level: Severity::Warning,
    group: Group::Pedantic,
    summary: "a constant stored on an atomic only after a separate `load` of it was tested",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a `store` of a constant that runs only when a `load` of the same atomic saw a certain
value (`if X.load(o) == 0 { prepare(); X.store(1, o) }`, also through locals computed from the
load, or a load in a small helper that returns it).

This rule is opt-in (the `pedantic` group): turn it on with `--select atomic_check_then_store`,
`--warn atomic_check_then_store` or `atomic_check_then_store = "warn"` under `[rules]`.

### Why is this bad
Two threads can both see `0` and both run the code meant to run once: `prepare()` runs twice.
The test and the set are one step only with `swap` or `compare_exchange`.

### Known problems
Most code of this shape is fine: an initialise-once cache where running the initialiser twice
is harmless, a feature probe whose racing threads store the same answer, a state that only one
thread (the owner) ever moves. lockscan cannot tell which, so the rule is off by default: on
popular crates it found code that was fine far more often than a bug. What
`atomic_load_store_race` skips, this rule skips too (atomics no second thread can reach, pairs
under one lock, lock-free code that uses `compare_exchange`, two arms of one `if`). A computed
value stored after a test (a cache at worst filled twice) is not reported, nor is a one-way
flag: `if !F.load(o) { F.store(true, o) }` with nothing else in that arm, no arm that returns
or breaks, and the loaded value used by the test alone, where racing threads store the same
value. A flag cleared the same way (`if F.load(o) { F.store(false, o) }`) is reported (lockbud
counts it as a bug), and so is a constant stored after a test whose branch only logs. A store
after a test that returns early (`if F.load(o) { return; } F.store(true, o)`) is not seen as
depending on the test, and is missed.

### Example
```rust
static STARTED: AtomicBool = AtomicBool::new(false);

fn start() {
    if !STARTED.load(Ordering::Acquire) {
        spawn_workers();
        STARTED.store(true, Ordering::Release);
    }
}
```

### Use instead
```rust
static STARTED: AtomicBool = AtomicBool::new(false);

fn start() {
    if !STARTED.swap(true, Ordering::AcqRel) {
        spawn_workers();
    }
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    find(m, Form::Branch, out);
}
