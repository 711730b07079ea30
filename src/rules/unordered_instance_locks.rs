//! `unordered_instance_locks`: one lock field taken on two instances while nested, in no
//! agreed order (the bank-transfer deadlock).

use super::shared::words::trace_labels;
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::index::locks::{Instance, InstanceBase, LockClass};
use crate::index::model::Model;
use rustc_hash::FxHashSet;

pub const RULE: Rule = Rule {
    name: "unordered_instance_locks",
    level: Severity::Error,
    group: Group::Default,
    summary: "the same lock field taken on two instances while nested, with no ordering between them (`self.balance` then `other.balance`)",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds code that holds the lock of one instance of a type and takes the same lock of another
instance (`self.balance` then `other.balance`, `accounts[i]` then `accounts[j]`), directly or in
a function it calls, without ordering the two instances by a stable key first.

### Why is this bad
`a.transfer(&b)` locks `a` then `b`; `b.transfer(&a)` on another thread locks `b` then `a`.
Each holds one account and waits for the other: the classic bank-transfer deadlock. The code
is the same in both threads, so no lock-order review of the source shows two orders.

### Known problems
Any comparison, `min`/`max` or sort that involves either instance (`self.id < other.id`,
`ptr::addr_of!(*self) < ptr::addr_of!(*other)`, `[a, b].sort_by_key(..)`) is taken as ordering
them, without checking that the order is the one the locks are then taken in. Instances are
compared by how they are reached; two names for one object count as two instances.

### Example
```rust
fn transfer(&self, other: &Account, amount: u64) {
    let mut from = self.balance.lock().unwrap();
    let mut to = other.balance.lock().unwrap(); // `b.transfer(&a)` takes these the other way
    *from -= amount;
    *to += amount;
}
```

### Use instead
```rust
fn transfer(&self, other: &Account, amount: u64) {
    // lock the account with the smaller id first, whichever direction the money goes
    let (first, second) = if self.id < other.id { (self, other) } else { (other, self) };
    let mut a = first.balance.lock().unwrap();
    let mut b = second.balance.lock().unwrap();
    // …
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let mut seen: FxHashSet<(crate::span::Loc, crate::span::Loc)> = FxHashSet::default();
    for (f, _, held, acqs) in m.acquisitions_under_guards() {
        for a in &acqs {
            if a.lock.is_try || !matches!(a.lock.class, LockClass::Field { .. }) {
                continue;
            }
            for r in &held {
                let Some(h) = m.lock(*r) else { continue };
                if h.class != a.lock.class
                    || h.instance.same_as(&a.lock.instance)
                    || h.instance == a.lock.instance
                    || !shared(m, &h.instance)
                    || !shared(m, &a.lock.instance)
                    || m.orders_either(f, &h.instance, &a.lock.instance)
                {
                    continue;
                }
                let held_loc = m.loc(r.f, m.holder(*r).span);
                let steps = m.trace_text(&a.trace);
                let (primary, what) = steps[0].clone();
                if !seen.insert((held_loc, primary)) {
                    continue;
                }
                let class = m.class_name(&a.lock.class, &a.lock.text);
                let direct = steps.len() == 1;
                let mut d = Diagnostic::new(
                    RULE.name,
                    RULE.level,
                    primary,
                    format!(
                        "two `{class}` locks are nested with no order between them: `{}`, then `{}`",
                        h.text, a.lock.text
                    ),
                )
                .primary_label(if direct {
                    format!("then `{}`, while `{}` is held", a.lock.text, h.text)
                } else {
                    format!("{what}, which locks `{}` while `{}` is held", a.lock.text, h.text)
                })
                .label(held_loc, format!("`{}` locked first", h.text));
                d = trace_labels(d, &steps[1..]);
                d = d
                    .help(format!(
                        "lock the two in an order every thread agrees on, such as a stable id: `let (first, second) = if a.id < b.id {{ (a, b) }} else {{ (b, a) }};`, then lock `first` before `second` (and lock once when both are the same {})",
                        m.class_name(&a.lock.class, "").split("::").next().unwrap_or("object")
                    ))
                    .note(format!(
                        "another thread running this code with the two swapped takes them the other way round: each holds one `{class}` and waits for the other"
                    ));
                out.push(d);
            }
        }
    }
}

/// Reachable by other threads: `self`, a parameter, or a binding that aliases one (not a lock
/// this function just created).
fn shared(m: &Model, i: &Instance) -> bool {
    match &i.base {
        InstanceBase::SelfValue | InstanceBase::Param(_) | InstanceBase::Guard(..) => true,
        // A binding of a call's result or a loop element may be shared; a fresh value the
        // function built (a constructor, a struct literal) is not, yet.
        InstanceBase::Local(f, l) => m.local(*f, *l).is_some_and(|local| local.ty.is_none()),
        _ => false,
    }
}
