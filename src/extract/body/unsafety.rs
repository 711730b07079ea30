//! `unsafe { .. }` blocks: where each stands and whether it holds anything that needs `unsafe`
//! besides statics, so that a fix that makes a static safe to touch can take the block away.

use super::*;

/// How deep [`Walker::simple_expr`] looks before it gives up (and calls the block not simple).
const MAX_SIMPLE_DEPTH: u32 = 32;

impl Walker<'_, '_> {
    /// Records an `unsafe` block, before its statements are walked.
    pub(super) fn unsafe_block(&mut self, u: &syn::ExprUnsafe) {
        let span = between(u.unsafe_token.span, u.block.brace_token.span.close());
        let pos = match self.fx.unsafe_slots.iter().rposition(|s| *s == span) {
            Some(k) => {
                self.fx.unsafe_slots.swap_remove(k);
                BlockPos::Slot
            }
            None => BlockPos::Operand,
        };
        let content = self.simple_content(&u.block);
        self.fx.facts.unsafe_blocks.push(UnsafeBlock {
            span,
            open: sp(u.block.brace_token.span.open()),
            content,
            pos,
        });
    }

    /// Marks the `unsafe` block that is exactly `e` as standing at `pos` (a statement or a
    /// block's tail).
    pub(super) fn mark_block_pos(&mut self, e: &syn::Expr, pos: BlockPos) {
        let syn::Expr::Unsafe(u) = e else {
            return;
        };
        let span = between(u.unsafe_token.span, u.block.brace_token.span.close());
        if let Some(b) = self
            .fx
            .facts
            .unsafe_blocks
            .iter_mut()
            .rev()
            .take(64)
            .find(|b| b.span == span)
        {
            b.pos = pos;
        }
    }

    /// Notes the `unsafe` blocks among `e`'s operands that stand where any expression fits
    /// as it is, before they are walked.
    pub(super) fn note_unsafe_slots(&mut self, e: &syn::Expr) {
        use syn::Expr;
        match e {
            Expr::Call(c) => c.args.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::MethodCall(m) => m.args.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::Return(r) => r.expr.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::Break(b) => b.expr.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::Assign(a) => self.note_unsafe_slot(&a.right),
            Expr::Closure(c) => self.note_unsafe_slot(&c.body),
            Expr::If(i) => self.note_unsafe_slot(&i.cond),
            Expr::While(w) => self.note_unsafe_slot(&w.cond),
            Expr::Match(m) => {
                self.note_unsafe_slot(&m.expr);
                m.arms.iter().for_each(|a| self.note_unsafe_slot(&a.body));
            }
            Expr::Paren(p) => self.note_unsafe_slot(&p.expr),
            Expr::Array(a) => a.elems.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::Tuple(t) => t.elems.iter().for_each(|x| self.note_unsafe_slot(x)),
            Expr::Struct(s) => s.fields.iter().for_each(|f| self.note_unsafe_slot(&f.expr)),
            _ => {}
        }
    }

    /// Notes `x`, when it is an `unsafe` block, as standing where any expression fits.
    pub(super) fn note_unsafe_slot(&mut self, x: &syn::Expr) {
        if let syn::Expr::Unsafe(u) = x {
            let span = between(u.unsafe_token.span, u.block.brace_token.span.close());
            self.fx.unsafe_slots.push(span);
        }
    }

    /// The content of an `unsafe` block, when nothing in it but statics can need `unsafe`.
    fn simple_content(&self, b: &syn::Block) -> Option<UnsafeContent> {
        let mut statics = 0;
        let mut stmts = vec![];
        let mut tail = None;
        let mut tail_shape = TailShape::Other;
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            let syn::Stmt::Expr(e, semi) = s else {
                return None;
            };
            if !self.simple_expr(e, &mut statics, 0) {
                return None;
            }
            match semi {
                Some(semi) => stmts.push(expr_span(e).to(sp(semi.span))),
                None if i + 1 == n => {
                    tail = Some(expr_span(e));
                    tail_shape = match e {
                        syn::Expr::Path(_) => TailShape::Path,
                        syn::Expr::If(_) | syn::Expr::Block(_) => TailShape::BlockLike,
                        _ => TailShape::Other,
                    };
                }
                None => stmts.push(expr_span(e)),
            }
        }
        Some(UnsafeContent {
            statics,
            stmts,
            tail,
            tail_shape,
        })
    }

    /// An expression with nothing in it that can need `unsafe` but the paths that look like
    /// statics (counted in `statics`): literals, locals, operators other than `*`,
    /// assignments, casts, `if`/`else`, plain blocks and `return`.
    fn simple_expr(&self, e: &syn::Expr, statics: &mut u32, depth: u32) -> bool {
        use syn::Expr;
        if depth > MAX_SIMPLE_DEPTH {
            return false;
        }
        let d = depth + 1;
        match e {
            Expr::Lit(_) => true,
            Expr::Path(p) => {
                if p.qself.is_some() {
                    return false;
                }
                if let Some(id) = p.path.get_ident()
                    && self.lookup(Sym::new(&id.to_string())).is_some()
                {
                    return true;
                }
                match p.path.segments.last() {
                    Some(s) if s.arguments.is_none() && looks_static(&s.ident.to_string()) => {
                        *statics += 1;
                        true
                    }
                    _ => false,
                }
            }
            Expr::Paren(p) => self.simple_expr(&p.expr, statics, d),
            Expr::Group(g) => self.simple_expr(&g.expr, statics, d),
            Expr::Unary(u) => {
                !matches!(u.op, syn::UnOp::Deref(_)) && self.simple_expr(&u.expr, statics, d)
            }
            Expr::Binary(b) => {
                self.simple_expr(&b.left, statics, d) && self.simple_expr(&b.right, statics, d)
            }
            Expr::Assign(a) => {
                self.simple_expr(&a.left, statics, d) && self.simple_expr(&a.right, statics, d)
            }
            Expr::Cast(c) => self.simple_expr(&c.expr, statics, d),
            Expr::If(i) => {
                !matches!(*i.cond, Expr::Let(_))
                    && self.simple_expr(&i.cond, statics, d)
                    && self.simple_stmts(&i.then_branch.stmts, statics, d)
                    && i.else_branch
                        .as_ref()
                        .is_none_or(|(_, x)| self.simple_expr(x, statics, d))
            }
            Expr::Block(b) => b.label.is_none() && self.simple_stmts(&b.block.stmts, statics, d),
            Expr::Return(r) => r
                .expr
                .as_ref()
                .is_none_or(|x| self.simple_expr(x, statics, d)),
            _ => false,
        }
    }

    fn simple_stmts(&self, stmts: &[syn::Stmt], statics: &mut u32, depth: u32) -> bool {
        stmts.iter().all(|s| match s {
            syn::Stmt::Expr(e, _) => self.simple_expr(e, statics, depth),
            _ => false,
        })
    }
}
