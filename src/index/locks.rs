//! The lock model: which holders are lock guards, of which lock, in which mode.
//!
//! A lock has a *class* (`Account::balance`, the static `REGISTRY`, a local `m` of `main`) and
//! an *instance* (`self.balance` and `other.balance` are two instances of one class). Two
//! acquisitions deadlock a thread by themselves only on the same instance; lock order is a
//! property of classes.

use super::types::Ty;
use super::{FnId, Index, StaticId, StructId};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known::{self, LockKind, LockLib, LockType};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockClass {
    /// `Type::field`; `elem` for an element of a collection field (`Type::shards[_]`).
    Field {
        owner: StructId,
        field: Sym,
        elem: bool,
    },
    Static(StaticId),
    /// A lock created in a function and bound to a local (one per call of the function).
    Local(FnId, LocalIdx),
    /// A lock passed in as a parameter.
    Param(FnId, u16),
    /// The type could not be resolved: the place as written, qualified by where it is written.
    Text(Box<str>),
    /// Every lock of one type (`Mutex<Session>`), where no field or static names the lock.
    Type(Box<str>),
}

/// Where an instance of a lock class is reached from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InstanceBase {
    SelfValue,
    Param(u16),
    Local(FnId, LocalIdx),
    Static,
    Guard(FnId, HolderIdx),
    Call(FnId, CallIdx),
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub base: InstanceBase,
    /// The projections from the base to the lock (`.accounts[i].balance`).
    pub path: Vec<Proj>,
}

impl Instance {
    /// Two acquisitions certainly lock the same object.
    pub fn same_as(&self, other: &Instance) -> bool {
        self.base != InstanceBase::Unknown
            && self == other
            && self.path.iter().all(|p| !matches!(p, Proj::Index(None)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Exclusive,
    Read,
    /// `read_recursive()`: a read that may nest.
    RecursiveRead,
    Upgradable,
    Write,
}

impl Mode {
    /// The mode a lock method takes a lock of this type in: `read()`, `write()`,
    /// `upgradable_read()`, `read_recursive()`, or a mutex's `lock()`.
    pub fn of(ty: LockType, method: Sym) -> Mode {
        let m = method.as_str();
        match ty.kind {
            LockKind::RwLock => {
                if method == sym::READ_RECURSIVE || (ty.recursive_reads && m.contains("read")) {
                    Mode::RecursiveRead
                } else if method == sym::UPGRADABLE_READ {
                    Mode::Upgradable
                } else if m.contains("read") {
                    Mode::Read
                } else {
                    Mode::Write
                }
            }
            _ => Mode::Exclusive,
        }
    }

    pub fn is_read(self) -> bool {
        matches!(self, Mode::Read | Mode::RecursiveRead | Mode::Upgradable)
    }
}

/// A holder that is a lock guard.
#[derive(Clone, Debug)]
pub struct HeldLock {
    pub class: LockClass,
    pub instance: Instance,
    pub ty: LockType,
    pub mode: Mode,
    /// `try_lock()` and friends: may fail instead of waiting.
    pub is_try: bool,
    /// The lock's type was seen (not inferred from how it is used).
    pub typed: bool,
    /// The place as written: `self.value`.
    pub text: String,
    /// The lock guards no data (`Mutex<()>`).
    pub unit_payload: bool,
    /// The payload when it is a bare primitive (`bool`, `u64`, …): `Mutex<u64>`.
    pub primitive_payload: Option<Sym>,
    /// The lock's type, when its payload is a type of the unit (`Mutex<Session>`): the class
    /// of a lock that no field or static names.
    pub type_class: Option<LockClass>,
}

impl HeldLock {
    /// `Mutex<()>`: a lock that guards a section, not data. Holding it across slow work is
    /// what it is for.
    pub fn guards_a_section(&self) -> bool {
        self.unit_payload
    }
}

impl Index {
    /// The class of a lock no field, static, local or parameter names: the place as written,
    /// where it is written.
    pub fn unnamed_class(&self, f: FnId, text: &str) -> LockClass {
        LockClass::Text(format!("{text}@{}", self.fn_display(self.outer_fn(f))).into())
    }

    /// A lock class as users know it: `Account::balance`, `REGISTRY`, `shards[_]`.
    pub fn class_name(&self, class: &LockClass, fallback: &str) -> String {
        match class {
            LockClass::Field { owner, field, elem } => {
                format!(
                    "{}::{}{}",
                    self.struct_name(*owner),
                    field,
                    if *elem { "[_]" } else { "" }
                )
            }
            LockClass::Static(s) => self.static_facts(*s).0.name.to_string(),
            LockClass::Local(f, l) => self
                .func(*f)
                .body
                .as_ref()
                .and_then(|b| b.locals.get(*l as usize))
                .map(|l| l.name.to_string())
                .unwrap_or_else(|| fallback.to_string()),
            LockClass::Param(f, i) => self
                .func(*f)
                .params
                .get(*i as usize)
                .and_then(|p| p.name)
                .map(|n| n.to_string())
                .unwrap_or_else(|| fallback.to_string()),
            LockClass::Text(_) => fallback.to_string(),
            LockClass::Type(t) => t.to_string(),
        }
    }
}

/// The resolved type, class and instance of a place.
pub struct PlaceInfo {
    pub ty: Ty,
    pub class: Option<LockClass>,
    pub instance: Instance,
    pub text: String,
}

impl PlaceInfo {
    /// A place nothing is known of.
    pub fn unknown() -> PlaceInfo {
        PlaceInfo {
            ty: Ty::Unknown,
            class: None,
            instance: Instance {
                base: InstanceBase::Unknown,
                path: vec![],
            },
            text: "_".into(),
        }
    }
}

impl Index {
    /// Resolves place `p` of function `f`'s body.
    pub fn place_info(&self, f: FnId, p: &Place) -> PlaceInfo {
        const MAX_NESTING: u32 = 24;
        let depth = self.place_depth.get();
        if depth > MAX_NESTING {
            return PlaceInfo::unknown();
        }
        self.place_depth.set(depth + 1);
        let info = self.place_info_depth(f, p, 0);
        self.place_depth.set(depth);
        info
    }

    fn place_info_depth(&self, f: FnId, p: &Place, depth: u32) -> PlaceInfo {
        let unknown = PlaceInfo::unknown;
        if depth > 8 {
            return unknown();
        }
        let file = self.fns[f.0 as usize].file;
        // `s.a` where `s` was built as `S { a: Arc::clone(&x), .. }`: it is `x`.
        if let (Base::Local { fn_, local }, Some(Proj::Field(first))) = (&p.base, p.proj.first()) {
            let owner = self.fn_id(file, *fn_);
            if let Some(body) = self.func(owner).body.as_ref()
                && let Some(l) = body.locals.get(*local as usize)
                && let Some(&(_, target)) = l.field_aliases.iter().find(|(n, _)| n == first)
            {
                let mut q = body.places[target as usize].clone();
                q.proj.extend(p.proj[1..].iter().cloned());
                let mut info = self.place_info_depth(owner, &q, depth + 1);
                let mut text = format!("{}.{}", l.name, first);
                for proj in &p.proj[1..] {
                    if let Proj::Field(n) = proj {
                        text.push('.');
                        text.push_str(n.as_str());
                    }
                }
                info.text = text;
                return info;
            }
        }
        let mut info = match &p.base {
            Base::SelfValue => PlaceInfo {
                ty: self.self_type(f),
                class: None,
                instance: Instance {
                    base: InstanceBase::SelfValue,
                    path: vec![],
                },
                text: "self".into(),
            },
            Base::Param(i) => {
                let outer = self.outer_fn(f);
                let name = self
                    .func(outer)
                    .params
                    .get(*i as usize)
                    .and_then(|p| p.name);
                PlaceInfo {
                    ty: self.param_type(outer, *i),
                    class: Some(LockClass::Param(outer, *i)),
                    instance: Instance {
                        base: InstanceBase::Param(*i),
                        path: vec![],
                    },
                    text: name.map(|n| n.to_string()).unwrap_or_else(|| "_".into()),
                }
            }
            Base::Local { fn_, local } => {
                let owner = self.fn_id(file, *fn_);
                let Some(body) = self.func(owner).body.as_ref() else {
                    return unknown();
                };
                let Some(l) = body.locals.get(*local as usize) else {
                    return unknown();
                };
                match l.alias_of {
                    Some(a) => {
                        let mut inner =
                            self.place_info_depth(owner, &body.places[a as usize], depth + 1);
                        inner.text = l.name.to_string();
                        // An alias keeps the class, but only a plain re-binding keeps the
                        // instance of the thing it names.
                        inner
                    }
                    None => {
                        let ty = match &l.ty {
                            None => match l.init_call {
                                Some(c) => self.call_type(owner, c),
                                None if l.payload_of.is_some() => l
                                    .payload_of
                                    .map(|(c, v)| payload_type(self.call_type(owner, c), v))
                                    .unwrap_or(Ty::Unknown),
                                // `KEY.with(|v| ..)`: `v` is this thread's value of the key.
                                None if l.is_closure_param && *local == 0 => {
                                    self.thread_local_value_type(owner)
                                }
                                None => Ty::Unknown,
                            },
                            Some(t) => {
                                let self_ty = self.self_type(owner);
                                self.resolve_type(
                                    t,
                                    super::types::Scope {
                                        module: self.fn_module(owner),
                                        generics: self.impl_generics(owner),
                                        self_ty: Some(&self_ty),
                                    },
                                )
                            }
                        };
                        PlaceInfo {
                            ty,
                            class: Some(LockClass::Local(owner, *local)),
                            instance: Instance {
                                base: InstanceBase::Local(owner, *local),
                                path: vec![],
                            },
                            text: l.name.to_string(),
                        }
                    }
                }
            }
            Base::Path(segs) => {
                let module = self.fn_module(f);
                let text = crate::intern::join_path(segs);
                match self.resolve_static(module, segs, Some(f)) {
                    Some(s) => PlaceInfo {
                        ty: self.static_type(s),
                        class: Some(LockClass::Static(s)),
                        instance: Instance {
                            base: InstanceBase::Static,
                            path: vec![],
                        },
                        text,
                    },
                    None => PlaceInfo { text, ..unknown() },
                }
            }
            Base::Call(c) => PlaceInfo {
                ty: self.call_type(f, *c),
                class: None,
                instance: Instance {
                    base: InstanceBase::Call(f, *c),
                    path: vec![],
                },
                text: self.call_text(f, *c),
            },
            Base::Guard(h) => {
                let ty = self.guard_payload(f, *h, depth + 1);
                PlaceInfo {
                    ty,
                    class: None,
                    instance: Instance {
                        base: InstanceBase::Guard(f, *h),
                        path: vec![],
                    },
                    text: self.guard_text(f, *h),
                }
            }
            Base::Unknown => unknown(),
        };
        for proj in &p.proj {
            match proj {
                Proj::Field(name) => {
                    let owner = match info.ty.peel() {
                        Ty::Struct(id, _) => Some(*id),
                        _ => None,
                    };
                    let class = match owner {
                        Some(owner) => LockClass::Field {
                            owner,
                            field: *name,
                            elem: false,
                        },
                        None => LockClass::Text(self.text_class(f, &info, *name).into()),
                    };
                    info.ty = self.field_type(&info.ty, *name);
                    if let Some(prev) = info.instance.path.last().cloned().or(None) {
                        let _ = prev;
                    }
                    info.class = Some(class);
                    info.instance.path.push(proj.clone());
                    info.text.push('.');
                    info.text.push_str(name.as_str());
                }
                Proj::Index(key) => {
                    info.ty = self.element_type(&info.ty);
                    info.class = match info.class.take() {
                        Some(LockClass::Field { owner, field, .. }) => Some(LockClass::Field {
                            owner,
                            field,
                            elem: true,
                        }),
                        Some(LockClass::Text(t)) => Some(LockClass::Text(format!("{t}[_]").into())),
                        other => other.map(|c| LockClass::Text(format!("{c:?}[_]").into())),
                    };
                    info.instance.path.push(proj.clone());
                    match key {
                        Some(k) => info.text.push_str(&format!("[{k}]")),
                        None => info.text.push_str("[_]"),
                    }
                }
                Proj::Method(_) => {}
            }
        }
        info
    }

    /// A stable name for a lock whose owner type is unknown: the type of what it hangs off
    /// (for `self`, the impl's type), then the field path.
    fn text_class(&self, f: FnId, info: &PlaceInfo, field: Sym) -> String {
        let owner = match &info.instance.base {
            InstanceBase::SelfValue | InstanceBase::Param(_) => type_name(&info.ty),
            _ => None,
        };
        match owner {
            Some(o) if info.instance.path.is_empty() => format!("{o}.{field}"),
            _ => format!(
                "{}@{}.{field}",
                info.text,
                self.fn_display(self.outer_fn(f))
            ),
        }
    }

    fn call_text(&self, f: FnId, c: CallIdx) -> String {
        let Some(body) = self.func(f).body.as_ref() else {
            return "_".into();
        };
        match &body.calls[c as usize].callee {
            Callee::Path(p) => format!("{}()", crate::intern::join_path(p)),
            Callee::Method(m) => format!("{m}()"),
            _ => "_()".into(),
        }
    }

    fn guard_text(&self, f: FnId, h: HolderIdx) -> String {
        let Some(body) = self.func(f).body.as_ref() else {
            return "_".into();
        };
        let holder = &body.holders[h as usize];
        match holder.binding {
            Some((name, _)) => name.to_string(),
            None => "_".into(),
        }
    }

    /// The type behind a guard holder.
    fn guard_payload(&self, f: FnId, h: HolderIdx, depth: u32) -> Ty {
        let Some(body) = self.func(f).body.as_ref() else {
            return Ty::Unknown;
        };
        match body.holders[h as usize].kind {
            HolderKind::Lock { place, .. } => {
                let info = self.place_info_depth(f, &body.places[place as usize], depth + 1);
                match info.ty.as_lock() {
                    Some((_, payload)) => payload.clone(),
                    None => Ty::Unknown,
                }
            }
            HolderKind::CallResult(c) => match self.call_type(f, c) {
                Ty::Guard(p) => *p,
                t => t,
            },
            HolderKind::Param(i) => match self.param_type(self.outer_fn(f), i) {
                Ty::Guard(p) => *p,
                t => t,
            },
        }
    }

    /// The type a call returns, when the callee is known.
    pub fn call_type(&self, f: FnId, c: CallIdx) -> Ty {
        let Some(body) = self.func(f).body.as_ref() else {
            return Ty::Unknown;
        };
        let call = &body.calls[c as usize];
        if let Callee::Path(p) = &call.callee
            && p.last()
                .is_some_and(|n| known::locks::is_std_stream_fn(n.as_str()))
        {
            return Ty::External(
                [sym::STD, Sym::new("io"), Sym::new("Stdout")].into(),
                vec![],
            );
        }
        match self.callees(f, c).first() {
            Some(&callee) => self.return_type(callee),
            // `ReentrantMutex::from_raw(..)`, `Mutex::new(..)`: a lock library's constructor
            // makes a lock of its type.
            None => self
                .external_path(f, c)
                .and_then(|p| {
                    let (ctor, ty) = p.split_last()?;
                    let ctor = ctor.as_str();
                    let made = ctor == "new"
                        || ctor == "const_new"
                        || ctor == "default"
                        || ctor.starts_with("from_")
                        || ctor.starts_with("with_");
                    let lt = known::locks::lock_type(ty).filter(|_| made)?;
                    Some(Ty::Lock(lt, Box::new(Ty::Unknown)))
                })
                .unwrap_or(Ty::Unknown),
        }
    }

    /// Decides whether holder `h` of function `f` is a lock guard, and which.
    pub fn held_lock(&self, f: FnId, h: HolderIdx) -> Option<HeldLock> {
        let body = self.func(f).body.as_ref()?;
        let holder = &body.holders[h as usize];
        let HolderKind::Lock { place, method } = holder.kind else {
            return None;
        };
        let place = &body.places[place as usize];
        let info = self.place_info(f, place);
        let method_str = method.as_str();
        let is_try = method_str.starts_with("try_");
        let primitive_payload = match info.ty.as_lock() {
            Some((_, Ty::External(p, args))) if p.len() == 1 && args.is_empty() => Some(p[0]),
            _ => None,
        };
        let type_class = match info.ty.as_lock() {
            Some((lt, Ty::Struct(id, _))) => Some(LockClass::Type(
                format!("{}<{}>", lt.name(), self.struct_name(*id)).into(),
            )),
            _ => None,
        };
        let (mut ty, unit_payload, typed) = match info.ty.as_lock() {
            Some((lt, payload)) => (lt, payload.is_unit(), true),
            None => (
                self.infer_lock_type(f, holder, place, &info.ty, method)?,
                false,
                false,
            ),
        };
        if ty.lib == LockLib::Unknown {
            // The library is not visible: `.lock().await` says async; a `lock()` handed to a
            // call unawaited and unwrapped is most likely a future (`join(m.lock(), ..)`).
            if holder.awaited {
                ty.lib = LockLib::UnknownAsync;
            } else if !holder.unwrapped && passed_to_a_call(body, h) {
                return None;
            }
        }
        // An async lock's `lock()` is a future: nothing is held until it is awaited.
        if ty.lib.is_async()
            && !holder.awaited
            && !is_try
            && !method_str.starts_with("blocking_")
            && !method_str.ends_with("_blocking")
        {
            return None;
        }
        let mode = Mode::of(ty, method);
        let class = info
            .class
            .clone()
            .unwrap_or_else(|| self.unnamed_class(f, &info.text));
        Some(HeldLock {
            class,
            instance: info.instance,
            ty,
            mode,
            is_try,
            typed,
            text: info.text,
            unit_payload,
            primitive_payload,
            type_class,
        })
    }

    /// A lock whose type is not visible: what the way it is used says.
    fn infer_lock_type(
        &self,
        f: FnId,
        holder: &Holder,
        place: &Place,
        ty: &Ty,
        method: Sym,
    ) -> Option<LockType> {
        let m = method.as_str();
        let is_rw_method = m.contains("read") || m.contains("write");
        match ty.peel() {
            // A type of ours: its own `lock()` is a method call, not a lock.
            Ty::Struct(id, _) if self.methods.contains_key(&(*id, method)) => return None,
            Ty::External(path, _) => {
                let name = path.last().map(|s| s.as_str()).unwrap_or("");
                if !(name.contains("Mutex") || name.contains("Lock")) {
                    return None;
                }
            }
            Ty::Param(_) | Ty::Container(_) | Ty::Tuple(_) => return None,
            _ => {}
        }
        // `io::stdout().lock()`: a reentrant stream lock.
        if let Base::Call(c) = place.base
            && place.proj.is_empty()
            && let Some(body) = self.func(f).body.as_ref()
            && let Callee::Path(p) = &body.calls[c as usize].callee
            && p.last()
                .is_some_and(|n| known::locks::is_std_stream_fn(n.as_str()))
        {
            return None;
        }
        if holder.in_unsafe && is_rw_method {
            // `ptr.read()` on a raw pointer.
            return None;
        }
        // `client.read().await.unwrap()`, `conn.lock().await?`: what the future yields is a
        // `Result`. An async lock's `lock()`/`read()`/`write()` yields the guard itself (tokio,
        // async-lock, async-std, futures), so this is an `async fn` of something else (a test
        // peer's byte read, a database's advisory lock).
        if holder.awaited && holder.unwrapped && !holder.configured {
            return None;
        }
        let kind = if is_rw_method {
            LockKind::RwLock
        } else {
            LockKind::Mutex
        };
        let lib = if holder.awaited {
            LockLib::UnknownAsync
        } else if holder.unwrapped && !(is_rw_method && holder.tried) {
            // `x.read().unwrap()` is a std lock's; `x.read()?` as likely I/O or a builder.
            LockLib::Std
        } else if is_rw_method || holder.argc > 0 {
            // A bare `x.read()` / `x.write()` of unknown type is as likely I/O as a lock.
            return None;
        } else {
            LockLib::Unknown
        };
        Some(LockType {
            lib,
            kind,
            recursive_reads: false,
        })
    }
}

fn passed_to_a_call(body: &Body, h: HolderIdx) -> bool {
    body.calls
        .iter()
        .any(|c| c.args.contains(&Operand::Guard(h)))
}

/// What `variant` (`Some`, `Ok`, `Err`) wraps in a value of type `ty`.
fn payload_type(ty: Ty, variant: Sym) -> Ty {
    let (name, args) = match ty {
        Ty::Wrapper(w, inner) => (w, vec![*inner]),
        Ty::External(p, args) => match p.last() {
            Some(&n) => (n, args),
            None => return Ty::Unknown,
        },
        _ => return Ty::Unknown,
    };
    known::flow::variant_payload(name.as_str(), variant.as_str())
        .and_then(|i| args.into_iter().nth(i))
        .unwrap_or(Ty::Unknown)
}

fn type_name(ty: &Ty) -> Option<String> {
    None.or(match ty.peel() {
        Ty::External(p, _) => p.last().map(|s| s.to_string()),
        _ => None,
    })
}
