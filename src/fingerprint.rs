//! Fingerprints: one identity per finding that survives line shifts, used by SARIF
//! (`partialFingerprints`), GitLab (`fingerprint`) and the baseline.
//!
//! A fingerprint is made of stable things only, never line numbers: the rule, the file's
//! package and path relative to its unit's root, the items the finding sits in (`Counter::bump`), the text of
//! the primary span's lines with all whitespace removed, and an occurrence index that tells
//! apart findings for which all of these are equal. Moving code, or adding lines above it,
//! keeps the fingerprint; editing the flagged line or renaming its function changes it.
//!
//! Labels are left out on purpose: `static_mut` labels every access of the static, and a new
//! access elsewhere must not make the finding look new.

use crate::facts::ItemExtent;
use crate::span::Span;

/// Up to this many lines of the primary span are hashed.
const MAX_LINES: usize = 8;

/// FNV-1a, 128 bits: small, fast, and defined by its constants (no dependency whose output
/// could change between versions).
#[derive(Clone, Copy)]
struct Fnv(u128);

impl Fnv {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    fn new() -> Fnv {
        Fnv(Self::OFFSET)
    }

    fn bytes(mut self, b: &[u8]) -> Fnv {
        for &x in b {
            self.0 ^= u128::from(x);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
        self
    }

    /// A field and its end marker, so that ("ab", "c") and ("a", "bc") differ.
    fn field(self, s: &str) -> Fnv {
        self.bytes(s.as_bytes()).bytes(&[0xff])
    }
}

/// Everything but the occurrence index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u128);

/// The names of the items around `span`, outermost first: `tests::Counter::bump`.
pub fn context(outline: &[ItemExtent], span: Span) -> String {
    let mut names = vec![];
    let mut at = crate::extract::outline::innermost(outline, span.lo);
    while let Some(i) = at {
        let item = &outline[i as usize];
        names.push(item.name.as_str());
        at = item.parent;
    }
    names.reverse();
    names.join("::")
}

/// The text of the lines `span` covers, whitespace removed.
pub fn line_text(text: &str, span: Span) -> String {
    let first = span.lo.line.max(1) as usize - 1;
    let count = (span.hi.line.max(span.lo.line) - span.lo.line) as usize + 1;
    text.lines()
        .skip(first)
        .take(count.min(MAX_LINES))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

pub fn key(rule: &str, package: &str, path: &str, context: &str, text: &str) -> Key {
    Key(Fnv::new()
        .field("lockscan-fingerprint-v1")
        .field(rule)
        .field(package)
        .field(path)
        .field(context)
        .field(text)
        .0)
}

/// The fingerprint of the `occurrence`-th finding (from 0, in file order) with this key.
pub fn fingerprint(key: Key, occurrence: u32) -> String {
    let h = Fnv(key.0).field(&occurrence.to_string()).0;
    format!("{h:032x}")
}

/// Another fingerprint for the `n`-th finding that got `fingerprint` (units with identical
/// copies of a package).
pub fn disambiguate(fingerprint: &str, n: u32) -> String {
    let h = Fnv::new().field(fingerprint).field(&n.to_string()).0;
    format!("{h:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ItemKind;
    use crate::intern::Sym;
    use crate::span::Pos;

    fn span(lo: u32, hi: u32) -> Span {
        Span {
            lo: Pos { line: lo, col: 5 },
            hi: Pos { line: hi, col: 9 },
        }
    }

    #[test]
    fn known_values_do_not_change() {
        // A fingerprint is stored in baselines: changing the function breaks every one of them.
        let k = key(
            "double_lock",
            "demo",
            "src/lib.rs",
            "Counter::bump",
            "letg=self.n.lock();",
        );
        // Computed independently (FNV-1a 128 over the fields, each followed by 0xff).
        assert_eq!(fingerprint(k, 0), "a4b384fe8ada34131ca2189a8264c34a");
        assert_ne!(fingerprint(k, 0), fingerprint(k, 1));
        assert_eq!(fingerprint(k, 0).len(), 32);
        assert_eq!(
            format!("{:032x}", Fnv::new().bytes(b"a").0),
            "d228cb696f1a8caf78912b704e4a8964"
        );
    }

    #[test]
    fn whitespace_and_line_numbers_do_not_matter() {
        let a = "fn f() {\n    let g = m.lock();\n}\n";
        let b = "\n\n// moved\nfn f() {\n  let  g=m.lock();\n}\n";
        assert_eq!(line_text(a, span(2, 2)), line_text(b, span(5, 5)));
        assert_eq!(line_text(a, span(2, 2)), "letg=m.lock();");
    }

    #[test]
    fn fields_are_separated() {
        assert_ne!(key("a", "", "bc", "", ""), key("ab", "", "c", "", ""));
        assert_ne!(disambiguate("ab", 1), disambiguate("ab", 2));
    }

    #[test]
    fn context_names_the_enclosing_items() {
        let item = |name: &str, lo, hi, parent| ItemExtent {
            kind: ItemKind::Fn,
            name: Sym::new(name),
            span: span(lo, hi),
            parent,
        };
        let outline = vec![item("Counter", 1, 10, None), item("bump", 2, 5, Some(0))];
        assert_eq!(context(&outline, span(3, 3)), "Counter::bump");
        assert_eq!(context(&outline, span(7, 7)), "Counter");
        assert_eq!(context(&outline, span(12, 12)), "");
    }
}
