//! One lexer for the code that reads source text without a syntax tree: the nesting pre-check
//! before `syn` (`parse::nesting_depth`) and the suppression comments (`extract::comments`),
//! which are not in the tree. It splits bytes into tokens by Rust's lexical rules, so that what
//! looks like code inside a string, a character literal or a comment is never taken for code.
//!
//! It never fails: an unterminated literal or comment runs to the end of the text, and a byte
//! no token starts with is a one-byte [`Kind::Punct`].

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name or keyword; `r#match` is one token.
    Ident,
    /// `'a`, a lifetime or label, with its name.
    Lifetime,
    /// A string, byte string, C string or raw string (with its prefix), or a character or byte
    /// literal.
    Literal,
    /// `// …` up to the end of its line; `doc` for `///` and `//!` (but `////` is plain).
    LineComment { doc: bool },
    /// `/* … */`, nested ones included.
    BlockComment,
    /// One byte of anything else that is not white space: punctuation.
    Punct,
}

/// A token: its kind and its bytes, `src[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Every token of `src`, in a vector made large enough at once for most files (Rust source
/// has about one token per 5 bytes, and rarely more than one per 4), so that it is seldom
/// copied as it grows. Capacity never written is never touched.
pub fn tokens(src: &[u8]) -> Vec<Token> {
    let mut out = Vec::with_capacity(src.len() / 4 + 16);
    out.extend(Lexer::new(src));
    out
}

/// The tokens of a text, in order; white space between them is skipped.
#[derive(Clone)]
pub struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s [u8]) -> Lexer<'s> {
        Lexer { src, pos: 0 }
    }

    /// The next token without taking it.
    pub fn peek(&self) -> Option<Token> {
        self.clone().next()
    }
}

pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let src = self.src;
        let n = src.len();
        let mut i = self.pos;
        while i < n && src[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            self.pos = n;
            return None;
        }
        let start = i;
        let (kind, end) = match src[i] {
            b'/' if src.get(i + 1) == Some(&b'/') => {
                let end = src[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(n, |e| i + e);
                let text = &src[i + 2..end];
                let doc =
                    (text.starts_with(b"/") && !text.starts_with(b"//")) || text.starts_with(b"!");
                (Kind::LineComment { doc }, end)
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                (Kind::BlockComment, block_comment_end(src, i))
            }
            b'"' => (Kind::Literal, string_end(src, i + 1)),
            b'\'' => quote(src, i),
            b if is_ident_byte(b) => {
                let mut j = i;
                while j < n && is_ident_byte(src[j]) {
                    j += 1;
                }
                let word = &src[i..j];
                match src.get(j) {
                    // `r"…"`, `br#"…"#`, `cr"…"`
                    Some(b'"' | b'#') if matches!(word, b"r" | b"br" | b"cr") => {
                        match raw_string_end(src, j) {
                            Some(end) => (Kind::Literal, end),
                            // `r#match`: a raw identifier.
                            None if word == b"r"
                                && src.get(j) == Some(&b'#')
                                && src.get(j + 1).is_some_and(|&b| is_ident_byte(b)) =>
                            {
                                let mut k = j + 1;
                                while k < n && is_ident_byte(src[k]) {
                                    k += 1;
                                }
                                (Kind::Ident, k)
                            }
                            None => (Kind::Ident, j),
                        }
                    }
                    // `b"…"`, `c"…"`
                    Some(b'"') if matches!(word, b"b" | b"c") => {
                        (Kind::Literal, string_end(src, j + 1))
                    }
                    // `b'x'`
                    Some(b'\'') if word == b"b" => match quote(src, j) {
                        (Kind::Literal, end) => (Kind::Literal, end),
                        _ => (Kind::Ident, j),
                    },
                    _ => (Kind::Ident, j),
                }
            }
            _ => (Kind::Punct, i + 1),
        };
        let end = end.clamp(start + 1, n);
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

/// From the `/*` at `i`: the index after the matching `*/` (or the end).
fn block_comment_end(src: &[u8], mut i: usize) -> usize {
    let n = src.len();
    let mut nest = 1;
    i += 2;
    while i < n && nest > 0 {
        if src[i] == b'/' && src.get(i + 1) == Some(&b'*') {
            nest += 1;
            i += 2;
        } else if src[i] == b'*' && src.get(i + 1) == Some(&b'/') {
            nest -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    i.min(n)
}

/// From just after a string's opening quote: the index after the closing quote (or the end).
fn string_end(src: &[u8], mut i: usize) -> usize {
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    src.len()
}

/// At the `#`s or `"` after `r`, `br` or `cr`: the index after the raw string, or `None` when
/// this is no raw string (`r#ident`).
fn raw_string_end(src: &[u8], mut i: usize) -> Option<usize> {
    let hashes = src[i..].iter().take_while(|&&b| b == b'#').count();
    i += hashes;
    if src.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < src.len() {
        if src[i] == b'"'
            && src[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&b| b == b'#')
                .count()
                == hashes
        {
            return Some((i + 1 + hashes).min(src.len()));
        }
        i += 1;
    }
    Some(src.len())
}

/// At a `'`: a character literal (`'a'`, `'\n'`, `'é'`, `'\u{1F600}'`), or a lifetime or label
/// (`'a`, `'static`) with its name.
fn quote(src: &[u8], i: usize) -> (Kind, usize) {
    let n = src.len();
    match src.get(i + 1) {
        Some(b'\\') => {
            // The escaped character, then up to the closing quote on this line.
            let mut j = i + 3;
            while j < n && src[j] != b'\'' && src[j] != b'\n' {
                j += 1;
            }
            let end = if j < n && src[j] == b'\'' { j + 1 } else { j };
            (Kind::Literal, end)
        }
        Some(&c) => {
            let width = match c {
                0xf0.. => 4,
                0xe0.. => 3,
                0x80.. => 2,
                _ => 1,
            };
            if src.get(i + 1 + width) == Some(&b'\'') {
                (Kind::Literal, i + 2 + width)
            } else {
                let mut j = i + 1;
                while j < n && is_ident_byte(src[j]) {
                    j += 1;
                }
                (Kind::Lifetime, j)
            }
        }
        None => (Kind::Punct, i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        Lexer::new(src.as_bytes())
            .map(|t| (t.kind, &src[t.start..t.end]))
            .collect()
    }

    #[test]
    fn splits_code_literals_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("let s = r#\"a\"b\"#; // x\n/* /* */ */ 'a: loop { b'\\n' }"),
            vec![
                (Ident, "let"),
                (Ident, "s"),
                (Punct, "="),
                (Literal, "r#\"a\"b\"#"),
                (Punct, ";"),
                (LineComment { doc: false }, "// x"),
                (BlockComment, "/* /* */ */"),
                (Lifetime, "'a"),
                (Punct, ":"),
                (Ident, "loop"),
                (Punct, "{"),
                (Literal, "b'\\n'"),
                (Punct, "}"),
            ]
        );
    }

    #[test]
    fn doc_comments_raw_identifiers_and_prefixed_strings() {
        use Kind::*;
        assert_eq!(
            kinds("/// d\n//! e\n//// f\nr#match br\"x\" c\"y\" b\"z\" 'é' '\\u{1F600}' 'static"),
            vec![
                (LineComment { doc: true }, "/// d"),
                (LineComment { doc: true }, "//! e"),
                (LineComment { doc: false }, "//// f"),
                (Ident, "r#match"),
                (Literal, "br\"x\""),
                (Literal, "c\"y\""),
                (Literal, "b\"z\""),
                (Literal, "'é'"),
                (Literal, "'\\u{1F600}'"),
                (Lifetime, "'static"),
            ]
        );
    }

    #[test]
    fn unterminated_tokens_run_to_the_end_without_panicking() {
        for src in [
            "\"abc",
            "r#\"abc",
            "/* /*",
            "'\\",
            "'",
            "b'",
            "r#",
            "br##\"x\"#",
        ] {
            let toks: Vec<Token> = Lexer::new(src.as_bytes()).collect();
            assert!(
                toks.iter().all(|t| t.start < t.end && t.end <= src.len()),
                "{src}"
            );
            assert_eq!(toks.last().map(|t| t.end), Some(src.len()), "{src}");
        }
    }
}
