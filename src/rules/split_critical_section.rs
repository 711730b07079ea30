//! `split_critical_section`: a check under one acquisition of a lock, and the act it decides
//! under a second one.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{
    Access, Base, Body, Branch, BranchKind, CallFact, Callee, EventKind, Held, HolderKind,
    LocalIdx, Operand, Proj, ScrutineeKind,
};
use crate::index::FnId;
use crate::index::locks::{Instance, InstanceBase, LockClass, Mode};
use crate::index::model::{HeldRef, Model};
use crate::index::summary::Step;
use crate::intern::Sym;
use crate::known::{collections, flow};
use crate::span::Span;

pub const RULE: Rule = Rule {
    name: "split_critical_section",
    level: Severity::Warning,
    group: Group::Pedantic,
    summary: "a check under one acquisition of a lock and the act it decides under a second one",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a function that reads shared state under one acquisition of a lock, releases the lock,
and then changes the state under a second acquisition of the same lock, where the change
depends on what was read: check-then-act (the change runs only as an `if`, `match` or `while`
on the read decided), or a lost update (the value read is changed outside the lock and
written back over what is there: `let n = *m.lock(); *m.lock() = n + 1;`). It also sees the
acquisitions made by the methods the function calls on the same object (`cache.get(k)` …
`cache.set(k, v)` where both lock the cache's mutex).

### Why is this bad
Between the two critical sections another thread can take the lock and change the state, so
the act is based on a stale check: two threads both miss the cache and both compute, both see
room in the queue and both push past the limit, both see a key absent and both insert; a
value written back from a stale copy undoes what another thread wrote meanwhile. Each step is
thread-safe; the combination is not. This is the thread-safe-cache decorator of the seed
guides, where `cache.get` and `cache.set` each lock but the pair does not.

### Known problems
This rule is opt-in (the `pedantic` group): turn it on with `--select split_critical_section`,
`--warn split_critical_section` or `split_critical_section = "warn"` under `[rules]`. On
concurrency-heavy crates it was not tuned on, 4 of its first 15 findings were right: whether
the act truly depends on the check, whether the callee checks again, and whether a second
thread can reach the value at all are often beyond what source shows.

It reports only with evidence of each step, and stays silent otherwise:
- *One path*: the two sections in two arms of one `match`, or in an `if` and its `else`, are
  never both run.
- *An act*: the second section must change the value, by an assignment through the guard or
  a mutating method of a collection (`insert`, `push`, `pop`, `remove`, …). A method the crate
  defines on its own type (`table.rebuild()`, `histogram.subtract(&s)`) is not known to change
  anything, so a check-then-act whose act is such a method is missed; so is an act hidden more
  than one call deep.
- *Dependence*: the branch must test what the first section read (directly, or through locals
  computed from it); a field checked and another one written (`while !s.lock().shutdown {
  s.lock().done.push(j) }`) is no dependence. A `LockResult` tested for `Ok` or `Err` tests
  whether the lock is poisoned, not the data. A lost update is reported only for a plain
  overwrite (`*g = v`, `g.field = v`) whose value comes from locals computed from the first
  read, where the first guard is not handed to a function; a compound update (`+=`) or a
  merge (`extend`) adds to what is there and is not reported; an overwrite through a method
  (`map.insert(k, v)` with `v` computed from the read, and no branch) is missed.
- *No re-check*: a second section that tests its guard in a condition, calls a checking
  method (`entry`, `contains_key`, `get`, `len`, …) or asks again what the first section asked
  (the same method on the guarded value) re-checks, and is not reported, even when the re-check
  comes after the act; a re-check hidden in a called method is not seen, and is reported.
- *A check first*: a first section that changes the value too (an insert undone later, a
  `mem::take(&mut *g)` that moves the list out) is an act of its own, not a check. Two calls
  of one method that checks and changes under a guard of its own (a test-and-set such as
  sled's `fail::is_active(name)`) are two whole sections, not a check and an act.
- *Two threads*: it takes a lock as shared unless the code shows no other thread can reach
  it: `self`'s locks in a method taking `&mut self`, `self` or `Pin<&mut Self>`, a `self`
  type that is neither `Sync` nor `Clone`, a local made in the function and never handed to
  another thread, a thread-local's value, a single-threaded test that spawns nothing, and a
  closure run inside `critical_section::with` are not reported; every other lock (a static,
  a parameter, `&self` of any other type) is. A private method whose every call is made on
  `self` with one lock of `self`'s held is not reported either.
- *One hazard, one finding*: where the first guard is still alive at the second acquisition
  (including a guard a called method returned), that is `double_lock` or `rwlock_upgrade`, not
  this rule.

Only methods called directly are followed, one level deep, and a lock a called method takes
in an element its own local picks (`self.shards[index]`) is not known to be the one another
call takes. A guard that goes through a macro of the crate's own (`try_lock!(m.write())`) is
not followed. A `Mutex<()>` guards code, not data, and is never a check. No fix is offered: merging the two sections changes what runs
under the lock.

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
    /// That method, with the span of its acquisition.
    callee: Option<(FnId, Span)>,
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
            callee: None,
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
            let site = a.trace.site().span;
            if a.lock.instance.base == InstanceBase::Unknown || indexed_by_own_local(m, *g, site) {
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
                callee: Some((*g, site)),
            });
        }
    }
}

/// The lock callee `g` takes at `site` is an element chosen by a local of its own
/// (`self.shards[index]`): two calls may well take two elements.
fn indexed_by_own_local(m: &Model, g: FnId, site: Span) -> bool {
    let Some(body) = m.body(g) else {
        return false;
    };
    body.events.iter().any(|ev| {
        matches!(ev.kind, EventKind::Acquire(h) if ev.span == site
            && m.lock(HeldRef { f: g, h }).is_some_and(|l| {
                l.instance.path.iter().any(|p| {
                    matches!(p, Proj::Index(Some(k)) if !k.as_str().starts_with(|c: char| c.is_ascii_digit()))
                })
            }))
    })
}

/// What a critical section reads or changes of the guarded value: the whole of it, or only
/// some of its fields.
#[derive(Clone, Debug, PartialEq)]
enum Parts {
    Whole,
    Fields(Vec<Sym>),
}

impl Parts {
    /// Adds a field (`None`: the whole value).
    fn add(&mut self, field: Option<Sym>) {
        match (&mut *self, field) {
            (Parts::Whole, _) => {}
            (_, None) => *self = Parts::Whole,
            (Parts::Fields(v), Some(f)) => {
                if !v.contains(&f) {
                    v.push(f);
                }
            }
        }
    }

    fn union(&mut self, other: Parts) {
        match other {
            Parts::Whole => *self = Parts::Whole,
            Parts::Fields(v) => v.into_iter().for_each(|f| self.add(Some(f))),
        }
    }

    /// Can a change of `self` change what `other` covers?
    fn overlaps(&self, other: &Parts) -> bool {
        match (self, other) {
            (Parts::Fields(a), Parts::Fields(b)) => a.iter().any(|x| b.contains(x)),
            _ => true,
        }
    }
}

/// The part of guard `h`'s value that call `c` works on, when its receiver is the guard
/// (`Some(None)`) or a field of it (`Some(Some(field))`).
fn receiver_part(body: &Body, c: &CallFact, h: u32) -> Option<Option<Sym>> {
    operand_part(body, c.receiver.as_ref()?, h)
}

/// Is the operand guard `h` itself (not a field of it)?
fn is_the_guard(body: &Body, op: &Operand, h: u32) -> bool {
    match op {
        Operand::Guard(g) => *g == h,
        Operand::Place(p) => {
            let place = &body.places[*p as usize];
            place.base == Base::Guard(h) && place.proj.is_empty()
        }
        _ => false,
    }
}

/// What the critical section of guard `h` reads of the guarded value: only the fields it
/// names (`g.shutdown`), or the whole value when the guard is used any other way (a method of
/// the value, `*g`, the guard passed on or returned, or nothing that says).
fn reads(body: &Body, h: u32) -> Parts {
    let fields: Vec<Sym> = body
        .guard_fields
        .iter()
        .filter(|g| g.holder == h)
        .map(|g| g.field)
        .collect();
    // Mentions of the guard's binding, but for the `drop(g)` that ends it.
    let dropped_in = |u: &crate::facts::GuardUse| {
        body.guard_ops
            .iter()
            .any(|op| op.holder == h && op.span.lo <= u.span.lo && u.span.hi <= op.span.hi)
    };
    let mentions = body
        .guard_uses
        .iter()
        .filter(|u| u.holder == h && !dropped_in(u))
        .count();
    let whole = fields.is_empty()
        || mentions > fields.len()
        || body.guard_accesses.iter().any(|a| a.holder == h)
        || body.returns.iter().any(|r| is_the_guard(body, r, h))
        || body.calls.iter().any(|c| {
            receiver_part(body, c, h) == Some(None)
                || c.args.iter().any(|a| is_the_guard(body, a, h))
        });
    let mut parts = Parts::Fields(vec![]);
    if whole {
        parts.add(None);
    }
    for f in fields {
        parts.add(Some(f));
    }
    parts
}

/// What the critical section of guard `h` changes of the guarded value, if the code shows a
/// change: an assignment (`*g = v`, `g.count += 1`) or a mutating method of a collection
/// (`g.push(x)`, `g.items.insert(k, v)`). A method the crate defines on its own type is not
/// known to change anything.
fn changes(body: &Body, h: u32) -> Option<Parts> {
    let mut parts: Option<Parts> = None;
    let mut add = |f: Option<Sym>| parts.get_or_insert(Parts::Fields(vec![])).add(f);
    for w in body.guard_writes.iter().filter(|w| w.holder == h) {
        add(w.field);
    }
    if body
        .guard_accesses
        .iter()
        .any(|a| a.holder == h && a.access != Access::Read)
    {
        add(None);
    }
    for c in &body.calls {
        match &c.callee {
            Callee::Method(n) if collections::is_mutating_method(n.as_str()) => {
                if let Some(part) = receiver_part(body, c, h) {
                    add(part);
                }
            }
            // `mem::take(&mut *g)`, `mem::replace(&mut g.items, vec![])`: the value moves out.
            Callee::Path(p)
                if flow::takes_out_fn(&p.iter().map(|s| s.as_str()).collect::<Vec<_>>()) =>
            {
                if let Some(part) = c.args.first().and_then(|a| operand_part(body, a, h)) {
                    add(part);
                }
            }
            _ => {}
        }
    }
    parts
}

/// The part of guard `h`'s value an operand is: the guard (`Some(None)`) or a field of it.
fn operand_part(body: &Body, op: &Operand, h: u32) -> Option<Option<Sym>> {
    match op {
        Operand::Guard(g) => (*g == h).then_some(None),
        Operand::Place(p) => {
            let place = &body.places[*p as usize];
            (place.base == Base::Guard(h)).then(|| match place.proj.first() {
                Some(Proj::Field(f)) => Some(*f),
                _ => None,
            })
        }
        _ => None,
    }
}

/// What the acquisition at `site` (an event of `f`) changes: in its own section, or, for a
/// lock a callee takes, in the callee's section.
fn site_changes(m: &Model, body: &Body, site: &Site) -> Option<Parts> {
    if let Some(h) = site.holder {
        return changes(body, h);
    }
    let (g, span) = site.callee?;
    let gbody = m.body(g)?;
    let mut out: Option<Parts> = None;
    for ev in &gbody.events {
        if let EventKind::Acquire(h) = ev.kind
            && ev.span == span
            && let Some(p) = changes(gbody, h)
        {
            match &mut out {
                Some(o) => o.union(p),
                None => out = Some(p),
            }
        }
    }
    out
}

/// What the first section reads: for a lock a callee takes, all that is known is that it
/// returns something.
fn site_reads(body: &Body, site: &Site) -> Parts {
    match site.holder {
        Some(h) => reads(body, h),
        None => Parts::Whole,
    }
}

/// Is the guard `h` tested within its own critical section (a re-check before acting), or
/// does its section ask again what the first section (guard `first`) asked?
fn rechecks(body: &Body, h: u32, first: Option<u32>) -> bool {
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
    if calls_on_guard(body, h, |n| collections::is_checking_method(n.as_str())) {
        return true;
    }
    // The slow path looks again (`table.lookup(name)` under the write lock too): it does not
    // rely on the first answer.
    first.is_some_and(|h1| {
        body.calls.iter().any(|c| {
            receiver_part(body, c, h1).is_some()
                && matches!(&c.callee, Callee::Method(n) if calls_on_guard(body, h, |m| m == *n))
        })
    })
}

/// Does the section of guard `h` call a method `wanted` picks on the guarded value?
fn calls_on_guard(body: &Body, h: u32, wanted: impl Fn(Sym) -> bool) -> bool {
    body.calls.iter().any(|c| {
        receiver_part(body, c, h).is_some() && matches!(&c.callee, Callee::Method(n) if wanted(*n))
    })
}

/// Does the branch's condition test what `site` read? A `LockResult` tested for `Ok` or `Err`
/// (`if let Ok(g) = m.lock()`) tests whether the lock is poisoned, not the data: the data is
/// read only in the arm that binds the guard.
fn checks(m: &Model, f: FnId, body: &Body, b: &Branch, site: &Site, derived: &[LocalIdx]) -> bool {
    if b.cond.contains(site.event) {
        return !site
            .holder
            .is_some_and(|h| tests_lock_result(m, f, body, h));
    }
    b.locals.iter().any(|l| derived.contains(l))
}

/// Guard `h` is the unwrapped `LockResult` of an `if let` or `match` scrutinee.
fn tests_lock_result(m: &Model, f: FnId, body: &Body, h: u32) -> bool {
    let holder = &body.holders[h as usize];
    matches!(
        holder.held,
        Held::Scrutinee(ScrutineeKind::IfLet | ScrutineeKind::Match)
    ) && !holder.unwrapped
        && !holder.awaited
        && matches!(holder.kind, HolderKind::Lock { .. })
        && m.lock(HeldRef { f, h })
            .is_some_and(|l| l.ty.lib.lock_returns_result())
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
        holder.kind == HolderKind::CallResult(c) && guard_alive_at(m, f, h as u32, e)
    })
}

fn guard_alive_at(m: &Model, f: FnId, h: u32, e: u32) -> bool {
    m.held_at(f, e).contains(&HeldRef { f, h })
}

/// How the act depends on what the first section read.
enum Dep<'b> {
    /// It runs only as the check decided, in this branch (or after it, when the other way
    /// leaves).
    Control(&'b Branch),
    /// It overwrites the value with one computed from what was read (a lost update).
    Data,
}

/// The act of `second` depends on the check or read of `first`: how, if it does.
fn dependence<'b>(
    m: &Model,
    f: FnId,
    body: &'b Body,
    first: &Site,
    second: &Site,
    changed: &Parts,
    derived: &[LocalIdx],
) -> Option<Dep<'b>> {
    let read = site_reads(body, first);
    // A field checked and another one written: the act is complete whatever the check saw.
    if !read.overlaps(changed) {
        return None;
    }
    if let Some(branch) = body.branches.iter().find(|b| {
        checks(m, f, body, b, first, derived)
            && (b.body.contains(second.event) || (b.exits && second.event >= b.body.end))
    }) {
        return Some(Dep::Control(branch));
    }
    // `let n = *m.lock(); *m.lock() = n + 1;`: written back over what another thread may have
    // written meanwhile. A compound update (`+=`) or a method (`extend`) adds to what is there.
    // The read must be the first section's own: a guard handed to a function (`stamp(g)`)
    // may come back changed, and what was read of it is not known.
    let h1 = first.holder?;
    let h2 = second.holder?;
    if body.calls.iter().any(|c| {
        c.args.iter().any(|a| is_the_guard(body, a, h1)) || c.moved.iter().any(|&(_, h)| h == h1)
    }) {
        return None;
    }
    body.guard_writes
        .iter()
        .any(|w| {
            w.holder == h2
                && w.access == Access::Assign
                && w.locals.iter().any(|l| {
                    derived.contains(l)
                        && body
                            .locals
                            .get(*l as usize)
                            .is_some_and(|lf| !lf.reassigned)
                })
                && read.overlaps(&match w.field {
                    Some(f) => Parts::Fields(vec![f]),
                    None => Parts::Whole,
                })
        })
        .then_some(Dep::Data)
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for (f, body) in m.bodies() {
        // Check-then-act needs a decision; a lost update, a write of a guard's value.
        if body.branches.is_empty() && body.guard_writes.is_empty() {
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
            // The locals computed from what the first section read, once it is needed.
            let mut derived: Option<Vec<LocalIdx>> = None;
            for second in &sites[i + 1..] {
                if second.event <= first.event
                    || reported.contains(&second.event)
                    || first.class != second.class
                    || !first.instance.same_as(&second.instance)
                    || second.mode.is_read()
                    || under_callers_lock
                    || !m.may_be_shared(f, &second.instance)
                    // Two arms of one `match`, an `if` and its `else`: never one after the other.
                    || body.exclusive(first.event, second.event)
                {
                    continue;
                }
                // The first guard must be gone: otherwise it is one section (or a double lock).
                // And the first section must be a check: one that changes the state too (an
                // insert undone on a later failure) is an act of its own.
                if let Some(h) = first.holder
                    && (guard_alive_at(m, f, h, second.event) || changes(body, h).is_some())
                {
                    continue;
                }
                // One method for the check and the act checks and changes under one guard of
                // its own (a test-and-set, `fail::is_active(name)`): two calls are two whole
                // sections, neither acting on what the other saw.
                if let (Some((g1, _)), Some((g2, _))) = (first.callee, second.callee)
                    && g1 == g2
                {
                    continue;
                }
                // A guard a callee returned (`let jobs = self.jobs();`) still alive there makes
                // the second a `double_lock` or `rwlock_upgrade`: one hazard, one finding.
                if first.via.is_some() && result_alive_at(m, f, body, first.event, second.event) {
                    continue;
                }
                if let Some(h2) = second.holder
                    && (rechecks(body, h2, first.holder)
                        || first
                            .holder
                            .is_some_and(|h1| retaken_for_loop(body, h1, h2, second.event)))
                {
                    continue;
                }
                // The second section must act: a look is no race.
                let Some(changed) = site_changes(m, body, second) else {
                    continue;
                };
                let derived = derived.get_or_insert_with(|| body.computed_from(first.event));
                let Some(dep) = dependence(m, f, body, first, second, &changed, derived) else {
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
                reported.push(second.event);
                out.push(diagnostic(m, f, first, second, &dep));
            }
        }
    }
}

fn diagnostic(m: &Model, f: FnId, first: &Site, second: &Site, dep: &Dep) -> Diagnostic {
    let read_label = match &first.via {
        Some(name) => format!(
            "`{name}` reads `{}` under a lock that ends when it returns",
            first.text
        ),
        None => "read here, under a guard that ends before the second lock".to_string(),
    };
    match dep {
        Dep::Control(branch) => Diagnostic::new(
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
        .label(m.loc(f, first.span), read_label)
        .label(m.loc(f, branch.span), "the decision is made here, with no lock held")
        .help(format!(
            "check and act under one guard: take `{}` once and keep the guard for both (for a map, `guard.entry(key)`)",
            second.text
        ))
        .note("another thread can take the lock between the two critical sections and make the check stale"),
        Dep::Data => Diagnostic::new(
            RULE.name,
            RULE.level,
            m.loc(f, second.span),
            format!(
                "`{}` is read under one lock and written back under another: an update made in between is lost",
                second.text
            ),
        )
        .primary_label("locked again here to write back a value computed from the old one")
        .label(m.loc(f, first.span), read_label)
        .help(format!(
            "read, compute and write under one guard: keep the guard of `{}` from the read to the write",
            second.text
        ))
        .note("another thread can take the lock between the two critical sections and change the value; the write-back undoes that change"),
    }
}
