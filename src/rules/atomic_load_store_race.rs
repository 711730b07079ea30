//! `atomic_load_store_race`: a read-modify-write split into a `load` and a `store`.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{
    ArgFact, ArgShape, ArithOp, Base, Body, CallIdx, Callee, EventKind, LocalIdx, Operand,
};
use crate::index::FnId;
use crate::index::locks::{Instance, InstanceBase, LockClass};
use crate::index::model::Model;
use crate::index::types::Ty;
use crate::known::atomics;
use crate::span::Span;
use std::collections::HashMap;

pub const RULE: Rule = Rule {
    name: "atomic_load_store_race",
    level: Severity::Warning,
    group: Group::Default,
    summary: "a read-modify-write made of a separate `load` and `store` on one atomic",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds an atomic updated in two steps: a `load`, then a `store` of a value computed from it
(`X.store(X.load(o) + 1, o)`, or through locals: `let v = X.load(o); let w = v + 1;
X.store(w, o)`). A load inside a small helper that returns it (`fn current() -> u64 {
X.load(o) }`, or a `&self` method) counts as a load where the helper is called. A constant
stored after a test of the load (`if X.load(o) == 0 { X.store(1, o) }`) is the opt-in
`atomic_check_then_store`.

### Why is this bad
Each step is atomic; the pair is not. Two threads can both load 5 and both store 6, and one
increment is lost. It is the "don't rely on the atomicity of built-in operations" warning in
Rust form: the fix is one atomic read-modify-write (`fetch_add`, `fetch_update`).

### Known problems
An atomic that only one thread ever writes (the producer's index of a single-producer queue)
can be updated this way safely; lockscan cannot see that only one thread writes, and reports it.
It takes an atomic as shared unless the code shows no other thread can reach it: fields of
`&mut self`, `self` or `Pin<&mut Self>`, of a `self` type that is neither `Sync` nor `Clone`,
an atomic made in the function and never handed to another thread, a thread-local's, one
used in a single-threaded test that spawns nothing or inside `critical_section::with`, and
pairs under a lock held at both steps (or by every caller of a private method) are not
reported. Nor are functions that also use `compare_exchange`, `swap` or `fetch_*` (lock-free
code that knows the one-step forms), or a load and a store in two arms of one `if` or
`match`. Locals are followed through their `let` only: a value that reaches the store through
an assignment or a field is not seen; a bare `X.store(v, o)` counts only when nothing assigns
`v` again. The fix for `X.store(X.load(o) + n, o)` uses `fetch_add(n, o)`, which wraps on
overflow where `+` would panic in a debug build; no fix is offered when the load is in a
helper.

### Example
```rust
static HITS: AtomicU64 = AtomicU64::new(0);

fn hit() {
    HITS.store(HITS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}
```

### Use instead
```rust
static HITS: AtomicU64 = AtomicU64::new(0);

fn hit() {
    HITS.fetch_add(1, Ordering::Relaxed);
}
```
"#;

/// A `load` or `store` call on an atomic place, or a call of a helper that returns a load.
struct Op {
    /// The call in this body: the `load` or `store`, or the helper's call.
    call: CallIdx,
    event: u32,
    class: Option<LockClass>,
    instance: Instance,
    text: String,
    /// The receiver and the call (`X.load(o)`), or the helper's call.
    span: Span,
    /// For a load in a helper: the helper, and the span of the load in it.
    inner: Option<(FnId, Span)>,
}

impl Op {
    /// Do both work on one atomic?
    fn same_atomic(&self, other: &Op) -> bool {
        self.class == other.class && self.instance.same_as(&other.instance)
    }
}

fn ordering_of(body: &Body, c: CallIdx, arg: usize) -> Option<(&str, Span, &[crate::intern::Sym])> {
    let ca = body.call_args.iter().find(|a| a.call == c)?;
    let a = ca.args.get(arg)?;
    match &a.shape {
        ArgShape::Path(p) => {
            let last = p.last()?.as_str();
            atomics::ORDERINGS
                .contains(&last)
                .then_some((last, a.span, &p[..]))
        }
        _ => None,
    }
}

/// The atomic `load`s and `store`s of a body, with the instance they work on.
fn ops(m: &Model, f: FnId, body: &Body, method: &str, argc: usize) -> Vec<Op> {
    let mut out = vec![];
    for (e, ev) in body.events.iter().enumerate() {
        let EventKind::Call(c) = ev.kind else {
            continue;
        };
        let call = &body.calls[c as usize];
        if !matches!(&call.callee, Callee::Method(n) if n.as_str() == method)
            || call.args.len() != argc
        {
            continue;
        }
        // `load(Ordering::X)`, `store(v, Ordering::X)`: the ordering says it is an atomic's.
        if ordering_of(body, c, argc - 1).is_none() {
            continue;
        }
        let Some(Operand::Place(p)) = &call.receiver else {
            continue;
        };
        let place = &body.places[*p as usize];
        let info = m.place_info(f, place);
        let atomic = match info.ty.peel() {
            Ty::External(path, _) => path
                .last()
                .is_some_and(|n| atomics::is_atomic_type(n.as_str())),
            Ty::Unknown => true,
            _ => false,
        };
        if !atomic || info.instance.base == InstanceBase::Unknown {
            continue;
        }
        let span = if place.span == Span::default() {
            ev.span
        } else {
            Span {
                lo: place.span.lo,
                hi: ev.span.hi,
            }
        };
        out.push(Op {
            call: c,
            event: e as u32,
            class: info.class,
            instance: info.instance,
            text: info.text,
            span,
            inner: None,
        });
    }
    out
}

/// The load a small helper returns as it is (`fn current() -> u64 { X.load(o) }`), if it does.
fn returned_load(m: &Model, g: FnId) -> Option<Op> {
    let body = m.body(g)?;
    let loads = ops(m, g, body, "load", 1);
    body.returns.iter().find_map(|r| {
        let Operand::Place(p) = r else { return None };
        let place = &body.places[*p as usize];
        let Base::Call(c) = place.base else {
            return None;
        };
        if !place.proj.is_empty() {
            return None;
        }
        let ld = loads.iter().find(|l| l.call == c)?;
        Some(Op {
            call: ld.call,
            event: ld.event,
            class: ld.class.clone(),
            instance: ld.instance.clone(),
            text: ld.text.clone(),
            span: ld.span,
            inner: None,
        })
    })
}

/// Calls of helpers that return a load, as loads of this body: a static's load is the same
/// static here; `self.depth()` loads the receiver's `depth`.
fn helper_loads(m: &Model, f: FnId, body: &Body, cache: &mut HashMap<FnId, Option<Op>>) -> Vec<Op> {
    let mut out = vec![];
    for (e, ev) in body.events.iter().enumerate() {
        let EventKind::Call(c) = ev.kind else {
            continue;
        };
        let call = &body.calls[c as usize];
        for &g in m.callees(f, c) {
            if m.outer_fn(g) == m.outer_fn(f) {
                continue;
            }
            let Some(ld) = cache.entry(g).or_insert_with(|| returned_load(m, g)) else {
                continue;
            };
            let (instance, text) = match ld.instance.base {
                InstanceBase::Static => (ld.instance.clone(), ld.text.clone()),
                InstanceBase::SelfValue => {
                    let (Callee::Method(_), Some(Operand::Place(p))) =
                        (&call.callee, &call.receiver)
                    else {
                        continue;
                    };
                    let recv = m.place_info(f, &body.places[*p as usize]);
                    if recv.instance.base == InstanceBase::Unknown {
                        continue;
                    }
                    let mut path = recv.instance.path;
                    path.extend(ld.instance.path.iter().cloned());
                    let rest = ld
                        .text
                        .split_once('.')
                        .map(|(_, r)| format!(".{r}"))
                        .unwrap_or_default();
                    (
                        Instance {
                            base: recv.instance.base,
                            path,
                        },
                        format!("{}{rest}", recv.text),
                    )
                }
                _ => continue,
            };
            out.push(Op {
                call: c,
                event: e as u32,
                class: ld.class.clone(),
                instance,
                text,
                span: ev.span,
                inner: Some((g, ld.span)),
            });
        }
    }
    out
}

/// How a store depends on a load.
enum Dep {
    /// `X.store(X.load(o) op k, o)`: the load is an operand of the stored value.
    Operand,
    /// `X.store(X.load(o).wrapping_add(k), o)`.
    Wrapping,
    /// The stored value is computed from a local the load initialized.
    Local,
    /// The store runs in a branch of a condition that reads the load.
    Branch,
}

/// How store `st` (its stored value `value`) depends on load `ld`, if it does; `derived` are
/// the locals computed from the load (`let v = X.load(o); let w = v + 1;`).
fn dependence(body: &Body, st: &Op, ld: &Op, value: &ArgFact, derived: &[LocalIdx]) -> Option<Dep> {
    match &value.shape {
        ArgShape::Binary { lhs, rhs, .. }
            if lhs.call == Some(ld.call) || rhs.call == Some(ld.call) =>
        {
            return Some(Dep::Operand);
        }
        ArgShape::Call(w) if wraps(body, *w, ld.call) => return Some(Dep::Wrapping),
        _ => {}
    }
    let from_load = |l: &LocalIdx| derived.contains(l);
    // `X.store(v + 1)`, `X.store(w)` compute from what was loaded, unless `v` was given a new
    // value since (`v = compute()`).
    let data = matches!(
        &value.shape,
        ArgShape::Binary { .. } | ArgShape::Call(_) | ArgShape::Path(_)
    ) && value.locals.iter().any(|l| {
        from_load(l)
            && body
                .locals
                .get(*l as usize)
                .is_some_and(|lf| !lf.reassigned)
    });
    if data {
        return Some(Dep::Local);
    }
    // A flag set after a test (`store(true)`); a computed value stored after a test is a
    // cache filled twice at worst (`if X.load() == 0 { X.store(f()) }`).
    let constant = matches!(
        value.shape,
        ArgShape::Lit | ArgShape::Bool(_) | ArgShape::Path(_)
    ) && value.locals.is_empty();
    if !constant {
        return None;
    }
    let branch = body.branches.iter().find(|b| {
        (b.cond.contains(ld.event) || b.locals.iter().any(from_load)) && b.body.contains(st.event)
    })?;
    // A one-way flag: `if !F.load(o) { F.store(true, o) }` and nothing else in that arm, the
    // loaded value used by the test alone, and no arm leaving early. Racing threads store the
    // same value, and nothing they do depends on which of them did.
    let one_way = matches!(value.shape, ArgShape::Bool(true))
        && branch.cond.contains(ld.event)
        && derived.is_empty()
        && !branch.exits
        && branch.arm_stmts.first() == Some(&1)
        && branch
            .arms
            .first()
            .is_some_and(|arm| (arm.start..arm.end).all(|e| e == st.event));
    (!one_way).then_some(Dep::Branch)
}

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    find(m, Form::Update, out);
}

/// Which of the two-step forms a rule reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// A value computed from the load is stored: an update can be lost
    /// (`atomic_load_store_race`).
    Update,
    /// A constant is stored in a branch that tested the load (`atomic_check_then_store`).
    Branch,
}

/// Reports every store that depends on an earlier load of the same shared atomic, in `form`.
pub(super) fn find(m: &Model, form: Form, out: &mut Vec<Diagnostic>) {
    let mut helpers: HashMap<FnId, Option<Op>> = HashMap::new();
    for (f, body) in m.bodies() {
        if body.call_args.is_empty() {
            continue;
        }
        let stores = ops(m, f, body, "store", 2);
        if stores.is_empty() {
            continue;
        }
        let mut loads = ops(m, f, body, "load", 1);
        loads.extend(helper_loads(m, f, body, &mut helpers));
        if loads.is_empty() {
            continue;
        }
        let derived: Vec<Vec<LocalIdx>> =
            loads.iter().map(|l| body.computed_from(l.event)).collect();
        // `&mut self` or `self`: nobody else can reach `self`'s atomics meanwhile.
        // Both steps under a lock every caller holds are one step for everyone else.
        let under_callers_lock = m.runs_under_callers_lock(f);
        // Code that uses `compare_exchange`, `swap` or `fetch_*` knows the one-step forms: its
        // separate loads and stores are deliberate (a slot reserved by a CAS, an owner's
        // fast path).
        let uses_rmw = body
            .calls
            .iter()
            .any(|c| matches!(&c.callee, Callee::Method(n) if atomics::is_rmw_method(n.as_str())));
        if uses_rmw {
            continue;
        }
        for st in &stores {
            if under_callers_lock || !m.may_be_shared(f, &st.instance) {
                continue;
            }
            let Some(value) = body
                .call_args
                .iter()
                .find(|a| a.call == st.call)
                .and_then(|a| a.args.first())
            else {
                continue;
            };
            let mut found: Option<(&Op, Dep)> = None;
            for (ld, derived) in loads
                .iter()
                .zip(&derived)
                .filter(|(l, _)| l.event < st.event && l.same_atomic(st))
            {
                // Two arms of one `if` or `match` never run together.
                if body.exclusive(ld.event, st.event) {
                    continue;
                }
                let dep = dependence(body, st, ld, value, derived)
                    .filter(|d| (form == Form::Branch) == matches!(d, Dep::Branch));
                if let Some(dep) = dep {
                    found = Some((ld, dep));
                    break;
                }
            }
            let Some((ld, dep)) = found else { continue };
            // Under a common lock, the pair is one step for everyone who takes it.
            let held_at_load = m.held_at(f, ld.event);
            if m.held_at(f, st.event)
                .iter()
                .any(|r| held_at_load.contains(r))
            {
                continue;
            }
            out.push(diagnostic(m, f, body, st, ld, &dep));
        }
    }
}

fn diagnostic(m: &Model, f: FnId, body: &Body, st: &Op, ld: &Op, dep: &Dep) -> Diagnostic {
    let (message, label, help) = match dep {
        Dep::Branch => (
            format!(
                "`{}` is tested and then set in two steps: two threads can both pass the test",
                st.text
            ),
            "set here, only after the test",
            format!(
                "test and set in one step: `{0}.swap(new, …)` returns the old value, and `{0}.compare_exchange(expected, new, …)` sets only if nothing changed it",
                st.text
            ),
        ),
        _ => (
            format!(
                "`{}` is read and written in two steps: an update between them is lost",
                st.text
            ),
            "written here, from the value read before",
            format!(
                "make it one atomic read-modify-write: `{0}.fetch_add(…)`/`fetch_sub(…)`, or `{0}.fetch_update(…)` for any other change",
                st.text
            ),
        ),
    };
    let rule = match dep {
        Dep::Branch => &super::atomic_check_then_store::RULE,
        _ => &RULE,
    };
    let mut d = Diagnostic::new(rule.name, rule.level, m.loc(f, st.span), message)
        .primary_label(label)
        .help(help)
        .note("each step is atomic; the pair is not, and another thread can come between them");
    match ld.inner {
        Some((g, span)) => {
            let name = m.fn_name(g);
            d = d
                .label(m.loc(g, span), format!("read here, in `{name}`"))
                .label(
                    m.loc(f, ld.span),
                    format!("`{name}` returns the value it read"),
                );
        }
        None => {
            d = d.label(m.loc(f, ld.span), "read here");
            if let Some(fix) = fetch_fix(m, f, body, st, ld, dep) {
                d = d.fix(fix);
            }
        }
    }
    d
}

/// `c` is `<load>.wrapping_add(k)` or `.wrapping_sub(k)`.
fn wraps(body: &Body, c: CallIdx, load: CallIdx) -> bool {
    let call = &body.calls[c as usize];
    matches!(&call.callee, Callee::Method(n) if atomics::wrapping_fetch(n.as_str()).is_some())
        && matches!(&call.receiver, Some(Operand::Place(p))
            if body.places[*p as usize].base == Base::Call(load) && body.places[*p as usize].proj.is_empty())
}

/// `X.store(X.load(o) + k, o)` → `X.fetch_add(k, o)`, when `k` has no side effects.
fn fetch_fix(m: &Model, f: FnId, body: &Body, st: &Op, ld: &Op, dep: &Dep) -> Option<Fix> {
    let value = body
        .call_args
        .iter()
        .find(|a| a.call == st.call)?
        .args
        .first()?;
    let (_, _, _) = ordering_of(body, st.call, 1)?;
    let (lo_name, _, _) = ordering_of(body, ld.call, 0)?;
    let (so_name, so_span, so_path) = ordering_of(body, st.call, 1)?;
    let ordering = atomics::combined_ordering(lo_name, so_name)?;
    let mut edits = vec![];
    let method = match (dep, &value.shape) {
        (Dep::Operand, ArgShape::Binary { op, lhs, rhs }) => {
            let load_left = lhs.call == Some(ld.call);
            let other = if load_left { rhs } else { lhs };
            if !other.pure {
                return None;
            }
            // `k - load` is no `fetch_sub`.
            if *op == ArithOp::Sub && !load_left {
                return None;
            }
            let method = atomics::fetch_method(*op, false)?;
            // Delete the load and the operator, keeping the other operand.
            let gone = if load_left {
                Span {
                    lo: lhs.span.lo,
                    hi: rhs.span.lo,
                }
            } else {
                Span {
                    lo: lhs.span.hi,
                    hi: rhs.span.hi,
                }
            };
            edits.push(Edit {
                loc: m.loc(f, gone),
                replacement: String::new(),
            });
            method
        }
        (Dep::Wrapping, ArgShape::Call(w)) => {
            let wa = body.call_args.iter().find(|a| a.call == *w)?;
            let k = wa.args.first()?;
            let inside = |s: Span| s.lo >= k.span.lo && s.hi <= k.span.hi;
            if body.events.iter().any(|e| inside(e.span)) {
                return None;
            }
            let method = match &body.calls[*w as usize].callee {
                Callee::Method(n) => atomics::wrapping_fetch(n.as_str())?,
                _ => return None,
            };
            edits.push(Edit {
                loc: m.loc(
                    f,
                    Span {
                        lo: value.span.lo,
                        hi: k.span.lo,
                    },
                ),
                replacement: String::new(),
            });
            edits.push(Edit {
                loc: m.loc(
                    f,
                    Span {
                        lo: k.span.hi,
                        hi: value.span.hi,
                    },
                ),
                replacement: String::new(),
            });
            method
        }
        _ => return None,
    };
    edits.push(Edit {
        loc: m.loc(f, body.calls[st.call as usize].name_span),
        replacement: method.to_string(),
    });
    let mut path: Vec<&str> = so_path.iter().map(|s| s.as_str()).collect();
    if let Some(last) = path.last_mut() {
        *last = ordering;
    }
    edits.push(Edit {
        loc: m.loc(f, so_span),
        replacement: path.join("::"),
    });
    Some(Fix {
        applicability: Applicability::Safe,
        message: format!("use `{}.{method}(…)`", st.text),
        edits,
    })
}
