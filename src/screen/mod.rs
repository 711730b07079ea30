//! The screen: which function bodies can matter to a rule, decided from tokens before `syn`
//! reads anything, so that the ones that cannot are never parsed.
//!
//! Only the *inside* of a function body (and of a constant table, `static T: [u16; N] = [..]`)
//! is ever left out, and only by blanking it: every byte of it becomes white space of the same
//! width, so that `syn` parses `fn f(..) -> R {   }` and every item, signature, `use`, `mod`,
//! attribute, struct field and impl is read exactly as before, at the same line and column. What
//! is lost is what extraction would have recorded inside that body: its events, calls, holders,
//! closures and static references. The screen leaves a body out only when none of that can reach
//! a finding:
//!
//! - its tokens (signature and body) hold no word of the vocabulary ([`crate::known::words`] and
//!   the configuration): no lock method, guard type, condvar wait, sleep, blocking call, I/O
//!   method or atomic ordering, so it takes no lock and holds no guard of its own;
//! - it names no function whose body is kept for an effect (a fixpoint over names across the
//!   unit: the name of a function that may lock, sleep or block is an effect word too, and so is
//!   a `use` alias of one), so calling it cannot lock, sleep, block or return a guard;
//! - it names no `static mut`, nor a static whose type holds a lock or an atomic (the
//!   `static_mut` rule and the fixes list every mention);
//! - in a unit that promises `Send` or `Sync` by hand (`unsafe impl`), it does not use a field
//!   of a type written with a cell, an `Rc` or a raw pointer (it names none of that type's
//!   words after a `.`, or no access method of a cell or a pointer and no `unsafe`), nor call
//!   a function that may (`unsafe_sync_impl` lists those uses wherever they are, and asks
//!   whether the callers of a private method hold a lock);
//! - it declares no item (`fn`, `struct`, `use`, `static`, `impl`, `mod`, …): lockscan registers
//!   those in the enclosing module, where other code resolves names through them;
//! - it holds no `$`: it may be a macro fragment, which `syn` may read as items only once
//!   blanked.
//!
//! Names are compared as written, without resolution (a word is a hash of the identifier), so
//! the screen can only keep too much, never too little. A constant table is never analysed
//! (its facts are its type, its text, taken from the original source, and its span), so it is
//! always blanked. The test `tests/it/screen.rs` runs every fixture with and without the screen,
//! and `scripts/screen-equality` the corpus.
//!
//! What the screen cannot keep equal: a syntax error inside a blanked body. `syn` never sees
//! it, so the file is analysed instead of being reported as a `parse_error` (unbalanced
//! delimiters and unterminated literals and comments are still seen: the screen finds no body to
//! blank, and `syn` reports them).

mod scan;

pub use scan::{FRAGMENT, scan, scan_text};

use crate::known::words::{EFFECT, LOCAL, TYPE};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// An identifier as the screen compares it: a hash of its text. Two words that collide only
/// make the screen keep more: it reads them as one name. 32 bits, so that the cache keeps
/// half as much of each file's words (a unit's few thousand names rarely collide, and a
/// collision costs only a body parsed).
pub type Word = u32;

/// The word of an identifier: never [`BARE`] or [`UNKNOWN`].
pub fn word(ident: &[u8]) -> Word {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(ident);
    h.write_u8(0xff);
    let h = h.finish();
    ((h ^ (h >> 32)) as u32).max(UNKNOWN + 1)
}

/// What the screen knows of one file, from its tokens alone: the regions it may blank, the
/// declarations that carry a word to another name (aliases, statics, types), and the words
/// written outside the regions. It depends on the file's text only, so it is cached by the
/// text's hash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileWords {
    /// In text order.
    pub regions: Vec<Region>,
    pub decls: Vec<Decl>,
    /// Every identifier outside bodies, tables and `macro_rules!` bodies, sorted, without
    /// repeats: what names an item declared inside a body may be looked up by.
    pub outer: Vec<Word>,
    /// The names of the modules it declares (`mod name;`, `mod name { .. }`).
    pub mods: Vec<Word>,
    /// Its glob imports: the first segment of each, and whether it only reaches names of this
    /// file (`self::*`, or `super::*` in an inline module).
    pub globs: Vec<(Word, bool)>,
    /// It promises `Send` or `Sync` by hand (`unsafe impl Sync for T`).
    pub unsafe_impls: bool,
    /// The words of the types it writes with a cell, an `Rc` or a raw pointer in them (struct
    /// fields, enums, aliases, and the bodies of `macro_rules!` that name one), with `0`, `1`,
    /// … where they write a tuple: every name a field that `unsafe_sync_impl` judges may be
    /// reached by. Sorted, without repeats.
    pub cell_fields: Vec<Word>,
}

/// Bytes of the text the screen may blank: `start..end`, in the text as parsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub start: u32,
    pub end: u32,
    pub kind: RegionKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionKind {
    /// The inside of a function's body: blanked when nothing in it can matter.
    Body(Box<Body>),
    /// The inside of a constant table's brackets (`static T: [u16; N] = [..];`): extraction
    /// keeps its type, its span and its text (read from the original), never what is inside.
    Table,
    /// The inside of a `macro_rules!` definition: its words are not the file's, and it is
    /// never blanked (extraction expands the file's own macros).
    Macro,
    /// A doc comment: read as `#[doc]` (`#![doc]` when `inner`), an attribute at the same
    /// place whose text extraction does not read.
    Doc { inner: bool },
}

/// Who a function belongs to, as far as calling it goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// A free function: called by its path.
    #[default]
    Free,
    /// A function of an `impl` (of this type) or a `trait` (of this name): called as a method,
    /// or by a path that names the type (`Type::f`, `Self::f`, or an alias of the type).
    Item(Word),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// The function's name.
    pub name: Word,
    pub owner: Owner,
    /// The identifiers of the signature and body written as a path or a name (not after a
    /// `.`, not a macro's name), sorted, without repeats.
    pub path_words: Vec<Word>,
    /// Those that end a path (`f` in `a::f(..)`, `Type::f`, or a name alone), each with the
    /// segment before it: [`BARE`] when there is none, [`UNKNOWN`] when it is no name
    /// (`<T as Tr>::f`, `Type::<A>::f`). Sorted, without repeats.
    pub calls: Vec<(Word, Word)>,
    /// The identifiers written as a method call (`.name(`, `.name::<`).
    pub method_words: Vec<Word>,
    /// The identifiers (and tuple positions) written after a `.` with no call: fields.
    /// Sorted, without repeats.
    pub fields: Vec<Word>,
    /// The classes its words have in lockscan's tables where they stand, and [`FRAGMENT`].
    pub classes: u8,
    /// Names of the items it declares (lockscan registers them in the module).
    pub defines: Vec<Word>,
    /// The functions among them.
    pub fns: Vec<Word>,
    /// It declares a `mod` or a glob `use`.
    pub structural: bool,
    /// It holds `unsafe` (a raw pointer's target may be reached).
    pub unsafe_code: bool,
    /// A method of an inherent `impl` written with no visibility: a rule may ask whether
    /// every caller holds a lock around its calls.
    pub private: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeclKind {
    /// A name a `use` (or `extern crate .. as`) binds: its one word is the name it stands for
    /// (the path's last segment), its classes those of the whole path.
    Use,
    /// A `static` (plain, `mut`, `lazy_static!`, `thread_local!`), with the words of its type
    /// and initializer.
    Static { mutable: bool },
    /// A struct, enum, union or type alias, with the words of its fields or definition.
    Type,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decl {
    pub kind: DeclKind,
    pub name: Word,
    pub words: Vec<Word>,
    pub classes: u8,
}

/// The qualifier of a path's last segment when it has none (`f(..)`).
pub const BARE: Word = 0;
/// The qualifier of a path's last segment when the segment before it is no name.
pub const UNKNOWN: Word = 1;

/// What the configuration adds to the vocabulary.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    effects: Vec<Word>,
}

impl Vocabulary {
    pub fn new(api: &crate::known::Api) -> Vocabulary {
        Vocabulary {
            effects: api
                .configured_words()
                .iter()
                .map(|s| word(s.as_str().as_bytes()))
                .collect(),
        }
    }
}

/// Why the screen keeps a body (for `screen_probe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// A word of the vocabulary.
    Vocabulary,
    /// It calls a function kept for an effect (the word): by a path to a free function, as a
    /// method, or by a path that names the method's type.
    Calls(Word, Route),
    /// It names a static the rules list the mentions of (the word).
    Static(Word),
    /// An atomic's ordering, or `$`.
    Local,
    /// In a unit with `unsafe impl Send` or `Sync`: it may use a field through a cell or a
    /// pointer, or calls a function that may.
    Cells,
    /// It declares an item that other code may name (the word), or a module or glob import.
    Items(Option<Word>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Free,
    Method,
    Typed,
}

/// The sets the screen grows to a fixpoint over one unit.
#[derive(Default)]
struct Sets {
    /// The configured words: effects wherever they are written.
    configured: FxHashSet<Word>,
    /// Names of free functions that may have an effect (and of `use` aliases of them): what
    /// a path through a module may call.
    free: FxHashSet<Word>,
    /// Per file: the same names, that a path of one segment may call there (those of its own
    /// functions and imports, and every one when it imports a module of the unit with `*`).
    scope: Vec<FxHashSet<Word>>,
    /// Per file: it imports a module of the unit with `*`.
    glob: Vec<bool>,
    /// Names of methods (and trait functions) that may have an effect.
    methods: FxHashSet<Word>,
    /// The same, by name: the types (or traits) they belong to, one of which a path that
    /// calls them must name.
    owners: FxHashMap<Word, Vec<Word>>,
    /// Statics the rules list the mentions of.
    statics: FxHashSet<Word>,
    /// Types that hold a lock, a guard or an atomic.
    types: FxHashSet<Word>,
    /// Other names a type or module is imported by (`use a::T as U`): leaf → aliases.
    aliases: FxHashMap<Word, Vec<Word>>,
    /// Words written outside regions, or inside a kept one.
    mentioned: FxHashSet<Word>,
    /// Names a module of the unit may be reached by: a path to a free function goes through
    /// one (`m::f`), or has no qualifier at all.
    modules: FxHashSet<Word>,
}

impl Sets {
    /// Does a body of file `fi` call something that may have an effect?
    fn calls(&self, fi: usize, b: &Body) -> Option<(Word, Route)> {
        if let Some(&w) =
            (b.path_words.iter().chain(&b.method_words)).find(|w| self.configured.contains(w))
        {
            return Some((w, Route::Free));
        }
        let free = b.calls.iter().find(|&&(q, w)| {
            if q == BARE {
                self.scope[fi].contains(&w) || (self.glob[fi] && self.free.contains(&w))
            } else {
                self.free.contains(&w) && (q == UNKNOWN || self.modules.contains(&q))
            }
        });
        if let Some(&(_, w)) = free {
            return Some((w, Route::Free));
        }
        if let Some(&w) = b.method_words.iter().find(|w| self.methods.contains(w)) {
            return Some((w, Route::Method));
        }
        let self_ty = word(b"Self");
        let typed = b.calls.iter().find(|&&(q, w)| {
            q != BARE
                && self.owners.get(&w).is_some_and(|owners| {
                    q == UNKNOWN
                        || q == self_ty
                        || owners
                            .iter()
                            .any(|t| *t == q || self.aliases.get(t).is_some_and(|a| a.contains(&q)))
                })
        });
        typed.map(|&(_, w)| (w, Route::Typed))
    }
}

/// Which regions of each file of a unit to blank (by index in [`FileWords::regions`], in
/// order). `None` stands for a file the screen has no words for (it is parsed whole).
///
/// `modules` are the other names a module of the unit has: its files' and directories' names
/// (a file no `mod` declares is placed by where it lies) and its crates'.
pub fn decide(files: &[Option<&FileWords>], modules: &[Word], vocab: &Vocabulary) -> Vec<Vec<u32>> {
    decide_why(files, modules, vocab).0
}

/// [`decide`], with why each body that is kept is kept.
pub fn decide_why(
    files: &[Option<&FileWords>],
    modules: &[Word],
    vocab: &Vocabulary,
) -> (Vec<Vec<u32>>, Vec<Vec<Option<Kept>>>) {
    let mut s = Sets::default();
    s.configured.extend(&vocab.effects);
    s.modules.extend(modules);
    s.modules
        .extend([word(b"crate"), word(b"self"), word(b"super")]);
    for f in files.iter().flatten() {
        s.mentioned.extend(&f.outer);
        s.modules.extend(&f.mods);
        for d in &f.decls {
            if d.kind == DeclKind::Use && d.words.first() != Some(&d.name) {
                for &leaf in &d.words {
                    s.aliases.entry(leaf).or_default().push(d.name);
                }
            }
        }
    }
    // A module imported under another name.
    loop {
        let before = s.modules.len();
        let add: Vec<Word> = (s.aliases.iter())
            .filter(|(leaf, _)| s.modules.contains(*leaf))
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        s.modules.extend(add);
        if s.modules.len() == before {
            break;
        }
    }
    s.scope = vec![FxHashSet::default(); files.len()];
    s.glob = files
        .iter()
        .map(|f| {
            f.is_some_and(|f| {
                (f.globs.iter()).any(|&(root, within)| {
                    !within && (root == UNKNOWN || s.modules.contains(&root))
                })
            })
        })
        .collect();
    // Per file, per region: why it is kept, and whether for an effect.
    let mut kept: Vec<Vec<Option<Kept>>> = files
        .iter()
        .map(|f| vec![None; f.map_or(0, |f| f.regions.len())])
        .collect();
    let mut effect: Vec<Vec<bool>> = kept.iter().map(|k| vec![false; k.len()]).collect();
    let hits =
        |words: &[Word], set: &FxHashSet<Word>| words.iter().find(|w| set.contains(w)).copied();
    // `unsafe_sync_impl` lists the uses of a field through a cell or a raw pointer wherever
    // they are. In a unit that promises `Send` or `Sync` by hand, a body that may make one is
    // kept: it names a field of a type written with a cell, an `Rc` or a pointer
    // (`FileWords::cell_fields`), and a cell's or a pointer's access method, or holds
    // `unsafe`. So is a body that calls such a private method by name: the rule asks whether
    // every caller of one holds a lock around the call.
    let (cell_fields, cell_words): (FxHashSet<Word>, FxHashSet<Word>) =
        if files.iter().flatten().any(|f| f.unsafe_impls) {
            (
                files
                    .iter()
                    .flatten()
                    .flat_map(|f| &f.cell_fields)
                    .copied()
                    .collect(),
                (crate::known::cells::ACCESS_NAMES.iter())
                    .map(|n| word(n.as_bytes()))
                    .collect(),
            )
        } else {
            Default::default()
        };
    let uses_cells = |b: &Body| {
        hits(&b.fields, &cell_fields).is_some()
            && (b.unsafe_code
                || hits(&b.method_words, &cell_words).is_some()
                || hits(&b.path_words, &cell_words).is_some())
    };
    let cell_fns: FxHashSet<Word> = (files.iter().flatten())
        .flat_map(|f| &f.regions)
        .filter_map(|r| match &r.kind {
            RegionKind::Body(b) if b.private && uses_cells(b) => Some(b.name),
            _ => None,
        })
        .collect();
    let touches_cells = |b: &Body| {
        uses_cells(b)
            || hits(&b.method_words, &cell_fns).is_some()
            || b.calls.iter().any(|(_, w)| cell_fns.contains(w))
    };
    loop {
        let mut changed = false;
        for (fi, f) in files.iter().enumerate() {
            let Some(f) = f else { continue };
            for d in &f.decls {
                let mutable = matches!(d.kind, DeclKind::Static { mutable: true });
                let typed = mutable || d.classes & TYPE != 0 || hits(&d.words, &s.types).is_some();
                match d.kind {
                    // A type that holds a lock, a guard or an atomic.
                    DeclKind::Type if typed => changed |= s.types.insert(d.name),
                    // A static the rules list the mentions of.
                    DeclKind::Static { .. } if typed => changed |= s.statics.insert(d.name),
                    // Another name for a word: it is that word.
                    DeclKind::Use => {
                        if d.classes & EFFECT != 0 || hits(&d.words, &s.free).is_some() {
                            changed |= s.free.insert(d.name);
                            changed |= s.scope[fi].insert(d.name);
                        }
                        if d.classes & LOCAL != 0 || hits(&d.words, &s.statics).is_some() {
                            changed |= s.statics.insert(d.name);
                        }
                        if typed {
                            changed |= s.types.insert(d.name);
                        }
                    }
                    _ => {}
                }
            }
        }
        for (fi, f) in files.iter().enumerate() {
            let Some(f) = f else { continue };
            for (ri, r) in f.regions.iter().enumerate() {
                let RegionKind::Body(b) = &r.kind else {
                    continue;
                };
                if effect[fi][ri] {
                    continue;
                }
                let why_effect = if b.classes & EFFECT != 0 {
                    Some(Kept::Vocabulary)
                } else {
                    s.calls(fi, b).map(|(w, r)| Kept::Calls(w, r))
                };
                if let Some(why) = why_effect {
                    effect[fi][ri] = true;
                    kept[fi][ri].get_or_insert(why);
                    changed = true;
                    match b.owner {
                        Owner::Free => {
                            s.free.insert(b.name);
                            s.scope[fi].insert(b.name);
                        }
                        Owner::Item(t) => {
                            s.methods.insert(b.name);
                            s.owners.entry(b.name).or_default().push(t);
                        }
                    }
                    // What it declares inside may be what locks: callable either way.
                    for &n in &b.fns {
                        s.free.insert(n);
                        s.scope[fi].insert(n);
                        s.methods.insert(n);
                    }
                    s.mentioned
                        .extend(b.path_words.iter().chain(&b.method_words));
                    continue;
                }
                if kept[fi][ri].is_some() {
                    continue;
                }
                let why = if b.classes & (LOCAL | FRAGMENT) != 0 {
                    Some(Kept::Local)
                } else if touches_cells(b) {
                    Some(Kept::Cells)
                } else if let Some(w) = hits(&b.path_words, &s.statics) {
                    Some(Kept::Static(w))
                } else if b.structural {
                    Some(Kept::Items(None))
                } else {
                    hits(&b.defines, &s.mentioned).map(|w| Kept::Items(Some(w)))
                };
                if why.is_some() {
                    kept[fi][ri] = why;
                    changed = true;
                    s.mentioned
                        .extend(b.path_words.iter().chain(&b.method_words));
                }
            }
        }
        if !changed {
            break;
        }
    }
    let blank = files
        .iter()
        .zip(&kept)
        .map(|(f, kept)| {
            let Some(f) = f else { return vec![] };
            // A `macro_rules!` body is never blanked: extraction expands the file's own
            // macros where a body calls them.
            (0..f.regions.len() as u32)
                .filter(|&i| {
                    kept[i as usize].is_none()
                        && !matches!(f.regions[i as usize].kind, RegionKind::Macro)
                })
                .collect()
        })
        .collect();
    (blank, kept)
}

/// `text` with the regions `blank` (indices into `words.regions`) made white space, byte for
/// byte and character for character, doc comments made `#[doc]`: every position outside them
/// keeps its byte offset, line and column. A region whose last line holds a four-byte
/// character (which no white space character is as wide as) is left as it is, and so is a doc
/// comment inside a region already blanked. `None` when nothing was blanked.
pub fn blank(text: &str, words: &FileWords, blank: &[u32]) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    // The last region blanked that may hold others (a body, a table, a macro). Regions are in
    // text order and do not straddle each other, so a region inside any one blanked before is
    // inside that one.
    let mut outer: Option<(usize, usize)> = None;
    for &i in blank {
        let Some(r) = words.regions.get(i as usize) else {
            continue;
        };
        let (start, end) = (r.start as usize, r.end as usize);
        let Some(inside) = text.get(start..end) else {
            continue;
        };
        if outer.is_some_and(|(a, b)| a <= start && end <= b) {
            continue;
        }
        let last_line = inside.rfind('\n').map_or(inside, |n| &inside[n + 1..]);
        if last_line.bytes().any(|b| b >= 0xf0) {
            continue;
        }
        let lead: &[u8] = match r.kind {
            RegionKind::Doc { inner: false } => b"#[doc]",
            RegionKind::Doc { inner: true } => b"#![doc]",
            _ => b"",
        };
        // (The scan makes no doc region shorter than its attribute.)
        if start + lead.len() > end {
            continue;
        }
        if lead.is_empty() {
            outer = Some((start, end));
        }
        let buf = out.get_or_insert_with(|| bytes.to_vec());
        buf[start..start + lead.len()].copy_from_slice(lead);
        // Every ASCII character but a line break becomes a space (a loop the compiler makes
        // wide); then each wider character that does not start under the lead becomes white
        // space as wide.
        let from = start + lead.len();
        for (o, &b) in buf[from..end].iter_mut().zip(&bytes[from..end]) {
            if b < 0x80 && b != b'\n' {
                *o = b' ';
            }
        }
        for at in (from..end).filter(|&at| bytes[at] >= 0xc0) {
            // U+0085 and U+2000: white space as wide as the character they replace.
            let fill: &[u8] = match bytes[at] {
                0xf0.. => "\u{85}\u{85}".as_bytes(),
                0xe0.. => "\u{2000}".as_bytes(),
                _ => "\u{85}".as_bytes(),
            };
            buf[at..at + fill.len()].copy_from_slice(fill);
        }
    }
    // Only whole characters were replaced by whole characters.
    out.map(|b| String::from_utf8(b).unwrap_or_else(|_| text.to_string()))
}

/// A stable digest of which regions are blanked, for cache keys.
pub fn digest(blank: &[u32]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write_usize(blank.len());
    for &i in blank {
        h.write_u32(i);
    }
    h.finish()
}

#[cfg(test)]
mod tests;
