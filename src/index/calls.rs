//! Call resolution: which functions of the unit a call may run, and the canonical path of a
//! call that leaves the scanned code (`std::thread::sleep`).

use super::types::Ty;
use super::{FnId, Index, Ns, Res, StructId};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known;

impl Index {
    /// The functions of the unit call `c` of `f` may run. Empty when unknown.
    pub fn callees(&self, f: FnId, c: CallIdx) -> Vec<FnId> {
        let Some(body) = self.func(f).body.as_ref() else {
            return vec![];
        };
        let call = &body.calls[c as usize];
        let file = self.fns[f.0 as usize].file;
        match &call.callee {
            Callee::Closure(idx) => vec![self.fn_id(file, *idx)],
            Callee::Path(segs) => self.path_callees(f, segs),
            Callee::Stored(name) => match self.receiver_type(f, call).peel() {
                Ty::Struct(id, _) => self.stored_closures(*id, *name).to_vec(),
                _ => vec![],
            },
            Callee::Method(name) => {
                let recv_ty = self.receiver_type(f, call);
                match recv_ty.peel() {
                    Ty::Struct(id, _) => self.method_of(*id, *name),
                    Ty::Lock(lt, _) => self.ext_method(Sym::new(lt.name()), *name),
                    Ty::External(p, _)
                        if p.last()
                            .is_some_and(|t| !self.ext_method(*t, *name).is_empty()) =>
                    {
                        self.ext_method(*p.last().unwrap_or(&sym::EMPTY), *name)
                    }
                    _ => {
                        // `self.helper()` in a trait's default method: the trait's own method.
                        let is_self = matches!(&call.receiver, Some(Operand::Place(p)) if body.places[*p as usize].base == Base::SelfValue);
                        if is_self && matches!(self.func(self.outer_fn(f)).owner, FnOwner::Trait(_))
                        {
                            self.same_trait_methods(self.outer_fn(f), *name)
                        } else {
                            vec![]
                        }
                    }
                }
            }
            Callee::Drop => match &call.receiver {
                Some(Operand::Place(p)) => {
                    let place = &body.places[*p as usize];
                    match self.dropped_type(f, place, 0) {
                        Some(ty) => {
                            let glue = self.drop_glue(&ty);
                            if glue.is_empty() || self.consumed_by_method(f, place) {
                                vec![]
                            } else {
                                glue
                            }
                        }
                        None => vec![],
                    }
                }
                _ => vec![],
            },
            Callee::Param(_) | Callee::Unknown => vec![],
        }
    }

    /// The type of a call's receiver (a place or a guard), in function `f`.
    pub fn receiver_type(&self, f: FnId, call: &CallFact) -> Ty {
        let Some(body) = self.func(f).body.as_ref() else {
            return Ty::Unknown;
        };
        match &call.receiver {
            Some(Operand::Place(p)) => self.place_info(f, &body.places[*p as usize]).ty,
            Some(Operand::Guard(h)) => {
                self.place_info(
                    f,
                    &Place {
                        base: Base::Guard(*h),
                        proj: vec![],
                        span: Default::default(),
                    },
                )
                .ty
            }
            _ => Ty::Unknown,
        }
    }

    /// The type of the value a place (a local or a parameter, whole) owns, when it surely owns
    /// one: a parameter or an annotated local by value, a local made by a visible constructor,
    /// by a call to functions of the unit that return a value (not a reference), or moved from
    /// another such place. `None` for what may be a reference.
    fn dropped_type(&self, f: FnId, p: &Place, depth: u32) -> Option<Ty> {
        if !p.proj.is_empty() || depth > 4 {
            return None;
        }
        let owned = |t: &TypeFact| {
            matches!(
                t,
                TypeFact::Path(_) | TypeFact::Tuple(_) | TypeFact::Array(_)
            )
        };
        let file = self.fns[f.0 as usize].file;
        let sure = match &p.base {
            Base::Param(i) => {
                let outer = self.outer_fn(f);
                self.func(outer)
                    .params
                    .get(*i as usize)
                    .is_some_and(|pf| owned(&pf.ty))
            }
            Base::Local { fn_, local } => {
                let owner = self.fn_id(file, *fn_);
                let body = self.func(owner).body.as_ref()?;
                let l = body.locals.get(*local as usize)?;
                if let Some(ty) = &l.ty {
                    owned(ty)
                } else if let Some(c) = l.init_call {
                    let callees = self.callees(owner, c);
                    !callees.is_empty()
                        && callees
                            .iter()
                            .all(|&g| self.func(g).ret.as_ref().is_some_and(owned))
                } else if let Some(a) = l.alias_of {
                    self.dropped_type(owner, &body.places[a as usize], depth + 1)
                        .is_some()
                } else {
                    false
                }
            }
            _ => false,
        };
        sure.then(|| self.place_info(f, p).ty)
    }

    /// Does a call of `f` hand the value of `place` (whole) to a method of the unit that takes
    /// `self` by value? Then the method, not the end of the binding, drops it.
    fn consumed_by_method(&self, f: FnId, place: &Place) -> bool {
        let Some(body) = self.func(f).body.as_ref() else {
            return false;
        };
        body.calls.iter().enumerate().any(|(c, call)| {
            matches!(call.callee, Callee::Method(_))
                && matches!(&call.receiver, Some(Operand::Place(q))
                    if body.places[*q as usize].base == place.base
                        && body.places[*q as usize].proj.is_empty())
                && self
                    .callees(f, c as CallIdx)
                    .iter()
                    .any(|&g| self.func(g).receiver == Some(Receiver::Value))
        })
    }

    /// The `Drop` impls that run when a value of type `ty` is dropped: its own, its fields'
    /// (not through references), and those of what the wrappers and containers that own their
    /// content hold, a few levels deep.
    pub fn drop_glue(&self, ty: &Ty) -> Vec<FnId> {
        let mut out = vec![];
        if !self.drop_impls.is_empty() {
            self.glue(ty, 0, &mut out);
        }
        out
    }

    fn glue(&self, ty: &Ty, depth: u32, out: &mut Vec<FnId>) {
        if depth > 4 {
            return;
        }
        match ty {
            Ty::Struct(id, _) => {
                for &d in self.drop_impls.get(id).into_iter().flatten() {
                    if !out.contains(&d) {
                        out.push(d);
                    }
                }
                let (s, _) = self.struct_facts(*id);
                for field in &s.fields {
                    if matches!(field.ty, TypeFact::Ref(_) | TypeFact::Ptr(_)) {
                        continue;
                    }
                    self.glue(&self.field_type(ty, field.name), depth + 1, out);
                }
            }
            Ty::Wrapper(name, inner) if known::flow::drops_content(name.as_str()) => {
                self.glue(inner, depth + 1, out)
            }
            Ty::Container(e) | Ty::Lock(_, e) => self.glue(e, depth + 1, out),
            Ty::Tuple(ts) => ts.iter().for_each(|t| self.glue(t, depth + 1, out)),
            _ => {}
        }
    }

    /// Methods of the unit's impls of its traits for a type from outside the unit, named by
    /// the type's last segment (`RwLock`).
    pub fn ext_method(&self, ty: Sym, name: Sym) -> Vec<FnId> {
        self.ext_methods
            .get(&(ty, name))
            .cloned()
            .unwrap_or_default()
    }

    /// Methods named `name` callable on `id`: its impls, then default methods of traits it
    /// implements.
    pub fn method_of(&self, id: StructId, name: Sym) -> Vec<FnId> {
        if let Some(ms) = self.methods.get(&(id, name)) {
            return ms.clone();
        }
        let Some(defaults) = self.trait_methods.get(&name) else {
            return vec![];
        };
        let implemented = self.traits_of(id);
        defaults
            .iter()
            .copied()
            .filter(|&d| match self.func(d).owner {
                FnOwner::Trait(t) => {
                    let tname = self.fn_file(d).facts.traits[t as usize].name;
                    implemented.contains(&tname)
                }
                _ => false,
            })
            .collect()
    }

    /// Names of the traits a struct implements (worked out once per struct).
    fn traits_of(&self, id: StructId) -> Vec<Sym> {
        if let Some(known) = self.traits_cache.borrow().get(&id) {
            return known.clone();
        }
        let out = self.traits_of_uncached(id);
        self.traits_cache.borrow_mut().insert(id, out.clone());
        out
    }

    fn traits_of_uncached(&self, id: StructId) -> Vec<Sym> {
        let mut out = vec![];
        for f in &self.files {
            for imp in &f.facts.impls {
                let Some(tp) = &imp.trait_path else { continue };
                let module = f.mods[imp.module as usize];
                if self.struct_of_type(&imp.self_ty, module) == Some(id)
                    && let Some(last) = tp.last()
                {
                    out.push(last.name);
                }
            }
        }
        out
    }

    fn same_trait_methods(&self, f: FnId, name: Sym) -> Vec<FnId> {
        let FnOwner::Trait(t) = self.func(f).owner else {
            return vec![];
        };
        let file = self.fns[f.0 as usize].file;
        self.trait_methods
            .get(&name)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&d| {
                        self.fns[d.0 as usize].file == file
                            && self.func(d).owner == FnOwner::Trait(t)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn path_callees(&self, f: FnId, segs: &[Sym]) -> Vec<FnId> {
        let module = self.fn_module(f);
        // `Self::f(..)`
        if segs.len() == 2 && segs[0] == sym::SELF_TYPE {
            return match self.self_type(f).peel() {
                Ty::Struct(id, _) => self.method_of(*id, segs[1]),
                _ => self.same_trait_methods(self.outer_fn(f), segs[1]),
            };
        }
        let mut out = vec![];
        for r in self.resolve(module, segs, Ns::Value) {
            match r {
                Res::Fn(id) => out.push(id),
                // `Type::f(..)`: resolution stopped at the type.
                Res::Struct(id) => {
                    if let Some(&name) = segs.last() {
                        out.extend(self.method_of(id, name));
                    }
                }
                _ => {}
            }
        }
        if out.is_empty() && segs.len() >= 2 {
            // `Type::f` where `Type` resolves in the type namespace.
            let ty_path = &segs[..segs.len() - 1];
            for r in self.resolve(module, ty_path, Ns::Type) {
                if let Res::Struct(id) = r {
                    out.extend(self.method_of(id, segs[segs.len() - 1]));
                }
            }
        }
        out
    }

    /// The canonical path of a call to something outside the unit (`std::thread::sleep`).
    pub fn external_path(&self, f: FnId, c: CallIdx) -> Option<Box<[Sym]>> {
        let body = self.func(f).body.as_ref()?;
        let Callee::Path(segs) = &body.calls[c as usize].callee else {
            return None;
        };
        let module = self.fn_module(f);
        let resolved = self.resolve(module, segs, Ns::Value);
        if resolved.is_empty() {
            // Unresolved: keep it as written (`sleep` with no import resolves to nothing).
            return if segs.len() > 1 {
                Some(segs.clone())
            } else {
                None
            };
        }
        resolved.into_iter().find_map(|r| match r {
            Res::External(p) => Some(p),
            _ => None,
        })
    }
}
