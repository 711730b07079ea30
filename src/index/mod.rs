//! The index of one unit (a crate or workspace): every file's facts, placed in a module tree,
//! with name resolution across files.
//!
//! Building it does no I/O. Files are placed by following `mod` declarations from each crate
//! root (`src/lib.rs`, `src/main.rs`, `src/bin/*.rs`, `tests/*.rs`, …); a file no crate root
//! reaches still gets a module path from its location, so its items keep distinct names.

pub mod call_kinds;
pub mod calls;
pub mod graph;
pub mod locks;
pub mod model;
pub mod queries;
pub mod sharing;
pub mod summary;
pub mod threads;
pub mod types;

use crate::extract::Edition;
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known;
use crate::project::{Project, TargetKind};
use crate::span::FileId;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StaticId(pub u32);

/// A file's facts within the unit.
pub struct UnitFile {
    pub id: FileId,
    /// Shared with whoever keeps them between analyses (the language server's cache).
    pub facts: std::sync::Arc<FileFacts>,
    pub edition: Edition,
    /// Global module id of each of the file's modules (`modules[0]` is the file itself).
    pub mods: Vec<ModId>,
}

pub struct Crate {
    pub name: Sym,
    pub root: ModId,
    pub kind: TargetKind,
}

pub struct Module {
    pub krate: u32,
    /// `use` declarations by the name they bind.
    pub imports: FxHashMap<Sym, Vec<Box<[Sym]>>>,
    /// `use path::*` declarations.
    pub globs: Vec<Box<[Sym]>>,
    /// Path from the crate root.
    pub path: Vec<Sym>,
    pub file: u32,
    pub local: ModIdx,
    pub parent: Option<ModId>,
    pub children: FxHashMap<Sym, ModId>,
    pub types: FxHashMap<Sym, Vec<Res>>,
    pub values: FxHashMap<Sym, Vec<Res>>,
}

/// What a path resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Mod(ModId),
    Struct(StructId),
    /// A type alias: (file index in the unit, alias index).
    Alias(u32, u32),
    Trait(u32, u32),
    Fn(FnId),
    Static(StaticId),
    /// Outside the scanned code, by canonical path (`std::sync::Mutex`).
    External(Box<[Sym]>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ns {
    Type,
    Value,
}

/// A path resolved in a module, in the type namespace or not.
type ResolveKey = (ModId, Box<[Sym]>, bool);

/// A function of the unit: which file, which entry of its `fns`.
#[derive(Clone, Copy, Debug)]
pub struct FnRef {
    pub file: u32,
    pub idx: FnIdx,
}

pub struct Index {
    pub files: Vec<UnitFile>,
    pub crates: Vec<Crate>,
    pub modules: Vec<Module>,
    pub fns: Vec<FnRef>,
    /// `fn_base[file] + idx` is the `FnId` of `files[file].facts.fns[idx]`.
    fn_base: Vec<u32>,
    pub structs: Vec<(u32, u32)>,
    struct_base: Vec<u32>,
    pub statics: Vec<(u32, u32)>,
    static_base: Vec<u32>,
    /// Inherent and trait methods by self type: (struct, method name) → functions.
    pub methods: FxHashMap<(StructId, Sym), Vec<FnId>>,
    /// Trait default methods by name.
    pub trait_methods: FxHashMap<Sym, Vec<FnId>>,
    /// Methods of the unit's trait impls for types from outside it, by (type name, method).
    pub ext_methods: FxHashMap<(Sym, Sym), Vec<FnId>>,
    /// The `drop` of each struct's `impl Drop`: what runs when a value of it goes out of scope.
    pub drop_impls: FxHashMap<StructId, Vec<FnId>>,
    /// Crate names usable in paths (`use my_lib::x`).
    crate_names: FxHashMap<Sym, u32>,
    resolve_cache: RefCell<FxHashMap<ResolveKey, Vec<Res>>>,
    /// How deep place typing has recursed through calls, locals and guards: typing a place can
    /// need a call's return type, which needs its receiver's type, and so on. Past the limit a
    /// place is unknown, so mutual recursion (`x = x.next()`) always ends.
    pub(crate) place_depth: std::cell::Cell<u32>,
    /// Names looked up in a module (through its imports and globs), and the lookups under way:
    /// glob imports form cycles (`use super::*` both ways) and fan out, so each lookup is done
    /// once and a lookup that reaches itself finds nothing.
    lookup_cache: RefCell<FxHashMap<(ModId, Sym, bool), Vec<Res>>>,
    lookups_in_progress: RefCell<rustc_hash::FxHashSet<(ModId, Sym, bool)>>,
    /// Per struct, the names of the traits it implements (`calls::traits_of`): a walk over
    /// every impl of the unit, asked for at each method call a trait's default could answer.
    traits_cache: RefCell<FxHashMap<StructId, Vec<Sym>>>,
    /// Every name the unit defines or imports: a name outside it resolves to nothing here.
    known_names: rustc_hash::FxHashSet<Sym>,
    /// Names of every method the unit defines.
    method_names: rustc_hash::FxHashSet<Sym>,
    /// Closures stored in struct literals, by (struct, field): what `(x.field)()` may call.
    stored_closures: FxHashMap<(StructId, Sym), Vec<FnId>>,
    /// For each stored closure: the function whose struct literal stores it, and the entry of
    /// its body's `stored_closures`.
    stored_in: FxHashMap<FnId, (FnId, u32)>,
}

/// The module path a file gets from where it lies, relative to its source directory.
fn path_module(rel: &Path) -> Vec<Sym> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut()
        && let Some(stem) = last.strip_suffix(".rs")
    {
        *last = stem.to_string();
    }
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
        .into_iter()
        .map(|p| Sym::new(&p.replace('-', "_")))
        .collect()
}

impl Index {
    /// Builds the index of one unit from its parsed files.
    pub fn build(
        project: &Project,
        unit: u32,
        parsed: Vec<(FileId, std::sync::Arc<FileFacts>)>,
    ) -> Index {
        let unit_info = &project.units[unit as usize];
        let mut files: Vec<UnitFile> = parsed
            .into_iter()
            .map(|(id, facts)| {
                let src = &project.files[id.0 as usize];
                let edition = src
                    .package
                    .map(|p| project.packages[p as usize].edition)
                    .unwrap_or_default();
                UnitFile {
                    id,
                    facts,
                    edition,
                    mods: vec![],
                }
            })
            .collect();
        files.sort_by_key(|f| f.id);
        let by_path: FxHashMap<PathBuf, u32> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (project.files[f.id.0 as usize].path.clone(), i as u32))
            .collect();

        let mut ix = Index {
            files: vec![],
            crates: vec![],
            modules: vec![],
            fns: vec![],
            fn_base: vec![],
            structs: vec![],
            struct_base: vec![],
            statics: vec![],
            static_base: vec![],
            methods: FxHashMap::default(),
            trait_methods: FxHashMap::default(),
            ext_methods: FxHashMap::default(),
            drop_impls: FxHashMap::default(),
            crate_names: FxHashMap::default(),
            resolve_cache: RefCell::new(FxHashMap::default()),
            place_depth: std::cell::Cell::new(0),
            lookup_cache: RefCell::new(FxHashMap::default()),
            lookups_in_progress: RefCell::new(Default::default()),
            traits_cache: RefCell::new(FxHashMap::default()),
            known_names: Default::default(),
            method_names: Default::default(),
            stored_closures: FxHashMap::default(),
            stored_in: FxHashMap::default(),
        };

        // Crate roots, lib first so that a file shared by several targets belongs to the lib.
        let mut roots: Vec<(Sym, TargetKind, u32)> = vec![];
        for &p in &unit_info.packages {
            let pkg = &project.packages[p as usize];
            for t in &pkg.targets {
                if let Some(&fi) = by_path.get(&t.root) {
                    roots.push((Sym::new(&t.name), t.kind, fi));
                }
            }
        }
        let mut placed: Vec<Option<ModId>> = vec![None; files.len()];
        for (name, kind, fi) in roots {
            if placed[fi as usize].is_some() {
                continue;
            }
            let krate = ix.crates.len() as u32;
            let root = ix.place_file(
                &mut files,
                &mut placed,
                &by_path,
                fi,
                krate,
                vec![],
                None,
                project,
                true,
            );
            ix.crates.push(Crate { name, root, kind });
            if kind == TargetKind::Lib || !ix.crate_names.contains_key(&name) {
                ix.crate_names.insert(name, krate);
            }
        }
        // Files no crate root reaches: place them by location, in their package's first crate
        // (or a crate of their own for loose files). A package none of whose roots parsed gets
        // one crate, without a root file, for all its files.
        let mut rootless: FxHashMap<u32, u32> = FxHashMap::default();
        for fi in 0..files.len() {
            if placed[fi].is_some() {
                continue;
            }
            let src = &project.files[files[fi].id.0 as usize];
            let (base, krate) = match src.package {
                Some(p) => {
                    let pkg = &project.packages[p as usize];
                    let krate = ix
                        .crates
                        .iter()
                        .position(|c| {
                            // A rootless crate's root module has no file.
                            let m = &ix.modules[c.root.0 as usize];
                            files
                                .get(m.file as usize)
                                .is_some_and(|f| project.files[f.id.0 as usize].package == Some(p))
                        })
                        .map(|k| k as u32)
                        .or_else(|| rootless.get(&p).copied());
                    let src_dir = pkg.dir.join("src");
                    let base = if src.path.starts_with(&src_dir) {
                        src_dir
                    } else {
                        pkg.dir.clone()
                    };
                    (base, krate)
                }
                None => (unit_info.root.clone(), None),
            };
            let rel = src.path.strip_prefix(&base).unwrap_or(&src.path);
            let mut mpath = path_module(rel);
            let krate = match krate {
                Some(k) => {
                    // Keep clear of modules the crate already has under that path.
                    if ix.modules.iter().any(|m| m.krate == k && m.path == mpath) {
                        mpath.insert(0, Sym::new("{orphan}"));
                    }
                    k
                }
                None => {
                    let k = ix.crates.len() as u32;
                    let root = ix.new_module(k, vec![], u32::MAX, 0, None);
                    ix.crates.push(Crate {
                        name: Sym::new("{loose}"),
                        root,
                        kind: TargetKind::Lib,
                    });
                    if let Some(p) = src.package {
                        rootless.insert(p, k);
                    }
                    k
                }
            };
            ix.place_file(
                &mut files,
                &mut placed,
                &by_path,
                fi as u32,
                krate,
                mpath,
                None,
                project,
                false,
            );
        }

        // Flat tables of functions, structs and statics.
        for (fi, f) in files.iter().enumerate() {
            ix.fn_base.push(ix.fns.len() as u32);
            for idx in 0..f.facts.fns.len() {
                ix.fns.push(FnRef {
                    file: fi as u32,
                    idx: idx as FnIdx,
                });
            }
            ix.struct_base.push(ix.structs.len() as u32);
            for idx in 0..f.facts.structs.len() {
                ix.structs.push((fi as u32, idx as u32));
            }
            ix.static_base.push(ix.statics.len() as u32);
            for idx in 0..f.facts.statics.len() {
                ix.statics.push((fi as u32, idx as u32));
            }
        }
        ix.files = files;
        ix.register_imports();
        ix.register_items();
        ix.register_methods();
        ix.register_stored_closures();
        ix
    }

    fn new_module(
        &mut self,
        krate: u32,
        path: Vec<Sym>,
        file: u32,
        local: ModIdx,
        parent: Option<ModId>,
    ) -> ModId {
        let id = ModId(self.modules.len() as u32);
        self.modules.push(Module {
            krate,
            imports: FxHashMap::default(),
            globs: vec![],
            path,
            file,
            local,
            parent,
            children: FxHashMap::default(),
            types: FxHashMap::default(),
            values: FxHashMap::default(),
        });
        if let Some(p) = parent
            && let Some(&name) = self.modules[id.0 as usize].path.last()
        {
            self.modules[p.0 as usize].children.insert(name, id);
        }
        id
    }

    /// Gives file `fi` (and the inline modules inside it) module ids, then follows its
    /// `mod x;` declarations to other files.
    #[allow(clippy::too_many_arguments)]
    fn place_file(
        &mut self,
        files: &mut [UnitFile],
        placed: &mut [Option<ModId>],
        by_path: &FxHashMap<PathBuf, u32>,
        fi: u32,
        krate: u32,
        path: Vec<Sym>,
        parent: Option<ModId>,
        project: &Project,
        is_root: bool,
    ) -> ModId {
        let root_parent = parent.or_else(|| {
            // A loose file in an existing crate hangs off the crate root.
            if path.is_empty() {
                None
            } else {
                self.crates.get(krate as usize).map(|c| c.root)
            }
        });
        let top = self.new_module(krate, path.clone(), fi, 0, root_parent);
        placed[fi as usize] = Some(top);
        let n = files[fi as usize].facts.modules.len();
        let mut mods = vec![top; n];
        for local in 1..n {
            let m = &files[fi as usize].facts.modules[local];
            let parent_id = mods[m.parent.unwrap_or(0) as usize];
            let mut p = self.modules[parent_id.0 as usize].path.clone();
            p.push(m.name);
            mods[local] = self.new_module(krate, p, fi, local as ModIdx, Some(parent_id));
        }
        files[fi as usize].mods = mods.clone();

        // `mod x;` → x.rs / x/mod.rs, next to a mod-rs file or in a directory named after it.
        let file_path = project.files[files[fi as usize].id.0 as usize].path.clone();
        let dir = file_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let stem = file_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mod_rs = is_root || stem == "mod";
        for (local, &local_mod) in mods.iter().enumerate() {
            let decls: Vec<(Sym, Option<Box<str>>)> = files[fi as usize].facts.modules[local]
                .file_children
                .iter()
                .map(|d| (d.name, d.path_attr.clone()))
                .collect();
            if decls.is_empty() {
                continue;
            }
            // Inline modules add directories.
            let mut sub = PathBuf::new();
            let mut cur = local;
            let mut chain = vec![];
            while cur != 0 {
                let m = &files[fi as usize].facts.modules[cur];
                chain.push(m.name.as_str());
                cur = m.parent.unwrap_or(0) as usize;
            }
            for name in chain.iter().rev() {
                sub.push(name);
            }
            let base = if mod_rs {
                dir.join(&sub)
            } else {
                dir.join(&stem).join(&sub)
            };
            for (name, path_attr) in decls {
                let candidates: Vec<PathBuf> = match &path_attr {
                    Some(p) => vec![crate::project::normalize(&dir.join(&sub).join(&**p))],
                    None => vec![
                        base.join(format!("{name}.rs")),
                        base.join(name.as_str()).join("mod.rs"),
                    ],
                };
                let Some(&child) = candidates.iter().find_map(|c| by_path.get(c)) else {
                    continue;
                };
                if placed[child as usize].is_some() {
                    continue;
                }
                let mut p = self.modules[local_mod.0 as usize].path.clone();
                p.push(name);
                self.place_file(
                    files,
                    placed,
                    by_path,
                    child,
                    krate,
                    p,
                    Some(local_mod),
                    project,
                    false,
                );
            }
        }
        top
    }

    fn register_imports(&mut self) {
        for m in 0..self.modules.len() {
            let (file, local) = (self.modules[m].file, self.modules[m].local);
            let Some(f) = self.files.get(file as usize) else {
                continue;
            };
            let mut imports: FxHashMap<Sym, Vec<Box<[Sym]>>> = FxHashMap::default();
            let mut globs = vec![];
            for u in &f.facts.modules[local as usize].uses {
                if u.glob {
                    globs.push(u.path.clone());
                } else {
                    imports.entry(u.alias).or_default().push(u.path.clone());
                    self.known_names.insert(u.alias);
                }
            }
            self.modules[m].imports = imports;
            self.modules[m].globs = globs;
        }
    }

    fn register_items(&mut self) {
        let mut adds: Vec<(ModId, Ns, Sym, Res)> = vec![];
        for (fi, f) in self.files.iter().enumerate() {
            let (n, facts) = (fi as u32, &f.facts);
            let (structs, statics, fns) =
                (self.struct_base[fi], self.static_base[fi], self.fn_base[fi]);
            let structs = (facts.structs.iter().zip(0..))
                .map(|(s, i)| (s.module, s.name, Res::Struct(StructId(structs + i))));
            let aliases =
                (facts.aliases.iter().zip(0..)).map(|(a, i)| (a.module, a.name, Res::Alias(n, i)));
            let traits =
                (facts.traits.iter().zip(0..)).map(|(t, i)| (t.module, t.name, Res::Trait(n, i)));
            let types = structs
                .chain(aliases)
                .chain(traits)
                .map(|(m, name, res)| (m, Ns::Type, name, res));
            let statics = (facts.statics.iter().zip(0..))
                .map(|(s, i)| (s.module, s.name, Res::Static(StaticId(statics + i))));
            let free = |func: &&FnFacts| func.owner == FnOwner::Free && func.name != sym::CLOSURE;
            let fns = (facts.fns.iter().zip(0..))
                .filter(|(func, _)| free(func))
                .map(|(func, i)| (func.module, func.name, Res::Fn(FnId(fns + i))));
            let values = statics
                .chain(fns)
                .map(|(m, name, res)| (m, Ns::Value, name, res));
            for (module, ns, name, res) in types.chain(values) {
                adds.push((f.mods[module as usize], ns, name, res));
            }
        }
        for (module, ns, name, res) in adds {
            self.known_names.insert(name);
            let md = &mut self.modules[module.0 as usize];
            let table = match ns {
                Ns::Type => &mut md.types,
                Ns::Value => &mut md.values,
            };
            table.entry(name).or_default().push(res);
        }
    }

    fn register_methods(&mut self) {
        let mut adds: Vec<((StructId, Sym), FnId)> = vec![];
        let mut trait_adds: Vec<(Sym, FnId)> = vec![];
        let mut ext_adds: Vec<((Sym, Sym), FnId)> = vec![];
        let mut drop_adds: Vec<(StructId, FnId)> = vec![];
        for (fi, f) in self.files.iter().enumerate() {
            for (i, func) in f.facts.fns.iter().enumerate() {
                let id = FnId(self.fn_base[fi] + i as u32);
                match func.owner {
                    FnOwner::Impl(imp) => {
                        let imp = &f.facts.impls[imp as usize];
                        let module = f.mods[imp.module as usize];
                        if let Some(sid) = self.struct_of_type(&imp.self_ty, module) {
                            if func.name.as_str() == "drop"
                                && imp
                                    .trait_path
                                    .as_ref()
                                    .and_then(|t| t.last())
                                    .is_some_and(|t| t.name.as_str() == "Drop")
                            {
                                drop_adds.push((sid, id));
                            }
                            adds.push(((sid, func.name), id));
                        } else if imp.trait_path.is_some()
                            && let TypeFact::Path(p) = &imp.self_ty
                            && let Some(last) = p.last()
                        {
                            // `impl<T> RwLockExt<T> for RwLock<T>`: an extension of a type from
                            // outside the unit, by the type's name.
                            ext_adds.push(((last.name, func.name), id));
                        }
                    }
                    FnOwner::Trait(_) => trait_adds.push((func.name, id)),
                    _ => {}
                }
            }
        }
        for (k, id) in adds {
            self.method_names.insert(k.1);
            self.methods.entry(k).or_default().push(id);
        }
        for (k, id) in ext_adds {
            self.method_names.insert(k.1);
            self.ext_methods.entry(k).or_default().push(id);
        }
        for (k, id) in drop_adds {
            self.drop_impls.entry(k).or_default().push(id);
        }
        for (k, id) in trait_adds {
            self.method_names.insert(k);
            self.trait_methods.entry(k).or_default().push(id);
        }
    }

    /// Closures stored in struct literals (`Spool { on_full: Box::new(|| ..), .. }`), by the
    /// struct and field they are stored in.
    fn register_stored_closures(&mut self) {
        // (struct, field), the closure, and where it is stored (function, entry).
        type Add = ((StructId, Sym), FnId, (FnId, u32));
        let mut adds: Vec<Add> = vec![];
        for f in (0..self.fns.len() as u32).map(FnId) {
            let Some(body) = self.func(f).body.as_ref() else {
                continue;
            };
            if body.stored_closures.is_empty() {
                continue;
            }
            let file = self.fns[f.0 as usize].file;
            let self_ty = self.self_type(f);
            let scope = types::Scope {
                module: self.fn_module(f),
                generics: self.impl_generics(f),
                self_ty: Some(&self_ty),
            };
            for (i, sc) in body.stored_closures.iter().enumerate() {
                if let types::Ty::Struct(id, _) = self.resolve_type(&sc.owner, scope) {
                    let closure = self.fn_id(file, sc.closure);
                    adds.push(((id, sc.field), closure, (f, i as u32)));
                }
            }
        }
        for (k, closure, at) in adds {
            self.method_names.insert(k.1);
            self.stored_closures.entry(k).or_default().push(closure);
            self.stored_in.insert(closure, at);
        }
    }

    /// The closures `(x.field)()` may call, for `x` of struct type `id`.
    pub fn stored_closures(&self, id: StructId, field: Sym) -> &[FnId] {
        self.stored_closures
            .get(&(id, field))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Where stored closure `closure` was stored: the function and its body's entry.
    pub fn stored_in(&self, closure: FnId) -> Option<(FnId, &StoredClosure)> {
        let &(f, i) = self.stored_in.get(&closure)?;
        let sc = self
            .func(f)
            .body
            .as_ref()?
            .stored_closures
            .get(i as usize)?;
        Some((f, sc))
    }

    /// The local struct a type names, through references and `Box`/`Arc`.
    pub fn struct_of_type(&self, ty: &TypeFact, module: ModId) -> Option<StructId> {
        match ty {
            TypeFact::Ref(t) => self.struct_of_type(t, module),
            TypeFact::Path(p) => {
                let segs: Vec<Sym> = p.names().collect();
                self.resolve(module, &segs, Ns::Type)
                    .into_iter()
                    .find_map(|r| match r {
                        Res::Struct(s) => Some(s),
                        Res::Alias(f, a) => {
                            let alias = &self.files[f as usize].facts.aliases[a as usize];
                            let m = self.files[f as usize].mods[alias.module as usize];
                            self.struct_of_type(&alias.ty, m)
                        }
                        _ => None,
                    })
            }
            _ => None,
        }
    }

    // ------------------------------------------------------------------ accessors

    /// Could a call with this callee run code of the unit? A cheap test before resolving.
    pub fn may_resolve(&self, callee: &Callee) -> bool {
        match callee {
            Callee::Method(name) => self.method_names.contains(name),
            Callee::Path(segs) => segs
                .last()
                .is_some_and(|n| self.known_names.contains(n) || self.method_names.contains(n)),
            Callee::Closure(_) => true,
            Callee::Stored(name) => self.method_names.contains(name),
            Callee::Drop => !self.drop_impls.is_empty(),
            Callee::Param(_) | Callee::Unknown => false,
        }
    }

    /// Does the unit implement trait `name` (by its last segment) for struct `id`?
    pub fn implements(&self, id: StructId, name: &str) -> bool {
        self.files.iter().any(|f| {
            f.facts.impls.iter().any(|imp| {
                imp.trait_path
                    .as_ref()
                    .and_then(|t| t.last())
                    .is_some_and(|t| t.name.as_str() == name)
                    && self.struct_of_type(&imp.self_ty, f.mods[imp.module as usize]) == Some(id)
            })
        })
    }

    /// Does one of these traits of the unit (by file and index) declare a method of this name?
    /// A call of it on an `impl Trait` is that trait's, whatever std's method of the name does.
    pub fn traits_declare(&self, traits: &[(u32, u32)], method: Sym) -> bool {
        traits.iter().any(|&(f, t)| {
            self.files[f as usize].facts.traits[t as usize]
                .methods
                .contains(&method)
        })
    }

    /// Does any item or import of the unit bear this name?
    pub fn defines_name(&self, name: Sym) -> bool {
        self.known_names.contains(&name)
    }

    pub fn fn_id(&self, file: u32, idx: FnIdx) -> FnId {
        FnId(self.fn_base[file as usize] + idx)
    }

    pub fn func(&self, id: FnId) -> &FnFacts {
        let r = self.fns[id.0 as usize];
        &self.files[r.file as usize].facts.fns[r.idx as usize]
    }

    pub fn fn_file(&self, id: FnId) -> &UnitFile {
        &self.files[self.fns[id.0 as usize].file as usize]
    }

    pub fn fn_module(&self, id: FnId) -> ModId {
        let f = self.fn_file(id);
        f.mods[self.func(id).module as usize]
    }

    pub fn struct_facts(&self, id: StructId) -> (&StructFacts, ModId) {
        let (f, i) = self.structs[id.0 as usize];
        let file = &self.files[f as usize];
        let s = &file.facts.structs[i as usize];
        (s, file.mods[s.module as usize])
    }

    pub fn static_facts(&self, id: StaticId) -> (&StaticFacts, ModId, FileId) {
        let (f, i) = self.statics[id.0 as usize];
        let file = &self.files[f as usize];
        let s = &file.facts.statics[i as usize];
        (s, file.mods[s.module as usize], file.id)
    }

    /// The function a closure belongs to, following parents up to a named function.
    pub fn outer_fn(&self, mut id: FnId) -> FnId {
        for _ in 0..64 {
            match self.func(id).owner {
                FnOwner::Closure { parent, .. } => {
                    id = self.fn_id(self.fns[id.0 as usize].file, parent)
                }
                _ => return id,
            }
        }
        id
    }

    /// Display name of a struct: `Counter`.
    pub fn struct_name(&self, id: StructId) -> Sym {
        self.struct_facts(id).0.name
    }

    /// A function's name as users know it: `Counter::increment`, `worker`, `{closure}`.
    pub fn fn_display(&self, id: FnId) -> String {
        let outer = self.outer_fn(id);
        let f = self.func(outer);
        let base = match f.owner {
            FnOwner::Impl(i) => {
                let file = self.fn_file(outer);
                let imp = &file.facts.impls[i as usize];
                match &imp.self_ty {
                    TypeFact::Path(p) => match p.last() {
                        Some(seg) => format!("{}::{}", seg.name, f.name),
                        None => f.name.to_string(),
                    },
                    _ => f.name.to_string(),
                }
            }
            FnOwner::Trait(t) => {
                let file = self.fn_file(outer);
                format!("{}::{}", file.facts.traits[t as usize].name, f.name)
            }
            _ => f.name.to_string(),
        };
        if outer == id {
            base
        } else {
            format!("a closure in {base}")
        }
    }

    /// A function named for prose: "`Counter::increment`", "a closure in `main`".
    pub fn fn_phrase(&self, id: FnId) -> String {
        let outer = self.outer_fn(id);
        if outer == id {
            format!("`{}`", self.fn_display(id))
        } else {
            format!("a closure in `{}`", self.fn_display(outer))
        }
    }

    // ------------------------------------------------------------------ name resolution

    /// Resolves a path as written in `module`.
    pub fn resolve(&self, module: ModId, segs: &[Sym], ns: Ns) -> Vec<Res> {
        let key = (module, segs.to_vec().into_boxed_slice(), ns == Ns::Type);
        if let Some(hit) = self.resolve_cache.borrow().get(&key) {
            return hit.clone();
        }
        let out = self.resolve_depth(module, segs, ns, 0);
        self.resolve_cache.borrow_mut().insert(key, out.clone());
        out
    }

    fn crate_root(&self, module: ModId) -> ModId {
        let k = self.modules[module.0 as usize].krate;
        self.crates[k as usize].root
    }

    fn resolve_depth(&self, module: ModId, segs: &[Sym], ns: Ns, depth: u32) -> Vec<Res> {
        if segs.is_empty() || depth > 12 {
            return vec![];
        }
        let first = segs[0];
        let (mut cur, rest): (Vec<Res>, &[Sym]) = match first {
            sym::EMPTY => {
                // `::name::…`: an external crate, or one of ours.
                let Some(&name) = segs.get(1) else {
                    return vec![];
                };
                match self.crate_names.get(&name) {
                    Some(&k) => (vec![Res::Mod(self.crates[k as usize].root)], &segs[2..]),
                    None => return vec![Res::External(segs[1..].into())],
                }
            }
            sym::CRATE => (vec![Res::Mod(self.crate_root(module))], &segs[1..]),
            sym::SELF_VALUE => (vec![Res::Mod(module)], &segs[1..]),
            sym::SUPER => {
                let mut m = module;
                let mut i = 0;
                while segs.get(i) == Some(&sym::SUPER) {
                    m = self.modules[m.0 as usize].parent.unwrap_or(m);
                    i += 1;
                }
                (vec![Res::Mod(m)], &segs[i..])
            }
            _ => {
                let ns0 = if segs.len() == 1 { ns } else { Ns::Type };
                let found = self.lookup(module, first, ns0, depth);
                if found.is_empty() {
                    if segs.len() == 1 {
                        return vec![];
                    }
                    // An external crate (`std::…`, `parking_lot::…`).
                    return vec![Res::External(segs.into())];
                }
                (found, &segs[1..])
            }
        };
        for (i, &seg) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let seg_ns = if last { ns } else { Ns::Type };
            let mut next = vec![];
            for r in &cur {
                match r {
                    Res::Mod(m) => {
                        let found = self.lookup_in(*m, seg, seg_ns, depth);
                        if found.is_empty() {
                            next.extend(self.through_external_glob(*m, seg, depth));
                        } else {
                            next.extend(found);
                        }
                    }
                    Res::External(p) => {
                        let mut p = p.to_vec();
                        p.push(seg);
                        next.push(Res::External(p.into()));
                    }
                    // `Type::method`: the caller resolves associated items.
                    _ => {}
                }
            }
            if next.is_empty() {
                // `Type::f` / `Enum::Variant`: stop at the type.
                return if cur
                    .iter()
                    .any(|r| matches!(r, Res::Struct(_) | Res::Alias(..)))
                    && last
                {
                    cur
                } else {
                    vec![]
                };
            }
            cur = next;
        }
        cur
    }

    /// A name in scope in `module`: its own items, its imports, its glob imports, the crates.
    fn lookup(&self, module: ModId, name: Sym, ns: Ns, depth: u32) -> Vec<Res> {
        let found = self.lookup_in(module, name, ns, depth);
        if !found.is_empty() {
            return found;
        }
        if ns == Ns::Type
            && let Some(&k) = self.crate_names.get(&name)
        {
            return vec![Res::Mod(self.crates[k as usize].root)];
        }
        // Inline `mod tests { use super::*; }` and friends reach up only through imports; the
        // prelude and extern crates are what is left.
        vec![]
    }

    /// `name` as an item of `module` or one of its imports, looked up once per module, name
    /// and namespace: glob imports form cycles (`use super::*` both ways) and fan out, so a
    /// lookup that reaches itself finds nothing, and every result is kept.
    fn lookup_in(&self, module: ModId, name: Sym, ns: Ns, depth: u32) -> Vec<Res> {
        let key = (module, name, ns == Ns::Type);
        if let Some(hit) = self.lookup_cache.borrow().get(&key) {
            return hit.clone();
        }
        if !self.lookups_in_progress.borrow_mut().insert(key) {
            return vec![];
        }
        let out = self.lookup_in_uncached(module, name, ns, depth);
        self.lookups_in_progress.borrow_mut().remove(&key);
        self.lookup_cache.borrow_mut().insert(key, out.clone());
        out
    }

    fn lookup_in_uncached(&self, module: ModId, name: Sym, ns: Ns, depth: u32) -> Vec<Res> {
        let md = &self.modules[module.0 as usize];
        let mut out: Vec<Res> = vec![];
        if ns == Ns::Type
            && let Some(&child) = md.children.get(&name)
        {
            out.push(Res::Mod(child));
        }
        let table = match ns {
            Ns::Type => &md.types,
            Ns::Value => &md.values,
        };
        if let Some(items) = table.get(&name) {
            out.extend(items.iter().cloned());
        }
        if !out.is_empty() {
            return out;
        }
        if let Some(paths) = md.imports.get(&name) {
            for path in paths {
                let r = self.resolve_use(module, path, ns, depth + 1);
                if r.is_empty()
                    && !matches!(
                        path.first(),
                        Some(&(sym::CRATE | sym::SELF_VALUE | sym::SUPER))
                    )
                {
                    // `use some_crate;`, `use some_crate::{self, ..}`: an extern crate.
                    out.push(Res::External(
                        path.iter().copied().filter(|s| *s != sym::EMPTY).collect(),
                    ));
                }
                out.extend(r);
            }
            if !out.is_empty() {
                return out;
            }
        }
        for glob in &md.globs {
            for target in self.resolve_use(module, glob, Ns::Type, depth + 1) {
                match target {
                    // Through a glob, only names the unit defines can be found.
                    Res::Mod(m) if m != module && self.known_names.contains(&name) => {
                        out.extend(self.lookup_in(m, name, ns, depth + 1))
                    }
                    Res::External(p) => {
                        // Only names that resolve to something we know are worth guessing.
                        let mut full = p.to_vec();
                        full.push(name);
                        if known::locks::lock_type(&full).is_some()
                            || known::locks::is_guard_type(&full)
                        {
                            out.push(Res::External(full.into()));
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// `module::name` where `module` is one of ours that defines and imports no `name`: a
    /// qualified path sees no prelude, so the name comes through a glob. When the module's only
    /// glob names an external module (`pub mod thread { pub use shuttle_std::thread::*; }`),
    /// that is where `name` is: `shuttle_std::thread::sleep`. With two globs, or one into our
    /// own code (whose names `lookup_in` has searched), nothing is guessed.
    fn through_external_glob(&self, module: ModId, name: Sym, depth: u32) -> Option<Res> {
        let md = &self.modules[module.0 as usize];
        let [glob] = md.globs.as_slice() else {
            return None;
        };
        match self
            .resolve_use(module, glob, Ns::Type, depth + 1)
            .as_slice()
        {
            [Res::External(p)] => {
                let mut full = p.to_vec();
                full.push(name);
                Some(Res::External(full.into()))
            }
            _ => None,
        }
    }

    /// A `use` path, resolved from the module that declares it.
    fn resolve_use(&self, module: ModId, path: &[Sym], ns: Ns, depth: u32) -> Vec<Res> {
        if depth > 12 {
            return vec![];
        }
        let edition = {
            let md = &self.modules[module.0 as usize];
            self.files
                .get(md.file as usize)
                .map(|f| f.edition)
                .unwrap_or_default()
        };
        // Edition 2015: use paths start at the crate root.
        if edition == Edition::E2015
            && !matches!(
                path.first(),
                Some(&sym::CRATE | &sym::SELF_VALUE | &sym::SUPER | &sym::EMPTY)
            )
        {
            let root = self.crate_root(module);
            let r = self.resolve_depth(root, path, ns, depth + 1);
            if !r.is_empty() && !matches!(r.as_slice(), [Res::External(_)]) {
                return r;
            }
        }
        // Do not let `use foo::bar` look itself up through `foo` imported by the same `use`.
        self.resolve_depth(module, path, ns, depth + 1)
    }
}
