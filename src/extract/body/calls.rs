//! Calls: lock acquisitions, method and function calls, guard-ending calls, `.await`.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn lock_call(
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

    pub(super) fn method_call(
        &mut self,
        mc: &syn::ExprMethodCall,
        await_span: Option<Span>,
    ) -> Val {
        let name = Sym::new(&mc.method.to_string());
        let argc = mc.args.len();
        if cells::is_access_method(name.as_str(), argc) {
            let span = Span {
                lo: expr_span(&mc.receiver).lo,
                hi: pos_hi(mc.paren_token.span.close()),
            };
            self.field_use(&mc.receiver, FieldUseKind::Method(name), span);
        }
        // `bytes.read::<Header>()`: a lock's methods take no type argument.
        if mc.turbofish.is_none()
            && let Some(origin) = self.fx.opts.api.lock_method(name, argc)
        {
            return self.lock_call(mc, await_span, origin);
        }
        let refs_before = self.fx.facts.static_refs.len();
        let recv = self.expr_access(&mc.receiver, Access::Method);
        // `X.as_ref()`: which method a static's own method access calls.
        if matches!(strip_parens(&mc.receiver), syn::Expr::Path(_))
            && self.fx.facts.static_refs.len() == refs_before + 1
            && let Some(r) = self.fx.facts.static_refs.last_mut()
            && r.access == Access::Method
        {
            r.method = Some(Sym::new(&mc.method.to_string()));
        }
        self.keep_scrutinee_result(&recv);
        // `m.lock().unwrap()` is the guard; `self.state().unwrap()` is still the call's value.
        if locks::is_guard_adapter(name) {
            match recv {
                Val::Guard(h) => {
                    for a in &mc.args {
                        self.arg(a, false);
                    }
                    if matches!(name, sym::UNWRAP | sym::EXPECT | sym::UNWRAP_OR_ELSE) {
                        let holder = &mut self.cur.body.holders[h as usize];
                        // `m.lock().unwrap().expect(..)`: the second one unwraps the `Option`
                        // the guard holds, and yields a value read through the guard, which
                        // stays a temporary of the statement.
                        if holder.unwrapped && !holder.tried {
                            return Val::None;
                        }
                        holder.unwrapped = true;
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
        // `batch.held.take()`: what a binding's field held (a guard) moves out with the value;
        // `self.held.take()` gives up a guard this value kept.
        let taken_from = match &recv {
            Val::Place(p, _)
                if flow::takes_out_method(&mc.method.to_string()) && !p.proj.is_empty() =>
            {
                match p.base {
                    Base::Local { fn_, local } if fn_ == self.cur.fn_ => Some((fn_, local)),
                    Base::SelfValue => {
                        self.cur.body.releases_self = true;
                        None
                    }
                    _ => None,
                }
            }
            _ => None,
        };
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
        if let Some(var) = taken_from {
            let owned = self.owned_by(Owner::Var(var));
            if !owned.is_empty() {
                let to = self.cur_temp();
                for &h in &owned {
                    self.own(h, to);
                }
                self.kill_owner(Owner::Var(var));
                return Val::Agg(owned.into_iter().map(Val::Guard).collect());
            }
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
    pub(super) fn arg_fact(&mut self, a: &syn::Expr, ev0: u32) -> ArgFact {
        let e = strip_parens(a);
        let shape = match e {
            syn::Expr::Path(p) if p.qself.is_none() => ArgShape::Path(syms_of(&p.path)),
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Bool(b) => ArgShape::Bool(b.value),
                _ => ArgShape::Lit,
            },
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

    pub(super) fn arg_operand(&self, e: &syn::Expr, ev0: u32) -> ArgOperand {
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
    pub(super) fn call_of(&self, e: &syn::Expr, ev0: u32) -> Option<CallIdx> {
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
    pub(super) fn guard_of_arg(&self, a: &syn::Expr) -> Option<HolderIdx> {
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
    pub(super) fn arg_op(&mut self, a: &syn::Expr, spawner: bool, moves: bool) -> Operand {
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
                // A guard made in the argument itself (`take(m.lock().unwrap())`) is moved
                // into the call: the callee drops it, keeps it or hands it back.
                if moves
                    && !bare
                    && !matches!(e, syn::Expr::Reference(_))
                    && let Val::Guard(h) = v
                {
                    self.kill_holder(h);
                    return Operand::Guard(h);
                }
                self.operand(v, moves && bare)
            }
        }
    }

    pub(super) fn arg(&mut self, a: &syn::Expr, spawner: bool) -> Operand {
        self.arg_op(a, spawner, true)
    }

    pub(super) fn call(&mut self, c: &syn::ExprCall) -> Val {
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
            // `(self.on_full)()`: a closure stored in a field of the receiver.
            let (callee, receiver) = match func {
                syn::Expr::Field(fe) => {
                    let base = self.expr(&fe.base);
                    let recv = self.operand(base, false);
                    (Callee::Stored(member_sym(&fe.member)), Some(recv))
                }
                _ => {
                    self.expr(func);
                    (Callee::Unknown, None)
                }
            };
            let args: Vec<Operand> = c.args.iter().map(|a| self.arg(a, false)).collect();
            let span = Span {
                lo: expr_span(func).lo,
                hi: pos_hi(c.paren_token.span.close()),
            };
            let cidx = self.call_event(callee, receiver, args, span, expr_span(func));
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
        // `ptr::write(self.buf.add(i), v)`: a write through the pointer it is given.
        if segs.len() >= 2
            && segs[segs.len() - 2].ident == "ptr"
            && let Some(dest) = cells::ptr_fn_writes(&last)
            && let Some(arg) = c.args.iter().nth(dest)
        {
            self.field_use(arg, FieldUseKind::DerefWrite, span);
        }

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
            if kind == GuardOpKind::Drop {
                self.explicit_drop(&v, span);
            }
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
            if names == ["Some"] {
                let mut guards = vec![];
                v.guards(&mut guards);
                for h in guards {
                    self.cur.body.holders[h as usize].in_option = true;
                }
            }
            return match self.moved_value(v) {
                v @ (Val::Guard(_) | Val::Agg(_)) => v,
                _ => Val::None,
            };
        }
        // `Held(m.lock().unwrap())`: a tuple struct or variant that carries its arguments.
        if argc >= 1 && flow::is_constructor(&names) {
            let vals: Vec<Val> = c.args.iter().map(|a| self.expr(a)).collect();
            let vals = vals.into_iter().map(|v| self.moved_value(v)).collect();
            return Self::agg_of_guards(vals);
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

    pub(super) fn end_guards(
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
    pub(super) fn mark_awaited(&mut self, v: &Val) {
        match v {
            Val::Call(c) => self.cur.body.calls[*c as usize].awaited = true,
            // `fut.await`, `join!(a, b)`: a future bound earlier is polled at the next `.await`.
            Val::Place(p, Some(var)) if p.proj.is_empty() && var.0 == self.cur.fn_ => {
                self.cur.pending_awaits.push(var.1)
            }
            _ => {}
        }
    }

    pub(super) fn await_expr(&mut self, a: &syn::ExprAwait) -> Val {
        let await_span = sp(a.await_token.span);
        match strip_parens(&a.base) {
            syn::Expr::MethodCall(mc) => return self.method_call(mc, Some(await_span)),
            syn::Expr::Async(ab) => {
                // `async { .. }.await` runs here and now.
                self.push_frame();
                let v = self.block_inner(&ab.block);
                self.pop_frame();
                self.push_event(EventKind::Await, await_span);
                return v;
            }
            _ => {}
        }
        let v = self.expr(&a.base);
        self.mark_awaited(&v);
        self.push_event(EventKind::Await, await_span);
        v
    }
}
