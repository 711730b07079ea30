//! Closures and async blocks: bodies of their own, and the bindings they take over.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn closure(&mut self, c: &syn::ExprClosure, deferred: bool) -> Val {
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
    pub(super) fn note_closure_takes(&mut self, closure: &BodyState) {
        let fn_ = self.cur.fn_;
        for end in &closure.body.captured_ends {
            let var = (end.fn_, end.local);
            if end.fn_ == fn_ && !self.cur.taken_by_closure.contains(&var) {
                self.cur.taken_by_closure.push(var);
            }
        }
    }

    pub(super) fn async_block(&mut self, ab: &syn::ExprAsync, deferred: bool) -> Val {
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
}
