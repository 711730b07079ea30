//! The walker's state: which holders are alive, who owns them (a binding or a temporary
//! scope), snapshots and joins, and the names in scope.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn now(&self) -> u32 {
        self.cur.body.events.len() as u32
    }

    pub(super) fn push_interval(&mut self, h: HolderIdx, start: u32, end: u32) {
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
    pub(super) fn sync_open(&mut self) {
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

    pub(super) fn own(&mut self, h: HolderIdx, owner: Owner) {
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
    pub(super) fn owned_lock(&self, var: VarKey) -> Option<HolderIdx> {
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

    pub(super) fn owned_by(&self, owner: Owner) -> Vec<HolderIdx> {
        self.cur
            .live
            .iter()
            .filter(|l| l.owner == owner)
            .map(|l| l.holder)
            .collect()
    }

    /// A binding's guards leave it (dropped, moved): if the binding belongs to an enclosing
    /// function, record it for the closure's facts.
    pub(super) fn end_binding(&mut self, var: VarKey) {
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
    pub(super) fn call_reads_local(&self, c: CallIdx, l: LocalIdx) -> bool {
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
    pub(super) fn settle_closure_takes(&mut self) {
        for var in std::mem::take(&mut self.cur.taken_by_closure) {
            self.kill_owner(Owner::Var(var));
        }
    }

    pub(super) fn kill_owner(&mut self, owner: Owner) {
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

    pub(super) fn kill_holder(&mut self, h: HolderIdx) {
        let before = self.cur.live.len();
        self.cur.live.retain(|l| l.holder != h);
        if self.cur.live.len() != before {
            self.sync_open();
        }
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot {
            live: self.cur.live.clone(),
            diverged: self.cur.diverged,
        }
    }

    pub(super) fn restore(&mut self, s: Snapshot) {
        self.cur.live = s.live;
        self.cur.diverged = s.diverged;
        self.sync_open();
    }

    pub(super) fn join(states: Vec<Snapshot>) -> Snapshot {
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

    pub(super) fn diverge(&mut self) {
        self.cur.live.clear();
        self.cur.diverged = true;
        self.sync_open();
    }

    pub(super) fn open_temp(&mut self) -> u32 {
        let id = self.cur.next_temp;
        self.cur.next_temp += 1;
        self.cur.temps.push(id);
        id
    }

    pub(super) fn pop_temp(&mut self, id: u32) {
        if let Some(pos) = self.cur.temps.iter().rposition(|&t| t == id) {
            self.cur.temps.truncate(pos);
        }
    }

    pub(super) fn close_temp(&mut self, id: u32) {
        self.pop_temp(id);
        self.kill_owner(Owner::Temp(id));
    }

    /// Walks a temporary scope of its own (the body of an `if`, an `else`, a match arm or a
    /// loop): temporaries made in it end with it, and only its value leaves it.
    pub(super) fn temp_scope(&mut self, walk: impl FnOnce(&mut Self) -> Val) -> Val {
        let outer = self.cur_temp();
        let t = self.open_temp();
        let v = walk(self);
        let v = self.lift(v, outer);
        self.close_temp(t);
        v
    }

    pub(super) fn cur_temp(&self) -> Owner {
        Owner::Temp(self.cur.temps.last().copied().unwrap_or(0))
    }

    pub(super) fn finish(self) -> Body {
        finish_state(self.cur)
    }

    // ---------------------------------------------------------------- names

    pub(super) fn push_frame(&mut self) {
        self.env.push(Frame::default());
    }

    pub(super) fn pop_frame(&mut self) {
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

    /// The span of call `c`'s event (the last one, where a call was recorded twice).
    pub(super) fn last_call_span(&self, c: CallIdx) -> Span {
        self.cur
            .body
            .events
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::Call(c))
            .map(|e| e.span)
            .unwrap_or_default()
    }

    pub(super) fn lookup(&self, name: Sym) -> Option<Var> {
        self.env
            .iter()
            .rev()
            .flat_map(|f| f.vars.iter().rev())
            .find(|v| v.name == name)
            .copied()
    }

    pub(super) fn declare(
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
            payload_of: None,
            field_aliases: vec![],
            is_closure_param,
            init: Interval::default(),
            init_locals: vec![],
            reassigned: false,
            fresh: false,
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

    pub(super) fn set_closure(&mut self, key: VarKey, c: FnIdx) {
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

    pub(super) fn closure_of(&self, key: VarKey) -> Option<FnIdx> {
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
    pub(super) fn bases_of(&self, e: &syn::Expr, out: &mut Vec<Base>) {
        struct V<'w, 'a, 'o> {
            w: &'w Walker<'a, 'o>,
            out: &'w mut Vec<Base>,
        }
        impl<'ast> syn::visit::Visit<'ast> for V<'_, '_, '_> {
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                if let Some(id) = p.path.get_ident()
                    && let Some(var) = self.w.lookup(Sym::new(&id.to_string()))
                {
                    let base = var.base();
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
    pub(super) fn own_locals_of(&self, e: &syn::Expr) -> Vec<LocalIdx> {
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

    pub(super) fn record_ordering(&mut self, span: Span, exprs: &[&syn::Expr]) {
        let mut bases = vec![];
        for e in exprs {
            self.bases_of(e, &mut bases);
        }
        if !bases.is_empty() {
            self.cur.body.orderings.push(Ordering { span, bases });
        }
    }
}
