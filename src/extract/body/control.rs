//! Control flow: `if`, `match`, loops, `break`/`continue`, and the branch facts.

use super::*;

impl Walker<'_, '_> {
    /// Starts a [`Branch`] fact for a construct whose condition is about to be walked.
    pub(super) fn open_branch(&mut self, kind: BranchKind, span: Span, cond: &syn::Expr) -> usize {
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
            arms: vec![],
            arm_stmts: vec![],
        });
        self.cur.body.branches.len() - 1
    }

    pub(super) fn cond_done(&mut self, b: usize) {
        let now = self.now();
        if let Some(br) = self.cur.body.branches.get_mut(b) {
            br.cond.end = now;
            br.body = Interval {
                start: now,
                end: now,
            };
        }
    }

    /// The events and the statement counts of each arm of a branch: arms never run together
    /// in one pass.
    pub(super) fn set_arms(&mut self, b: usize, arms: Vec<Interval>, stmts: Vec<u32>) {
        if let Some(br) = self.cur.body.branches.get_mut(b) {
            br.arms = arms;
            br.arm_stmts = stmts;
        }
    }

    pub(super) fn close_branch(&mut self, b: usize, exits: bool) {
        let now = self.now();
        if let Some(br) = self.cur.body.branches.get_mut(b) {
            br.body.end = now;
            br.exits = exits;
        }
    }

    pub(super) fn if_expr(&mut self, i: &syn::ExprIf) -> Val {
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
        let before_cond = self.snapshot();
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
        // `if held.is_none() { held = Some(m.lock()) }`: in the branch, the `Option` in `held`
        // holds nothing (a guard that is itself the binding, `root.is_none()` on a guard of
        // an `Option`, stays).
        if let Some(key) = self.tested_none(&i.cond) {
            let declared_option = key.0 == self.cur.fn_
                && matches!(&self.cur.body.locals[key.1 as usize].ty,
                    Some(TypeFact::Path(p)) if p.last().is_some_and(|s| s.name.as_str() == "Option"));
            let owned = self.owned_by(Owner::Var(key));
            let wrapped = !owned.is_empty()
                && owned
                    .iter()
                    .all(|&h| self.cur.body.holders[h as usize].in_option);
            if declared_option || wrapped {
                self.kill_owner(Owner::Var(key));
            }
        }
        let then_start = self.now();
        let then_v = self.temp_scope(|w| w.block_inner(&i.then_branch));
        if let (Some(t), true) = (t, with_let) {
            self.kill_owner(Owner::Temp(t));
        }
        let then_state = self.snapshot();
        let then_arm = Interval {
            start: then_start,
            end: self.now(),
        };
        // The else branch runs when the pattern did not match: no binding holds anything. Before
        // edition 2024 the scrutinee still lives there, and a `LockResult` that is not `Ok`
        // is an `Err` whose `PoisonError` holds the guard.
        let mut else_entry = after_cond;
        let kept_by_err: Vec<HolderIdx> = if with_let && !edition_2024 {
            else_entry
                .live
                .iter()
                .filter(|l| matches!(l.owner, Owner::Var(k) if bound.contains(&k)))
                .map(|l| l.holder)
                .filter(|&h| self.is_lock_result(h))
                .collect()
        } else {
            vec![]
        };
        // A guard the pattern took from a named binding (`if let Ok(s) = result`) was not
        // moved when the pattern failed: it is still that binding's in the else branch.
        let taken_back: Vec<Live> = else_entry
            .live
            .iter()
            .filter(|l| matches!(l.owner, Owner::Var(k) if bound.contains(&k)))
            .filter_map(|l| {
                before_cond
                    .live
                    .iter()
                    .find(|b| b.holder == l.holder && matches!(b.owner, Owner::Var(_)))
                    .copied()
            })
            .collect();
        else_entry.live.retain(|l| match l.owner {
            Owner::Var(k) => !bound.contains(&k),
            Owner::Temp(x) => !(with_let && t == Some(x)),
        });
        for l in taken_back {
            if !else_entry.live.iter().any(|e| e.holder == l.holder) {
                else_entry.live.push(l);
            }
        }
        let statement = self.cur_temp();
        for h in kept_by_err {
            if else_entry.live.iter().any(|e| e.holder == h) {
                continue;
            }
            else_entry.live.push(Live {
                holder: h,
                owner: statement,
            });
        }
        self.restore(else_entry);
        if let Some(t) = t {
            self.pop_temp(t);
        }
        // Pattern bindings are not visible in the else branch.
        let frame = self.env.pop();
        let else_v = match &i.else_branch {
            Some((_, e)) => self.temp_scope(|w| w.expr(e)),
            None => Val::None,
        };
        if let Some(frame) = frame {
            self.env.push(frame);
        }
        let else_state = self.snapshot();
        self.close_branch(br, then_state.diverged || else_state.diverged);
        let else_stmts = match i.else_branch.as_ref().map(|(_, e)| strip_parens(e)) {
            Some(syn::Expr::Block(b)) => b.block.stmts.len() as u32,
            Some(_) => 1,
            None => 0,
        };
        self.set_arms(
            br,
            vec![
                then_arm,
                Interval {
                    start: then_arm.end,
                    end: self.now(),
                },
            ],
            vec![i.then_branch.stmts.len() as u32, else_stmts],
        );
        self.restore(Self::join(vec![then_state, else_state]));
        self.pop_frame();
        join_vals(then_v, else_v)
    }

    /// The binding a condition tests for holding nothing: `x.is_none()`, `!x.is_some()`.
    fn tested_none(&self, cond: &syn::Expr) -> Option<VarKey> {
        // In `a && held.is_none()`, the branch runs only where every operand holds.
        if let syn::Expr::Binary(b) = strip_parens(cond)
            && is_bool_and(&b.op)
        {
            return self
                .tested_none(&b.right)
                .or_else(|| self.tested_none(&b.left));
        }
        let (recv, method) = match strip_parens(cond) {
            syn::Expr::MethodCall(mc) if mc.args.is_empty() => {
                (&mc.receiver, mc.method.to_string())
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => match strip_parens(&u.expr)
            {
                syn::Expr::MethodCall(mc) if mc.args.is_empty() && mc.method == "is_some" => {
                    (&mc.receiver, "is_none".to_string())
                }
                _ => return None,
            },
            _ => return None,
        };
        if method != "is_none" {
            return None;
        }
        let syn::Expr::Path(p) = strip_parens(recv) else {
            return None;
        };
        self.lookup(Sym::new(&p.path.get_ident()?.to_string()))?
            .key()
    }

    /// A lock call's own result, not unwrapped: a `LockResult`, whose `Err` holds the guard too.
    fn is_lock_result(&self, h: HolderIdx) -> bool {
        let holder = &self.cur.body.holders[h as usize];
        matches!(holder.kind, HolderKind::Lock { method, .. } if !method.as_str().starts_with("try_"))
            && !holder.unwrapped
            && !holder.awaited
    }

    /// Evaluates an `if`/`while` condition, binding `let` patterns into the current frame.
    pub(super) fn condition(&mut self, cond: &syn::Expr) {
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

    pub(super) fn match_expr(&mut self, m: &syn::ExprMatch) -> Val {
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
        let mut arms = vec![];
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
            let arm_start = self.now();
            let v = self.temp_scope(|w| w.expr(&arm.body));
            arms.push(Interval {
                start: arm_start,
                end: self.now(),
            });
            self.pop_frame();
            value = join_vals(value, v);
            ends.push(self.snapshot());
        }
        if m.arms.is_empty() {
            ends.push(entry);
        }
        self.close_branch(br, ends.iter().any(|s| s.diverged));
        let stmts = m
            .arms
            .iter()
            .map(|a| match strip_parens(&a.body) {
                syn::Expr::Block(b) => b.block.stmts.len() as u32,
                _ => 1,
            })
            .collect();
        self.set_arms(br, arms, stmts);
        self.restore(Self::join(ends));
        value
    }

    pub(super) fn enter_loop(&mut self, label: Option<Sym>, is_block: bool) {
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
    pub(super) fn exit_loop(&mut self, natural_exit: bool) {
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

    pub(super) fn leave_loop(&mut self, label: Option<Sym>, is_continue: bool) {
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

    pub(super) fn while_expr(&mut self, w: &syn::ExprWhile) -> Val {
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
        self.temp_scope(|me| me.block_inner(&w.body));
        self.close_branch(br, false);
        self.close_temp(t);
        self.pop_frame();
        self.exit_loop(true);
        Val::None
    }

    pub(super) fn for_expr(&mut self, f: &syn::ExprForLoop) -> Val {
        // The iterator's temporaries live through the whole loop.
        let prev = self.cur.scrutinee.replace(ScrutineeKind::For);
        let iter = self.expr(&f.expr);
        self.cur.scrutinee = prev;
        let elem = self.element_of(&f.expr, iter);
        self.enter_loop(f.label.as_ref().map(|l| label_sym(&l.name)), false);
        self.push_frame();
        self.bind(&f.pat, elem, None, None, true);
        self.temp_scope(|me| me.block_inner(&f.body));
        self.pop_frame();
        self.exit_loop(true);
        Val::None
    }

    /// `for x in &self.shards` / `.iter()` / `.iter_mut()` / `.values()`: `x` is an element.
    pub(super) fn element_of(&mut self, e: &syn::Expr, iter: Val) -> Val {
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
            // The receiver the call recorded: a place, a guard (`sessions.iter()` where
            // `sessions` keeps a guard, `self.sessions.read().unwrap().iter()`) or a call's
            // result (`self.conns().values()`).
            syn::Expr::MethodCall(mc) => match self
                .recorded_receiver(&iter)
                .or_else(|| self.peek_place(&mc.receiver))
            {
                Some(p) => p,
                None => return Val::None,
            },
            // `for s in &sessions` where `sessions` keeps a guard: the guard's elements.
            e => match (self.guard_of_binding(e), iter) {
                (Some(h), _) => Place {
                    base: Base::Guard(h),
                    proj: vec![],
                    span: Span::default(),
                },
                (None, Val::Place(p, _)) => p,
                _ => return Val::None,
            },
        };
        let mut p = place;
        p.proj.push(Proj::Index(None));
        Val::Place(p, None)
    }

    /// The guard a binding (`g`, `&g`) keeps, if it keeps one.
    fn guard_of_binding(&self, e: &syn::Expr) -> Option<HolderIdx> {
        let e = match strip_parens(e) {
            syn::Expr::Reference(r) => strip_parens(&r.expr),
            e => e,
        };
        let syn::Expr::Path(p) = e else { return None };
        let id = p.path.get_ident()?;
        match self.lookup(Sym::new(&id.to_string()))?.kind {
            VarKind::Local { key, .. } => self.owned_lock(key),
            _ => None,
        }
    }

    /// The receiver call `v` recorded, as a place: a guard (`g.iter()`) or a place.
    fn recorded_receiver(&self, v: &Val) -> Option<Place> {
        let Val::Call(c) = v else { return None };
        match self.cur.body.calls.get(*c as usize)?.receiver.as_ref()? {
            Operand::Guard(h) => Some(Place {
                base: Base::Guard(*h),
                proj: vec![],
                span: Span::default(),
            }),
            Operand::Place(p) => self.cur.body.places.get(*p as usize).cloned(),
            _ => None,
        }
    }
}
