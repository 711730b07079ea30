//! Reading inside macro invocations: the arguments of `println!`, `assert!`, `vec!`, `write!`, …
//! as expressions, the branches of `select!`, and the items of `lazy_static!`, `thread_local!`
//! and `cfg_if!`.

use crate::span::Span;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;

/// How a macro's arguments behave once evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacroKind {
    /// Arguments are evaluated in order, by reference (formatting, assertions, collections).
    Args,
    /// Like `Args`, then control leaves (`panic!`, `unreachable!`, `bail!`, …).
    Diverging,
    /// Futures polled together, then awaited (`join!`, `try_join!`).
    Join,
    /// `select!`: futures awaited together, then one handler runs.
    Select,
    /// `addr_of!(X)` / `addr_of_mut!(X)`.
    AddrOf { mutable: bool },
}

pub fn macro_kind(name: &str) -> MacroKind {
    match name {
        "panic" | "unreachable" | "todo" | "unimplemented" | "bail" | "abort" => {
            MacroKind::Diverging
        }
        "join" | "try_join" => MacroKind::Join,
        "select" | "select_biased" => MacroKind::Select,
        "addr_of" => MacroKind::AddrOf { mutable: false },
        "addr_of_mut" => MacroKind::AddrOf { mutable: true },
        _ => MacroKind::Args,
    }
}

/// Macros whose arguments are not expressions (or are evaluated elsewhere): skip them.
pub fn is_opaque(name: &str) -> bool {
    matches!(
        name,
        "macro_rules"
            | "include"
            | "include_str"
            | "include_bytes"
            | "concat"
            | "stringify"
            | "env"
            | "option_env"
            | "cfg"
            | "compile_error"
            | "line"
            | "column"
            | "file"
            | "module_path"
            | "quote"
            | "quote_spanned"
            | "parse_quote"
            | "parse_macro_input"
            | "html"
            | "view"
            | "rsx"
            | "sql"
            | "query"
            | "query_as"
            | "json"
            | "lazy_static"
            | "thread_local"
    )
}

/// Whether a macro's arguments may do anything the walker follows: a call or method call, a
/// field, `?`, a closure, a block, or a name that looks like a static. `println!("{}", x)`
/// does not.
pub fn worth_reading(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Group(_) => true,
        TokenTree::Punct(p) => matches!(p.as_char(), '.' | '?' | '|' | '&'),
        TokenTree::Ident(i) => {
            let s = i.to_string();
            s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        }
        TokenTree::Literal(_) => false,
    })
}

/// The expressions among a macro's comma-separated arguments. Arguments that are not
/// expressions (`target: "x"` in `log!`, a pattern in `matches!`) are skipped; `name = expr`
/// format arguments give `expr`.
pub fn macro_args(tokens: &TokenStream) -> Vec<syn::Expr> {
    let fast = Parser::parse2(
        |input: ParseStream| Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated(input),
        tokens.clone(),
    );
    if let Ok(args) = fast {
        return args.into_iter().map(strip_named_arg).collect();
    }
    split_top_level(tokens, |tt| is_punct(tt, ',') || is_punct(tt, ';'))
        .into_iter()
        .filter_map(|chunk| syn::parse2::<syn::Expr>(chunk).ok())
        .map(strip_named_arg)
        .collect()
}

fn strip_named_arg(e: syn::Expr) -> syn::Expr {
    match e {
        syn::Expr::Assign(a) if matches!(&*a.left, syn::Expr::Path(p) if p.path.get_ident().is_some()) => {
            *a.right
        }
        other => other,
    }
}

fn is_punct(tt: &TokenTree, c: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == c)
}

fn split_top_level(tokens: &TokenStream, sep: impl Fn(&TokenTree) -> bool) -> Vec<TokenStream> {
    let mut out = vec![];
    let mut cur = vec![];
    for tt in tokens.clone() {
        if sep(&tt) {
            out.push(cur.drain(..).collect());
        } else {
            cur.push(tt);
        }
    }
    if !cur.is_empty() {
        out.push(cur.into_iter().collect());
    }
    out
}

/// One `select!` branch: `pattern = future (, if guard)? => handler`.
pub struct SelectBranch {
    pub future: Option<syn::Expr>,
    pub guard: Option<syn::Expr>,
    pub handler: Option<syn::Expr>,
}

/// The branches of `tokio::select!` / `futures::select!`. Tokens that do not parse are left out.
pub fn select_branches(tokens: &TokenStream) -> Vec<SelectBranch> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < trees.len() {
        // The branch head runs to the top-level `=>`.
        let Some(arrow) = (i..trees.len().saturating_sub(1)).find(|&j| {
            is_punct(&trees[j], '=') && is_punct(&trees[j + 1], '>') && joint(&trees[j])
        }) else {
            break;
        };
        let head = &trees[i..arrow];
        // The handler: a braced group, or tokens up to the next top-level comma.
        let mut j = arrow + 2;
        let handler_start = j;
        if matches!(trees.get(j), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
            j += 1;
        } else {
            while j < trees.len() && !is_punct(&trees[j], ',') {
                j += 1;
            }
        }
        let handler: TokenStream = trees[handler_start..j].iter().cloned().collect();
        if matches!(trees.get(j), Some(tt) if is_punct(tt, ',')) {
            j += 1;
        }
        out.push(select_head(head, handler));
        i = j;
    }
    out
}

fn joint(tt: &TokenTree) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.spacing() == proc_macro2::Spacing::Joint)
}

fn select_head(head: &[TokenTree], handler: TokenStream) -> SelectBranch {
    // `biased;` and `else` heads have no future.
    let head: Vec<&TokenTree> = head
        .iter()
        .skip_while(|tt| matches!(tt, TokenTree::Ident(i) if i == "biased"))
        .skip_while(|tt| is_punct(tt, ';'))
        .collect();
    // `pat = fut` splits at the first lone `=`; `, if guard` follows the future.
    let eq = head.iter().position(|tt| {
        matches!(tt, TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone)
    });
    let (future, guard) = match eq {
        Some(eq) => {
            let rest = &head[eq + 1..];
            let if_at = rest
                .iter()
                .position(|tt| matches!(tt, TokenTree::Ident(i) if i == "if"));
            let (fut, guard) = match if_at {
                Some(k) if k > 0 && is_punct(rest[k - 1], ',') => {
                    (&rest[..k - 1], Some(&rest[k + 1..]))
                }
                _ => (rest, None),
            };
            let parse = |ts: &[&TokenTree]| {
                syn::parse2::<syn::Expr>(ts.iter().map(|t| (*t).clone()).collect()).ok()
            };
            (parse(fut), guard.and_then(parse))
        }
        None => (None, None),
    };
    SelectBranch {
        future,
        guard,
        handler: syn::parse2::<syn::Expr>(handler).ok(),
    }
}

/// One `static` inside `lazy_static!` or `thread_local!`.
pub struct MacroStatic {
    pub ident: syn::Ident,
    pub ty: syn::Type,
    pub init: syn::Expr,
    pub item_span: Span,
}

/// Parses `[pub] static [ref] NAME: Type = init;` items; stops at the first that does not parse.
pub fn parse_static_block(tokens: &TokenStream, with_ref: bool) -> Vec<MacroStatic> {
    let parser = |input: ParseStream| -> syn::Result<Vec<MacroStatic>> {
        let mut out = vec![];
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            input.parse::<syn::Visibility>()?;
            let static_token: syn::Token![static] = input.parse()?;
            if with_ref {
                input.parse::<syn::Token![ref]>()?;
            }
            let ident: syn::Ident = input.parse()?;
            input.parse::<syn::Token![:]>()?;
            let ty: syn::Type = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            // `thread_local!` allows `const { .. }` initializers.
            let init: syn::Expr =
                if input.peek(syn::Token![const]) && input.peek2(syn::token::Brace) {
                    input.parse::<syn::Token![const]>()?;
                    let block: syn::Block = input.parse()?;
                    syn::Expr::Block(syn::ExprBlock {
                        attrs: vec![],
                        label: None,
                        block,
                    })
                } else {
                    input.parse()?
                };
            let end = if input.peek(syn::Token![;]) {
                input.parse::<syn::Token![;]>()?.span
            } else {
                ident.span()
            };
            out.push(MacroStatic {
                item_span: super::spans::between(static_token.span, end),
                ident,
                ty,
                init,
            });
        }
        Ok(out)
    };
    Parser::parse2(parser, tokens.clone()).unwrap_or_default()
}

/// Tokens that are nothing but items, as items.
fn parse_items(tokens: TokenStream) -> syn::Result<Vec<syn::Item>> {
    let items = |input: ParseStream| {
        let mut items = vec![];
        while !input.is_empty() {
            items.push(input.parse::<syn::Item>()?);
        }
        Ok(items)
    };
    Parser::parse2(items, tokens)
}

/// A macro body that is nothing but items (at least one), as items.
pub fn as_items(tokens: &TokenStream) -> Option<Vec<syn::Item>> {
    let items = parse_items(tokens.clone()).ok()?;
    // A lone verbatim item is not really an item.
    (!items.is_empty() && !items.iter().any(|i| matches!(i, syn::Item::Verbatim(_))))
        .then_some(items)
}

/// The brace-delimited groups of `cfg_if!` that parse as items.
pub fn braced_item_groups(tokens: &TokenStream) -> Vec<Vec<syn::Item>> {
    let mut out = vec![];
    for tt in tokens.clone() {
        if let TokenTree::Group(g) = tt
            && g.delimiter() == Delimiter::Brace
            && let Ok(items) = parse_items(g.stream())
        {
            out.push(items);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn args(src: &str) -> Vec<String> {
        let ts: TokenStream = src.parse().unwrap();
        macro_args(&ts)
            .iter()
            .map(|e| e.to_token_stream().to_string())
            .collect()
    }

    #[test]
    fn format_and_log_arguments_are_expressions() {
        assert_eq!(
            args(r#""{} {}", a.lock().unwrap(), b"#),
            [r#""{} {}""#, "a . lock () . unwrap ()", "b"]
        );
        assert_eq!(args(r#""{x}", x = m.lock()"#), [r#""{x}""#, "m . lock ()"]);
        assert_eq!(args(r#"target: "t", "{}", v"#), [r#""{}""#, "v"]);
        assert_eq!(args("0u8; n.lock().len()"), ["0u8", "n . lock () . len ()"]);
    }

    #[test]
    fn select_branches_split() {
        let ts: TokenStream =
            "biased; v = rx.recv() => { a(v) }, _ = sleep(d), if ok => b(), else => c()"
                .parse()
                .unwrap();
        let b = select_branches(&ts);
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[0].future.as_ref().unwrap().to_token_stream().to_string(),
            "rx . recv ()"
        );
        assert!(b[1].guard.is_some());
        assert!(b[2].future.is_none() && b[2].handler.is_some());
    }

    #[test]
    fn lazy_static_items() {
        let ts: TokenStream =
            "static ref A: Mutex<u8> = Mutex::new(0); pub static ref B: RwLock<()> = RwLock::new(());"
                .parse()
                .unwrap();
        let st = parse_static_block(&ts, true);
        assert_eq!(st.len(), 2);
        assert_eq!(st[1].ident, "B");
    }
}
