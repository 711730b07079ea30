//! Function summaries: what calling a function may do, as seen from its caller.
//!
//! A summary lists the locks a function may take (directly, or through the functions it calls),
//! whether it may sleep or block, which lock's guard it returns, which locks it holds while it
//! calls a closure it was given, and the lock orders it establishes between locks it was given.
//! Locks are described relative to the function: an instance reached from `self` or from a
//! parameter is rewritten, at each call, into the caller's terms (the receiver, the argument),
//! so `other.deposit(x)` locks `other.balance`, not `self.balance`.
//!
//! Summaries are computed with a worklist over the reverse call graph: a function is revisited
//! when a callee's summary grows. Summaries only grow and are capped, so recursion terminates.

use super::locks::{HeldLock, Instance, InstanceBase, LockClass};
use super::{FnId, Index};
use crate::facts::*;
use crate::span::Loc;

/// Entries beyond this many are not added to a summary (keeps pathological code linear).
const MAX_ENTRIES: usize = 48;
/// Call-chain steps kept in a trace.
const MAX_TRACE: usize = 6;

/// What happens at a step of a trace. Names are rendered only when a diagnostic is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Calls(FnId),
    /// A value (named as written) goes out of scope and this destructor (`impl Drop`) runs.
    Drops(FnId, std::rc::Rc<str>),
    CallsClosure,
    Locks(std::rc::Rc<str>),
    Sleeps,
    BlocksOn(&'static str),
}

/// Where something happens, from a function's entry: the calls that lead there, then the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub steps: Vec<(Loc, Step)>,
}

impl Trace {
    pub fn at(loc: Loc, step: Step) -> Trace {
        Trace {
            steps: vec![(loc, step)],
        }
    }

    /// This trace seen from a call (at `call`) to the function it starts in.
    pub fn through(&self, call: Loc, callee: FnId) -> Trace {
        self.through_step(call, Step::Calls(callee))
    }

    /// This trace seen from the step (a call, a drop) that enters the function it starts in.
    pub fn through_step(&self, call: Loc, step: Step) -> Trace {
        let mut steps = Vec::with_capacity(self.steps.len().min(MAX_TRACE - 1) + 1);
        steps.push((call, step));
        steps.extend(self.steps.iter().take(MAX_TRACE - 1).cloned());
        Trace { steps }
    }

    pub fn site(&self) -> Loc {
        self.steps.last().map(|s| s.0).unwrap_or(Loc {
            file: crate::span::FileId(0),
            span: Default::default(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct SumLock {
    pub lock: HeldLock,
    pub trace: Trace,
}

/// The function calls its parameter `param` (a closure it was given) while holding `held`; the
/// trace leads to where it calls it.
#[derive(Clone, Debug)]
pub struct ParamCall {
    pub param: u16,
    pub held: Vec<SumLock>,
    pub trace: Trace,
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub acquires: Vec<SumLock>,
    /// May sleep: how, and where.
    pub sleeps: Option<Trace>,
    /// May block: on what, and where.
    pub blocks: Option<(&'static str, Trace)>,
    /// The lock whose guard the function returns.
    pub returns: Option<SumLock>,
    /// Calls its parameter (a closure) while holding locks.
    pub param_calls: Vec<ParamCall>,
    /// "Holding the first, takes the second", where one of them is reached from a parameter or
    /// `self`: an order the caller's arguments decide.
    pub edges: Vec<(SumLock, SumLock)>,
    /// Locks taken while the guard given as parameter `i` (`g: MutexGuard<T>`) is still held:
    /// at a call that moves a guard there, they are taken under the caller's guard.
    pub under_given: Vec<(u16, SumLock)>,
    /// Starts work on another thread or task (a closure handed to `thread::spawn` and the like),
    /// here or in a function it calls.
    pub spawns: bool,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.acquires.is_empty()
            && self.sleeps.is_none()
            && self.blocks.is_none()
            && self.returns.is_none()
            && self.param_calls.is_empty()
            && self.edges.is_empty()
            && self.under_given.is_empty()
            && !self.spawns
    }
}

/// Same lock, same way of reaching it: one entry is enough.
pub fn same_entry(a: &HeldLock, b: &HeldLock) -> bool {
    a.class == b.class && a.instance == b.instance && a.mode == b.mode && a.is_try == b.is_try
}

/// Whether an instance is relative to the function (reached from `self` or a parameter).
pub fn is_relative(i: &Instance) -> bool {
    matches!(i.base, InstanceBase::SelfValue | InstanceBase::Param(_))
}

impl Index {
    /// A step in words: "calls `notify_change`", "locks `self.value`".
    pub fn step_text(&self, step: &Step) -> String {
        match step {
            Step::Calls(f) => format!("calls {}", self.fn_phrase(*f)),
            Step::Drops(f, what) => format!("drops `{what}`, running {}", self.fn_phrase(*f)),
            Step::CallsClosure => "calls the closure".to_string(),
            Step::Locks(t) => format!("locks `{t}`"),
            Step::Sleeps => "sleeps".to_string(),
            Step::BlocksOn(w) => format!("blocks on {w}"),
        }
    }

    /// A trace's steps in words.
    pub fn trace_text(&self, t: &Trace) -> Vec<(Loc, String)> {
        t.steps
            .iter()
            .map(|(l, s)| (*l, self.step_text(s)))
            .collect()
    }

    /// Where parameter `param` of `callee` is among `call`'s arguments: a method called as
    /// `x.m(a)` has its parameters after the receiver; a path call `Type::m(&x, a)` passes
    /// `self` as the first argument.
    pub fn arg_index(&self, call: &CallFact, callee: FnId, param: u16) -> usize {
        let callee_has_self = self.func(self.outer_fn(callee)).receiver.is_some();
        match (&call.callee, callee_has_self) {
            (Callee::Path(_), true) => param as usize + 1,
            _ => param as usize,
        }
    }

    /// The guard parameter a function hands back, if it returns one (`fn stamp(g: MutexGuard<T>)
    /// -> MutexGuard<T> { … g }`).
    pub fn returned_param(&self, f: FnId) -> Option<u16> {
        let body = self.func(f).body.as_ref()?;
        body.returns.iter().find_map(|op| match op {
            Operand::Guard(h) => match body.holders[*h as usize].kind {
                HolderKind::Param(i) => Some(i),
                _ => None,
            },
            _ => None,
        })
    }

    /// Rewrites a lock described inside `callee` into the terms of call `c` of `f`. `None` when
    /// the instance cannot be followed (the receiver or argument is not a known place).
    pub fn map_lock(&self, f: FnId, c: CallIdx, callee: FnId, l: &HeldLock) -> Option<HeldLock> {
        let body = self.func(f).body.as_ref()?;
        let call = &body.calls[c as usize];
        // A closure of the same function sees the same `self` and parameters.
        if self.outer_fn(callee) == self.outer_fn(f) {
            return Some(l.clone());
        }
        if let Callee::Stored(_) = call.callee {
            return self.map_stored_lock(f, call, callee, l);
        }
        let operand_base = |op: &Operand| -> Option<CallerBase> {
            match op {
                Operand::Place(p) => {
                    let info = self.place_info(f, &body.places[*p as usize]);
                    Some(CallerBase {
                        instance: info.instance,
                        class: info.class,
                        text: info.text,
                    })
                }
                Operand::Guard(h) => Some(CallerBase {
                    instance: Instance {
                        base: InstanceBase::Guard(f, *h),
                        path: vec![],
                    },
                    class: None,
                    text: body.holders[*h as usize]
                        .binding
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_else(|| "_".into()),
                }),
                _ => None,
            }
        };
        let base = match &l.instance.base {
            InstanceBase::SelfValue => match &call.callee {
                Callee::Method(_) | Callee::Drop => operand_base(call.receiver.as_ref()?)?,
                // `Type::method(&x, ..)`: the first argument is `self`.
                Callee::Path(_) => operand_base(call.args.first()?)?,
                _ => return None,
            },
            InstanceBase::Param(i) => {
                operand_base(call.args.get(self.arg_index(call, callee, *i))?)?
            }
            // A static, or a lock the callee made or reached on its own, stays what it is.
            _ => return Some(l.clone()),
        };
        Some(rebase(l, base))
    }
}

impl Index {
    /// Rewrites a lock taken by a closure stored in a struct literal into the terms of a call
    /// through the field (`(self.on_full)()`): a value the closure captured that the literal
    /// also stored in a field (`Spool { data, on_full: Box::new(move || hook_data.lock()) }`
    /// with `hook_data` a clone of `data`) is that field of the receiver (`self.data`). A lock
    /// of the literal's function's own `self` or parameters cannot be followed.
    fn map_stored_lock(
        &self,
        f: FnId,
        call: &CallFact,
        closure: FnId,
        l: &HeldLock,
    ) -> Option<HeldLock> {
        if !matches!(l.instance.base, InstanceBase::Local(..)) {
            return match l.instance.base {
                InstanceBase::SelfValue | InstanceBase::Param(_) => None,
                _ => Some(l.clone()),
            };
        }
        let (owner, sc) = self.stored_in(closure)?;
        let owner_body = self.func(owner).body.as_ref()?;
        let body = self.func(f).body.as_ref()?;
        for (field, p) in &sc.fields {
            let stored = self.place_info(owner, &owner_body.places[*p as usize]);
            if stored.instance.base != l.instance.base
                || !l.instance.path.starts_with(&stored.instance.path)
            {
                continue;
            }
            let Some(Operand::Place(r)) = &call.receiver else {
                return None;
            };
            let recv = self.place_info(f, &body.places[*r as usize]);
            let rest = &l.instance.path[stored.instance.path.len()..];
            let mut path = recv.instance.path;
            path.push(Proj::Field(*field));
            path.extend(rest.iter().cloned());
            let mut out = l.clone();
            if rest.is_empty() {
                let super::types::Ty::Struct(id, _) = recv.ty.peel() else {
                    return None;
                };
                out.class = LockClass::Field {
                    owner: *id,
                    field: *field,
                    elem: false,
                };
            }
            let tail = l
                .text
                .split_once('.')
                .map(|(_, r)| format!(".{r}"))
                .filter(|_| !rest.is_empty())
                .unwrap_or_default();
            out.text = format!("{}.{field}{tail}", recv.text);
            out.instance = Instance {
                base: recv.instance.base,
                path,
            };
            return Some(out);
        }
        // A lock the closure made or reached on its own.
        Some(l.clone())
    }
}

/// What a caller has for the base (`self`, a parameter) a callee's lock is reached from: the
/// receiver or argument's instance, lock class and text.
pub struct CallerBase {
    pub instance: Instance,
    pub class: Option<LockClass>,
    pub text: String,
}

/// Rewrites a lock described inside a callee, relative to its `self` or a parameter, into the
/// caller's terms: `self.value` in `deposit` is `other.value` at `other.deposit(x)`. The one
/// place a callee's lock becomes the caller's.
pub fn rebase(l: &HeldLock, base: CallerBase) -> HeldLock {
    let mut out = l.clone();
    let mut path = base.instance.path;
    path.extend(l.instance.path.iter().cloned());
    out.instance = Instance {
        base: base.instance.base,
        path,
    };
    // A lock passed in as the parameter (or that `self` is) is the argument's lock.
    if l.instance.path.is_empty()
        && matches!(l.class, LockClass::Param(..) | LockClass::Text(..))
        && let Some(c) = base.class
    {
        out.class = c;
    }
    // Rewrite the text: `self.value` in the callee is `other.value` here.
    let rest = l
        .text
        .split_once('.')
        .map(|(_, r)| format!(".{r}"))
        .unwrap_or_default();
    out.text = if l.instance.path.is_empty() && matches!(l.class, LockClass::Param(..)) {
        base.text
    } else {
        format!("{}{rest}", base.text)
    };
    out
}

fn push_lock(v: &mut Vec<SumLock>, l: SumLock) -> bool {
    if v.len() >= MAX_ENTRIES || v.iter().any(|x| same_entry(&x.lock, &l.lock)) {
        return false;
    }
    v.push(l);
    true
}

fn push_edge(v: &mut Vec<(SumLock, SumLock)>, a: SumLock, b: SumLock) -> bool {
    if v.len() >= MAX_ENTRIES
        || v.iter()
            .any(|(x, y)| same_entry(&x.lock, &a.lock) && same_entry(&y.lock, &b.lock))
    {
        return false;
    }
    v.push((a, b));
    true
}

/// Merges `add` into `into`; returns whether anything was added.
pub fn merge(into: &mut Summary, add: Summary) -> bool {
    let mut changed = false;
    for l in add.acquires {
        changed |= push_lock(&mut into.acquires, l);
    }
    if into.sleeps.is_none() && add.sleeps.is_some() {
        into.sleeps = add.sleeps;
        changed = true;
    }
    if into.blocks.is_none() && add.blocks.is_some() {
        into.blocks = add.blocks;
        changed = true;
    }
    if add.spawns && !into.spawns {
        into.spawns = true;
        changed = true;
    }
    if into.returns.is_none() && add.returns.is_some() {
        into.returns = add.returns;
        changed = true;
    }
    for pc in add.param_calls {
        match into.param_calls.iter_mut().find(|q| q.param == pc.param) {
            Some(q) => {
                for l in pc.held {
                    changed |= push_lock(&mut q.held, l);
                }
            }
            None => {
                into.param_calls.push(pc);
                changed = true;
            }
        }
    }
    for (a, b) in add.edges {
        changed |= push_edge(&mut into.edges, a, b);
    }
    for (i, l) in add.under_given {
        if into.under_given.len() < MAX_ENTRIES
            && !into
                .under_given
                .iter()
                .any(|(j, x)| *j == i && same_entry(&x.lock, &l.lock))
        {
            into.under_given.push((i, l));
            changed = true;
        }
    }
    changed
}
