//! Types as the index understands them: written types resolved against the unit, and the type
//! of a place (`self.inner.state`, a local, a static, a call's result).

use super::{FnId, Index, ModId, Ns, Res, StructId};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known::{self, LockType};

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Struct(StructId, Vec<Ty>),
    Lock(LockType, Box<Ty>),
    /// A guard type; the payload is what it dereferences to.
    Guard(Box<Ty>),
    /// `Arc<T>`, `Box<T>`, `Option<T>`, `OnceLock<T>`, … (see [`known::locks::is_transparent`]).
    Wrapper(Sym, Box<Ty>),
    /// `Vec<T>`, `HashMap<K, V>`, arrays and slices: indexing gives the element.
    Container(Box<Ty>),
    /// Some other type from outside the scanned code, by canonical path.
    External(Box<[Sym]>, Vec<Ty>),
    /// A generic parameter.
    Param(Sym),
    /// `impl Trait` or `dyn Trait`: the traits of the unit among its bounds, by (file, trait).
    Bounds(Vec<(u32, u32)>),
    Tuple(Vec<Ty>),
    Unknown,
}

impl Ty {
    /// Through references, wrappers and guards to what a method or field access reaches.
    pub fn peel(&self) -> &Ty {
        let mut t = self;
        for _ in 0..16 {
            match t {
                Ty::Wrapper(_, inner) | Ty::Guard(inner) => t = inner,
                _ => return t,
            }
        }
        t
    }

    /// `()`.
    pub fn is_unit(&self) -> bool {
        matches!(self, Ty::Tuple(t) if t.is_empty())
    }

    /// A type of another crate named as a condition variable is (`std::sync::Condvar`,
    /// `parking_lot::Condvar`).
    pub fn is_external_condvar(&self) -> bool {
        matches!(self, Ty::External(p, _)
            if p.last().is_some_and(|n| crate::known::locks::is_condvar_type(n.as_str())))
    }

    /// The lock this type is (through wrappers), with its payload.
    pub fn as_lock(&self) -> Option<(LockType, &Ty)> {
        let mut t = self;
        for _ in 0..16 {
            match t {
                Ty::Lock(lt, payload) => return Some((*lt, payload)),
                Ty::Wrapper(_, inner) => t = inner,
                _ => return None,
            }
        }
        None
    }
}

/// Where a written type is resolved: its module, the generic names in scope, and `Self`.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub module: ModId,
    pub generics: &'a [Sym],
    pub self_ty: Option<&'a Ty>,
}

impl Index {
    pub fn resolve_type(&self, tf: &TypeFact, scope: Scope<'_>) -> Ty {
        self.resolve_type_depth(tf, scope, 0)
    }

    fn resolve_type_depth(&self, tf: &TypeFact, scope: Scope<'_>, depth: u32) -> Ty {
        if depth > 24 {
            return Ty::Unknown;
        }
        match tf {
            TypeFact::Ref(t) => self.resolve_type_depth(t, scope, depth + 1),
            TypeFact::Array(t) => {
                Ty::Container(Box::new(self.resolve_type_depth(t, scope, depth + 1)))
            }
            TypeFact::Tuple(ts) => Ty::Tuple(
                ts.iter()
                    .map(|t| self.resolve_type_depth(t, scope, depth + 1))
                    .collect(),
            ),
            TypeFact::Path(p) => self.resolve_type_path(p, scope, depth),
            TypeFact::Bounds(bounds) => Ty::Bounds(
                bounds
                    .iter()
                    .flat_map(|b| {
                        let segs: Vec<Sym> = b.names().collect();
                        self.resolve(scope.module, &segs, Ns::Type)
                    })
                    .filter_map(|r| match r {
                        Res::Trait(f, t) => Some((f, t)),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Ty::Unknown,
        }
    }

    fn resolve_type_path(&self, p: &TypePath, scope: Scope<'_>, depth: u32) -> Ty {
        let segs: Vec<Sym> = p.names().collect();
        let Some(last) = p.last() else {
            return Ty::Unknown;
        };
        let args = |ix: &Index| -> Vec<Ty> {
            last.args
                .iter()
                .map(|a| ix.resolve_type_depth(a, scope, depth + 1))
                .collect()
        };
        if segs.len() == 1 {
            if segs[0] == sym::SELF_TYPE {
                return scope.self_ty.cloned().unwrap_or(Ty::Unknown);
            }
            if scope.generics.contains(&segs[0]) {
                return Ty::Param(segs[0]);
            }
        }
        let written_raw = last.args.first().and_then(|a| match a {
            TypeFact::Path(p) => p.last().map(|s| s.name),
            _ => None,
        });
        for res in self.resolve(scope.module, &segs, Ns::Type) {
            match res {
                Res::Struct(id) => return Ty::Struct(id, args(self)),
                Res::Alias(f, a) => {
                    let alias = &self.files[f as usize].facts.aliases[a as usize];
                    let module = self.files[f as usize].mods[alias.module as usize];
                    let resolved = self.resolve_type_depth(
                        &alias.ty,
                        Scope {
                            module,
                            generics: &alias.generics,
                            self_ty: None,
                        },
                        depth + 1,
                    );
                    // Substitute the alias's generic parameters.
                    let actual = args(self);
                    return substitute(&resolved, &alias.generics, &actual);
                }
                Res::External(path) => return self.external_type(&path, args(self), written_raw),
                _ => {}
            }
        }
        // Not found: prelude and well-known names, by name.
        self.external_type(&segs, args(self), written_raw)
    }

    /// `written_raw`: the first type argument as written, for `lock_api` locks whose raw lock
    /// decides whether reads may nest.
    fn external_type(&self, path: &[Sym], args: Vec<Ty>, written_raw: Option<Sym>) -> Ty {
        let name = path.last().map(|s| s.as_str()).unwrap_or("");
        let first_arg = || args.first().cloned().unwrap_or(Ty::Unknown);
        if let Some(mut lt) = known::locks::lock_type(path) {
            // `lock_api::RwLock<RawLock, T>`: the raw lock comes first, the payload last.
            if lt.lib == known::LockLib::LockApi {
                if written_raw.is_some_and(|r| r.as_str().contains("Recursive")) {
                    lt.recursive_reads = true;
                }
                return Ty::Lock(lt, Box::new(args.last().cloned().unwrap_or(Ty::Unknown)));
            }
            return Ty::Lock(lt, Box::new(first_arg()));
        }
        // An unqualified `Mutex`/`RwLock` with no visible import: some blocking lock.
        if path.len() == 1 && matches!(name, "Mutex" | "RwLock") {
            let kind = if name == "Mutex" {
                known::LockKind::Mutex
            } else {
                known::LockKind::RwLock
            };
            return Ty::Lock(
                LockType {
                    lib: known::LockLib::Unknown,
                    kind,
                    recursive_reads: false,
                },
                Box::new(first_arg()),
            );
        }
        if known::locks::is_guard_type(path) {
            return Ty::Guard(Box::new(first_arg()));
        }
        if known::locks::is_transparent(name) {
            return Ty::Wrapper(Sym::new(name), Box::new(first_arg()));
        }
        if known::collections::is_container(name) {
            return Ty::Container(Box::new(args.last().cloned().unwrap_or(Ty::Unknown)));
        }
        Ty::External(path.into(), args)
    }

    /// The type of field `name` of `ty` (through wrappers and guards).
    pub fn field_type(&self, ty: &Ty, name: Sym) -> Ty {
        match ty.peel() {
            Ty::Struct(id, args) => {
                let (s, module) = self.struct_facts(*id);
                let Some(field) = s.fields.iter().find(|f| f.name == name) else {
                    return Ty::Unknown;
                };
                let t = self.resolve_type(
                    &field.ty,
                    Scope {
                        module,
                        generics: &s.generics,
                        self_ty: None,
                    },
                );
                substitute(&t, &s.generics, args)
            }
            Ty::Tuple(ts) => name
                .as_str()
                .parse::<usize>()
                .ok()
                .and_then(|i| ts.get(i).cloned())
                .unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }

    /// The element of a container.
    pub fn element_type(&self, ty: &Ty) -> Ty {
        match ty.peel() {
            Ty::Container(e) => (**e).clone(),
            _ => Ty::Unknown,
        }
    }

    /// The self type of the impl a function (or the function a closure is in) belongs to.
    pub fn self_type(&self, f: FnId) -> Ty {
        let outer = self.outer_fn(f);
        let file = self.fn_file(outer);
        match self.func(outer).owner {
            FnOwner::Impl(i) => {
                let imp = &file.facts.impls[i as usize];
                let module = file.mods[imp.module as usize];
                self.resolve_type(
                    &imp.self_ty,
                    Scope {
                        module,
                        generics: &imp.generics,
                        self_ty: None,
                    },
                )
            }
            _ => Ty::Unknown,
        }
    }

    /// Generic names visible in a function: its impl's.
    pub fn impl_generics(&self, f: FnId) -> &[Sym] {
        let outer = self.outer_fn(f);
        let file = self.fn_file(outer);
        match self.func(outer).owner {
            FnOwner::Impl(i) => &file.facts.impls[i as usize].generics,
            _ => &[],
        }
    }

    /// Type of parameter `i` of the function `f` is in.
    pub fn param_type(&self, f: FnId, i: u16) -> Ty {
        let outer = self.outer_fn(f);
        let Some(p) = self.func(outer).params.get(i as usize) else {
            return Ty::Unknown;
        };
        let self_ty = self.self_type(outer);
        self.resolve_type(
            &p.ty,
            Scope {
                module: self.fn_module(outer),
                generics: self.impl_generics(outer),
                self_ty: Some(&self_ty),
            },
        )
    }

    /// The type a function returns, resolved in its own scope.
    pub fn return_type(&self, f: FnId) -> Ty {
        let Some(ret) = &self.func(f).ret else {
            return Ty::Unknown;
        };
        let self_ty = self.self_type(f);
        self.resolve_type(
            ret,
            Scope {
                module: self.fn_module(f),
                generics: self.impl_generics(f),
                self_ty: Some(&self_ty),
            },
        )
    }

    /// The statics a path names, from `module`.
    /// The static `path` names in `module`, read in function `from` (`None` outside any
    /// function). A static declared in a function body is seen only in that function and its
    /// closures, and there it comes first: two tests may each declare their own
    /// `static mut BLOCK`.
    pub fn resolve_static(
        &self,
        module: ModId,
        path: &[Sym],
        from: Option<FnId>,
    ) -> Option<super::StaticId> {
        let found: Vec<super::StaticId> = self
            .resolve(module, path, Ns::Value)
            .into_iter()
            .filter_map(|r| match r {
                Res::Static(s) => Some(s),
                _ => None,
            })
            .collect();
        if let (Some(mut g), [_]) = (from, path) {
            for _ in 0..64 {
                if let Some(&s) = found.iter().find(|&&s| self.static_home(s) == Some(g)) {
                    return Some(s);
                }
                match self.func(g).owner {
                    FnOwner::Closure { parent, .. } => {
                        g = self.fn_id(self.fns[g.0 as usize].file, parent)
                    }
                    _ => break,
                }
            }
        }
        found.into_iter().find(|&s| self.static_home(s).is_none())
    }

    /// The function whose body declares static `s`, if one does.
    fn static_home(&self, s: super::StaticId) -> Option<FnId> {
        let (file, i) = self.statics[s.0 as usize];
        let idx = self.files[file as usize].facts.statics[i as usize].in_fn?;
        Some(self.fn_id(file, idx))
    }

    /// The `thread_local!` key whose value closure `k` is given, and the key's method that
    /// runs it: `KEY.with(|v| ..)`.
    pub fn thread_local_key(&self, k: FnId) -> Option<(super::StaticId, Sym)> {
        let FnOwner::Closure { parent, .. } = self.func(k).owner else {
            return None;
        };
        let file = self.fns[k.0 as usize].file;
        let parent = self.fn_id(file, parent);
        let body = self.func(parent).body.as_ref()?;
        let local = self.fns[k.0 as usize].idx;
        let module = self.fn_module(parent);
        body.calls.iter().find_map(|c| {
            let Callee::Method(m) = &c.callee else {
                return None;
            };
            if !known::cells::is_thread_local_with(m.as_str())
                || !c.args.contains(&Operand::Closure(local))
            {
                return None;
            }
            let Some(Operand::Place(p)) = &c.receiver else {
                return None;
            };
            let place = &body.places[*p as usize];
            let Base::Path(segs) = &place.base else {
                return None;
            };
            if !place.proj.is_empty() {
                return None;
            }
            let s = self.resolve_static(module, segs, Some(parent))?;
            (self.static_facts(s).0.origin == StaticOrigin::ThreadLocal).then_some((s, *m))
        })
    }

    /// The type of the value a `thread_local!` key's `with` gives closure `k` (its first
    /// parameter), when `k` is such a closure.
    pub fn thread_local_value_type(&self, k: FnId) -> Ty {
        match self.thread_local_key(k) {
            Some((s, m)) if known::cells::passes_key_value(m.as_str()) => self.static_type(s),
            _ => Ty::Unknown,
        }
    }

    /// The type of a static (for `lazy_static!` and `thread_local!` the declared type).
    pub fn static_type(&self, id: super::StaticId) -> Ty {
        let (s, module, _) = self.static_facts(id);
        let t = self.resolve_type(
            &s.ty,
            Scope {
                module,
                generics: &[],
                self_ty: None,
            },
        );
        if t == Ty::Unknown
            && let Some(init) = &s.init_ty
        {
            return self.resolve_type(
                init,
                Scope {
                    module,
                    generics: &[],
                    self_ty: None,
                },
            );
        }
        t
    }
}

/// Replaces generic parameters by the given arguments.
pub fn substitute(t: &Ty, params: &[Sym], args: &[Ty]) -> Ty {
    if params.is_empty() || args.is_empty() {
        return t.clone();
    }
    let go = |t: &Ty| substitute(t, params, args);
    match t {
        Ty::Param(p) => params
            .iter()
            .position(|x| x == p)
            .and_then(|i| args.get(i).cloned())
            .unwrap_or(Ty::Param(*p)),
        Ty::Struct(id, a) => Ty::Struct(*id, a.iter().map(go).collect()),
        Ty::Lock(l, p) => Ty::Lock(*l, Box::new(go(p))),
        Ty::Guard(p) => Ty::Guard(Box::new(go(p))),
        Ty::Wrapper(n, p) => Ty::Wrapper(*n, Box::new(go(p))),
        Ty::Container(p) => Ty::Container(Box::new(go(p))),
        Ty::External(p, a) => Ty::External(p.clone(), a.iter().map(go).collect()),
        Ty::Tuple(ts) => Ty::Tuple(ts.iter().map(go).collect()),
        Ty::Unknown => Ty::Unknown,
        Ty::Bounds(b) => Ty::Bounds(b.clone()),
    }
}
