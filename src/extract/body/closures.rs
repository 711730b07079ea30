//! Closures and async blocks: bodies of their own, and the bindings they take over.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn closure(&mut self, c: &syn::ExprClosure, deferred: bool) -> Val {
        let span = between(c.inputs_begin.span, c.inputs_end.span);
        let is_async = c.asyncness.is_some();
        self.nested_body(sym::CLOSURE, span, deferred, false, is_async, |w| {
            w.push_frame();
            for input in &c.inputs {
                let (pat, ty) = match input {
                    syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
                    p => (p, None),
                };
                match pat {
                    syn::Pat::Ident(pi) => {
                        w.declare(&pi.ident, ty.map(type_fact), None, true);
                    }
                    p => w.bind(p, Val::None, ty, None, false),
                }
            }
            w.body_of(|w| w.expr(&c.body));
            w.pop_frame();
        })
    }

    pub(super) fn async_block(&mut self, ab: &syn::ExprAsync, deferred: bool) -> Val {
        let span = sp(ab.async_token.span);
        self.nested_body(sym::ASYNC_BLOCK, span, deferred, true, true, |w| {
            w.body_of(|w| w.block_inner(&ab.block));
        })
    }

    /// A closure or async block of the body being walked: a function of its own, whose body
    /// `walk` walks with this walker's names in scope.
    fn nested_body(
        &mut self,
        name: Sym,
        span: Span,
        deferred: bool,
        is_async_block: bool,
        is_async: bool,
        walk: impl FnOnce(&mut Self),
    ) -> Val {
        let idx = self.fx.facts.fns.len() as FnIdx;
        let owner = FnOwner::Closure {
            parent: self.cur.fn_,
            deferred,
            is_async_block,
        };
        let f = nested_fn(self.module, name, span, owner, is_async, self.in_test);
        self.fx.facts.fns.push(f);
        let saved = std::mem::replace(&mut self.cur, BodyState::new(idx));
        walk(self);
        let done = std::mem::replace(&mut self.cur, saved);
        self.note_closure_takes(&done);
        let body = finish_state(done);
        self.fx.facts.fns[idx as usize].body = Some(body);
        Val::Closure(idx)
    }

    /// Bindings of this function that a closure just walked drops or moves.
    pub(super) fn note_closure_takes(&mut self, closure: &BodyState) {
        let fn_ = self.cur.fn_;
        for end in &closure.body.captured_ends {
            let var = (end.fn_, end.local);
            if end.fn_ == fn_ && !self.cur.taken_by_closure.contains(&var) {
                self.cur.taken_by_closure.push(var);
            }
        }
    }
}
