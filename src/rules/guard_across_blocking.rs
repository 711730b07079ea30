//! `guard_across_blocking`: a guard held while the thread blocks on something else.

use super::shared::guard_across::{Picked, count, guards_across_calls};
use super::shared::words::end_it;
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{CallIdx, Callee};
use crate::index::FnId;
use crate::index::model::{CallKind, HeldRef, Model};

pub const RULE: Rule = Rule {
    name: "guard_across_blocking",
    level: Severity::Warning,
    group: Group::Default,
    summary: "a guard held across a blocking call: channel `recv`, `join`, `Barrier::wait`, blocking I/O, process `wait`",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock guard that is alive across a call that blocks the thread until something else
happens: a channel `recv()`, `JoinHandle::join()`, `Barrier::wait()`, a child process's
`wait()`/`output()`, blocking file or socket I/O, `block_on`.

Blocking on the value the lock protects is what the lock is for and is not reported:
`queue.lock().unwrap().recv()` on a `Mutex<Receiver<Job>>` (the worker-pool idiom), or
`file.lock().unwrap().write_all(..)` on a `Mutex<File>`. That holds for a part of the guarded
value too: a field (`state.index.flush()`), a binding into it (`if let Some(ref mut w) =
*guard`, `if let Some(s) = &mut state.stream`, `guard.as_mut()`), or a value taken out of it
(`if let Some(h) = guard.take()`, `guard.take().map(|h| h.join())`).

A thread handle taken out of the guard and joined (`Mutex<Option<JoinHandle<_>>>`) is the
exception: the join waits for that thread with the lock held, which deadlocks if the thread
takes the same lock before it ends. It is reported when a closure the crate spawns takes a
lock of the same class (`Inner::slot`, reached through an `Arc` the thread shares), and not
otherwise.

### Why is this bad
The thread keeps the lock for as long as the call blocks. If whatever would unblock it (the
sender, the thread being joined, the other side of the barrier) needs the same lock, both wait
forever; if not, every thread that needs the lock stalls for the duration.

### Known problems
Methods are recognised by name and, where visible, receiver type. A `recv()` or `join()` on a
type whose methods do not block may be reported; allow it with a suppression comment.

A handle kept in a field does not say which closure its thread runs, so a join on one taken
out of the guard is judged by every closure the crate spawns: one that takes the lock is
enough to report it, even if it is not the thread joined. A thread whose body is a named
function (`thread::spawn(run)`) is not looked into, and such a join is not reported.

A lock with no data (`Mutex<()>`) guards a section rather than a value, and holding it across
slow work (serializing tests that fork or change directory) is its purpose: it is not
reported.

### Example
```rust
fn drain(&self, rx: &Receiver<Msg>) {
    let mut log = self.log.lock().unwrap();
    while let Ok(msg) = rx.recv() { // the sender may need `self.log` to send
        log.push(msg);
    }
}
```

### Use instead
```rust
fn drain(&self, rx: &Receiver<Msg>) {
    while let Ok(msg) = rx.recv() {
        self.log.lock().unwrap().push(msg); // lock only to record
    }
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let found = guards_across_calls(
        m,
        |f, e, c, ev| {
            if let CallKind::Blocking(what) = m.call_kind(f, c) {
                return Some(Picked {
                    what: *what,
                    exempt: exempt(m, f, e, c),
                    steps: vec![],
                });
            }
            let g = m
                .callees(f, c)
                .iter()
                .find(|&&g| m.summary(g).blocks.is_some())?;
            let (what, trace) = m.summary(*g).blocks.as_ref()?;
            Some(Picked {
                what: *what,
                exempt: exempt(m, f, e, c),
                steps: m.trace_text(&trace.through(m.loc(f, ev.span), *g)),
            })
        },
        |r, _| m.lock(r).is_some_and(|l| !l.guards_a_section()),
    );
    for g in found {
        let (lock, holder, calls) = (g.lock, g.holder, &g.events);
        let what = if calls.iter().all(|c| c.what == calls[0].what) {
            calls[0].what.to_string()
        } else {
            "blocking calls".to_string()
        };
        let across = count(
            calls.len(),
            &format!("a blocking call ({what})"),
            &format!("blocking calls ({what})"),
        );
        let mut d = g
            .diagnostic(m, &RULE, &across)
            .primary_label("guard taken here");
        d = g.label_events(
            d,
            |what| format!("blocks on {what} while the guard is held"),
            |what, call| format!("{call}, which blocks on {what}, while the guard is held"),
        );
        d = d.help(end_it(holder, "the blocking call")).note(format!(
            "if whatever would unblock this call needs `{}`, both wait forever",
            lock.text
        ));
        out.push(d);
    }
}

/// The guards a blocking call at `ev` does not count against: the receiver's own guard
/// (blocking on the guarded value is what the lock is for), guards a closure of the call takes
/// over before it waits, and guards that a closure it runs or a thread it waits for takes
/// again (that is a `double_lock`: one hazard, one finding).
fn exempt(m: &Model, f: FnId, e: u32, c: CallIdx) -> Vec<HeldRef> {
    let mut out: Vec<HeldRef> = m
        .receiver_guard(f, c)
        .filter(|&r| !joins_a_thread_taking(m, f, c, r))
        .into_iter()
        .collect();
    out.extend(m.taken_by_call(f, e));
    // The guard handed to a condition variable's `wait` is released while it waits.
    out.extend(m.guards_passed(f, c));
    let children: Vec<FnId> = m
        .closures_run_by(f, c)
        .into_iter()
        .chain(m.joined_at(f, e))
        .collect();
    for r in m.held_at(f, e) {
        let Some(l) = m.lock(r) else { continue };
        let relocked = children.iter().any(|&k| {
            m.summary(k)
                .acquires
                .iter()
                .any(|a| a.lock.class == l.class && l.instance.same_as(&a.lock.instance))
        });
        if relocked {
            out.push(r);
        }
    }
    out
}

/// A `join()` on a thread handle taken out of guard `r` (`if let Some(h) = guard.take() {
/// h.join() }`) waits for that thread with the lock held: a deadlock if the thread takes the
/// same lock before it ends. Which closure the handle runs is not visible once it is kept in a
/// field, so the join counts against the guard when any spawned closure of the unit takes a
/// lock of its class.
fn joins_a_thread_taking(m: &Model, f: FnId, c: CallIdx, r: HeldRef) -> bool {
    m.body(f).is_some_and(
        |b| matches!(&b.calls[c as usize].callee, Callee::Method(n) if n.as_str() == "join"),
    ) && m.lock(r).is_some_and(|l| m.spawned_work_takes(&l.class))
}
