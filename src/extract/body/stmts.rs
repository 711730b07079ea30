//! Statements, `let` and patterns: where bindings take ownership of guards.

use super::*;

impl Walker<'_, '_> {
    /// Walks statements in a new scope; returns the value of the tail expression.
    pub(super) fn block_inner(&mut self, block: &syn::Block) -> Val {
        let stmts = &block.stmts;
        self.push_frame();
        let tail = self.stmts_in_frame(stmts);
        self.pop_block_frame(stmts, sp(block.brace_token.span.close()));
        tail
    }

    /// Walks statements in the current scope (a block's, or the one a macro call expands in);
    /// returns the value of the tail expression.
    pub(super) fn stmts_in_frame(&mut self, stmts: &[syn::Stmt]) -> Val {
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
                    self.mark_block_pos(e, BlockPos::Tail);
                    self.mark_stmt_call(e, &v);
                    let outer = self.cur_temp();
                    tail = self.lift(v, outer);
                }
                stmt => {
                    self.stmt(stmt);
                    if let Some(next) = stmts.get(i) {
                        self.note_then_read(stmt, next);
                    }
                }
            }
        }
        tail
    }

    /// `X += v;` (or `X = ..;`) on a static, then a statement that reads it first thing
    /// (`X` as the tail, `let n = X;`, `return X`): recorded on the write.
    fn note_then_read(&mut self, stmt: &syn::Stmt, next: &syn::Stmt) {
        let syn::Stmt::Expr(e, Some(_)) = stmt else {
            return;
        };
        let (lhs, whole) = match e {
            syn::Expr::Binary(b) if is_assign_op(&b.op) && b.attrs.is_empty() => {
                (&*b.left, expr_span(&b.left).to(expr_span(&b.right)))
            }
            syn::Expr::Assign(a) if a.attrs.is_empty() => (&*a.left, expr_span(e)),
            _ => return,
        };
        let syn::Expr::Path(p) = lhs else {
            return;
        };
        let (read, next_lo) = match next {
            syn::Stmt::Expr(x @ syn::Expr::Path(_), None) => (x, expr_span(x).lo),
            syn::Stmt::Expr(syn::Expr::Return(r), _) if r.attrs.is_empty() => match &r.expr {
                Some(x) => (&**x, sp(r.return_token.span).lo),
                None => return,
            },
            syn::Stmt::Local(l) if l.attrs.is_empty() => match &l.init {
                Some(init) if init.diverge.is_none() => (&*init.expr, sp(l.let_token.span).lo),
                _ => return,
            },
            _ => return,
        };
        let syn::Expr::Path(q) = read else {
            return;
        };
        if q.qself.is_some() || !q.attrs.is_empty() || syms_of(&q.path) != syms_of(&p.path) {
            return;
        }
        let Some(last) = q.path.segments.last() else {
            return;
        };
        let then = ThenRead {
            read: sp(last.ident.span()),
            next: next_lo,
        };
        if let Some(r) = self.recent_static_ref(|r| r.expr == whole) {
            r.then_read = Some(then);
        }
    }

    /// Walks configured statements as branches from one state and joins them. Bindings of the
    /// same name are one binding afterwards: the last one takes the others' guards.
    pub(super) fn cfg_alternatives(&mut self, stmts: &[syn::Stmt]) {
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

    pub(super) fn outer_temp(&self, t: u32) -> Owner {
        let pos = self.cur.temps.iter().rposition(|&x| x == t).unwrap_or(0);
        match pos.checked_sub(1) {
            Some(p) => Owner::Temp(self.cur.temps[p]),
            None => Owner::Temp(0),
        }
    }

    /// A value leaving a scope: guards owned by the scope's bindings or temporaries move to
    /// `to`, the owner that receives the value.
    pub(super) fn lift(&mut self, v: Val, to: Owner) -> Val {
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

    pub(super) fn stmt(&mut self, stmt: &syn::Stmt) {
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
                self.mark_block_pos(
                    e,
                    BlockPos::Stmt {
                        semi: semi.as_ref().map(|s| sp(s.span)),
                    },
                );
                self.mark_stmt_call(e, &v);
                self.close_temp(t);
                self.settle_closure_takes();
            }
            syn::Stmt::Item(item) => {
                let (module, in_test) = (self.module, self.in_test);
                self.fx.item_in_body(item, module, in_test, self.cur.fn_);
            }
            syn::Stmt::Macro(m) => {
                let t = self.open_temp();
                if !self.user_macro_stmts(&m.mac) {
                    self.mac(&m.mac);
                }
                self.close_temp(t);
            }
        }
    }

    /// `m.lock();` and `let _ = m.lock();`: a lock taken and released at once.
    pub(super) fn mark_discarded(&mut self, v: &Val, span: Span, form: Discard) {
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
    pub(super) fn mark_stmt_call(&mut self, e: &syn::Expr, v: &Val) {
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

    pub(super) fn local(&mut self, local: &syn::Local) {
        let t = self.open_temp();
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let declared_from = self.cur.body.locals.len();
        match &local.init {
            Some(init) => {
                let orderings_before = self.cur.body.orderings.len();
                // Named before the pattern binds: `let v = v + 1` computes from the old `v`.
                let init_locals = self.own_locals_of(&init.expr);
                let init_start = self.now();
                self.note_unsafe_slot(&init.expr);
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
                // `let x = S { .. }` / `S::new(..)` / `Arc::new(S { .. })`: a value made here.
                let fresh = matches!(pat, syn::Pat::Ident(_) | syn::Pat::Type(_))
                    && ctor_type(&init.expr).is_some();
                for l in &mut self.cur.body.locals[first_local..] {
                    l.init = init_events;
                    l.init_locals.clone_from(&init_locals);
                    l.fresh = fresh;
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
        if self.cur.body.locals.len() == declared_from + 1 {
            let key = (self.cur.fn_, declared_from as LocalIdx);
            self.mark_droppable(pat, local.init.as_ref().map(|i| &*i.expr), key);
        }
        self.close_temp(t);
    }

    /// A parameter given a guard by value: a binding of this body that owns a holder of its
    /// own from the first event on.
    pub(super) fn guard_param(&mut self, pi: &syn::PatIdent, ty: &syn::Type, index: u16) {
        let key = self.declare(&pi.ident, Some(type_fact(ty)), None, false);
        let h = self.new_holder(HolderKind::Param(index), sp(pi.ident.span()), false, 0);
        let name = Sym::new(&pi.ident.to_string());
        self.take(Val::Guard(h), Owner::Var(key), (name, sp(pi.ident.span())));
    }

    // ---------------------------------------------------------------- patterns

    /// Declares a pattern's bindings in the current frame; bindings by value take ownership of
    /// the guards in `v`.
    pub(super) fn bind(
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
                    // `if let Ok(ref mut g) = m.lock()`: `g` borrows the guard the scrutinee
                    // keeps, and reaches the value behind it.
                    Val::Guard(h) if pi.by_ref.is_some() => Some(self.push_place(Place {
                        base: Base::Guard(*h),
                        proj: vec![],
                        span: sp(pi.ident.span()),
                    })),
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
                // `Some(conn) = self.checkout(id)`: `conn` is the payload of the call's value.
                if passes
                    && let (Val::Call(c), Some(syn::Pat::Ident(pi))) = (&v, ts.elems.first())
                    && pi.subpat.is_none()
                    && !is_constant_pattern(pi)
                    && let Some(variant) = ts.path.segments.last()
                {
                    let (c, first) = (*c, self.cur.body.locals.len());
                    let variant = Sym::new(&variant.ident.to_string());
                    self.bind(&ts.elems[0], v, None, None, false);
                    if let Some(l) = self.cur.body.locals.get_mut(first) {
                        l.payload_of = Some((c, variant));
                    }
                    return;
                }
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
    pub(super) fn take(&mut self, v: Val, owner: Owner, binding: (Sym, Span)) {
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
                    let span = self.last_call_span(c);
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
}
