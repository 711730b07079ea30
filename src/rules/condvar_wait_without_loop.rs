//! `condvar_wait_without_loop`: a condition variable waited on once, with no re-check.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{Base, Callee, EventKind, Operand};
use crate::index::model::{HeldRef, Model};
use crate::index::types::Ty;
use crate::known::locks;
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

### Known problems
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
            let condvar = match info.ty.peel() {
                Ty::External(p, _) => p.last().is_some_and(|n| locks::is_condvar_type(n.as_str())),
                _ => false,
            };
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
