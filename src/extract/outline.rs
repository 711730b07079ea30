//! The outline of a file: every item's extent, from its first outer attribute to its closing
//! brace or semicolon. Only items are visited (and items written at the top level of a function
//! body), never expressions, so this costs a small fraction of the parse.

use super::spans::{pos_hi, pos_lo};
use crate::facts::{ItemExtent, ItemKind};
use crate::intern::Sym;
use crate::span::{Pos, Span};
use proc_macro2::Span as PmSpan;

/// The outline of `file`, parsed from `src`, parents before their children.
pub fn outline(file: &syn::File, src: &str) -> Vec<ItemExtent> {
    let mut out = vec![];
    let cx = Cx { src };
    for item in &file.items {
        cx.item_extent(item, None, &mut out);
    }
    out
}

struct Cx<'s> {
    src: &'s str,
}

/// Where an item starts: its first outer attribute, or else the first of `tokens` that is
/// there (they are given in source order).
fn start(attrs: &[syn::Attribute], tokens: &[Option<PmSpan>]) -> Option<Pos> {
    let first = attrs
        .iter()
        .find(|a| matches!(a.style, syn::AttrStyle::Outer))
        .map(|a| a.pound_token.span)
        .or_else(|| tokens.iter().flatten().next().copied())?;
    Some(pos_lo(first))
}

fn vis(v: &syn::Visibility) -> Option<PmSpan> {
    match v {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        syn::Visibility::Inherited => None,
    }
}

fn sig_tokens(sig: &syn::Signature) -> [Option<PmSpan>; 5] {
    [
        sig.constness.map(|t| t.span),
        sig.asyncness.map(|t| t.span),
        match &sig.safety {
            syn::Safety::Unsafe(t) => Some(t.span),
            syn::Safety::Safe(t) => Some(t.span),
            syn::Safety::Default => None,
        },
        sig.abi.as_ref().map(|a| a.extern_token.span),
        Some(sig.fn_token.span),
    ]
}

impl Cx<'_> {
    /// An identifier's text, read from the source (cheaper than printing it).
    fn text(&self, i: &syn::Ident) -> &str {
        self.src.get(i.span().byte_range()).unwrap_or("")
    }

    fn ident(&self, i: &syn::Ident) -> Sym {
        Sym::new(self.text(i))
    }

    fn type_name(&self, t: &syn::Type) -> &str {
        match t {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| self.text(&s.ident))
                .unwrap_or(""),
            syn::Type::Reference(r) => self.type_name(&r.elem),
            _ => "",
        }
    }
}

fn push(
    out: &mut Vec<ItemExtent>,
    kind: ItemKind,
    name: Sym,
    lo: Option<Pos>,
    hi: PmSpan,
    parent: Option<u32>,
) -> Option<u32> {
    let lo = lo?;
    let idx = out.len() as u32;
    out.push(ItemExtent {
        kind,
        name,
        span: Span { lo, hi: pos_hi(hi) },
        parent,
    });
    Some(idx)
}

impl Cx<'_> {
    /// A function (free or in an `impl`), from its attributes or the first of `tokens` (its
    /// visibility and modifiers before the signature) to its closing brace, and the items its
    /// body declares.
    fn fn_extent(
        &self,
        attrs: &[syn::Attribute],
        mut tokens: Vec<Option<PmSpan>>,
        sig: &syn::Signature,
        block: &syn::Block,
        parent: Option<u32>,
        out: &mut Vec<ItemExtent>,
    ) {
        tokens.extend(sig_tokens(sig));
        let me = push(
            out,
            ItemKind::Fn,
            self.ident(&sig.ident),
            start(attrs, &tokens),
            block.brace_token.span.close(),
            parent,
        );
        self.body_items(block, me, out);
    }

    fn item_extent(&self, item: &syn::Item, parent: Option<u32>, out: &mut Vec<ItemExtent>) {
        use syn::Item;
        // An item written `attrs vis KEYWORD … ;`: from its attributes or visibility or keyword
        // to its semicolon.
        macro_rules! leaf {
            ($it:ident, $kind:ident, $kw:ident, $name:expr, $parent:expr) => {{
                let lo = start(&$it.attrs, &[vis(&$it.vis), Some($it.$kw.span)]);
                push(
                    out,
                    ItemKind::$kind,
                    $name,
                    lo,
                    $it.semi_token.span,
                    $parent,
                );
            }};
        }
        match item {
            Item::Fn(f) => {
                self.fn_extent(&f.attrs, vec![vis(&f.vis)], &f.sig, &f.block, parent, out)
            }
            Item::Impl(i) => {
                let lo = start(
                    &i.attrs,
                    &[
                        i.modifiers.defaultness.map(|t| t.span),
                        i.unsafety.map(|t| t.span),
                        Some(i.impl_token.span),
                    ],
                );
                let name = match &i.trait_ {
                    Some((path, _)) => format!(
                        "{} for {}",
                        path.segments
                            .last()
                            .map(|s| self.text(&s.ident))
                            .unwrap_or(""),
                        self.type_name(&i.self_ty)
                    ),
                    None => self.type_name(&i.self_ty).to_string(),
                };
                let me = push(
                    out,
                    ItemKind::Impl,
                    Sym::new(&name),
                    lo,
                    i.brace_token.span.close(),
                    parent,
                );
                for ii in &i.items {
                    match ii {
                        syn::ImplItem::Fn(f) => self.fn_extent(
                            &f.attrs,
                            vec![vis(&f.vis), f.modifiers.defaultness.map(|t| t.span)],
                            &f.sig,
                            &f.block,
                            me,
                            out,
                        ),
                        syn::ImplItem::Const(c) => {
                            leaf!(c, Const, const_token, self.ident(&c.ident), me)
                        }
                        _ => {}
                    }
                }
            }
            Item::Trait(t) => {
                let lo = start(
                    &t.attrs,
                    &[
                        vis(&t.vis),
                        t.unsafety.map(|t| t.span),
                        t.modifiers.auto_token.map(|t| t.span),
                        Some(t.trait_token.span),
                    ],
                );
                let me = push(
                    out,
                    ItemKind::Trait,
                    self.ident(&t.ident),
                    lo,
                    t.brace_token.span.close(),
                    parent,
                );
                for ti in &t.items {
                    if let syn::TraitItem::Fn(f) = ti {
                        let lo = start(&f.attrs, &sig_tokens(&f.sig));
                        let hi = match (&f.default, &f.semi_token) {
                            (Some(b), _) => b.brace_token.span.close(),
                            (None, Some(s)) => s.span,
                            (None, None) => f.sig.ident.span(),
                        };
                        let m = push(out, ItemKind::Fn, self.ident(&f.sig.ident), lo, hi, me);
                        if let Some(b) = &f.default {
                            self.body_items(b, m, out);
                        }
                    }
                }
            }
            Item::Mod(m) => {
                let lo = start(
                    &m.attrs,
                    &[
                        vis(&m.vis),
                        m.unsafety.map(|t| t.span),
                        Some(m.mod_token.span),
                    ],
                );
                let hi = match (&m.content, &m.semi) {
                    (Some((brace, _)), _) => brace.span.close(),
                    (None, Some(s)) => s.span,
                    (None, None) => m.ident.span(),
                };
                let me = push(out, ItemKind::Mod, self.ident(&m.ident), lo, hi, parent);
                if let Some((_, items)) = &m.content {
                    for i in items {
                        self.item_extent(i, me, out);
                    }
                }
            }
            Item::Struct(s) => {
                let lo = start(&s.attrs, &[vis(&s.vis), Some(s.struct_token.span)]);
                let hi = match (&s.semi_token, &s.fields) {
                    (Some(t), _) => t.span,
                    (None, syn::Fields::Named(n)) => n.brace_token.span.close(),
                    (None, syn::Fields::Unnamed(u)) => u.paren_token.span.close(),
                    (None, syn::Fields::Unit) => s.ident.span(),
                };
                push(out, ItemKind::Struct, self.ident(&s.ident), lo, hi, parent);
            }
            Item::Enum(e) => {
                let lo = start(&e.attrs, &[vis(&e.vis), Some(e.enum_token.span)]);
                let hi = e.brace_token.span.close();
                push(out, ItemKind::Enum, self.ident(&e.ident), lo, hi, parent);
            }
            Item::Union(u) => {
                let lo = start(&u.attrs, &[vis(&u.vis), Some(u.union_token.span)]);
                let hi = u.fields.brace_token.span.close();
                push(out, ItemKind::Union, self.ident(&u.ident), lo, hi, parent);
            }
            Item::Static(s) => leaf!(s, Static, static_token, self.ident(&s.ident), parent),
            Item::Const(c) => leaf!(c, Const, const_token, self.ident(&c.ident), parent),
            Item::Type(t) => leaf!(t, Type, type_token, self.ident(&t.ident), parent),
            Item::Macro(m) => {
                let first = m.mac.path.segments.first().map(|s| s.ident.span());
                let name = match &m.ident {
                    Some(i) => self.ident(i),
                    None => Sym::new(
                        &m.mac
                            .path
                            .segments
                            .last()
                            .map(|s| s.ident.to_string())
                            .unwrap_or_default(),
                    ),
                };
                let hi = match &m.semi_token {
                    Some(s) => s.span,
                    None => m.mac.delimiter.span().close(),
                };
                let lo = start(&m.attrs, &[first]);
                push(out, ItemKind::Macro, name, lo, hi, parent);
            }
            Item::Use(u) => leaf!(u, Other, use_token, Sym::new("use"), parent),
            Item::ExternCrate(e) => leaf!(e, Other, extern_token, self.ident(&e.ident), parent),
            Item::ForeignMod(f) => {
                let lo = start(&f.attrs, &[Some(f.abi.extern_token.span)]);
                push(
                    out,
                    ItemKind::Other,
                    Sym::new("extern"),
                    lo,
                    f.brace_token.span.close(),
                    parent,
                );
            }
            Item::TraitAlias(t) => leaf!(t, Trait, trait_token, self.ident(&t.ident), parent),
            _ => {}
        }
    }

    /// Items written at the top level of a function body (a helper `fn` inside a `fn`).
    fn body_items(&self, block: &syn::Block, parent: Option<u32>, out: &mut Vec<ItemExtent>) {
        for stmt in &block.stmts {
            if let syn::Stmt::Item(item) = stmt {
                self.item_extent(item, parent, out);
            }
        }
    }
}

/// The innermost item of `outline` whose extent holds `pos`.
pub fn innermost(outline: &[ItemExtent], pos: Pos) -> Option<u32> {
    // Children follow their parents, so the last match is the innermost.
    outline
        .iter()
        .rposition(|i| i.span.lo <= pos && pos < i.span.hi)
        .map(|i| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<(String, u32, u32, Option<u32>)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        outline(&file, src)
            .into_iter()
            .map(|i| (i.name.to_string(), i.span.lo.line, i.span.hi.line, i.parent))
            .collect()
    }

    #[test]
    fn items_span_from_their_attributes_to_their_end() {
        let src = "/// A counter.\n#[derive(Debug)]\npub struct Counter {\n    n: u8,\n}\n\nimpl Counter {\n    /// Bumps.\n    pub fn bump(&self) {\n        fn helper() {}\n    }\n}\nstatic mut X: u8 = 0;\nmod m;\n";
        assert_eq!(
            names(src),
            vec![
                ("Counter".into(), 1, 5, None),
                ("Counter".into(), 7, 12, None),
                ("bump".into(), 8, 11, Some(1)),
                ("helper".into(), 10, 10, Some(2)),
                ("X".into(), 13, 13, None),
                ("m".into(), 14, 14, None),
            ]
        );
    }

    #[test]
    fn trait_impls_are_named_with_their_trait() {
        let src = "impl std::fmt::Display for Counter {}\n";
        assert_eq!(names(src)[0].0, "Display for Counter");
    }

    #[test]
    fn innermost_finds_the_deepest_item() {
        let src = "impl A {\n    fn f() {\n        x();\n    }\n}\nfn g() {}\n";
        let file: syn::File = syn::parse_str(src).unwrap();
        let o = outline(&file, src);
        let at =
            |line, col| innermost(&o, Pos { line, col }).map(|i| o[i as usize].name.to_string());
        assert_eq!(at(3, 9).as_deref(), Some("f"));
        assert_eq!(at(1, 1).as_deref(), Some("A"));
        assert_eq!(at(6, 4).as_deref(), Some("g"));
        assert_eq!(at(7, 1), None);
    }
}
