//! Closures that run while their caller waits: the ones a call runs in place (an iterator's,
//! `rayon::join`'s), and threads the caller waits for (`thread::spawn(..).join()`, a handle's
//! `join()`, the end of `thread::scope` or `rayon::scope` for what was spawned on its scope).
//! What such a closure locks, it locks while the caller's guards are held: a child thread that
//! locks one of them waits for the caller, which waits for the child.

use super::FnId;
use super::locks::LockClass;
use super::model::{HeldRef, Model};
use crate::facts::*;
use crate::known::executors;

impl Model<'_> {
    /// The closures call `c` of `f` runs before it returns: the one it calls, and the ones it
    /// is given to run here (not handed to another thread).
    pub fn closures_run_by(&self, f: FnId, c: CallIdx) -> Vec<FnId> {
        let Some(body) = self.body(f) else {
            return vec![];
        };
        let file = self.ix.fns[f.0 as usize].file;
        let call = &body.calls[c as usize];
        let mut out = vec![];
        if let Callee::Closure(k) = call.callee {
            out.push(self.ix.fn_id(file, k));
        }
        for op in call.args.iter().chain(call.receiver.iter()) {
            if let Operand::Closure(k) = op {
                let k = self.ix.fn_id(file, *k);
                if !self.is_deferred(k) {
                    out.push(k);
                }
            }
        }
        out
    }

    /// A closure or async block that runs later or elsewhere, not while the call it is given
    /// to runs: one written as an executor's argument (`thread::spawn(|| ..)`, its facts say
    /// so), or one given to a function of the unit that hands that parameter on to an executor,
    /// however deep (tokio's `asyncify(move || std.sync_all())`, where `asyncify(f)` awaits
    /// `spawn_blocking(f)`).
    pub fn is_deferred(&self, k: FnId) -> bool {
        self.deferred.get(k.0 as usize).copied().unwrap_or(false)
    }

    pub(super) fn compute_deferred(&self) -> Vec<bool> {
        let n = self.ix.fns.len();
        // Per named function, the parameters it hands to an executor, directly or through
        // another such function (a few rounds: such chains are short).
        let mut handoff: Vec<Vec<u16>> = vec![vec![]; n];
        for _ in 0..4 {
            let mut changed = false;
            for i in 0..n {
                let g = FnId(i as u32);
                let Some(body) = self.body(g).filter(|_| !self.is_closure(g)) else {
                    continue;
                };
                for (c, call) in body.calls.iter().enumerate() {
                    let c = c as CallIdx;
                    let spawner = match &call.callee {
                        Callee::Path(p) => {
                            p.last().is_some_and(|s| executors::hands_off(s.as_str()))
                        }
                        Callee::Method(m) => executors::hands_off(m.as_str()),
                        _ => false,
                    };
                    for (a, op) in call.args.iter().enumerate() {
                        let Operand::Place(p) = op else { continue };
                        let place = &body.places[*p as usize];
                        let Base::Param(pi) = place.base else {
                            continue;
                        };
                        if !place.proj.is_empty() || handoff[i].contains(&pi) {
                            continue;
                        }
                        if spawner || self.hands_off_arg(g, c, a, &handoff) {
                            handoff[i].push(pi);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        (0..n)
            .map(|i| {
                let k = FnId(i as u32);
                match self.ix.func(k).owner {
                    FnOwner::Closure { deferred: true, .. } => true,
                    FnOwner::Closure { parent, .. } => {
                        let file = self.ix.fns[i].file;
                        let parent = self.ix.fn_id(file, parent);
                        let me = self.ix.fns[i].idx;
                        self.body(parent).is_some_and(|body| {
                            body.calls.iter().enumerate().any(|(c, call)| {
                                call.args.iter().enumerate().any(|(a, op)| {
                                    *op == Operand::Closure(me)
                                        && self.hands_off_arg(parent, c as CallIdx, a, &handoff)
                                })
                            })
                        })
                    }
                    _ => false,
                }
            })
            .collect()
    }

    /// Argument `a` of call `c` of `f` is a parameter that a callee hands to an executor.
    fn hands_off_arg(&self, f: FnId, c: CallIdx, a: usize, handoff: &[Vec<u16>]) -> bool {
        self.callees(f, c).iter().any(|&g| {
            self.param_of_arg(f, c, g, a)
                .is_some_and(|j| handoff[g.0 as usize].contains(&j))
        })
    }

    /// Whether work the unit hands to another thread or task (a closure given to
    /// `thread::spawn` and the like) takes a lock of `class`, itself or in what it calls. A
    /// thread handle kept in a field does not say which closure it runs; this says whether
    /// any spawned closure could be the one that waits for a guard of that lock.
    pub fn spawned_work_takes(&self, class: &LockClass) -> bool {
        self.bodies().any(|(k, _)| {
            self.is_deferred(k)
                && self
                    .summary(k)
                    .acquires
                    .iter()
                    .any(|a| a.lock.class == *class)
        })
    }

    /// `f`'s body and the call of its event `e`, when that event is a call.
    fn call_event(&self, f: FnId, e: u32) -> Option<(&Body, CallIdx)> {
        let body = self.body(f)?;
        match body.events[e as usize].kind {
            EventKind::Call(c) => Some((body, c)),
            _ => None,
        }
    }

    /// The threads (spawned closures) `f` waits for at event `e`: the closure of a
    /// `thread::spawn(..)` whose handle is joined there, and the closures spawned on the scope
    /// handle of a `thread::scope`/`rayon::scope` that ends there.
    pub fn joined_at(&self, f: FnId, e: u32) -> Vec<FnId> {
        let Some((body, c)) = self.call_event(f, e) else {
            return vec![];
        };
        let file = self.ix.fns[f.0 as usize].file;
        let call = &body.calls[c as usize];
        let spawned = |c0: CallIdx| -> Vec<FnId> {
            body.calls[c0 as usize]
                .args
                .iter()
                .filter_map(|op| match op {
                    Operand::Closure(k) => Some(self.ix.fn_id(file, *k)),
                    _ => None,
                })
                .filter(|&k| {
                    matches!(
                        self.ix.func(k).owner,
                        FnOwner::Closure { deferred: true, .. }
                    )
                })
                .collect()
        };
        match &call.callee {
            // `thread::spawn(..).join()`, `handle.join()`.
            Callee::Method(m) if m.as_str() == "join" && call.args.is_empty() => {
                let Some(Operand::Place(p)) = &call.receiver else {
                    return vec![];
                };
                let place = &body.places[*p as usize];
                if !place.proj.is_empty() {
                    return vec![];
                }
                match place.base {
                    Base::Call(c0) => spawned(c0),
                    Base::Local { fn_, local } if fn_ == self.ix.fns[f.0 as usize].idx => body
                        .locals
                        .get(local as usize)
                        .and_then(|l| l.init_call)
                        .map(spawned)
                        .unwrap_or_default(),
                    _ => vec![],
                }
            }
            // `thread::scope(|s| { s.spawn(..); })`: the scope waits for what `s` spawned.
            Callee::Path(_) => {
                let is_scope = self.ix.external_path(f, c).is_some_and(|p| {
                    let names: Vec<&str> = p.iter().map(|s| s.as_str()).collect();
                    executors::is_scope(&names)
                });
                if !is_scope {
                    return vec![];
                }
                let mut out = vec![];
                for k in self.closures_run_by(f, c) {
                    out.extend(self.spawned_on_scope(k));
                }
                out
            }
            _ => vec![],
        }
    }

    /// The closures scope closure `k` spawns on its scope handle (its first parameter).
    fn spawned_on_scope(&self, k: FnId) -> Vec<FnId> {
        let Some(body) = self.body(k) else {
            return vec![];
        };
        let file = self.ix.fns[k.0 as usize].file;
        let idx = self.ix.fns[k.0 as usize].idx;
        let mut out = vec![];
        for call in &body.calls {
            let on_scope = matches!(&call.receiver, Some(Operand::Place(p))
                if body.places[*p as usize].base == Base::Local { fn_: idx, local: 0 });
            if !on_scope
                || !matches!(&call.callee, Callee::Method(m) if executors::is_spawner(m.as_str()))
            {
                continue;
            }
            for op in &call.args {
                if let Operand::Closure(c) = op {
                    out.push(self.ix.fn_id(file, *c));
                }
            }
        }
        out
    }

    /// The guards held at call event `e` of `f` that a closure passed to the call takes over
    /// (drops, or moves on): they end inside the call, before it waits.
    pub fn taken_by_call(&self, f: FnId, e: u32) -> Vec<HeldRef> {
        let Some((_, c)) = self.call_event(f, e) else {
            return vec![];
        };
        let own = self.ix.fns[f.0 as usize].idx;
        let mut taken_locals = vec![];
        for k in self.closures_run_by(f, c) {
            if let Some(kb) = self.body(k) {
                taken_locals.extend(
                    kb.captured_ends
                        .iter()
                        .filter(|end| end.fn_ == own)
                        .map(|end| end.local),
                );
            }
        }
        self.held_at(f, e)
            .into_iter()
            .filter(|r| {
                r.f == f
                    && self
                        .holder(*r)
                        .local
                        .is_some_and(|l| taken_locals.contains(&l))
            })
            .collect()
    }

    /// Where closure `k` runs: the call in the function it is written in that calls it or is
    /// given it.
    pub fn closure_run_site(&self, k: FnId) -> Option<crate::span::Loc> {
        self.first_call_with_closure(k, |call, me| {
            call.callee == Callee::Closure(me) || Self::takes_closure(call, me)
        })
    }

    /// Where deferred closure `k` (a thread's or a task's body) is handed off, when that
    /// happens once per call of the function it is written in: the call's place, outside any
    /// loop. `None` for a closure that runs in place, or is handed off in a loop.
    pub fn spawned_once_at(&self, k: FnId) -> Option<crate::span::Loc> {
        if !matches!(
            self.ix.func(k).owner,
            FnOwner::Closure { deferred: true, .. }
        ) {
            return None;
        }
        self.first_call_with_closure(k, |call, me| {
            call.loop_depth == 0 && Self::takes_closure(call, me)
        })
    }

    /// Whether `call` is given closure `me` (the parent's local closure index) as an argument
    /// or as its receiver.
    fn takes_closure(call: &CallFact, me: FnIdx) -> bool {
        call.args.contains(&Operand::Closure(me))
            || call.receiver.as_ref() == Some(&Operand::Closure(me))
    }

    /// The place of the first call in closure `k`'s parent function that `pick` accepts,
    /// given the closure's local index there. `None` when `k` is not a closure.
    fn first_call_with_closure(
        &self,
        k: FnId,
        pick: impl Fn(&CallFact, FnIdx) -> bool,
    ) -> Option<crate::span::Loc> {
        let FnOwner::Closure { parent, .. } = self.ix.func(k).owner else {
            return None;
        };
        let parent = self.ix.fn_id(self.ix.fns[k.0 as usize].file, parent);
        let body = self.body(parent)?;
        let me = self.ix.fns[k.0 as usize].idx;
        body.events.iter().find_map(|ev| match ev.kind {
            EventKind::Call(c) => {
                pick(&body.calls[c as usize], me).then(|| self.loc(parent, ev.span))
            }
            _ => None,
        })
    }

    /// A cycle over locks made in one call of one function, whose edges are taken by that
    /// call and by the threads it spawns, where no two edges can be taken at once: the caller's
    /// come before it spawns the thread that takes the others (`{ a, then b }` then
    /// `spawn(move || { b, then a })`). One call's locks are no other call's, so nothing else
    /// can take them.
    pub fn cycle_runs_in_turn(&self, edges: &[&super::graph::Edge]) -> bool {
        use super::locks::LockClass;
        enum Thread {
            Caller(crate::span::Loc),
            Spawned(FnId, crate::span::Loc),
        }
        let Some(LockClass::Local(p, _)) = edges.first().map(|e| &e.from) else {
            return false;
        };
        let p = *p;
        let mut threads = vec![];
        for e in edges {
            let local_of_p = |c: &LockClass| matches!(c, LockClass::Local(q, _) if *q == p);
            if !local_of_p(&e.from) || !local_of_p(&e.to) || !e.also_in.is_empty() {
                return false;
            }
            let f = e.witness.f;
            let Some(&(at, _)) = e.witness.trace.steps.first() else {
                return false;
            };
            if f == p {
                threads.push(Thread::Caller(at));
                continue;
            }
            let FnOwner::Closure {
                parent, deferred, ..
            } = self.ix.func(f).owner
            else {
                return false;
            };
            if self.ix.fn_id(self.ix.fns[f.0 as usize].file, parent) != p {
                return false;
            }
            let site = if deferred {
                self.spawned_once_at(f).map(|s| Thread::Spawned(f, s))
            } else {
                self.closure_run_site(f).map(Thread::Caller)
            };
            match site {
                Some(t) => threads.push(t),
                None => return false,
            }
        }
        let before = |a: &crate::span::Loc, b: &crate::span::Loc| {
            a.file == b.file && (a.span.hi.line, a.span.hi.col) <= (b.span.lo.line, b.span.lo.col)
        };
        let overlap = |a: &Thread, b: &Thread| match (a, b) {
            (Thread::Caller(_), Thread::Caller(_)) => false,
            (Thread::Spawned(k1, _), Thread::Spawned(k2, _)) => k1 != k2,
            (Thread::Caller(at), Thread::Spawned(_, s))
            | (Thread::Spawned(_, s), Thread::Caller(at)) => !before(at, s),
        };
        !threads
            .iter()
            .enumerate()
            .any(|(i, a)| threads[i + 1..].iter().any(|b| overlap(a, b)))
    }
}
