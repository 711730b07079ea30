//! Spans of syntax nodes, computed without re-tokenizing them.
//!
//! `syn::spanned::Spanned` turns a whole expression back into tokens to find its ends: linear
//! in the size of the expression, so quadratic over a walk. Here the ends are found by
//! descending to the leftmost and rightmost tokens, which is linear in the depth.

use crate::span::{Pos, Span};
use proc_macro2::Span as PmSpan;
use syn::spanned::Spanned;

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

pub fn expr_span(e: &syn::Expr) -> Span {
    Span {
        lo: expr_lo(e, 0),
        hi: expr_hi(e, 0),
    }
}

/// Depth bound for the descents: beyond it, fall back to syn's (slower, exact) span.
const MAX_DESCENT: u32 = 64;

fn expr_lo(e: &syn::Expr, depth: u32) -> Pos {
    if depth > MAX_DESCENT {
        return pos_lo(e.span());
    }
    let d = depth + 1;
    use syn::Expr::*;
    match e {
        MethodCall(m) if m.attrs.is_empty() => expr_lo(&m.receiver, d),
        Field(f) if f.attrs.is_empty() => expr_lo(&f.base, d),
        Call(c) if c.attrs.is_empty() => expr_lo(&c.func, d),
        Index(i) if i.attrs.is_empty() => expr_lo(&i.expr, d),
        Try(t) if t.attrs.is_empty() => expr_lo(&t.expr, d),
        Await(a) if a.attrs.is_empty() => expr_lo(&a.base, d),
        Binary(b) if b.attrs.is_empty() => expr_lo(&b.left, d),
        Cast(c) if c.attrs.is_empty() => expr_lo(&c.expr, d),
        Assign(a) if a.attrs.is_empty() => expr_lo(&a.left, d),
        Range(r) if r.attrs.is_empty() => match &r.start {
            Some(s) => expr_lo(s, d),
            None => pos_lo(r.limits.span()),
        },
        Path(p) if p.attrs.is_empty() && p.qself.is_none() => match p.path.leading_colon {
            Some(c) => pos_lo(c.spans[0]),
            None => match p.path.segments.first() {
                Some(s) => pos_lo(s.ident.span()),
                None => pos_lo(e.span()),
            },
        },
        Paren(p) if p.attrs.is_empty() => pos_lo(p.paren_token.span.open()),
        Reference(r) if r.attrs.is_empty() => pos_lo(r.and_token.span),
        Unary(u) if u.attrs.is_empty() => pos_lo(u.op.span()),
        Lit(l) if l.attrs.is_empty() => pos_lo(l.lit.span()),
        Macro(m) if m.attrs.is_empty() => match m.mac.path.segments.first() {
            Some(s) => pos_lo(s.ident.span()),
            None => pos_lo(e.span()),
        },
        _ => pos_lo(e.span()),
    }
}

fn expr_hi(e: &syn::Expr, depth: u32) -> Pos {
    if depth > MAX_DESCENT {
        return pos_hi(e.span());
    }
    let d = depth + 1;
    use syn::Expr::*;
    match e {
        MethodCall(m) => pos_hi(m.paren_token.span.close()),
        Field(f) => pos_hi(f.member.span()),
        Call(c) => pos_hi(c.paren_token.span.close()),
        Index(i) => pos_hi(i.bracket_token.span.close()),
        Try(t) => pos_hi(t.question_token.span),
        Await(a) => pos_hi(a.await_token.span),
        Binary(b) => expr_hi(&b.right, d),
        Assign(a) => expr_hi(&a.right, d),
        Unary(u) => expr_hi(&u.expr, d),
        Reference(r) => expr_hi(&r.expr, d),
        Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(s) if s.arguments.is_none() => pos_hi(s.ident.span()),
            _ => pos_hi(e.span()),
        },
        Paren(p) => pos_hi(p.paren_token.span.close()),
        Lit(l) => pos_hi(l.lit.span()),
        Block(b) => pos_hi(b.block.brace_token.span.close()),
        Macro(m) => pos_hi(m.mac.delimiter.span().close()),
        _ => pos_hi(e.span()),
    }
}
