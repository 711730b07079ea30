//! `split_critical_section`: a check under one acquisition of a lock, and the act it decides
//! under a second one.

use super::{FixAvailability, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{Base, Body, Branch, BranchKind, Callee, EventKind, Operand};
use crate::index::FnId;
use crate::index::locks::{Instance, InstanceBase, LockClass, Mode};
use crate::index::model::{HeldRef, Model};
use crate::index::summary::Step;
use crate::known::collections;
use crate::span::Span;

pub const RULE: Rule = Rule {
    name: "split_critical_section",
    level: Severity::Warning,
    summary: "a check under one acquisition of a lock and the act it decides under a second one",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a function that reads shared state under one acquisition of a lock, decides something
from what it read (an `if`, `match` or `while`), releases the lock, and then changes the state
under a second acquisition of the same lock: check-then-act. It also sees the acquisitions made
by the methods the function calls on the same object (`cache.get(k)` … `cache.set(k, v)` where
both lock the cache's mutex).

### Why is this bad
Between the two critical sections another thread can take the lock and change the state, so
the act is based on a stale check: two threads both miss the cache and both compute, both see
room in the queue and both push past the limit, both see a key absent and both insert. Each
step is thread-safe; the combination is not. This is the thread-safe-cache decorator of the
seed guides, where `cache.get` and `cache.set` each lock but the pair does not.

### Known problems
A second critical section that checks again before acting (double-checked locking, `entry`)
is recognised when the re-check is written in that section; a re-check hidden in a called
method is not, and is reported. Only methods called directly are followed, one level deep.
Functions taking `&mut self` are not reported for `self`'s locks. No fix is offered: merging
the two sections changes what runs under the lock.

### Example
```rust
fn get_or_compute(&self, key: &str) -> String {
    if let Some(v) = self.cache.lock().unwrap().get(key) {
        return v.clone();
    }
    let v = compute(key);
    self.cache.lock().unwrap().insert(key.to_string(), v.clone()); // may overwrite another's
    v
}
```

### Use instead
```rust
fn get_or_compute(&self, key: &str) -> String {
    let mut cache = self.cache.lock().unwrap();
    cache.entry(key.to_string()).or_insert_with(|| compute(key)).clone()
}
```
"#;

/// An acquisition of a lock in a function: directly, or by a method it calls.
struct Site {
    event: u32,
    class: LockClass,
    instance: Instance,
    mode: Mode,
    /// The guard, for direct acquisitions.
    holder: Option<u32>,
    span: Span,
    text: String,
    /// The method that takes the lock, for acquisitions made by a callee.
    via: Option<String>,
}

fn direct_sites(m: &Model, f: FnId, body: &Body, out: &mut Vec<Site>) {
    for (e, ev) in body.events.iter().enumerate() {
        let EventKind::Acquire(h) = ev.kind else {
            continue;
        };
        let Some(lock) = m.lock(HeldRef { f, h }) else {
            continue;
        };
        // A `Mutex<()>` guards a section, not data: nothing is checked under it.
        if lock.is_try || lock.guards_a_section() {
            continue;
        }
        out.push(Site {
            event: e as u32,
            class: lock.class.clone(),
            instance: lock.instance.clone(),
            mode: lock.mode,
            holder: Some(h),
            span: body.holders[h as usize].span,
            text: lock.text.clone(),
            via: None,
        });
    }
}

/// Acquisitions made by the functions called here, in this function's terms
/// (`self.add_to_index(k)` locks `self.index`; `other.deposit(x)` locks `other.balance`). Only
/// the callee's own: a lock taken deeper down (a cache deep inside a getter) is incidental to
/// the check or the act.
fn callee_sites(m: &Model, f: FnId, body: &Body, out: &mut Vec<Site>) {
    for (e, ev) in body.events.iter().enumerate() {
        let EventKind::Call(_) = ev.kind else {
            continue;
        };
        for a in m.acquisitions_at(f, e as u32) {
            let Some((_, Step::Calls(g))) = a.trace.steps.first() else {
                continue;
            };
            if *g == f
                || m.outer_fn(*g) == m.outer_fn(f)
                || a.lock.is_try
                || a.lock.guards_a_section()
                || a.trace.steps.len() != 2
            {
                continue;
            }
            if a.lock.instance.base == InstanceBase::Unknown {
                continue;
            }
            out.push(Site {
                event: e as u32,
                class: a.lock.class.clone(),
                instance: a.lock.instance.clone(),
                mode: a.lock.mode,
                holder: None,
                span: ev.span,
                text: a.lock.text.clone(),
                via: Some(m.fn_name(*g).to_string()),
            });
        }
    }
}

/// Is the guard `h` tested within its own critical section (a re-check before acting)?
fn rechecks(body: &Body, h: u32) -> bool {
    let acquired = body
        .events
        .iter()
        .position(|e| e.kind == EventKind::Acquire(h))
        .unwrap_or(0) as u32;
    if body.branches.iter().any(|b| b.cond.contains(acquired)) {
        return true;
    }
    // A use of the guard's binding after the acquisition, even one attributed to an earlier
    // guard the binding held (`g = m.lock()` on one path of a `match`, the old guard on another).
    let local = body.holders[h as usize].local;
    let same_guard = |u: &crate::facts::GuardUse| {
        u.holder == h
            || (local.is_some()
                && body.holders[u.holder as usize].local == local
                && u.at > acquired)
    };
    let uses_in_cond = body.guard_uses.iter().any(|u| {
        same_guard(u)
            && body
                .branches
                .iter()
                .any(|b| b.cond.start <= u.at && u.at < b.cond.end.max(b.cond.start + 1))
    });
    if uses_in_cond {
        return true;
    }
    // `guard.entry(k)…` and friends decide and act in one step.
    calls_on_guard(body, h, collections::is_checking_method)
}

/// Does the section of guard `h` call a method `wanted` picks on the guarded value?
fn calls_on_guard(body: &Body, h: u32, wanted: fn(&str) -> bool) -> bool {
    body.calls.iter().any(|c| {
        let on_guard = match &c.receiver {
            Some(Operand::Guard(g)) => *g == h,
            Some(Operand::Place(p)) => body.places[*p as usize].base == Base::Guard(h),
            _ => false,
        };
        on_guard && matches!(&c.callee, Callee::Method(n) if wanted(n.as_str()))
    })
}

/// Does the critical section of guard `h` change the guarded value?
fn writes(body: &Body, h: u32) -> bool {
    body.guard_field_writes.contains(&h)
        || body
            .guard_accesses
            .iter()
            .any(|a| a.holder == h && a.access != crate::facts::Access::Read)
        || calls_on_guard(body, h, collections::is_mutating_method)
}

/// Does the branch's condition read what `site` read?
fn checks(body: &Body, b: &Branch, site: &Site) -> bool {
    b.cond.contains(site.event)
        || b.locals.iter().any(|l| {
            body.locals
                .get(*l as usize)
                .is_some_and(|lf| lf.init.contains(site.event))
        })
}

/// `g = m.lock()` inside a `while` loop whose condition tests `g`: the drop-and-retake idiom,
/// where the next test of the condition re-checks under the new guard.
fn retaken_for_loop(body: &Body, first: u32, second: u32, event: u32) -> bool {
    let (Some(l1), Some(l2)) = (
        body.holders[first as usize].local,
        body.holders[second as usize].local,
    ) else {
        return false;
    };
    l1 == l2
        && body.branches.iter().any(|b| {
            matches!(b.kind, BranchKind::While | BranchKind::WhileLet)
                && b.body.contains(event)
                && b.locals.contains(&l1)
        })
}

/// Is the value the call at event `call` returned, kept as a holder, alive at event `e`?
fn result_alive_at(m: &Model, f: FnId, body: &Body, call: u32, e: u32) -> bool {
    let EventKind::Call(c) = body.events[call as usize].kind else {
        return false;
    };
    body.holders.iter().enumerate().any(|(h, holder)| {
        holder.kind == crate::facts::HolderKind::CallResult(c) && guard_alive_at(m, f, h as u32, e)
    })
}

fn guard_alive_at(m: &Model, f: FnId, h: u32, e: u32) -> bool {
    m.held_at(f, e).contains(&HeldRef { f, h })
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for (f, body) in m.bodies() {
        if body.branches.is_empty() {
            continue;
        }
        let mut sites = vec![];
        direct_sites(m, f, body, &mut sites);
        callee_sites(m, f, body, &mut sites);
        if sites.len() < 2 {
            continue;
        }
        sites.sort_by_key(|s| s.event);
        // Both sections under a lock every caller holds are one section for everyone else.
        let under_callers_lock = m.runs_under_callers_lock(f);
        let mut reported: Vec<u32> = vec![];
        for (i, first) in sites.iter().enumerate() {
            for second in &sites[i + 1..] {
                if second.event <= first.event
                    || reported.contains(&second.event)
                    || first.class != second.class
                    || !first.instance.same_as(&second.instance)
                    || second.mode.is_read()
                    || under_callers_lock
                    || !m.may_be_shared(f, &second.instance)
                {
                    continue;
                }
                // The first guard must be gone: otherwise it is one section (or a double lock).
                // And the first section must be a check: one that changes the state too (an
                // insert undone on a later failure) is an act of its own.
                if let Some(h) = first.holder
                    && (guard_alive_at(m, f, h, second.event) || writes(body, h))
                {
                    continue;
                }
                // A guard a callee returned (`let jobs = self.jobs();`) still alive there makes
                // the second a `double_lock` or `rwlock_upgrade`: one hazard, one finding.
                if first.via.is_some() && result_alive_at(m, f, body, first.event, second.event) {
                    continue;
                }
                if let Some(h2) = second.holder
                    && (rechecks(body, h2)
                        || first
                            .holder
                            .is_some_and(|h1| retaken_for_loop(body, h1, h2, second.event)))
                {
                    continue;
                }
                let Some(branch) = body.branches.iter().find(|b| {
                    checks(body, b, first)
                        && (b.body.contains(second.event)
                            || (b.exits && second.event >= b.body.end))
                }) else {
                    continue;
                };
                // Both sections under one outer lock are one section for everyone else.
                let outer_first = m.held_at(f, first.event);
                if m.held_at(f, second.event)
                    .iter()
                    .any(|r| outer_first.contains(r) && Some(r.h) != first.holder)
                {
                    continue;
                }
                let d = Diagnostic::new(
                    RULE.name,
                    RULE.level,
                    m.loc(f, second.span),
                    format!(
                        "`{}` is checked under one lock and changed under another: it can change in between",
                        second.text
                    ),
                )
                .primary_label(match &second.via {
                    Some(name) => format!("`{name}` locks `{}` again to act on the check", second.text),
                    None => "locked again here to act on the check".to_string(),
                })
                .label(
                    m.loc(f, first.span),
                    match &first.via {
                        Some(name) => format!("`{name}` reads `{}` under a lock that ends when it returns", first.text),
                        None => "read here, under a guard that ends before the second lock".to_string(),
                    },
                )
                .label(m.loc(f, branch.span), "the decision is made here, with no lock held")
                .help(format!(
                    "check and act under one guard: take `{}` once and keep the guard for both (for a map, `guard.entry(key)`)",
                    second.text
                ))
                .note("another thread can take the lock between the two critical sections and make the check stale");
                reported.push(second.event);
                out.push(d);
            }
        }
    }
}
