//! `mutex_of_primitive`: a `Mutex<bool>` or `Mutex<integer>` used as a flag or a counter.

use super::shared::atomic_fix::{Site, ctor_arg, import, retype_static, rewrite_access};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Fix, Severity};
use crate::facts::{
    Access, Base, Body, CallIdx, EventKind, Held, HolderKind, Operand, Place, Proj, StaticOrigin,
    TypeFact,
};
use crate::index::locks::LockClass;
use crate::index::model::{HeldRef, Model};
use crate::index::{FnId, StaticId};
use crate::intern::Sym;
use crate::known::{LockKind, atomics};
use crate::span::{Loc, Span};
use std::collections::BTreeMap;

pub const RULE: Rule = Rule {
    name: "mutex_of_primitive",
    level: Severity::Note,
    group: Group::Default,
    summary: "a `Mutex<bool>` or `Mutex<integer>` used only as a flag or a counter",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a `Mutex` (or `RwLock`) around a `bool` or an integer whose every use is one step: read
the value, set it, or add to it, with nothing else done while the lock is held. That is what
the matching atomic (`AtomicBool`, `AtomicU64`, …) does without a lock.

### Why is this bad
It is not wrong, only heavier than it needs to be: every access takes and releases a lock
(with poisoning to handle), where an atomic does the same in one instruction and cannot
deadlock or be held too long. It is the seed guides' `Counter` with a lock, where Rust has a
counter type built in.

### Known problems
A lock that guards more than its value (a `Mutex<bool>` waited on with a `Condvar`, a counter
updated in several steps, a lock held while other work is done) is not reported. A lock
handed to a function (`wait_until(&self.done, &self.cv)`) is judged with what that function
does with its parameter, so a `Condvar` wait in a helper keeps it silent; a lock handed to a
function lockscan cannot see into, or that hands it on again, is not reported, and neither is
a lock whose guard is passed to one. A `Condvar` that waits on the lock only in code that
reaches it some other way (a clone in a local, a lock of another crate's type) is not seen,
and the lock is reported. For a `static` whose every access is one of these steps, written
where the static is named, the fix replaces the lock with the atomic and each access with
`load`, `store` or `fetch_*` (with `Ordering::SeqCst`, which keeps at least the ordering the
lock gave) and adds the `use`; it needs `--unsafe-fixes` because code that relied on the lock
to order other data may need it still. Struct fields, and statics handed to a helper, get the
advice without the automatic fix.

### Example
```rust
struct Counter {
    count: Mutex<u64>,
}

impl Counter {
    fn increment(&self) {
        *self.count.lock().unwrap() += 1;
    }
}
```

### Use instead
```rust
struct Counter {
    count: AtomicU64,
}

impl Counter {
    fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}
```
"#;

/// One acquisition of a candidate lock.
struct Use {
    r: HeldRef,
    /// The single access through `*`, when there is one.
    access: Option<usize>,
    /// A temporary whose one access can be rewritten.
    rewritable: bool,
    writes: bool,
    /// Taken in a function the lock was handed to, through its parameter.
    via_param: bool,
}

/// Is this acquisition one step: nothing else happens while the guard lives?
fn one_step(f: FnId, body: &Body, h: u32) -> Option<Use> {
    let holder = &body.holders[h as usize];
    // Taken and dropped at once: not a use of the value.
    if holder.held == Held::Discarded {
        return None;
    }
    let (start, len) = holder.live;
    for iv in &body.intervals[start as usize..(start + len) as usize] {
        for e in iv.start..iv.end.min(body.events.len() as u32) {
            match body.events[e as usize].kind {
                // A method of the value itself (`.to_string()`, `.min(..)`) reads it.
                EventKind::Call(c) => {
                    let on_guard = match &body.calls[c as usize].receiver {
                        Some(Operand::Guard(g)) => *g == h,
                        Some(Operand::Place(p)) => body.places[*p as usize].base == Base::Guard(h),
                        _ => false,
                    };
                    if !on_guard {
                        return None;
                    }
                }
                EventKind::Acquire(h2) if h2 == h => {}
                _ => return None,
            }
        }
    }
    // Passed on, returned, or waited on with a condition variable: it guards more.
    if body
        .calls
        .iter()
        .any(|c| c.args.contains(&Operand::Guard(h)))
        || body.returns.contains(&Operand::Guard(h))
        || body.guard_ops.iter().any(|o| o.holder == h)
    {
        return None;
    }
    if body.guard_uses.iter().filter(|u| u.holder == h).count() > 1 {
        return None;
    }
    let accesses: Vec<usize> = body
        .guard_accesses
        .iter()
        .enumerate()
        .filter(|(_, a)| a.holder == h)
        .map(|(i, _)| i)
        .collect();
    if accesses.len() > 1 {
        return None;
    }
    let access = accesses.first().copied();
    let writes = access.is_some_and(|i| {
        matches!(
            body.guard_accesses[i].access,
            Access::Assign | Access::Compound
        )
    });
    Some(Use {
        r: HeldRef { f, h },
        access,
        rewritable: access.is_some() && holder.held == Held::Temporary,
        writes,
        via_param: false,
    })
}

/// The uses of a lock handed to call `c` of `f` as argument `arg` (`wait_until(&self.done,
/// &self.cv, ..)`): every acquisition of the parameter in the functions the call runs (and
/// their closures), `None` for a function lockscan cannot see into or that hands the lock on.
fn handed_uses(m: &Model, f: FnId, c: CallIdx, arg: usize) -> Vec<Option<Use>> {
    let callees = m.callees(f, c);
    if callees.is_empty() {
        return vec![None];
    }
    let mut out = vec![];
    for &g in callees {
        let Some(param) = m.param_of_arg(f, c, g, arg) else {
            return vec![None];
        };
        for (k, body) in m.bodies().filter(|&(k, _)| m.outer_fn(k) == g) {
            for (h, holder) in body.holders.iter().enumerate() {
                let r = HeldRef { f: k, h: h as u32 };
                if matches!(holder.kind, HolderKind::Lock { .. })
                    && m.lock(r)
                        .is_some_and(|l| l.class == LockClass::Param(g, param))
                {
                    out.push(one_step(k, body, h as u32).map(|u| Use {
                        via_param: true,
                        ..u
                    }));
                }
            }
            let passed_on = body.calls.iter().any(|call| {
                call.args.iter().any(|a| {
                    matches!(a, Operand::Place(p)
                        if body.places[*p as usize].base == Base::Param(param)
                            && body.places[*p as usize].proj.is_empty())
                })
            });
            if passed_on {
                out.push(None);
            }
        }
    }
    out
}

fn prim_name(payload: Option<Sym>) -> Option<&'static str> {
    atomics::primitive(payload?.as_str())
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    // Every acquisition of every lock around a primitive, by lock.
    type Uses = Vec<Option<Use>>;
    let mut by_class: BTreeMap<String, (LockClass, &'static str, &'static str, Uses)> =
        BTreeMap::new();
    for (f, body) in m.bodies() {
        for (h, holder) in body.holders.iter().enumerate() {
            if !matches!(holder.kind, HolderKind::Lock { .. }) {
                continue;
            }
            let r = HeldRef { f, h: h as u32 };
            let Some(lock) = m.lock(r) else { continue };
            let candidate = matches!(
                lock.class,
                LockClass::Static(_) | LockClass::Field { elem: false, .. }
            ) && lock.ty.kind != LockKind::Reentrant
                && lock.typed;
            if !candidate {
                continue;
            }
            let Some(prim) = prim_name(lock.primitive_payload) else {
                continue;
            };
            let key = format!("{:?}", lock.class);
            let entry = by_class
                .entry(key)
                .or_insert_with(|| (lock.class.clone(), prim, lock.ty.name(), vec![]));
            entry.3.push(one_step(f, body, h as u32));
        }
    }
    // A lock handed to a function: what the function does with it are uses too (a
    // `Condvar` wait there means the lock guards more than its value).
    // The candidates' last names (a field's, a static's), to resolve only the places that
    // may be one of them.
    let names: Vec<Sym> = by_class
        .values()
        .filter_map(|(class, ..)| match class {
            LockClass::Field { field, .. } => Some(*field),
            LockClass::Static(id) => Some(m.static_decl(*id).0.name),
            _ => None,
        })
        .collect();
    let last_name = |p: &Place| match (p.proj.last(), &p.base) {
        (Some(Proj::Field(n)), _) => Some(*n),
        (None, Base::Path(segs)) => segs.last().copied(),
        _ => None,
    };
    let mut handed: Vec<(String, FnId, CallIdx, usize)> = vec![];
    for (f, body) in m.bodies() {
        for (c, call) in body.calls.iter().enumerate() {
            for (i, a) in call.args.iter().enumerate() {
                let Operand::Place(p) = a else { continue };
                let place = &body.places[*p as usize];
                if !last_name(place).is_some_and(|n| names.contains(&n)) {
                    continue;
                }
                let Some(class) = m.place_info(f, place).class else {
                    continue;
                };
                let key = format!("{class:?}");
                if by_class.contains_key(&key) {
                    handed.push((key, f, c as CallIdx, i));
                }
            }
        }
    }
    for (key, f, c, i) in handed {
        let uses = handed_uses(m, f, c, i);
        if let Some(entry) = by_class.get_mut(&key) {
            entry.3.extend(uses);
        }
    }
    for (_, (class, prim, lock_ty, uses)) in by_class {
        if uses.iter().any(Option::is_none) {
            continue;
        }
        let uses: Vec<Use> = uses.into_iter().flatten().collect();
        // A flag is set and a counter counts somewhere; a value only ever read is a constant.
        if !uses.iter().any(|u| u.writes) {
            continue;
        }
        let Some(atomic) = atomics::atomic_for(prim) else {
            continue;
        };
        let is_bool = prim == "bool";
        let (decl, name) = match &class {
            LockClass::Static(id) => {
                let (s, file) = m.static_decl(*id);
                (Loc { file, span: s.span }, s.name.to_string())
            }
            LockClass::Field { owner, field, .. } => {
                let (s, file) = m.struct_decl(*owner);
                let Some(fld) = s.fields.iter().find(|x| x.name == *field) else {
                    continue;
                };
                (
                    Loc {
                        file,
                        span: fld.span,
                    },
                    format!("{}::{}", s.name, field),
                )
            }
            _ => continue,
        };
        let role = if is_bool { "flag" } else { "counter" };
        let mut d = Diagnostic::new(
            RULE.name,
            RULE.level,
            decl,
            format!("`{name}` is a `{lock_ty}<{prim}>` used only as a {role}"),
        )
        .primary_label(format!("`{lock_ty}<{prim}>` declared here"));
        for u in uses.iter().take(4) {
            let body = m.body(u.r.f).expect("a use has a body");
            let span = match u.access {
                Some(i) => body.guard_accesses[i].span,
                None => body.holders[u.r.h as usize].span,
            };
            d = d.label(m.loc(u.r.f, span), "one step under the lock");
        }
        let how = if is_bool {
            "`load` and `store`"
        } else {
            "`load`, `store` and `fetch_add`"
        };
        d = d
            .help(format!("use `{atomic}`: {how} do each step without a lock"))
            .note("an atomic cannot be held too long, poisoned, or deadlocked");
        if let LockClass::Static(id) = class
            && let Some(fix) = static_fix(m, id, atomic, is_bool, &uses)
        {
            d = d.fix(fix);
        }
        out.push(d);
    }
}

/// `static FLAG: Mutex<bool> = Mutex::new(false)` → `static FLAG: AtomicBool =
/// AtomicBool::new(false)`, with every acquisition rewritten; `None` unless every mention of
/// the static is one of them.
fn static_fix(m: &Model, id: StaticId, atomic: &str, is_bool: bool, uses: &[Use]) -> Option<Fix> {
    let (s, file) = m.static_decl(id);
    if s.origin != StaticOrigin::Item || s.mutable {
        return None;
    }
    let TypeFact::Path(tp) = &s.ty else {
        return None;
    };
    let lock_name = tp.last()?.name.as_str();
    let arg = ctor_arg(&s.init_text, &[lock_name])?;
    if !uses.iter().all(|u| u.rewritable && !u.via_param) || !uses.iter().any(|u| u.writes) {
        return None;
    }
    // Every mention of the static must be one of the acquisitions rewritten.
    let mentions = m.static_mentions(&[id]).remove(&id).unwrap_or_default();
    let decl_module = m.static_module(id);
    let mut modules = vec![decl_module];
    for mention in &mentions {
        if !modules.contains(&mention.module) {
            modules.push(mention.module);
        }
    }
    // `Ordering` goes where an acquisition is rewritten, not where no code uses it.
    let ordering_in_decl = mentions.iter().any(|x| x.module == decl_module);
    if mentions.len() != uses.len() {
        return None;
    }
    const ORDERING: &str = "Ordering::SeqCst";
    let mut edits = retype_static(file, s, atomic, arg).to_vec();
    for u in uses {
        let body = m.body(u.r.f)?;
        let a = &body.guard_accesses[u.access?];
        if let Some(op) = a.op
            && atomics::fetch_method(op, is_bool).is_none()
        {
            return None;
        }
        let HolderKind::Lock { place, .. } = body.holders[u.r.h as usize].kind else {
            return None;
        };
        let target: Span = body.places[place as usize].span;
        let fid = m.file_of(u.r.f);
        let site = Site {
            access: a.access,
            op: a.op,
            whole: a.span,
            target,
            value: a.value,
            pos: a.pos,
        };
        edits.extend(rewrite_access(fid, &site, is_bool, ORDERING)?);
    }
    for (i, module) in modules.iter().enumerate() {
        let names: &[&str] = match (i, ordering_in_decl) {
            (0, true) => &[atomic, "Ordering"],
            (0, false) => &[atomic],
            _ => &["Ordering"],
        };
        edits.extend(import(m, *module, names)?);
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("make `{}` an `{atomic}`", s.name),
        edits,
    })
}
