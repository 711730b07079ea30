//! The body walker: one function body in, its [`Body`] facts out.
//!
//! The walker evaluates the body abstractly, in Rust's evaluation order, tracking every value
//! that may be a lock guard (a *holder*) and who keeps it alive (*owner*): a `let` binding, or a
//! temporary scope (a statement, an `if` condition, a `while let` iteration, …). Owners end by
//! Rust's rules, so a holder is alive exactly as long as the guard would be:
//!
//! * `let g = m.lock()` lives to the end of its block, unless moved (`drop(g)`, `let h = g`,
//!   passed by value) or overwritten first;
//! * a temporary lives to the end of its statement, so the guard in `*m.lock().unwrap() += 1`
//!   is gone by the next statement;
//! * a `match` or `if let` scrutinee's temporaries live through the whole construct (the `if
//!   let` one only to the `else` in edition 2024), a `while let` scrutinee's through each
//!   iteration, a `for` iterator's through the whole loop;
//! * a plain `if`/`while` condition's temporaries die before the branch runs.
//!
//! Branches are walked one after the other and joined: a holder is alive after an `if` when it
//! is alive at the end of any branch that does not diverge. Each holder records the ranges of
//! event numbers during which it is alive ([`Holder::live`]).
//!
//! Closures and async blocks get their own [`Body`]; their captured names resolve to the
//! enclosing function's locals, so a lock cloned into a spawned thread is still known.
//!
//! The walker is one `impl Walker` spread over files by concern: [`state`] (who owns which
//! holder, snapshots and joins, names in scope), [`record`] (writing facts), [`stmts`]
//! (statements, `let`, patterns), [`expr`] (expressions and places), [`calls`], [`closures`],
//! [`control`] (branches and loops), [`drops`] (where values with destructors go out of scope),
//! [`mac`] (macro calls) and [`unsafety`] (`unsafe` blocks). What it knows of APIs comes from
//! [`crate::known`].

use super::macros::{self, MacroKind};
use super::spans::{between, expr_span, pos_hi, sp};
use super::types::{ctor_type, type_fact};
use super::{Edition, FileCx, syms_of};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known::{Origin, atomics, cells, collections, executors, flow, locks};
use crate::span::Span;

type VarKey = (FnIdx, LocalIdx);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Var(VarKey),
    Temp(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Live {
    holder: HolderIdx,
    owner: Owner,
}

#[derive(Clone, Debug, Default)]
struct Snapshot {
    live: Vec<Live>,
    diverged: bool,
}

#[derive(Clone, Copy, Debug)]
enum VarKind {
    SelfValue,
    Param(u16),
    Local { key: VarKey, closure: Option<FnIdx> },
}

#[derive(Clone, Copy, Debug)]
struct Var {
    name: Sym,
    kind: VarKind,
}

impl Var {
    /// The base of a place rooted at this name.
    fn base(&self) -> Base {
        match self.kind {
            VarKind::SelfValue => Base::SelfValue,
            VarKind::Param(i) => Base::Param(i),
            VarKind::Local { key, .. } => Base::Local {
                fn_: key.0,
                local: key.1,
            },
        }
    }

    /// The binding, when the name is a local.
    fn key(&self) -> Option<VarKey> {
        match self.kind {
            VarKind::Local { key, .. } => Some(key),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Frame {
    vars: Vec<Var>,
}

struct LoopCx {
    label: Option<Sym>,
    /// Frames and temporary scopes opened inside the loop end when `break`/`continue` leave it.
    frame_depth: usize,
    temp_depth: usize,
    /// A labeled block (`'a: { .. }`): only `break 'a` leaves it.
    is_block: bool,
    start_ev: u32,
    entry: Snapshot,
    breaks: Vec<Snapshot>,
    continues: Vec<Snapshot>,
    /// The first event at which each binding lost its guards inside the loop.
    first_kill: Vec<(VarKey, u32)>,
}

/// The state of the body being walked.
struct BodyState {
    fn_: FnIdx,
    body: Body,
    intervals: Vec<Vec<Interval>>,
    live: Vec<Live>,
    diverged: bool,
    /// Holders alive now, with the event number from which they have been alive.
    open: Vec<(HolderIdx, u32)>,
    temps: Vec<u32>,
    next_temp: u32,
    loops: Vec<LoopCx>,
    unsafe_depth: u32,
    scrutinee: Option<ScrutineeKind>,
    /// Bindings a closure just written takes over (drops or moves inside): they stop holding
    /// anything here once the call that runs the closure is made.
    taken_by_closure: Vec<VarKey>,
    /// Locals holding futures that the next `.await` polls (`fut.await`, `join!(a, b)`).
    pending_awaits: Vec<LocalIdx>,
    /// By local: a `let` binding by value that may own a value with a destructor (see
    /// [`drops`]).
    droppable: Vec<bool>,
}

impl BodyState {
    fn new(fn_: FnIdx) -> BodyState {
        BodyState {
            fn_,
            body: Body::default(),
            intervals: vec![],
            live: vec![],
            diverged: false,
            open: vec![],
            temps: vec![],
            next_temp: 0,
            loops: vec![],
            unsafe_depth: 0,
            scrutinee: None,
            taken_by_closure: vec![],
            pending_awaits: vec![],
            droppable: vec![],
        }
    }
}

/// An abstract value.
#[derive(Clone, Debug)]
enum Val {
    None,
    Guard(HolderIdx),
    Agg(Vec<Val>),
    /// A place; `var` when the expression is a bare local (so it can be moved).
    Place(Place, Option<VarKey>),
    Closure(FnIdx),
    Call(CallIdx),
}

impl Val {
    fn guards(&self, out: &mut Vec<HolderIdx>) {
        match self {
            Val::Guard(h) => out.push(*h),
            Val::Agg(v) => v.iter().for_each(|v| v.guards(out)),
            _ => {}
        }
    }
}

fn join_vals(a: Val, b: Val) -> Val {
    match (a, b) {
        (Val::None, b) => b,
        (a, Val::None) => a,
        (Val::Guard(x), Val::Guard(y)) if x == y => Val::Guard(x),
        (a @ (Val::Guard(_) | Val::Agg(_)), b @ (Val::Guard(_) | Val::Agg(_))) => {
            Val::Agg(vec![a, b])
        }
        (Val::Place(p, _), Val::Place(q, _)) if p.proj == q.proj => Val::Place(p, None),
        (a @ Val::Call(_), _) => a,
        _ => Val::None,
    }
}

pub(super) struct Walker<'a, 'o> {
    fx: &'a mut FileCx<'o>,
    env: Vec<Frame>,
    cur: BodyState,
    module: ModIdx,
    in_test: bool,
}

impl<'a, 'o> Walker<'a, 'o> {
    fn new(fx: &'a mut FileCx<'o>, idx: FnIdx, module: ModIdx, in_test: bool) -> Self {
        Walker {
            fx,
            env: vec![Frame::default()],
            cur: BodyState::new(idx),
            module,
            in_test,
        }
    }

    /// Walks a function's whole body: its value is what it returns, and the temporaries of
    /// its tail end with it.
    fn body_of(&mut self, walk: impl FnOnce(&mut Self) -> Val) {
        let t = self.open_temp();
        let v = walk(self);
        self.record_return(v);
        self.close_temp(t);
    }
}

pub(super) fn walk_fn(
    fx: &mut FileCx,
    idx: FnIdx,
    sig: &syn::Signature,
    block: &syn::Block,
) -> Body {
    let module = fx.facts.fns[idx as usize].module;
    let in_test = fx.facts.fns[idx as usize].is_test;
    let mut w = Walker::new(fx, idx, module, in_test);
    let mut param = 0u16;
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(_) => w.env[0].vars.push(Var {
                name: sym::SELF_VALUE,
                kind: VarKind::SelfValue,
            }),
            syn::FnArg::Typed(pt) => {
                match &*pt.pat {
                    // A guard given by value is this function's to keep or end.
                    syn::Pat::Ident(pi)
                        if is_guard_type(&pt.ty) || derefs_generically(&pt.ty, &sig.generics) =>
                    {
                        w.guard_param(pi, &pt.ty, param)
                    }
                    syn::Pat::Ident(pi) => w.env[0].vars.push(Var {
                        name: Sym::new(&pi.ident.to_string()),
                        kind: VarKind::Param(param),
                    }),
                    pat => w.bind(pat, Val::None, Some(&pt.ty), None, false),
                }
                param = param.saturating_add(1);
            }
        }
    }
    w.body_of(|w| w.block_inner(block));
    w.finish()
}

/// A closure in a static's initializer (`LazyLock::new(|| ..)`): a body of its own.
pub(super) fn walk_static_closure(
    fx: &mut FileCx,
    c: &syn::ExprClosure,
    module: ModIdx,
    in_test: bool,
) {
    let idx = fx.facts.fns.len() as FnIdx;
    let span = between(c.inputs_begin.span, c.inputs_end.span);
    fx.facts.fns.push(nested_fn(
        module,
        sym::CLOSURE,
        span,
        FnOwner::Free,
        false,
        in_test,
    ));
    let mut w = Walker::new(fx, idx, module, in_test);
    w.body_of(|w| w.expr(&c.body));
    let body = w.finish();
    fx.facts.fns[idx as usize].body = Some(body);
}

/// A closure's or async block's function: no parameters of its own, no signature, its body
/// still to walk.
pub(super) fn nested_fn(
    module: ModIdx,
    name: Sym,
    span: Span,
    owner: FnOwner,
    is_async: bool,
    is_test: bool,
) -> FnFacts {
    FnFacts {
        module,
        name,
        span,
        owner,
        is_async,
        is_test,
        test: None,
        is_pub: false,
        receiver: None,
        params: vec![],
        ret: None,
        body: None,
    }
}

fn has_cfg(stmt: &syn::Stmt) -> bool {
    let attrs: &[syn::Attribute] = match stmt {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Macro(m) => &m.attrs,
        syn::Stmt::Expr(e, _) => match e {
            syn::Expr::If(x) => &x.attrs,
            syn::Expr::Block(x) => &x.attrs,
            syn::Expr::Call(x) => &x.attrs,
            syn::Expr::MethodCall(x) => &x.attrs,
            syn::Expr::Assign(x) => &x.attrs,
            syn::Expr::Macro(x) => &x.attrs,
            syn::Expr::Match(x) => &x.attrs,
            syn::Expr::Unsafe(x) => &x.attrs,
            _ => &[],
        },
        syn::Stmt::Item(_) => &[],
    };
    attrs.iter().any(|a| a.path().is_ident("cfg"))
}

/// `+=` and the other compound assignments.
fn is_assign_op(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

/// `SCREAMING_CASE`: how statics are named (rustc warns otherwise).
fn looks_static(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `a op b` is `b op a`.
fn commutes(op: ArithOp) -> bool {
    matches!(
        op,
        ArithOp::Add | ArithOp::Mul | ArithOp::BitAnd | ArithOp::BitOr | ArithOp::BitXor
    )
}

/// An expression that evaluates to the same value, with no effect, however often it is
/// written: a number or `true`/`false`, or a lone name.
fn repeatable(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_) | syn::Lit::Bool(_)),
        syn::Expr::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        _ => false,
    }
}

fn strip_parens(mut e: &syn::Expr) -> &syn::Expr {
    loop {
        match e {
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Group(g) => e = &g.expr,
            _ => return e,
        }
    }
}

fn member_sym(m: &syn::Member) -> Sym {
    match m {
        syn::Member::Named(i) => Sym::new(&i.to_string()),
        syn::Member::Unnamed(i) => Sym::new(&i.index.to_string()),
    }
}

fn label_sym(l: &syn::Lifetime) -> Sym {
    Sym::new(&l.ident.to_string())
}

/// The arithmetic or bitwise operator of `a op b` or `a op= b`.
fn arith_op(op: &syn::BinOp) -> Option<ArithOp> {
    use syn::BinOp::*;
    Some(match op {
        Add(_) | AddAssign(_) => ArithOp::Add,
        Sub(_) | SubAssign(_) => ArithOp::Sub,
        Mul(_) | MulAssign(_) => ArithOp::Mul,
        Div(_) | DivAssign(_) => ArithOp::Div,
        Rem(_) | RemAssign(_) => ArithOp::Rem,
        BitAnd(_) | BitAndAssign(_) => ArithOp::BitAnd,
        BitOr(_) | BitOrAssign(_) => ArithOp::BitOr,
        BitXor(_) | BitXorAssign(_) => ArithOp::BitXor,
        Shl(_) | ShlAssign(_) => ArithOp::Shl,
        Shr(_) | ShrAssign(_) => ArithOp::Shr,
        _ => return None,
    })
}

fn is_bool_and(op: &syn::BinOp) -> bool {
    matches!(op, syn::BinOp::And(_))
}

fn has_let(cond: &syn::Expr) -> bool {
    match strip_parens(cond) {
        syn::Expr::Let(_) => true,
        syn::Expr::Binary(b) if is_bool_and(&b.op) => has_let(&b.left) || has_let(&b.right),
        _ => false,
    }
}

mod calls;
mod closures;
mod control;
mod drops;
mod expr;
mod mac;
mod record;
mod state;
mod stmts;
mod unsafety;

/// Closes every open interval and lays each holder's intervals out in the pool, merged.
fn finish_state(mut st: BodyState) -> Body {
    let now = st.body.events.len() as u32;
    for (h, since) in std::mem::take(&mut st.open) {
        if since < now {
            st.intervals[h as usize].push(Interval {
                start: since,
                end: now,
            });
        }
    }
    let mut body = st.body;
    for (h, mut ivs) in st.intervals.into_iter().enumerate() {
        ivs.sort_by_key(|iv| iv.start);
        let start = body.intervals.len() as u32;
        for iv in ivs {
            let merges = body.intervals.len() as u32 > start
                && body
                    .intervals
                    .last()
                    .is_some_and(|last| iv.start <= last.end);
            match body.intervals.last_mut() {
                Some(last) if merges => last.end = last.end.max(iv.end),
                _ => body.intervals.push(iv),
            }
        }
        body.holders[h].live = (start, body.intervals.len() as u32 - start);
    }
    body
}

/// An identifier pattern that names a variant or constant (`None`, `MAX`) rather than binding.
fn is_constant_pattern(pi: &syn::PatIdent) -> bool {
    pi.by_ref.is_none()
        && pi.mutability.is_none()
        && pi.subpat.is_none()
        && pi
            .ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase())
}

/// Does the pattern bind the matched value itself (`g`, `Ok(g)`, `Some(g)`, `Err(e)`)?
fn pattern_binds_value(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::Ident(pi) => {
            pi.by_ref.is_none() && pi.subpat.is_none() && !is_constant_pattern(pi)
        }
        syn::Pat::TupleStruct(ts) => {
            ts.elems.len() == 1
                && ts
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| flow::is_wrapping_variant(&s.ident.to_string()))
                && ts.elems.first().is_some_and(pattern_binds_value)
        }
        syn::Pat::Paren(p) => pattern_binds_value(&p.pat),
        _ => false,
    }
}

fn between_expr_semi(e: &syn::Expr, semi: Option<&syn::Token![;]>) -> Span {
    let s = expr_span(e);
    match semi {
        Some(semi) => Span {
            lo: s.lo,
            hi: pos_hi(semi.span),
        },
        None => s,
    }
}

/// A path's segment names, for the tables of [`crate::known`].
fn path_names(p: &syn::Path) -> Vec<String> {
    p.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Asks a table of [`crate::known`] about a path, by its segment names.
fn with_names<R>(p: &syn::Path, f: impl FnOnce(&[&str]) -> R) -> R {
    let owned = path_names(p);
    let names: Vec<&str> = owned.iter().map(String::as_str).collect();
    f(&names)
}

/// A parameter type that may be a guard the caller hands over: `impl Deref<Target = T>`, or a
/// type parameter bounded by `Deref`/`DerefMut` (`R: Deref<Target = Level>`). It holds a lock
/// only where a caller passes a guard.
fn derefs_generically(ty: &syn::Type, generics: &syn::Generics) -> bool {
    let is_deref = |b: &syn::TypeParamBound| {
        matches!(b, syn::TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == "Deref" || s.ident == "DerefMut"))
    };
    match ty {
        syn::Type::ImplTrait(it) => it.bounds.iter().any(is_deref),
        syn::Type::Path(tp) if tp.qself.is_none() => {
            let Some(name) = tp.path.get_ident() else {
                return false;
            };
            let in_params = generics
                .type_params()
                .any(|p| &p.ident == name && p.bounds.iter().any(is_deref));
            let in_where = generics
                .where_clause
                .iter()
                .flat_map(|w| &w.predicates)
                .any(|pr| {
                    matches!(pr, syn::WherePredicate::Type(pt)
                    if matches!(&pt.bounded_ty, syn::Type::Path(b) if b.path.is_ident(name))
                        && pt.bounds.iter().any(is_deref))
                });
            in_params || in_where
        }
        _ => false,
    }
}

/// A type written as a lock guard: `MutexGuard<'_, T>`, `parking_lot::RwLockWriteGuard<T>`.
fn is_guard_type(ty: &syn::Type) -> bool {
    match type_fact(ty) {
        TypeFact::Path(p) => p
            .last()
            .is_some_and(|s| locks::is_guard_type_name(s.name.as_str())),
        _ => false,
    }
}
