//! Can a second thread be here? The evidence syntax gives that a lock or an atomic is reached
//! by one thread only while a function runs: exclusive access to `self` (`&mut self`, an owned
//! `self`, `Pin<&mut Self>`), a handle that is neither `Sync` nor `Clone`, a value the function
//! just made and has not handed to another thread, thread-local state, a test that spawns
//! nothing, a closure run inside a critical section, and a private function whose every caller
//! holds one lock around the call; and a `static mut` set only inside one `Once`'s `call_once`.
//! Rules that need two threads at once (check-then-act, a split read-modify-write, a lock-order
//! cycle, a data race on a `static mut`) ask here before they report.

use super::locks::{Instance, InstanceBase, LockClass};
use super::model::{HeldRef, Model};
use super::types::Ty;
use super::{FnId, StaticId};
use crate::facts::*;
use crate::intern::Sym;
use crate::known::{cells, executors, once};
use crate::span::Pos;

impl Model<'_> {
    /// Might another thread use `instance` (reached in body `f`) while `f` runs? `false` only
    /// where the code shows it cannot.
    pub fn may_be_shared(&self, f: FnId, instance: &Instance) -> bool {
        self.shared(f, instance, true)
    }

    /// As [`Model::may_be_shared`], but a `self` whose type is neither `Sync` nor `Clone` is no
    /// evidence: what judges an `unsafe impl Sync` must not trust a `!Sync` type that the impl
    /// may make reachable from two threads (a field of the impl's type).
    pub fn may_be_shared_through_sync(&self, f: FnId, instance: &Instance) -> bool {
        self.shared(f, instance, false)
    }

    fn shared(&self, f: FnId, instance: &Instance, trust_self_type: bool) -> bool {
        if self.single_threaded(f) {
            return false;
        }
        match &instance.base {
            InstanceBase::SelfValue => {
                let outer = self.ix.outer_fn(f);
                let exclusive = self
                    .ix
                    .func(outer)
                    .receiver
                    .is_some_and(Receiver::is_exclusive);
                let unshared = trust_self_type && self.self_is_unshared(outer);
                !exclusive && !unshared
            }
            InstanceBase::Param(i) => !self.param_is_exclusive(self.ix.outer_fn(f), *i),
            InstanceBase::Local(g, l) => !self.local_unshared(*g, *l),
            _ => true,
        }
    }

    /// Parameter `i` of `f` gives `f` the value to itself, as `&mut self` and `self` do: it is
    /// written `&mut T`, or it is an owned value of the impl's own type (`this: Self`).
    fn param_is_exclusive(&self, f: FnId, i: u16) -> bool {
        let Some(p) = self.ix.func(f).params.get(i as usize) else {
            return false;
        };
        if p.ref_mut {
            return true;
        }
        let TypeFact::Path(_) = &p.ty else {
            return false;
        };
        match (self.ix.param_type(f, i), self.ix.self_type(f)) {
            (Ty::Struct(a, _), Ty::Struct(b, _)) => a == b,
            _ => false,
        }
    }

    /// Does `f` run with no other thread of its own (a test that spawns nothing, on one thread),
    /// or inside a critical section that shuts every other thread out?
    pub fn single_threaded(&self, f: FnId) -> bool {
        // Up through the closures that run where they are written.
        let mut g = f;
        for _ in 0..64 {
            let func = self.ix.func(g);
            match func.owner {
                FnOwner::Closure { parent, .. } => {
                    let deferred = self.is_deferred(g);
                    if !deferred && self.in_critical_section(g) {
                        return true;
                    }
                    if deferred {
                        return false;
                    }
                    g = self.ix.fn_id(self.ix.fns[g.0 as usize].file, parent);
                }
                _ => {
                    return matches!(func.test, Some(TestKind::Plain | TestKind::CurrentThread))
                        && !self.summary(g).spawns;
                }
            }
        }
        false
    }

    /// Is closure `k` passed to a function that runs it with every other thread shut out
    /// (`critical_section::with(|cs| ..)`, `interrupt::free(|cs| ..)`)?
    fn in_critical_section(&self, k: FnId) -> bool {
        let FnOwner::Closure { parent, .. } = self.ix.func(k).owner else {
            return false;
        };
        let file = self.ix.fns[k.0 as usize].file;
        let parent = self.ix.fn_id(file, parent);
        let Some(body) = self.ix.func(parent).body.as_ref() else {
            return false;
        };
        let local = self.ix.fns[k.0 as usize].idx;
        body.calls.iter().any(|c| {
            c.args.contains(&Operand::Closure(local))
                && matches!(&c.callee, Callee::Path(p) if {
                    let names: Vec<&str> = p.iter().map(|s| s.as_str()).collect();
                    executors::runs_exclusively(&names)
                })
        })
    }

    /// `f` (a named function) has a closure that runs on another thread or task.
    pub(super) fn spawns_here(&self, f: FnId) -> bool {
        let file = self.ix.fns[f.0 as usize].file;
        let idx = self.ix.fns[f.0 as usize].idx;
        // Closures come after their parents in a file's list.
        let fns = &self.ix.files[file as usize].facts.fns;
        let mut inside = vec![idx];
        for (i, func) in fns.iter().enumerate().skip(idx as usize + 1) {
            let FnOwner::Closure {
                parent, deferred, ..
            } = func.owner
            else {
                continue;
            };
            if inside.contains(&parent) {
                if deferred {
                    return true;
                }
                inside.push(i as FnIdx);
            }
        }
        false
    }

    /// A method's `self` type is neither `Sync` nor `Clone` (a `PhantomData<Cell<()>>` marker,
    /// a `Cell` field): only the one thread that owns the value can call it.
    fn self_is_unshared(&self, outer: FnId) -> bool {
        let FnOwner::Impl(i) = self.ix.func(outer).owner else {
            return false;
        };
        let file = self.ix.fn_file(outer);
        let imp = &file.facts.impls[i as usize];
        let module = file.mods[imp.module as usize];
        let Some(id) = self.ix.struct_of_type(&imp.self_ty, module) else {
            return false;
        };
        let (s, _) = self.ix.struct_facts(id);
        let not_sync = s.fields.iter().any(|fld| not_sync_type(&fld.ty));
        let clone =
            s.derives.iter().any(|d| d.as_str() == "Clone") || self.ix.implements(id, "Clone");
        not_sync && !clone && !self.ix.implements(id, "Sync")
    }

    /// Local `l` of body `g` holds a value no other thread can have: made right there and never
    /// handed (itself or a handle to it) to a closure that runs elsewhere, or the thread's own
    /// value of a `thread_local!` key (`KEY.with(|v| ..)`).
    fn local_unshared(&self, g: FnId, l: LocalIdx) -> bool {
        let Some(local) = self
            .ix
            .func(g)
            .body
            .as_ref()
            .and_then(|b| b.locals.get(l as usize))
        else {
            return false;
        };
        if local.is_closure_param {
            return l == 0 && self.thread_local_closure(g);
        }
        local.fresh && !self.handed_elsewhere(g, l)
    }

    /// Closure `k` is the one a `thread_local!` key's `with` runs: `KEY.with(|v| ..)`.
    fn thread_local_closure(&self, k: FnId) -> bool {
        self.ix.thread_local_key(k).is_some()
    }

    /// A deferred closure (one that runs on another thread or task) captures local `l` of `g`,
    /// or a local that is a handle to it (`let h = Arc::clone(&x)`), in `g` or in a closure
    /// inside it.
    fn handed_elsewhere(&self, g: FnId, l: LocalIdx) -> bool {
        let file = self.ix.fns[g.0 as usize].file;
        let idx = self.ix.fns[g.0 as usize].idx;
        let fns = &self.ix.files[file as usize].facts.fns;
        // `l` and the locals that alias it, in any body of the file, a few levels deep.
        let mut handles: Vec<(FnIdx, LocalIdx)> = vec![(idx, l)];
        for _ in 0..4 {
            let before = handles.len();
            for (fi, func) in fns.iter().enumerate() {
                let Some(body) = func.body.as_ref() else {
                    continue;
                };
                for (i, other) in body.locals.iter().enumerate() {
                    let key = (fi as FnIdx, i as LocalIdx);
                    if handles.contains(&key) {
                        continue;
                    }
                    // `let h = x.clone()`, and `let s = S { a: Arc::clone(&x) }`.
                    let aliases = other
                        .alias_of
                        .iter()
                        .chain(other.field_aliases.iter().map(|(_, p)| p));
                    let is_handle = aliases.into_iter().any(|&p| {
                        matches!(body.places[p as usize].base,
                            Base::Local { fn_, local } if handles.contains(&(fn_, local)))
                    });
                    if is_handle {
                        handles.push(key);
                    }
                }
            }
            if handles.len() == before {
                break;
            }
        }
        fns.iter().any(|func| {
            matches!(func.owner, FnOwner::Closure { deferred: true, .. })
                && func
                    .body
                    .as_ref()
                    .is_some_and(|b| b.captures.iter().any(|c| handles.contains(c)))
        })
    }

    /// A private function whose every call in the unit is made on `self` while the caller holds
    /// one lock of `self`'s: both sites of a check-then-act in it are under that lock for
    /// everyone who goes through the callers.
    pub fn runs_under_callers_lock(&self, f: FnId) -> bool {
        !self.callers_lock_classes(f).is_empty()
    }

    /// The locks of `self` that every caller holds (exclusively) around its call of the private
    /// method `f` is written in, when every call in the unit is made on `self`.
    pub fn callers_lock_classes(&self, f: FnId) -> Vec<LockClass> {
        let outer = self.ix.outer_fn(f);
        let func = self.ix.func(outer);
        if func.is_pub || func.receiver.is_none() {
            return vec![];
        }
        let mut common: Option<Vec<LockClass>> = None;
        for (caller, body) in self.bodies() {
            for (e, ev) in body.events.iter().enumerate() {
                let EventKind::Call(c) = ev.kind else {
                    continue;
                };
                if !self.callees(caller, c).contains(&outer) {
                    continue;
                }
                let on_self = matches!(&body.calls[c as usize].receiver, Some(Operand::Place(p))
                    if body.places[*p as usize].base == Base::SelfValue && body.places[*p as usize].proj.is_empty());
                if !on_self {
                    return vec![];
                }
                let held: Vec<LockClass> = self
                    .held_at(caller, e as u32)
                    .into_iter()
                    .filter_map(|r: HeldRef| self.lock(r))
                    .filter(|l| l.instance.base == InstanceBase::SelfValue && !l.mode.is_read())
                    .map(|l| l.class.clone())
                    .collect();
                common = Some(match common {
                    None => held,
                    Some(c) => c.into_iter().filter(|x| held.contains(x)).collect(),
                });
            }
        }
        common.unwrap_or_default()
    }

    /// The locks held wherever body `f` runs, besides its own guards and those of the
    /// functions it is written in: the locks a callee holds around the closure `f` is (or a
    /// closure it is written in), and the locks every caller of the private method it is
    /// written in holds around the call. All exclusive.
    pub fn locks_around(&self, f: FnId) -> Vec<LockClass> {
        let mut out: Vec<LockClass> = vec![];
        let mut g = f;
        for _ in 0..16 {
            out.extend(self.locks_around_closure(g));
            match self.ix.func(g).owner {
                FnOwner::Closure {
                    parent,
                    deferred: false,
                    ..
                } => g = self.ix.fn_id(self.ix.fns[g.0 as usize].file, parent),
                _ => break,
            }
        }
        out.extend(self.callers_lock_classes(f));
        out.dedup();
        out
    }

    /// The locks a callee holds whenever it calls closure `k`, which its parent passes to it
    /// (`self.with_lock(|| ..)` where `with_lock` calls its parameter under `self.lock`), in the
    /// parent's terms: the locks held wherever `k` runs, besides the parent's own guards.
    pub fn locks_around_closure(&self, k: FnId) -> Vec<LockClass> {
        let FnOwner::Closure {
            parent,
            deferred: false,
            ..
        } = self.ix.func(k).owner
        else {
            return vec![];
        };
        let file = self.ix.fns[k.0 as usize].file;
        let parent = self.ix.fn_id(file, parent);
        let Some(body) = self.ix.func(parent).body.as_ref() else {
            return vec![];
        };
        let local = self.ix.fns[k.0 as usize].idx;
        let mut common: Option<Vec<LockClass>> = None;
        for ev in &body.events {
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            let call = &body.calls[c as usize];
            let Some(i) = call.args.iter().position(|a| *a == Operand::Closure(local)) else {
                continue;
            };
            let mut held: Vec<LockClass> = vec![];
            for &g in self.callees(parent, c) {
                for pc in &self.summary(g).param_calls {
                    if self.ix.arg_index(call, g, pc.param) != i {
                        continue;
                    }
                    for l in self.through_call(parent, c, g, self.loc(parent, ev.span), &pc.held) {
                        if !l.lock.mode.is_read() && !held.contains(&l.lock.class) {
                            held.push(l.lock.class);
                        }
                    }
                }
            }
            common = Some(match common {
                None => held,
                Some(prev) => prev.into_iter().filter(|x| held.contains(x)).collect(),
            });
        }
        common.unwrap_or_default()
    }
}

impl Model<'_> {
    /// Names an instance is reached through: its base (`self`, a parameter, a local) and the
    /// index variables on the way (`accounts[i]`).
    fn instance_names(&self, f: FnId, i: &Instance) -> Vec<Sym> {
        let mut out: Vec<Sym> = self.instance_base_name(f, &i.base).into_iter().collect();
        for p in &i.path {
            if let Proj::Index(Some(k)) = p {
                out.push(*k);
            }
        }
        out
    }

    /// The names each comparison, `min`/`max` or sort of `f` (or of the function it is
    /// written in) mentions.
    fn orderings(&self, f: FnId) -> Vec<Vec<Sym>> {
        let mut fns = vec![f, self.outer_fn(f)];
        fns.dedup();
        let mut out = vec![];
        for g in fns {
            let Some(body) = self.body(g) else {
                continue;
            };
            for o in &body.orderings {
                out.push(
                    o.bases
                        .iter()
                        .filter_map(|b| self.base_name(g, b))
                        .collect(),
                );
            }
        }
        out
    }

    /// Does `f` compare, take the min/max of, or sort something involving either instance?
    /// (Evidence that it orders two instances of one class by a key.)
    pub fn orders_either(&self, f: FnId, a: &Instance, b: &Instance) -> bool {
        let mut wanted = self.instance_names(f, a);
        wanted.extend(self.instance_names(f, b));
        self.orderings(f)
            .iter()
            .any(|o| o.iter().any(|n| wanted.contains(n)))
    }

    /// Does one comparison of `f` involve both instances (`ptr::from_ref(a) < ptr::from_ref(b)`,
    /// `a.id < b.id`)? Then the order they are taken in is chosen, not written.
    pub fn orders_both(&self, f: FnId, a: &Instance, b: &Instance) -> bool {
        let (na, nb) = (self.instance_names(f, a), self.instance_names(f, b));
        if na.is_empty() || nb.is_empty() {
            return false;
        }
        self.orderings(f)
            .iter()
            .any(|o| o.iter().any(|n| na.contains(n)) && o.iter().any(|n| nb.contains(n)))
    }
}

/// A field type that makes its struct `!Sync`: `Cell`, `RefCell`, `Rc`, a raw pointer, or a
/// `PhantomData` of one of those.
fn not_sync_type(t: &TypeFact) -> bool {
    match t {
        TypeFact::Ptr(_) => true,
        TypeFact::Path(p) => {
            let names: Vec<&str> = p.names().map(|s| s.as_str()).collect();
            if cells::unsync_cell(&names).is_some() {
                return true;
            }
            p.last().is_some_and(|seg| {
                cells::is_marker(seg.name.as_str()) && seg.args.iter().any(not_sync_type)
            })
        }
        _ => false,
    }
}

impl Model<'_> {
    /// The `Once` static whose `call_once` runs closure `k`, when `k` is written as that call's
    /// argument (`INIT.call_once(|| ..)`): `k` runs at most once, and its effects are seen by
    /// every `call_once` on that `Once` that returns, in any thread.
    pub fn once_running(&self, k: FnId) -> Option<StaticId> {
        let FnOwner::Closure { parent, .. } = self.ix.func(k).owner else {
            return None;
        };
        let file = self.ix.fns[k.0 as usize].file;
        let parent = self.ix.fn_id(file, parent);
        let body = self.body(parent)?;
        let local = self.ix.fns[k.0 as usize].idx;
        body.calls.iter().find_map(|call| {
            (call.args == [Operand::Closure(local)])
                .then(|| self.call_once_on(parent, body, call))
                .flatten()
        })
    }

    /// The `Once` statics on which a `call_once` has returned, on every path through body `f`,
    /// before position `at`: a `call_once` that ends before `at` with no branch or loop of `f`
    /// around it.
    pub fn onces_completed_before(&self, f: FnId, at: Pos) -> Vec<StaticId> {
        let Some(body) = self.body(f) else {
            return vec![];
        };
        let mut out = vec![];
        for (e, ev) in body.events.iter().enumerate() {
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            let call = &body.calls[c as usize];
            let e = e as u32;
            if ev.span.hi > at
                || call.loop_depth > 0
                || body.branches.iter().any(|b| b.body.contains(e))
            {
                continue;
            }
            if let Some(s) = self.call_once_on(f, body, call)
                && !out.contains(&s)
            {
                out.push(s);
            }
        }
        out
    }

    /// `ONCE.call_once(..)` on a static of a `Once` type: that static.
    fn call_once_on(&self, f: FnId, body: &Body, call: &CallFact) -> Option<StaticId> {
        let Callee::Method(name) = call.callee else {
            return None;
        };
        if !once::is_call_once(name) {
            return None;
        }
        let Some(Operand::Place(p)) = call.receiver else {
            return None;
        };
        let place = &body.places[p as usize];
        if !place.proj.is_empty() {
            return None;
        }
        let info = self.ix.place_info(f, place);
        match (info.class, info.ty) {
            (Some(LockClass::Static(s)), Ty::External(path, _)) if once::is_once_type(&path) => {
                Some(s)
            }
            _ => None,
        }
    }
}
