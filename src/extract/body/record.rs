//! Recording facts: places, events, holders, call operands, statics and guard accesses.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn push_place(&mut self, p: Place) -> PlaceIdx {
        let idx = self.cur.body.places.len() as PlaceIdx;
        self.cur.body.places.push(p);
        idx
    }

    pub(super) fn push_event(&mut self, kind: EventKind, span: Span) -> u32 {
        let idx = self.now();
        if kind == EventKind::Await {
            for local in std::mem::take(&mut self.cur.pending_awaits) {
                self.cur.body.awaited_locals.push((local, idx));
            }
        }
        self.cur.body.events.push(Event { kind, span });
        idx
    }

    pub(super) fn new_holder(
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
            tried: false,
            in_option: false,
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

    pub(super) fn record_return(&mut self, v: Val) {
        let op = match v {
            Val::None => return,
            // `Batch { held: Some(m.lock()) }`, `Held(g)`: a value that carries guards.
            Val::Agg(_) => {
                let mut guards = vec![];
                v.guards(&mut guards);
                for h in guards {
                    self.cur.body.returns.push(Operand::Guard(h));
                }
                return;
            }
            v => self.operand(v, false),
        };
        self.cur.body.returns.push(op);
    }

    /// The place an expression's value denotes, for a receiver or a projection.
    pub(super) fn place_of(&mut self, v: Val) -> Place {
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
    pub(super) fn operand(&mut self, v: Val, moved: bool) -> Operand {
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

    pub(super) fn call_event(
        &mut self,
        callee: Callee,
        receiver: Option<Operand>,
        args: Vec<Operand>,
        span: Span,
        name_span: Span,
    ) -> CallIdx {
        let c = self.cur.body.calls.len() as CallIdx;
        // A guard argument that is no longer alive here was moved into the call.
        let moved = args
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                Operand::Guard(h) if !self.cur.live.iter().any(|l| l.holder == *h) => {
                    Some((i.min(255) as u8, *h))
                }
                _ => None,
            })
            .collect();
        self.cur.body.calls.push(CallFact {
            callee,
            receiver,
            args,
            awaited: false,
            name_span,
            loop_depth: self.loop_depth(),
            starts_stmt: false,
            moved,
        });
        self.push_event(EventKind::Call(c), span);
        self.settle_closure_takes();
        c
    }

    /// Loops around the current point of this body (labeled blocks are not loops).
    pub(super) fn loop_depth(&self) -> u8 {
        self.cur
            .loops
            .iter()
            .filter(|l| !l.is_block)
            .count()
            .min(255) as u8
    }

    pub(super) fn static_ref(&mut self, path: Box<[Sym]>, span: Span, access: Access) {
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
            delta_text: None,
            self_op: None,
            then_read: None,
            method: None,
        });
    }

    /// `X = v` / `X += v` where `X` is the static just recorded: the whole expression, and
    /// for `X = X op v` the operator and `v`.
    pub(super) fn static_write(
        &mut self,
        lhs: &syn::Expr,
        whole: Span,
        rhs: &syn::Expr,
        op: Option<ArithOp>,
    ) {
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
        let target = syms_of(&p.path);
        // `X = X op v`, `X = v op X` (when `op` commutes).
        let self_op = match (op, strip_parens(rhs)) {
            (None, syn::Expr::Binary(b)) => arith_op(&b.op)
                .filter(|_| !is_assign_op(&b.op))
                .and_then(|op| {
                    let is_target = |e: &syn::Expr| match strip_parens(e) {
                        syn::Expr::Path(q) if q.qself.is_none() && syms_of(&q.path) == target => {
                            q.path.segments.last().map(|s| sp(s.ident.span()))
                        }
                        _ => None,
                    };
                    if let Some(this) = is_target(&b.left) {
                        Some((
                            SelfOp {
                                op,
                                delta: expr_span(&b.right),
                                this,
                            },
                            &*b.right,
                        ))
                    } else if commutes(op) {
                        is_target(&b.right).map(|this| {
                            (
                                SelfOp {
                                    op,
                                    delta: expr_span(&b.left),
                                    this,
                                },
                                &*b.left,
                            )
                        })
                    } else {
                        None
                    }
                }),
            _ => None,
        };
        let delta = match &self_op {
            Some((_, d)) => *d,
            None => rhs,
        };
        let delta_text = repeatable(delta).then(|| self.fx.expr_text(delta));
        if let Some(r) = self.recent_static_ref(|r| r.span == span) {
            r.expr = whole;
            r.value = Some(expr_span(rhs));
            r.op = op;
            r.self_op = self_op.map(|(s, _)| s);
            r.delta_text = delta_text;
        }
    }

    /// One of the static references recorded last (by the statement being walked).
    pub(super) fn recent_static_ref(
        &mut self,
        pred: impl Fn(&StaticRef) -> bool,
    ) -> Option<&mut StaticRef> {
        self.fx
            .facts
            .static_refs
            .iter_mut()
            .rev()
            .take(64)
            .find(|r| pred(r))
    }

    /// The guard a value is itself, not a part of it: a lock call's value, a binding that owns
    /// one, `*g`.
    pub(super) fn guard_itself(&self, v: &Val) -> Option<HolderIdx> {
        match v {
            Val::Guard(h) => Some(*h),
            Val::Place(p, Some(var)) if p.proj.is_empty() => self.owned_lock(*var),
            Val::Place(p, None) if p.proj.is_empty() => match p.base {
                Base::Guard(h) => Some(h),
                _ => None,
            },
            _ => None,
        }
    }

    /// A read or write through `*` of a guard (a lock call's value, or a binding that owns
    /// one).
    pub(super) fn guard_access(
        &mut self,
        v: &Val,
        access: Access,
        op: Option<ArithOp>,
        span: Span,
        value: Option<Span>,
    ) {
        if let Some(holder) = self.guard_itself(v) {
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

    /// Records an assignment (`access`: `=` or `op=`) of `value` to `target`: through `*`
    /// (`deref`) the guard's whole value (`*g = v`), or through a projection a part of it
    /// (`g.count += 1`, `g.items[i] = x`).
    pub(super) fn guard_write(
        &mut self,
        target: &Val,
        deref: bool,
        access: Access,
        value: &syn::Expr,
    ) {
        let (holder, proj) = match target {
            _ if deref => (self.guard_itself(target), None),
            Val::Place(p, Some(var)) if !p.proj.is_empty() => {
                (self.owned_lock(*var), p.proj.first())
            }
            Val::Place(p, None) => match p.base {
                Base::Guard(h) if !p.proj.is_empty() => (Some(h), p.proj.first()),
                _ => (None, None),
            },
            _ => (None, None),
        };
        let Some(holder) = holder else {
            return;
        };
        let field = match proj {
            Some(Proj::Field(f)) => Some(*f),
            _ => None,
        };
        let locals = self.own_locals_of(value);
        self.cur.body.guard_writes.push(GuardWrite {
            holder,
            field,
            access,
            locals,
        });
    }

    /// Marks the accesses whose expression is exactly `e` as standing at `pos`.
    pub(super) fn mark_pos(&mut self, e: &syn::Expr, pos: ExprPos) {
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
}
