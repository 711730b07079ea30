//! What each call is, as far as holding a guard across it goes: a sleep, a blocking call, a
//! condition variable's wait, or nothing of the kind; and the guards a call is handed. Part of
//! the [`Model`], computed once per call when it is built.

use super::FnId;
use super::model::{CallKind, HeldRef, Model};
use super::types::Ty;
use crate::facts::*;
use crate::intern::Sym;
use crate::known;

impl Model<'_> {
    /// What call `c` of `f` is, as far as holding a guard across it goes (the call itself; see
    /// the callee's summary for what it does inside).
    pub fn call_kind(&self, f: FnId, c: CallIdx) -> &CallKind {
        &self.kinds[f.0 as usize][c as usize]
    }

    pub(super) fn classify(&self, f: FnId, c: CallIdx) -> CallKind {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return CallKind::Other;
        };
        let call = &body.calls[c as usize];
        match &call.callee {
            Callee::Path(_) => {
                if !self.callees(f, c).is_empty() {
                    return CallKind::Other;
                }
                let Some(path) = self.ix.external_path(f, c) else {
                    return CallKind::Other;
                };
                match self.api.sleep_fn(&path) {
                    // A timer future sleeps where it is awaited, not where it is made.
                    Some((known::blocking::Sleep::Timer, _)) if !call.awaited => {
                        return CallKind::Other;
                    }
                    Some(_) => return CallKind::Sleep,
                    None => {}
                }
                if let Some((what, _)) = self.api.blocking_fn(&path) {
                    return CallKind::Blocking(what);
                }
                CallKind::Other
            }
            Callee::Method(name) => {
                let unresolved = self.callees(f, c).is_empty();
                if unresolved && self.api.configured_sleep_method(*name) {
                    return CallKind::Sleep;
                }
                if unresolved && !call.awaited && self.api.configured_blocking_method(*name) {
                    return CallKind::Blocking(known::CONFIGURED_BLOCKING);
                }
                if call.awaited || !unresolved {
                    return CallKind::Other;
                }
                let recv_ty = self.receiver_type(f, c);
                // `cv.wait(guard)`: blocks until another thread notifies (the guard given to it
                // is released meanwhile; other guards stay held).
                if known::locks::is_condvar_blocking_wait(name.as_str(), call.args.len()) {
                    let condvar = match recv_ty.peel() {
                        Ty::Unknown => self.passes_guard(f, c),
                        t => t.is_external_condvar(),
                    };
                    if condvar {
                        return CallKind::Blocking("a condition variable's `wait`");
                    }
                }
                if let Some(what) = known::blocking::blocking_method(name.as_str(), call.args.len())
                {
                    // A type of ours, or a receiver that is not what the name suggests.
                    return match recv_ty.peel() {
                        Ty::Struct(..) | Ty::Container(_) | Ty::Lock(..) => CallKind::Other,
                        // `inbox.recv()` on an `impl Inbox` of the crate's own trait.
                        Ty::Bounds(traits) if self.ix.traits_declare(traits, *name) => {
                            CallKind::Other
                        }
                        Ty::External(p, _)
                            if !known::blocking::blocking_receiver(name.as_str(), p) =>
                        {
                            CallKind::Other
                        }
                        _ => CallKind::Blocking(what),
                    };
                }
                if known::blocking::io_method(name.as_str())
                    && let Ty::External(p, _) = recv_ty.peel()
                    && p.last()
                        .is_some_and(|n| known::blocking::io_receiver(n.as_str()))
                {
                    return CallKind::Blocking(known::blocking::io_what(name.as_str()));
                }
                CallKind::Other
            }
            _ => CallKind::Other,
        }
    }

    /// Does call `c` of `f` pass a guard (or a binding holding one, or a reference to it)?
    fn passes_guard(&self, f: FnId, c: CallIdx) -> bool {
        !self.guards_passed(f, c).is_empty()
    }

    /// The guards call `c` of `f` is given: by value, or as a binding (or a reference to one)
    /// that holds them (`cv.wait(g)`, `cv.wait(&mut g)`).
    pub fn guards_passed(&self, f: FnId, c: CallIdx) -> Vec<HeldRef> {
        let Some(body) = self.ix.func(f).body.as_ref() else {
            return vec![];
        };
        let own = self.ix.fns[f.0 as usize].idx;
        let mut out = vec![];
        for op in &body.calls[c as usize].args {
            // The binding passed (a guard may have come to it on several paths), or the guard.
            let local = match op {
                Operand::Guard(h) => match body.holders[*h as usize].local {
                    Some(l) => Some(l),
                    None => {
                        out.push(HeldRef { f, h: *h });
                        None
                    }
                },
                Operand::Place(p) => {
                    let place = &body.places[*p as usize];
                    match place.base {
                        Base::Local { fn_, local } if fn_ == own && place.proj.is_empty() => {
                            Some(local)
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(local) = local {
                for (h, holder) in body.holders.iter().enumerate() {
                    if holder.local == Some(local) {
                        out.push(HeldRef {
                            f,
                            h: h as HolderIdx,
                        });
                    }
                }
            }
        }
        out
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
                    // `thread::spawn(..)` returns a `JoinHandle`, not a `thread`.
                    if let Some(ty) = known::blocking::returned_type(&p) {
                        return Some(ty.iter().map(|s| Sym::new(s)).collect());
                    }
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
