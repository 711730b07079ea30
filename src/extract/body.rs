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

use super::macros::{self, MacroKind};
use super::spans::{between, expr_span, pos_hi, sp};
use super::types::{ctor_type, type_fact};
use super::{Edition, FileCx, syms_of};
use crate::facts::*;
use crate::intern::{Sym, sym};
use crate::known::{Origin, atomics, collections, executors, flow, locks};
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

pub(super) fn walk_fn(
    fx: &mut FileCx,
    idx: FnIdx,
    sig: &syn::Signature,
    block: &syn::Block,
) -> Body {
    let module = fx.facts.fns[idx as usize].module;
    let in_test = fx.facts.fns[idx as usize].is_test;
    let mut w = Walker {
        fx,
        env: vec![Frame::default()],
        cur: BodyState::new(idx),
        module,
        in_test,
    };
    let mut param = 0u16;
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(_) => w.env[0].vars.push(Var {
                name: sym::SELF_VALUE,
                kind: VarKind::SelfValue,
            }),
            syn::FnArg::Typed(pt) => {
                match &*pt.pat {
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
    let t = w.open_temp();
    let v = w.block_inner(&block.stmts);
    w.record_return(v);
    w.close_temp(t);
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
    fx.facts.fns.push(FnFacts {
        module,
        name: sym::CLOSURE,
        span: between(c.inputs_begin.span, c.inputs_end.span),
        owner: FnOwner::Free,
        is_async: false,
        is_test: in_test,
        receiver: None,
        params: vec![],
        ret: None,
        body: None,
    });
    let mut w = Walker {
        fx,
        env: vec![Frame::default()],
        cur: BodyState::new(idx),
        module,
        in_test,
    };
    let t = w.open_temp();
    let v = w.expr(&c.body);
    w.record_return(v);
    w.close_temp(t);
    let body = w.finish();
    fx.facts.fns[idx as usize].body = Some(body);
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

impl Walker<'_, '_> {
    // ---------------------------------------------------------------- state and liveness

    fn now(&self) -> u32 {
        self.cur.body.events.len() as u32
    }

    fn push_interval(&mut self, h: HolderIdx, start: u32, end: u32) {
        if start >= end {
            return;
        }
        let ivs = &mut self.cur.intervals[h as usize];
        if let Some(last) = ivs.last_mut()
            && last.end == start
        {
            last.end = end;
            return;
        }
        ivs.push(Interval { start, end });
    }

    /// Brings the open intervals in line with `live`: holders that lost their last owner close
    /// at the current event, holders that gained one open there.
    fn sync_open(&mut self) {
        let now = self.now();
        let mut i = 0;
        while i < self.cur.open.len() {
            let (h, since) = self.cur.open[i];
            if self.cur.live.iter().any(|l| l.holder == h) {
                i += 1;
            } else {
                self.cur.open.swap_remove(i);
                self.push_interval(h, since, now);
            }
        }
        for k in 0..self.cur.live.len() {
            let h = self.cur.live[k].holder;
            if !self.cur.open.iter().any(|&(o, _)| o == h) {
                self.cur.open.push((h, now));
            }
        }
    }

    fn own(&mut self, h: HolderIdx, owner: Owner) {
        if self.cur.diverged {
            return;
        }
        self.cur.live.retain(|l| l.holder != h);
        self.cur.live.push(Live { holder: h, owner });
        if let Owner::Var(_) = owner {
            let holder = &mut self.cur.body.holders[h as usize];
            holder.held = Held::Binding;
        }
        self.sync_open();
    }

    /// The lock guard a binding owns, if it owns one (not a call result that may be one).
    fn owned_lock(&self, var: VarKey) -> Option<HolderIdx> {
        self.cur
            .live
            .iter()
            .filter(|l| l.owner == Owner::Var(var))
            .map(|l| l.holder)
            .find(|&h| {
                matches!(
                    self.cur.body.holders[h as usize].kind,
                    HolderKind::Lock { .. }
                )
            })
    }

    fn owned_by(&self, owner: Owner) -> Vec<HolderIdx> {
        self.cur
            .live
            .iter()
            .filter(|l| l.owner == owner)
            .map(|l| l.holder)
            .collect()
    }

    /// A binding's guards leave it (dropped, moved): if the binding belongs to an enclosing
    /// function, record it for the closure's facts.
    fn end_binding(&mut self, var: VarKey) {
        if var.0 != self.cur.fn_ {
            let at = self.now();
            self.cur.body.captured_ends.push(CapturedEnd {
                fn_: var.0,
                local: var.1,
                at,
            });
        }
        self.kill_owner(Owner::Var(var));
    }

    /// Whether call `c`'s receiver or arguments are (rooted at) local `l` of this body.
    fn call_reads_local(&self, c: CallIdx, l: LocalIdx) -> bool {
        let body = &self.cur.body;
        let fn_ = self.cur.fn_;
        let call = &body.calls[c as usize];
        call.receiver
            .iter()
            .chain(call.args.iter())
            .any(|op| match op {
                Operand::Place(p) => body.places[*p as usize].base == Base::Local { fn_, local: l },
                _ => false,
            })
    }

    /// After the call that runs a closure, the bindings it took over hold nothing here.
    fn settle_closure_takes(&mut self) {
        for var in std::mem::take(&mut self.cur.taken_by_closure) {
            self.kill_owner(Owner::Var(var));
        }
    }

    fn kill_owner(&mut self, owner: Owner) {
        let before = self.cur.live.len();
        self.cur.live.retain(|l| l.owner != owner);
        if let Owner::Var(v) = owner {
            let now = self.now();
            for lp in &mut self.cur.loops {
                if !lp.first_kill.iter().any(|(k, _)| *k == v) {
                    lp.first_kill.push((v, now));
                }
            }
        }
        if self.cur.live.len() != before {
            self.sync_open();
        }
    }

    fn kill_holder(&mut self, h: HolderIdx) {
        let before = self.cur.live.len();
        self.cur.live.retain(|l| l.holder != h);
        if self.cur.live.len() != before {
            self.sync_open();
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            live: self.cur.live.clone(),
            diverged: self.cur.diverged,
        }
    }

    fn restore(&mut self, s: Snapshot) {
        self.cur.live = s.live;
        self.cur.diverged = s.diverged;
        self.sync_open();
    }

    fn join(states: Vec<Snapshot>) -> Snapshot {
        let mut out = Snapshot {
            live: vec![],
            diverged: true,
        };
        for s in states {
            if s.diverged {
                continue;
            }
            out.diverged = false;
            for l in s.live {
                if !out.live.contains(&l) {
                    out.live.push(l);
                }
            }
        }
        out
    }

    fn diverge(&mut self) {
        self.cur.live.clear();
        self.cur.diverged = true;
        self.sync_open();
    }

    fn open_temp(&mut self) -> u32 {
        let id = self.cur.next_temp;
        self.cur.next_temp += 1;
        self.cur.temps.push(id);
        id
    }

    fn pop_temp(&mut self, id: u32) {
        if let Some(pos) = self.cur.temps.iter().rposition(|&t| t == id) {
            self.cur.temps.truncate(pos);
        }
    }

    fn close_temp(&mut self, id: u32) {
        self.pop_temp(id);
        self.kill_owner(Owner::Temp(id));
    }

    fn cur_temp(&self) -> Owner {
        Owner::Temp(self.cur.temps.last().copied().unwrap_or(0))
    }

    fn finish(self) -> Body {
        finish_state(self.cur)
    }

    // ---------------------------------------------------------------- names

    fn push_frame(&mut self) {
        self.env.push(Frame::default());
    }

    fn pop_frame(&mut self) {
        if let Some(frame) = self.env.pop() {
            for v in frame.vars {
                if let VarKind::Local { key, .. } = v.kind
                    && key.0 == self.cur.fn_
                {
                    self.kill_owner(Owner::Var(key));
                }
            }
        }
    }

    fn lookup(&self, name: Sym) -> Option<Var> {
        self.env
            .iter()
            .rev()
            .flat_map(|f| f.vars.iter().rev())
            .find(|v| v.name == name)
            .copied()
    }

    fn declare(
        &mut self,
        ident: &syn::Ident,
        ty: Option<TypeFact>,
        alias_of: Option<PlaceIdx>,
        is_closure_param: bool,
    ) -> VarKey {
        let name = Sym::new(&ident.to_string());
        let local = self.cur.body.locals.len() as LocalIdx;
        self.cur.body.locals.push(LocalFacts {
            name,
            span: sp(ident.span()),
            ty,
            alias_of,
            init_call: None,
            field_aliases: vec![],
            is_closure_param,
            init: Interval::default(),
        });
        let key = (self.cur.fn_, local);
        if let Some(frame) = self.env.last_mut() {
            frame.vars.push(Var {
                name,
                kind: VarKind::Local { key, closure: None },
            });
        }
        key
    }

    fn set_closure(&mut self, key: VarKey, c: FnIdx) {
        for frame in self.env.iter_mut().rev() {
            for v in frame.vars.iter_mut().rev() {
                if let VarKind::Local { key: k, closure } = &mut v.kind
                    && *k == key
                {
                    *closure = Some(c);
                    return;
                }
            }
        }
    }

    fn closure_of(&self, key: VarKey) -> Option<FnIdx> {
        self.env
            .iter()
            .rev()
            .flat_map(|f| f.vars.iter().rev())
            .find_map(|v| match v.kind {
                VarKind::Local { key: k, closure } if k == key => closure,
                _ => None,
            })
    }

    /// The bases an expression mentions (`self`, parameters, locals), for ordering evidence.
    fn bases_of(&self, e: &syn::Expr, out: &mut Vec<Base>) {
        struct V<'w, 'a, 'o> {
            w: &'w Walker<'a, 'o>,
            out: &'w mut Vec<Base>,
        }
        impl<'ast> syn::visit::Visit<'ast> for V<'_, '_, '_> {
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                if let Some(id) = p.path.get_ident()
                    && let Some(var) = self.w.lookup(Sym::new(&id.to_string()))
                {
                    let base = match var.kind {
                        VarKind::SelfValue => Base::SelfValue,
                        VarKind::Param(i) => Base::Param(i),
                        VarKind::Local { key, .. } => Base::Local {
                            fn_: key.0,
                            local: key.1,
                        },
                    };
                    if !self.out.contains(&base) {
                        self.out.push(base);
                    }
                }
            }
            fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
            fn visit_macro(&mut self, _: &'ast syn::Macro) {}
        }
        syn::visit::Visit::visit_expr(&mut V { w: self, out }, e);
    }

    /// The locals of this body that an expression mentions.
    fn own_locals_of(&self, e: &syn::Expr) -> Vec<LocalIdx> {
        let mut bases = vec![];
        self.bases_of(e, &mut bases);
        let fn_ = self.cur.fn_;
        bases
            .into_iter()
            .filter_map(|b| match b {
                Base::Local { fn_: f, local } if f == fn_ => Some(local),
                _ => None,
            })
            .collect()
    }

    fn record_ordering(&mut self, span: Span, exprs: &[&syn::Expr]) {
        let mut bases = vec![];
        for e in exprs {
            self.bases_of(e, &mut bases);
        }
        if !bases.is_empty() {
            self.cur.body.orderings.push(Ordering { span, bases });
        }
    }

    // ---------------------------------------------------------------- facts

    fn push_place(&mut self, p: Place) -> PlaceIdx {
        let idx = self.cur.body.places.len() as PlaceIdx;
        self.cur.body.places.push(p);
        idx
    }

    fn push_event(&mut self, kind: EventKind, span: Span) -> u32 {
        let idx = self.now();
        self.cur.body.events.push(Event { kind, span });
        idx
    }

    fn new_holder(
        &mut self,
        kind: HolderKind,
        span: Span,
        awaited: bool,
        argc: usize,
    ) -> HolderIdx {
        let h = self.cur.body.holders.len() as HolderIdx;
        self.cur.body.holders.push(Holder {
            kind,
            span,
            held: match self.cur.scrutinee {
                Some(k) => Held::Scrutinee(k),
                None => Held::Temporary,
            },
            binding: None,
            local: None,
            live: (0, 0),
            awaited,
            unwrapped: false,
            in_unsafe: self.cur.unsafe_depth > 0,
            argc: argc.min(255) as u8,
            stmt_span: Span::default(),
            discard: None,
            loop_depth: self.loop_depth(),
            configured: false,
        });
        self.cur.intervals.push(vec![]);
        h
    }

    fn record_return(&mut self, v: Val) {
        let op = match v {
            Val::None | Val::Agg(_) => return,
            v => self.operand(v, false),
        };
        self.cur.body.returns.push(op);
    }

    /// The place an expression's value denotes, for a receiver or a projection.
    fn place_of(&mut self, v: Val) -> Place {
        match v {
            Val::Place(p, var) => {
                if let Some(var) = var
                    && let Some(h) = self.owned_lock(var)
                {
                    return Place {
                        base: Base::Guard(h),
                        proj: vec![],
                        span: p.span,
                    };
                }
                p
            }
            Val::Guard(h) => Place {
                base: Base::Guard(h),
                proj: vec![],
                span: Span::default(),
            },
            Val::Call(c) => Place {
                base: Base::Call(c),
                proj: vec![],
                span: Span::default(),
            },
            _ => Place {
                base: Base::Unknown,
                proj: vec![],
                span: Span::default(),
            },
        }
    }

    /// Turns a value into a call operand. `moved`: passed by value, so a binding's guards go
    /// with it.
    fn operand(&mut self, v: Val, moved: bool) -> Operand {
        match v {
            Val::Guard(h) => Operand::Guard(h),
            Val::Place(p, var) => {
                if let Some(var) = var {
                    if let Some(h) = self.owned_lock(var) {
                        if moved {
                            self.end_binding(var);
                        }
                        return Operand::Guard(h);
                    }
                    if moved {
                        self.end_binding(var);
                    }
                    if let Some(c) = self.closure_of(var) {
                        return Operand::Closure(c);
                    }
                }
                Operand::Place(self.push_place(p))
            }
            Val::Closure(c) => Operand::Closure(c),
            Val::Call(c) => Operand::Place(self.push_place(Place {
                base: Base::Call(c),
                proj: vec![],
                span: Span::default(),
            })),
            Val::Agg(_) | Val::None => Operand::Other,
        }
    }

    fn call_event(
        &mut self,
        callee: Callee,
        receiver: Option<Operand>,
        args: Vec<Operand>,
        span: Span,
        name_span: Span,
    ) -> CallIdx {
        let c = self.cur.body.calls.len() as CallIdx;
        self.cur.body.calls.push(CallFact {
            callee,
            receiver,
            args,
            awaited: false,
            name_span,
            loop_depth: self.loop_depth(),
            starts_stmt: false,
        });
        self.push_event(EventKind::Call(c), span);
        self.settle_closure_takes();
        c
    }

    /// Loops around the current point of this body (labeled blocks are not loops).
    fn loop_depth(&self) -> u8 {
        self.cur
            .loops
            .iter()
            .filter(|l| !l.is_block)
            .count()
            .min(255) as u8
    }

    fn static_ref(&mut self, path: Box<[Sym]>, span: Span, access: Access) {
        self.fx.facts.static_refs.push(StaticRef {
            module: self.module,
            fn_: Some(self.cur.fn_),
            path,
            span,
            access,
            expr: span,
            value: None,
            op: None,
            pos: ExprPos::Inner,
        });
    }

    /// `X = v` / `X += v` where `X` is the static just recorded: the whole expression.
    fn static_write(&mut self, lhs: &syn::Expr, whole: Span, value: Span, op: Option<ArithOp>) {
        let syn::Expr::Path(p) = strip_parens(lhs) else {
            return;
        };
        let Some(last) = p.path.segments.last() else {
            return;
        };
        if !looks_static(&last.ident.to_string()) {
            return;
        }
        let span = sp(last.ident.span());
        if let Some(r) = self.recent_static_ref(|r| r.span == span) {
            r.expr = whole;
            r.value = Some(value);
            r.op = op;
        }
    }

    /// One of the static references recorded last (by the statement being walked).
    fn recent_static_ref(&mut self, pred: impl Fn(&StaticRef) -> bool) -> Option<&mut StaticRef> {
        self.fx
            .facts
            .static_refs
            .iter_mut()
            .rev()
            .take(64)
            .find(|r| pred(r))
    }

    /// A read or write through `*` of a guard (a lock call's value, or a binding that owns
    /// one).
    fn guard_access(
        &mut self,
        v: &Val,
        access: Access,
        op: Option<ArithOp>,
        span: Span,
        value: Option<Span>,
    ) {
        let holder = match v {
            Val::Guard(h) => Some(*h),
            Val::Place(p, Some(var)) if p.proj.is_empty() => self.owned_lock(*var),
            Val::Place(p, None) if p.proj.is_empty() => match p.base {
                Base::Guard(h) => Some(h),
                _ => None,
            },
            _ => None,
        };
        if let Some(holder) = holder {
            self.cur.body.guard_accesses.push(ValueAccess {
                holder,
                access,
                op,
                span,
                value,
                pos: ExprPos::Inner,
            });
        }
    }

    /// Records a write through a projection of a guard (`g.count += 1`, `g.items[i] = x`).
    fn guard_field_write(&mut self, target: &Val) {
        let holder = match target {
            Val::Place(p, Some(var)) if !p.proj.is_empty() => self.owned_lock(*var),
            Val::Place(p, None) if !p.proj.is_empty() => match p.base {
                Base::Guard(h) => Some(h),
                _ => None,
            },
            _ => None,
        };
        if let Some(h) = holder
            && !self.cur.body.guard_field_writes.contains(&h)
        {
            self.cur.body.guard_field_writes.push(h);
        }
    }

    /// Marks the accesses whose expression is exactly `e` as standing at `pos`.
    fn mark_pos(&mut self, e: &syn::Expr, pos: ExprPos) {
        if !matches!(
            strip_parens(e),
            syn::Expr::Binary(_) | syn::Expr::Assign(_) | syn::Expr::Unary(_) | syn::Expr::Path(_)
        ) {
            return;
        }
        let span = expr_span(e);
        if let Some(a) = self.cur.body.guard_accesses.last_mut()
            && a.span == span
        {
            a.pos = pos;
        }
        if let Some(r) = self.recent_static_ref(|r| r.expr == span) {
            r.pos = pos;
        }
    }

    // ---------------------------------------------------------------- statements

    /// Walks statements in a new scope; returns the value of the tail expression.
    fn block_inner(&mut self, stmts: &[syn::Stmt]) -> Val {
        self.push_frame();
        let mut tail = Val::None;
        let n = stmts.len();
        let mut i = 0;
        while i < n {
            // `#[cfg(a)] stmt; #[cfg(not(a))] stmt;`: a run of configured statements are
            // alternatives, not a sequence.
            let run = stmts[i..].iter().take_while(|s| has_cfg(s)).count();
            if run > 1 {
                self.cfg_alternatives(&stmts[i..i + run]);
                i += run;
                continue;
            }
            let stmt = &stmts[i];
            i += 1;
            match stmt {
                syn::Stmt::Expr(e, None) if i == n => {
                    // A tail's temporaries outlive the block's locals before edition 2024.
                    let v = if self.fx.opts.edition >= Edition::E2024 {
                        let t = self.open_temp();
                        let v = self.expr(e);
                        let outer = self.outer_temp(t);
                        let v = self.lift(v, outer);
                        self.close_temp(t);
                        v
                    } else {
                        self.expr(e)
                    };
                    self.mark_pos(e, ExprPos::Tail);
                    self.mark_stmt_call(e, &v);
                    let outer = self.cur_temp();
                    tail = self.lift(v, outer);
                }
                stmt => self.stmt(stmt),
            }
        }
        self.pop_frame();
        tail
    }

    /// Walks configured statements as branches from one state and joins them. Bindings of the
    /// same name are one binding afterwards: the last one takes the others' guards.
    fn cfg_alternatives(&mut self, stmts: &[syn::Stmt]) {
        let entry = self.snapshot();
        let mut ends = vec![];
        let mut declared: Vec<(Sym, VarKey)> = vec![];
        for stmt in stmts {
            self.restore(entry.clone());
            let before = self.env.last().map_or(0, |f| f.vars.len());
            self.stmt(stmt);
            if let Some(frame) = self.env.last() {
                for v in &frame.vars[before.min(frame.vars.len())..] {
                    if let VarKind::Local { key, .. } = v.kind {
                        declared.push((v.name, key));
                    }
                }
            }
            ends.push(self.snapshot());
        }
        self.restore(Self::join(ends));
        for (i, &(name, key)) in declared.iter().enumerate() {
            if let Some(&(_, last)) = declared[i + 1..].iter().rev().find(|(n, _)| *n == name) {
                for h in self.owned_by(Owner::Var(key)) {
                    self.own(h, Owner::Var(last));
                }
            }
        }
    }

    fn outer_temp(&self, t: u32) -> Owner {
        let pos = self.cur.temps.iter().rposition(|&x| x == t).unwrap_or(0);
        match pos.checked_sub(1) {
            Some(p) => Owner::Temp(self.cur.temps[p]),
            None => Owner::Temp(0),
        }
    }

    /// A value leaving a scope: guards owned by the scope's bindings or temporaries move to
    /// `to`, the owner that receives the value.
    fn lift(&mut self, v: Val, to: Owner) -> Val {
        match v {
            Val::Place(p, Some(var)) => {
                let owned = self.owned_by(Owner::Var(var));
                if owned.is_empty() {
                    return Val::Place(p, Some(var));
                }
                for &h in &owned {
                    self.own(h, to);
                }
                if owned.len() == 1 {
                    Val::Guard(owned[0])
                } else {
                    Val::Agg(owned.into_iter().map(Val::Guard).collect())
                }
            }
            Val::Guard(h) => {
                if self.cur.live.iter().any(|l| l.holder == h) {
                    self.own(h, to);
                    // `own` marks bindings only; a temporary stays a temporary.
                }
                Val::Guard(h)
            }
            Val::Agg(vs) => Val::Agg(vs.into_iter().map(|v| self.lift(v, to)).collect()),
            v => v,
        }
    }

    fn stmt(&mut self, stmt: &syn::Stmt) {
        match stmt {
            syn::Stmt::Local(local) => self.local(local),
            syn::Stmt::Expr(e, semi) => {
                let t = self.open_temp();
                let v = self.expr(e);
                if semi.is_some() {
                    self.mark_discarded(
                        &v,
                        between_expr_semi(e, semi.as_ref()),
                        Discard::Statement,
                    );
                    self.mark_pos(e, ExprPos::Stmt);
                }
                self.mark_stmt_call(e, &v);
                self.close_temp(t);
                self.settle_closure_takes();
            }
            syn::Stmt::Item(item) => {
                let (module, in_test) = (self.module, self.in_test);
                self.fx.item_in_body(item, module, in_test);
            }
            syn::Stmt::Macro(m) => {
                let t = self.open_temp();
                self.mac(&m.mac);
                self.close_temp(t);
            }
        }
    }

    /// `m.lock();` and `let _ = m.lock();`: a lock taken and released at once.
    fn mark_discarded(&mut self, v: &Val, span: Span, form: Discard) {
        if let Val::Guard(h) = v {
            let holder = &mut self.cur.body.holders[*h as usize];
            if matches!(holder.kind, HolderKind::Lock { .. }) && holder.held == Held::Temporary {
                holder.held = Held::Discarded;
                holder.stmt_span = span;
                holder.discard = Some(form);
            }
        }
    }

    /// A statement that is a call and nothing else (`f(x);`, `f(x).await;`): the call starts
    /// it.
    fn mark_stmt_call(&mut self, e: &syn::Expr, v: &Val) {
        let Val::Call(c) = v else { return };
        let lo = expr_span(e).lo;
        let starts = self
            .cur
            .body
            .events
            .iter()
            .rev()
            .find(|ev| ev.kind == EventKind::Call(*c))
            .is_some_and(|ev| ev.span.lo == lo);
        if starts {
            self.cur.body.calls[*c as usize].starts_stmt = true;
        }
    }

    fn local(&mut self, local: &syn::Local) {
        let t = self.open_temp();
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        match &local.init {
            Some(init) => {
                let orderings_before = self.cur.body.orderings.len();
                let init_start = self.now();
                let v = self.expr(&init.expr);
                let init_events = Interval {
                    start: init_start,
                    end: self.now(),
                };
                let first_local = self.cur.body.locals.len();
                // `let x = &*m.lock().unwrap();` extends the temporary guard to the block.
                let v = match (&v, strip_parens(&init.expr)) {
                    (Val::Place(p, None), syn::Expr::Reference(_)) => match p.base {
                        Base::Guard(h) if p.proj.is_empty() => Val::Guard(h),
                        _ => v,
                    },
                    _ => v,
                };
                if let syn::Pat::Wild(w) = pat {
                    let span = between(local.let_token.span, local.semi_token.span);
                    self.mark_discarded(&v, span, Discard::Let(sp(w.underscore_token.span)));
                }
                match &init.diverge {
                    Some((_, else_block)) => {
                        // `let PAT = e else { .. };`: the else block runs when PAT fails.
                        let before = self.snapshot();
                        self.expr(else_block);
                        self.restore(before);
                        self.bind(pat, v, ty, Some(&init.expr), true);
                    }
                    None => self.bind(pat, v, ty, Some(&init.expr), true),
                }
                for l in &mut self.cur.body.locals[first_local..] {
                    l.init = init_events;
                }
                // `let (lo, hi) = (a.min(b), a.max(b));`: what an ordering computes is ordered.
                if self.cur.body.orderings.len() > orderings_before {
                    let fn_ = self.cur.fn_;
                    let bound: Vec<Base> = (first_local..self.cur.body.locals.len())
                        .map(|l| Base::Local {
                            fn_,
                            local: l as LocalIdx,
                        })
                        .collect();
                    for o in &mut self.cur.body.orderings[orderings_before..] {
                        o.bases.extend(bound.iter().cloned());
                    }
                }
            }
            None => self.bind(pat, Val::None, ty, None, true),
        }
        self.close_temp(t);
    }

    // ---------------------------------------------------------------- patterns

    /// Declares a pattern's bindings in the current frame; bindings by value take ownership of
    /// the guards in `v`.
    fn bind(
        &mut self,
        pat: &syn::Pat,
        v: Val,
        ty: Option<&syn::Type>,
        init: Option<&syn::Expr>,
        top: bool,
    ) {
        match pat {
            // `None`, `MAX`: a variant or a constant, not a binding.
            syn::Pat::Ident(pi) if is_constant_pattern(pi) => {}
            syn::Pat::Ident(pi) => {
                if let Some((_, sub)) = &pi.subpat {
                    self.bind(sub, Val::None, None, None, false);
                }
                let ty_fact = ty
                    .map(type_fact)
                    .or_else(|| if top { init.and_then(ctor_type) } else { None });
                // A place bound whole, or an element of a tuple pattern (`let (a, b) = (x, y)`).
                let alias_of = match &v {
                    Val::Place(p, _) if p.base != Base::Unknown => {
                        let p = p.clone();
                        Some(self.push_place(p))
                    }
                    _ => None,
                };
                let key = self.declare(&pi.ident, ty_fact, alias_of, false);
                if let (Val::Call(c), true) = (&v, top) {
                    self.cur.body.locals[key.1 as usize].init_call = Some(*c);
                }
                if let (Some(init), true) = (init, top) {
                    let fields = self.literal_field_aliases(init);
                    self.cur.body.locals[key.1 as usize].field_aliases = fields;
                }
                if pi.by_ref.is_some() {
                    return;
                }
                let name = Sym::new(&pi.ident.to_string());
                self.take(v, Owner::Var(key), (name, sp(pi.ident.span())));
            }
            syn::Pat::Type(pt) => self.bind(&pt.pat, v, Some(&pt.ty), init, top),
            syn::Pat::Paren(p) => self.bind(&p.pat, v, ty, init, top),
            syn::Pat::Tuple(t) => {
                let mut vals: Vec<Val> = match v {
                    Val::Agg(vs) if vs.len() == t.elems.len() => vs,
                    // `let (g, timeout) = cvar.wait_timeout(g, d).unwrap();`
                    v @ Val::Guard(_) => vec![v],
                    _ => vec![],
                };
                vals.resize(t.elems.len(), Val::None);
                for (p, v) in t.elems.iter().zip(vals) {
                    self.bind(p, v, None, None, false);
                }
            }
            syn::Pat::TupleStruct(ts) => {
                let passes = ts
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| flow::is_wrapping_variant(&s.ident.to_string()))
                    && ts.elems.len() == 1;
                let mut v = Some(v);
                for p in &ts.elems {
                    let v = if passes {
                        v.take().unwrap_or(Val::None)
                    } else {
                        Val::None
                    };
                    self.bind(p, v, None, None, false);
                }
            }
            syn::Pat::Reference(r) => self.bind(&r.pat, Val::None, None, None, false),
            syn::Pat::Or(o) => {
                if let Some(first) = o.cases.first() {
                    self.bind(first, v, ty, init, top);
                }
            }
            syn::Pat::Struct(s) => {
                for f in &s.fields {
                    self.bind(&f.pat, Val::None, None, None, false);
                }
            }
            syn::Pat::Slice(s) => {
                for p in &s.elems {
                    self.bind(p, Val::None, None, None, false);
                }
            }
            _ => {}
        }
    }

    /// A binding (or other owner) takes the value: its guards, a moved binding's guards, or a
    /// kept call result.
    fn take(&mut self, v: Val, owner: Owner, binding: (Sym, Span)) {
        match v {
            Val::Guard(h) => {
                self.own(h, owner);
                let fn_ = self.cur.fn_;
                let holder = &mut self.cur.body.holders[h as usize];
                if holder.binding.is_none() {
                    holder.binding = Some(binding);
                    if let Owner::Var((f, l)) = owner
                        && f == fn_
                    {
                        holder.local = Some(l);
                    }
                }
            }
            Val::Agg(vs) => {
                for v in vs {
                    self.take(v, owner, binding);
                }
            }
            Val::Place(_, Some(var)) => {
                for h in self.owned_by(Owner::Var(var)) {
                    self.own(h, owner);
                }
                if let (Some(c), Owner::Var(key)) = (self.closure_of(var), owner) {
                    self.set_closure(key, c);
                }
            }
            Val::Call(c) => {
                if let Owner::Var(_) = owner {
                    let span = self
                        .cur
                        .body
                        .events
                        .iter()
                        .rev()
                        .find(|e| e.kind == EventKind::Call(c))
                        .map(|e| e.span)
                        .unwrap_or_default();
                    let h = self.new_holder(HolderKind::CallResult(c), span, false, 0);
                    let holder = &mut self.cur.body.holders[h as usize];
                    holder.binding = Some(binding);
                    if let Owner::Var((f, l)) = owner {
                        holder.local = (f == self.cur.fn_).then_some(l);
                    }
                    self.own(h, owner);
                }
            }
            Val::Closure(c) => {
                if let Owner::Var(key) = owner {
                    self.set_closure(key, c);
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- expressions

    fn expr_access(&mut self, e: &syn::Expr, access: Access) -> Val {
        match strip_parens(e) {
            syn::Expr::Path(p) if p.qself.is_none() => self.path_expr(p, access),
            syn::Expr::Field(f) => {
                let base = self.expr_access(&f.base, access);
                self.field(base, &f.member)
            }
            syn::Expr::Index(i) => {
                let base = self.expr_access(&i.expr, access);
                self.index(base, &i.index)
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.expr_access(&u.expr, access)
            }
            e => self.expr(e),
        }
    }

    fn path_expr(&mut self, p: &syn::ExprPath, access: Access) -> Val {
        let span = sp(p
            .path
            .segments
            .last()
            .map(|s| s.ident.span())
            .unwrap_or_else(proc_macro2::Span::call_site));
        if let Some(id) = p.path.get_ident() {
            let name = Sym::new(&id.to_string());
            if let Some(var) = self.lookup(name) {
                let (base, key) = match var.kind {
                    VarKind::SelfValue => (Base::SelfValue, None),
                    VarKind::Param(i) => (Base::Param(i), None),
                    VarKind::Local { key, .. } => (
                        Base::Local {
                            fn_: key.0,
                            local: key.1,
                        },
                        Some(key),
                    ),
                };
                if let Some(key) = key {
                    self.note_use(key, span);
                }
                return Val::Place(
                    Place {
                        base,
                        proj: vec![],
                        span,
                    },
                    key,
                );
            }
        }
        let path = syms_of(&p.path);
        if let Some(last) = path.last()
            && looks_static(last.as_str())
        {
            self.static_ref(path.clone(), span, access);
        }
        Val::Place(
            Place {
                base: Base::Path(path),
                proj: vec![],
                span,
            },
            None,
        )
    }

    /// A mention of a local: a use of the guard it owns, or a capture from an enclosing body.
    fn note_use(&mut self, key: VarKey, span: Span) {
        if key.0 != self.cur.fn_ {
            if !self.cur.body.captures.contains(&key) {
                self.cur.body.captures.push(key);
            }
            return;
        }
        if let Some(holder) = self.owned_lock(key) {
            let at = self.now();
            self.cur.body.guard_uses.push(GuardUse {
                holder,
                local: key.1,
                at,
                span,
            });
        }
    }

    fn field(&mut self, base: Val, member: &syn::Member) -> Val {
        // `cvar.wait_timeout(g, d).unwrap().0`: the guard half of the pair.
        if let (Val::Agg(parts), syn::Member::Unnamed(i)) = (&base, member)
            && let Some(part) = parts.get(i.index as usize)
        {
            return part.clone();
        }
        let mut p = self.place_of(base);
        p.proj.push(Proj::Field(member_sym(member)));
        Val::Place(p, None)
    }

    fn index(&mut self, base: Val, index: &syn::Expr) -> Val {
        self.expr(index);
        let key = match strip_parens(index) {
            syn::Expr::Path(p) => p.path.get_ident().map(|i| Sym::new(&i.to_string())),
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Int(i) => Some(Sym::new(i.base10_digits())),
                _ => None,
            },
            _ => None,
        };
        let mut p = self.place_of(base);
        p.proj.push(Proj::Index(key));
        Val::Place(p, None)
    }

    fn expr(&mut self, e: &syn::Expr) -> Val {
        use syn::Expr;
        match e {
            Expr::Path(p) if p.qself.is_none() => self.path_expr(p, Access::Read),
            Expr::Path(_) => Val::None,
            Expr::Field(f) => {
                let base = self.expr(&f.base);
                self.field(base, &f.member)
            }
            Expr::Index(i) => {
                let base = self.expr(&i.expr);
                self.index(base, &i.index)
            }
            Expr::MethodCall(mc) => self.method_call(mc, None),
            Expr::Call(c) => self.call(c),
            Expr::Await(a) => self.await_expr(a),
            Expr::Try(t) => {
                let v = self.expr(&t.expr);
                if let Val::Guard(h) = v {
                    self.cur.body.holders[h as usize].unwrapped = true;
                }
                v
            }
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Reference(r) => {
                let access = if r.mutability.is_some() {
                    Access::RefMut
                } else {
                    Access::Ref
                };
                match self.expr_access(&r.expr, access) {
                    // Borrowing a binding does not move it.
                    Val::Place(p, _) => Val::Place(p, None),
                    v => v,
                }
            }
            Expr::RawAddr(r) => {
                let access = match r.mutability {
                    syn::PointerMutability::Mut(_) => Access::RefMut,
                    _ => Access::Ref,
                };
                self.expr_access(&r.expr, access);
                Val::None
            }
            Expr::Unary(u) => match u.op {
                syn::UnOp::Deref(_) => match self.deref_read(u) {
                    Val::Guard(h) => Val::Place(
                        Place {
                            base: Base::Guard(h),
                            proj: vec![],
                            span: Span::default(),
                        },
                        None,
                    ),
                    Val::Place(p, var) => {
                        let p = self.place_of(Val::Place(p, var));
                        Val::Place(p, None)
                    }
                    v => v,
                },
                _ => {
                    self.expr(&u.expr);
                    Val::None
                }
            },
            Expr::Binary(b) => self.binary(b),
            Expr::Assign(a) => {
                let v = self.expr(&a.right);
                let whole = expr_span(e);
                let target = self.assign(&a.left, v, Access::Assign);
                let value = expr_span(&a.right);
                self.static_write(&a.left, whole, value, None);
                if let Some(t) = &target {
                    self.guard_field_write(t);
                }
                if let (Some(t), syn::Expr::Unary(u)) = (target, strip_parens(&a.left))
                    && matches!(u.op, syn::UnOp::Deref(_))
                {
                    self.guard_access(&t, Access::Assign, None, whole, Some(value));
                }
                Val::None
            }
            Expr::Cast(c) => {
                self.expr(&c.expr);
                Val::None
            }
            Expr::Block(b) => match &b.label {
                Some(label) => {
                    self.enter_loop(Some(label_sym(&label.name)), true);
                    let v = self.block_inner(&b.block.stmts);
                    self.exit_loop(true);
                    v
                }
                None => self.block_inner(&b.block.stmts),
            },
            Expr::Unsafe(u) => {
                self.cur.unsafe_depth += 1;
                let v = self.block_inner(&u.block.stmts);
                self.cur.unsafe_depth -= 1;
                v
            }
            Expr::Const(_) => Val::None,
            Expr::TryBlock(t) => self.block_inner(&t.block.stmts),
            Expr::If(i) => self.if_expr(i),
            Expr::Match(m) => self.match_expr(m),
            Expr::Loop(l) => {
                self.enter_loop(l.label.as_ref().map(|l| label_sym(&l.name)), false);
                self.block_inner(&l.body.stmts);
                self.exit_loop(false);
                Val::None
            }
            Expr::While(w) => self.while_expr(w),
            Expr::ForLoop(f) => self.for_expr(f),
            Expr::Closure(c) => self.closure(c, true),
            Expr::Async(a) => self.async_block(a, true),
            Expr::Let(l) => {
                // A `let` outside an `if`/`while` condition (malformed or macro-made).
                let v = self.expr(&l.expr);
                self.bind(&l.pat, v, None, None, false);
                Val::None
            }
            Expr::Return(r) => {
                if let Some(e) = &r.expr {
                    let v = self.expr(e);
                    self.record_return(v);
                }
                self.diverge();
                Val::None
            }
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    self.expr(e);
                }
                self.leave_loop(b.label.as_ref().map(label_sym), false);
                Val::None
            }
            Expr::Continue(c) => {
                self.leave_loop(c.label.as_ref().map(label_sym), true);
                Val::None
            }
            Expr::Macro(m) => self.mac(&m.mac),
            Expr::Struct(s) => {
                let mut vals = vec![];
                for f in &s.fields {
                    let v = self.expr(&f.expr);
                    let op = self.moved_value(v);
                    vals.push(op);
                }
                if let Some(rest) = &s.rest {
                    self.expr(rest);
                }
                Self::agg_of_guards(vals)
            }
            Expr::Tuple(t) => {
                let vals: Vec<Val> = t.elems.iter().map(|e| self.expr(e)).collect();
                let vals = vals.into_iter().map(|v| self.moved_value(v)).collect();
                Val::Agg(vals)
            }
            Expr::Array(a) => {
                let vals: Vec<Val> = a.elems.iter().map(|e| self.expr(e)).collect();
                let vals = vals.into_iter().map(|v| self.moved_value(v)).collect();
                Self::agg_of_guards(vals)
            }
            Expr::Repeat(r) => {
                self.expr(&r.expr);
                self.expr(&r.len);
                Val::None
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.expr(s);
                }
                if let Some(s) = &r.end {
                    self.expr(s);
                }
                Val::None
            }
            Expr::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.expr(e);
                }
                Val::None
            }
            _ => Val::None,
        }
    }

    /// `*e` as a value: a read of a guard's value when `e` is a guard.
    fn deref_read(&mut self, u: &syn::ExprUnary) -> Val {
        let v = self.expr(&u.expr);
        let span = Span {
            lo: super::spans::pos_lo(match &u.op {
                syn::UnOp::Deref(t) => t.span,
                _ => proc_macro2::Span::call_site(),
            }),
            hi: expr_span(&u.expr).hi,
        };
        self.guard_access(&v, Access::Read, None, span, None);
        v
    }

    /// A value moved into an aggregate or a constructor: a bare binding's guards go with it.
    fn moved_value(&mut self, v: Val) -> Val {
        match v {
            Val::Place(p, Some(var)) => {
                let owned = self.owned_by(Owner::Var(var));
                if owned.is_empty() {
                    return Val::Place(p, Some(var));
                }
                let to = self.cur_temp();
                for &h in &owned {
                    self.own(h, to);
                }
                // `own` marked them bound; as part of a temporary value they are not.
                Val::Agg(owned.into_iter().map(Val::Guard).collect())
            }
            v => v,
        }
    }

    fn agg_of_guards(vals: Vec<Val>) -> Val {
        let mut guards = vec![];
        for v in &vals {
            v.guards(&mut guards);
        }
        if guards.is_empty() {
            Val::None
        } else {
            Val::Agg(guards.into_iter().map(Val::Guard).collect())
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> Val {
        use syn::BinOp::*;
        match b.op {
            AddAssign(_) | SubAssign(_) | MulAssign(_) | DivAssign(_) | RemAssign(_)
            | BitXorAssign(_) | BitAndAssign(_) | BitOrAssign(_) | ShlAssign(_) | ShrAssign(_) => {
                let target = self.expr_access(&b.left, Access::Compound);
                self.expr(&b.right);
                let whole = expr_span(&b.left).to(expr_span(&b.right));
                let value = expr_span(&b.right);
                let op = arith_op(&b.op);
                self.static_write(&b.left, whole, value, op);
                self.guard_field_write(&target);
                if let syn::Expr::Unary(u) = strip_parens(&b.left)
                    && matches!(u.op, syn::UnOp::Deref(_))
                {
                    self.guard_access(&target, Access::Compound, op, whole, Some(value));
                }
                Val::None
            }
            Lt(_) | Le(_) | Gt(_) | Ge(_) => {
                self.expr(&b.left);
                self.expr(&b.right);
                let span = expr_span(&b.left).to(expr_span(&b.right));
                self.record_ordering(span, &[&b.left, &b.right]);
                Val::None
            }
            _ => {
                self.expr(&b.left);
                self.expr(&b.right);
                Val::None
            }
        }
    }

    /// Assigns `v` to `lhs`; returns what `lhs` evaluated to when it is not a local.
    fn assign(&mut self, lhs: &syn::Expr, v: Val, access: Access) -> Option<Val> {
        let lhs = strip_parens(lhs);
        if let syn::Expr::Path(p) = lhs
            && let Some(id) = p.path.get_ident()
            && let Some(Var {
                kind: VarKind::Local { key, .. },
                ..
            }) = self.lookup(Sym::new(&id.to_string()))
        {
            // A binding declared without a value is typed by what it is first given (not by a
            // call that reads the binding itself: `n = n.max(5)`).
            if key.0 == self.cur.fn_
                && let Val::Call(c) = v
                && !self.call_reads_local(c, key.1)
            {
                let local = &mut self.cur.body.locals[key.1 as usize];
                if local.ty.is_none() && local.alias_of.is_none() {
                    local.init_call.get_or_insert(c);
                }
            }
            // The old value is dropped after the new one is computed.
            self.kill_owner(Owner::Var(key));
            self.take(
                v,
                Owner::Var(key),
                (Sym::new(&id.to_string()), sp(id.span())),
            );
            return None;
        }
        if matches!(lhs, syn::Expr::Infer(_)) {
            // `_ = m.lock();`
            let span = expr_span(lhs);
            self.mark_discarded(&v, span, Discard::Assign(span));
            return None;
        }
        let target = self.expr_access(lhs, access);
        // A guard stored into a field or through a pointer leaves what we can follow.
        let mut guards = vec![];
        v.guards(&mut guards);
        if let Val::Place(_, Some(var)) = &v {
            guards.extend(self.owned_by(Owner::Var(*var)));
            self.kill_owner(Owner::Var(*var));
        }
        for h in guards {
            self.kill_holder(h);
        }
        Some(target)
    }

    // ---------------------------------------------------------------- calls

    fn lock_call(
        &mut self,
        mc: &syn::ExprMethodCall,
        await_span: Option<Span>,
        origin: Origin,
    ) -> Val {
        let recv = self.expr_access(&mc.receiver, Access::Method);
        for a in &mc.args {
            self.expr(a);
        }
        let span = Span {
            lo: expr_span(&mc.receiver).lo,
            hi: pos_hi(mc.paren_token.span.close()),
        };
        let mut place = self.place_of(recv);
        place.span = expr_span(&mc.receiver);
        let place = self.push_place(place);
        if let Some(s) = await_span {
            self.push_event(EventKind::Await, s);
        }
        let method = Sym::new(&mc.method.to_string());
        let h = self.new_holder(
            HolderKind::Lock { place, method },
            span,
            await_span.is_some(),
            mc.args.len(),
        );
        self.cur.body.holders[h as usize].configured = origin == Origin::Configured;
        self.push_event(EventKind::Acquire(h), span);
        let owner = self.cur_temp();
        self.own(h, owner);
        Val::Guard(h)
    }

    fn method_call(&mut self, mc: &syn::ExprMethodCall, await_span: Option<Span>) -> Val {
        let name = Sym::new(&mc.method.to_string());
        let argc = mc.args.len();
        if let Some(origin) = self.fx.opts.api.lock_method(name, argc) {
            return self.lock_call(mc, await_span, origin);
        }
        let recv = self.expr_access(&mc.receiver, Access::Method);
        // `m.lock().unwrap()` is the guard; `self.state().unwrap()` is still the call's value.
        if locks::is_guard_adapter(name) {
            match recv {
                Val::Guard(h) => {
                    for a in &mc.args {
                        self.arg(a, false);
                    }
                    if matches!(name, sym::UNWRAP | sym::EXPECT | sym::UNWRAP_OR_ELSE) {
                        self.cur.body.holders[h as usize].unwrapped = true;
                    }
                    return Val::Guard(h);
                }
                Val::Call(c) => {
                    for a in &mc.args {
                        self.arg(a, false);
                    }
                    return Val::Call(c);
                }
                Val::Agg(parts) => {
                    for a in &mc.args {
                        self.arg(a, false);
                    }
                    return Val::Agg(parts);
                }
                _ => {}
            }
        }
        if locks::is_place_adapter(name, argc)
            && let Val::Place(..) = recv
        {
            for a in &mc.args {
                self.arg(a, false);
            }
            let p = self.place_of(recv);
            return Val::Place(p, None);
        }
        if name == sym::GET
            && argc == 1
            && let Val::Place(..) = recv
        {
            let key = match strip_parens(&mc.args[0]) {
                syn::Expr::Path(p) => p.path.get_ident().map(|i| Sym::new(&i.to_string())),
                _ => None,
            };
            let arg = self.arg_op(&mc.args[0], false, false);
            let mut p = self.place_of(recv);
            // Still a call: `cache.get(k)` may be a method of ours.
            let recv_op = Operand::Place(self.push_place(p.clone()));
            let span = between(mc.dot_token.span, mc.paren_token.span.close());
            self.call_event(
                Callee::Method(name),
                Some(recv_op),
                vec![arg],
                span,
                sp(mc.method.span()),
            );
            p.proj.push(Proj::Index(key));
            return Val::Place(p, None);
        }
        if collections::is_ordering_method(name) {
            let span = between(mc.dot_token.span, mc.paren_token.span.close());
            let mut exprs: Vec<&syn::Expr> = vec![&mc.receiver];
            exprs.extend(mc.args.iter());
            self.record_ordering(span, &exprs);
        }
        let receiver = self.operand(recv, false);
        // A condition variable's wait gives the guard back.
        let wait_guard = if locks::is_condvar_wait(name) && argc >= 1 {
            self.guard_of_arg(&mc.args[0])
        } else {
            None
        };
        let method = mc.method.to_string();
        let spawner = executors::is_spawner(&method);
        let shapes = atomics::is_atomic_like(&method);
        let mut args = Vec::with_capacity(argc);
        let mut arg_facts = vec![];
        for a in &mc.args {
            let ev0 = self.now();
            let op = self.arg_op(a, spawner, wait_guard.is_none());
            args.push(op);
            if shapes {
                let f = self.arg_fact(a, ev0);
                arg_facts.push(f);
            }
        }
        // `.name(args)`: the receiver may be a long chain of its own.
        let span = between(mc.dot_token.span, mc.paren_token.span.close());
        if let Some(s) = await_span {
            self.push_event(EventKind::Await, s);
        }
        let c = self.call_event(
            Callee::Method(name),
            Some(receiver),
            args,
            span,
            sp(mc.method.span()),
        );
        if await_span.is_some() {
            self.cur.body.calls[c as usize].awaited = true;
        }
        if shapes {
            self.cur.body.call_args.push(CallArgs {
                call: c,
                args: arg_facts,
            });
        }
        match wait_guard {
            // `wait_timeout` gives back the guard and whether it timed out.
            Some(h) if name.as_str().contains("timeout") => {
                Val::Agg(vec![Val::Guard(h), Val::None])
            }
            Some(h) => Val::Guard(h),
            None => Val::Call(c),
        }
    }

    /// The shape of an argument just evaluated from event `ev0` on.
    fn arg_fact(&mut self, a: &syn::Expr, ev0: u32) -> ArgFact {
        let e = strip_parens(a);
        let shape = match e {
            syn::Expr::Path(p) if p.qself.is_none() => ArgShape::Path(syms_of(&p.path)),
            syn::Expr::Lit(_) => ArgShape::Lit,
            syn::Expr::MethodCall(_) | syn::Expr::Call(_) => match self.call_of(e, ev0) {
                Some(c) => ArgShape::Call(c),
                None => ArgShape::Other,
            },
            syn::Expr::Binary(b) => match arith_op(&b.op) {
                Some(op) if !is_assign_op(&b.op) => ArgShape::Binary {
                    op,
                    lhs: self.arg_operand(&b.left, ev0),
                    rhs: self.arg_operand(&b.right, ev0),
                },
                _ => ArgShape::Other,
            },
            _ => ArgShape::Other,
        };
        let locals = self.own_locals_of(e);
        ArgFact {
            span: expr_span(a),
            shape,
            locals,
        }
    }

    fn arg_operand(&self, e: &syn::Expr, ev0: u32) -> ArgOperand {
        let span = expr_span(e);
        let inside = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
        let pure = !self.cur.body.events[ev0 as usize..]
            .iter()
            .any(|ev| inside(ev.span));
        ArgOperand {
            span,
            call: self.call_of(strip_parens(e), ev0),
            pure,
        }
    }

    /// The call event (from `ev0` on) that is exactly expression `e`.
    fn call_of(&self, e: &syn::Expr, ev0: u32) -> Option<CallIdx> {
        let span = match e {
            syn::Expr::MethodCall(mc) => between(mc.dot_token.span, mc.paren_token.span.close()),
            syn::Expr::Call(c) => Span {
                lo: expr_span(&c.func).lo,
                hi: pos_hi(c.paren_token.span.close()),
            },
            _ => return None,
        };
        self.cur.body.events[ev0 as usize..]
            .iter()
            .rev()
            .find_map(|ev| match ev.kind {
                EventKind::Call(c) if ev.span == span => Some(c),
                _ => None,
            })
    }

    /// The guard an argument passes (`g`, `&mut g`), if any.
    fn guard_of_arg(&self, a: &syn::Expr) -> Option<HolderIdx> {
        let a = match strip_parens(a) {
            syn::Expr::Reference(r) => strip_parens(&r.expr),
            a => a,
        };
        if let syn::Expr::Path(p) = a
            && let Some(id) = p.path.get_ident()
            && let Some(Var {
                kind: VarKind::Local { key, .. },
                ..
            }) = self.lookup(Sym::new(&id.to_string()))
        {
            return self.owned_by(Owner::Var(key)).first().copied();
        }
        None
    }

    /// Evaluates an argument: closures passed to spawners run elsewhere, other closures run
    /// during the call.
    fn arg_op(&mut self, a: &syn::Expr, spawner: bool, moves: bool) -> Operand {
        match strip_parens(a) {
            syn::Expr::Closure(c) => {
                let Val::Closure(idx) = self.closure(c, spawner) else {
                    return Operand::Other;
                };
                Operand::Closure(idx)
            }
            syn::Expr::Async(ab) => {
                let Val::Closure(idx) = self.async_block(ab, spawner) else {
                    return Operand::Other;
                };
                Operand::Closure(idx)
            }
            e => {
                let v = self.expr(e);
                // Only a bare binding moves; `&g` and `g.x` do not.
                let bare = matches!(e, syn::Expr::Path(_));
                self.operand(v, moves && bare)
            }
        }
    }

    fn arg(&mut self, a: &syn::Expr, spawner: bool) -> Operand {
        self.arg_op(a, spawner, true)
    }

    fn call(&mut self, c: &syn::ExprCall) -> Val {
        let func = strip_parens(&c.func);
        let syn::Expr::Path(fp) = func else {
            // `(self.callback)()`, `make()()`, `(|| ..)()`
            if let syn::Expr::Closure(cl) = func {
                let Val::Closure(idx) = self.closure(cl, true) else {
                    return Val::None;
                };
                let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, false)).collect();
                let span = Span {
                    lo: expr_span(func).lo,
                    hi: pos_hi(c.paren_token.span.close()),
                };
                let cidx = self.call_event(Callee::Closure(idx), None, args, span, span);
                return Val::Call(cidx);
            }
            self.expr(func);
            let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, false)).collect();
            let span = Span {
                lo: expr_span(func).lo,
                hi: pos_hi(c.paren_token.span.close()),
            };
            let cidx = self.call_event(Callee::Unknown, None, args, span, expr_span(func));
            return Val::Call(cidx);
        };
        let span = Span {
            lo: expr_span(func).lo,
            hi: pos_hi(c.paren_token.span.close()),
        };
        let name_span = fp
            .path
            .segments
            .last()
            .map(|s| sp(s.ident.span()))
            .unwrap_or(span);
        let segs = &fp.path.segments;
        let last = segs.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let argc = c.args.len();

        // Calls through a local or a parameter.
        if fp.qself.is_none()
            && let Some(id) = fp.path.get_ident()
            && let Some(var) = self.lookup(Sym::new(&id.to_string()))
        {
            let callee = match var.kind {
                VarKind::Local { key, closure } => match closure.or_else(|| self.closure_of(key)) {
                    Some(cl) => Callee::Closure(cl),
                    None => Callee::Unknown,
                },
                VarKind::Param(i) => Callee::Param(i),
                VarKind::SelfValue => Callee::Unknown,
            };
            let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, false)).collect();
            let cidx = self.call_event(callee, None, args, span, name_span);
            return Val::Call(cidx);
        }

        let owned = path_names(&fp.path);
        let names: Vec<&str> = owned.iter().map(String::as_str).collect();
        // Ending a guard: `drop(g)`, `mem::forget(g)`, `ManuallyDrop::new(g)`, `Box::leak(..)`.
        let callee_span = expr_span(func);
        if argc == 1
            && let Some(end) = flow::guard_end(&names)
        {
            let v = self.expr(&c.args[0]);
            let kind = match end {
                flow::GuardEnd::Drop => GuardOpKind::Drop,
                flow::GuardEnd::Forget => GuardOpKind::Forget,
            };
            self.end_guards(v, kind, span, syms_of(&fp.path), callee_span);
            return Val::None;
        }
        if argc == 1 && flow::keeps_without_drop(&names) {
            let v = self.expr(&c.args[0]);
            let mut guards = vec![];
            v.guards(&mut guards);
            if let Val::Place(_, Some(var)) = &v {
                guards.extend(self.owned_by(Owner::Var(*var)));
            }
            if !guards.is_empty() {
                self.end_guards(v, GuardOpKind::Forget, span, syms_of(&fp.path), callee_span);
                return Val::None;
            }
            return match v {
                Val::Place(p, _) => Val::Place(p, None),
                v => v,
            };
        }
        // `Arc::clone(&a)` is `a`.
        if argc == 1 && flow::is_handle_clone(&names) {
            let v = self.expr(&c.args[0]);
            return match v {
                Val::Place(p, _) => Val::Place(p, None),
                _ => Val::None,
            };
        }
        // Wrapping constructors carry the value: `Some(m.lock())`, `Box::new(g)`.
        if argc == 1 && flow::wraps_value(&names) {
            let v = self.expr(&c.args[0]);
            return match self.moved_value(v) {
                v @ (Val::Guard(_) | Val::Agg(_)) => v,
                _ => Val::None,
            };
        }
        // `MutexGuard::unlocked(&mut g, || ..)`: the lock is released while the closure runs.
        if flow::unlocks_during(&last) && argc == 2 {
            let released = self.guard_of_arg(&c.args[0]);
            let owner = released.and_then(|h| {
                self.cur
                    .live
                    .iter()
                    .find(|l| l.holder == h)
                    .map(|l| l.owner)
            });
            if let Some(h) = released {
                self.kill_holder(h);
            }
            let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, false)).collect();
            let cidx =
                self.call_event(Callee::Path(syms_of(&fp.path)), None, args, span, name_span);
            if let (Some(h), Some(owner)) = (released, owner) {
                self.own(h, owner);
            }
            return Val::Call(cidx);
        }
        if collections::is_min_max_fn(&last) && argc == 2 {
            self.record_ordering(span, &[&c.args[0], &c.args[1]]);
        }
        let spawner = executors::is_spawner(&last);
        let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, spawner)).collect();
        let cidx = self.call_event(Callee::Path(syms_of(&fp.path)), None, args, span, name_span);
        if flow::exits_process(&names) {
            self.diverge();
        }
        Val::Call(cidx)
    }

    fn end_guards(
        &mut self,
        v: Val,
        kind: GuardOpKind,
        span: Span,
        callee: Box<[Sym]>,
        callee_span: Span,
    ) {
        let mut guards = vec![];
        v.guards(&mut guards);
        if let Val::Place(_, Some(var)) = &v {
            guards.extend(self.owned_by(Owner::Var(*var)));
            self.end_binding(*var);
        }
        for h in guards {
            self.cur.body.guard_ops.push(GuardOp {
                kind,
                holder: h,
                span,
                callee: callee.clone(),
                callee_span,
            });
            self.kill_holder(h);
        }
    }

    /// A future that a macro (`select!`, `join!`) awaits.
    fn mark_awaited(&mut self, v: &Val) {
        if let Val::Call(c) = v {
            self.cur.body.calls[*c as usize].awaited = true;
        }
    }

    fn await_expr(&mut self, a: &syn::ExprAwait) -> Val {
        let await_span = sp(a.await_token.span);
        match strip_parens(&a.base) {
            syn::Expr::MethodCall(mc) => return self.method_call(mc, Some(await_span)),
            syn::Expr::Async(ab) => {
                // `async { .. }.await` runs here and now.
                self.push_frame();
                let v = self.block_inner(&ab.block.stmts);
                self.pop_frame();
                self.push_event(EventKind::Await, await_span);
                return v;
            }
            _ => {}
        }
        let v = self.expr(&a.base);
        if let Val::Call(c) = v {
            self.cur.body.calls[c as usize].awaited = true;
        }
        self.push_event(EventKind::Await, await_span);
        v
    }

    // ---------------------------------------------------------------- closures

    fn closure(&mut self, c: &syn::ExprClosure, deferred: bool) -> Val {
        let idx = self.fx.facts.fns.len() as FnIdx;
        let is_async = c.asyncness.is_some();
        self.fx.facts.fns.push(FnFacts {
            module: self.module,
            name: sym::CLOSURE,
            span: between(c.inputs_begin.span, c.inputs_end.span),
            owner: FnOwner::Closure {
                parent: self.cur.fn_,
                deferred,
                is_async_block: false,
            },
            is_async,
            is_test: self.in_test,
            receiver: None,
            params: vec![],
            ret: None,
            body: None,
        });
        let saved = std::mem::replace(&mut self.cur, BodyState::new(idx));
        self.push_frame();
        for input in &c.inputs {
            let (pat, ty) = match input {
                syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
                p => (p, None),
            };
            match pat {
                syn::Pat::Ident(pi) => {
                    self.declare(&pi.ident, ty.map(type_fact), None, true);
                }
                p => self.bind(p, Val::None, ty, None, false),
            }
        }
        let t = self.open_temp();
        let v = self.expr(&c.body);
        self.record_return(v);
        self.close_temp(t);
        self.pop_frame();
        let done = std::mem::replace(&mut self.cur, saved);
        self.note_closure_takes(&done);
        let body = finish_state(done);
        self.fx.facts.fns[idx as usize].body = Some(body);
        Val::Closure(idx)
    }

    /// Bindings of this function that a closure just walked drops or moves.
    fn note_closure_takes(&mut self, closure: &BodyState) {
        let fn_ = self.cur.fn_;
        for end in &closure.body.captured_ends {
            let var = (end.fn_, end.local);
            if end.fn_ == fn_ && !self.cur.taken_by_closure.contains(&var) {
                self.cur.taken_by_closure.push(var);
            }
        }
    }

    fn async_block(&mut self, ab: &syn::ExprAsync, deferred: bool) -> Val {
        let idx = self.fx.facts.fns.len() as FnIdx;
        self.fx.facts.fns.push(FnFacts {
            module: self.module,
            name: sym::ASYNC_BLOCK,
            span: sp(ab.async_token.span),
            owner: FnOwner::Closure {
                parent: self.cur.fn_,
                deferred,
                is_async_block: true,
            },
            is_async: true,
            is_test: self.in_test,
            receiver: None,
            params: vec![],
            ret: None,
            body: None,
        });
        let saved = std::mem::replace(&mut self.cur, BodyState::new(idx));
        let t = self.open_temp();
        let v = self.block_inner(&ab.block.stmts);
        self.record_return(v);
        self.close_temp(t);
        let done = std::mem::replace(&mut self.cur, saved);
        self.note_closure_takes(&done);
        let body = finish_state(done);
        self.fx.facts.fns[idx as usize].body = Some(body);
        Val::Closure(idx)
    }

    // ---------------------------------------------------------------- control flow

    /// Starts a [`Branch`] fact for a construct whose condition is about to be walked.
    fn open_branch(&mut self, kind: BranchKind, span: Span, cond: &syn::Expr) -> usize {
        let locals = self.own_locals_of(cond);
        let now = self.now();
        self.cur.body.branches.push(Branch {
            kind,
            span,
            cond: Interval {
                start: now,
                end: now,
            },
            body: Interval {
                start: now,
                end: now,
            },
            exits: false,
            locals,
        });
        self.cur.body.branches.len() - 1
    }

    fn cond_done(&mut self, b: usize) {
        let now = self.now();
        if let Some(br) = self.cur.body.branches.get_mut(b) {
            br.cond.end = now;
            br.body = Interval {
                start: now,
                end: now,
            };
        }
    }

    fn close_branch(&mut self, b: usize, exits: bool) {
        let now = self.now();
        if let Some(br) = self.cur.body.branches.get_mut(b) {
            br.body.end = now;
            br.exits = exits;
        }
    }

    fn if_expr(&mut self, i: &syn::ExprIf) -> Val {
        let with_let = has_let(&i.cond);
        let kind = if with_let {
            BranchKind::IfLet
        } else {
            BranchKind::If
        };
        let br = self.open_branch(
            kind,
            between(i.if_token.span, i.then_branch.brace_token.span.close()),
            &i.cond,
        );
        let edition_2024 = self.fx.opts.edition >= Edition::E2024;
        self.push_frame();
        // A plain condition is a temporary scope of its own; an `if let` scrutinee's
        // temporaries belong to the enclosing statement (edition 2021) or last to the `else`
        // (edition 2024).
        let own_scope = !with_let || edition_2024;
        let t = if own_scope {
            Some(self.open_temp())
        } else {
            None
        };
        self.condition(&i.cond);
        self.cond_done(br);
        if let (Some(t), false) = (t, with_let) {
            self.close_temp(t);
        }
        let bound: Vec<VarKey> = self
            .env
            .last()
            .map(|f| {
                f.vars
                    .iter()
                    .filter_map(|v| match v.kind {
                        VarKind::Local { key, .. } => Some(key),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let after_cond = self.snapshot();
        let then_v = self.block_inner(&i.then_branch.stmts);
        if let (Some(t), true) = (t, with_let) {
            self.kill_owner(Owner::Temp(t));
        }
        let then_state = self.snapshot();
        // The else branch runs when the pattern did not match: no binding holds anything.
        let mut else_entry = after_cond;
        else_entry.live.retain(|l| match l.owner {
            Owner::Var(k) => !bound.contains(&k),
            Owner::Temp(x) => !(with_let && t == Some(x)),
        });
        self.restore(else_entry);
        if let Some(t) = t {
            self.pop_temp(t);
        }
        // Pattern bindings are not visible in the else branch.
        let frame = self.env.pop();
        let else_v = match &i.else_branch {
            Some((_, e)) => self.expr(e),
            None => Val::None,
        };
        if let Some(frame) = frame {
            self.env.push(frame);
        }
        let else_state = self.snapshot();
        self.close_branch(br, then_state.diverged || else_state.diverged);
        self.restore(Self::join(vec![then_state, else_state]));
        self.pop_frame();
        join_vals(then_v, else_v)
    }

    /// Evaluates an `if`/`while` condition, binding `let` patterns into the current frame.
    fn condition(&mut self, cond: &syn::Expr) {
        match strip_parens(cond) {
            syn::Expr::Let(l) => {
                let prev = self.cur.scrutinee.replace(ScrutineeKind::IfLet);
                let v = self.expr(&l.expr);
                self.cur.scrutinee = prev;
                self.bind(&l.pat, v, None, None, false);
            }
            syn::Expr::Binary(b) if is_bool_and(&b.op) => {
                self.condition(&b.left);
                self.condition(&b.right);
            }
            e => {
                self.expr(e);
            }
        }
    }

    fn match_expr(&mut self, m: &syn::ExprMatch) -> Val {
        let br = self.open_branch(
            BranchKind::Match,
            between(m.match_token.span, m.brace_token.span.open()),
            &m.expr,
        );
        let prev = self.cur.scrutinee.replace(ScrutineeKind::Match);
        let scrut = self.expr(&m.expr);
        self.cur.scrutinee = prev;
        self.cond_done(br);
        // A `try_lock` result that no arm binds holds nothing (`None`, `Err(_)`).
        let try_guard = match &scrut {
            Val::Guard(h) => match self.cur.body.holders[*h as usize].kind {
                HolderKind::Lock { method, .. } => method.as_str().starts_with("try_"),
                _ => false,
            },
            _ => false,
        };
        let entry = self.snapshot();
        let mut ends = vec![];
        let mut value = Val::None;
        for arm in &m.arms {
            self.restore(entry.clone());
            self.push_frame();
            let (pat, guard) = match &arm.pat {
                syn::Pat::Guard(g) => (&*g.pat, Some(&g.guard)),
                p => (p, None),
            };
            let binds_guard = pattern_binds_value(pat);
            if try_guard
                && !binds_guard
                && let Val::Guard(h) = &scrut
            {
                self.kill_holder(*h);
            }
            self.bind(
                pat,
                if binds_guard {
                    scrut.clone()
                } else {
                    Val::None
                },
                None,
                None,
                false,
            );
            if let Some(g) = guard {
                let t = self.open_temp();
                self.expr(g);
                self.close_temp(t);
            }
            let v = self.expr(&arm.body);
            let to = self.cur_temp();
            let v = self.lift(v, to);
            self.pop_frame();
            value = join_vals(value, v);
            ends.push(self.snapshot());
        }
        if m.arms.is_empty() {
            ends.push(entry);
        }
        self.close_branch(br, ends.iter().any(|s| s.diverged));
        self.restore(Self::join(ends));
        value
    }

    fn enter_loop(&mut self, label: Option<Sym>, is_block: bool) {
        let entry = self.snapshot();
        let start_ev = self.now();
        let (frame_depth, temp_depth) = (self.env.len(), self.cur.temps.len());
        self.cur.loops.push(LoopCx {
            label,
            frame_depth,
            temp_depth,
            is_block,
            start_ev,
            entry,
            breaks: vec![],
            continues: vec![],
            first_kill: vec![],
        });
    }

    /// Leaves the loop: the state after it joins every `break` (and, for `while` and `for`,
    /// the normal exit). Guards a binding carries from one iteration into the next are alive
    /// from the top of the body until the binding is first overwritten or moved.
    fn exit_loop(&mut self, natural_exit: bool) {
        let Some(cx) = self.cur.loops.pop() else {
            return;
        };
        let end = self.snapshot();
        if !cx.is_block {
            let now = self.now();
            let mut carried: Vec<Live> = vec![];
            for s in std::iter::once(&end).chain(cx.continues.iter()) {
                if s.diverged {
                    continue;
                }
                for l in &s.live {
                    if matches!(l.owner, Owner::Var(_))
                        && !cx.entry.live.iter().any(|e| e.holder == l.holder)
                        && !carried.contains(l)
                    {
                        carried.push(*l);
                    }
                }
            }
            for l in carried {
                let Owner::Var(v) = l.owner else { continue };
                let until = cx
                    .first_kill
                    .iter()
                    .find(|(k, _)| *k == v)
                    .map(|(_, at)| *at)
                    .unwrap_or(now);
                self.push_interval(l.holder, cx.start_ev, until);
            }
        }
        let mut exits = cx.breaks;
        if cx.is_block {
            exits.push(end);
        } else if natural_exit {
            exits.push(cx.entry);
            exits.push(end);
            exits.extend(cx.continues);
        }
        self.restore(Self::join(exits));
    }

    fn leave_loop(&mut self, label: Option<Sym>, is_continue: bool) {
        let target = self.cur.loops.iter().rposition(|l| match label {
            Some(name) => l.label == Some(name),
            None => !l.is_block,
        });
        // Leaving the loop body ends the bindings and temporaries made inside it.
        if let Some(t) = target {
            let (frame_depth, temp_depth) =
                (self.cur.loops[t].frame_depth, self.cur.loops[t].temp_depth);
            let inner_vars: Vec<VarKey> = self.env[frame_depth.min(self.env.len())..]
                .iter()
                .flat_map(|f| f.vars.iter())
                .filter_map(|v| match v.kind {
                    VarKind::Local { key, .. } if key.0 == self.cur.fn_ => Some(key),
                    _ => None,
                })
                .collect();
            let inner_temps: Vec<u32> =
                self.cur.temps[temp_depth.min(self.cur.temps.len())..].to_vec();
            self.cur.live.retain(|l| match l.owner {
                Owner::Var(k) => !inner_vars.contains(&k),
                Owner::Temp(t) => !inner_temps.contains(&t),
            });
            self.sync_open();
        }
        let state = self.snapshot();
        if let Some(target) = target.map(|t| &mut self.cur.loops[t]) {
            if is_continue {
                target.continues.push(state);
            } else {
                target.breaks.push(state);
            }
        }
        self.diverge();
    }

    fn while_expr(&mut self, w: &syn::ExprWhile) -> Val {
        self.enter_loop(w.label.as_ref().map(|l| label_sym(&l.name)), false);
        let with_let = has_let(&w.cond);
        let br = self.open_branch(
            if with_let {
                BranchKind::WhileLet
            } else {
                BranchKind::While
            },
            between(w.while_token.span, w.body.brace_token.span.open()),
            &w.cond,
        );
        self.push_frame();
        // The scrutinee of `while let` lives through each iteration; a plain condition does not.
        let t = self.open_temp();
        if with_let {
            let prev = self.cur.scrutinee.replace(ScrutineeKind::WhileLet);
            self.condition(&w.cond);
            self.cur.scrutinee = prev;
        } else {
            self.condition(&w.cond);
            self.kill_owner(Owner::Temp(t));
        }
        self.cond_done(br);
        self.block_inner(&w.body.stmts);
        self.close_branch(br, false);
        self.close_temp(t);
        self.pop_frame();
        self.exit_loop(true);
        Val::None
    }

    fn for_expr(&mut self, f: &syn::ExprForLoop) -> Val {
        // The iterator's temporaries live through the whole loop.
        let prev = self.cur.scrutinee.replace(ScrutineeKind::For);
        let iter = self.expr(&f.expr);
        self.cur.scrutinee = prev;
        let elem = self.element_of(&f.expr, iter);
        self.enter_loop(f.label.as_ref().map(|l| label_sym(&l.name)), false);
        self.push_frame();
        self.bind(&f.pat, elem, None, None, true);
        self.block_inner(&f.body.stmts);
        self.pop_frame();
        self.exit_loop(true);
        Val::None
    }

    /// `for x in &self.shards` / `.iter()` / `.iter_mut()` / `.values()`: `x` is an element.
    fn element_of(&mut self, e: &syn::Expr, iter: Val) -> Val {
        let collection = match strip_parens(e) {
            syn::Expr::Reference(_) | syn::Expr::Path(_) | syn::Expr::Field(_) => true,
            syn::Expr::MethodCall(mc) => {
                mc.args.is_empty() && collections::is_element_iter(&mc.method.to_string())
            }
            _ => false,
        };
        if !collection {
            return Val::None;
        }
        let place = match strip_parens(e) {
            syn::Expr::MethodCall(mc) => {
                let v = self.peek_place(&mc.receiver);
                match v {
                    Some(p) => p,
                    None => return Val::None,
                }
            }
            _ => match iter {
                Val::Place(p, _) => p,
                _ => return Val::None,
            },
        };
        let mut p = place;
        p.proj.push(Proj::Index(None));
        Val::Place(p, None)
    }

    /// For a struct literal (possibly in `Arc::new`/`Box::new`/`Rc::new`), the fields that
    /// hold a handle to a place: `S { a: Arc::clone(&x), b: y.clone(), c }`.
    fn literal_field_aliases(&mut self, init: &syn::Expr) -> Vec<(Sym, PlaceIdx)> {
        let mut e = strip_parens(init);
        for _ in 0..4 {
            match e {
                syn::Expr::Call(c) if c.args.len() == 1 => match strip_parens(&c.func) {
                    syn::Expr::Path(p) if with_names(&p.path, flow::is_pointer_new) => {
                        e = strip_parens(&c.args[0])
                    }
                    _ => break,
                },
                _ => break,
            }
        }
        let syn::Expr::Struct(s) = e else {
            return vec![];
        };
        let mut out = vec![];
        for f in &s.fields {
            let name = member_sym(&f.member);
            if let Some(place) = self.handle_place(&f.expr) {
                let idx = self.push_place(place);
                out.push((name, idx));
            }
        }
        out
    }

    /// The place a handle expression refers to: `x`, `&x`, `x.clone()`, `Arc::clone(&x)`.
    fn handle_place(&self, e: &syn::Expr) -> Option<Place> {
        match strip_parens(e) {
            syn::Expr::MethodCall(mc)
                if mc.args.is_empty() && flow::is_clone_method(&mc.method.to_string()) =>
            {
                self.handle_place(&mc.receiver)
            }
            syn::Expr::Call(c) if c.args.len() == 1 => match strip_parens(&c.func) {
                syn::Expr::Path(p)
                    if p.path
                        .segments
                        .last()
                        .is_some_and(|s| flow::is_clone_method(&s.ident.to_string())) =>
                {
                    self.handle_place(&c.args[0])
                }
                _ => None,
            },
            e => self.peek_place(e),
        }
    }

    /// The place a simple expression denotes, without evaluating it again.
    fn peek_place(&self, e: &syn::Expr) -> Option<Place> {
        match strip_parens(e) {
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?;
                let var = self.lookup(Sym::new(&id.to_string()))?;
                let base = match var.kind {
                    VarKind::SelfValue => Base::SelfValue,
                    VarKind::Param(i) => Base::Param(i),
                    VarKind::Local { key, .. } => Base::Local {
                        fn_: key.0,
                        local: key.1,
                    },
                };
                Some(Place {
                    base,
                    proj: vec![],
                    span: Span::default(),
                })
            }
            syn::Expr::Field(f) => {
                let mut p = self.peek_place(&f.base)?;
                p.proj.push(Proj::Field(member_sym(&f.member)));
                Some(p)
            }
            syn::Expr::Reference(r) => self.peek_place(&r.expr),
            _ => None,
        }
    }

    // ---------------------------------------------------------------- macros

    fn mac(&mut self, mac: &syn::Macro) -> Val {
        if self.fx.macro_depth >= super::MAX_MACRO_DEPTH {
            return Val::None;
        }
        self.fx.macro_depth += 1;
        let v = self.mac_body(mac);
        self.fx.macro_depth -= 1;
        v
    }

    fn mac_body(&mut self, mac: &syn::Macro) -> Val {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return Val::None;
        };
        if macros::is_opaque(&name) {
            return Val::None;
        }
        match macros::macro_kind(&name) {
            MacroKind::AddrOf { mutable } => {
                let access = if mutable { Access::RefMut } else { Access::Ref };
                if let Ok(e) = syn::parse2::<syn::Expr>(mac.tokens.clone()) {
                    self.expr_access(&e, access);
                }
                Val::None
            }
            MacroKind::Select => {
                let branches = macros::select_branches(&mac.tokens);
                for b in &branches {
                    if let Some(f) = &b.future {
                        let v = self.expr(f);
                        self.mark_awaited(&v);
                    }
                    if let Some(g) = &b.guard {
                        self.expr(g);
                    }
                }
                let span = between(
                    mac.path
                        .segments
                        .first()
                        .map(|s| s.ident.span())
                        .unwrap_or_else(proc_macro2::Span::call_site),
                    mac.bang_token.span,
                );
                self.push_event(EventKind::Await, span);
                let entry = self.snapshot();
                let mut ends = vec![];
                for b in &branches {
                    self.restore(entry.clone());
                    if let Some(h) = &b.handler {
                        self.expr(h);
                    }
                    ends.push(self.snapshot());
                }
                if ends.is_empty() {
                    ends.push(entry);
                }
                self.restore(Self::join(ends));
                Val::None
            }
            // Arguments that are only literals and plain names do nothing we follow.
            MacroKind::Args if !macros::worth_reading(&mac.tokens) => Val::None,
            kind => {
                for e in macros::macro_args(&mac.tokens) {
                    match &e {
                        syn::Expr::Async(ab) => {
                            self.async_block(ab, false);
                        }
                        e => {
                            let v = self.expr(e);
                            if kind == MacroKind::Join {
                                self.mark_awaited(&v);
                            }
                        }
                    }
                }
                match kind {
                    MacroKind::Diverging => self.diverge(),
                    MacroKind::Join => {
                        let span = between(
                            mac.path
                                .segments
                                .first()
                                .map(|s| s.ident.span())
                                .unwrap_or_else(proc_macro2::Span::call_site),
                            mac.bang_token.span,
                        );
                        self.push_event(EventKind::Await, span);
                    }
                    _ => {}
                }
                Val::None
            }
        }
    }
}

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
