//! What rules ask the model besides locks, guards and summaries (those are in `model.rs`):
//! the functions, locals, statics, structs and modules of the unit, by name. Rules see the
//! unit only through these; the index behind them stays private to the model.

use super::locks::{Instance, InstanceBase, LockClass, PlaceInfo};
use super::model::Model;
use super::summary::Trace;
use super::{FnId, ModId, StaticId, StructId};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::span::{FileId, Loc, Pos};
use std::collections::HashMap;

/// A module of a file of the unit: where a fix adds a `use`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleRef {
    /// The file, by its place in the unit.
    file: u32,
    local: ModIdx,
}

/// A mention of a static: the reference as written, the file and module it is written in.
pub struct StaticMention<'i> {
    pub file: FileId,
    pub module: ModuleRef,
    pub r: &'i StaticRef,
}

/// An `unsafe impl Send` or `unsafe impl Sync` for a struct of the unit.
pub struct UnsafeImpl<'i> {
    pub imp: &'i ImplFacts,
    pub file: FileId,
    pub ty: StructId,
    module: super::ModId,
}

/// A use of a struct field through a cell's or a pointer's method, or through `*`: in body
/// `f`, reaching `instance`.
pub struct FieldAccess<'i> {
    pub f: FnId,
    pub u: &'i FieldUse,
    pub instance: Instance,
    /// The field as written there: `self.slots.free`.
    pub text: String,
}

/// A struct field, or a field of a struct held by a field, down from the struct of an
/// `unsafe impl`: its type as written and where to resolve it.
pub struct FieldType<'i> {
    pub ty: &'i TypeFact,
    pub span: crate::span::Span,
    /// The field's own `#[cfg(..)]`.
    pub cfg: Option<&'i Cfg>,
    pub file: FileId,
    module: ModId,
}

impl<'i> Model<'i> {
    // ------------------------------------------------------------------ functions

    /// The body of a function, method, closure or async block.
    pub fn body(&self, f: FnId) -> Option<&'i Body> {
        self.ix.func(f).body.as_ref()
    }

    /// The named function a closure is written in (the function itself when it is one).
    pub fn outer_fn(&self, f: FnId) -> FnId {
        self.ix.outer_fn(f)
    }

    /// A closure or async block, not a named function.
    pub fn is_closure(&self, f: FnId) -> bool {
        matches!(self.ix.func(f).owner, FnOwner::Closure { .. })
    }

    /// `#[test]`, or inside a `#[cfg(test)]` module.
    pub fn is_test(&self, f: FnId) -> bool {
        self.ix.func(f).is_test
    }

    /// The parameter of callee `g` that argument `arg` of call `c` of `f` is (`None` for the
    /// receiver of `Type::method(x, ..)`).
    pub fn param_of_arg(&self, f: FnId, c: CallIdx, g: FnId, arg: usize) -> Option<u16> {
        let call = &self.body(f)?.calls[c as usize];
        let n = self.ix.func(self.ix.outer_fn(g)).params.len();
        (0..n as u16).find(|&i| self.ix.arg_index(call, g, i) == arg)
    }

    /// How the named function `f` is written in takes `self`, if it does.
    pub fn receiver(&self, f: FnId) -> Option<Receiver> {
        self.ix.func(self.ix.outer_fn(f)).receiver
    }

    /// The last segment of the trait whose `impl` the named function `f` is written in belongs
    /// to (`RawMutex` for `unsafe impl lock_api::RawMutex for Spin`), if it is a trait impl.
    pub fn impl_trait(&self, f: FnId) -> Option<Sym> {
        let g = self.ix.outer_fn(f);
        let FnOwner::Impl(i) = self.ix.func(g).owner else {
            return None;
        };
        let file = &self.ix.files[self.ix.fns[g.0 as usize].file as usize];
        let path = file.facts.impls[i as usize].trait_path.as_ref()?;
        path.segs.last().map(|s| s.name)
    }

    /// The name of the named function `f` is written in.
    pub fn fn_name(&self, f: FnId) -> Sym {
        self.ix.func(self.ix.outer_fn(f)).name
    }

    /// A function named for prose: "`Counter::increment`", "a closure in `main`".
    pub fn fn_phrase(&self, f: FnId) -> String {
        self.ix.fn_phrase(f)
    }

    /// Does a closure of the same file capture local `local` of body `f`?
    pub fn captured_by_closure(&self, f: FnId, local: LocalIdx) -> bool {
        let file = self.file_of(f);
        let idx = self.ix.fns[f.0 as usize].idx;
        self.bodies().any(|(g, b)| {
            self.is_closure(g) && self.file_of(g) == file && b.captures.contains(&(idx, local))
        })
    }

    // ------------------------------------------------------------------ places and names

    /// The resolved type, lock class and instance of a place of body `f`.
    pub fn place_info(&self, f: FnId, p: &Place) -> PlaceInfo {
        self.ix.place_info(f, p)
    }

    /// A trace's steps in words: "calls `notify_change`", "locks `self.value`".
    pub fn trace_text(&self, t: &Trace) -> Vec<(Loc, String)> {
        self.ix.trace_text(t)
    }

    /// A lock class as users know it: `Account::balance`, `REGISTRY`, `shards[_]`.
    pub fn class_name(&self, class: &LockClass, fallback: &str) -> String {
        self.ix.class_name(class, fallback)
    }

    /// The name a base of body `f` is written with: `self`, a parameter, a local (of `f` or of
    /// the function it is written in).
    pub fn base_name(&self, f: FnId, base: &Base) -> Option<Sym> {
        match base {
            Base::SelfValue => Some(sym::SELF_VALUE),
            Base::Param(p) => self.param_name(f, *p),
            Base::Local { fn_, local } => {
                let owner = self.ix.fn_id(self.ix.fns[f.0 as usize].file, *fn_);
                self.body(owner)?
                    .locals
                    .get(*local as usize)
                    .map(|l| l.name)
            }
            _ => None,
        }
    }

    /// The name the base of a lock instance is written with.
    pub fn instance_base_name(&self, f: FnId, base: &InstanceBase) -> Option<Sym> {
        match base {
            InstanceBase::SelfValue => Some(sym::SELF_VALUE),
            InstanceBase::Param(p) => self.param_name(f, *p),
            InstanceBase::Local(g, l) => self.local(*g, *l).map(|l| l.name),
            _ => None,
        }
    }

    /// Parameter `i` of the named function `f` is written in.
    pub fn param_name(&self, f: FnId, i: u16) -> Option<Sym> {
        self.ix
            .func(self.ix.outer_fn(f))
            .params
            .get(i as usize)?
            .name
    }

    /// The local of `f`'s own body that a base names (not a captured one of an enclosing
    /// function).
    pub fn own_local(&self, f: FnId, base: &Base) -> Option<LocalIdx> {
        match base {
            Base::Local { fn_, local } if *fn_ == self.ix.fns[f.0 as usize].idx => Some(*local),
            _ => None,
        }
    }

    /// Local `l` of body `f`.
    pub fn local(&self, f: FnId, l: LocalIdx) -> Option<&'i LocalFacts> {
        self.body(f)?.locals.get(l as usize)
    }

    // ------------------------------------------------------------------ statics

    /// Every static of the unit, with the file it is declared in.
    pub fn statics(&self) -> impl Iterator<Item = (StaticId, &'i StaticFacts, FileId)> + '_ {
        (0..self.ix.statics.len() as u32).map(|i| {
            let (s, _, file) = self.ix.static_facts(StaticId(i));
            (StaticId(i), s, file)
        })
    }

    /// A static's declaration and file.
    pub fn static_decl(&self, id: StaticId) -> (&'i StaticFacts, FileId) {
        let (s, _, file) = self.ix.static_facts(id);
        (s, file)
    }

    /// The `unsafe` blocks of a file of the unit, in the order they start.
    pub fn unsafe_blocks(&self, file: FileId) -> &'i [UnsafeBlock] {
        self.ix
            .files
            .iter()
            .find(|f| f.id == file)
            .map(|f| f.facts.unsafe_blocks.as_slice())
            .unwrap_or(&[])
    }

    /// The module a static is declared in.
    pub fn static_module(&self, id: StaticId) -> ModuleRef {
        let (file, i) = self.ix.statics[id.0 as usize];
        ModuleRef {
            file,
            local: self.ix.files[file as usize].facts.statics[i as usize].module,
        }
    }

    /// Every mention of the statics `wanted` anywhere in the unit, by static, in file order.
    pub fn static_mentions(
        &self,
        wanted: &[StaticId],
    ) -> std::collections::BTreeMap<StaticId, Vec<StaticMention<'i>>> {
        let mut out: std::collections::BTreeMap<StaticId, Vec<StaticMention<'i>>> =
            Default::default();
        let names: Vec<Sym> = wanted
            .iter()
            .map(|&id| self.static_decl(id).0.name)
            .collect();
        let ix = self.ix;
        for (fi, file) in ix.files.iter().enumerate() {
            for r in &file.facts.static_refs {
                if !r.path.last().is_some_and(|n| names.contains(n)) {
                    continue;
                }
                let module = file.mods[r.module as usize];
                let from = r.fn_.map(|idx| ix.fn_id(fi as u32, idx));
                if let Some(id) = ix.resolve_static(module, &r.path, from)
                    && wanted.contains(&id)
                {
                    out.entry(id).or_default().push(StaticMention {
                        file: file.id,
                        module: ModuleRef {
                            file: fi as u32,
                            local: r.module,
                        },
                        r,
                    });
                }
            }
        }
        out
    }

    /// The body a mention of a static is written in (a closure's own body for a mention inside
    /// it); `None` for a mention outside any body (another static's initializer).
    pub fn mention_fn(&self, m: &StaticMention) -> Option<FnId> {
        m.r.fn_.map(|idx| self.ix.fn_id(m.module.file, idx))
    }

    // ------------------------------------------------------------------ structs and impls

    /// A struct's declaration and file.
    pub fn struct_decl(&self, id: StructId) -> (&'i StructFacts, FileId) {
        let (s, _) = self.ix.struct_facts(id);
        let file = self.ix.files[self.ix.structs[id.0 as usize].0 as usize].id;
        (s, file)
    }

    /// Every `unsafe impl Send`/`Sync` (or other unsafe trait impl) for a struct of the unit.
    pub fn unsafe_impls(&self) -> impl Iterator<Item = UnsafeImpl<'i>> + '_ {
        let ix = self.ix;
        ix.files.iter().flat_map(move |file| {
            file.facts.impls.iter().filter_map(move |imp| {
                if !imp.is_unsafe {
                    return None;
                }
                let module = file.mods[imp.module as usize];
                let ty = ix.struct_of_type(&imp.self_ty, module)?;
                Some(UnsafeImpl {
                    imp,
                    file: file.id,
                    ty,
                    module,
                })
            })
        })
    }

    /// The `#[cfg(..)]` conditions under which a struct exists: its own and its modules', up
    /// to the crate root (a file module's, from its `mod` declaration).
    pub fn struct_cfgs(&self, id: StructId) -> Vec<&'i Cfg> {
        let (s, module) = self.ix.struct_facts(id);
        let mut out: Vec<&'i Cfg> = s.cfg.iter().collect();
        out.extend(self.module_cfgs(module));
        out
    }

    /// The conditions under which an impl exists: its own `#[cfg(..)]` and its modules'.
    pub fn impl_cfgs(&self, imp: &UnsafeImpl<'i>) -> Vec<&'i Cfg> {
        let mut out: Vec<&'i Cfg> = imp.imp.cfg.iter().collect();
        out.extend(self.module_cfgs(imp.module));
        out
    }

    fn module_cfgs(&self, mut m: super::ModId) -> Vec<&'i Cfg> {
        let ix = self.ix;
        // A module's facts, when it comes from a file of the unit (a crate root made for a
        // loose file has none).
        let facts_of = |m: &super::Module| {
            ix.files
                .get(m.file as usize)
                .and_then(|f| f.facts.modules.get(m.local as usize))
        };
        let mut out = vec![];
        for _ in 0..64 {
            let Some(module) = ix.modules.get(m.0 as usize) else {
                break;
            };
            if module.local != 0 {
                out.extend(facts_of(module).and_then(|f| f.cfg.as_ref()));
            } else if let (Some(parent), Some(&name)) = (module.parent, module.path.last())
                && let Some(p) = ix.modules.get(parent.0 as usize).and_then(facts_of)
            {
                // A file module: the `mod name;` that declares it.
                out.extend(
                    p.file_children
                        .iter()
                        .find(|d| d.name == name)
                        .and_then(|d| d.cfg.as_ref()),
                );
            }
            match module.parent {
                Some(p) => m = p,
                None => break,
            }
        }
        out
    }

    /// Can one build meet all these `#[cfg(..)]` conditions? `false` only when they contradict
    /// each other whatever each condition is set to (`feature = "send"` and
    /// `not(feature = "send")`); conditions are taken as independent (`unix` and `windows` may
    /// both hold), so that the answer errs towards "yes".
    pub fn cfgs_meet(&self, cfgs: &[&Cfg]) -> bool {
        let mut atoms: Vec<&str> = vec![];
        for c in cfgs {
            cfg_atoms(c, &mut atoms);
        }
        if atoms.len() > 12 {
            return true;
        }
        (0u32..1 << atoms.len()).any(|set| cfgs.iter().all(|c| cfg_holds(c, &atoms, set)))
    }

    /// The fields of a struct, with where their types are resolved.
    pub fn field_types(&self, id: StructId) -> Vec<(Sym, FieldType<'i>)> {
        let (s, module) = self.ix.struct_facts(id);
        let file = self.ix.files[self.ix.structs[id.0 as usize].0 as usize].id;
        s.fields
            .iter()
            .map(|f| {
                (
                    f.name,
                    FieldType {
                        ty: &f.ty,
                        span: f.span,
                        cfg: f.cfg.as_ref(),
                        file,
                        module,
                    },
                )
            })
            .collect()
    }

    /// Every use of a struct field named one of `names` through interior mutability or a raw
    /// pointer ([`Body::field_uses`]) in the unit, by the struct that declares the field and its
    /// name, with the body it is in and the instance it reaches; in function order.
    pub fn field_uses(&self, names: &[Sym]) -> HashMap<(StructId, Sym), Vec<FieldAccess<'i>>> {
        let mut out: HashMap<(StructId, Sym), Vec<FieldAccess<'i>>> = HashMap::new();
        for (f, body) in self.bodies() {
            for u in &body.field_uses {
                let place = &body.places[u.place as usize];
                let last_field = place.proj.iter().rev().find_map(|p| match p {
                    Proj::Field(n) => Some(*n),
                    _ => None,
                });
                if !last_field.is_some_and(|n| names.contains(&n)) {
                    continue;
                }
                let info = self.ix.place_info(f, place);
                if let Some(LockClass::Field { owner, field, .. }) = info.class {
                    out.entry((owner, field)).or_default().push(FieldAccess {
                        f,
                        u,
                        instance: info.instance,
                        text: info.text,
                    });
                }
            }
        }
        out
    }

    /// The struct of the unit a field's type (or a part of it) names.
    pub fn struct_of_field_type(&self, field: &FieldType, ty: &TypeFact) -> Option<StructId> {
        self.ix.struct_of_type(ty, field.module)
    }

    // ------------------------------------------------------------------ modules

    /// The module a function is written in.
    pub fn fn_module_ref(&self, f: FnId) -> ModuleRef {
        ModuleRef {
            file: self.ix.fns[f.0 as usize].file,
            local: self.ix.func(f).module,
        }
    }

    /// The file a module is in.
    pub fn module_file(&self, m: ModuleRef) -> FileId {
        self.ix.files[m.file as usize].id
    }

    /// The `use` declarations of a module.
    pub fn module_uses(&self, m: ModuleRef) -> &'i [UseFacts] {
        self.ix.files[m.file as usize]
            .facts
            .modules
            .get(m.local as usize)
            .map(|md| md.uses.as_slice())
            .unwrap_or(&[])
    }

    /// Does the module itself declare a type of this name?
    pub fn module_declares_struct(&self, m: ModuleRef, name: Sym) -> bool {
        self.ix.files[m.file as usize]
            .facts
            .structs
            .iter()
            .any(|s| s.module == m.local && s.name == name)
    }

    /// Where a module's first item starts: where a fix inserts a `use`.
    pub fn module_first_item(&self, m: ModuleRef) -> Option<Pos> {
        self.ix.files[m.file as usize]
            .facts
            .modules
            .get(m.local as usize)?
            .first_item
    }
}

fn cfg_atoms<'c>(c: &'c Cfg, out: &mut Vec<&'c str>) {
    match c {
        Cfg::Atom(a) => {
            if !out.contains(&&**a) {
                out.push(a);
            }
        }
        Cfg::All(cs) | Cfg::Any(cs) => cs.iter().for_each(|c| cfg_atoms(c, out)),
        Cfg::Not(c) => cfg_atoms(c, out),
    }
}

/// Does `c` hold when exactly the atoms whose bits are in `set` are true?
fn cfg_holds(c: &Cfg, atoms: &[&str], set: u32) -> bool {
    match c {
        Cfg::Atom(a) => atoms
            .iter()
            .position(|x| *x == &**a)
            .is_some_and(|i| set & (1 << i) != 0),
        Cfg::All(cs) => cs.iter().all(|c| cfg_holds(c, atoms, set)),
        Cfg::Any(cs) => cs.iter().any(|c| cfg_holds(c, atoms, set)),
        Cfg::Not(c) => !cfg_holds(c, atoms, set),
    }
}
