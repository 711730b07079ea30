//! Expanding the crate's own `macro_rules!` macros where a function body invokes them, so that
//! what their bodies do (take locks, call functions) is walked as if written at the call.
//!
//! Only macros defined in the same file are known (extraction sees one file). An invocation is
//! matched against the arms in order, as rustc does (without its ambiguity errors): literal
//! tokens match themselves, `$x:frag` fragments are parsed by `syn` (`expr`, `ty`, `path`,
//! `pat`, `stmt`, `item`, `vis`, `meta`) or taken as tokens (`ident`, `tt`, `block`,
//! `literal`, `lifetime`), and `$(..) sep op` repeats greedily. The first arm that matches the
//! whole input is transcribed. What fails to parse, match or transcribe is not expanded (the
//! walker then reads the call's arguments, as for any macro).
//!
//! Spans: every token of the expansion takes the span of the whole invocation, so what the
//! macro does is reported at the call, except fragments that hold code of their own (a braced
//! group: `$body:block`, a closure), which keep where they were written.
//!
//! Bounds: an invocation of more than [`MAX_INPUT`] tokens is not expanded, an expansion stops
//! at [`MAX_OUTPUT`] tokens, and a file's expansions together at [`FILE_BUDGET`] tokens;
//! nesting is bounded by the walker's macro depth.

use proc_macro2::{Delimiter, Group, Ident, Spacing, Span, TokenStream, TokenTree};
use rustc_hash::FxHashMap;
use syn::parse::{Parse, ParseStream, Parser};

/// Tokens (top-level trees) of an invocation past which it is not expanded.
pub const MAX_INPUT: usize = 1_000;
/// Tokens one expansion may produce.
pub const MAX_OUTPUT: usize = 20_000;
/// Tokens all the expansions of one file may produce.
pub const FILE_BUDGET: usize = 200_000;

/// A `macro_rules!` definition: its arms.
#[derive(Debug)]
pub struct MacroRules {
    arms: Vec<Arm>,
}

#[derive(Debug)]
struct Arm {
    matcher: Vec<Matcher>,
    body: TokenStream,
}

#[derive(Debug)]
enum Matcher {
    Token(TokenTree),
    Group(Delimiter, Vec<Matcher>),
    Frag(String, Frag),
    Repeat {
        inner: Vec<Matcher>,
        sep: Option<TokenTree>,
        op: char,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frag {
    Expr,
    Ident,
    Ty,
    Path,
    Block,
    Stmt,
    Pat,
    PatParam,
    Tt,
    Literal,
    Lifetime,
    Vis,
    Item,
    Meta,
}

fn frag_kind(s: &str) -> Option<Frag> {
    Some(match s {
        "expr" | "expr_2021" => Frag::Expr,
        "ident" => Frag::Ident,
        "ty" => Frag::Ty,
        "path" => Frag::Path,
        "block" => Frag::Block,
        "stmt" => Frag::Stmt,
        "pat" => Frag::Pat,
        "pat_param" => Frag::PatParam,
        "tt" => Frag::Tt,
        "literal" => Frag::Literal,
        "lifetime" => Frag::Lifetime,
        "vis" => Frag::Vis,
        "item" => Frag::Item,
        "meta" => Frag::Meta,
        _ => return None,
    })
}

fn is_punct(tt: &TokenTree, c: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == c)
}

/// Reads the tokens of `macro_rules! name { .. }`: `(matcher) => { body }` arms separated by
/// `;`. `None` when any arm does not read.
pub fn parse_rules(tokens: &TokenStream) -> Option<MacroRules> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut arms = vec![];
    let mut i = 0;
    while i < trees.len() {
        let TokenTree::Group(m) = &trees[i] else {
            return None;
        };
        if !(is_punct(trees.get(i + 1)?, '=') && is_punct(trees.get(i + 2)?, '>')) {
            return None;
        }
        let TokenTree::Group(b) = trees.get(i + 3)? else {
            return None;
        };
        arms.push(Arm {
            matcher: parse_matcher(m.stream())?,
            body: b.stream(),
        });
        i += 4;
        if trees.get(i).is_some_and(|t| is_punct(t, ';')) {
            i += 1;
        }
    }
    (!arms.is_empty()).then_some(MacroRules { arms })
}

fn parse_matcher(ts: TokenStream) -> Option<Vec<Matcher>> {
    let trees: Vec<TokenTree> = ts.into_iter().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < trees.len() {
        let tt = &trees[i];
        if is_punct(tt, '$') {
            match trees.get(i + 1) {
                Some(TokenTree::Ident(name)) => {
                    if !trees.get(i + 2).is_some_and(|t| is_punct(t, ':')) {
                        return None;
                    }
                    let Some(TokenTree::Ident(kind)) = trees.get(i + 3) else {
                        return None;
                    };
                    out.push(Matcher::Frag(
                        name.to_string(),
                        frag_kind(&kind.to_string())?,
                    ));
                    i += 4;
                    continue;
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    let inner = parse_matcher(g.stream())?;
                    let next = trees.get(i + 2)?;
                    let is_op =
                        |t: &TokenTree| is_punct(t, '*') || is_punct(t, '+') || is_punct(t, '?');
                    let (sep, op, used) = if is_op(next) {
                        (None, next, 3)
                    } else {
                        let op = trees.get(i + 3)?;
                        if !is_op(op) {
                            return None;
                        }
                        (Some(next.clone()), op, 4)
                    };
                    let TokenTree::Punct(op) = op else {
                        return None;
                    };
                    out.push(Matcher::Repeat {
                        inner,
                        sep,
                        op: op.as_char(),
                    });
                    i += used;
                    continue;
                }
                _ => return None,
            }
        }
        match tt {
            TokenTree::Group(g) => {
                out.push(Matcher::Group(g.delimiter(), parse_matcher(g.stream())?));
            }
            tt => out.push(Matcher::Token(tt.clone())),
        }
        i += 1;
    }
    Some(out)
}

/// What a fragment matched.
#[derive(Clone, Debug)]
enum Binding {
    One(Vec<TokenTree>, Frag),
    Seq(Vec<Binding>),
}

type Bindings = FxHashMap<String, Binding>;

fn same_token(a: &TokenTree, b: &TokenTree) -> bool {
    match (a, b) {
        (TokenTree::Ident(x), TokenTree::Ident(y)) => x == y,
        (TokenTree::Punct(x), TokenTree::Punct(y)) => x.as_char() == y.as_char(),
        (TokenTree::Literal(x), TokenTree::Literal(y)) => x.to_string() == y.to_string(),
        _ => false,
    }
}

/// How many of `input`'s trees a `T` parsed from its start takes (see [`parse_with`]).
fn parse_prefix<T: Parse>(input: &[TokenTree]) -> Option<usize> {
    parse_with(input, |ps| ps.parse::<T>().map(|_| ()))
}

/// The same for a statement or an item, which may end with a `;` of their own: the whole
/// rest is read.
fn parse_whole<T: Parse>(input: &[TokenTree]) -> Option<usize> {
    taken(input, |ps| ps.parse::<T>().map(|_| ()))
}

/// How many of `input`'s trees `f` (an expression, a type, a path, a pattern, a
/// visibility, a meta) takes from its start, as rustc's fragment parsers do: as many as it
/// reads. Such a fragment of an invocation usually ends at the first `,` or `;` at its top
/// level: none of them reads one, unless it opened something there that the trees before it
/// then leave open (`|a, b|`, `Vec<A, B>`). So those trees are tried alone first, and the
/// whole rest only when they are not one whole fragment. (Copying the rest of a long
/// invocation for each of its fragments made it quadratic.)
fn parse_with(input: &[TokenTree], f: fn(ParseStream) -> syn::Result<()>) -> Option<usize> {
    if let Some(stop) = input
        .iter()
        .position(|t| is_punct(t, ',') || is_punct(t, ';'))
        && stop > 0
        && taken(&input[..stop], f) == Some(stop)
    {
        return Some(stop);
    }
    taken(input, f)
}

/// How many of `trees` `f` reads from their start.
fn taken(trees: &[TokenTree], f: fn(ParseStream) -> syn::Result<()>) -> Option<usize> {
    let ts: TokenStream = trees.iter().cloned().collect();
    let rest = Parser::parse2(
        |ps: ParseStream| {
            f(ps)?;
            // The trees left, stepped over without copying them.
            ps.step(|cursor| {
                let (mut c, mut n) = (*cursor, 0);
                while let Some((_, next)) = c.token_tree() {
                    (c, n) = (next, n + 1);
                }
                Ok((n, c))
            })
        },
        ts,
    )
    .ok()?;
    trees.len().checked_sub(rest)
}

fn match_frag(kind: Frag, input: &[TokenTree]) -> Option<usize> {
    let first = input.first();
    let n = match kind {
        Frag::Tt => first.map(|_| 1)?,
        Frag::Ident => match first? {
            TokenTree::Ident(i) if i != "_" => 1,
            _ => return None,
        },
        Frag::Block => match first? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => 1,
            _ => return None,
        },
        Frag::Literal => match (first?, input.get(1)) {
            (TokenTree::Literal(_), _) => 1,
            (TokenTree::Ident(i), _) if i == "true" || i == "false" => 1,
            (t, Some(TokenTree::Literal(_))) if is_punct(t, '-') => 2,
            _ => return None,
        },
        Frag::Lifetime => match (first?, input.get(1)) {
            (TokenTree::Punct(p), Some(TokenTree::Ident(_)))
                if p.as_char() == '\'' && p.spacing() == Spacing::Joint =>
            {
                2
            }
            _ => return None,
        },
        Frag::Expr => parse_prefix::<syn::Expr>(input)?,
        Frag::Ty => parse_prefix::<syn::Type>(input)?,
        Frag::Path => parse_prefix::<syn::Path>(input)?,
        Frag::Item => parse_whole::<syn::Item>(input)?,
        Frag::Vis => parse_prefix::<syn::Visibility>(input)?,
        Frag::Meta => parse_prefix::<syn::Meta>(input)?,
        Frag::Stmt => {
            parse_whole::<syn::Stmt>(input).or_else(|| parse_prefix::<syn::Expr>(input))?
        }
        Frag::Pat => parse_with(input, |ps| {
            syn::Pat::parse_multi_with_leading_vert(ps).map(|_| ())
        })?,
        Frag::PatParam => parse_with(input, |ps| syn::Pat::parse_single(ps).map(|_| ()))?,
    };
    // Every fragment but `vis` takes at least one token.
    (n > 0 || kind == Frag::Vis).then_some(n)
}

/// Matches `ms` against `input` from `*pos`, binding fragments.
fn match_seq(ms: &[Matcher], input: &[TokenTree], pos: &mut usize, b: &mut Bindings) -> bool {
    for m in ms {
        match m {
            Matcher::Token(t) => match input.get(*pos) {
                Some(x) if same_token(t, x) => *pos += 1,
                _ => return false,
            },
            Matcher::Group(d, inner) => match input.get(*pos) {
                Some(TokenTree::Group(g)) if g.delimiter() == *d => {
                    let trees: Vec<TokenTree> = g.stream().into_iter().collect();
                    let mut p = 0;
                    if !match_seq(inner, &trees, &mut p, b) || p != trees.len() {
                        return false;
                    }
                    *pos += 1;
                }
                _ => return false,
            },
            Matcher::Frag(name, kind) => match match_frag(*kind, &input[*pos..]) {
                Some(n) => {
                    b.insert(
                        name.clone(),
                        Binding::One(input[*pos..*pos + n].to_vec(), *kind),
                    );
                    *pos += n;
                }
                None => return false,
            },
            Matcher::Repeat { inner, sep, op } => {
                let mut names = vec![];
                frag_names(inner, &mut names);
                let mut iters: Vec<Bindings> = vec![];
                loop {
                    if *op == '?' && !iters.is_empty() {
                        break;
                    }
                    let mut p = *pos;
                    if !iters.is_empty()
                        && let Some(s) = sep
                    {
                        match input.get(p) {
                            Some(x) if same_token(s, x) => p += 1,
                            _ => break,
                        }
                    }
                    let mut ib = Bindings::default();
                    if p >= input.len() && !inner.is_empty() {
                        break;
                    }
                    if !match_seq(inner, input, &mut p, &mut ib) || p == *pos {
                        break;
                    }
                    *pos = p;
                    iters.push(ib);
                }
                if *op == '+' && iters.is_empty() {
                    return false;
                }
                for n in names {
                    let seq = iters.iter_mut().filter_map(|ib| ib.remove(&n)).collect();
                    b.insert(n, Binding::Seq(seq));
                }
            }
        }
    }
    true
}

fn frag_names(ms: &[Matcher], out: &mut Vec<String>) {
    for m in ms {
        match m {
            Matcher::Frag(n, _) => out.push(n.clone()),
            Matcher::Group(_, inner) | Matcher::Repeat { inner, .. } => frag_names(inner, out),
            Matcher::Token(_) => {}
        }
    }
}

/// The expansion's output so far and what it may still take.
struct Out {
    call: Span,
    left: usize,
}

impl Out {
    fn take(&mut self, n: usize) -> Option<()> {
        self.left = self.left.checked_sub(n)?;
        Some(())
    }
}

fn respan(tt: &TokenTree, span: Span) -> TokenTree {
    match tt {
        TokenTree::Group(g) => {
            let mut ng = Group::new(
                g.delimiter(),
                g.stream().into_iter().map(|t| respan(&t, span)).collect(),
            );
            ng.set_span(span);
            TokenTree::Group(ng)
        }
        other => {
            let mut t = other.clone();
            t.set_span(span);
            t
        }
    }
}

fn holds_code(trees: &[TokenTree]) -> bool {
    trees.iter().any(|t| match t {
        TokenTree::Group(g) => {
            g.delimiter() == Delimiter::Brace
                || holds_code(&g.stream().into_iter().collect::<Vec<_>>())
        }
        _ => false,
    })
}

/// An expression fragment that binds tighter than any operator the body may put around it
/// (`$a.lock()`): a name, a path, a call, a field, a literal, a group.
fn is_atomic_expr(trees: &[TokenTree]) -> bool {
    match syn::parse2::<syn::Expr>(trees.iter().cloned().collect()) {
        Ok(e) => matches!(
            e,
            syn::Expr::Path(_)
                | syn::Expr::Lit(_)
                | syn::Expr::Call(_)
                | syn::Expr::MethodCall(_)
                | syn::Expr::Field(_)
                | syn::Expr::Index(_)
                | syn::Expr::Paren(_)
                | syn::Expr::Tuple(_)
                | syn::Expr::Array(_)
                | syn::Expr::Macro(_)
                | syn::Expr::Block(_)
                | syn::Expr::Try(_)
                | syn::Expr::Await(_)
        ),
        Err(_) => false,
    }
}

fn emit_fragment(
    trees: &[TokenTree],
    kind: Frag,
    out: &mut Out,
    dst: &mut Vec<TokenTree>,
) -> Option<()> {
    out.take(trees.len())?;
    let keep = holds_code(trees);
    let spanned: Vec<TokenTree> = if keep {
        trees.to_vec()
    } else {
        trees.iter().map(|t| respan(t, out.call)).collect()
    };
    if kind == Frag::Expr && !is_atomic_expr(trees) {
        let mut g = Group::new(Delimiter::Parenthesis, spanned.into_iter().collect());
        g.set_span(out.call);
        dst.push(TokenTree::Group(g));
    } else {
        dst.extend(spanned);
    }
    Some(())
}

/// The bindings in scope while transcribing: the arm's, then those of each repetition the
/// transcription is inside (the innermost last).
type Scopes<'b> = Vec<&'b Bindings>;

fn lookup<'b>(scopes: &Scopes<'b>, name: &str) -> Option<&'b Binding> {
    scopes.iter().rev().find_map(|s| s.get(name))
}

fn transcribe(body: &TokenStream, b: &Scopes<'_>, out: &mut Out) -> Option<Vec<TokenTree>> {
    let trees: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut dst = vec![];
    let mut i = 0;
    while i < trees.len() {
        let tt = &trees[i];
        if is_punct(tt, '$') {
            match trees.get(i + 1) {
                Some(TokenTree::Ident(name)) if name == "crate" => {
                    out.take(1)?;
                    dst.push(TokenTree::Ident(Ident::new("crate", out.call)));
                    i += 2;
                    continue;
                }
                Some(TokenTree::Ident(name)) => {
                    match lookup(b, &name.to_string())? {
                        Binding::One(frag, kind) => emit_fragment(frag, *kind, out, &mut dst)?,
                        Binding::Seq(_) => return None,
                    }
                    i += 2;
                    continue;
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    let next = trees.get(i + 2)?;
                    let is_op =
                        |t: &TokenTree| is_punct(t, '*') || is_punct(t, '+') || is_punct(t, '?');
                    let (sep, used) = if is_op(next) {
                        (None, 3)
                    } else if trees.get(i + 3).is_some_and(is_op) {
                        (Some(next.clone()), 4)
                    } else {
                        return None;
                    };
                    // The repeated variables at this level decide how many times.
                    let mut used_names = vec![];
                    body_names(&g.stream(), &mut used_names);
                    used_names.sort();
                    used_names.dedup();
                    let seqs: Vec<(&String, &Vec<Binding>)> = used_names
                        .iter()
                        .filter_map(|n| match lookup(b, n)? {
                            Binding::Seq(s) => Some((n, s)),
                            Binding::One(..) => None,
                        })
                        .collect();
                    let count = seqs.first()?.1.len();
                    if seqs.iter().any(|(_, s)| s.len() != count) {
                        return None;
                    }
                    for k in 0..count {
                        if k > 0
                            && let Some(s) = &sep
                        {
                            out.take(1)?;
                            dst.push(respan(s, out.call));
                        }
                        let inner: Bindings = seqs
                            .iter()
                            .map(|(n, s)| ((*n).clone(), s[k].clone()))
                            .collect();
                        let mut scopes = b.clone();
                        scopes.push(&inner);
                        dst.extend(transcribe(&g.stream(), &scopes, out)?);
                    }
                    i += used;
                    continue;
                }
                _ => {}
            }
        }
        match tt {
            TokenTree::Group(g) => {
                out.take(1)?;
                let inner = transcribe(&g.stream(), b, out)?;
                let mut ng = Group::new(g.delimiter(), inner.into_iter().collect());
                ng.set_span(out.call);
                dst.push(TokenTree::Group(ng));
            }
            tt => {
                out.take(1)?;
                dst.push(respan(tt, out.call));
            }
        }
        i += 1;
    }
    Some(dst)
}

fn body_names(ts: &TokenStream, out: &mut Vec<String>) {
    let trees: Vec<TokenTree> = ts.clone().into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Punct(p) if p.as_char() == '$' => {
                if let Some(TokenTree::Ident(n)) = trees.get(i + 1) {
                    out.push(n.to_string());
                }
            }
            TokenTree::Group(g) => body_names(&g.stream(), out),
            _ => {}
        }
    }
}

/// The crate's own macros known in one file, and what expanding them may still produce there.
#[derive(Default)]
pub struct UserMacros {
    rules: FxHashMap<String, std::rc::Rc<MacroRules>>,
    budget_used: usize,
}

impl UserMacros {
    /// Records `macro_rules! name { .. }`; the first definition of a name is kept.
    pub fn define(&mut self, name: String, tokens: &TokenStream) {
        if self.rules.contains_key(&name) {
            return;
        }
        if let Some(r) = parse_rules(tokens) {
            self.rules.insert(name, std::rc::Rc::new(r));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The macro a call names, if it is one of these: `name!` or `crate::name!`.
    fn lookup(&self, path: &syn::Path) -> Option<std::rc::Rc<MacroRules>> {
        let segs = &path.segments;
        let last = match segs.len() {
            1 => segs.first()?,
            2 if segs.first()?.ident == "crate" => segs.last()?,
            _ => return None,
        };
        self.rules.get(&last.ident.to_string()).cloned()
    }

    /// The tokens a call of one of these macros expands to, every one spanned at `call`
    /// (but fragments holding code of their own).
    pub fn expand(&mut self, mac: &syn::Macro, call: Span) -> Option<TokenStream> {
        let rules = self.lookup(&mac.path)?;
        let input: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
        if input.len() > MAX_INPUT {
            return None;
        }
        let left = MAX_OUTPUT.min(FILE_BUDGET.checked_sub(self.budget_used)?);
        for arm in &rules.arms {
            let mut b = Bindings::default();
            let mut pos = 0;
            if !match_seq(&arm.matcher, &input, &mut pos, &mut b) || pos != input.len() {
                continue;
            }
            let mut out = Out { call, left };
            let trees = transcribe(&arm.body, &vec![&b], &mut out);
            self.budget_used += left - out.left;
            return trees.map(|t| t.into_iter().collect());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn expand(def: &str, call: &str) -> Option<String> {
        let mut m = UserMacros::default();
        m.define("m".into(), &def.parse().unwrap());
        let mac: syn::Macro = syn::parse_str(&format!("m!({call})")).unwrap();
        m.expand(&mac, Span::call_site())
            .map(|t| t.to_token_stream().to_string())
    }

    #[test]
    fn fragments_and_arms() {
        let def = "($a:expr, $b:expr, $body:block) => { let _a = $a.lock(); let _b = $b.lock(); $body }; () => { 0 }";
        assert_eq!(
            expand(def, "x, y.z, { go() }").unwrap(),
            "let _a = x . lock () ; let _b = y . z . lock () ; { go () }"
        );
        assert_eq!(expand(def, "").unwrap(), "0");
        assert!(expand(def, "x").is_none());
        // An operator expression keeps its precedence.
        assert_eq!(
            expand("($e:expr) => { $e * 2 }", "a + b").unwrap(),
            "(a + b) * 2"
        );
    }

    #[test]
    fn repetitions() {
        let def = "($($m:ident),* $(,)?) => { $( $m.lock(); )* }";
        assert_eq!(
            expand(def, "a, b, c,").unwrap(),
            "a . lock () ; b . lock () ; c . lock () ;"
        );
        assert_eq!(expand(def, "").unwrap(), "");
    }

    #[test]
    fn bounded() {
        // Each expansion doubles what it is given; a file's budget stops it.
        let mut m = UserMacros::default();
        m.define(
            "m".into(),
            &"($($t:tt)*) => { $($t)* $($t)* }".parse().unwrap(),
        );
        let big = "x ".repeat(MAX_INPUT - 1);
        let mac: syn::Macro = syn::parse_str(&format!("m!({big})")).unwrap();
        let mut made = 0;
        while m.expand(&mac, Span::call_site()).is_some() {
            made += 1;
            assert!(made <= FILE_BUDGET / MAX_INPUT);
        }
        let huge = "x ".repeat(MAX_INPUT + 1);
        let mac: syn::Macro = syn::parse_str(&format!("m!({huge})")).unwrap();
        assert!(m.expand(&mac, Span::call_site()).is_none());
    }
}
