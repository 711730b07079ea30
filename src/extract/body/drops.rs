//! Where values go out of scope: a value whose type has a destructor runs it there, and a
//! destructor that locks takes its lock at that point. The walker records such a point as a
//! call event with [`Callee::Drop`] (the receiver is the value) when the guard of a lock call
//! (or a guard parameter) is alive there, so that a lock held across it orders before the destructor's; the
//! index decides which `Drop` impls the value's type runs.
//!
//! Points recorded: the end of the block of a `let` binding (in reverse order of declaration,
//! interleaved with the ends of the guards bound in the same block), and `drop(x)`. A binding
//! that the block moves anywhere (passed by value, returned, bound again, matched, captured by
//! a `move` closure, the receiver of a consuming method) is not dropped at the end of the
//! block: where it is dropped then is not followed.

use super::*;
use syn::visit::Visit;

impl Walker<'_, '_> {
    /// A `let` binding by value that may own a value with a destructor: not a reference, a
    /// literal or a closure.
    pub(super) fn mark_droppable(&mut self, pat: &syn::Pat, init: Option<&syn::Expr>, key: VarKey) {
        let syn::Pat::Ident(pi) = pat else { return };
        if pi.by_ref.is_some() || pi.subpat.is_some() || key.0 != self.cur.fn_ {
            return;
        }
        let not_owned = init.is_some_and(|e| {
            matches!(
                strip_parens(e),
                syn::Expr::Reference(_)
                    | syn::Expr::Lit(_)
                    | syn::Expr::Closure(_)
                    | syn::Expr::Range(_)
                    | syn::Expr::Async(_)
            )
        });
        let local = &self.cur.body.locals[key.1 as usize];
        let ref_ty = matches!(local.ty, Some(TypeFact::Ref(_) | TypeFact::Ptr(_)));
        if !not_owned && !ref_ty {
            let i = key.1 as usize;
            if self.cur.droppable.len() <= i {
                self.cur.droppable.resize(i + 1, false);
            }
            self.cur.droppable[i] = true;
        }
    }

    fn is_droppable(&self, l: LocalIdx) -> bool {
        self.cur.droppable.get(l as usize).copied().unwrap_or(false)
    }

    /// Is a lock guard alive now (one this body took, or a guard parameter), besides what
    /// `owner` keeps? A call's result that may be a guard does not count: it would make a drop
    /// of nearly every binding, and the index would throw almost all of them away.
    fn other_holder_alive(&self, owner: Option<Owner>) -> bool {
        !self.cur.diverged
            && self.cur.live.iter().any(|l| {
                Some(l.owner) != owner
                    && matches!(
                        self.cur.body.holders[l.holder as usize].kind,
                        HolderKind::Lock { .. } | HolderKind::Param(_)
                    )
            })
    }

    /// The value in local `key` (or in a by-value parameter) is dropped here.
    fn drop_event(&mut self, base: Base, span: Span) {
        let p = self.push_place(Place {
            base,
            proj: vec![],
            span,
        });
        let c = self.cur.body.calls.len() as CallIdx;
        self.cur.body.calls.push(CallFact {
            callee: Callee::Drop,
            receiver: Some(Operand::Place(p)),
            args: vec![],
            awaited: false,
            name_span: span,
            loop_depth: self.loop_depth(),
            starts_stmt: false,
            moved: vec![],
        });
        self.push_event(EventKind::Call(c), span);
    }

    /// `drop(x)` of a binding or parameter that owns no lock guard.
    pub(super) fn explicit_drop(&mut self, v: &Val, span: Span) {
        let Val::Place(p, var) = v else { return };
        if !p.proj.is_empty() {
            return;
        }
        match (&p.base, var) {
            (Base::Local { fn_, local }, Some(key))
                if *fn_ == self.cur.fn_
                    && self.is_droppable(*local)
                    && self.owned_lock(*key).is_none()
                    && self.other_holder_alive(Some(Owner::Var(*key))) =>
            {
                self.drop_event(p.base.clone(), span);
            }
            (Base::Param(_), None) if self.other_holder_alive(None) => {
                self.drop_event(p.base.clone(), span)
            }
            _ => {}
        }
    }

    /// Ends a block's scope: its bindings are dropped in reverse order of declaration, each
    /// binding's guards ending where it is dropped.
    pub(super) fn pop_block_frame(&mut self, stmts: &[syn::Stmt], close: Span) {
        let Some(frame) = self.env.pop() else { return };
        for v in frame.vars.iter().rev() {
            let VarKind::Local { key, closure } = v.kind else {
                continue;
            };
            if key.0 != self.cur.fn_ {
                continue;
            }
            if closure.is_none()
                && self.is_droppable(key.1)
                && self.owned_lock(key).is_none()
                && self.other_holder_alive(Some(Owner::Var(key)))
                && !moves_name(stmts, v.name)
            {
                self.drop_event(
                    Base::Local {
                        fn_: key.0,
                        local: key.1,
                    },
                    close,
                );
            }
            self.kill_owner(Owner::Var(key));
        }
    }
}

/// Does any of these statements move the binding named `name` out (or might it): a bare
/// mention of it that is not the base of a field, an index or a method call, the operand of
/// `&`, `*`, a comparison or a formatting macro, or the left side of an assignment? Shadowing
/// is not told apart: a mention of another binding of the name counts too, which only keeps
/// the drop from being recorded.
fn moves_name(stmts: &[syn::Stmt], name: Sym) -> bool {
    struct V {
        name: String,
        moved: bool,
    }
    impl V {
        fn is_name(&self, e: &syn::Expr) -> bool {
            matches!(strip_parens(e), syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident(&self.name))
        }
        /// Visits an expression whose bare name is only read or borrowed there.
        fn borrowed(&mut self, e: &syn::Expr) {
            if !self.is_name(e) {
                self.visit_expr(e);
            }
        }
    }
    impl<'ast> Visit<'ast> for V {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if self.moved {
                return;
            }
            match e {
                syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident(&self.name) => {
                    self.moved = true;
                }
                syn::Expr::Field(f) => self.borrowed(&f.base),
                syn::Expr::Index(i) => {
                    self.borrowed(&i.expr);
                    self.visit_expr(&i.index);
                }
                syn::Expr::Reference(r) => self.borrowed(&r.expr),
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                    self.borrowed(&u.expr)
                }
                syn::Expr::MethodCall(m) => {
                    if !flow::consumes_receiver(&m.method.to_string()) {
                        self.borrowed(&m.receiver);
                    } else {
                        self.visit_expr(&m.receiver);
                    }
                    for a in &m.args {
                        self.visit_expr(a);
                    }
                }
                syn::Expr::Binary(b) => {
                    self.borrowed(&b.left);
                    self.borrowed(&b.right);
                }
                syn::Expr::Assign(a) => {
                    self.borrowed(&a.left);
                    self.visit_expr(&a.right);
                }
                // A `move` closure that names it takes it.
                syn::Expr::Closure(c) if c.capture.is_some() => {
                    let mut inner = V {
                        name: self.name.clone(),
                        moved: false,
                    };
                    syn::visit::visit_expr_closure(&mut inner, c);
                    let mentions = inner.moved || mentions_name(&c.body, &self.name);
                    self.moved |= mentions;
                }
                e => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            // Formatting and assertion macros borrow their arguments; any other macro may
            // move what it names.
            let formats = m
                .path
                .segments
                .last()
                .is_some_and(|s| flow::borrows_arguments(&s.ident.to_string()));
            if !formats && tokens_name(&m.tokens, &self.name) {
                self.moved = true;
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V {
        name: name.to_string(),
        moved: false,
    };
    for s in stmts {
        v.visit_stmt(s);
        if v.moved {
            return true;
        }
    }
    false
}

fn mentions_name(e: &syn::Expr, name: &str) -> bool {
    struct M<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for M<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if i == self.name {
                self.found = true;
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if tokens_name(&m.tokens, self.name) {
                self.found = true;
            }
        }
    }
    let mut m = M { name, found: false };
    m.visit_expr(e);
    m.found
}

fn tokens_name(ts: &proc_macro2::TokenStream, name: &str) -> bool {
    ts.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => tokens_name(&g.stream(), name),
        _ => false,
    })
}
