//! `unsafe_sync_impl`: an `unsafe impl Sync` (or `Send`) that promises what the fields do not
//! keep.

use super::{FixAvailability, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::TypeFact;
use crate::index::StructId;
use crate::index::model::Model;
use crate::index::queries::{FieldType, UnsafeImpl};
use crate::known::cells;
use crate::span::{FileId, Loc, Span};

pub const RULE: Rule = Rule {
    name: "unsafe_sync_impl",
    level: Severity::Warning,
    summary: "`unsafe impl Sync` (or `Send`) for a type with `Cell`/`RefCell`/`UnsafeCell`/`Rc` fields and no lock",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds `unsafe impl Sync for T` where `T` has a field that is not safe to share between threads
(`Cell`, `RefCell`, `UnsafeCell`, `std::cell::OnceCell`, `Rc`), directly or in a field's own
fields, and no synchronisation at all (no lock, atomic, `Once`/`OnceLock` or condition variable)
among its fields. Also finds `unsafe impl Send for T` where `T` holds an `Rc`, which must not move to another
thread.

### Why is this bad
`Sync` promises that `&T` can be used from several threads at once. `Cell` and `RefCell` mutate
through `&self` with no synchronisation, so two threads doing it at once is a data race:
undefined behaviour. The compiler refuses to derive `Sync` for such types for this reason; an
`unsafe impl` overrides the compiler, and nothing checks the promise. An `Rc` sent to another
thread races on its reference count; a guard sent to another thread unlocks from a thread that
did not lock.

### Known problems
A type whose fields are protected by something outside it (a lock held by every caller, a
single-threaded executor, interrupts disabled) is reported; allow it with a comment that says
what keeps the promise. An `UnsafeCell` in a generic type (`unsafe impl<T: Send> Sync for
MyCell<T>`) is taken for a synchronisation primitive under construction and not reported;
so is a type named as one (`AtomicU64`, `Mutex`, …), and a cell of `()` (a marker).
Lock guards in `Send` types are not reported: `lock_api` guards may be `Send`. Raw pointers
alone are not reported: a pointer wrapper marked
`Send`/`Sync` for FFI is ordinary, and whether it is sound depends on the pointee. Fields whose
type lockscan cannot see (a generic parameter, a type from another crate) count as neither
hazard nor synchronisation.

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

/// What a field holds, as far as sharing goes.
#[derive(Default)]
struct Found {
    /// (field path, type name, field, its file) of each hazard.
    hazards: Vec<(String, &'static str, Span, FileId)>,
    synced: bool,
}

struct Walk<'a, 'i> {
    m: &'a Model<'i>,
    send: bool,
    /// The impl is generic (`unsafe impl<T> Sync for Cell<T>`).
    generic: bool,
    seen: Vec<StructId>,
    out: Found,
}

impl Walk<'_, '_> {
    /// A type inside the field `at` (named `field`, as a path from the struct).
    fn ty(&mut self, t: &TypeFact, field: &str, at: &FieldType, depth: u32) {
        if depth > 6 {
            return;
        }
        match t {
            TypeFact::Path(p) => {
                let Some(last) = p.last() else { return };
                let name = last.name.as_str();
                if cells::is_marker(name) {
                    return;
                }
                if cells::is_sync_primitive(name) {
                    self.out.synced = true;
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
                };
                if let Some(h) = hazard {
                    self.out
                        .hazards
                        .push((field.to_string(), h, at.span, at.file));
                }
                for a in &last.args {
                    self.ty(a, field, at, depth + 1);
                }
                // A struct of the unit: its own fields.
                if let Some(id) = self.m.struct_of_field_type(at, t)
                    && !self.seen.contains(&id)
                {
                    self.seen.push(id);
                    self.fields(id, Some(field), depth + 1);
                }
            }
            TypeFact::Ref(t) | TypeFact::Array(t) => self.ty(t, field, at, depth + 1),
            TypeFact::Tuple(ts) => {
                for t in ts {
                    self.ty(t, field, at, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn fields(&mut self, id: StructId, prefix: Option<&str>, depth: u32) {
        for (fname, at) in self.m.field_types(id) {
            let name = match prefix {
                Some(p) => format!("{p}.{fname}"),
                None => fname.to_string(),
            };
            self.ty(at.ty, &name, &at, depth);
        }
    }
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for UnsafeImpl { imp, file, ty: id } in m.unsafe_impls() {
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
            out: Found::default(),
        };
        w.fields(id, None, 0);
        if w.out.hazards.is_empty() || (!send && w.out.synced) {
            continue;
        }
        let tr_name = if send { "Send" } else { "Sync" };
        let (field, what, _, _) = &w.out.hazards[0];
        let message = if send {
            format!(
                "`unsafe impl Send for {}` moves a `{what}` (`{field}`) to another thread",
                s.name
            )
        } else {
            format!(
                "`unsafe impl Sync for {}` shares a `{what}` (`{field}`) between threads with no lock",
                s.name
            )
        };
        let mut d = Diagnostic::new(
            RULE.name,
            RULE.level,
            Loc {
                file,
                span: imp.span,
            },
            message,
        )
        .primary_label(format!(
            "promises the compiler that `{}` is {tr_name}",
            s.name
        ));
        for (field, what, span, fid) in &w.out.hazards {
            let why = if send {
                match *what {
                    "lock guard" => "a guard must be dropped by the thread that locked".to_string(),
                    _ => format!("`{what}` counts references without atomics"),
                }
            } else {
                format!(
                    "`{field}` is a `{what}`: it changes through `&self` with no synchronisation"
                )
            };
            d = d.label(
                Loc {
                    file: *fid,
                    span: *span,
                },
                why,
            );
        }
        d = d.help(if send {
            "use `Arc` (and `sync::Weak`) instead of `Rc`, keep guards on the thread that took them, and remove the `unsafe impl` so the compiler can check the type".to_string()
        } else {
            format!(
                "make the fields thread-safe (a `Mutex`/`RwLock` around them, or atomics instead of `Cell`), then remove the `unsafe impl Sync for {}`: the compiler derives `Sync` when it holds",
                s.name
            )
        })
        .note(if send {
            "`Send` promises the value can be used on another thread; nothing checks an `unsafe impl`"
        } else {
            "two threads using `&T` at once race on these fields: undefined behaviour"
        });
        out.push(d);
    }
}
