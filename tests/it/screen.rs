//! The screen (`src/screen/`) leaves out function bodies that hold nothing a rule could use:
//! it must never change a finding. Every fixture and every test crate is analysed with and
//! without it, and the reports must be equal, finding for finding (message, places, labels,
//! help, fix and fingerprint); `scripts/screen-equality` does the same on the corpus.

use crate::support::{lockscan, root, stdout};
use lockscan::driver::{Options, Report, run};
use std::path::{Path, PathBuf};

fn report(dir: &Path, screen: bool, api: lockscan::known::Api) -> Report {
    run(&Options {
        paths: vec![dir.to_path_buf()],
        screen,
        api,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("lockscan runs on {}: {e}", dir.display()))
}

/// Every tree the tests analyse: the fixtures, the output crate, each fix input.
fn trees() -> Vec<PathBuf> {
    let mut out = vec![root().join("fixtures"), root().join("tests/data/outputs")];
    let inputs = root().join("tests/data/fix_inputs");
    for e in std::fs::read_dir(&inputs).unwrap() {
        out.push(e.unwrap().path());
    }
    out
}

fn assert_same(dir: &Path, api: &lockscan::known::Api) {
    let whole = report(dir, false, api.clone());
    let screened = report(dir, true, api.clone());
    assert_eq!(whole.files_scanned, screened.files_scanned);
    assert_eq!(whole.parse_errors, screened.parse_errors);
    assert_eq!(whole.hashes, screened.hashes, "{}", dir.display());
    for (a, b) in whole.diagnostics.iter().zip(&screened.diagnostics) {
        assert_eq!(a, b, "{}: the screen changed a finding", dir.display());
    }
    assert_eq!(
        whole.diagnostics.len(),
        screened.diagnostics.len(),
        "{}: with the screen {:#?}\nwithout {:#?}",
        dir.display(),
        screened.diagnostics,
        whole.diagnostics
    );
}

#[test]
fn the_screen_changes_no_finding_of_any_fixture() {
    for dir in trees() {
        assert_same(&dir, &lockscan::known::Api::default());
    }
}

/// With the configuration's words: a configured lock method, sleep and blocking call (on
/// code that uses them, and on the fixtures).
#[test]
fn the_screen_changes_no_finding_with_configured_words() {
    let api = lockscan::known::Api::default().configure(
        &["acquire".into(), "enter".into()],
        &[vec!["backoff".into(), "pause".into()], vec!["nap".into()]],
        &[
            vec!["rpc".into(), "call_sync".into()],
            vec!["wait_ready".into()],
        ],
    );
    let dir = crate::support::krate(&[(
        "lib.rs",
        "use std::sync::Mutex;\n\
         pub struct Pool { m: Mutex<u8>, gate: rpc::Gate }\n\
         impl Pool {\n\
             pub fn a(&self) { let _g = self.m.lock().unwrap(); backoff::pause(); }\n\
             pub fn b(&self) { let _g = self.m.lock().unwrap(); self.gate.wait_ready(); }\n\
             pub fn c(&self) { let _x = self.gate.acquire(); let _y = self.gate.acquire(); }\n\
             pub fn d(&self) { let _g = self.m.lock().unwrap(); helper(); }\n\
             pub fn e(&self) { let _g = self.m.lock().unwrap(); quiet(); }\n\
         }\n\
         fn helper() { rpc::call_sync(); }\n\
         fn quiet() { let _ = 1 + 1; }\n",
    )]);
    let found = report(dir.path(), true, api.clone()).diagnostics;
    assert!(found.len() >= 3, "{found:#?}");
    assert_same(dir.path(), &api);
    for d in trees() {
        assert_same(&d, &api);
    }
}

/// The findings with the screen on, and the lines labelled in those `keep` accepts.
fn labelled_lines(
    dir: &Path,
    api: &lockscan::known::Api,
    keep: impl Fn(&lockscan::diag::Diagnostic) -> bool,
) -> (Vec<lockscan::diag::Diagnostic>, Vec<u32>) {
    let found = report(dir, true, api.clone()).diagnostics;
    let lines = (found.iter().filter(|d| keep(d)))
        .flat_map(|d| d.labels.iter().map(|l| l.loc.span.lo.line))
        .collect();
    (found, lines)
}

/// A type that promises `Sync` by hand: the uses of its cells are listed wherever they are,
/// even in a body that holds no word of the vocabulary (`Cell::set` in a plain method, a raw
/// pointer's target read in an `unsafe` block).
#[test]
fn the_screen_keeps_cell_uses_where_sync_is_promised() {
    let dir = crate::support::krate(&[(
        "lib.rs",
        "use std::cell::Cell;
         pub struct Stats { hits: Cell<u64>, last: *mut u64 }
         unsafe impl Sync for Stats {}
         impl Stats {
             pub fn hit(&self) { self.hits.set(self.hits.get() + 1); }
             pub fn last(&self) -> u64 { unsafe { *self.last } }
             #[allow(unsafe_op_in_unsafe_fn)]
             pub unsafe fn bump_last(&self) { *self.last += 1; }
         }
",
    )]);
    let api = lockscan::known::Api::default();
    let (found, lines) = labelled_lines(dir.path(), &api, |_| true);
    assert!(
        lines.contains(&5),
        "the `set` in `hit` is labelled: {found:#?}"
    );
    assert!(
        lines.contains(&8),
        "the write in the `unsafe fn` is labelled: {found:#?}"
    );
    assert_same(dir.path(), &api);
}

/// Where `Sync` is promised, the screen keeps what the rule judges and no more: a tuple
/// struct's cell reached as `.0`, a cell in a field's own struct, and the callers of a private
/// method that touches a cell (the rule asks whether every one holds the lock; here one does
/// not, and it has no lock word of its own).
#[test]
fn the_screen_keeps_what_sync_promises_are_judged_by() {
    let dir = crate::support::krate(&[(
        "lib.rs",
        "use std::cell::{Cell, UnsafeCell};
         use std::sync::Mutex;
         pub struct Slot(UnsafeCell<u64>);
         unsafe impl Sync for Slot {}
         impl Slot {
             pub fn put(&self, v: u64) { unsafe { *self.0.get() = v } }
         }
         pub struct Inner { hits: Cell<u64> }
         pub struct Outer { inner: Inner, lock: Mutex<()> }
         unsafe impl Sync for Outer {}
         impl Outer {
             fn bump(&self) { self.inner.hits.set(self.inner.hits.get() + 1); }
             pub fn locked(&self) { let _g = self.lock.lock().unwrap(); self.bump(); }
             pub fn unlocked(&self) { self.bump(); }
         }
",
    )]);
    let api = lockscan::known::Api::default();
    let (found, lines) = labelled_lines(dir.path(), &api, |d| d.rule == "unsafe_sync_impl");
    assert!(
        lines.contains(&6),
        "the write through `.0` is labelled: {found:#?}"
    );
    assert!(
        lines.contains(&12),
        "the unlocked `set` is labelled: {found:#?}"
    );
    assert_same(dir.path(), &api);
}

/// The command line, which reads the fixtures' configuration: `--no-screen` prints the same
/// JSON (but for the time it took).
#[test]
fn no_screen_prints_the_same_report() {
    let json = |args: &[&str]| {
        let mut a = vec![
            "fixtures",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-cache",
        ];
        a.extend(args);
        let mut v: serde_json::Value =
            serde_json::from_str(&stdout(&lockscan(root(), &a))).unwrap();
        v["summary"]["elapsed_ms"] = 0.into();
        v
    };
    assert_eq!(json(&[]), json(&["--no-screen"]));
}

/// The equality above is no accident of a screen that leaves nothing out: it blanks most of
/// the fixtures' bodies that cannot matter, and keeps every one that locks.
#[test]
fn the_screen_leaves_out_bodies_of_the_fixtures() {
    use lockscan::screen::{self, RegionKind};
    let mut texts = vec![];
    for e in walkdir::WalkDir::new(root().join("fixtures/src")) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "rs") {
            texts.push(std::fs::read_to_string(e.path()).unwrap());
        }
    }
    let words: Vec<screen::FileWords> = texts.iter().map(|t| screen::scan_text(t)).collect();
    let refs: Vec<Option<&screen::FileWords>> = words.iter().map(Some).collect();
    let blank = screen::decide(&refs, &[], &screen::Vocabulary::default());
    let (mut bodies, mut blanked) = (0, 0);
    for ((w, b), t) in words.iter().zip(&blank).zip(&texts) {
        for (i, r) in w.regions.iter().enumerate() {
            if let RegionKind::Body(_) = r.kind {
                bodies += 1;
                let inside = &t[r.start as usize..r.end as usize];
                if b.contains(&(i as u32)) {
                    blanked += 1;
                    assert!(
                        !inside.contains(".lock()"),
                        "blanked a body that locks: {inside}"
                    );
                }
            }
        }
    }
    assert!(bodies > 200, "{bodies} bodies");
    // The fixtures are made of code that locks; still, some of it does not.
    assert!(blanked >= 15, "{blanked} of {bodies} bodies blanked");
}
