//! The lock model applied to a unit: for every function, which holders are guards of which
//! locks, which guards are held at each event, what each call does, and a summary of what
//! calling the function does. Rules read this and nothing else.
//!
//! Built in stages, each needing the one before:
//! 1. the lock behind each lock-method call (`m.lock()`);
//! 2. which functions return a guard, to a fixpoint over calls;
//! 3. call results that are guards (`let s = self.state();`), and `lock()` methods of our own
//!    types that return one;
//! 4. the guards a closure inherits from where it runs;
//! 5. function summaries, to a fixpoint over the reverse call graph.

use super::locks::{HeldLock, InstanceBase, LockClass, Mode};
use super::summary::{self, ParamCall, Step, SumLock, Summary, Trace};
use super::types::Ty;
use super::{FnId, Index};
use crate::facts::*;
use crate::intern::Sym;
use crate::known::{self, Api, LockType};
use crate::span::{FileId, Loc, Span};

/// A guard held somewhere: holder `h` of function `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeldRef {
    pub f: FnId,
    pub h: HolderIdx,
}

/// What a call does that matters while a guard is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallKind {
    Sleep,
    /// Blocks the thread; the text says on what ("channel `recv`").
    Blocking(&'static str),
    Other,
}

/// A lock taken at an event: directly, or inside a function called there.
#[derive(Clone, Debug)]
pub struct Acquisition {
    pub lock: HeldLock,
    /// From the event: the calls that lead to the acquisition, then its site. A direct
    /// acquisition has one step.
    pub trace: Trace,
    /// Locks held by the code in between (a callee that holds a lock while it calls the
    /// closure that acquires), on top of the guards held at the event.
    pub also_held: Vec<SumLock>,
    /// Guards the call moved into the callee, which still holds them when it takes the lock.
    pub given: Vec<SumLock>,
}

pub struct Model<'i> {
    pub(super) ix: &'i Index,
    /// The API tables of the run, with what the configuration adds.
    pub(super) api: &'i Api,
    /// Per function (by `FnId`), the lock of each holder, if it is a guard.
    locks: Vec<Vec<Option<HeldLock>>>,
    /// Per closure, guards of the enclosing function held whenever it runs.
    inherited: Vec<Vec<HeldRef>>,
    /// Per function, whether it is a closure that runs later or elsewhere (see
    /// [`Model::is_deferred`]).
    pub(super) deferred: Vec<bool>,
    /// Per function, holders a call gives up for good: the call's receiver is the binding that
    /// keeps them, and the callee takes them out of it or consumes it (`batch.finish()`).
    released: Vec<Vec<(HolderIdx, u32)>>,
    /// Per function, its calls that resolve to functions of the unit.
    resolved: Vec<Vec<(CallIdx, Vec<FnId>)>>,
    /// Per function, what each call is (sleep, blocking, other).
    pub(super) kinds: Vec<Vec<CallKind>>,
    summaries: Vec<Summary>,
}

impl<'i> Model<'i> {
    pub fn new(ix: &'i Index, api: &'i Api) -> Model<'i> {
        let n = ix.fns.len();
        let mut m = Model {
            ix,
            api,
            locks: Vec::with_capacity(n),
            inherited: vec![vec![]; n],
            deferred: vec![],
            released: vec![vec![]; n],
            resolved: Vec::with_capacity(n),
            kinds: Vec::with_capacity(n),
            summaries: vec![Summary::default(); n],
        };
        for i in 0..n {
            let f = FnId(i as u32);
            let body = ix.func(f).body.as_ref();
            m.locks.push(match body {
                Some(b) => (0..b.holders.len() as HolderIdx)
                    .map(|h| ix.held_lock(f, h))
                    .collect(),
                None => vec![],
            });
            m.resolved.push(match body {
                Some(b) => (0..b.calls.len() as CallIdx)
                    .filter(|&c| ix.may_resolve(&b.calls[c as usize].callee))
                    .filter_map(|c| {
                        let callees = ix.callees(f, c);
                        (!callees.is_empty()).then_some((c, callees))
                    })
                    .collect(),
                None => vec![],
            });
        }
        for i in 0..n {
            let f = FnId(i as u32);
            let kinds = match ix.func(f).body.as_ref() {
                Some(b) => (0..b.calls.len() as CallIdx)
                    .map(|c| m.classify(f, c))
                    .collect(),
                None => vec![],
            };
            m.kinds.push(kinds);
        }
        for i in 0..n {
            m.released[i] = m.releases_in(FnId(i as u32));
        }
        m.compute_returns();
        m.resolve_guard_calls();
        m.deferred = m.compute_deferred();
        // Parents come before their closures in each file's list, so one pass suffices.
        for i in 0..n {
            let f = FnId(i as u32);
            if let FnOwner::Closure { parent, .. } = ix.func(f).owner {
                let file = ix.fns[i].file;
                let parent = ix.fn_id(file, parent);
                let local = ix.fns[i].idx;
                m.inherited[i] = m.held_where_invoked(parent, local, m.deferred[i]);
            }
        }
        m.compute_summaries();
        m
    }

    // ------------------------------------------------------------------ building

    fn callers(&self) -> Vec<Vec<FnId>> {
        let mut callers = vec![vec![]; self.ix.fns.len()];
        for (i, calls) in self.resolved.iter().enumerate() {
            for (_, callees) in calls {
                for &g in callees {
                    let list: &mut Vec<FnId> = &mut callers[g.0 as usize];
                    if !list.contains(&FnId(i as u32)) {
                        list.push(FnId(i as u32));
                    }
                }
            }
        }
        // A closure's parent "calls" it: what the closure does, the parent may do.
        for (i, list) in callers.iter_mut().enumerate() {
            if let FnOwner::Closure { parent, .. } = self.ix.func(FnId(i as u32)).owner {
                let p = self.ix.fn_id(self.ix.fns[i].file, parent);
                if !list.contains(&p) {
                    list.push(p);
                }
            }
        }
        callers
    }

    /// The holders that calls of `f` give up: a call whose receiver is a binding of `f` and
    /// whose every callee takes a value out of `self` or takes `self` by value.
    fn releases_in(&self, f: FnId) -> Vec<(HolderIdx, u32)> {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return vec![];
        };
        let own = self.ix.fns[f.0 as usize].idx;
        let mut out = vec![];
        for (e, ev) in body.events.iter().enumerate() {
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            let Some(Operand::Place(p)) = &body.calls[c as usize].receiver else {
                continue;
            };
            let Base::Local { fn_, local } = body.places[*p as usize].base else {
                continue;
            };
            let callees = self.callees(f, c);
            let releases = |g: &FnId| {
                let func = self.ix.func(*g);
                func.receiver == Some(Receiver::Value)
                    || func.body.as_ref().is_some_and(|b| b.releases_self)
            };
            if fn_ != own || callees.is_empty() || !callees.iter().all(releases) {
                continue;
            }
            for (h, holder) in body.holders.iter().enumerate() {
                if holder.local == Some(local) {
                    out.push((h as HolderIdx, e as u32));
                }
            }
        }
        out
    }

    /// Which lock's guard each function returns, to a fixpoint.
    fn compute_returns(&mut self) {
        let callers = self.callers();
        let mut work: Vec<FnId> = (0..self.ix.fns.len() as u32).map(FnId).collect();
        let mut rounds = 0;
        while let Some(f) = work.pop() {
            rounds += 1;
            if rounds > 20 * self.ix.fns.len().max(1) {
                break;
            }
            if self.summaries[f.0 as usize].returns.is_some() {
                continue;
            }
            let Some(ret) = self.returned_lock(f) else {
                continue;
            };
            self.summaries[f.0 as usize].returns = Some(ret);
            work.extend(callers[f.0 as usize].iter().copied());
        }
    }

    fn returned_lock(&self, f: FnId) -> Option<SumLock> {
        let body = self.ix.func(f).body.as_ref()?;
        for op in &body.returns {
            match op {
                Operand::Guard(h) => {
                    if let Some(l) = self.lock(HeldRef { f, h: *h }) {
                        let site = self.loc(f, body.holders[*h as usize].span);
                        return Some(SumLock {
                            lock: l.clone(),
                            trace: Trace::at(site, Step::Locks(l.text.as_str().into())),
                        });
                    }
                    if let HolderKind::CallResult(c) = body.holders[*h as usize].kind
                        && let Some(r) = self.returned_through(f, c)
                    {
                        return Some(r);
                    }
                }
                Operand::Place(p) => {
                    let place = &body.places[*p as usize];
                    if let (Base::Call(c), true) = (&place.base, place.proj.is_empty())
                        && let Some(r) = self.returned_through(f, *c)
                    {
                        return Some(r);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The guard call `c` of `f` returns, in `f`'s terms.
    fn returned_through(&self, f: FnId, c: CallIdx) -> Option<SumLock> {
        let callees = self.callees(f, c);
        if callees.is_empty() {
            return None;
        }
        let body = self.ix.func(f).body.as_ref()?;
        let call_loc = self.loc(
            f,
            body.events
                .iter()
                .find(|e| e.kind == EventKind::Call(c))?
                .span,
        );
        for &g in callees {
            if let Some(r) = &self.summaries[g.0 as usize].returns
                && let Some(l) = self.ix.map_lock(f, c, g, &r.lock)
            {
                return Some(SumLock {
                    lock: l,
                    trace: r.trace.through(call_loc, g),
                });
            }
            // The guard given to the callee, handed back.
            let call = &body.calls[c as usize];
            if let Some(i) = self.ix.returned_param(g)
                && let idx = self.ix.arg_index(call, g, i)
                && let Some(&(_, h)) = call.moved.iter().find(|(a, _)| *a as usize == idx)
                && let Some(l) = self.lock(HeldRef { f, h })
            {
                return Some(SumLock {
                    lock: l.clone(),
                    trace: Trace::at(
                        self.loc(f, body.holders[h as usize].span),
                        Step::Locks(l.text.as_str().into()),
                    ),
                });
            }
        }
        None
    }

    /// Call results that are guards, and `lock()` methods of our own types that return one.
    fn resolve_guard_calls(&mut self) {
        for i in 0..self.ix.fns.len() {
            let f = FnId(i as u32);
            let Some(body) = self.ix.func(f).body.as_ref() else {
                continue;
            };
            for (h, holder) in body.holders.iter().enumerate() {
                if self.locks[i][h].is_some() {
                    continue;
                }
                let l = match holder.kind {
                    HolderKind::CallResult(c) => self.returned_through(f, c).map(|s| s.lock),
                    // The caller's guard: its lock is known only at each call.
                    HolderKind::Param(_) => None,
                    HolderKind::Lock { place, method } => self.user_lock_method(
                        f,
                        &body.places[place as usize],
                        method,
                        holder.awaited,
                    ),
                };
                self.locks[i][h] = l;
            }
        }
    }

    /// `x.lock()` where `x`'s type is ours and its `lock` method returns a guard.
    fn user_lock_method(
        &self,
        f: FnId,
        place: &Place,
        method: Sym,
        awaited: bool,
    ) -> Option<HeldLock> {
        let info = self.ix.place_info(f, place);
        let Ty::Struct(id, _) = info.ty.peel() else {
            return None;
        };
        let class = || {
            info.class
                .clone()
                .unwrap_or_else(|| self.ix.unnamed_class(f, &info.text))
        };
        for g in self.ix.method_of(*id, method) {
            let Some(r) = &self.summaries[g.0 as usize].returns else {
                // A lock method of our own type that returns a guard type of ours with a
                // destructor (which unlocks): the value it is called on is a lock.
                if self.returns_own_guard(g) {
                    let is_async = self.ix.func(g).is_async;
                    // An `async fn lock` makes a future: nothing is held until it is awaited.
                    if is_async && !awaited {
                        continue;
                    }
                    let ty = LockType {
                        lib: if is_async {
                            known::LockLib::OwnAsync
                        } else {
                            known::LockLib::Own
                        },
                        // A reentrant mutex the crate defines (lock_api's `ReentrantMutex`,
                        // seen from its own tests) lets its owner in again.
                        kind: if self.ix.struct_name(*id).as_str().contains("Reentrant") {
                            known::LockKind::Reentrant
                        } else if method.as_str().contains("read")
                            || method.as_str().contains("write")
                        {
                            known::LockKind::RwLock
                        } else {
                            known::LockKind::Mutex
                        },
                        recursive_reads: false,
                    };
                    return Some(HeldLock {
                        class: class(),
                        instance: info.instance.clone(),
                        ty,
                        mode: Mode::of(ty, method),
                        is_try: method.as_str().starts_with("try_"),
                        typed: true,
                        text: info.text.clone(),
                        unit_payload: false,
                        primitive_payload: None,
                        type_class: None,
                    });
                }
                continue;
            };
            // A lock wrapper's lock method (`TimedMutex<T>::lock`, generic over what it guards,
            // or returning a guard type of its own) hands out a guard of the lock inside it:
            // the wrapper the caller names is the lock, not the field every wrapper shares. A
            // plain type's `read()` getter keeps the lock it returns.
            let wrapper =
                !self.ix.struct_facts(*id).0.generics.is_empty() || self.returns_own_guard(g);
            let l = if wrapper && matches!(r.lock.instance.base, InstanceBase::SelfValue) {
                let mut l = r.lock.clone();
                l.class = class();
                l.instance = info.instance.clone();
                l.text = info.text.clone();
                l.type_class = None;
                // A wrapper generic over what it guards, holding `()`: `Mutex<()>` of the
                // crate's own (tokio's `loom::std::Mutex`) guards a section, not data.
                l.unit_payload |= matches!(info.ty.peel(), Ty::Struct(_, args)
                    if args.last().is_some_and(Ty::is_unit));
                l
            } else if matches!(r.lock.instance.base, InstanceBase::SelfValue) {
                summary::rebase(
                    &r.lock,
                    summary::CallerBase {
                        instance: info.instance.clone(),
                        class: info.class.clone(),
                        text: info.text.clone(),
                    },
                )
            } else {
                r.lock.clone()
            };
            return Some(l);
        }
        None
    }

    /// For a guard a call returned: where it was taken, and whether the caller took it and
    /// moved it into the callee, which hands it back (`let g = add_tax(g)`: `true`), or the
    /// callee took it (`let held = self.hold()`: `false`).
    pub fn returned_guard_site(&self, r: HeldRef) -> Option<(Loc, bool)> {
        // `let g = add_tax(g)`: the guard the caller moved in, handed back.
        if let HolderKind::CallResult(c) = self.holder(r).kind
            && self.summaries_return_nothing(r.f, c)
            && let Some(body) = self.ix.func(r.f).body.as_ref()
        {
            let call = &body.calls[c as usize];
            for &g in self.callees(r.f, c) {
                if let Some(i) = self.ix.returned_param(g)
                    && let idx = self.ix.arg_index(call, g, i)
                    && let Some(&(_, h)) = call.moved.iter().find(|(a, _)| *a as usize == idx)
                {
                    return Some((self.loc(r.f, body.holders[h as usize].span), true));
                }
            }
        }
        let callees = match self.holder(r).kind {
            HolderKind::CallResult(c) => self.callees(r.f, c).to_vec(),
            // `self.read()` where `read` is a method of our own type that returns a guard.
            HolderKind::Lock { place, method } => {
                let body = self.ix.func(r.f).body.as_ref()?;
                match self
                    .ix
                    .place_info(r.f, &body.places[place as usize])
                    .ty
                    .peel()
                {
                    Ty::Struct(id, _) => self.ix.method_of(*id, method),
                    _ => return None,
                }
            }
            HolderKind::Param(_) => return None,
        };
        callees.iter().find_map(|&g| {
            let ret = self.summaries[g.0 as usize].returns.as_ref()?;
            Some((ret.trace.site(), false))
        })
    }

    /// No callee of call `c` of `f` returns a guard it takes itself.
    fn summaries_return_nothing(&self, f: FnId, c: CallIdx) -> bool {
        self.callees(f, c)
            .iter()
            .all(|g| self.summaries[g.0 as usize].returns.is_none())
    }

    /// `g` returns a type of the unit that derefs and has a destructor: a guard of the crate's
    /// own.
    fn returns_own_guard(&self, g: FnId) -> bool {
        let Some(ret) = &self.ix.func(g).ret else {
            return false;
        };
        // A guard derefs to what it guards and unlocks when dropped; a future that resolves to
        // a guard (`lock()` of an async lock) does not deref.
        self.ix
            .struct_of_type(ret, self.ix.fn_module(g))
            .is_some_and(|s| self.ix.implements(s, "Drop") && self.ix.implements(s, "Deref"))
    }

    /// Guards of `parent` held at the events where closure `local` runs.
    fn held_where_invoked(&self, parent: FnId, local: FnIdx, deferred: bool) -> Vec<HeldRef> {
        let Some(body) = self.ix.func(parent).body.as_ref() else {
            return vec![];
        };
        let mut out: Vec<HeldRef> = vec![];
        for (e, ev) in body.events.iter().enumerate() {
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            let call = &body.calls[c as usize];
            let invoked = call.callee == Callee::Closure(local)
                || (!deferred
                    && (call.args.contains(&Operand::Closure(local))
                        || call.receiver.as_ref() == Some(&Operand::Closure(local))));
            if invoked {
                for r in self.held_at(parent, e as u32) {
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
        out
    }

    fn compute_summaries(&mut self) {
        let callers = self.callers();
        let n = self.ix.fns.len();
        // Callees before callers makes most functions final on their first visit.
        let mut work: Vec<FnId> = (0..n as u32).map(FnId).collect();
        let mut queued = vec![true; n];
        let mut visits = 0usize;
        while let Some(f) = work.pop() {
            queued[f.0 as usize] = false;
            visits += 1;
            if visits > 30 * n.max(1) {
                break;
            }
            let s = self.summarize(f);
            if summary::merge(&mut self.summaries[f.0 as usize], s) {
                for &caller in &callers[f.0 as usize] {
                    if !queued[caller.0 as usize] {
                        queued[caller.0 as usize] = true;
                        work.push(caller);
                    }
                }
            }
        }
    }

    /// What `f` does, given the current summaries of the functions it calls.
    fn summarize(&self, f: FnId) -> Summary {
        let mut s = Summary::default();
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return s;
        };
        s.spawns = self.spawns_here(f);
        let own = |r: &HeldRef| r.f == f;
        let file = self.ix.fns[f.0 as usize].file;
        for (e, ev) in body.events.iter().enumerate() {
            let e = e as u32;
            for a in self.acquisitions_at(f, e) {
                if a.lock.is_try {
                    continue;
                }
                // Orders between locks reached from the caller's arguments: the caller decides.
                for h in self.held_at(f, e).into_iter().filter(own) {
                    if let Some(hl) = self.lock(h) {
                        let held = SumLock {
                            lock: hl.clone(),
                            trace: Trace::at(
                                self.loc(f, self.holder(h).span),
                                Step::Locks(hl.text.as_str().into()),
                            ),
                        };
                        if (matches!(hl.class, LockClass::Param(..))
                            || matches!(a.lock.class, LockClass::Param(..)))
                            && !self.orders_both(f, &hl.instance, &a.lock.instance)
                        {
                            s.edges.push((
                                held,
                                SumLock {
                                    lock: a.lock.clone(),
                                    trace: a.trace.clone(),
                                },
                            ));
                        }
                    }
                }
                for i in self.given_guards_alive(f, e) {
                    s.under_given.push((
                        i,
                        SumLock {
                            lock: a.lock.clone(),
                            trace: a.trace.clone(),
                        },
                    ));
                }
                s.acquires.push(SumLock {
                    lock: a.lock,
                    trace: a.trace,
                });
            }
            let EventKind::Call(c) = ev.kind else {
                continue;
            };
            match &self.kinds[f.0 as usize][c as usize] {
                CallKind::Sleep if s.sleeps.is_none() => {
                    s.sleeps = Some(Trace::at(self.loc(f, ev.span), Step::Sleeps))
                }
                CallKind::Blocking(what) if s.blocks.is_none() => {
                    s.blocks = Some((what, Trace::at(self.loc(f, ev.span), Step::BlocksOn(what))))
                }
                _ => {}
            }
            let call = &body.calls[c as usize];
            // Closures run here: the ones we call, and the ones we pass to a call that runs
            // them (they see this function's `self` and parameters: no mapping).
            let mut run_here: Vec<FnIdx> = vec![];
            if let Callee::Closure(k) = call.callee {
                run_here.push(k);
            }
            for op in call.args.iter().chain(call.receiver.iter()) {
                if let Operand::Closure(k) = op
                    && !self.is_deferred(self.ix.fn_id(file, *k))
                {
                    run_here.push(*k);
                }
            }
            for k in run_here {
                let ks = &self.summaries[self.ix.fn_id(file, k).0 as usize];
                for a in &ks.acquires {
                    s.acquires.push(a.clone());
                }
                if s.sleeps.is_none() {
                    s.sleeps.clone_from(&ks.sleeps);
                }
                if s.blocks.is_none() {
                    s.blocks.clone_from(&ks.blocks);
                }
            }
            if let Callee::Param(i) = call.callee {
                let held: Vec<SumLock> = self
                    .held_at(f, e)
                    .into_iter()
                    .filter(own)
                    .filter_map(|h| {
                        let l = self.lock(h)?;
                        Some(SumLock {
                            lock: l.clone(),
                            trace: Trace::at(
                                self.loc(f, self.holder(h).span),
                                Step::Locks(l.text.as_str().into()),
                            ),
                        })
                    })
                    .collect();
                s.param_calls.push(ParamCall {
                    param: i,
                    held,
                    trace: Trace::at(self.loc(f, ev.span), Step::CallsClosure),
                });
            }
            let call_loc = self.loc(f, ev.span);
            // A future not awaited here runs where it is awaited: its summary counts there.
            if self.runs_now(f, c) {
                for &g in self.callees(f, c) {
                    let gs = &self.summaries[g.0 as usize];
                    let name = g;
                    s.spawns |= gs.spawns;
                    if s.sleeps.is_none()
                        && let Some(t) = &gs.sleeps
                    {
                        s.sleeps = Some(t.through(call_loc, name));
                    }
                    if s.blocks.is_none()
                        && let Some((w, t)) = &gs.blocks
                    {
                        s.blocks = Some((w, t.through(call_loc, name)));
                    }
                    for (a, b) in &gs.edges {
                        if let (Some(ma), Some(mb)) = (
                            self.ix.map_lock(f, c, g, &a.lock),
                            self.ix.map_lock(f, c, g, &b.lock),
                        ) && (matches!(ma.class, LockClass::Param(..))
                            || matches!(mb.class, LockClass::Param(..)))
                        {
                            s.edges.push((
                                SumLock {
                                    lock: ma,
                                    trace: a.trace.through(call_loc, name),
                                },
                                SumLock {
                                    lock: mb,
                                    trace: b.trace.through(call_loc, name),
                                },
                            ));
                        }
                    }
                    // Passing our own closure parameter on: the callee calls it holding these.
                    for pc in &gs.param_calls {
                        if let Some(Operand::Place(p)) = call.args.get(pc.param as usize)
                            && let Base::Param(j) = body.places[*p as usize].base
                        {
                            let mapped = self.through_call(f, c, g, call_loc, &pc.held);
                            s.param_calls.push(ParamCall {
                                param: j,
                                held: mapped,
                                trace: pc.trace.through(call_loc, name),
                            });
                        }
                    }
                }
            }
        }
        s
    }

    /// Locks of callee `g`'s summary, seen from call `c` of `f` (at `call_loc`): in `f`'s
    /// terms, with the call as the first step of their traces. Those the call cannot follow
    /// (an instance reached from an argument that is no known place) are left out.
    pub(super) fn through_call(
        &self,
        f: FnId,
        c: CallIdx,
        g: FnId,
        call_loc: Loc,
        locks: &[SumLock],
    ) -> Vec<SumLock> {
        locks
            .iter()
            .filter_map(|h| {
                Some(SumLock {
                    lock: self.ix.map_lock(f, c, g, &h.lock)?,
                    trace: h.trace.through(call_loc, g),
                })
            })
            .collect()
    }

    // ------------------------------------------------------------------ queries

    pub fn lock(&self, r: HeldRef) -> Option<&HeldLock> {
        self.locks.get(r.f.0 as usize)?.get(r.h as usize)?.as_ref()
    }

    pub fn holder(&self, r: HeldRef) -> &Holder {
        &self
            .ix
            .func(r.f)
            .body
            .as_ref()
            .expect("a holder's function has a body")
            .holders[r.h as usize]
    }

    pub fn summary(&self, f: FnId) -> &Summary {
        &self.summaries[f.0 as usize]
    }

    /// The functions of the unit a call may run.
    pub fn callees(&self, f: FnId, c: CallIdx) -> &[FnId] {
        let calls = &self.resolved[f.0 as usize];
        match calls.binary_search_by_key(&c, |(x, _)| *x) {
            Ok(i) => &calls[i].1,
            Err(_) => &[],
        }
    }

    /// The functions with bodies: every function, method, closure and async block.
    pub fn bodies(&self) -> impl Iterator<Item = (FnId, &'i Body)> + '_ {
        (0..self.ix.fns.len() as u32).filter_map(|i| {
            let f = FnId(i);
            self.ix.func(f).body.as_ref().map(|b| (f, b))
        })
    }

    /// The guards held at event `e` of `f`: `f`'s own, and those held where `f` runs.
    pub fn held_at(&self, f: FnId, e: u32) -> Vec<HeldRef> {
        let mut out = vec![];
        if let Some(body) = self.ix.func(f).body.as_ref() {
            for (h, lock) in self.locks[f.0 as usize].iter().enumerate() {
                if lock.is_none() {
                    continue;
                }
                let (start, len) = body.holders[h].live;
                let given_up = self.released[f.0 as usize]
                    .iter()
                    .any(|&(r, at)| r as usize == h && at < e);
                if !given_up
                    && body.intervals[start as usize..(start + len) as usize]
                        .iter()
                        .any(|iv| iv.start <= e && e < iv.end)
                {
                    out.push(HeldRef {
                        f,
                        h: h as HolderIdx,
                    });
                }
            }
        }
        // Guards the closure itself dropped (or moved on) end where it did so.
        let ends = self
            .ix
            .func(f)
            .body
            .as_ref()
            .map(|b| b.captured_ends.as_slice())
            .unwrap_or(&[]);
        out.extend(self.inherited[f.0 as usize].iter().copied().filter(|r| {
            let holder = self.holder(*r);
            let parent_idx = self.ix.fns[r.f.0 as usize].idx;
            !ends
                .iter()
                .any(|end| end.at <= e && end.fn_ == parent_idx && Some(end.local) == holder.local)
        }));
        out
    }

    /// The guards held at a use of a field in `f` (`held` are the holders alive there, as
    /// [`FieldUse::held`] records them; `at` the events before it): `f`'s own, and those held
    /// where `f` runs.
    pub fn held_at_use(&self, f: FnId, at: u32, held: &[HolderIdx]) -> Vec<HeldRef> {
        let mut out: Vec<HeldRef> = held
            .iter()
            .map(|&h| HeldRef { f, h })
            .filter(|&r| self.lock(r).is_some())
            .filter(|r| {
                !self.released[f.0 as usize]
                    .iter()
                    .any(|&(h, e)| h == r.h && e < at)
            })
            .collect();
        for r in self.held_at(f, at) {
            if r.f != f && !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The locks taken at event `e` of `f`: by a lock call there, or inside a function called
    /// there (including closures it calls that `f` passed in).
    pub fn acquisitions_at(&self, f: FnId, e: u32) -> Vec<Acquisition> {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return vec![];
        };
        let ev = &body.events[e as usize];
        match ev.kind {
            EventKind::Acquire(h) => match self.lock(HeldRef { f, h }) {
                Some(l) => vec![Acquisition {
                    lock: l.clone(),
                    trace: Trace::at(self.loc(f, ev.span), Step::Locks(l.text.as_str().into())),
                    also_held: vec![],
                    given: vec![],
                }],
                None => vec![],
            },
            EventKind::Call(c) if self.runs_now(f, c) => {
                self.acquisitions_of_call(f, c, self.loc(f, ev.span))
            }
            EventKind::Call(_) => vec![],
            // A future made earlier runs where it is awaited.
            EventKind::Await => self
                .futures_polled_at(f, e)
                .flat_map(|c| self.acquisitions_of_call(f, c, self.loc(f, ev.span)))
                .collect(),
        }
    }

    /// Calling a function runs it now, unless the call only makes a future (every callee is an
    /// `async fn`) that is not awaited right away: then it runs where it is awaited.
    pub fn runs_now(&self, f: FnId, c: CallIdx) -> bool {
        let callees = self.callees(f, c);
        let awaited = self
            .ix
            .func(f)
            .body
            .as_ref()
            .is_some_and(|b| b.calls[c as usize].awaited);
        awaited || callees.is_empty() || !callees.iter().all(|&g| self.ix.func(g).is_async)
    }

    /// The calls whose futures, bound to locals earlier, the `.await` at event `e` polls.
    fn futures_polled_at(&self, f: FnId, e: u32) -> impl Iterator<Item = CallIdx> + '_ {
        let body = self.ix.func(f).body.as_ref();
        body.into_iter()
            .flat_map(move |b| {
                b.awaited_locals
                    .iter()
                    .filter(move |&&(_, at)| at == e)
                    .filter_map(move |&(l, _)| b.locals.get(l as usize)?.init_call)
            })
            .filter(move |&c| !self.runs_now(f, c))
    }

    /// The locks taken inside the functions call `c` of `f` runs (at `call_loc`), and in the
    /// closures it passes them.
    fn acquisitions_of_call(&self, f: FnId, c: CallIdx, call_loc: Loc) -> Vec<Acquisition> {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return vec![];
        };
        let mut out = vec![];
        let call = &body.calls[c as usize];
        // What a drop drops, as written.
        let dropped: Option<std::rc::Rc<str>> = match (&call.callee, &call.receiver) {
            (Callee::Drop, Some(Operand::Place(p))) => {
                Some(self.ix.place_info(f, &body.places[*p as usize]).text.into())
            }
            _ => None,
        };
        for &g in self.callees(f, c) {
            let gs = &self.summaries[g.0 as usize];
            let name = g;
            // The guards this call moves into the callee, by the callee's parameter.
            let given_guard = |i: u16| -> Option<SumLock> {
                let idx = self.ix.arg_index(call, g, i);
                let &(_, h) = call.moved.iter().find(|(a, _)| *a as usize == idx)?;
                let l = self.lock(HeldRef { f, h })?;
                Some(SumLock {
                    lock: l.clone(),
                    trace: Trace::at(
                        self.loc(f, body.holders[h as usize].span),
                        Step::Locks(l.text.as_str().into()),
                    ),
                })
            };
            for a in &gs.acquires {
                if let Some(l) = self.ix.map_lock(f, c, g, &a.lock) {
                    let given = gs
                        .under_given
                        .iter()
                        .filter(|(_, x)| summary::same_entry(&x.lock, &a.lock))
                        .filter_map(|(i, _)| given_guard(*i))
                        .collect();
                    let step = match &dropped {
                        Some(what) => Step::Drops(name, what.clone()),
                        None => Step::Calls(name),
                    };
                    out.push(Acquisition {
                        lock: l,
                        trace: a.trace.through_step(call_loc, step),
                        also_held: vec![],
                        given,
                    });
                }
            }
            // Closures we pass in run inside the callee, holding what it holds.
            for pc in &gs.param_calls {
                let Some(Operand::Closure(k)) = call.args.get(pc.param as usize) else {
                    continue;
                };
                let k = self.ix.fn_id(self.ix.fns[f.0 as usize].file, *k);
                let also = self.through_call(f, c, g, call_loc, &pc.held);
                if also.is_empty() {
                    continue;
                }
                // The call, where the callee calls the closure, then the closure's lock.
                let into_closure = pc.trace.through(call_loc, name);
                for a in &self.summaries[k.0 as usize].acquires {
                    let mut steps = into_closure.steps.clone();
                    steps.extend(a.trace.steps.iter().cloned());
                    out.push(Acquisition {
                        lock: a.lock.clone(),
                        trace: Trace { steps },
                        also_held: also.clone(),
                        given: vec![],
                    });
                }
            }
        }
        out
    }

    /// The guard parameters of `f` still held at event `e`.
    fn given_guards_alive(&self, f: FnId, e: u32) -> Vec<u16> {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return vec![];
        };
        body.holders
            .iter()
            .filter_map(|h| match h.kind {
                HolderKind::Param(i) => {
                    let (start, len) = h.live;
                    body.intervals[start as usize..(start + len) as usize]
                        .iter()
                        .any(|iv| iv.contains(e))
                        .then_some(i)
                }
                _ => None,
            })
            .collect()
    }

    /// Every event that takes a lock while its function holds guards (its own, or those held
    /// where a closure runs): the function, the event, the guards held there and the locks
    /// taken, in function and event order.
    pub fn acquisitions_under_guards(
        &self,
    ) -> impl Iterator<Item = (FnId, u32, Vec<HeldRef>, Vec<Acquisition>)> + '_ {
        self.bodies()
            .filter(|&(f, _)| self.holds_anything(f))
            .flat_map(move |(f, body)| {
                (0..body.events.len() as u32).filter_map(move |e| {
                    let acqs = self.acquisitions_at(f, e);
                    (!acqs.is_empty()).then(|| (f, e, self.held_at(f, e), acqs))
                })
            })
    }

    /// Does anything in `f` (or where it runs) hold a guard at all? A cheap filter.
    pub fn holds_anything(&self, f: FnId) -> bool {
        self.locks[f.0 as usize].iter().any(Option::is_some)
            || !self.inherited[f.0 as usize].is_empty()
    }

    /// Is `f` an async context (an `async fn`, async closure or async block)?
    pub fn is_async(&self, f: FnId) -> bool {
        self.ix.func(f).is_async
    }

    pub fn file_of(&self, f: FnId) -> FileId {
        self.ix.fn_file(f).id
    }

    pub fn loc(&self, f: FnId, span: Span) -> Loc {
        Loc {
            file: self.file_of(f),
            span,
        }
    }

    /// The guard a call's receiver is (or reaches into): blocking on the guarded value itself
    /// is what the lock is for. The receiver reaches into a guard through a field of the
    /// guarded value (`state.index.flush()`), a binding of a part of it (`if let Some(ref mut
    /// w) = *guard`, `if let Some(s) = &mut state.stream`, `let w = guard.as_mut().unwrap()`),
    /// or a value taken out of it (`if let Some(h) = guard.take()`, `guard.take().unwrap()`).
    pub fn receiver_guard(&self, f: FnId, c: CallIdx) -> Option<HeldRef> {
        let body = self.ix.func(f).body.as_ref()?;
        self.operand_guard(f, body, body.calls[c as usize].receiver.as_ref()?, 0)
    }

    /// The guard whose value operand `op` of `f` is, or is a part of, or was taken out of.
    fn operand_guard(&self, f: FnId, body: &Body, op: &Operand, depth: u32) -> Option<HeldRef> {
        if depth > 8 {
            return None;
        }
        match op {
            Operand::Guard(h) => Some(HeldRef { f, h: *h }),
            Operand::Place(p) => self.place_guard(f, body, &body.places[*p as usize], depth),
            _ => None,
        }
    }

    fn place_guard(&self, f: FnId, body: &Body, p: &Place, depth: u32) -> Option<HeldRef> {
        // A part of the value a call returns: `guard.take().unwrap()`.
        let part_of = |c: CallIdx| -> Option<HeldRef> {
            let call = &body.calls[c as usize];
            let Callee::Method(name) = &call.callee else {
                return None;
            };
            if !known::flow::gives_part_of_receiver(name.as_str()) {
                return None;
            }
            self.operand_guard(f, body, call.receiver.as_ref()?, depth + 1)
        };
        match p.base {
            Base::Guard(h) => Some(HeldRef { f, h }),
            Base::Call(c) => part_of(c),
            Base::Local { fn_, local } if fn_ == self.ix.fns[f.0 as usize].idx => {
                // A binding that holds a guard-returning call's result.
                let own = body
                    .holders
                    .iter()
                    .position(|hd| hd.local == Some(local))
                    .map(|h| HeldRef {
                        f,
                        h: h as HolderIdx,
                    })
                    .filter(|&r| self.lock(r).is_some());
                if own.is_some() {
                    return own;
                }
                let l = body.locals.get(local as usize)?;
                if l.is_closure_param {
                    return self.payload_guard(f, depth);
                }
                if let Some(a) = l.alias_of {
                    return self.place_guard(f, body, &body.places[a as usize], depth + 1);
                }
                l.payload_of
                    .map(|(c, _)| c)
                    .or(l.init_call)
                    .and_then(part_of)
            }
            _ => None,
        }
    }

    /// For closure `k` run in place on an `Option`'s or `Result`'s payload (`guard.take().map(|h|
    /// h.join())`), the guard that payload was taken out of, in `k`'s parent.
    fn payload_guard(&self, k: FnId, depth: u32) -> Option<HeldRef> {
        let FnOwner::Closure {
            parent,
            deferred: false,
            ..
        } = self.ix.func(k).owner
        else {
            return None;
        };
        let idx = self.ix.fns[k.0 as usize].idx;
        let parent = self.ix.fn_id(self.ix.fns[k.0 as usize].file, parent);
        let body = self.ix.func(parent).body.as_ref()?;
        let call = body
            .calls
            .iter()
            .find(|c| c.args.contains(&Operand::Closure(idx)))?;
        let Callee::Method(name) = &call.callee else {
            return None;
        };
        if !known::flow::runs_closure_on_payload(name.as_str()) {
            return None;
        }
        self.operand_guard(parent, body, call.receiver.as_ref()?, depth + 1)
    }
}
