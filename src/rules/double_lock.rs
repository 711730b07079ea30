//! `double_lock`: a lock taken again by the thread that already holds it.

use super::shared::words::{kept_by, lock_kind, trace_labels};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{Callee, EventKind, Held, Holder, Operand};
use crate::index::FnId;
use crate::index::locks::{HeldLock, Mode};
use crate::index::model::{Acquisition, Model};
use crate::index::types::Ty;
use crate::known::{LockKind, locks};
use crate::span::Loc;

pub const RULE: Rule = Rule {
    name: "double_lock",
    level: Severity::Error,
    group: Group::Default,
    summary: "a lock taken again while the same thread still holds its guard, directly or in a called function",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock acquired while the same thread still holds a guard of that same lock: a second
`lock()` while the first guard is alive, a call to a function that locks it again (however deep
the call chain, across files), a `lock()` in a closure that runs while the guard is held, a
lock whose temporary guard is kept alive by a `match`, `if let` or `while let` scrutinee, and a
recursive `read()` of an `RwLock`.

### Why is this bad
`std::sync::Mutex`, `parking_lot::Mutex`, `spin::Mutex` and the async mutexes are not
reentrant. The second acquisition waits for the first guard to be dropped, and the first guard
belongs to the waiting thread: it waits forever (std may also panic). A recursive `read()` can
deadlock too: once a writer is queued, most `RwLock`s make new readers wait behind it.

The call case is the Rust form of a Python `RLock` habit: `increment()` holds the lock and calls
`notify_change()`, which takes it again. With a `Mutex` that is a deadlock.

The scrutinee case surprises people most: in `match self.state.lock().unwrap().kind { … }`
the guard is a temporary that lives until the end of the whole `match`, so locking
`self.state` in an arm deadlocks.

### Known problems
Two acquisitions are reported only when lockscan can tell they reach the same object
(`self.value` twice, the same local, or a callee's `self.value` reached through the same
receiver). Calls that cannot be resolved (trait objects, generic parameters, other crates) are
not followed. Reentrant locks (`parking_lot::ReentrantMutex`, `std::sync::ReentrantLock`) are
never reported. A recursive `read()` waits only behind a writer that queued between the two
reads, so it is not reported on a lock no other thread can reach: a local that is never handed
to another thread, `&mut self`, or a test that spawns nothing.

Where the receiver's type is not visible (a value taken out of a tuple, a closure's untyped
parameter), `x.read().await` is taken for an async `RwLock`'s read, unless what the future
yields is unwrapped (`x.read().await.unwrap()`, `x.read().await?`, a `match` on `Ok`): no async
lock's `lock()`, `read()` or `write()` yields a `Result`, so that is some type's `async fn`
(a test peer's byte read), not a lock. A `tokio::sync::Mutex<Option<T>>` of a `Copy` `T`
whose guard is unwrapped at once (`m.lock().await.unwrap()`, a temporary) is missed when its
type is not visible.

### Example
```rust
fn increment(&self) {
    let mut value = self.value.lock().unwrap();
    *value += 1;
    self.notify_change(); // locks `self.value` again: waits for `value` forever
}

fn notify_change(&self) {
    println!("now {}", *self.value.lock().unwrap());
}
```

### Use instead
```rust
fn increment(&self) {
    let mut value = self.value.lock().unwrap();
    *value += 1;
    let now = *value;
    drop(value);
    Self::announce(now); // pass the data down instead of locking again
}
```
"#;

/// What was already held when the same lock was taken again.
pub(super) struct First<'m> {
    pub lock: HeldLock,
    pub loc: Loc,
    /// For a guard a called function returned: where it was taken (inside that function, or
    /// here and moved into it: `true`).
    pub origin: Option<(Loc, bool)>,
    /// The holder, when the first guard is held at the event (not inside a callee).
    pub holder: Option<&'m Holder>,
    pub label: String,
}

/// A lock acquired while a guard of the same lock instance is held.
pub(super) struct Reacquisition<'m> {
    pub f: FnId,
    pub first: First<'m>,
    pub second: Acquisition,
    /// The second is taken by a thread the first guard's thread waits for, there.
    pub joined_at: Option<Loc>,
}

/// Every acquisition (direct, or in a called function) that happens while the same thread
/// holds a guard on the same instance.
pub(super) fn reacquisitions<'m>(m: &'m Model) -> Vec<Reacquisition<'m>> {
    let mut out = vec![];
    for (f, _, held, acquisitions) in m.acquisitions_under_guards() {
        for a in acquisitions {
            if a.lock.is_try || a.lock.ty.kind == LockKind::Reentrant {
                continue;
            }
            let mut firsts: Vec<First> = vec![];
            for r in &held {
                let Some(l) = m.lock(*r) else { continue };
                let holder = m.holder(*r);
                firsts.push(First {
                    lock: l.clone(),
                    loc: m.loc(r.f, holder.span),
                    origin: m.returned_guard_site(*r),
                    holder: Some(holder),
                    label: kept_by(holder, l),
                });
            }
            let held_elsewhere = [
                (
                    &a.given,
                    "taken here and moved into the call, which still holds it",
                ),
                (&a.also_held, "taken here, held while the closure runs"),
            ];
            for (list, how) in held_elsewhere {
                for s in list {
                    firsts.push(First {
                        lock: s.lock.clone(),
                        loc: s.trace.site(),
                        origin: None,
                        holder: None,
                        label: format!("guard of `{}` {how}", s.lock.text),
                    });
                }
            }
            for first in firsts {
                if first.lock.class == a.lock.class && first.lock.instance.same_as(&a.lock.instance)
                {
                    out.push(Reacquisition {
                        f,
                        first,
                        second: a.clone(),
                        joined_at: None,
                    });
                }
            }
        }
    }
    out.extend(joined_reacquisitions(m));
    out
}

/// A thread the caller waits for (`thread::spawn(..).join()`, the end of a scope) that takes
/// a lock the caller holds while it waits: the child waits for the caller, the caller for the
/// child.
fn joined_reacquisitions<'m>(m: &'m Model) -> Vec<Reacquisition<'m>> {
    let mut out = vec![];
    for (f, body) in m.bodies() {
        if !m.holds_anything(f) {
            continue;
        }
        for e in 0..body.events.len() as u32 {
            let children = m.joined_at(f, e);
            if children.is_empty() {
                continue;
            }
            let taken = m.taken_by_call(f, e);
            // A condition variable's wait before the join releases the guard it is given
            // while it waits: the child can take the lock then (and notify the waiter).
            let waits_before = |since: u32| {
                body.events[since as usize..e as usize].iter().any(|ev| {
                    let EventKind::Call(c) = ev.kind else {
                        return false;
                    };
                    let call = &body.calls[c as usize];
                    let Callee::Method(name) = &call.callee else {
                        return false;
                    };
                    if !locks::is_condvar_blocking_wait(name.as_str(), call.args.len()) {
                        return false;
                    }
                    let Some(Operand::Place(recv)) = &call.receiver else {
                        return false;
                    };
                    let info = m.place_info(f, &body.places[*recv as usize]);
                    match info.ty.peel() {
                        t @ Ty::External(..) => t.is_external_condvar(),
                        Ty::Struct(id, _) => {
                            locks::is_condvar_type(m.struct_decl(*id).0.name.as_str())
                        }
                        _ => false,
                    }
                })
            };
            let held: Vec<_> = m
                .held_at(f, e)
                .into_iter()
                .filter(|r| !taken.contains(r))
                .filter(|r| {
                    let (lo, _) = m.holder(*r).live;
                    let since = body.intervals.get(lo as usize).map_or(0, |i| i.start);
                    r.f != f || !waits_before(since.min(e))
                })
                .collect();
            for k in children {
                for a in &m.summary(k).acquires {
                    if a.lock.is_try || a.lock.ty.kind == LockKind::Reentrant {
                        continue;
                    }
                    for r in &held {
                        let Some(l) = m.lock(*r) else { continue };
                        if l.class != a.lock.class || !l.instance.same_as(&a.lock.instance) {
                            continue;
                        }
                        let holder = m.holder(*r);
                        out.push(Reacquisition {
                            f: k,
                            first: First {
                                lock: l.clone(),
                                loc: m.loc(r.f, holder.span),
                                origin: m.returned_guard_site(*r),
                                holder: Some(holder),
                                label: kept_by(holder, l),
                            },
                            second: Acquisition {
                                lock: a.lock.clone(),
                                trace: a.trace.clone(),
                                also_held: vec![],
                                given: vec![],
                            },
                            joined_at: Some(m.loc(f, body.events[e as usize].span)),
                        });
                    }
                }
            }
        }
    }
    out
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for r in reacquisitions(m) {
        let (l1, l2) = (&r.first.lock, &r.second.lock);
        let recursive_read = l1.mode.is_read() && l2.mode.is_read();
        let upgrade = l1.mode.is_read() && l2.mode == Mode::Write;
        // A read beside an upgradable read is allowed; only two upgradables conflict.
        let upgradable_beside_read =
            recursive_read && (l1.mode == Mode::Upgradable) != (l2.mode == Mode::Upgradable);
        // Reads that nest (`read_recursive`, spin's reader-preferring reads) beside reads are
        // fine; beside a held write they wait like any read.
        let nesting_read = l2.mode == Mode::RecursiveRead && l1.mode.is_read();
        if upgrade || nesting_read || upgradable_beside_read {
            continue;
        }
        // A second read waits only behind a writer that queued in between: on a lock no other
        // thread can reach (a test that spawns nothing, a fresh local), none can.
        if recursive_read && r.joined_at.is_none() && !m.may_be_shared(r.f, &l2.instance) {
            continue;
        }
        out.push(diagnostic(m, &r, recursive_read));
    }
}

fn diagnostic(m: &Model, r: &Reacquisition, recursive_read: bool) -> Diagnostic {
    let l2 = &r.second.lock;
    let steps = &m.trace_text(&r.second.trace);
    let (primary, primary_what) = steps[0].clone();
    let direct = steps.len() == 1;
    let message = match (direct, recursive_read) {
        (true, false) => format!(
            "`{}` is locked while this thread already holds its guard",
            l2.text
        ),
        (true, true) => format!(
            "`{}` is read-locked again while this thread already holds a read guard on it",
            l2.text
        ),
        (false, false) => format!(
            "{} `{}` again while this thread already holds its guard",
            primary_what.replacen("calls", "this call to", 1) + " locks",
            l2.text
        ),
        (false, true) => format!(
            "{} a read guard of `{}` again while this thread already holds one",
            primary_what.replacen("calls", "this call to", 1) + " takes",
            l2.text
        ),
    };
    let primary_label = if direct {
        if recursive_read {
            "a second read guard: waits behind any queued writer, which waits for the first"
                .to_string()
        } else {
            "waits for the guard this thread already holds, forever".to_string()
        }
    } else {
        format!("{primary_what}, which waits for the guard this thread already holds")
    };
    let mut d = Diagnostic::new(super::double_lock::RULE.name, RULE.level, primary, message)
        .primary_label(primary_label)
        .label(r.first.loc, r.first.label.clone());
    match r.first.origin {
        Some((at, false)) => d = d.label(at, "the guard it returns is taken here"),
        Some((at, true)) => {
            d = d.label(
                at,
                "guard taken here and moved into the call, which hands it back",
            )
        }
        None => {}
    }
    // `let till = Till { guard: m.lock() }`: the binding that keeps the guard, where it is not
    // on the guard's own line.
    if let Some(h) = r.first.holder
        && let (Held::Binding, Some((name, at))) = (h.held, h.binding)
        && at.lo.line != h.span.lo.line
    {
        d = d.label(
            Loc {
                file: r.first.loc.file,
                span: at,
            },
            format!("`{name}` keeps the guard alive until it is dropped"),
        );
    }
    d = trace_labels(d, &steps[1..]);
    if let Some(at) = r.joined_at {
        d = d
            .label(at, "waits here for the thread that takes the lock")
            .note("the thread that holds the first guard waits for the one that wants it");
    } else if m.is_closure(r.f) {
        if let Some(at) = m.closure_run_site(r.f) {
            d = d.label(at, "runs the closure while the first guard is held");
        }
        d = d.note("the closure runs while the first guard is held");
    }
    let help = match r.first.holder.map(|h| (h.held, h.binding)) {
        Some((Held::Binding, Some((name, _)))) if direct => format!(
            "use the guard you already hold (`{name}`), or end it with `drop({name})` before locking again"
        ),
        Some((Held::Binding, Some((name, _)))) => format!(
            "pass what the callee needs from `{name}` down to it instead of letting it lock again, or end the guard (`drop({name})`) before the call"
        ),
        Some((Held::Scrutinee(_), _)) => "copy the value you need out of the guard into a local first (`let value = …;`) and branch on the local, so that no guard is alive in the branches".to_string(),
        _ => "take the lock once and use that guard for both".to_string(),
    };
    d = d.help(help);
    if !recursive_read {
        d = d.note(format!(
            "{} is not reentrant: a thread that locks it twice waits for itself",
            lock_kind(l2.ty)
        ));
    }
    d
}
