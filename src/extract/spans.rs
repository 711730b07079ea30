//! Spans of syntax nodes, computed without re-tokenizing them.
//!
//! `syn::spanned::Spanned` prints a whole expression back into tokens to find its ends: linear
//! in the size of the expression, so quadratic over a walk of a long method chain. Here an
//! expression's first and last tokens are found by walking down its left and right edges, in a
//! loop (no recursion, no printing).

use crate::span::{Pos, Span};
use proc_macro2::Span as PmSpan;
use syn::Expr;

pub fn pos_lo(s: PmSpan) -> Pos {
    let p = s.start();
    Pos {
        line: p.line as u32,
        col: p.column as u32 + 1,
    }
}

pub fn pos_hi(s: PmSpan) -> Pos {
    let p = s.end();
    Pos {
        line: p.line as u32,
        col: p.column as u32 + 1,
    }
}

pub fn sp(s: PmSpan) -> Span {
    Span {
        lo: pos_lo(s),
        hi: pos_hi(s),
    }
}

pub fn between(lo: PmSpan, hi: PmSpan) -> Span {
    Span {
        lo: pos_lo(lo),
        hi: pos_hi(hi),
    }
}

pub fn expr_span(e: &Expr) -> Span {
    between(first_token(e), last_token(e))
}

/// How far the edge walks go. Real code is a few levels deep; beyond this (a pathological
/// chain), the walk stops and the span starts at the node reached, keeping a walk of the whole
/// tree linear.
const MAX_EDGE_STEPS: u32 = 256;

fn path_first(p: &syn::Path) -> Option<PmSpan> {
    match p.leading_colon {
        Some(c) => Some(c.spans[0]),
        None => p.segments.first().map(|s| s.ident.span()),
    }
}

fn path_last(p: &syn::Path) -> Option<PmSpan> {
    let seg = p.segments.last()?;
    Some(match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.gt_token.span,
        syn::PathArguments::Parenthesized(a) => a.paren_token.span.close(),
        syn::PathArguments::None => seg.ident.span(),
    })
}

/// The span of an expression's first token.
pub fn first_token(mut e: &Expr) -> PmSpan {
    let mut steps = 0;
    loop {
        steps += 1;
        if steps > MAX_EDGE_STEPS {
            return last_token(e);
        }
        if let Some(attr) = attrs(e).first() {
            return attr.pound_token.span;
        }
        let next = match e {
            Expr::MethodCall(m) => &*m.receiver,
            Expr::Field(f) => &*f.base,
            Expr::Call(c) => &*c.func,
            Expr::Index(i) => &*i.expr,
            Expr::Try(t) => &*t.expr,
            Expr::Await(a) => &*a.base,
            Expr::Binary(b) => &*b.left,
            Expr::Cast(c) => &*c.expr,
            Expr::Assign(a) => &*a.left,
            Expr::Range(r) => match &r.start {
                Some(s) => &**s,
                None => return limits_span(&r.limits),
            },
            Expr::Path(p) if p.qself.is_none() => {
                return path_first(&p.path).unwrap_or_else(PmSpan::call_site);
            }
            Expr::Path(p) => {
                return p
                    .qself
                    .as_ref()
                    .map(|q| q.lt_token.span)
                    .unwrap_or_else(PmSpan::call_site);
            }
            Expr::Paren(p) => return p.paren_token.span.open(),
            Expr::Group(g) => &*g.expr,
            Expr::Reference(r) => return r.and_token.span,
            Expr::RawAddr(r) => return r.and_token.span,
            Expr::Unary(u) => return unop_span(&u.op),
            Expr::Lit(l) => return l.lit.span(),
            Expr::Macro(m) => return path_first(&m.mac.path).unwrap_or_else(PmSpan::call_site),
            Expr::Block(b) => {
                return match &b.label {
                    Some(l) => l.name.apostrophe,
                    None => b.block.brace_token.span.open(),
                };
            }
            Expr::Unsafe(u) => return u.unsafe_token.span,
            Expr::Async(a) => return a.async_token.span,
            Expr::Const(c) => return c.const_token.span,
            Expr::TryBlock(t) => return t.try_token.span,
            Expr::If(i) => return i.if_token.span,
            Expr::Match(m) => return m.match_token.span,
            Expr::Loop(l) => {
                return match &l.label {
                    Some(l) => l.name.apostrophe,
                    None => l.loop_token.span,
                };
            }
            Expr::While(w) => {
                return match &w.label {
                    Some(l) => l.name.apostrophe,
                    None => w.while_token.span,
                };
            }
            Expr::ForLoop(f) => {
                return match &f.label {
                    Some(l) => l.name.apostrophe,
                    None => f.for_token.span,
                };
            }
            Expr::Closure(c) => {
                return c
                    .capture
                    .map(|m| m.span)
                    .or(c.asyncness.map(|a| a.span))
                    .unwrap_or(c.inputs_begin.span);
            }
            Expr::Let(l) => return l.let_token.span,
            Expr::Return(r) => return r.return_token.span,
            Expr::Break(b) => return b.break_token.span,
            Expr::Continue(c) => return c.continue_token.span,
            Expr::Yield(y) => return y.yield_token.span,
            Expr::Struct(s) => return path_first(&s.path).unwrap_or_else(PmSpan::call_site),
            Expr::Tuple(t) => return t.paren_token.span.open(),
            Expr::Array(a) => return a.bracket_token.span.open(),
            Expr::Repeat(r) => return r.bracket_token.span.open(),
            Expr::Infer(i) => return i.underscore_token.span,
            _ => return syn::spanned::Spanned::span(e),
        };
        e = next;
    }
}

/// The span of an expression's last token.
pub fn last_token(mut e: &Expr) -> PmSpan {
    let mut steps = 0;
    loop {
        steps += 1;
        if steps > MAX_EDGE_STEPS {
            return PmSpan::call_site();
        }
        let next = match e {
            Expr::MethodCall(m) => return m.paren_token.span.close(),
            Expr::Field(f) => return member_span(&f.member),
            Expr::Call(c) => return c.paren_token.span.close(),
            Expr::Index(i) => return i.bracket_token.span.close(),
            Expr::Try(t) => return t.question_token.span,
            Expr::Await(a) => return a.await_token.span,
            Expr::Binary(b) => &*b.right,
            Expr::Assign(a) => &*a.right,
            Expr::Unary(u) => &*u.expr,
            Expr::Reference(r) => &*r.expr,
            Expr::RawAddr(r) => &*r.expr,
            Expr::Cast(c) => return syn::spanned::Spanned::span(&*c.ty),
            Expr::Range(r) => match &r.end {
                Some(end) => &**end,
                None => return limits_last(&r.limits),
            },
            Expr::Path(p) => return path_last(&p.path).unwrap_or_else(PmSpan::call_site),
            Expr::Paren(p) => return p.paren_token.span.close(),
            Expr::Group(g) => &*g.expr,
            Expr::Lit(l) => return l.lit.span(),
            Expr::Macro(m) => return m.mac.delimiter.span().close(),
            Expr::Block(b) => return b.block.brace_token.span.close(),
            Expr::Unsafe(u) => return u.block.brace_token.span.close(),
            Expr::Async(a) => return a.block.brace_token.span.close(),
            Expr::Const(c) => return c.block.brace_token.span.close(),
            Expr::TryBlock(t) => return t.block.brace_token.span.close(),
            Expr::If(i) => match &i.else_branch {
                Some((_, e)) => &**e,
                None => return i.then_branch.brace_token.span.close(),
            },
            Expr::Match(m) => return m.brace_token.span.close(),
            Expr::Loop(l) => return l.body.brace_token.span.close(),
            Expr::While(w) => return w.body.brace_token.span.close(),
            Expr::ForLoop(f) => return f.body.brace_token.span.close(),
            Expr::Closure(c) => &*c.body,
            Expr::Let(l) => &*l.expr,
            Expr::Return(r) => match &r.expr {
                Some(e) => &**e,
                None => return r.return_token.span,
            },
            Expr::Break(b) => match &b.expr {
                Some(e) => &**e,
                None => {
                    return b
                        .label
                        .as_ref()
                        .map(|l| l.ident.span())
                        .unwrap_or(b.break_token.span);
                }
            },
            Expr::Continue(c) => {
                return c
                    .label
                    .as_ref()
                    .map(|l| l.ident.span())
                    .unwrap_or(c.continue_token.span);
            }
            Expr::Yield(y) => match &y.expr {
                Some(e) => &**e,
                None => return y.yield_token.span,
            },
            Expr::Struct(s) => return s.brace_token.span.close(),
            Expr::Tuple(t) => return t.paren_token.span.close(),
            Expr::Array(a) => return a.bracket_token.span.close(),
            Expr::Repeat(r) => return r.bracket_token.span.close(),
            Expr::Infer(i) => return i.underscore_token.span,
            _ => return syn::spanned::Spanned::span(e),
        };
        e = next;
    }
}

fn attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::MethodCall(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::Binary(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Lit(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Closure(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Struct(x) => &x.attrs,
        _ => &[],
    }
}

fn member_span(m: &syn::Member) -> PmSpan {
    match m {
        syn::Member::Named(i) => i.span(),
        syn::Member::Unnamed(i) => i.span,
    }
}

fn limits_span(l: &syn::RangeLimits) -> PmSpan {
    match l {
        syn::RangeLimits::HalfOpen(t) => t.spans[0],
        syn::RangeLimits::Closed(t) => t.spans[0],
    }
}

fn limits_last(l: &syn::RangeLimits) -> PmSpan {
    match l {
        syn::RangeLimits::HalfOpen(t) => t.spans[1],
        syn::RangeLimits::Closed(t) => t.spans[2],
    }
}

fn unop_span(op: &syn::UnOp) -> PmSpan {
    match op {
        syn::UnOp::Deref(t) => t.span,
        syn::UnOp::Not(t) => t.span,
        syn::UnOp::Neg(t) => t.span,
        _ => PmSpan::call_site(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text(src: &str) -> String {
        let e: Expr = syn::parse_str(src).unwrap();
        let lo = first_token(&e).byte_range().start;
        let hi = last_token(&e).byte_range().end;
        src[lo..hi].to_string()
    }

    #[test]
    fn edges_cover_the_expression() {
        for src in [
            "a.b().c(1)",
            "x + y * z",
            "if a { b } else if c { d } else { e }",
            "|x| x + 1",
            "move || f(x)",
            "&mut *m.lock().unwrap()",
            "Foo::<u8>::new()",
            "vec![1, 2]",
            "S { a: 1 }",
            "(a, b)",
            "x as u64",
            "'l: loop { break 'l }",
            "a..=b",
            "..",
            "!x?",
            "f().await",
        ] {
            assert_eq!(span_text(src), src, "span of `{src}`");
        }
    }
}
