//! `guard_across_sleep`: a guard held while the thread or task sleeps.

use super::shared::guard_across::{Picked, count, guards_across_calls, via_callee};
use super::shared::words::end_it;
use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{EventKind, Held};
use crate::index::model::{CallKind, HeldRef, Model};
use crate::span::{Loc, Span};

pub const RULE: Rule = Rule {
    name: "guard_across_sleep",
    level: Severity::Warning,
    group: Group::Default,
    summary: "a guard held across `thread::sleep`, `tokio::time::sleep(..).await` and friends",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock guard that is alive while the thread sleeps (`std::thread::sleep`) or the task
sleeps (`tokio::time::sleep(..).await`, `async_std::task::sleep`, …).

### Why is this bad
Every other thread that needs the lock waits out the whole sleep: the critical section is as
long as the sleep, and the program is as slow as if it had one thread. It is the Rust form of
`with lock: time.sleep(...)`.

### Known problems
A sleep that is the point of the critical section (rate-limiting one resource on purpose) is
reported too; allow it with `// lockscan: allow(guard_across_sleep) -- reason`. A lock with no
data (`Mutex<()>`, or the crate's own mutex wrapper holding `()`) guards a section, not a value,
and is not reported.

A model checker's `thread::sleep` (shuttle's, loom's) is a point where its scheduler switches
threads, with no time passing, and is not reported; neither is one reached through a module of
the crate that re-exports it with a glob (`pub mod thread { pub use shuttle_std::thread::*; }`).

When the guard is a `let` binding that nothing uses from the sleep on (no later mention, no
closure that captures it, no loop between the binding and the sleep, no binding of the same
name between them that would make `drop(name)` drop something else), the fix inserts
`drop(guard);` before the sleep. What ran under the lock after the sleep (the rest of the
block, which no longer needed the guard) then runs without it, so the fix needs
`--unsafe-fixes`.

### Example
```rust
fn vote(&self, option: u32) {
    let mut votes = self.votes.lock().unwrap();
    thread::sleep(Duration::from_millis(100)); // every voter waits here
    *votes.entry(option).or_default() += 1;
}
```

### Use instead
```rust
fn vote(&self, option: u32) {
    thread::sleep(Duration::from_millis(100)); // the slow part, outside the lock
    let mut votes = self.votes.lock().unwrap();
    *votes.entry(option).or_default() += 1;
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let found = guards_across_calls(
        m,
        |f, _, c, ev| {
            if *m.call_kind(f, c) == CallKind::Sleep {
                let awaited = m.body(f).is_some_and(|b| b.calls[c as usize].awaited);
                return Some(Picked {
                    what: awaited,
                    exempt: vec![],
                    steps: vec![],
                });
            }
            let steps = via_callee(m, f, c, m.loc(f, ev.span), |s| s.sleeps.as_ref())?;
            Some(Picked {
                what: false,
                exempt: vec![],
                steps,
            })
        },
        // A blocking lock held across an awaited sleep is `guard_across_await`'s finding.
        // A `Mutex<()>` guards a section; sleeping in it is its purpose.
        |r, &awaited| {
            m.lock(r)
                .is_some_and(|l| (!awaited || l.ty.lib.is_async()) && !l.guards_a_section())
        },
    );
    for g in found {
        let (r, lock, holder, sleeps) = (g.r, g.lock, g.holder, &g.events);
        let across = count(sleeps.len(), "a sleep", "sleeps");
        let mut d = g
            .diagnostic(m, &RULE, &across)
            .primary_label("guard taken here");
        d = g.label_events(
            d,
            |_| "sleeps while the guard is held".to_string(),
            |_, call| format!("{call}, which sleeps, while the guard is held"),
        );
        d = d.help(end_it(holder, "the sleep")).note(format!(
            "every other thread that needs `{}` waits out the whole sleep",
            lock.text
        ));
        if let Some(first) = sleeps.first()
            && let Some(fix) = drop_before(m, r, first.loc)
        {
            d = d.fix(fix);
        }
        out.push(d);
    }
}

/// `drop(guard);` before the sleep at `sleep`, when the guard is a binding that nothing uses
/// from the sleep on.
fn drop_before(m: &Model, r: HeldRef, sleep: Loc) -> Option<Fix> {
    let holder = m.holder(r);
    let (Held::Binding, Some((name, _)), Some(local)) = (holder.held, holder.binding, holder.local)
    else {
        return None;
    };
    if m.file_of(r.f) != sleep.file {
        return None;
    }
    let body = m.body(r.f)?;
    let call = body.events.iter().find_map(|e| match e.kind {
        EventKind::Call(c) if e.span == sleep.span => Some(&body.calls[c as usize]),
        _ => None,
    })?;
    if !call.starts_stmt || call.loop_depth != holder.loop_depth {
        return None;
    }
    // Every mention of the guard comes before the sleep's statement, and by the same binding.
    if body
        .guard_uses
        .iter()
        .filter(|u| u.holder == r.h)
        .any(|u| u.local != local || u.span.hi > sleep.span.lo)
    {
        return None;
    }
    // No closure of this function captures the binding.
    if m.captured_by_closure(r.f, local) {
        return None;
    }
    // The name still means the guard at the sleep: no binding of it since shadows it
    // (`let count = *count;`), or `drop(count)` would drop that value and leave the guard.
    let bound = body.locals.get(local as usize)?;
    if body
        .locals
        .iter()
        .any(|l| l.name == bound.name && l.span.lo > bound.span.lo && l.span.lo < sleep.span.lo)
    {
        return None;
    }
    let at = sleep.span.lo;
    let indent = " ".repeat(at.col.saturating_sub(1) as usize);
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("end the guard with `drop({name})` before the sleep"),
        edits: vec![Edit {
            loc: Loc {
                file: sleep.file,
                span: Span { lo: at, hi: at },
            },
            replacement: format!("drop({name});\n{indent}"),
        }],
    })
}
