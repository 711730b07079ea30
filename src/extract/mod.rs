//! Extraction: one parsed file in, [`FileFacts`] out.
//!
//! This is the only layer that sees `syn`. Items become item facts here; function bodies go to
//! [`body`], which simulates how long each candidate guard lives. Nothing here resolves a name
//! across files or decides whether something is a hazard.

mod body;
pub mod comments;
pub mod expand;
mod macros;
pub mod outline;
pub mod spans;
pub mod types;

use crate::facts::*;
use crate::intern::{Sym, sym};
use spans::{between, sp};
use types::{ctor_type, path_syms, type_fact, type_path};

/// The Rust edition a file is compiled with: it changes how long some temporaries live.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Edition {
    E2015,
    E2018,
    #[default]
    E2021,
    E2024,
}

impl Edition {
    pub fn parse(s: &str) -> Option<Edition> {
        Some(match s {
            "2015" => Edition::E2015,
            "2018" => Edition::E2018,
            "2021" => Edition::E2021,
            "2024" => Edition::E2024,
            _ => return None,
        })
    }
}

/// What extraction needs to know besides the syntax tree.
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    pub edition: Edition,
    /// The API tables, with the lock methods the configuration adds (`lock-methods`).
    pub api: std::sync::Arc<crate::known::Api>,
}

/// Extracts the facts of one parsed file; `src` is the text it was parsed from.
pub fn extract(file: &syn::File, src: &str, opts: &ExtractOptions) -> FileFacts {
    let mut cx = FileCx {
        facts: FileFacts::default(),
        opts,
        src,
        macro_depth: 0,
        unsafe_slots: vec![],
        user_macros: expand::UserMacros::default(),
        body_fn: None,
    };
    cx.facts.modules.push(ModuleFacts {
        parent: None,
        name: sym::EMPTY,
        uses: vec![],
        file_children: vec![],
        is_test: has_cfg_test(&file.attrs),
        first_item: file.items.first().map(item_start),
        cfg: None,
    });
    let in_test = cx.facts.modules[0].is_test;
    cx.items(&file.items, 0, in_test);
    cx.facts.outline = outline::outline(file, src);
    cx.facts.suppressions = comments::suppressions(src, &cx.facts.outline);
    cx.facts
}

pub(crate) struct FileCx<'o> {
    pub facts: FileFacts,
    pub opts: &'o ExtractOptions,
    pub src: &'o str,
    /// How many macro bodies the walk is inside (see [`MAX_MACRO_DEPTH`]).
    pub macro_depth: u32,
    /// `unsafe` blocks about to be walked that stand where any expression fits
    /// ([`crate::facts::BlockPos::Slot`]), by span.
    pub unsafe_slots: Vec<crate::span::Span>,
    /// The file's own `macro_rules!` macros defined so far, in the order of the text (as
    /// rustc scopes them), expanded where a body invokes them.
    pub user_macros: expand::UserMacros,
    /// The function whose body holds the items being read, while an item written in a body
    /// is read (see [`FileCx::item_in_body`]).
    pub body_fn: Option<FnIdx>,
}

/// How many macro bodies deep the extractor reads. Each macro's tokens are parsed anew, nested
/// ones included, so reading `m!(m!(m!(..)))` at every depth would cost time quadratic in the
/// nesting; real code nests macros a few levels deep (`format!` in `vec!` in `assert_eq!`).
pub(crate) const MAX_MACRO_DEPTH: u32 = 16;

/// What an item's `#[cfg(..)]` attributes ask of a build, all of them together; `None` without
/// any. A predicate `syn` cannot read is one opaque condition, as written.
fn cfg_of(attrs: &[syn::Attribute]) -> Option<Cfg> {
    let mut all: Vec<Cfg> = attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .map(|a| match a.parse_args::<syn::Meta>() {
            Ok(meta) => cfg_meta(&meta, 0),
            Err(_) => Cfg::Atom(a.meta.to_token_stream_string().replace(' ', "").into()),
        })
        .collect();
    match all.len() {
        0 => None,
        1 => all.pop(),
        _ => Some(Cfg::All(all)),
    }
}

fn cfg_meta(meta: &syn::Meta, depth: u32) -> Cfg {
    let text = || Cfg::Atom(meta.to_token_stream_string().replace(' ', "").into());
    let syn::Meta::List(list) = meta else {
        return text();
    };
    let op = if list.path.is_ident("all") {
        0
    } else if list.path.is_ident("any") {
        1
    } else if list.path.is_ident("not") {
        2
    } else {
        return text();
    };
    let parser = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
    let Ok(args) = list.parse_args_with(parser) else {
        return text();
    };
    if depth > 16 {
        return text();
    }
    let mut args: Vec<Cfg> = args.iter().map(|m| cfg_meta(m, depth + 1)).collect();
    match op {
        0 => Cfg::All(args),
        1 => Cfg::Any(args),
        _ if args.len() == 1 => Cfg::Not(Box::new(args.pop().unwrap_or(Cfg::All(vec![])))),
        _ => text(),
    }
}

fn has_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let s = a.meta.to_token_stream_string();
            s.contains("test") && !s.contains("not")
        }
    })
}

/// A test function's attribute: `#[test]`, `#[tokio::test(flavor = "multi_thread")]`, …
fn test_kind(attrs: &[syn::Attribute]) -> Option<TestKind> {
    attrs.iter().find_map(|a| {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        match segs.last().map(String::as_str) {
            Some("test" | "bench") if segs.len() == 1 => Some(TestKind::Plain),
            Some("test") => {
                let text = a.meta.to_token_stream_string();
                Some(if text.contains("multi_thread") {
                    TestKind::MultiThread
                } else {
                    TestKind::CurrentThread
                })
            }
            _ => None,
        }
    })
}

/// `pub`, `pub(crate)`, `pub(super)`, …
fn is_pub(v: &syn::Visibility) -> bool {
    !matches!(v, syn::Visibility::Inherited)
}

/// The traits `#[derive(..)]` names.
fn derives(attrs: &[syn::Attribute]) -> Vec<Sym> {
    let mut out = vec![];
    for a in attrs {
        if a.path().is_ident("derive") {
            let _ = a.parse_nested_meta(|m| {
                if let Some(last) = m.path.segments.last() {
                    out.push(ident_sym(&last.ident));
                }
                Ok(())
            });
        }
    }
    out
}

/// What a function's attributes and visibility say, for its facts.
#[derive(Clone, Copy)]
pub(crate) struct FnShape {
    pub is_test: bool,
    pub test: Option<TestKind>,
    pub is_pub: bool,
}

/// `Pin<&mut Self>`.
fn is_pin_mut_self(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    last.ident == "Pin"
        && matches!(args.args.first(), Some(syn::GenericArgument::Type(syn::Type::Reference(r)))
            if r.mutability.is_some())
}

fn is_test_fn(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "test" || s.ident == "bench")
    })
}

trait MetaText {
    fn to_token_stream_string(&self) -> String;
}

impl MetaText for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote::ToTokens::to_token_stream(self).to_string()
    }
}

fn generic_names(g: &syn::Generics) -> Vec<Sym> {
    g.type_params()
        .map(|p| Sym::new(&p.ident.to_string()))
        .collect()
}

fn ident_sym(i: &syn::Ident) -> Sym {
    Sym::new(&i.to_string())
}

impl FileCx<'_> {
    pub(crate) fn items(&mut self, items: &[syn::Item], module: ModIdx, in_test: bool) {
        for item in items {
            self.item(item, module, in_test);
        }
    }

    /// An item written inside a function body: it belongs to the enclosing module.
    pub(crate) fn item_in_body(
        &mut self,
        item: &syn::Item,
        module: ModIdx,
        in_test: bool,
        body_fn: FnIdx,
    ) {
        // Only a static written in the body itself (or made there by a macro) is the body's:
        // the items of a module or an impl written there are seen as usual.
        let here = matches!(item, syn::Item::Static(_) | syn::Item::Macro(_)).then_some(body_fn);
        let outer = std::mem::replace(&mut self.body_fn, here);
        self.item(item, module, in_test);
        self.body_fn = outer;
    }

    fn item(&mut self, item: &syn::Item, module: ModIdx, in_test: bool) {
        match item {
            syn::Item::Fn(f) => {
                let test = in_test || is_test_fn(&f.attrs);
                let shape = FnShape {
                    is_test: test,
                    test: test_kind(&f.attrs),
                    is_pub: is_pub(&f.vis),
                };
                self.function(&f.sig, Some(&f.block), module, FnOwner::Free, shape);
            }
            syn::Item::Impl(imp) => {
                let idx = self.facts.impls.len() as u32;
                self.facts.impls.push(ImplFacts {
                    module,
                    self_ty: type_fact(&imp.self_ty),
                    trait_path: imp.trait_.as_ref().map(|(p, _)| type_path(p)),
                    generics: generic_names(&imp.generics),
                    is_unsafe: imp.unsafety.is_some(),
                    span: between(imp.impl_token.span, imp.brace_token.span.open()),
                    cfg: cfg_of(&imp.attrs),
                });
                let test = in_test || has_cfg_test(&imp.attrs);
                for ii in &imp.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        let shape = FnShape {
                            is_test: test || is_test_fn(&f.attrs),
                            test: test_kind(&f.attrs),
                            // A trait's method is as public as the trait.
                            is_pub: is_pub(&f.vis) || imp.trait_.is_some(),
                        };
                        self.function(&f.sig, Some(&f.block), module, FnOwner::Impl(idx), shape);
                    }
                }
            }
            syn::Item::Trait(t) => {
                let idx = self.facts.traits.len() as u32;
                let methods = t
                    .items
                    .iter()
                    .filter_map(|ti| match ti {
                        syn::TraitItem::Fn(f) => Some(ident_sym(&f.sig.ident)),
                        _ => None,
                    })
                    .collect();
                self.facts.traits.push(TraitFacts {
                    module,
                    name: ident_sym(&t.ident),
                    span: sp(t.ident.span()),
                    methods,
                });
                for ti in &t.items {
                    if let syn::TraitItem::Fn(f) = ti
                        && let Some(block) = &f.default
                    {
                        let shape = FnShape {
                            is_test: in_test,
                            test: None,
                            is_pub: true,
                        };
                        self.function(&f.sig, Some(block), module, FnOwner::Trait(idx), shape);
                    }
                }
            }
            syn::Item::Struct(s) => {
                let fields = self.fields(&s.fields, None);
                self.push_struct(module, &s.ident, &s.generics, fields, false, &s.attrs);
            }
            syn::Item::Enum(e) => {
                let mut fields = vec![];
                for v in &e.variants {
                    fields.extend(self.fields(&v.fields, Some(&v.ident)));
                }
                self.push_struct(module, &e.ident, &e.generics, fields, true, &e.attrs);
            }
            syn::Item::Union(u) => {
                let fields = self.fields(&u.fields.named, None);
                self.push_struct(module, &u.ident, &u.generics, fields, false, &u.attrs);
            }
            syn::Item::Type(t) => self.facts.aliases.push(TypeAliasFacts {
                module,
                name: ident_sym(&t.ident),
                generics: generic_names(&t.generics),
                ty: type_fact(&t.ty),
            }),
            syn::Item::Static(s) => {
                let mutable = matches!(s.mutability, syn::StaticMutability::Mut(_));
                self.facts.statics.push(StaticFacts {
                    module,
                    in_fn: self.body_fn,
                    name: ident_sym(&s.ident),
                    span: sp(s.ident.span()),
                    item_span: between(s.static_token.span, s.semi_token.span),
                    ty: type_fact(&s.ty),
                    mutable,
                    mut_span: match &s.mutability {
                        syn::StaticMutability::Mut(m) => Some(sp(m.span)),
                        _ => None,
                    },
                    ty_span: spans::sp(syn::spanned::Spanned::span(&*s.ty)),
                    init_span: spans::expr_span(&s.expr),
                    init_text: self.expr_text(&s.expr),
                    origin: StaticOrigin::Item,
                    init_ty: ctor_type(&s.expr),
                    thread_local_attr: s.attrs.iter().any(|a| a.path().is_ident("thread_local")),
                });
                self.static_initializer(&s.expr, module, in_test);
            }
            syn::Item::Mod(m) => {
                let test = in_test || has_cfg_test(&m.attrs);
                let name = ident_sym(&m.ident);
                match &m.content {
                    Some((_, items)) => {
                        let idx = self.facts.modules.len() as u32;
                        self.facts.modules.push(ModuleFacts {
                            parent: Some(module),
                            name,
                            uses: vec![],
                            file_children: vec![],
                            is_test: test,
                            first_item: items.first().map(item_start),
                            cfg: cfg_of(&m.attrs),
                        });
                        self.items(items, idx, test);
                    }
                    None => {
                        let path_attr = m.attrs.iter().find_map(|a| {
                            if !a.path().is_ident("path") {
                                return None;
                            }
                            match &a.meta {
                                syn::Meta::NameValue(nv) => match &nv.value {
                                    syn::Expr::Lit(syn::ExprLit {
                                        lit: syn::Lit::Str(s),
                                        ..
                                    }) => Some(s.value().into_boxed_str()),
                                    _ => None,
                                },
                                _ => None,
                            }
                        });
                        self.facts.modules[module as usize]
                            .file_children
                            .push(ModDecl {
                                name,
                                path_attr,
                                span: sp(m.ident.span()),
                                cfg: cfg_of(&m.attrs),
                            });
                    }
                }
            }
            syn::Item::Use(u) => {
                let mut out = vec![];
                flatten_use(&u.tree, &mut vec![], u.leading_colon.is_some(), &mut out);
                self.facts.modules[module as usize].uses.extend(out);
            }
            syn::Item::Macro(m) => {
                if let Some(name) = &m.ident
                    && m.mac.path.is_ident("macro_rules")
                {
                    self.user_macros.define(name.to_string(), &m.mac.tokens);
                }
                self.item_macro(&m.mac, module, in_test)
            }
            syn::Item::Const(c) => self.static_initializer(&c.expr, module, in_test),
            _ => {}
        }
    }

    pub(crate) fn expr_text(&self, e: &syn::Expr) -> Box<str> {
        let start = spans::first_token(e).byte_range().start;
        let end = spans::last_token(e).byte_range().end;
        self.src.get(start..end).unwrap_or("").into()
    }

    fn push_struct(
        &mut self,
        module: ModIdx,
        ident: &syn::Ident,
        generics: &syn::Generics,
        fields: Vec<FieldFacts>,
        is_enum: bool,
        attrs: &[syn::Attribute],
    ) {
        self.facts.structs.push(StructFacts {
            module,
            name: ident_sym(ident),
            span: sp(ident.span()),
            generics: generic_names(generics),
            fields,
            is_enum,
            derives: derives(attrs),
            cfg: cfg_of(attrs),
        });
    }

    fn fields<'f>(
        &self,
        fields: impl IntoIterator<Item = &'f syn::Field>,
        variant: Option<&syn::Ident>,
    ) -> Vec<FieldFacts> {
        fields
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let (name, span) = match &f.ident {
                    Some(id) => (id.to_string(), sp(id.span())),
                    None => (i.to_string(), spans::sp(syn::spanned::Spanned::span(&f.ty))),
                };
                let name = match variant {
                    Some(v) => format!("{v}.{name}"),
                    None => name,
                };
                FieldFacts {
                    name: Sym::new(&name),
                    ty: type_fact(&f.ty),
                    span,
                    ty_span: spans::sp(syn::spanned::Spanned::span(&f.ty)),
                    cfg: cfg_of(&f.attrs),
                }
            })
            .collect()
    }

    /// Closures in a static's initializer (`LazyLock::new(|| ..)`) are bodies too.
    fn static_initializer(&mut self, expr: &syn::Expr, module: ModIdx, in_test: bool) {
        if let syn::Expr::Call(call) = expr {
            for arg in &call.args {
                if let syn::Expr::Closure(c) = arg {
                    body::walk_static_closure(self, c, module, in_test);
                }
            }
        }
    }

    fn item_macro(&mut self, mac: &syn::Macro, module: ModIdx, in_test: bool) {
        if self.macro_depth >= MAX_MACRO_DEPTH {
            return;
        }
        self.macro_depth += 1;
        self.item_macro_body(mac, module, in_test);
        self.macro_depth -= 1;
    }

    fn item_macro_body(&mut self, mac: &syn::Macro, module: ModIdx, in_test: bool) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        match name.as_str() {
            "lazy_static" => {
                for st in macros::parse_static_block(&mac.tokens, true) {
                    self.push_macro_static(st, module, StaticOrigin::LazyStatic, in_test);
                }
            }
            "thread_local" => {
                for st in macros::parse_static_block(&mac.tokens, false) {
                    self.push_macro_static(st, module, StaticOrigin::ThreadLocal, in_test);
                }
            }
            // `cfg_if! { if #[cfg(..)] { items } else { items } }`: the items are ordinary.
            "cfg_if" => {
                for items in macros::braced_item_groups(&mac.tokens) {
                    self.items(&items, module, in_test);
                }
            }
            "macro_rules" => {}
            // Crates wrap items in macros of their own (`cfg_rt! { pub mod rt; }`): when the
            // body reads as items, it is taken as items.
            _ => {
                if let Some(items) = macros::as_items(&mac.tokens) {
                    self.items(&items, module, in_test);
                }
            }
        }
    }

    fn push_macro_static(
        &mut self,
        st: macros::MacroStatic,
        module: ModIdx,
        origin: StaticOrigin,
        in_test: bool,
    ) {
        self.facts.statics.push(StaticFacts {
            module,
            in_fn: self.body_fn,
            name: ident_sym(&st.ident),
            span: sp(st.ident.span()),
            item_span: st.item_span,
            ty: type_fact(&st.ty),
            mutable: false,
            mut_span: None,
            ty_span: spans::sp(syn::spanned::Spanned::span(&st.ty)),
            init_span: spans::expr_span(&st.init),
            init_text: self.expr_text(&st.init),
            origin,
            init_ty: ctor_type(&st.init),
            thread_local_attr: false,
        });
        self.static_initializer(&st.init, module, in_test);
    }

    pub(crate) fn function(
        &mut self,
        sig: &syn::Signature,
        block: Option<&syn::Block>,
        module: ModIdx,
        owner: FnOwner,
        shape: FnShape,
    ) {
        let FnShape {
            is_test,
            test,
            is_pub,
        } = shape;
        let mut receiver = None;
        let mut params = vec![];
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => {
                    receiver = Some(match &r.kind {
                        syn::ReceiverKind::Value => Receiver::Value,
                        syn::ReceiverKind::Reference(_, _, Some(_)) => Receiver::RefMut,
                        syn::ReceiverKind::Reference(_, _, None) => Receiver::Ref,
                        syn::ReceiverKind::Typed(_, ty) if is_pin_mut_self(ty) => Receiver::PinMut,
                        _ => Receiver::Typed,
                    })
                }
                syn::FnArg::Typed(pt) => params.push(ParamFacts {
                    name: match &*pt.pat {
                        syn::Pat::Ident(pi) => Some(ident_sym(&pi.ident)),
                        _ => None,
                    },
                    ty: type_fact(&pt.ty),
                    span: spans::sp(syn::spanned::Spanned::span(&*pt.pat)),
                    ref_mut: matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some()),
                }),
            }
        }
        let idx = self.facts.fns.len() as FnIdx;
        self.facts.fns.push(FnFacts {
            module,
            name: ident_sym(&sig.ident),
            span: sp(sig.ident.span()),
            owner,
            is_async: sig.asyncness.is_some(),
            is_test,
            test,
            is_pub,
            receiver,
            params,
            ret: match &sig.output {
                syn::ReturnType::Default => None,
                syn::ReturnType::Type(_, t) => Some(type_fact(t)),
            },
            body: None,
        });
        if let Some(block) = block {
            let body = body::walk_fn(self, idx, sig, block);
            self.facts.fns[idx as usize].body = Some(body);
        }
    }
}

fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<Sym>, leading: bool, out: &mut Vec<UseFacts>) {
    let with_leading = |p: &[Sym]| -> Box<[Sym]> {
        let mut v = Vec::with_capacity(p.len() + 1);
        if leading {
            v.push(sym::EMPTY);
        }
        v.extend_from_slice(p);
        v.into_boxed_slice()
    };
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(ident_sym(&p.ident));
            flatten_use(&p.tree, prefix, leading, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = ident_sym(&n.ident);
            if name == sym::SELF_VALUE {
                if let Some(&last) = prefix.last() {
                    out.push(UseFacts {
                        alias: last,
                        path: with_leading(prefix),
                        glob: false,
                    });
                }
            } else {
                prefix.push(name);
                out.push(UseFacts {
                    alias: name,
                    path: with_leading(prefix),
                    glob: false,
                });
                prefix.pop();
            }
        }
        syn::UseTree::Rename(r) => {
            let name = ident_sym(&r.ident);
            if name != sym::SELF_VALUE {
                prefix.push(name);
            }
            out.push(UseFacts {
                alias: ident_sym(&r.rename),
                path: with_leading(prefix),
                glob: false,
            });
            if name != sym::SELF_VALUE {
                prefix.pop();
            }
        }
        syn::UseTree::Glob(_) => out.push(UseFacts {
            alias: sym::UNDERSCORE,
            path: with_leading(prefix),
            glob: true,
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, leading, out);
            }
        }
    }
}

/// Where an item starts: its first outer attribute, else its first keyword, without printing
/// the item back into tokens.
fn item_start(item: &syn::Item) -> crate::span::Pos {
    use syn::Item;
    let attrs: &[syn::Attribute] = match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    };
    if let Some(a) = attrs
        .iter()
        .find(|a| matches!(a.style, syn::AttrStyle::Outer))
    {
        return spans::pos_lo(a.pound_token.span);
    }
    let vis = |v: &syn::Visibility| match v {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        _ => None,
    };
    let span = match item {
        Item::Const(i) => vis(&i.vis).unwrap_or(i.const_token.span),
        Item::Enum(i) => vis(&i.vis).unwrap_or(i.enum_token.span),
        Item::ExternCrate(i) => vis(&i.vis).unwrap_or(i.extern_token.span),
        // The signature is small: printing it to find its first token is cheap.
        Item::Fn(i) => vis(&i.vis).unwrap_or_else(|| syn::spanned::Spanned::span(&i.sig)),
        Item::Impl(i) => i.unsafety.map(|t| t.span).unwrap_or(i.impl_token.span),
        Item::Macro(i) => i
            .mac
            .path
            .segments
            .first()
            .map(|s| s.ident.span())
            .unwrap_or_else(|| syn::spanned::Spanned::span(item)),
        Item::Mod(i) => vis(&i.vis)
            .or(i.unsafety.map(|t| t.span))
            .unwrap_or(i.mod_token.span),
        Item::Static(i) => vis(&i.vis).unwrap_or(i.static_token.span),
        Item::Struct(i) => vis(&i.vis).unwrap_or(i.struct_token.span),
        Item::Trait(i) => vis(&i.vis)
            .or(i.unsafety.map(|t| t.span))
            .unwrap_or(i.trait_token.span),
        Item::Type(i) => vis(&i.vis).unwrap_or(i.type_token.span),
        Item::Union(i) => vis(&i.vis).unwrap_or(i.union_token.span),
        Item::Use(i) => vis(&i.vis).unwrap_or(i.use_token.span),
        _ => syn::spanned::Spanned::span(item),
    };
    spans::pos_lo(span)
}

/// `path_syms` re-exported for the body walker.
pub(crate) fn syms_of(path: &syn::Path) -> Box<[Sym]> {
    path_syms(path)
}
