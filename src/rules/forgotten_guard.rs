//! `forgotten_guard`: a guard that is never dropped, so its lock is never released.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{Callee, GuardOpKind, Operand};
use crate::index::locks::LockClass;
use crate::index::model::{HeldRef, Model};
use crate::known::{flow, locks};

pub const RULE: Rule = Rule {
    name: "forgotten_guard",
    level: Severity::Error,
    group: Group::Default,
    summary: "`mem::forget`, `ManuallyDrop` or `Box::leak` of a guard: the lock is never released",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock guard passed to `std::mem::forget`, wrapped in `ManuallyDrop` or leaked with
`Box::leak`: its destructor never runs, so the lock is never released.

### Why is this bad
The next `lock()` of that mutex, on any thread, waits forever. It is the manual
acquire-without-release that the "must remember to release" warning is about, made permanent.

### Known problems
Forgetting a guard on purpose and unlocking later by hand is a deliberate technique: a
`force_unlock` of the same lock anywhere in the crate (parking_lot's and lock_api's
`force_unlock*`, spin's `force_write_unlock` and `force_read_decrement`) silences the rule, and
so does a `ManuallyDrop::drop`/`into_inner`/`take` in the same function. So does a guard
forgotten in an implementation of one of lock_api's raw lock traits (`RawMutex`, `RawRwLock`,
…): their `lock` methods take the lock without a guard by contract, and their `unlock` methods
release it (spin builds its raw locks so). The fix
replaces `mem::forget` with `drop`, which releases the lock where the code forgot it: it changes
what the program does and needs `--unsafe-fixes`.

### Example
```rust
fn start(&self) {
    let guard = self.state.lock().unwrap();
    std::mem::forget(guard); // `state` stays locked for ever
}
```

### Use instead
```rust
fn start(&self) {
    let guard = self.state.lock().unwrap();
    drop(guard); // or let it go out of scope
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let unlocked = force_unlocked(m);
    for (f, body) in m.bodies() {
        for op in &body.guard_ops {
            if op.kind != GuardOpKind::Forget {
                continue;
            }
            // A raw lock's `lock` method, built on a guarded lock: its `unlock` releases it.
            if m.impl_trait(f)
                .is_some_and(|t| locks::is_raw_lock_trait(t.as_str()))
            {
                continue;
            }
            let r = HeldRef { f, h: op.holder };
            let Some(lock) = m.lock(r) else { continue };
            if unlocked.contains(&lock.class) {
                continue;
            }
            let via = op.callee.last().map(|s| s.as_str()).unwrap_or("");
            let manually_dropped = via == "new"
                && body.calls.iter().any(|c| match &c.callee {
                    Callee::Path(p) => {
                        let names: Vec<&str> = p.iter().map(|s| s.as_str()).collect();
                        flow::releases_manually_dropped(&names)
                    }
                    _ => false,
                });
            if manually_dropped {
                continue;
            }
            let holder = m.holder(r);
            let how = match via {
                "forget" => "forgotten",
                "leak" => "leaked",
                _ => "wrapped in `ManuallyDrop`",
            };
            let mut d = Diagnostic::new(
                RULE.name,
                RULE.level,
                m.loc(f, op.span),
                format!(
                    "guard of `{}` is {how}: the lock is never released",
                    lock.text
                ),
            )
            .primary_label("the guard's destructor never runs, so `unlock` never happens")
            .label(m.loc(f, holder.span), "guard taken here")
            .help("drop the guard instead (`drop(guard)`), or let it go out of scope; to keep the lock past this function, return the guard")
            .note(format!(
                "every later `lock()` of `{}`, on any thread, waits forever",
                lock.text
            ));
            if via == "forget" {
                d = d.fix(Fix {
                    applicability: Applicability::Unsafe,
                    message: "drop the guard instead of forgetting it".into(),
                    edits: vec![Edit {
                        loc: m.loc(f, op.callee_span),
                        replacement: "drop".into(),
                    }],
                });
            }
            out.push(d);
        }
    }
}

/// Lock classes some code unlocks by hand (`force_unlock`, `force_unlock_read`, …).
fn force_unlocked(m: &Model) -> Vec<LockClass> {
    let mut out = vec![];
    for (f, body) in m.bodies() {
        for c in &body.calls {
            let Callee::Method(name) = &c.callee else {
                continue;
            };
            if !locks::is_force_unlock(name.as_str()) {
                continue;
            }
            if let Some(Operand::Place(p)) = &c.receiver
                && let Some(class) = m.place_info(f, &body.places[*p as usize]).class
                && !out.contains(&class)
            {
                out.push(class);
            }
        }
    }
    out
}
