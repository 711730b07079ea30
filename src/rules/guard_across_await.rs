//! `guard_across_await`: a blocking lock's guard held across an `.await`.

use super::shared::guard_across::{Picked, count, guards_across};
use super::shared::words::{end_it, lock_kind};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::EventKind;
use crate::index::model::Model;

pub const RULE: Rule = Rule {
    name: "guard_across_await",
    level: Severity::Error,
    group: Group::Default,
    summary: "a guard of a blocking lock (std, parking_lot, spin) held across an `.await`",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a guard of a blocking lock (`std::sync::Mutex`/`RwLock`, `parking_lot`, `spin`) that is
still alive at an `.await` in an `async fn`, async closure or async block. Guards of
async-aware locks (`tokio::sync::Mutex`, `async_lock`, `futures::lock`) are fine.

### Why is this bad
At the `.await` the task may be suspended while it keeps the lock. Another task on the same
thread that wants the lock blocks the thread, so the suspended task never resumes to release
it: a deadlock that needs no second lock. The future is also not `Send` (a std guard is not),
so it cannot be spawned on a multi-threaded runtime.

### Known problems
A guard is seen as alive until the end of its scope or a `drop`; a guard moved into a
function that drops it is not followed.

### Example
```rust
async fn save(&self) {
    let state = self.state.lock().unwrap();
    self.db.write(&state).await; // `state` is held while the task is suspended
}
```

### Use instead
```rust
async fn save(&self) {
    let snapshot = self.state.lock().unwrap().clone(); // the guard ends with this statement
    self.db.write(&snapshot).await;
}
```
or, if the lock must be held across the `.await`, use `tokio::sync::Mutex`.
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let found = guards_across(
        m,
        |f, _, ev| {
            (ev.kind == EventKind::Await && m.is_async(f)).then_some(Picked {
                what: (),
                exempt: vec![],
                steps: vec![],
            })
        },
        |r, _| m.lock(r).is_some_and(|l| !l.ty.lib.is_async()),
    );
    for g in found {
        let (lock, holder) = (g.lock, g.holder);
        let what = count(g.events.len(), "an `.await`", "`.await` points");
        let mut d = g.diagnostic(m, &RULE, &what).primary_label(format!(
            "guard of a blocking {} taken here",
            lock_kind(lock.ty)
        ));
        for a in &g.events {
            d = d.label(a.loc, "the task may be suspended here with the lock held");
        }
        d = d
            .help(format!(
                "{}; if the lock must stay held across the `.await`, use an async-aware lock such as `tokio::sync::Mutex`",
                end_it(holder, "the `.await`")
            ))
            .note("another task on this thread that wants the lock blocks the thread, so the suspended task can never release it");
        out.push(d);
    }
}
