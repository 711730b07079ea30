//! Reading edition-2015 code that `syn` rejects, by respelling its 2015-only forms the 2018 way
//! in the file's tokens before parsing.
//!
//! `syn` reads edition-2018 syntax and later. Valid 2015 code it rejects has three forms:
//! - anonymous parameters of trait methods, `fn f(&self, u8);`, become `_: u8`;
//! - a bare trait object written with the `Fn` sugar in a type, `Box<Fn(u8) -> bool + Send>`,
//!   `&FnMut()`, `type A = Fn(&u8) + Sync;`, gets its `dyn`. Other bare trait objects
//!   (`Box<Trait + Send>`, `&Trait`, `Arc<Trait>`) parse as they are, and are left alone: from
//!   tokens alone a trait cannot be told from a struct (`Box<Mutex<T>>` must stay a `Mutex`);
//! - `async`, `await` and `try`, plain identifiers in 2015, become raw identifiers (`r#async`),
//!   and so does `dyn` where it is a name (`let dyn = 1;`), not a trait object's keyword.
//!
//! The rewrite works on the token stream `syn` would parse, not on the text: the tokens of the
//! file keep their own spans, and an inserted token (`_`, `:`, `dyn`) takes the span of the
//! token it precedes. So every position a diagnostic reports, on the line of a rewrite or after
//! it, is the file's own, with no column map; and a string or a comment is never taken for code,
//! as the tokens are `syn`'s own (the same lexer `syn` uses, not a second one).
//!
//! The parser calls this only for files of edition-2015 crates, and only when `syn` failed on
//! the file as written: a file `syn` reads is read as it is (see [`crate::parse`]).

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// Parses `text` (an edition-2015 file that `syn` rejected as written) with its 2015-only
/// forms respelled. `None` when the text holds none of them (or does not lex): the first
/// error stands.
pub fn parse_file(text: &str) -> Option<syn::Result<syn::File>> {
    let tokens: TokenStream = text.parse().ok()?;
    let rewritten = rewrite(tokens)?;
    Some(syn::parse2::<syn::File>(rewritten))
}

/// The tokens with their 2015-only forms respelled, or `None` when there is none.
pub fn rewrite(tokens: TokenStream) -> Option<TokenStream> {
    let mut changed = false;
    let out = level(tokens, Delimiter::None, Scope::Items, &mut changed);
    changed.then(|| out.into_iter().collect())
}

/// What a run of tokens (the file, or the inside of one group) is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Anything but the two below: items, statements, expressions, types, macro input.
    Items,
    /// The braces of a `trait` item: its methods may have anonymous parameters.
    TraitBody,
    /// The parentheses of a method in a trait body: its parameters.
    TraitFnParams,
}

/// Rewrites one group's tokens (`delim` is the group's delimiter, `None` for the file),
/// recursing into the groups inside. Recursion is as deep as the file nests, which the
/// parser's nesting pre-check bounds before this runs.
fn level(
    stream: TokenStream,
    delim: Delimiter,
    scope: Scope,
    changed: &mut bool,
) -> Vec<TokenTree> {
    let mut tokens: Vec<TokenTree> = stream.into_iter().collect();
    let scopes = child_scopes(&tokens, scope);
    for (i, tt) in tokens.iter_mut().enumerate() {
        if let TokenTree::Group(g) = tt {
            let mut inner_changed = false;
            let inner = level(g.stream(), g.delimiter(), scopes[i], &mut inner_changed);
            if inner_changed {
                let mut new = Group::new(g.delimiter(), inner.into_iter().collect());
                new.set_span(g.span());
                *g = new;
                *changed = true;
            }
        }
    }
    let mut inserts: Vec<(usize, Vec<TokenTree>)> = vec![];
    if scope == Scope::TraitFnParams {
        anonymous_params(&tokens, &mut inserts);
    }
    bare_fn_objects(&tokens, delim, &mut inserts);
    if raw_identifiers(&mut tokens) {
        *changed = true;
    }
    if inserts.is_empty() {
        return tokens;
    }
    *changed = true;
    // Stable: at one position, a parameter's `_:` goes before its type's `dyn`.
    inserts.sort_by_key(|(at, _)| *at);
    let mut out = Vec::with_capacity(tokens.len() + 3 * inserts.len());
    let mut next = inserts.into_iter().peekable();
    for (i, tt) in tokens.into_iter().enumerate() {
        while let Some((_, new)) = next.next_if(|(at, _)| *at == i) {
            out.extend(new);
        }
        out.push(tt);
    }
    out
}

fn is_punct(tt: Option<&TokenTree>, c: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_joint_punct(tt: Option<&TokenTree>, c: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == c && p.spacing() == Spacing::Joint)
}

fn is_ident(tt: Option<&TokenTree>, name: &str) -> bool {
    matches!(tt, Some(TokenTree::Ident(i)) if i == name)
}

/// Whether the `>` at `i` is the second half of `->` or `=>`, not a closing angle bracket.
fn is_arrow_head(tokens: &[TokenTree], i: usize) -> bool {
    i > 0 && (is_joint_punct(tokens.get(i - 1), '-') || is_joint_punct(tokens.get(i - 1), '='))
}

/// The scope of each group among `tokens` (by index; other indices are unused).
fn child_scopes(tokens: &[TokenTree], scope: Scope) -> Vec<Scope> {
    let mut scopes = vec![Scope::Items; tokens.len()];
    // After the keyword `trait`: the next braces are its body (a `;` first: a trait alias).
    let mut in_trait_header = false;
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Ident(id) if id == "trait" => in_trait_header = true,
            TokenTree::Punct(p) if p.as_char() == ';' => in_trait_header = false,
            TokenTree::Group(g) if in_trait_header && g.delimiter() == Delimiter::Brace => {
                scopes[i] = Scope::TraitBody;
                in_trait_header = false;
            }
            _ => {}
        }
    }
    if scope == Scope::TraitBody {
        // `fn name <generics>? ( params )`, in one pass over the tokens (never back).
        let mut i = 0;
        while i < tokens.len() {
            if !is_ident(tokens.get(i), "fn")
                || !matches!(tokens.get(i + 1), Some(TokenTree::Ident(_)))
            {
                i += 1;
                continue;
            }
            i += 2;
            if is_punct(tokens.get(i), '<') {
                let mut depth = 0u32;
                while i < tokens.len() {
                    if is_punct(tokens.get(i), '<') {
                        depth += 1;
                    } else if is_punct(tokens.get(i), '>') && !is_arrow_head(tokens, i) {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
                i += 1;
            }
            if let Some(TokenTree::Group(g)) = tokens.get(i)
                && g.delimiter() == Delimiter::Parenthesis
            {
                scopes[i] = Scope::TraitFnParams;
            }
        }
    }
    scopes
}

/// In a trait method's parameter list: `_:` before each parameter that is a type alone.
fn anonymous_params(tokens: &[TokenTree], inserts: &mut Vec<(usize, Vec<TokenTree>)>) {
    let mut start = 0;
    let mut angle = 0u32;
    for i in 0..=tokens.len() {
        match tokens.get(i) {
            None => {}
            Some(TokenTree::Punct(p)) if p.as_char() == ',' && angle == 0 => {}
            Some(TokenTree::Punct(p)) => {
                match p.as_char() {
                    '<' => angle += 1,
                    '>' if !is_arrow_head(tokens, i) => angle = angle.saturating_sub(1),
                    _ => {}
                }
                continue;
            }
            Some(_) => continue,
        }
        if let Some(at) = anonymous_param(&tokens[start..i]) {
            let span = tokens[start + at].span();
            inserts.push((start + at, vec![ident("_", span), punct(':', span)]));
        }
        start = i + 1;
    }
}

/// Where a parameter's type starts (after its attributes) when the parameter is a type alone:
/// it has no `:` of its own (a `::` of a path is not one) and is no `self` parameter.
fn anonymous_param(param: &[TokenTree]) -> Option<usize> {
    let mut at = 0;
    while is_punct(param.get(at), '#')
        && matches!(param.get(at + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket)
    {
        at += 2;
    }
    let rest = &param[at..];
    if rest.is_empty() || is_self_param(rest) {
        return None;
    }
    let mut i = 0;
    while i < rest.len() {
        if is_punct(rest.get(i), ':') {
            if is_joint_punct(rest.get(i), ':') && is_punct(rest.get(i + 1), ':') {
                i += 2;
                continue;
            }
            return None;
        }
        i += 1;
    }
    Some(at)
}

/// `self`, `mut self`, `&self`, `&mut self`, `&'a self`, `&'a mut self`.
fn is_self_param(p: &[TokenTree]) -> bool {
    let mut i = 0;
    if is_punct(p.get(i), '&') {
        i += 1;
        if is_punct(p.get(i), '\'') {
            i += 2;
        }
    }
    if is_ident(p.get(i), "mut") {
        i += 1;
    }
    i + 1 == p.len() && is_ident(p.get(i), "self")
}

/// `dyn` before each `Fn(..)`, `FnMut(..)` or `FnOnce(..)` path in a type position, with its
/// `for<'a>` and leading path.
fn bare_fn_objects(
    tokens: &[TokenTree],
    delim: Delimiter,
    inserts: &mut Vec<(usize, Vec<TokenTree>)>,
) {
    for i in 0..tokens.len() {
        let is_fn_trait = matches!(&tokens[i], TokenTree::Ident(id) if id == "Fn" || id == "FnMut" || id == "FnOnce");
        let sugar = matches!(tokens.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
        if !is_fn_trait || !sugar {
            continue;
        }
        let start = path_start(tokens, i);
        if in_type_position(tokens, start, delim) {
            inserts.push((start, vec![ident("dyn", tokens[start].span())]));
        }
    }
}

/// Where the path ending at `i` starts: back over `a::b::` and a leading `::`, then over a
/// `for<'a>` before it.
fn path_start(tokens: &[TokenTree], mut i: usize) -> usize {
    // `:: name`, from the right: `tokens[i - 2]` and `tokens[i - 1]` are the `::`.
    while i >= 2 && is_joint_punct(tokens.get(i - 2), ':') && is_punct(tokens.get(i - 1), ':') {
        i -= 2;
        if i >= 1 && matches!(tokens.get(i - 1), Some(TokenTree::Ident(_))) {
            i -= 1;
        }
    }
    // `for < ... >` before it, lifetimes only.
    if i >= 1 && is_punct(tokens.get(i - 1), '>') {
        let mut j = i - 1;
        while j > 0 {
            j -= 1;
            match &tokens[j] {
                TokenTree::Punct(p) if p.as_char() == '<' => {
                    if j >= 1 && is_ident(tokens.get(j - 1), "for") {
                        return j - 1;
                    }
                    break;
                }
                TokenTree::Punct(p) if matches!(p.as_char(), '\'' | ',') => {}
                TokenTree::Ident(_) => {}
                _ => break,
            }
        }
    }
    i
}

/// Whether a path starting at `at` is in a type: after `<` or `,` (generic arguments, tuple
/// types), `&`, `&'a`, `&mut`, `*const`, `*mut`, `->`, `=` (`type A =`, a default, an
/// associated type), `as`, the `for` of an impl, or first in parentheses or brackets. Not
/// after `:` or `+` (bounds, where the sugar is fine as it is), `dyn` or `impl`.
fn in_type_position(tokens: &[TokenTree], at: usize, delim: Delimiter) -> bool {
    if at == 0 {
        return matches!(delim, Delimiter::Parenthesis | Delimiter::Bracket);
    }
    let prev = &tokens[at - 1];
    match prev {
        TokenTree::Punct(p) => match p.as_char() {
            '<' | ',' | '&' => true,
            // `->`, not `=>`, `>=` or a closing `>`.
            '>' => is_joint_punct(tokens.get(at.wrapping_sub(2)), '-'),
            // `=` alone, not the end of `==`, `!=`, `<=`, `+=`, …
            '=' => {
                !matches!(tokens.get(at.wrapping_sub(2)), Some(TokenTree::Punct(q)) if q.spacing() == Spacing::Joint)
            }
            _ => false,
        },
        TokenTree::Ident(id) => {
            if id == "as" || id == "for" {
                return true;
            }
            let before = tokens.get(at.wrapping_sub(2));
            if id == "mut" {
                // `&mut`, `*mut`, `&'a mut`
                return is_punct(before, '&')
                    || is_punct(before, '*')
                    || (at >= 3 && is_punct(tokens.get(at - 3), '\''));
            }
            if id == "const" {
                return is_punct(before, '*');
            }
            // `&'a Fn()`: the lifetime's name after its `'`, after `&`.
            is_punct(before, '\'') && at >= 3 && is_punct(tokens.get(at - 3), '&')
        }
        _ => false,
    }
}

/// `async`, `await` and `try` (but `try!`, which `syn` reads) as raw identifiers, and `dyn`
/// where a name follows no trait (`let dyn = 1;`, `dyn.len()`): in 2015 none is a keyword.
/// Returns whether any changed.
fn raw_identifiers(tokens: &mut [TokenTree]) -> bool {
    let mut changed = false;
    for i in 0..tokens.len() {
        let TokenTree::Ident(id) = &tokens[i] else {
            continue;
        };
        let next = tokens.get(i + 1);
        let raw = match id.to_string().as_str() {
            "async" | "await" => true,
            "try" => !is_punct(next, '!'),
            "dyn" => !is_trait_object_keyword(next),
            _ => false,
        };
        if raw {
            let name = id.to_string();
            tokens[i] = TokenTree::Ident(Ident::new_raw(&name, id.span()));
            changed = true;
        }
    }
    changed
}

/// Whether a `dyn` followed by `next` is the keyword of a trait object (`dyn Trait`, `dyn 'a +
/// Trait`, `dyn ?Sized`, `dyn for<'a> Fn`, `dyn (Trait)`), as edition 2015 decides it: followed
/// by anything else (`dyn::x`, `dyn<T>`, `let dyn = 1`, `g(dyn)`, `dyn as u8`) it is a name.
fn is_trait_object_keyword(next: Option<&TokenTree>) -> bool {
    match next {
        Some(TokenTree::Ident(id)) => !(id == "as" || id == "in"),
        Some(TokenTree::Punct(p)) => matches!(p.as_char(), '\'' | '?'),
        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Parenthesis,
        Some(TokenTree::Literal(_)) | None => false,
    }
}

fn ident(name: &str, span: Span) -> TokenTree {
    TokenTree::Ident(Ident::new(name, span))
}

fn punct(c: char, span: Span) -> TokenTree {
    let mut p = Punct::new(c, Spacing::Alone);
    p.set_span(span);
    TokenTree::Punct(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rewritten tokens, printed; `None` when nothing was rewritten.
    fn respelled(src: &str) -> Option<String> {
        Some(rewrite(src.parse().unwrap())?.to_string())
    }

    /// Checks that `syn` rejects `src`, and that it is rewritten to `want` (compared as
    /// tokens), which `syn` reads.
    fn assert_respelled(src: &str, want: &str) {
        assert!(syn::parse_file(src).is_err(), "syn reads `{src}` already");
        let out = respelled(src).unwrap_or_else(|| panic!("nothing rewritten in `{src}`"));
        let want_tokens = want.parse::<TokenStream>().unwrap().to_string();
        assert_eq!(
            out, want_tokens,
            "`{src}` is respelled `{out}`, not `{want}`"
        );
        if let Err(e) = syn::parse_file(&out) {
            panic!("`{src}` → `{out}` does not parse: {e}");
        }
    }

    fn assert_untouched(src: &str) {
        let out = respelled(src);
        assert!(out.is_none(), "`{src}` was rewritten: {out:?}");
    }

    #[test]
    fn anonymous_trait_parameters_get_a_name() {
        for (src, want) in [
            ("trait T { fn f(u8); }", "trait T { fn f(_: u8); }"),
            (
                "trait T { fn f(&self, u8, &str) -> u8; }",
                "trait T { fn f(&self, _: u8, _: &str) -> u8; }",
            ),
            (
                "pub trait T<A>: Send { fn f<F: Fn(u8) -> u8>(&'a mut self, HashMap<A, u8>, F); }",
                "pub trait T<A>: Send { fn f<F: Fn(u8) -> u8>(&'a mut self, _: HashMap<A, u8>, _: F); }",
            ),
            (
                "trait T { fn f(mut self, ::std::io::Result<()>, #[cfg(x)] [u8; 4]) {} }",
                "trait T { fn f(mut self, _: ::std::io::Result<()>, #[cfg(x)] _: [u8; 4]) {} }",
            ),
            (
                "trait T { fn f(&self, fn(u8) -> u8, (u8, u8), x: u8,); }",
                "trait T { fn f(&self, _: fn(u8) -> u8, _: (u8, u8), x: u8,); }",
            ),
            (
                "mod m { unsafe trait T where Self: Sized { fn hash(&mut self, Self); } }",
                "mod m { unsafe trait T where Self: Sized { fn hash(&mut self, _: Self); } }",
            ),
            (
                "fn f() { trait Local { fn g(&self, &Fn(u8)); } }",
                "fn f() { trait Local { fn g(&self, _: &dyn Fn(u8)); } }",
            ),
        ] {
            assert_respelled(src, want);
        }
    }

    #[test]
    fn parameters_outside_trait_methods_are_left_alone() {
        // An impl's methods, free functions, function pointer types: their parameters need a
        // name in 2015 too (or none, in `fn(u8)`), and nothing is added.
        for src in [
            "impl S { fn f(&self, u8) {} }",
            "fn f(u8) {}",
            "trait T { type F = fn(u8); const X: fn(u8) = g; }",
        ] {
            assert_untouched(src);
        }
    }

    #[test]
    fn fn_sugar_objects_in_types_get_dyn() {
        for (src, want) in [
            (
                "type A = Fn(&u8) + Send + Sync;",
                "type A = dyn Fn(&u8) + Send + Sync;",
            ),
            (
                "type A = Box<Fn(u32) -> bool + Send>;",
                "type A = Box<dyn Fn(u32) -> bool + Send>;",
            ),
            (
                "type A = Box<FnMut(u8) -> Box<FnOnce()>>;",
                "type A = Box<dyn FnMut(u8) -> Box<dyn FnOnce()>>;",
            ),
            (
                "static F: &'static Fn(u8) = &g;",
                "static F: &'static dyn Fn(u8) = &g;",
            ),
            (
                "fn f(a: &mut FnMut(), b: *const Fn(), c: *mut Fn(), d: &'a mut Fn()) {}",
                "fn f(a: &mut dyn FnMut(), b: *const dyn Fn(), c: *mut dyn Fn(), d: &'a mut dyn Fn()) {}",
            ),
            (
                "type A = (Fn(), [Box<Fn()>; 2], &(Fn() + Send));",
                "type A = (dyn Fn(), [Box<dyn Fn()>; 2], &(dyn Fn() + Send));",
            ),
            (
                "type A = Box<for<'a> ::std::ops::Fn(&'a u8)>;",
                "type A = Box<dyn for<'a> ::std::ops::Fn(&'a u8)>;",
            ),
            (
                "fn f() -> Box<Fn()> { x as Box<Fn()>; Vec::<Box<Fn()>>::new() }",
                "fn f() -> Box<dyn Fn()> { x as Box<dyn Fn()>; Vec::<Box<dyn Fn()>>::new() }",
            ),
            (
                "impl<'a> Debug for Fn(u8) + 'a {}",
                "impl<'a> Debug for dyn Fn(u8) + 'a {}",
            ),
            (
                "struct S<F = Fn(u8)>(Box<F>);",
                "struct S<F = dyn Fn(u8)>(Box<F>);",
            ),
            // Macro input too (`syn` rejects the file for its type alias).
            (
                "type A = Fn(); lazy_static! { static ref H: Mutex<Vec<Box<Fn() + Send>>> = x; }",
                "type A = dyn Fn(); lazy_static! { static ref H: Mutex<Vec<Box<dyn Fn() + Send>>> = x; }",
            ),
        ] {
            assert_respelled(src, want);
        }
    }

    #[test]
    fn fn_sugar_in_bounds_and_expressions_is_left_alone() {
        for src in [
            "fn f<F: Fn(u8)>() where F: FnMut() -> u8, for<'a> G: FnOnce(&'a u8) {}",
            "trait T: Fn(u8) { type A: FnMut(); }",
            "type A = Box<dyn Fn(u8) + Send>; type B = impl Fn(u8);",
            "type A = Box<Send + Fn()>;",
            "fn f() { Fn(x); match x { _ => Fn(y) } }",
            // A struct is no trait: `Box<Foo>` and `Box<Foo + Send>` stay as written.
            "struct S { a: Box<Mutex<u8>>, b: Box<Foo + Send>, c: &Foo, d: Arc<Foo> }",
        ] {
            assert_untouched(src);
        }
    }

    #[test]
    fn keywords_of_later_editions_are_names() {
        for (src, want) in [
            (
                "fn async() { let await = x.await; }",
                "fn r#async() { let r#await = x.r#await; }",
            ),
            (
                "fn f() { let try = try!(g()); }",
                "fn f() { let r#try = try!(g()); }",
            ),
            (
                "fn f(dyn: u8) -> Box<dyn Trait> { let dyn = dyn + 1; g(dyn); dyn as u8 }",
                "fn f(r#dyn: u8) -> Box<dyn Trait> { let r#dyn = r#dyn + 1; g(r#dyn); r#dyn as u8 }",
            ),
        ] {
            assert_respelled(src, want);
        }
    }

    #[test]
    fn strings_and_comments_are_not_code() {
        assert_respelled(
            "trait T { fn f(&self, /* u8, */ u8); } // fn g(u8);\nconst S: &str = \"Box<Fn()>\";",
            "trait T { fn f(&self, _: u8); } const S: &str = \"Box<Fn()>\";",
        );
    }

    #[test]
    fn tokens_keep_their_positions() {
        use syn::spanned::Spanned;
        let src = "trait T {\n    fn f(&self, u32) -> u8;\n}\ntype F = Box<Fn(u8) + Send>; const X: u8 = 1;\nconst Y: u8 = 2;\n";
        let file = parse_file(src).expect("rewritten").expect("parses");
        // (line, column) of the start and the end; columns from 0, as proc_macro2 counts.
        let lc = |s: Span| {
            (
                s.start().line,
                s.start().column,
                s.end().line,
                s.end().column,
            )
        };
        let syn::Item::Trait(t) = &file.items[0] else {
            panic!("a trait")
        };
        let syn::TraitItem::Fn(f) = &t.items[0] else {
            panic!("a method")
        };
        let syn::FnArg::Typed(param) = &f.sig.inputs[1] else {
            panic!("a typed parameter")
        };
        // The inserted `_:` sits at the type; the type is where it is written.
        assert_eq!(lc(param.pat.span()), (2, 16, 2, 19));
        assert_eq!(lc(param.ty.span()), (2, 16, 2, 19));
        assert_eq!(lc(f.sig.output.span()), (2, 21, 2, 26));
        let syn::Item::Type(ty) = &file.items[1] else {
            panic!("a type alias")
        };
        // `Fn(u8) + Send` without a `dyn` in the text: the object spans what is written.
        let syn::Type::Path(b) = &*ty.ty else {
            panic!("a path")
        };
        let syn::PathArguments::AngleBracketed(args) = &b.path.segments[0].arguments else {
            panic!("generic arguments")
        };
        assert_eq!(lc(args.args[0].span()), (4, 13, 4, 26));
        // On the same line after the rewrite, and on the next line.
        assert_eq!(lc(file.items[2].span()), (4, 29, 4, 45));
        assert_eq!(lc(file.items[3].span()), (5, 0, 5, 16));
    }
}
