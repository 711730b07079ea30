//! The lock model applied to a unit: for every function, which holders are guards of which
//! locks, which guards are held at each event, and what each call does. Rules read this and
//! nothing else.

use super::known;
use super::locks::HeldLock;
use super::types::Ty;
use super::{FnId, Index};
use crate::facts::*;
use crate::intern::Sym;
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

/// What the user's configuration adds to [`known`]: functions and methods that sleep or block.
#[derive(Clone, Debug, Default)]
pub struct ModelOptions {
    /// Canonical paths of functions that sleep (config `sleep-functions`).
    pub sleep_fns: Vec<Box<[Sym]>>,
    /// Method names that sleep, awaited or not.
    pub sleep_methods: Vec<Sym>,
    /// Canonical paths of functions that block (config `blocking-functions`).
    pub blocking_fns: Vec<Box<[Sym]>>,
    /// Method names that block when not awaited.
    pub blocking_methods: Vec<Sym>,
}

/// How a configured blocking call is described in messages.
pub const CONFIGURED_BLOCKING: &str = "listed in `blocking-functions`";

pub struct Model<'i> {
    pub ix: &'i Index,
    opts: ModelOptions,
    /// Per function (by `FnId`), the lock of each holder, if it is a guard.
    locks: Vec<Vec<Option<HeldLock>>>,
    /// Per closure, guards of the enclosing function held whenever it runs.
    inherited: Vec<Vec<HeldRef>>,
}

impl<'i> Model<'i> {
    pub fn new(ix: &'i Index) -> Model<'i> {
        Model::with_options(ix, ModelOptions::default())
    }

    pub fn with_options(ix: &'i Index, opts: ModelOptions) -> Model<'i> {
        let n = ix.fns.len();
        let mut locks = Vec::with_capacity(n);
        for i in 0..n {
            let f = FnId(i as u32);
            let v = match ix.func(f).body.as_ref() {
                Some(body) => (0..body.holders.len() as HolderIdx)
                    .map(|h| ix.held_lock(f, h))
                    .collect(),
                None => vec![],
            };
            locks.push(v);
        }
        let mut m = Model {
            ix,
            opts,
            locks,
            inherited: vec![vec![]; n],
        };
        // Parents come before their closures in each file's list, so one pass suffices.
        for i in 0..n {
            let f = FnId(i as u32);
            if let FnOwner::Closure {
                parent, deferred, ..
            } = ix.func(f).owner
            {
                let file = ix.fns[i].file;
                let parent = ix.fn_id(file, parent);
                let local = ix.fns[i].idx;
                m.inherited[i] = m.held_where_invoked(parent, local, deferred);
            }
        }
        m
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
                if body.intervals[start as usize..(start + len) as usize]
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
        out.extend(self.inherited[f.0 as usize].iter().copied());
        out
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
    /// is what the lock is for.
    pub fn receiver_guard(&self, f: FnId, c: CallIdx) -> Option<HeldRef> {
        let body = self.ix.func(f).body.as_ref()?;
        match body.calls[c as usize].receiver.as_ref()? {
            Operand::Guard(h) => Some(HeldRef { f, h: *h }),
            Operand::Place(p) => match body.places[*p as usize].base {
                Base::Guard(h) => Some(HeldRef { f, h }),
                _ => None,
            },
            _ => None,
        }
    }

    /// What call `c` of `f` is, as far as holding a guard across it goes.
    pub fn call_kind(&self, f: FnId, c: CallIdx) -> CallKind {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return CallKind::Other;
        };
        let call = &body.calls[c as usize];
        match &call.callee {
            Callee::Path(_) => {
                let Some(path) = self.ix.external_path(f, c) else {
                    return CallKind::Other;
                };
                if known::is_sleep(&path) || self.opts.sleep_fns.iter().any(|p| **p == *path) {
                    return CallKind::Sleep;
                }
                if let Some(what) = known::is_blocking_fn(&path) {
                    return CallKind::Blocking(what);
                }
                if self.opts.blocking_fns.iter().any(|p| **p == *path) {
                    return CallKind::Blocking(CONFIGURED_BLOCKING);
                }
                CallKind::Other
            }
            Callee::Method(name) => {
                let unresolved = self.ix.callees(f, c).is_empty();
                if unresolved && self.opts.sleep_methods.contains(name) {
                    return CallKind::Sleep;
                }
                if unresolved && !call.awaited && self.opts.blocking_methods.contains(name) {
                    return CallKind::Blocking(CONFIGURED_BLOCKING);
                }
                if call.awaited || !unresolved {
                    return CallKind::Other;
                }
                let recv_ty = self.receiver_type(f, c);
                if let Some(what) = known::blocking_method(name.as_str(), call.args.len()) {
                    // A type of ours, or a receiver that is not what the name suggests.
                    return match recv_ty.peel() {
                        Ty::Struct(..) | Ty::Container(_) | Ty::Lock(..) => CallKind::Other,
                        Ty::External(p, _) if !blocking_receiver(name.as_str(), p) => {
                            CallKind::Other
                        }
                        _ => CallKind::Blocking(what),
                    };
                }
                if known::io_method(name.as_str())
                    && let Ty::External(p, _) = recv_ty.peel()
                    && p.last().is_some_and(|n| known::io_receiver(n.as_str()))
                {
                    return CallKind::Blocking(io_what(name.as_str()));
                }
                CallKind::Other
            }
            _ => CallKind::Other,
        }
    }

    fn receiver_type(&self, f: FnId, c: CallIdx) -> Ty {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return Ty::Unknown;
        };
        match body.calls[c as usize].receiver.as_ref() {
            Some(Operand::Place(p)) => {
                let place = &body.places[*p as usize];
                // `File::open(p)?.read_to_string(..)`, `Command::new(..).arg(..).output()`
                if let Base::Call(inner) = place.base
                    && place.proj.is_empty()
                    && let Some(root) = self.chain_root_path(f, inner)
                {
                    return Ty::External(root, vec![]);
                }
                self.ix.place_info(f, place).ty
            }
            _ => Ty::Unknown,
        }
    }

    /// For a builder chain `Type::new(..).a(..).b(..)`, the path of `Type`.
    fn chain_root_path(&self, f: FnId, mut c: CallIdx) -> Option<Box<[Sym]>> {
        let body = self.ix.func(f).body.as_ref()?;
        for _ in 0..32 {
            let call = &body.calls[c as usize];
            match &call.callee {
                Callee::Path(_) => {
                    let p = self.ix.external_path(f, c)?;
                    return (p.len() >= 2).then(|| p[..p.len() - 1].into());
                }
                Callee::Method(_) => match call.receiver.as_ref()? {
                    Operand::Place(p) => {
                        let place = &body.places[*p as usize];
                        match place.base {
                            Base::Call(inner) if place.proj.is_empty() => c = inner,
                            _ => return None,
                        }
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
        None
    }
}

/// Whether a known external receiver type makes a blocking-by-name method really block.
fn blocking_receiver(method: &str, path: &[Sym]) -> bool {
    let name = path.last().map(|s| s.as_str()).unwrap_or("");
    // Async runtimes' channels and handles are awaited, not blocked on.
    let krate = path
        .iter()
        .map(|s| s.as_str())
        .find(|s| !s.is_empty())
        .unwrap_or("");
    if matches!(
        krate,
        "tokio"
            | "async_std"
            | "futures"
            | "futures_util"
            | "async_channel"
            | "smol"
            | "async_broadcast"
    ) {
        return false;
    }
    match method {
        "join" => name.contains("JoinHandle") || name == "ScopedJoinHandle",
        "recv" | "recv_timeout" | "recv_deadline" => name.contains("Receiver"),
        "wait" => matches!(name, "Barrier" | "Child" | "WaitGroup"),
        "accept" => name.contains("Listener"),
        "read_line" => matches!(name, "Stdin" | "StdinLock" | "BufReader"),
        "blocking_recv" | "blocking_send" => true,
        "block_on" => true,
        _ => false,
    }
}

fn io_what(method: &str) -> &'static str {
    match method {
        "output" | "status" | "wait" | "wait_with_output" => "process wait",
        "accept" | "connect" | "incoming" => "network call",
        "recv" | "recv_from" | "send" | "send_to" => "socket I/O",
        _ => "blocking I/O",
    }
}
