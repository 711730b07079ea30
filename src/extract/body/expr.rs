//! Expressions: values, places, assignments, and the places a simple expression names.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn expr_access(&mut self, e: &syn::Expr, access: Access) -> Val {
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

    pub(super) fn path_expr(&mut self, p: &syn::ExprPath, access: Access) -> Val {
        let span = sp(p
            .path
            .segments
            .last()
            .map(|s| s.ident.span())
            .unwrap_or_else(proc_macro2::Span::call_site));
        if let Some(id) = p.path.get_ident() {
            let name = Sym::new(&id.to_string());
            if let Some(var) = self.lookup(name) {
                let (base, key) = (var.base(), var.key());
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
    pub(super) fn note_use(&mut self, key: VarKey, span: Span) {
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

    pub(super) fn field(&mut self, base: Val, member: &syn::Member) -> Val {
        // `cvar.wait_timeout(g, d).unwrap().0`: the guard half of the pair.
        if let (Val::Agg(parts), syn::Member::Unnamed(i)) = (&base, member)
            && let Some(part) = parts.get(i.index as usize)
        {
            return part.clone();
        }
        self.keep_scrutinee_result(&base);
        if let Some(holder) = self.guard_itself(&base) {
            self.cur.body.guard_fields.push(GuardField {
                holder,
                field: member_sym(member),
            });
        }
        let mut p = self.place_of(base);
        p.proj.push(Proj::Field(member_sym(member)));
        Val::Place(p, None)
    }

    /// `match self.read().name_len() { .. }`, `match guard().name.len() { .. }`: a call's
    /// value used in a scrutinee is a temporary of the whole construct; if the call returns a
    /// guard (or a value that carries one), the guard lives through the arms.
    pub(super) fn keep_scrutinee_result(&mut self, v: &Val) {
        let Val::Call(c) = *v else { return };
        if self.cur.scrutinee.is_none()
            || self
                .cur
                .body
                .holders
                .iter()
                .any(|h| h.kind == HolderKind::CallResult(c))
        {
            return;
        }
        let span = self.last_call_span(c);
        let h = self.new_holder(HolderKind::CallResult(c), span, false, 0);
        let owner = self.cur_temp();
        self.own(h, owner);
    }

    pub(super) fn index(&mut self, base: Val, index: &syn::Expr) -> Val {
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

    pub(super) fn expr(&mut self, e: &syn::Expr) -> Val {
        use syn::Expr;
        self.note_unsafe_slots(e);
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
                    let holder = &mut self.cur.body.holders[h as usize];
                    holder.unwrapped = true;
                    holder.tried = true;
                }
                v
            }
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Reference(r) => {
                let access = if r.mutability.is_some() {
                    self.deref_write(&r.expr, expr_span(e));
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
                let target = self.assign(&a.left, &a.right, v, Access::Assign);
                self.deref_write(&a.left, whole);
                let value = expr_span(&a.right);
                self.static_write(&a.left, whole, &a.right, None);
                let deref = matches!(strip_parens(&a.left),
                    syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)));
                if let Some(t) = target {
                    self.guard_write(&t, deref, Access::Assign, &a.right);
                    if deref {
                        self.guard_access(&t, Access::Assign, None, whole, Some(value));
                    }
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
                    let v = self.block_inner(&b.block);
                    self.exit_loop(true);
                    v
                }
                None => self.block_inner(&b.block),
            },
            Expr::Unsafe(u) => {
                self.unsafe_block(u);
                self.cur.unsafe_depth += 1;
                let v = self.block_inner(&u.block);
                self.cur.unsafe_depth -= 1;
                v
            }
            Expr::Const(_) => Val::None,
            Expr::TryBlock(t) => self.block_inner(&t.block),
            Expr::If(i) => self.if_expr(i),
            Expr::Match(m) => self.match_expr(m),
            Expr::Loop(l) => {
                self.enter_loop(l.label.as_ref().map(|l| label_sym(&l.name)), false);
                self.temp_scope(|me| me.block_inner(&l.body));
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
                let mut stored = vec![];
                for f in &s.fields {
                    let first_fn = self.fx.facts.fns.len();
                    let v = self.expr(&f.expr);
                    // `on_full: Box::new(move || ..)`: the first function made is the closure.
                    if is_stored_closure(&f.expr) && self.fx.facts.fns.len() > first_fn {
                        stored.push((member_sym(&f.member), first_fn as FnIdx));
                    }
                    let op = self.moved_value(v);
                    vals.push(op);
                }
                if let Some(rest) = &s.rest {
                    self.expr(rest);
                }
                if !stored.is_empty()
                    && let Some(owner) = ctor_type(e)
                {
                    let fields = self.literal_field_aliases(e);
                    for (field, closure) in stored {
                        self.cur.body.stored_closures.push(StoredClosure {
                            owner: owner.clone(),
                            field,
                            closure,
                            fields: fields.clone(),
                        });
                    }
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
    pub(super) fn deref_read(&mut self, u: &syn::ExprUnary) -> Val {
        let v = self.expr(&u.expr);
        self.keep_scrutinee_result(&v);
        let span = Span {
            lo: crate::extract::spans::pos_lo(match &u.op {
                syn::UnOp::Deref(t) => t.span,
                _ => proc_macro2::Span::call_site(),
            }),
            hi: expr_span(&u.expr).hi,
        };
        self.guard_access(&v, Access::Read, None, span, None);
        self.field_use(&u.expr, FieldUseKind::DerefRead, span);
        // `*self.epoch.rl()` reads through the call's result, a temporary of the statement:
        // `let epoch = *self.epoch.rl();` binds the value read, not the guard.
        match v {
            Val::Call(_) => Val::Place(self.place_of(v), None),
            v => v,
        }
    }

    /// A value moved into an aggregate or a constructor: a bare binding's guards go with it.
    pub(super) fn moved_value(&mut self, v: Val) -> Val {
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

    pub(super) fn agg_of_guards(vals: Vec<Val>) -> Val {
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

    pub(super) fn binary(&mut self, b: &syn::ExprBinary) -> Val {
        use syn::BinOp::*;
        match b.op {
            AddAssign(_) | SubAssign(_) | MulAssign(_) | DivAssign(_) | RemAssign(_)
            | BitXorAssign(_) | BitAndAssign(_) | BitOrAssign(_) | ShlAssign(_) | ShrAssign(_) => {
                let target = self.expr_access(&b.left, Access::Compound);
                self.expr(&b.right);
                let whole = expr_span(&b.left).to(expr_span(&b.right));
                let value = expr_span(&b.right);
                let op = arith_op(&b.op);
                self.deref_write(&b.left, whole);
                self.static_write(&b.left, whole, &b.right, op);
                let deref = matches!(strip_parens(&b.left),
                    syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)));
                self.guard_write(&target, deref, Access::Compound, &b.right);
                if deref {
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

    /// Assigns `v` (the value of `rhs`) to `lhs`; returns what `lhs` evaluated to when it is not
    /// a local.
    pub(super) fn assign(
        &mut self,
        lhs: &syn::Expr,
        rhs: &syn::Expr,
        v: Val,
        access: Access,
    ) -> Option<Val> {
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
            // `v = compute()` replaces what `v` held; `v = v + 1` computes from it.
            if key.0 == self.cur.fn_ && !self.own_locals_of(rhs).contains(&key.1) {
                self.cur.body.locals[key.1 as usize].reassigned = true;
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

    /// For a struct literal (possibly in `Arc::new`/`Box::new`/`Rc::new`), the fields that
    /// hold a handle to a place: `S { a: Arc::clone(&x), b: y.clone(), c }`.
    pub(super) fn literal_field_aliases(&mut self, init: &syn::Expr) -> Vec<(Sym, PlaceIdx)> {
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
    pub(super) fn handle_place(&self, e: &syn::Expr) -> Option<Place> {
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
    pub(super) fn peek_place(&self, e: &syn::Expr) -> Option<Place> {
        match strip_parens(e) {
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?;
                let base = self.lookup(Sym::new(&id.to_string()))?.base();
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

    /// The field a pointer expression reaches into, through the methods that make a pointer
    /// of it and casts: `self.pixels.add(i)`, `self.value.get()`, `self.buf as *mut u8`.
    pub(super) fn peek_field(&self, e: &syn::Expr) -> Option<Place> {
        let mut e = strip_parens(e);
        for _ in 0..8 {
            match e {
                syn::Expr::MethodCall(mc)
                    if cells::passes_pointer(&mc.method.to_string(), mc.args.len()) =>
                {
                    e = strip_parens(&mc.receiver)
                }
                syn::Expr::Cast(c) => e = strip_parens(&c.expr),
                _ => break,
            }
        }
        let p = self.peek_place(e)?;
        p.proj
            .iter()
            .any(|x| matches!(x, Proj::Field(_)))
            .then_some(p)
    }

    /// Records a use of the field `e` reaches into, if it reaches one.
    pub(super) fn field_use(&mut self, e: &syn::Expr, kind: FieldUseKind, span: Span) {
        let Some(mut place) = self.peek_field(e) else {
            return;
        };
        place.span = span;
        let place = self.push_place(place);
        let at = self.now();
        let held = self.cur.live.iter().map(|l| l.holder).collect();
        self.cur.body.field_uses.push(FieldUse {
            place,
            kind,
            at,
            held,
            span,
        });
    }

    /// `*e = v`, `(*e).x = v`, `*e += v`, `&mut *e`: the writes through `*` of a field's target.
    pub(super) fn deref_write(&mut self, target: &syn::Expr, span: Span) {
        let mut e = strip_parens(target);
        for _ in 0..8 {
            match e {
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                    self.field_use(&u.expr, FieldUseKind::DerefWrite, span);
                    return;
                }
                syn::Expr::Field(f) => e = strip_parens(&f.base),
                syn::Expr::Index(i) => e = strip_parens(&i.expr),
                _ => return,
            }
        }
    }
}

/// A closure, maybe boxed or wrapped (`Box::new(move || ..)`, `Arc::new(..)`, `Some(..)`): a
/// value a struct field can keep to call later.
fn is_stored_closure(e: &syn::Expr) -> bool {
    let mut e = strip_parens(e);
    for _ in 0..4 {
        match e {
            syn::Expr::Closure(_) => return true,
            syn::Expr::Call(c) if c.args.len() == 1 => match strip_parens(&c.func) {
                syn::Expr::Path(p)
                    if with_names(&p.path, flow::is_pointer_new) || p.path.is_ident("Some") =>
                {
                    e = strip_parens(&c.args[0])
                }
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}
