//! Call resolution: which functions of the unit a call may run, and the canonical path of a
//! call that leaves the scanned code (`std::thread::sleep`).

use super::types::Ty;
use super::{FnId, Index, Ns, Res, StructId};
use crate::facts::*;
use crate::intern::{Sym, sym};

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

    /// Names of the traits a struct implements.
    fn traits_of(&self, id: StructId) -> Vec<Sym> {
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
