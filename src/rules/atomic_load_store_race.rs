//! `atomic_load_store_race`: a read-modify-write split into a `load` and a `store`.

use super::{FixAvailability, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{ArgShape, ArithOp, Base, Body, CallIdx, Callee, EventKind, Operand};
use crate::index::FnId;
use crate::index::locks::{Instance, InstanceBase};
use crate::index::model::Model;
use crate::index::types::Ty;
use crate::known::atomics;
use crate::span::Span;

pub const RULE: Rule = Rule {
    name: "atomic_load_store_race",
    level: Severity::Warning,
    summary: "a read-modify-write made of a separate `load` and `store` on one atomic",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds an atomic updated in two steps: a `load`, then a `store` of a value computed from it
(`X.store(X.load(o) + 1, o)`, or through a local), or a `store` that runs only when a `load`
saw a certain value (`if !F.load(o) { F.store(true, o) }`).

### Why is this bad
Each step is atomic; the pair is not. Two threads can both load 5 and both store 6, and one
increment is lost; two threads can both see `false` and both run the code meant to run once.
It is the "don't rely on the atomicity of built-in operations" warning in Rust form: the fix is
one atomic read-modify-write (`fetch_add`, `fetch_update`, `swap`, `compare_exchange`).

### Known problems
An atomic that only one thread ever writes (the producer's index of a single-producer queue)
can be updated this way safely; lockscan cannot see that only one thread writes, and reports it.
Pairs under a common lock, fields of `&mut self` or `self`, functions that also use
`compare_exchange`, `swap` or `fetch_*` (lock-free code that knows the one-step forms), and a
computed value stored after a test (a cache at worst filled twice) are not reported.
The fix for `X.store(X.load(o) + n, o)` uses `fetch_add(n, o)`, which wraps on overflow where
`+` would panic in a debug build.

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

/// A `load` or `store` call on an atomic place.
struct Op {
    call: CallIdx,
    event: u32,
    instance: Instance,
    text: String,
    /// The receiver and the call: `X.load(o)`.
    span: Span,
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
            instance: info.instance,
            text: info.text,
            span,
        });
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

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for (f, body) in m.bodies() {
        if body.call_args.is_empty() {
            continue;
        }
        let loads = ops(m, f, body, "load", 1);
        if loads.is_empty() {
            continue;
        }
        let stores = ops(m, f, body, "store", 2);
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
            for ld in loads
                .iter()
                .filter(|l| l.event < st.event && l.instance.same_as(&st.instance))
            {
                let dep = match &value.shape {
                    ArgShape::Binary { lhs, rhs, .. }
                        if lhs.call == Some(ld.call) || rhs.call == Some(ld.call) =>
                    {
                        Some(Dep::Operand)
                    }
                    ArgShape::Call(w) if wraps(body, *w, ld.call) => Some(Dep::Wrapping),
                    _ => None,
                };
                let dep = dep.or_else(|| {
                    let from_load = |l: &u32| {
                        body.locals
                            .get(*l as usize)
                            .is_some_and(|lf| lf.init.contains(ld.event))
                    };
                    // `X.store(v + 1)` computes from what was loaded; `X.store(v)` may store a
                    // value `v` was given since (`v = compute()`).
                    let computed =
                        matches!(value.shape, ArgShape::Binary { .. } | ArgShape::Call(_));
                    if computed && value.locals.iter().any(from_load) {
                        return Some(Dep::Local);
                    }
                    // A flag set after a test (`store(true)`); a computed value stored after a
                    // test is a cache filled twice at worst (`if X.load() == 0 { X.store(f()) }`).
                    let constant = matches!(value.shape, ArgShape::Lit | ArgShape::Path(_))
                        && value.locals.is_empty();
                    (constant
                        && body.branches.iter().any(|b| {
                            (b.cond.contains(ld.event) || b.locals.iter().any(from_load))
                                && b.body.contains(st.event)
                        }))
                    .then_some(Dep::Branch)
                });
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
            let mut d = Diagnostic::new(RULE.name, RULE.level, m.loc(f, st.span), message)
                .primary_label(label)
                .label(m.loc(f, ld.span), "read here")
                .help(help)
                .note("each step is atomic; the pair is not, and another thread can come between them");
            if let Some(fix) = fetch_fix(m, f, body, st, ld, &dep) {
                d = d.fix(fix);
            }
            out.push(d);
        }
    }
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
