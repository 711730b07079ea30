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
        let mut scan = Scan::default();
        let mut stmts = vec![];
        let mut tail = None;
        let mut tail_shape = TailShape::Other;
        let mut binds = false;
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            let (e, semi) = match s {
                syn::Stmt::Expr(e, semi) => (e, semi),
                // `let v = X;`: a name and a simple value; the name is a local from here on.
                syn::Stmt::Local(l) => {
                    let name = let_name(l)?;
                    let init = l.init.as_ref().filter(|i| i.diverge.is_none())?;
                    if !self.simple_expr(&init.expr, &mut scan, 0) {
                        return None;
                    }
                    scan.bound.push(name);
                    binds = true;
                    stmts.push(between(l.let_token.span, l.semi_token.span));
                    continue;
                }
                _ => return None,
            };
            if !self.simple_expr(e, &mut scan, 0) {
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
            statics: scan.statics,
            stmts,
            tail,
            tail_shape,
            binds,
        })
    }

    /// An expression with nothing in it that can need `unsafe` but the paths that look like
    /// statics (counted in `scan`): literals, locals, operators other than `*`,
    /// assignments, casts, `if`/`else`, plain blocks and `return`.
    fn simple_expr(&self, e: &syn::Expr, scan: &mut Scan, depth: u32) -> bool {
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
                if let Some(id) = p.path.get_ident() {
                    let name = id.to_string();
                    if scan.bound.contains(&name) || self.lookup(Sym::new(&name)).is_some() {
                        return true;
                    }
                }
                match p.path.segments.last() {
                    Some(s) if s.arguments.is_none() && looks_static(&s.ident.to_string()) => {
                        scan.statics += 1;
                        true
                    }
                    _ => false,
                }
            }
            Expr::Paren(p) => self.simple_expr(&p.expr, scan, d),
            Expr::Group(g) => self.simple_expr(&g.expr, scan, d),
            Expr::Unary(u) => {
                !matches!(u.op, syn::UnOp::Deref(_)) && self.simple_expr(&u.expr, scan, d)
            }
            Expr::Binary(b) => {
                self.simple_expr(&b.left, scan, d) && self.simple_expr(&b.right, scan, d)
            }
            Expr::Assign(a) => {
                self.simple_expr(&a.left, scan, d) && self.simple_expr(&a.right, scan, d)
            }
            Expr::Cast(c) => self.simple_expr(&c.expr, scan, d),
            Expr::If(i) => {
                !matches!(*i.cond, Expr::Let(_))
                    && self.simple_expr(&i.cond, scan, d)
                    && self.simple_stmts(&i.then_branch.stmts, scan, d)
                    && i.else_branch
                        .as_ref()
                        .is_none_or(|(_, x)| self.simple_expr(x, scan, d))
            }
            Expr::Block(b) => b.label.is_none() && self.simple_stmts(&b.block.stmts, scan, d),
            Expr::Return(r) => r.expr.as_ref().is_none_or(|x| self.simple_expr(x, scan, d)),
            _ => false,
        }
    }

    fn simple_stmts(&self, stmts: &[syn::Stmt], scan: &mut Scan, depth: u32) -> bool {
        stmts.iter().all(|s| match s {
            syn::Stmt::Expr(e, _) => self.simple_expr(e, scan, depth),
            _ => false,
        })
    }
}

/// What [`Walker::simple_content`] has seen so far: the statics mentioned, and the names its
/// `let`s bound.
#[derive(Default)]
struct Scan {
    statics: u32,
    bound: Vec<String>,
}

/// The name a `let` binds, when it binds one by value: `let v`, `let mut v`, `let v: T`.
fn let_name(l: &syn::Local) -> Option<String> {
    if !l.attrs.is_empty() {
        return None;
    }
    let pat = match &l.pat {
        syn::Pat::Type(t) => &*t.pat,
        p => p,
    };
    match pat {
        syn::Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none() && i.attrs.is_empty() => {
            Some(i.ident.to_string())
        }
        _ => None,
    }
}
