//! `// lockscan: allow(rule, …) -- reason` comments. Comments are not in the syntax tree, so
//! the source text is scanned with [`crate::lex`], which skips string, raw string and character
//! literals and block comments, so that the directive is only found in real line comments.

use crate::facts::{ItemExtent, SuppressionFact};
use crate::lex::{Kind, Lexer};
use crate::span::{Pos, Span};

/// What every directive starts with, after `//` and blanks.
pub const DIRECTIVE: &str = "lockscan:";

/// A line comment the lexer found: where it is and its text after `//`.
struct LineComment<'s> {
    line: u32,
    /// 1-based column of the first `/`, in characters.
    col: u32,
    text: &'s str,
    /// 1-based column just after the last code character before it, when trailing.
    code_end: u32,
    /// Code precedes it on its line.
    trailing: bool,
}

/// The suppression comments of `src`, with the lines each covers. `outline` gives the items,
/// so that a comment directly above an item covers the whole item.
pub fn suppressions(src: &str, outline: &[ItemExtent]) -> Vec<SuppressionFact> {
    if !src.contains(DIRECTIVE) {
        return vec![];
    }
    let scan = scan(src);
    let mut out = vec![];
    for c in &scan.comments {
        let body = c.text.trim_start();
        let Some(rest) = body.strip_prefix(DIRECTIVE) else {
            continue;
        };
        let end_col = c.col + 2 + c.text.chars().count() as u32;
        let span = Span {
            lo: Pos {
                line: c.line,
                col: c.col,
            },
            hi: Pos {
                line: c.line,
                col: end_col,
            },
        };
        // Column of `rest`'s first character.
        let rest_col = end_col - rest.chars().count() as u32;
        let (rules, reason, malformed) = parse(rest, c.line, rest_col);
        let covers = if c.trailing {
            (c.line, c.line)
        } else {
            // The next line that is not a plain comment (stacked suppressions share a target);
            // the whole item when one starts there.
            let mut target = c.line + 1;
            while scan.comment_only.binary_search(&target).is_ok() {
                target += 1;
            }
            let item_end = outline
                .iter()
                .filter(|i| i.span.lo.line == target)
                .map(|i| i.span.hi.line)
                .max();
            (target, item_end.unwrap_or(target).max(target))
        };
        let removal = if c.trailing {
            Span {
                lo: Pos {
                    line: c.line,
                    col: c.code_end,
                },
                hi: span.hi,
            }
        } else {
            Span {
                lo: Pos {
                    line: c.line,
                    col: 1,
                },
                hi: Pos {
                    line: c.line + 1,
                    col: 1,
                },
            }
        };
        out.push(SuppressionFact {
            span,
            removal,
            trailing: c.trailing,
            covers,
            rules,
            reason,
            malformed,
        });
    }
    out
}

type Parsed = (Vec<(Box<str>, Span)>, Option<Box<str>>, Option<Box<str>>);

/// Parses what follows `lockscan:`: ` allow(a, b) -- reason`. `col` is the column of `rest`.
fn parse(rest: &str, line: u32, col: u32) -> Parsed {
    let bad = |why: &str| (vec![], None, Some(why.into()));
    let trimmed = rest.trim_start();
    let mut col = col + (rest.chars().count() - trimmed.chars().count()) as u32;
    let Some(args) = trimmed.strip_prefix("allow") else {
        return bad("expected `allow(rule, …)` after `lockscan:`");
    };
    col += 5;
    let after = args.trim_start();
    col += (args.chars().count() - after.chars().count()) as u32;
    let Some(inner) = after.strip_prefix('(') else {
        return bad("expected `(` after `allow`");
    };
    col += 1;
    let Some(close) = inner.find(')') else {
        return bad("this `allow(` is not closed");
    };
    let list = &inner[..close];
    let mut rules = vec![];
    let mut c = col;
    for part in list.split(',') {
        let name = part.trim();
        let lead = (part.chars().count() - part.trim_start().chars().count()) as u32;
        let lo = c + lead;
        let hi = lo + name.chars().count() as u32;
        c += part.chars().count() as u32 + 1;
        if name.is_empty() {
            if list.trim().is_empty() {
                return bad("`allow()` names no rule");
            }
            return bad("empty rule name in `allow(…)`");
        }
        if !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == ':')
        {
            return bad("rule names are written like `double_lock`, separated by commas");
        }
        rules.push((
            name.into(),
            Span {
                lo: Pos { line, col: lo },
                hi: Pos { line, col: hi },
            },
        ));
    }
    let tail = inner[close + 1..].trim();
    let reason = if tail.is_empty() {
        None
    } else if let Some(r) = tail.strip_prefix("--") {
        let r = r.trim();
        (!r.is_empty()).then(|| r.into())
    } else {
        return bad("expected `-- reason` after `allow(…)`");
    };
    (rules, reason, None)
}

struct Scan<'s> {
    comments: Vec<LineComment<'s>>,
    /// Lines holding only a plain `//` comment (not a doc comment), sorted.
    comment_only: Vec<u32>,
}

/// Finds the plain line comments of `src` (doc comments are code: attributes).
fn scan(src: &str) -> Scan<'_> {
    let b = src.as_bytes();
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut code_on_line = false;
    let mut comments = vec![];
    let mut comment_only = vec![];
    let mut prev_end = 0;
    for t in Lexer::new(b) {
        for (k, &c) in b[prev_end..t.start].iter().enumerate() {
            if c == b'\n' {
                line += 1;
                line_start = prev_end + k + 1;
                code_on_line = false;
            }
        }
        match t.kind {
            Kind::LineComment { doc: false } => {
                let text = &src[t.start + 2..t.end];
                let before = &src[line_start..t.start];
                comments.push(LineComment {
                    line,
                    col: before.chars().count() as u32 + 1,
                    code_end: before.trim_end().chars().count() as u32 + 1,
                    text: text.strip_suffix('\r').unwrap_or(text),
                    trailing: code_on_line,
                });
                if !code_on_line {
                    comment_only.push(line);
                }
            }
            Kind::BlockComment => {}
            // A doc comment is an attribute: code.
            _ => code_on_line = true,
        }
        // Lines inside a literal hold code; lines inside a block comment start without.
        for (k, &c) in b[t.start..t.end].iter().enumerate() {
            if c == b'\n' {
                line += 1;
                line_start = t.start + k + 1;
                code_on_line = t.kind != Kind::BlockComment;
            }
        }
        prev_end = t.end;
    }
    Scan {
        comments,
        comment_only,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ItemKind;
    use crate::intern::Sym;

    fn sup(src: &str) -> Vec<SuppressionFact> {
        suppressions(src, &[])
    }

    fn names(s: &SuppressionFact) -> Vec<&str> {
        s.rules.iter().map(|(n, _)| &**n).collect()
    }

    #[test]
    fn reads_rules_reason_and_spans() {
        let s = sup(
            "fn f() {\n    g(); // lockscan: allow(double_lock, static_mut) -- on purpose\n}\n",
        );
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert!(s.trailing);
        assert_eq!(s.covers, (2, 2));
        assert_eq!(names(s), ["double_lock", "static_mut"]);
        assert_eq!(s.reason.as_deref(), Some("on purpose"));
        assert_eq!(s.malformed, None);
        assert_eq!(s.span.lo, Pos { line: 2, col: 10 });
        assert_eq!(s.removal.lo, Pos { line: 2, col: 9 });
        assert_eq!(s.removal.hi, s.span.hi);
        // `double_lock` starts after `// lockscan: allow(`.
        assert_eq!(s.rules[0].1.lo, Pos { line: 2, col: 29 });
        assert_eq!(s.rules[0].1.hi, Pos { line: 2, col: 40 });
        assert_eq!(s.rules[1].1.lo, Pos { line: 2, col: 42 });
    }

    #[test]
    fn a_comment_on_its_own_line_covers_the_next_code_line() {
        let s = sup("// lockscan: allow(a)\n// lockscan: allow(b)\n// plain\nlet x = 1;\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].covers, (4, 4));
        assert_eq!(s[1].covers, (4, 4));
        assert!(!s[0].trailing);
        assert_eq!(s[0].removal.lo, Pos { line: 1, col: 1 });
        assert_eq!(s[0].removal.hi, Pos { line: 2, col: 1 });
    }

    #[test]
    fn a_comment_above_an_item_covers_the_item() {
        let outline = vec![ItemExtent {
            kind: ItemKind::Fn,
            name: Sym::new("f"),
            span: Span {
                lo: Pos { line: 2, col: 1 },
                hi: Pos { line: 9, col: 2 },
            },
            parent: None,
        }];
        let s = suppressions("// lockscan: allow(a)\n/// docs\nfn f() {}\n", &outline);
        assert_eq!(s[0].covers, (2, 9));
    }

    #[test]
    fn strings_and_doc_comments_are_not_directives() {
        let src = r##"
const A: &str = "// lockscan: allow(a)";
const B: &str = r#"// lockscan: allow(b)"#;
const C: &[u8] = br"// lockscan: allow(c)";
const D: char = '"'; // lockscan: allow(d)
/// lockscan: allow(e)
//! lockscan: allow(f)
fn f<'a>(x: &'a str) -> &'a str { x } // lockscan: allow(g)
/* // lockscan: allow(h) */
const E: &str = "\" // lockscan: allow(i)";
"##;
        let all = sup(src);
        let found: Vec<&str> = all.iter().flat_map(names).collect();
        assert_eq!(found, ["d", "g"]);
    }

    #[test]
    fn malformed_directives_say_why() {
        let why = |src: &str| sup(src)[0].malformed.clone().unwrap().to_string();
        assert_eq!(
            why("// lockscan: alow(a)"),
            "expected `allow(rule, …)` after `lockscan:`"
        );
        assert_eq!(why("// lockscan: allow a"), "expected `(` after `allow`");
        assert_eq!(why("// lockscan: allow(a"), "this `allow(` is not closed");
        assert_eq!(why("// lockscan: allow()"), "`allow()` names no rule");
        assert_eq!(
            why("// lockscan: allow(a,,b)"),
            "empty rule name in `allow(…)`"
        );
        assert_eq!(
            why("// lockscan: allow(a) because"),
            "expected `-- reason` after `allow(…)`"
        );
        assert_eq!(
            why("// lockscan: allow(a b)"),
            "rule names are written like `double_lock`, separated by commas"
        );
    }

    #[test]
    fn a_reason_is_optional() {
        let s = sup("// lockscan: allow(a)\n");
        assert_eq!(s[0].reason, None);
        assert_eq!(s[0].malformed, None);
    }

    #[test]
    fn unterminated_literals_do_not_panic() {
        for src in [
            "// lockscan:\n\"",
            "// lockscan:\nr#\"",
            "// lockscan:\n'",
            "// lockscan:\n'\\",
            "// lockscan:\n/*",
            "r",
            "lockscan: br",
        ] {
            let _ = sup(src);
        }
    }
}
