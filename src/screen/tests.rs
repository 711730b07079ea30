use super::*;

/// The bodies of each file the screen blanks, as the text of their insides.
fn blanked_with(srcs: &[&str], vocab: &Vocabulary) -> Vec<Vec<String>> {
    let words: Vec<FileWords> = srcs.iter().map(|s| scan_text(s)).collect();
    let refs: Vec<Option<&FileWords>> = words.iter().map(Some).collect();
    decide(&refs, &[], vocab)
        .iter()
        .zip(srcs.iter().zip(&words))
        .map(|(b, (src, w))| {
            b.iter()
                .filter_map(|&i| {
                    let r = &w.regions[i as usize];
                    matches!(r.kind, RegionKind::Body(_) | RegionKind::Table)
                        .then(|| src[r.start as usize..r.end as usize].trim().to_string())
                })
                .collect()
        })
        .collect()
}

fn blanked(src: &str) -> Vec<String> {
    blanked_with(&[src], &Vocabulary::default()).remove(0)
}

#[test]
fn bodies_without_vocabulary_are_blanked() {
    let src = "fn plain(x: u32) -> u32 { x + 1 }\n\
               fn locks(&self) { self.m.lock().unwrap(); }\n\
               fn sleeps() { std::thread::sleep(D); }\n\
               fn awaits_a_guard(g: MutexGuard<'_, u8>) { f().await }\n\
               fn orders(&self) { self.n.load(Ordering::SeqCst); }\n\
               fn formats(&self, f: &mut Formatter) { write!(f, \"{}\", self.lock) }\n";
    assert_eq!(blanked(src), vec!["x + 1", "write!(f, \"{}\", self.lock)"]);
}

#[test]
fn a_caller_of_an_effect_is_kept_across_files_and_aliases() {
    let a = "pub fn helper() { thread::sleep(D) }\n\
             pub fn middle() { helper() }\n\
             pub fn unrelated() { 1 + 1 }\n";
    let b = "use crate::a::middle as m;\n\
             fn caller(&self) { let _g = self.m.lock(); m(); }\n\
             fn outer() { m() }\n\
             fn method_call(x: X) { x.middle() }\n\
             fn other() { 2 }\n";
    assert_eq!(
        blanked_with(&[a, b], &Vocabulary::default()),
        vec![vec!["1 + 1"], vec!["x.middle()", "2"]]
    );
}

#[test]
fn methods_are_kept_by_method_calls_and_by_paths_that_name_their_type() {
    let src = "struct Pool;\n\
               impl Pool {\n\
                   fn new() -> Pool { Pool { m: Mutex::new(()) }.init() }\n\
                   fn init(self) -> Pool { self.m.lock(); self }\n\
                   fn open() -> Pool { Pool::new() }\n\
                   fn reopen() -> Pool { Self::new() }\n\
               }\n\
               use self::Pool as P;\n\
               fn a() -> P { P::new() }\n\
               fn b() -> Other { Other::new() }\n\
               fn c(p: Pool) { p.init() }\n\
               fn d() -> Vec<u8> { Vec::new() }\n";
    assert_eq!(blanked(src), vec!["Other::new()", "Vec::new()"]);
}

#[test]
fn statics_that_rules_list_the_mentions_of_keep_their_mentions() {
    let src = "static mut COUNT: u32 = 0;\n\
               static FLAG: Mutex<bool> = Mutex::new(false);\n\
               struct Reg { m: Mutex<u8> }\n\
               static REG: Reg = Reg::new();\n\
               static PLAIN: u32 = 3;\n\
               fn a() { unsafe { COUNT += 1 } }\n\
               fn b() -> &'static Mutex<bool> { &FLAG }\n\
               fn c() { let _r = &REG; }\n\
               fn d() -> u32 { PLAIN }\n";
    assert_eq!(blanked(src), vec!["PLAIN"]);
}

#[test]
fn bodies_that_declare_items_other_code_names_are_kept() {
    let src = "fn a() { use std::fmt::Write; }\n\
               fn b() { fn inner() {} }\n\
               fn c() { struct Named; }\n\
               fn d() { static X: u8 = 0; }\n\
               fn e() { m!($x) }\n\
               fn f() { let f: fn(u8) = g; }\n\
               fn g() { mod m {} }\n\
               fn h() { use super::*; }\n\
               fn i() -> Named { inner() }\n";
    // `inner` is named only in a body that is blanked itself.
    assert_eq!(
        blanked(src),
        vec![
            "use std::fmt::Write;",
            "fn inner() {}",
            "static X: u8 = 0;",
            "let f: fn(u8) = g;",
            "inner()"
        ]
    );
}

#[test]
fn the_configuration_adds_words() {
    let api = crate::known::Api::default().configure(
        &["acquire".into()],
        &[vec!["backoff".into(), "pause".into()]],
        &[vec!["wait_ready".into()]],
    );
    let vocab = Vocabulary::new(&api);
    let src = "fn a(&self) { self.x.acquire(); }\n\
               fn b() { backoff::pause(); }\n\
               fn c(&self) { self.wait_ready(); }\n\
               fn d() { x() }\n";
    assert_eq!(blanked_with(&[src], &vocab), vec![vec!["x()"]]);
    assert_eq!(blanked(src).len(), 4);
}

#[test]
fn constant_tables_are_always_blanked() {
    let src = "pub static T: [u16; 3] = [1, 2, 3];\n\
               const U: &[(&str, u8)] = &[(\"lock\", 1)];\n\
               static mut V: [u8; 1] = [0];\n\
               static W: Mutex<u8> = Mutex::new(0);\n";
    assert_eq!(blanked(src), vec!["1, 2, 3", "(\"lock\", 1)", "0"]);
}

#[test]
fn braces_in_signatures_are_not_bodies() {
    let src = "fn a<const N: usize>() -> Foo<{ N }> where [(); { N }]: Sized { 1 }\n\
               fn b() -> impl Fn() { || () }\n\
               trait T { fn c(&self); fn d(&self) { 2 } }\n\
               extern \"C\" { fn e(x: u8); }\n";
    assert_eq!(blanked(src), vec!["1", "|| ()", "2"]);
}

#[test]
fn blanking_keeps_every_byte_offset_line_and_column() {
    let src = "//! inner docs\n/// A doc comment é\nfn a() {\n  \"é€\" // ü\n  x\n}\n\
               fn b() { '🎉' }\nfn c() {\n 🎉\n y }\n/** block\n doc */\n/**\n * starts on the next line\n */\nmacro_rules! m { ($x:expr) => { $x } }\n";
    let w = scan_text(src);
    let all: Vec<u32> = (0..w.regions.len() as u32).collect();
    let out = blank(src, &w, &all).unwrap();
    assert_eq!(out.len(), src.len());
    assert_eq!(out.lines().count(), src.lines().count());
    // Lines with code left on them keep their columns (a line wholly inside a blanked body
    // may not: a four-byte character there becomes two).
    for (a, b) in out.lines().zip(src.lines()) {
        if !a.trim().is_empty() {
            assert_eq!(a.chars().count(), b.chars().count(), "{b:?}");
        }
    }
    // The body whose last line holds a four-byte character is left as it was.
    assert!(out.contains("'🎉'"));
    assert!(!out.contains('y'));
    assert!(out.starts_with("#![doc]"));
    assert!(out.contains("\n#[doc]"));
    assert!(!out.contains("$x"));
    let file: syn::File = syn::parse_str(&out).unwrap();
    assert_eq!(file.items.len(), 4);
}

#[test]
fn use_trees_bind_their_leaves() {
    let src = "use std::{thread::{self, sleep as nap}, collections::HashMap, sync::*};\n\
               fn a() { nap(D) }\n\
               fn b() { thread::yield_now() }\n\
               fn c() { HashMap::new() }\n";
    assert_eq!(blanked(src), vec!["thread::yield_now()", "HashMap::new()"]);
}

#[test]
fn unbalanced_text_gives_no_body() {
    for src in [
        "fn f() { let s = \"open;\n",
        "fn f( {\n",
        "fn f() { ) }",
        "fn",
    ] {
        let w = scan_text(src);
        assert!(
            w.regions
                .iter()
                .all(|r| !matches!(r.kind, RegionKind::Body(_))),
            "{src}: {:?}",
            w.regions
        );
    }
}

#[test]
fn impl_blocks_own_their_functions() {
    let src = "impl<'a, W, C> ReplaceWriter<'a, W, C>\nwhere\n    W: fmt::Write + ?Sized,\n    C: Writeable,\n{\n    fn new(sink: &'a mut W) -> Self {\n        Self { sink }\n    }\n}\n";
    let w = scan_text(src);
    let owners: Vec<Owner> = w
        .regions
        .iter()
        .filter_map(|r| match &r.kind {
            RegionKind::Body(b) => Some(b.owner),
            _ => None,
        })
        .collect();
    assert_eq!(owners, vec![Owner::Item(word(b"ReplaceWriter"))]);
}

#[test]
fn where_sync_is_promised_only_uses_of_hazard_fields_are_kept() {
    let src = "struct Stats { hits: Cell<u64> }\n\
               struct Config { name: String }\n\
               struct Slot(UnsafeCell<u64>);\n\
               unsafe impl Sync for Stats {}\n\
               impl Stats {\n\
                   pub fn hit(&self) { self.hits.set(1) }\n\
                   fn count(&self) { self.bump() }\n\
                   fn bump(&self) { self.hits.get(); }\n\
                   pub fn report(&self) { self.hit() }\n\
                   fn plain(&self) -> u32 { 1 }\n\
               }\n\
               impl Config { fn name(&self) -> String { self.name.clone() } }\n\
               fn slot(s: &Slot) -> u64 { unsafe { *s.0.get() } }\n\
               fn other(v: &Vec<u8>) -> u8 { v.get(0).copied().unwrap_or(0) }\n";
    // `count` calls the private `bump`, whose callers the rule asks about; `report` calls the
    // public `hit`, whose callers it does not.
    assert_eq!(
        blanked(src),
        vec![
            "self.hit()",
            "1",
            "self.name.clone()",
            "v.get(0).copied().unwrap_or(0)"
        ]
    );
    // With no `unsafe impl`, nothing is judged by its uses.
    let plain = src.replace("unsafe impl Sync for Stats {}", "");
    assert_eq!(blanked(&plain).len(), 8);
}

#[test]
fn a_type_a_macro_writes_lends_its_words_to_the_fields() {
    let src = "macro_rules! cell_struct { ($n:ident) => { struct $n { slot: Cell<u8> } } }\n\
               cell_struct!(Counter);\n\
               unsafe impl Sync for Counter {}\n\
               impl Counter { fn set(&self) { self.slot.set(1) } }\n";
    assert_eq!(blanked(src), Vec::<String>::new());
}
