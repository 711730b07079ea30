//! `condvar_wait_without_loop`: a condition variable waited on once, with no re-check.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{Base, Body, CallIdx, Callee, EventKind, HolderKind, Operand};
use crate::index::FnId;
use crate::index::locks::PlaceInfo;
use crate::index::model::{HeldRef, Model};
use crate::index::types::Ty;
use crate::known::{self, locks};
use crate::span::Span;

pub const RULE: Rule = Rule {
    name: "condvar_wait_without_loop",
    level: Severity::Warning,
    group: Group::Default,
    summary: "`Condvar::wait` / `wait_timeout` not re-checking its condition in a loop",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a `Condvar::wait`, `wait_timeout` (std) or `wait`, `wait_for`, `wait_until`
(parking_lot) that is not inside a loop: the code waits once and goes on as if the condition it
waited for were now true.

### Why is this bad
A condition variable does not remember notifications. If the other thread calls `notify_one`
before this one starts waiting, the wake-up is lost and the wait may never end. And `wait` may
return without any notification at all (a spurious wake-up), or because another waiter was
woken for the same change and got there first. The condition has to be checked before waiting
and again after each wake-up, which is what a loop (or `wait_while`) does.

A single wait on a `parking_lot::Condvar` is not reported when nothing can go wrong with it:
parking_lot promises no spurious wake-ups, so the wait ends only on a notification (or its
timeout). What is left is a notification that comes before the wait and is lost. That cannot
happen when the waiter holds the mutex without a break from where it takes it (and checks or
sets up what it waits for) until the wait releases it (no `MutexGuard::unlocked` between), and
every notification of that condition variable the crate shows is sent by code that takes the
same mutex (or is handed a guard of it): the change a notifier announces is then made after
the waiter waits. std's `Condvar` may wake spuriously, and a single wait on it is always
reported.

### Known problems
A single parking_lot wait is judged by the notifications the crate shows: one from another
crate is not seen, and a crate that shows none gets the wait reported. A notifier that takes
the mutex somewhere in its body counts as taking it before it notifies. A wait for a
condition that another waiter can consume (a `notify_one` whose wake-up goes to a second
waiter, or a state another thread changes back before this one runs again) is not reported
when the rest holds; the wake-up is not lost, but the condition may no longer be true.

A wait whose caller loops (a function that takes the lock, waits once and returns whether the
condition holds) is reported; so is a `wait_timeout` used as a sleep that another thread may
cut short. A wait on a guard the function did not take (a wrapper around `wait`) is not
reported, nor are waits in tests. A wait inside a closure is judged by the closure's own body. The rule offers no automatic fix: the
condition to re-check is the code's to name.

### Example
```rust
fn consume(&self) {
    let ready = self.ready.lock().unwrap();
    let ready = self.cvar.wait(ready).unwrap(); // a notify before this line is lost
    println!("consumed: {}", *ready);
}
```

### Use instead
```rust
fn consume(&self) {
    let ready = self.ready.lock().unwrap();
    let ready = self.cvar.wait_while(ready, |ready| !*ready).unwrap();
    println!("consumed: {}", *ready);
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for (f, body) in m.bodies() {
        // Tests drive condition variables step by step, on purpose.
        if m.is_test(f) {
            continue;
        }
        for (e, ev) in body.events.iter().enumerate() {
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            let call = &body.calls[c as usize];
            let Callee::Method(name) = &call.callee else {
                continue;
            };
            let name = name.as_str();
            if !locks::is_condvar_wait_needing_loop(name)
                || call.loop_depth > 0
                || call.args.is_empty()
                || call.awaited
            {
                continue;
            }
            let Some(Operand::Place(recv)) = &call.receiver else {
                continue;
            };
            let recv_place = &body.places[*recv as usize];
            let info = m.place_info(f, recv_place);
            let condvar = info.ty.peel().is_external_condvar();
            // Without a visible type, a guard handed to `wait` says it is a condition variable.
            let passes_guard = match &call.args[0] {
                Operand::Guard(h) => m.lock(HeldRef { f, h: *h }).is_some(),
                Operand::Place(p) => {
                    let p = &body.places[*p as usize];
                    match p.base {
                        Base::Local { local, .. } if p.proj.is_empty() => m
                            .held_at(f, e as u32)
                            .iter()
                            .any(|r| r.f == f && body.holders[r.h as usize].local == Some(local)),
                        _ => false,
                    }
                }
                _ => false,
            };
            let unknown = matches!(info.ty.peel(), Ty::Unknown);
            // A guard taken elsewhere (a parameter's) makes this a wrapper of `wait`, whose
            // callers do the looping.
            if !passes_guard || !(condvar || unknown) {
                continue;
            }
            if no_wakeup_to_miss(m, f, body, e as u32, c, &info) {
                continue;
            }
            let span = if recv_place.span == Span::default() {
                ev.span
            } else {
                Span {
                    lo: recv_place.span.lo,
                    hi: ev.span.hi,
                }
            };
            let timed = name != "wait";
            let instead = if timed {
                "`wait_timeout_while`"
            } else {
                "`wait_while`"
            };
            let d = Diagnostic::new(
                RULE.name,
                RULE.level,
                m.loc(f, span),
                format!(
                    "`{}.{name}(..)` is not in a loop that re-checks the condition",
                    info.text
                ),
            )
            .primary_label("waits once, then carries on as if the condition held")
            .help(format!(
                "wait with {instead} (`{}.wait_while(guard, |state| !ready(state))`), or call `{name}` inside `while !ready(&guard) {{ … }}`",
                info.text
            ))
            .note("a notification sent before the wait began is lost, and a wait can end without one (a spurious wake-up)");
            out.push(d);
        }
    }
}

/// A single wait that cannot miss its wake-up and cannot end without one: the condition
/// variable is parking_lot's (no spurious wake-ups); the guard it is given was taken in this
/// function and not given up before the wait (no `unlocked` on it), so the waiter holds the
/// mutex from where it looks at or sets up the condition until the wait releases it; and every
/// notification of this condition variable the unit shows comes from code that takes that
/// mutex (or is handed a guard), so the change it announces cannot fall between the waiter's
/// look and its wait.
fn no_wakeup_to_miss(m: &Model, f: FnId, body: &Body, e: u32, c: CallIdx, cv: &PlaceInfo) -> bool {
    let Ty::External(path, _) = cv.ty.peel() else {
        return false;
    };
    if !locks::condvar_without_spurious_wakeups(path) {
        return false;
    }
    let Some(cv_class) = &cv.class else {
        return false;
    };
    let held = m.held_at(f, e);
    let waited: Vec<HeldRef> = m
        .guards_passed(f, c)
        .into_iter()
        .filter(|r| held.contains(r) && m.lock(*r).is_some())
        .collect();
    let Some(lock) = waited.first().and_then(|&r| m.lock(r)) else {
        return false;
    };
    for &r in &waited {
        let holder = m.holder(r);
        if matches!(holder.kind, HolderKind::Param(_)) {
            return false;
        }
        // Held without a break since it was taken: no call between gave it up for a while
        // (`MutexGuard::unlocked(&mut g, ..)`). An earlier wait gives it up too, but returns
        // with it taken again, so it does not count.
        let taken = body
            .events
            .iter()
            .position(|ev| match (ev.kind, holder.kind) {
                (EventKind::Acquire(h), _) => h == r.h,
                (EventKind::Call(c), HolderKind::CallResult(c2)) => c == c2,
                _ => false,
            });
        let Some(from) = taken.map(|i| i as u32 + 1) else {
            return false;
        };
        if from > e {
            return false;
        }
        let given_up = body.events[from as usize..e as usize]
            .iter()
            .enumerate()
            .any(|(i, ev)| {
                let EventKind::Call(c2) = ev.kind else {
                    return false;
                };
                let name = match &body.calls[c2 as usize].callee {
                    Callee::Method(name) => name.as_str(),
                    Callee::Path(p) => p.last().map_or("", |s| s.as_str()),
                    _ => return false,
                };
                known::flow::unlocks_during(name)
                    && !body.exclusive(from + i as u32, e)
                    && m.guards_passed(f, c2).contains(&r)
            });
        if given_up {
            return false;
        }
    }
    let mut notifies = 0;
    for (g, gbody) in m.bodies() {
        for (ge, ev) in gbody.events.iter().enumerate() {
            let EventKind::Call(gc) = ev.kind else {
                continue;
            };
            let call = &gbody.calls[gc as usize];
            let (Callee::Method(name), Some(Operand::Place(p))) = (&call.callee, &call.receiver)
            else {
                continue;
            };
            if !locks::is_condvar_notify(name.as_str()) {
                continue;
            }
            let notified = m.place_info(g, &gbody.places[*p as usize]);
            if notified.class.as_ref() != Some(cv_class) {
                continue;
            }
            notifies += 1;
            let under_lock = m
                .held_at(g, ge as u32)
                .iter()
                .any(|&h| m.lock(h).is_some_and(|l| l.class == lock.class));
            let takes_lock = m
                .summary(g)
                .acquires
                .iter()
                .any(|a| a.lock.class == lock.class);
            let given_guard = gbody
                .holders
                .iter()
                .any(|h| matches!(h.kind, HolderKind::Param(_)));
            if !(under_lock || takes_lock || given_guard) {
                return false;
            }
        }
    }
    notifies > 0
}
