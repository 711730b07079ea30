//! Reading a file's tokens for the screen: its function bodies, constant tables, doc comments
//! and `macro_rules!` bodies (the regions that may be blanked), the words each body holds, and
//! the declarations that pass a word on to another name. Tokens come from `lex.rs`, so
//! strings and comments are never code here either.

use super::{
    BARE, Body, Decl, DeclKind, FileWords, Owner, Region, RegionKind, UNKNOWN, Word, word,
};
use crate::known::words::{self, Classes, Place};
use crate::lex::{Kind, Token};
use rustc_hash::FxHashMap;

/// The tuple fields (`.0`, `.1`, …) a type written with parentheses may be reached by, as far
/// as the screen follows them.
const TUPLE_FIELDS: u32 = 32;

/// `$`: the body may be a macro fragment.
pub const FRAGMENT: Classes = 16;

struct Scan<'s> {
    src: &'s [u8],
    /// Code tokens: no comments.
    toks: Vec<Token>,
    /// The index of the token that closes each opening bracket, when it is balanced.
    close: Vec<u32>,
    classes: FxHashMap<(Word, Place), Classes>,
    /// The names of the file's own `macro_rules!` macros, which extraction expands where a
    /// body calls them: such a body is kept, whatever its own words.
    user_macros: Vec<Word>,
}

const NONE: u32 = u32::MAX;

/// The screen's view of `text` (as it will be parsed: after the byte-order mark and the `#!`
/// line are dealt with), from its tokens (`lex.rs`, comments included).
pub fn scan(text: &str, tokens: &[Token]) -> FileWords {
    let src = text.as_bytes();
    let mut out = FileWords::default();
    let mut toks = Vec::with_capacity(tokens.len());
    for t in tokens {
        match t.kind {
            Kind::LineComment { doc: true } | Kind::BlockComment => {
                if let Some(inner) = doc_comment(&src[t.start..t.end]) {
                    out.regions.push(Region {
                        start: t.start as u32,
                        end: t.end as u32,
                        kind: RegionKind::Doc { inner },
                    });
                }
            }
            Kind::LineComment { doc: false } => {}
            _ => toks.push(*t),
        }
    }
    let close = match_brackets(src, &toks);
    let mut s = Scan {
        src,
        toks,
        close,
        classes: FxHashMap::default(),
        user_macros: vec![],
    };
    s.user_macros = (0..s.toks.len())
        .filter(|&i| {
            s.toks[i].kind == Kind::Ident
                && s.text(i) == b"macro_rules"
                && s.punct(i + 1, b'!')
                && s.ident(i + 2)
        })
        .map(|i| s.plain_word(i + 2))
        .collect();
    s.items(&mut out);
    s.decls(&mut out);
    out.unsafe_impls = s.unsafe_impls();
    s.macro_cell_fields(&mut out);
    out.cell_fields.sort_unstable();
    out.cell_fields.dedup();
    out.regions.sort_by_key(|r| r.start);
    s.outer(&mut out);
    out
}

/// [`scan`], lexing `text` first.
pub fn scan_text(text: &str) -> FileWords {
    let tokens: Vec<Token> = crate::lex::tokens(text.as_bytes());
    scan(text, &tokens)
}

/// A doc comment that can be read as `#[doc]` (or `#![doc]`): `Some(inner)`. Comments too
/// short to hold that, and those with a carriage return (which `proc_macro2` rejects in a doc
/// comment), are left as they are.
fn doc_comment(text: &[u8]) -> Option<bool> {
    let inner = if text.starts_with(b"///") && !text.starts_with(b"////") {
        false
    } else if text.starts_with(b"//!") {
        true
    } else if (text.starts_with(b"/**") && !text.starts_with(b"/***") && text != b"/**/")
        || text.starts_with(b"/*!")
    {
        // `/**` opens a doc comment; `/**/` is an empty plain one.
        text.starts_with(b"/*!")
    } else {
        return None;
    };
    let needed = if inner { 7 } else { 6 };
    // The attribute takes the comment's first bytes: whole characters, and no line break.
    let head = text.get(..needed)?;
    (head.is_ascii() && !head.contains(&b'\n') && !text.contains(&b'\r')).then_some(inner)
}

/// For each opening bracket, the index of its closing one (`NONE` when unbalanced).
fn match_brackets(src: &[u8], toks: &[Token]) -> Vec<u32> {
    let mut close = vec![NONE; toks.len()];
    let mut stack: Vec<(u8, usize)> = vec![];
    for (i, t) in toks.iter().enumerate() {
        if t.kind != Kind::Punct {
            continue;
        }
        match src[t.start] {
            b @ (b'(' | b'[' | b'{') => stack.push((b, i)),
            b @ (b')' | b']' | b'}') => {
                let want = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match stack.last() {
                    Some(&(open, j)) if open == want => {
                        close[j] = i as u32;
                        stack.pop();
                    }
                    // Unbalanced: brackets still open stay unmatched.
                    _ => return close,
                }
            }
            _ => {}
        }
    }
    close
}

/// What a body's items declare, found in its tokens.
#[derive(Default)]
struct Nested {
    /// Names of items lockscan registers in the enclosing module.
    defines: Vec<Word>,
    /// Functions among them.
    fns: Vec<Word>,
    /// A `mod` or a glob `use`: what it changes cannot be told by name.
    structural: bool,
}

impl Scan<'_> {
    fn text(&self, i: usize) -> &[u8] {
        let t = self.toks[i];
        &self.src[t.start..t.end]
    }

    fn byte(&self, i: usize) -> u8 {
        self.src[self.toks[i].start]
    }

    fn punct(&self, i: usize, b: u8) -> bool {
        i < self.toks.len() && self.toks[i].kind == Kind::Punct && self.byte(i) == b
    }

    fn ident(&self, i: usize) -> bool {
        i < self.toks.len() && self.toks[i].kind == Kind::Ident
    }

    fn kw(&self, i: usize, text: &[u8]) -> bool {
        self.ident(i) && self.text(i) == text
    }

    /// Tokens `a` and `a + 1` touch.
    fn touching(&self, a: usize) -> bool {
        a + 1 < self.toks.len() && self.toks[a].end == self.toks[a + 1].start
    }

    /// A `>` that closes an angle bracket (not the arrow of `->` or `=>`).
    fn closes_angle(&self, k: usize) -> bool {
        !(k > 0 && (self.punct(k - 1, b'-') || self.punct(k - 1, b'=')) && self.touching(k - 1))
    }

    /// The identifier at `i` names a macro: `name!(..)`, not `name != x`.
    fn macro_name(&self, i: usize) -> bool {
        self.punct(i + 1, b'!') && !(self.punct(i + 2, b'=') && self.touching(i + 1))
    }

    /// Where the identifier at `i` stands: after a `.` (not `..`) and before `(` or `::` it
    /// is a method; after a `.` otherwise, a field (`None`); before `(` or `::<` (and not
    /// after `fn`), a function called; anywhere else, a path or a name.
    fn place(&self, i: usize) -> Option<Place> {
        let after_dot = i > 0
            && self.punct(i - 1, b'.')
            && !(i >= 2 && self.punct(i - 2, b'.') && self.touching(i - 2));
        let turbofish = self.path_sep(i + 1) && self.punct(i + 3, b'<');
        if after_dot {
            if self.punct(i + 1, b'(') {
                Some(Place::Method {
                    argc: self.argc(i + 1),
                })
            } else if turbofish {
                Some(Place::Method { argc: None })
            } else {
                None
            }
        } else if (self.punct(i + 1, b'(') || turbofish) && !(i > 0 && self.kw(i - 1, b"fn")) {
            Some(Place::Call)
        } else {
            Some(Place::Path)
        }
    }

    /// The number of arguments in the parentheses opening at `open` (a trailing comma
    /// counts nothing), at most 255.
    fn argc(&self, open: usize) -> Option<u8> {
        let close = self.close[open];
        if close == NONE {
            return None;
        }
        let close = close as usize;
        if close == open + 1 {
            return Some(0);
        }
        let mut n = 1u32;
        let mut k = open + 1;
        while k < close {
            if self.toks[k].kind == Kind::Punct {
                match self.byte(k) {
                    b'(' | b'[' | b'{' => {
                        k = self.close[k] as usize;
                        if k == NONE as usize {
                            return None;
                        }
                    }
                    b',' if k + 1 < close => n += 1,
                    _ => {}
                }
            }
            k += 1;
        }
        Some(n.min(255) as u8)
    }

    /// The punctuation at `j` is part of a longer operator (`==`, `=>`, `<=`, `+=`, …).
    fn in_operator(&self, j: usize) -> bool {
        let punct = |k: usize| self.toks[k].kind == Kind::Punct;
        (self.touching(j) && punct(j + 1)) || (j > 0 && punct(j - 1) && self.touching(j - 1))
    }

    /// `::` at `i` and `i + 1`.
    fn path_sep(&self, i: usize) -> bool {
        self.punct(i, b':') && self.punct(i + 1, b':') && self.touching(i)
    }

    /// For an identifier in a path: `None` when a segment follows it (`a` in `a::b`, but not
    /// `f` in `f::<T>()`); else the segment before it ([`BARE`] when there is none,
    /// [`UNKNOWN`] when that is no name).
    fn qualifier(&self, k: usize) -> Option<Word> {
        if self.path_sep(k + 1) && !self.punct(k + 3, b'<') {
            return None;
        }
        if k >= 2 && self.path_sep(k - 2) {
            return Some(if k >= 3 && self.ident(k - 3) {
                self.plain_word(k - 3)
            } else {
                UNKNOWN
            });
        }
        Some(BARE)
    }

    /// The word of the identifier at `i`, and its classes in lockscan's tables where it
    /// stands.
    fn word_at(&mut self, i: usize, place: Place) -> (Word, Classes) {
        let t = self.toks[i];
        let text = &self.src[t.start..t.end];
        let w = word(text);
        let c = *self
            .classes
            .entry((w, place))
            .or_insert_with(|| std::str::from_utf8(text).map_or(0, |s| words::classes(s, place)));
        (w, c)
    }

    fn plain_word(&self, i: usize) -> Word {
        word(self.text(i))
    }

    // ------------------------------------------------------------------ items and regions

    /// Walks the file for `impl` and `trait` blocks, function bodies, constant tables and
    /// `macro_rules!` bodies; a region's inside is not walked again.
    fn items(&mut self, out: &mut FileWords) {
        // Open `impl`/`trait` blocks: the index of their closing brace, who owns their fns,
        // and whether it is an inherent `impl` (its methods may be private).
        let mut owners: Vec<(usize, Owner, bool)> = vec![];
        let mut i = 0;
        while i < self.toks.len() {
            while owners.last().is_some_and(|&(close, ..)| close < i) {
                owners.pop();
            }
            if self.toks[i].kind != Kind::Ident {
                i += 1;
                continue;
            }
            let t = self.text(i);
            if t == b"fn" && self.ident(i + 1) {
                let (owner, inherent) = owners.last().map_or((Owner::Free, false), |o| (o.1, o.2));
                if let Some(end) = self.body(i, owner, inherent && !self.public(i), out) {
                    i = end + 1;
                    continue;
                }
            } else if (t == b"static" || t == b"const")
                && let Some(end) = self.table(i, out)
            {
                i = end + 1;
                continue;
            } else if t == b"macro_rules"
                && self.punct(i + 1, b'!')
                && let Some(end) = self.macro_rules(i, out)
            {
                i = end + 1;
                continue;
            } else if t == b"impl"
                && let Some((open, owner, of_trait)) = self.impl_header(i)
            {
                if let Some(&c) = self.close.get(open).filter(|&&c| c != NONE) {
                    owners.push((c as usize, owner, !of_trait));
                }
                i = open + 1;
                continue;
            } else if t == b"mod" && self.ident(i + 1) {
                out.mods.push(self.plain_word(i + 1));
            } else if t == b"trait" && self.ident(i + 1) {
                let name = self.plain_word(i + 1);
                if let Some(open) = self.block_open(i + 2)
                    && let Some(&c) = self.close.get(open).filter(|&&c| c != NONE)
                {
                    owners.push((c as usize, Owner::Item(name), false));
                    i = open + 1;
                    continue;
                }
            }
            i += 1;
        }
    }

    /// From `j`: the `{` that opens an item's block (past generics, bounds and `where`), or
    /// `None` when a `;` or an unbalanced bracket comes first. A `{` inside angle brackets is
    /// a const generic argument (`Foo<{ N }>`), skipped.
    fn block_open(&self, j: usize) -> Option<usize> {
        match self.item_stop(j) {
            Some((k, b'{')) => Some(k),
            _ => None,
        }
    }

    /// From `j`: the first `{` or `;` outside brackets and angle brackets, with its byte;
    /// `None` at an unbalanced bracket or the end.
    fn item_stop(&self, mut j: usize) -> Option<(usize, u8)> {
        let (mut depth, mut angle) = (0i32, 0i32);
        while j < self.toks.len() {
            if self.toks[j].kind == Kind::Punct {
                match self.byte(j) {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => {
                        depth -= 1;
                        if depth < 0 {
                            return None;
                        }
                    }
                    b'<' if depth == 0 => angle += 1,
                    b'>' if depth == 0 && self.closes_angle(j) => angle = (angle - 1).max(0),
                    b';' if depth == 0 && angle == 0 => return Some((j, b';')),
                    b'}' => return None,
                    b'{' => {
                        if depth == 0 && angle == 0 {
                            return Some((j, b'{'));
                        }
                        match self.close[j] {
                            NONE => return None,
                            c => j = c as usize,
                        }
                    }
                    _ => {}
                }
            }
            j += 1;
        }
        None
    }

    /// At `impl`: the `{` of its block, the type whose functions it holds (the last segment of
    /// the self type's path: `impl<T> fmt::Display for Wrapper<T>` holds `Wrapper`'s), and
    /// whether it implements a trait.
    fn impl_header(&self, at: usize) -> Option<(usize, Owner, bool)> {
        let open = self.block_open(at + 1)?;
        // The self type starts after `for` (outside angle brackets), or after the generics.
        let mut angle = 0i32;
        let mut start = at + 1;
        let mut k = at + 1;
        if self.punct(k, b'<') {
            while k < open {
                if self.toks[k].kind == Kind::Punct {
                    match self.byte(k) {
                        b'<' => angle += 1,
                        b'>' if self.closes_angle(k) => {
                            angle -= 1;
                            if angle == 0 {
                                start = k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                k += 1;
            }
        }
        angle = 0;
        let generics_end = start;
        let mut of_trait = false;
        for k in generics_end..open {
            if self.toks[k].kind == Kind::Punct {
                match self.byte(k) {
                    b'<' => angle += 1,
                    b'>' if self.closes_angle(k) => angle -= 1,
                    _ => {}
                }
            } else if angle == 0 && self.kw(k, b"for") {
                start = k + 1;
                of_trait = true;
            } else if angle == 0 && self.kw(k, b"where") {
                break;
            }
        }
        // The last identifier of the path, before its generic arguments.
        let mut name = None;
        for k in start..open {
            match self.toks[k].kind {
                Kind::Ident => {
                    let t = self.text(k);
                    if !matches!(t, b"mut" | b"dyn" | b"where" | b"const" | b"unsafe") {
                        name = Some(k);
                    }
                    if t == b"where" {
                        break;
                    }
                }
                Kind::Punct if self.byte(k) == b'<' => break,
                _ => {}
            }
        }
        Some((open, Owner::Item(self.plain_word(name?)), of_trait))
    }

    /// Do tokens `from..=to` name a type that holds a hazard of its own: a cell, an `Rc` or a
    /// pointer (`known::cells::hazard_names`, `*const`, `*mut`)?
    fn hazard_in(&self, from: usize, to: usize) -> bool {
        static NAMES: std::sync::OnceLock<Vec<Word>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            (crate::known::cells::hazard_names())
                .map(|n| word(n.as_bytes()))
                .collect()
        });
        (from..=to.min(self.toks.len().saturating_sub(1))).any(|k| match self.toks[k].kind {
            Kind::Ident => names.contains(&self.plain_word(k)),
            Kind::Punct => {
                self.byte(k) == b'*' && (self.kw(k + 1, b"const") || self.kw(k + 1, b"mut"))
            }
            _ => false,
        })
    }

    /// The names a field of a type written in tokens `from..=to` (its `words`) may be reached
    /// by: every word, and the positions of a tuple's fields (`.0`) when it writes one.
    fn cell_fields(&self, from: usize, to: usize, words: &[Word], out: &mut Vec<Word>) {
        out.extend(words);
        let last = to.min(self.toks.len().saturating_sub(1));
        if (from..=last).any(|k| self.punct(k, b'(')) {
            out.extend((0..TUPLE_FIELDS).map(|n| word(n.to_string().as_bytes())));
        }
    }

    /// The same for the types a `macro_rules!` body may write: every word of a body that
    /// names a hazard.
    fn macro_cell_fields(&self, out: &mut FileWords) {
        let mut found = vec![];
        for r in &out.regions {
            if !matches!(r.kind, RegionKind::Macro) {
                continue;
            }
            let from = self.toks.partition_point(|t| t.start < r.start as usize);
            let to = self.toks.partition_point(|t| t.start < r.end as usize);
            if from < to && self.hazard_in(from, to - 1) {
                let words: Vec<Word> = (from..to)
                    .filter(|&k| self.ident(k))
                    .map(|k| self.plain_word(k))
                    .collect();
                self.cell_fields(from, to - 1, &words, &mut found);
            }
        }
        out.cell_fields.extend(found);
    }

    /// Does the file write `unsafe impl .. Send` or `unsafe impl .. Sync` (before the impl's
    /// `{` or `;`)?
    fn unsafe_impls(&self) -> bool {
        (0..self.toks.len()).any(|i| {
            self.kw(i, b"unsafe")
                && self.kw(i + 1, b"impl")
                && (i + 2..self.toks.len())
                    .take_while(|&k| !(self.punct(k, b'{') || self.punct(k, b';')))
                    .any(|k| self.kw(k, b"Send") || self.kw(k, b"Sync"))
        })
    }

    /// Is the `fn` at `at` written with a visibility (`pub`, `pub(crate)`, …) before its
    /// qualifiers?
    fn public(&self, at: usize) -> bool {
        let mut k = at;
        while k > 0 {
            k -= 1;
            match self.toks[k].kind {
                Kind::Ident
                    if matches!(
                        self.text(k),
                        b"const" | b"async" | b"unsafe" | b"extern" | b"default" | b"safe"
                    ) => {}
                // The ABI of `extern "C" fn`.
                Kind::Literal => {}
                Kind::Ident => return self.text(k) == b"pub",
                // `pub(crate)`, `pub(in a::b)`.
                Kind::Punct if self.byte(k) == b')' => {
                    return (k.saturating_sub(8)..k)
                        .any(|j| self.kw(j, b"pub") && self.punct(j + 1, b'('));
                }
                _ => return false,
            }
        }
        false
    }

    /// At `fn NAME`: the body's region, and the index of its closing brace. `private`: it is a
    /// method of an inherent `impl` written with no visibility.
    fn body(
        &mut self,
        at: usize,
        owner: Owner,
        private: bool,
        out: &mut FileWords,
    ) -> Option<usize> {
        let open = self.block_open(at + 2)?;
        let close = self.close[open];
        if close == NONE {
            return None;
        }
        let close = close as usize;
        let name = self.plain_word(at + 1);
        let mut body = Body {
            name,
            owner,
            private,
            // An `unsafe fn`'s body may dereference a raw pointer with no `unsafe` block of its
            // own (before edition 2024).
            unsafe_code: (at.saturating_sub(4)..at).any(|k| self.kw(k, b"unsafe")),
            ..Body::default()
        };
        for k in at..=close {
            if self.toks[k].kind == Kind::Punct {
                if self.byte(k) == b'$' {
                    body.classes |= FRAGMENT;
                }
                continue;
            }
            if self.toks[k].kind == Kind::Ident
                && self.macro_name(k)
                && self.user_macros.contains(&self.plain_word(k))
            {
                body.classes |= FRAGMENT;
                continue;
            }
            if self.toks[k].kind != Kind::Ident || self.macro_name(k) {
                continue;
            }
            if self.text(k) == b"unsafe" {
                body.unsafe_code = true;
            }
            match self.place(k) {
                Some(place @ Place::Method { .. }) => {
                    let (w, c) = self.word_at(k, place);
                    body.method_words.push(w);
                    body.classes |= c;
                }
                Some(place) => {
                    let (w, c) = self.word_at(k, place);
                    body.path_words.push(w);
                    body.classes |= c;
                    if let Some(q) = self.qualifier(k) {
                        body.calls.push((q, w));
                    }
                }
                // After a `.` and no call: a field (`self.slot` in `self.slot.set(..)`).
                None => body.fields.push(self.plain_word(k)),
            }
        }
        let nested = self.nested(open + 1, close);
        body.defines = nested.defines;
        body.fns = nested.fns;
        body.structural = nested.structural;
        for v in [
            &mut body.path_words,
            &mut body.method_words,
            &mut body.fields,
        ] {
            v.sort_unstable();
            v.dedup();
        }
        body.calls.sort_unstable();
        body.calls.dedup();
        out.regions.push(Region {
            start: self.toks[open].end as u32,
            end: self.toks[close].start as u32,
            kind: RegionKind::Body(Box::new(body)),
        });
        Some(close)
    }

    /// The items declared inside a body's tokens `from..to`: lockscan registers them in the
    /// enclosing module.
    fn nested(&mut self, from: usize, to: usize) -> Nested {
        let mut n = Nested::default();
        let mut k = from;
        while k < to {
            if self.toks[k].kind != Kind::Ident {
                k += 1;
                continue;
            }
            let t = self.text(k);
            let named = self.ident(k + 1);
            match t {
                b"fn" if named => {
                    n.fns.push(self.plain_word(k + 1));
                    n.defines.push(self.plain_word(k + 1));
                }
                b"struct" | b"enum" | b"trait" | b"type" if named => {
                    n.defines.push(self.plain_word(k + 1))
                }
                b"union" if named && (self.punct(k + 2, b'{') || self.punct(k + 2, b'<')) => {
                    n.defines.push(self.plain_word(k + 1))
                }
                b"static" => {
                    let j = if self.kw(k + 1, b"mut") || self.kw(k + 1, b"ref") {
                        k + 2
                    } else {
                        k + 1
                    };
                    if self.ident(j) {
                        n.defines.push(self.plain_word(j));
                    }
                }
                b"impl" => match self.impl_header(k) {
                    Some((open, Owner::Item(ty), _)) => {
                        n.defines.push(ty);
                        k = open + 1;
                        continue;
                    }
                    _ => n.structural = true,
                },
                b"use" if !self.punct(k + 1, b'<') => {
                    let end = self.statement_end(k + 1);
                    let mut decls = vec![];
                    let glob = self.use_tree(k + 1, end, &mut decls);
                    n.structural |= glob;
                    n.defines.extend(decls.iter().map(|d| d.name));
                    k = end + 1;
                    continue;
                }
                b"extern" if self.kw(k + 1, b"crate") => {
                    let j = if self.kw(k + 3, b"as") { k + 4 } else { k + 2 };
                    if self.ident(j) {
                        n.defines.push(self.plain_word(j));
                    }
                }
                b"mod" if named => n.structural = true,
                _ => {}
            }
            k += 1;
        }
        n.defines.sort_unstable();
        n.defines.dedup();
        n
    }

    /// At `static` or `const`: `NAME: TYPE = [..];` or `= &[..];`, the table's region and the
    /// index of its `;`.
    fn table(&self, at: usize, out: &mut FileWords) -> Option<usize> {
        let mut j = at + 1;
        if self.kw(j, b"mut") {
            j += 1;
        }
        if !(self.ident(j) && self.punct(j + 1, b':')) {
            return None;
        }
        j += 2;
        // The type, up to `=` outside brackets.
        loop {
            if j >= self.toks.len() || self.punct(j, b';') {
                return None;
            }
            if self.toks[j].kind == Kind::Punct {
                match self.byte(j) {
                    b'(' | b'[' | b'{' => match self.close[j] {
                        NONE => return None,
                        c => j = c as usize,
                    },
                    b')' | b']' | b'}' => return None,
                    // `=` alone, not `==`, `=>`, `<=`, …
                    b'=' if !self.in_operator(j) => break,
                    _ => {}
                }
            }
            j += 1;
        }
        j += 1;
        if self.punct(j, b'&') {
            j += 1;
        }
        if !self.punct(j, b'[') {
            return None;
        }
        let c = self.close[j];
        if c == NONE || !self.punct(c as usize + 1, b';') {
            return None;
        }
        out.regions.push(Region {
            start: self.toks[j].end as u32,
            end: self.toks[c as usize].start as u32,
            kind: RegionKind::Table,
        });
        Some(c as usize + 1)
    }

    /// At `macro_rules`: `! NAME { .. }` (or `( .. );`, `[ .. ];`), its body's region and the
    /// index of its closing bracket.
    fn macro_rules(&self, at: usize, out: &mut FileWords) -> Option<usize> {
        if !self.ident(at + 2) {
            return None;
        }
        let open = at + 3;
        if !(self.punct(open, b'{') || self.punct(open, b'(') || self.punct(open, b'[')) {
            return None;
        }
        let c = self.close[open];
        if c == NONE {
            return None;
        }
        out.regions.push(Region {
            start: self.toks[open].end as u32,
            end: self.toks[c as usize].start as u32,
            kind: RegionKind::Macro,
        });
        Some(c as usize)
    }

    /// The words written outside bodies, tables and `macro_rules!` bodies.
    fn outer(&self, out: &mut FileWords) {
        let mut inside = out
            .regions
            .iter()
            .filter(|r| !matches!(r.kind, RegionKind::Doc { .. }))
            .map(|r| (r.start as usize, r.end as usize))
            .peekable();
        let mut ws = vec![];
        for (k, t) in self.toks.iter().enumerate() {
            while inside.peek().is_some_and(|&(_, end)| end <= t.start) {
                inside.next();
            }
            if inside.peek().is_some_and(|&(a, _)| a <= t.start) {
                continue;
            }
            if t.kind == Kind::Ident {
                ws.push(self.plain_word(k));
            }
        }
        ws.sort_unstable();
        ws.dedup();
        out.outer = ws;
    }

    // ------------------------------------------------------------------ declarations

    /// `use` and `extern crate .. as` bindings, statics and types, wherever they are written
    /// (a body's items are registered in its module too), tables left out.
    fn decls(&mut self, out: &mut FileWords) {
        let skip: Vec<(usize, usize)> = out
            .regions
            .iter()
            .filter(|r| matches!(r.kind, RegionKind::Table | RegionKind::Macro))
            .map(|r| (r.start as usize, r.end as usize))
            .collect();
        // Inline `mod` blocks open here: the index of their closing brace.
        let mut inline: Vec<usize> = vec![];
        let mut i = 0;
        while i < self.toks.len() {
            if self.toks[i].kind != Kind::Ident {
                i += 1;
                continue;
            }
            if let Some(&(_, end)) = skip
                .iter()
                .find(|(a, b)| *a <= self.toks[i].start && self.toks[i].start < *b)
            {
                while i < self.toks.len() && self.toks[i].start < end {
                    i += 1;
                }
                continue;
            }
            let t = self.text(i);
            // `use<'a>` in `impl Trait + use<'a>` is no declaration.
            if t == b"use" && !self.punct(i + 1, b'<') {
                let end = self.statement_end(i + 1);
                if let Some(root) = self.use_tree_root(i + 1, end, &mut out.decls) {
                    while inline.last().is_some_and(|&c| c < i) {
                        inline.pop();
                    }
                    // `self::*`, or one `super::*` inside an inline module: this file's names.
                    let supers = (i + 1..end)
                        .step_by(3)
                        .take_while(|&k| self.kw(k, b"super") && self.path_sep(k + 1))
                        .count();
                    let within = root == word(b"self")
                        || (root == word(b"super") && supers == 1 && !inline.is_empty());
                    out.globs.push((root, within));
                }
                i = end + 1;
                continue;
            }
            if t == b"mod" && self.ident(i + 1) && self.punct(i + 2, b'{') {
                let c = self.close[i + 2];
                if c != NONE {
                    inline.push(c as usize);
                }
            }
            if t == b"extern" && self.kw(i + 1, b"crate") && self.ident(i + 2) {
                if self.kw(i + 3, b"as") && self.ident(i + 4) {
                    let (leaf, classes) = self.word_at(i + 2, Place::Use);
                    out.decls.push(Decl {
                        kind: DeclKind::Use,
                        name: self.plain_word(i + 4),
                        words: vec![leaf],
                        classes,
                    });
                }
                i += 3;
                continue;
            }
            if t == b"static" {
                let mut j = i + 1;
                let mutable = self.kw(j, b"mut");
                if mutable || self.kw(j, b"ref") {
                    j += 1;
                }
                if self.ident(j) && self.punct(j + 1, b':') {
                    let end = self.statement_end(j + 2);
                    let (words, classes) = self.path_words(j + 2, end, &skip);
                    out.decls.push(Decl {
                        kind: DeclKind::Static { mutable },
                        name: self.plain_word(j),
                        words,
                        classes,
                    });
                }
                i = j + 1;
                continue;
            }
            let is_type = matches!(t, b"struct" | b"enum" | b"type")
                || (t == b"union"
                    && self.ident(i + 1)
                    && (self.punct(i + 2, b'{') || self.punct(i + 2, b'<')));
            if is_type && self.ident(i + 1) {
                let end = self.item_end(i + 2);
                let (words, classes) = self.path_words(i + 2, end, &skip);
                if self.hazard_in(i + 2, end) {
                    self.cell_fields(i + 2, end, &words, &mut out.cell_fields);
                }
                out.decls.push(Decl {
                    kind: DeclKind::Type,
                    name: self.plain_word(i + 1),
                    words,
                    classes,
                });
                i += 2;
                continue;
            }
            i += 1;
        }
    }

    /// The words (and classes) of the identifiers of tokens `from..=to`, outside `skip`.
    fn path_words(
        &mut self,
        from: usize,
        to: usize,
        skip: &[(usize, usize)],
    ) -> (Vec<Word>, Classes) {
        let mut ws = vec![];
        let mut classes = 0;
        for k in from..=to.min(self.toks.len().saturating_sub(1)) {
            if !self.ident(k) || self.macro_name(k) {
                continue;
            }
            let start = self.toks[k].start;
            if skip.iter().any(|&(a, b)| a <= start && start < b) {
                continue;
            }
            let (w, c) = self.word_at(k, self.place(k).unwrap_or(Place::Path));
            ws.push(w);
            classes |= c;
        }
        ws.sort_unstable();
        ws.dedup();
        (ws, classes)
    }

    /// The index of the `;` that ends a statement starting at `from` (brackets skipped), or
    /// of the bracket that closes around it, or of the last token.
    fn statement_end(&self, from: usize) -> usize {
        let mut j = from;
        while j < self.toks.len() {
            if self.toks[j].kind == Kind::Punct {
                match self.byte(j) {
                    b';' => return j,
                    b'(' | b'[' | b'{' => match self.close[j] {
                        NONE => return self.toks.len() - 1,
                        c => j = c as usize,
                    },
                    b')' | b']' | b'}' => return j,
                    _ => {}
                }
            }
            j += 1;
        }
        self.toks.len().saturating_sub(1)
    }

    /// The end of a struct, enum, union or type alias whose generics start at `from`: its `;`,
    /// or the closing brace of its body.
    fn item_end(&self, from: usize) -> usize {
        let last = self.toks.len().saturating_sub(1);
        match self.item_stop(from) {
            Some((k, b'{')) => match self.close[k] {
                NONE => last,
                c => c as usize,
            },
            Some((k, _)) => k,
            None => last,
        }
    }

    /// The `use` tree in tokens `from..end`: one [`Decl`] per name it binds, whose one word
    /// is the name it stands for (the path's last segment: `a::b::{self}` binds `b`) and whose
    /// classes are those of every segment (`reqwest::blocking::Client`). Whether it holds a
    /// glob (`*`).
    fn use_tree(&mut self, from: usize, end: usize, out: &mut Vec<Decl>) -> bool {
        self.use_tree_root(from, end, out).is_some()
    }

    /// [`Scan::use_tree`], with the first segment of the tree when it holds a glob
    /// ([`UNKNOWN`] when that is no name: `use ::x::*`).
    fn use_tree_root(&mut self, from: usize, end: usize, out: &mut Vec<Decl>) -> Option<Word> {
        let (self_word, underscore) = (word(b"self"), word(b"_"));
        // Per open group: the classes of the path before it, and its last segment.
        let mut groups: Vec<(Classes, Option<Word>)> = vec![(0, None)];
        // The segments since the last `{` or `,`.
        let mut segs: Vec<(Word, Classes, Classes)> = vec![];
        let mut alias: Option<Word> = None;
        let mut glob = false;
        let emit = |out: &mut Vec<Decl>,
                    group: (Classes, Option<Word>),
                    segs: &[(Word, Classes, Classes)],
                    alias: Option<Word>| {
            let leaf = match segs.last() {
                Some(&(w, _, _)) if w != self_word => Some(w),
                _ => group.1,
            };
            let Some(leaf) = leaf else { return };
            let name = alias.unwrap_or(leaf);
            if name == underscore {
                return;
            }
            out.push(Decl {
                kind: DeclKind::Use,
                name,
                words: vec![leaf],
                classes: group.0
                    | segs.iter().fold(0, |c, s| c | s.1)
                    | segs.last().map_or(0, |s| s.2),
            });
        };
        let mut j = from;
        while j < end.min(self.toks.len()) {
            if self.ident(j) {
                if self.kw(j, b"as") && self.ident(j + 1) {
                    alias = Some(self.plain_word(j + 1));
                    j += 2;
                    continue;
                }
                // A function's name counts as the last segment only (`use std::fs::write`,
                // not `use crate::write::Error`); types and modules anywhere.
                let (w, prefix) = self.word_at(j, Place::Path);
                let (_, leaf) = self.word_at(j, Place::Use);
                segs.push((w, prefix, leaf));
            } else if self.toks[j].kind == Kind::Punct {
                match self.byte(j) {
                    b'{' => {
                        let top = *groups.last().unwrap_or(&(0, None));
                        let classes = top.0 | segs.iter().fold(0, |c, s| c | s.1);
                        // Segments before a group are modules (`use std::thread::{..}`).
                        groups.push((classes, segs.last().map(|s| s.0).or(top.1)));
                        segs.clear();
                        alias = None;
                    }
                    b',' | b'}' => {
                        if !segs.is_empty() {
                            let top = *groups.last().unwrap_or(&(0, None));
                            emit(out, top, &segs, alias.take());
                        }
                        segs.clear();
                        alias = None;
                        if self.byte(j) == b'}' && groups.len() > 1 {
                            groups.pop();
                        }
                    }
                    b'*' => {
                        glob = true;
                        segs.clear();
                    }
                    _ => {}
                }
            }
            j += 1;
        }
        if !segs.is_empty() {
            let top = *groups.last().unwrap_or(&(0, None));
            emit(out, top, &segs, alias);
        }
        glob.then(|| {
            if self.ident(from) {
                self.plain_word(from)
            } else {
                UNKNOWN
            }
        })
    }
}
