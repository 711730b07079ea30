//! `unsafe_sync_impl`: an `unsafe impl Sync` (or `Send`) that promises what the fields do not
//! keep.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::{Cfg, FieldUseKind, TypeFact};
use crate::index::locks::LockClass;
use crate::index::model::Model;
use crate::index::queries::{FieldAccess, FieldType, UnsafeImpl};
use crate::index::{FnId, StructId};
use crate::intern::Sym;
use crate::known::cells;
use crate::span::{FileId, Loc, Span};
use std::collections::HashMap;

pub const RULE: Rule = Rule {
    name: "unsafe_sync_impl",
    level: Severity::Warning,
    group: Group::Default,
    summary: "`unsafe impl Sync` (or `Send`) for a type whose `Cell`/`RefCell`/`UnsafeCell`/`Rc` fields or raw pointers are reached without a lock",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds `unsafe impl Sync for T` where `T` has a field that is not safe to share between threads
(`Cell`, `RefCell`, `UnsafeCell`, `std::cell::OnceCell`, `Rc`, or a raw pointer whose target
is written), directly or in a field's own fields, that the code reaches from several threads
without a lock:

- a cell in a type with no synchronisation at all is reported, unless every access to it that
  lockscan sees is under one lock (a lock of an enclosing type, say) or cannot be reached by
  a second thread (through `&mut self`, or this thread's value of a `thread_local!` key);
- a cell beside a lock (`Mutex<()>` next to an `UnsafeCell`), and a raw pointer, are
  reported when the code writes through them from a shared reference and some access from a
  shared reference does not hold the lock the others hold (or any lock).

The accesses without the lock are labelled. Also finds `unsafe impl Send for T` where `T` holds
an `Rc`, which must not move to another thread.

### Why is this bad
`Sync` promises that `&T` can be used from several threads at once. `Cell` and `RefCell` mutate
through `&self` with no synchronisation, so two threads doing it at once is a data race:
undefined behaviour. The compiler refuses to derive `Sync` for such types for this reason; an
`unsafe impl` overrides the compiler, and nothing checks the promise. A lock beside the cell
keeps it only if every access takes the lock. An `Rc` sent to another thread races on its
reference count.

### Known problems
Accesses are the calls of a cell's or a pointer's methods on the field (`set`, `borrow`,
`get`, `add`, `write`, …) and reads and writes through `*` of it, in the scanned code; a
reference to the field handed elsewhere, a pointer copied into a local first, or an access in
another crate is not seen, so a cell written only through a pointer copied out of it (or by
foreign code) looks read-only, and read-only cells are kept. An access counts as locked when a
guard is alive there, when it is in a closure that a helper calls under its lock
(`self.with_lock(|| ..)`), or in a private method that every caller calls holding the lock;
locks are compared by class (`Arena::lock`), not by instance. A cell in a type with no
synchronisation and no visible access is reported on the promise alone. A type whose fields are protected by something lockscan does
not follow (a lock held by every caller of a public method, a single-threaded executor,
interrupts disabled) is reported; allow it with a comment that says what keeps the promise.
A type that also holds atomics, a `Once`, a `OnceLock` or another primitive besides locks and
condition variables is taken to follow a protocol of its own and is not reported; nor is an
`UnsafeCell` in a generic type (`unsafe impl<T: Send> Sync for MyCell<T>`: a synchronisation
primitive under construction), a type named as one (`AtomicU64`, `Mutex`, …), or a cell of
`()` (a marker). A cell touched only in the closures a `thread_local!` key's `with` runs is
silent, although its `unsafe impl Sync` is not needed there and would let a later `static` (or
a scoped thread given `&` of the value) race; the same type with a `&self` method that touches
the cell is reported, since the method can be called on a shared value. Lock guards in
`Send` types are not reported: `lock_api` guards may be `Send`. Fields whose type lockscan
cannot see (a generic parameter, a type from another crate) count as neither hazard nor
synchronisation.

An impl and a field are reported together only when one build can have both: the `#[cfg(..)]`
of the impl, of the structs and fields on the way to the field, and of the modules they are
in (a file module's from its `mod` declaration) must not contradict each other (a
`#[cfg(feature = "send")] unsafe impl Sync` and a `Cell` in a `#[cfg(not(feature =
"send"))]` module never meet). Conditions are compared as written and taken as independent,
so `unix` and `windows` are not seen to exclude each other. Where two same-named items are
defined under opposite `cfg`s, lockscan follows one of them, so the other variant's fields are
not judged.

A raw pointer (`*mut T`, `NonNull<T>`) holds no `T`: an `unsafe impl Send` for a type holding
`NonNull<State>`, where `State` holds an `Rc`, moves a pointer, not the `Rc`, and is not
reported; whether the other thread dereferences the pointer and touches the `Rc` is not
followed. For `Sync`, the pointer is the hazard (its target, judged by the writes through it),
never the target's own fields, for `NonNull<T>` as for `*mut T`: a `RefCell` of the target
mutated through the pointer from two threads (`self.ptr.as_ref().items.borrow_mut()`) is missed.

### Example
```rust
struct Stats {
    hits: Cell<u64>,
}

unsafe impl Sync for Stats {} // two threads calling `hit` race on `hits`
```

### Use instead
```rust
struct Stats {
    hits: AtomicU64, // `Sync` by itself: no `unsafe impl` needed
}
```
"#;

/// A field that is not safe to share, reached from the struct of the impl.
struct Hazard {
    /// The field path from the struct: `slots.free`.
    path: String,
    /// The type's name (`Cell`, `Rc`, …), or `raw pointer`.
    what: &'static str,
    /// The struct that declares the field, and the field's name: what accesses are keyed by.
    owner: StructId,
    field: Sym,
    span: Span,
    file: FileId,
    /// The `#[cfg(..)]` conditions of the structs and fields on the way to it.
    cfgs: Vec<Cfg>,
}

impl Hazard {
    fn is_pointer(&self) -> bool {
        self.what == RAW_POINTER || cells::raw_pointer(&[self.what]).is_some()
    }

    /// "a `Cell` (`hits`)", "the target of a raw pointer (`pixels`)".
    fn phrase(&self) -> String {
        if self.what == RAW_POINTER {
            format!("the target of a raw pointer (`{}`)", self.path)
        } else if self.is_pointer() {
            format!("the target of a `{}` (`{}`)", self.what, self.path)
        } else {
            format!("a `{}` (`{}`)", self.what, self.path)
        }
    }
}

const RAW_POINTER: &str = "raw pointer";

/// What the fields hold, as far as sharing goes.
#[derive(Default)]
struct Found {
    hazards: Vec<Hazard>,
    /// A lock whose guards lockscan follows (`Mutex`, `RwLock`, …).
    locks: bool,
    /// Synchronisation lockscan does not follow: atomics, `Once`, `OnceLock`, ….
    protocol: bool,
}

struct Walk<'a, 'i> {
    m: &'a Model<'i>,
    send: bool,
    /// The impl is generic (`unsafe impl<T> Sync for Cell<T>`).
    generic: bool,
    seen: Vec<StructId>,
    /// The `#[cfg(..)]` conditions of the structs and fields being walked.
    cfgs: Vec<Cfg>,
    out: Found,
}

impl Walk<'_, '_> {
    /// A type inside field `fname` of `owner` (named `path` from the impl's struct).
    fn ty(&mut self, t: &TypeFact, path: &str, field: (StructId, Sym), at: &FieldType, depth: u32) {
        if depth > 6 {
            return;
        }
        match t {
            TypeFact::Path(p) => {
                let Some(last) = p.last() else { return };
                let name = last.name.as_str();
                if cells::is_marker(name) || cells::is_lock_companion(name) {
                    return;
                }
                if cells::is_data_lock(name) {
                    self.out.locks = true;
                    return;
                }
                if cells::is_sync_primitive(name) {
                    self.out.protocol = true;
                    return;
                }
                let names: Vec<&str> = p.names().map(|s| s.as_str()).collect();
                let hazard = if self.send {
                    cells::not_send(&names)
                } else {
                    // `UnsafeCell<T>` in a generic type is how synchronisation primitives are
                    // built (their own `Mutex`, `AtomicCell`, `SyncUnsafeCell`); in a concrete
                    // type it is shared data.
                    // A cell of `()` holds nothing to share: a marker (`UnsafeCell<()>` makes a
                    // type `!RefUnwindSafe`).
                    let unit = matches!(&last.args[..], [TypeFact::Tuple(ts)] if ts.is_empty());
                    cells::unsync_cell(&names)
                        .filter(|h| !unit && (*h != "UnsafeCell" || !self.generic))
                        .or_else(|| cells::raw_pointer(&names))
                };
                if let Some(h) = hazard {
                    self.push(h, path, field, at);
                }
                // `NonNull<State>`: the type holds a pointer, not a `State`. Moving it moves no
                // `Rc` of `State`'s, and sharing it shares the target, which the pointer's
                // accesses judge: `State`'s own fields are not this type's.
                if cells::raw_pointer(&names).is_some() {
                    return;
                }
                for a in &last.args {
                    self.ty(a, path, field, at, depth + 1);
                }
                // A struct of the unit: its own fields.
                if let Some(id) = self.m.struct_of_field_type(at, t)
                    && !self.seen.contains(&id)
                {
                    self.seen.push(id);
                    self.fields(id, Some(path), depth + 1);
                }
            }
            TypeFact::Ptr(_) if !self.send => self.push(RAW_POINTER, path, field, at),
            TypeFact::Ref(t) | TypeFact::Array(t) => self.ty(t, path, field, at, depth + 1),
            TypeFact::Tuple(ts) => {
                for t in ts {
                    self.ty(t, path, field, at, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, what: &'static str, path: &str, field: (StructId, Sym), at: &FieldType) {
        self.out.hazards.push(Hazard {
            path: path.to_string(),
            what,
            owner: field.0,
            field: field.1,
            span: at.span,
            file: at.file,
            cfgs: self.cfgs.clone(),
        });
    }

    fn fields(&mut self, id: StructId, prefix: Option<&str>, depth: u32) {
        let outer = self.cfgs.len();
        self.cfgs
            .extend(self.m.struct_cfgs(id).into_iter().cloned());
        for (fname, at) in self.m.field_types(id) {
            let path = match prefix {
                Some(p) => format!("{p}.{fname}"),
                None => fname.to_string(),
            };
            let here = self.cfgs.len();
            self.cfgs.extend(at.cfg.cloned());
            self.ty(at.ty, &path, (id, fname), &at, depth);
            self.cfgs.truncate(here);
        }
        self.cfgs.truncate(outer);
    }
}

/// What the accesses to one hazard show.
enum Verdict {
    /// No access that a second thread can race with.
    Kept,
    /// No access seen: the promise alone.
    Unseen,
    /// Accesses from shared references that hold no lock, or not the lock the others hold
    /// (named when there is one).
    Unlocked(Vec<Unlocked>, Option<String>),
}

/// An access without the lock: where, how, whether it writes, and the field as written there.
struct Unlocked {
    loc: Loc,
    kind: FieldUseKind,
    write: bool,
    text: String,
}

/// Of two accesses on one line, the one to show: a write through `*` first.
fn rank(k: FieldUseKind) -> u8 {
    match k {
        FieldUseKind::DerefWrite => 2,
        FieldUseKind::DerefRead => 0,
        FieldUseKind::Method(_) => 1,
    }
}

/// The label of an access without the lock.
fn access_label(u: &Unlocked, lock: Option<&str>) -> String {
    let what = match u.kind {
        FieldUseKind::Method(name) => format!("`{name}` called on `{}` here", u.text),
        FieldUseKind::DerefWrite => format!("written through `{}` here", u.text),
        FieldUseKind::DerefRead => format!("read through `{}` here", u.text),
    };
    match lock {
        Some(lock) => format!("{what} without `{lock}`, which other accesses hold"),
        None => format!("{what} from a shared reference, with no lock"),
    }
}

/// Judges the accesses to a hazard.
struct Judge<'a, 'i> {
    m: &'a Model<'i>,
    uses: HashMap<(StructId, Sym), Vec<FieldAccess<'i>>>,
    /// Per body, the locks held wherever it runs ([`Model::locks_around`]).
    around: HashMap<FnId, Vec<LockClass>>,
}

impl Judge<'_, '_> {
    fn verdict(&mut self, h: &Hazard) -> Verdict {
        let m = self.m;
        let Some(uses) = self.uses.get(&(h.owner, h.field)) else {
            return Verdict::Unseen;
        };
        // The shared accesses: whether each writes, and the locks it holds for that.
        let mut shared: Vec<(&FieldAccess, bool, Vec<LockClass>)> = vec![];
        for a in uses {
            if !m.may_be_shared_through_sync(a.f, &a.instance) {
                continue;
            }
            let write = match a.u.kind {
                FieldUseKind::Method(name) => cells::access_writes(h.what, name.as_str()),
                FieldUseKind::DerefWrite => true,
                FieldUseKind::DerefRead => false,
            };
            let mut locks: Vec<LockClass> = m
                .held_at_use(a.f, a.u.at, &a.u.held)
                .into_iter()
                .filter_map(|r| m.lock(r))
                // Readers hold a read lock together: it keeps reads apart from writes only.
                .filter(|l| !write || !l.mode.is_read())
                .map(|l| l.class.clone())
                .collect();
            let around = self
                .around
                .entry(a.f)
                .or_insert_with(|| m.locks_around(a.f));
            locks.extend(around.iter().cloned());
            shared.push((a, write, locks));
        }
        if !shared.iter().any(|(_, write, _)| *write) {
            return Verdict::Kept;
        }
        // The lock most shared accesses hold (the first seen, of equals).
        let mut counts: Vec<(&LockClass, usize)> = vec![];
        for (_, _, locks) in &shared {
            for l in locks {
                match counts.iter_mut().find(|(c, _)| *c == l) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((l, 1)),
                }
            }
        }
        let mut best: Option<(&LockClass, usize)> = None;
        for &(c, n) in &counts {
            if best.is_none_or(|(_, b)| n > b) {
                best = Some((c, n));
            }
        }
        let best = best.map(|(c, _)| c.clone());
        let mut unlocked: Vec<Unlocked> = vec![];
        for (a, write, locks) in &shared {
            if best.as_ref().is_some_and(|b| locks.contains(b)) {
                continue;
            }
            let u = Unlocked {
                loc: m.loc(a.f, a.u.span),
                kind: a.u.kind,
                write: *write,
                text: a.text.clone(),
            };
            // One label per line: a write through `*` before the call that made the pointer.
            let line = |x: &Unlocked| (x.loc.file, x.loc.span.lo.line);
            match unlocked.iter_mut().find(|x| line(x) == line(&u)) {
                Some(seen) if rank(u.kind) > rank(seen.kind) => *seen = u,
                Some(_) => {}
                None => unlocked.push(u),
            }
        }
        if unlocked.is_empty() {
            return Verdict::Kept;
        }
        // The writes first: they are the race.
        unlocked.sort_by_key(|u| !u.write);
        Verdict::Unlocked(unlocked, best.map(|c| m.class_name(&c, "the lock")))
    }
}

/// Access labels shown per hazard.
const MAX_ACCESS_LABELS: usize = 4;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    // The `Sync` promises to judge by their accesses, found first so that only the fields
    // involved are looked up.
    let mut to_judge: Vec<(Sym, Found, Loc)> = vec![];
    for ui in m.unsafe_impls() {
        let UnsafeImpl {
            imp, file, ty: id, ..
        } = ui;
        let Some(tr) = &imp.trait_path else { continue };
        let Some(tt) = tr.last().and_then(|s| cells::thread_trait(s.name)) else {
            continue;
        };
        let send = tt == cells::ThreadTrait::Send;
        // A type named as a synchronisation primitive is one, built on a cell (an
        // `AtomicU64` polyfill on a `Cell` or an `UnsafeCell` driven by atomic instructions).
        let (s, _) = m.struct_decl(id);
        if !send && cells::is_sync_primitive(s.name.as_str()) {
            continue;
        }
        let mut w = Walk {
            m,
            send,
            generic: !imp.generics.is_empty(),
            seen: vec![id],
            cfgs: vec![],
            out: Found::default(),
        };
        w.fields(id, None, 0);
        let mut found = w.out;
        // `#[cfg(feature = "send")] unsafe impl Sync` and a `Cell` in a
        // `#[cfg(not(feature = "send"))]` module: no build has both.
        let impl_cfgs = m.impl_cfgs(&ui);
        found.hazards.retain(|h| {
            let all: Vec<&Cfg> = impl_cfgs.iter().copied().chain(&h.cfgs).collect();
            m.cfgs_meet(&all)
        });
        let loc = Loc {
            file,
            span: imp.span,
        };
        if found.hazards.is_empty() {
            continue;
        }
        if send {
            out.push(send_diagnostic(s.name, &found.hazards, loc));
        } else if !found.protocol {
            to_judge.push((s.name, found, loc));
        }
    }
    if to_judge.is_empty() {
        return;
    }
    let fields: Vec<Sym> = to_judge
        .iter()
        .flat_map(|(_, found, _)| found.hazards.iter().map(|h| h.field))
        .collect();
    let mut judge = Judge {
        m,
        uses: m.field_uses(&fields),
        around: HashMap::new(),
    };
    for (ty, found, loc) in &to_judge {
        let mut fired: Vec<Fired> = vec![];
        for h in &found.hazards {
            match judge.verdict(h) {
                Verdict::Kept => {}
                // A cell in a type with nothing to synchronise it: the promise is all there is.
                Verdict::Unseen if !found.locks && !h.is_pointer() => fired.push((h, vec![], None)),
                Verdict::Unseen => {}
                Verdict::Unlocked(at, lock) => fired.push((h, at, lock)),
            }
        }
        if !fired.is_empty() {
            out.push(sync_diagnostic(*ty, &fired, *loc));
        }
    }
}

fn send_diagnostic(ty: Sym, hazards: &[Hazard], loc: Loc) -> Diagnostic {
    let h = &hazards[0];
    let mut d = Diagnostic::new(
        RULE.name,
        RULE.level,
        loc,
        format!(
            "`unsafe impl Send for {ty}` moves a `{}` (`{}`) to another thread",
            h.what, h.path
        ),
    )
    .primary_label(format!("promises the compiler that `{ty}` is Send"));
    for h in hazards {
        d = d.label(
            Loc {
                file: h.file,
                span: h.span,
            },
            format!("`{}` counts references without atomics", h.what),
        );
    }
    d.help("use `Arc` (and `sync::Weak`) instead of `Rc`, keep guards on the thread that took them, and remove the `unsafe impl` so the compiler can check the type")
        .note("`Send` promises the value can be used on another thread; nothing checks an `unsafe impl`")
}

type Fired<'h> = (&'h Hazard, Vec<Unlocked>, Option<String>);

fn sync_diagnostic(ty: Sym, fired: &[Fired], loc: Loc) -> Diagnostic {
    let (first, _, first_lock) = &fired[0];
    let message = match first_lock {
        Some(lock) => format!(
            "`unsafe impl Sync for {ty}` shares {} that is reached without `{lock}`",
            first.phrase()
        ),
        None => format!(
            "`unsafe impl Sync for {ty}` shares {} between threads with no lock",
            first.phrase()
        ),
    };
    let mut d = Diagnostic::new(RULE.name, RULE.level, loc, message)
        .primary_label(format!("promises the compiler that `{ty}` is Sync"));
    for (h, at, lock) in fired {
        let why = if h.is_pointer() {
            format!(
                "`{}` is a {}: every thread with a `&{ty}` reaches what it points to",
                h.path,
                if h.what == RAW_POINTER {
                    RAW_POINTER.to_string()
                } else {
                    format!("`{}`", h.what)
                }
            )
        } else {
            format!(
                "`{}` is a `{}`: it changes through `&self` with no synchronisation",
                h.path, h.what
            )
        };
        d = d.label(
            Loc {
                file: h.file,
                span: h.span,
            },
            why,
        );
        for u in at.iter().take(MAX_ACCESS_LABELS) {
            d = d.label(u.loc, access_label(u, lock.as_deref()));
        }
        if at.len() > MAX_ACCESS_LABELS {
            d = d.note(format!(
                "{} more accesses to `{}` without a lock are not shown",
                at.len() - MAX_ACCESS_LABELS,
                h.path
            ));
        }
    }
    let help = match first_lock {
        Some(lock) => format!(
            "hold `{lock}` for every access to `{}`, or keep the value inside the lock (`Mutex<T>`) so that the compiler checks it; then remove the `unsafe impl Sync for {ty}`",
            first.path
        ),
        None if first.is_pointer() => format!(
            "write through `&mut self` only, or guard the target with a lock (a `Mutex` the writers and readers take), before promising that `{ty}` is `Sync`"
        ),
        None => format!(
            "make the fields thread-safe (a `Mutex`/`RwLock` around them, or atomics instead of `Cell`), then remove the `unsafe impl Sync for {ty}`: the compiler derives `Sync` when it holds"
        ),
    };
    d.help(help)
        .note("two threads using `&T` at once race on these fields: undefined behaviour")
}
