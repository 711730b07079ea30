//! `double_lock`: a lock taken again by the thread that already holds it.

use super::words::{kept_by, lock_kind};
use super::{FixAvailability, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{EventKind, Held};
use crate::index::known::LockKind;
use crate::index::locks::Mode;
use crate::index::model::{HeldRef, Model};

pub const RULE: Rule = Rule {
    name: "double_lock",
    level: Severity::Error,
    summary: "a lock taken again while the same thread still holds its guard",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock acquired while the same thread still holds a guard of that same lock: a second
`lock()` while the first guard is alive, a `lock()` in a closure that runs while the guard is
held, a lock whose temporary guard is kept alive by a `match`, `if let` or `while let`
scrutinee, and a recursive `read()` of an `RwLock`.

### Why is this bad
`std::sync::Mutex`, `parking_lot::Mutex`, `spin::Mutex` and the async mutexes are not
reentrant. The second acquisition waits for the first guard to be dropped, and the first guard
belongs to the waiting thread: it waits forever (std may also panic). A recursive `read()` can
deadlock too: once a writer is queued, most `RwLock`s make new readers wait behind it.

The scrutinee case surprises people most: in `match self.state.lock().unwrap().kind { … }`
the guard is a temporary that lives until the end of the whole `match`, so locking
`self.state` in an arm deadlocks.

### Known problems
Two acquisitions are reported only when lockscan can tell they reach the same object
(`self.value` twice, or the same local). Locks reached through an unknown value are not
compared. Reentrant locks (`parking_lot::ReentrantMutex`, `std::sync::ReentrantLock`) are
never reported.

### Example
```rust
fn increment(&self) {
    let mut value = self.value.lock().unwrap();
    *value += 1;
    let log = self.value.lock().unwrap(); // waits for `value` forever
}
```

### Use instead
```rust
fn increment(&self) {
    let mut value = self.value.lock().unwrap();
    *value += 1;
    let now = *value; // use the guard you already hold
    drop(value);
    println!("{now}");
}
```
"#;

/// A lock acquired while a guard of the same lock instance is held.
pub(super) struct Reacquisition {
    pub first: HeldRef,
    pub second: HeldRef,
}

/// Every acquisition that happens while the same thread holds a guard on the same instance.
pub(super) fn reacquisitions(m: &Model) -> Vec<Reacquisition> {
    let mut out = vec![];
    for (f, body) in m.bodies() {
        if !m.holds_anything(f) {
            continue;
        }
        for (e, ev) in body.events.iter().enumerate() {
            let EventKind::Acquire(h) = ev.kind else {
                continue;
            };
            let second = HeldRef { f, h };
            let Some(l2) = m.lock(second) else { continue };
            if l2.is_try || l2.ty.kind == LockKind::Reentrant {
                continue;
            }
            for first in m.held_at(f, e as u32) {
                let Some(l1) = m.lock(first) else { continue };
                if l1.class == l2.class && l1.instance.same_as(&l2.instance) {
                    out.push(Reacquisition { first, second });
                }
            }
        }
    }
    out
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for r in reacquisitions(m) {
        let (Some(l1), Some(l2)) = (m.lock(r.first), m.lock(r.second)) else {
            continue;
        };
        let recursive_read = l1.mode.is_read() && l2.mode.is_read();
        let upgrade = l1.mode.is_read() && l2.mode == Mode::Write;
        // A read beside an upgradable read is allowed; only two upgradables conflict.
        let upgradable_beside_read =
            recursive_read && (l1.mode == Mode::Upgradable) != (l2.mode == Mode::Upgradable);
        if upgrade || l2.mode == Mode::RecursiveRead || upgradable_beside_read {
            continue;
        }
        let h1 = m.holder(r.first);
        let h2 = m.holder(r.second);
        let message = if recursive_read {
            format!(
                "`{}` is read-locked again while this thread already holds a read guard on it",
                l2.text
            )
        } else {
            format!(
                "`{}` is locked while this thread already holds its guard",
                l2.text
            )
        };
        let mut d = Diagnostic::new(RULE.name, RULE.level, m.loc(r.second.f, h2.span), message)
            .primary_label(if recursive_read {
                "a second read guard: waits behind any queued writer, which waits for the first"
            } else {
                "waits for the guard this thread already holds, forever"
            })
            .label(m.loc(r.first.f, h1.span), kept_by(h1, l1));
        if r.first.f != r.second.f && m.ix.outer_fn(r.second.f) == m.ix.outer_fn(r.first.f) {
            d = d.note("the closure runs while the first guard is held");
        }
        let help = match (h1.held, h1.binding) {
            (Held::Binding, Some((name, _))) => format!(
                "use the guard you already hold (`{name}`), or end it with `drop({name})` before locking again"
            ),
            (Held::Scrutinee(_), _) => "copy the value you need out of the guard into a local first (`let value = …;`) and branch on the local, so that no guard is alive in the branches".to_string(),
            _ => "take the lock once and use that guard for both".to_string(),
        };
        d = d.help(help);
        if !recursive_read {
            d = d.note(format!(
                "{} is not reentrant: a thread that locks it twice waits for itself",
                lock_kind(l2.ty)
            ));
        }
        out.push(d);
    }
}
