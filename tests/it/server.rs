//! `lockscan server` driven over stdio by a small client (`support/lsp.rs`), as an editor
//! drives it: the life cycle, diagnostics from unsaved text, edits, a cycle across two files,
//! quick fixes, hovers, configuration reloads, and bad input. The Neovim test drives it with a
//! real editor (`tests/data/editor/nvim_test.lua`, in Neovim's built-in LSP client).

use crate::support::lsp::{Client, TIMEOUT, uri};
use crate::support::{
    LOCKSCAN, command, data, finish, krate, lib_crate, ok, repo, stdout, system_tool, text, tree,
};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn bin() -> &'static Path {
    Path::new(LOCKSCAN)
}

/// A client that speaks UTF-8 columns, shows related information and takes versioned edits.
fn utf8_caps() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-8", "utf-16"] },
        "textDocument": { "publishDiagnostics": { "relatedInformation": true } },
        "workspace": { "workspaceEdit": { "documentChanges": true } },
    })
}

fn started(dir: &Path, caps: Value) -> Client {
    let mut c = Client::start(bin(), dir);
    c.initialize(caps);
    c
}

fn open(c: &mut Client, path: &Path, version: i64, text: &str) {
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": {
            "uri": uri(path), "languageId": "rust", "version": version, "text": text,
        }}),
    );
}

fn replace_all(c: &mut Client, path: &Path, version: i64, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(path), "version": version },
            "contentChanges": [{ "text": text }],
        }),
    );
}

fn rules(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn start_of(d: &Value) -> (u64, u64) {
    let s = &d["range"]["start"];
    (
        s["line"].as_u64().unwrap(),
        s["character"].as_u64().unwrap(),
    )
}

/// Applies protocol text edits (UTF-8 columns) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let col = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + col
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // From the end backwards; insertions at one point in their order.
    spans.sort_by_key(|(lo, hi, _)| (*lo, *hi));
    let mut out = text.to_string();
    for (lo, hi, t) in spans.into_iter().rev() {
        out.replace_range(lo..hi, &t);
    }
    out
}

const GUARD_DROPPED: &str = "use std::sync::Mutex;

pub static STATE: Mutex<u32> = Mutex::new(0);

pub fn touch() {
    let _ = STATE.lock();
}
";

const CLEAN: &str = "use std::sync::Mutex;

pub static STATE: Mutex<u32> = Mutex::new(0);

pub fn touch() {
    let _guard = STATE.lock();
}
";

#[test]
fn initialize_negotiates_the_position_encoding() {
    let dir = lib_crate(CLEAN);
    let mut c = Client::start(bin(), dir.path());
    let r = c.initialize(utf8_caps());
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(r["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(r["capabilities"]["hoverProvider"], true);
    assert_eq!(
        r["capabilities"]["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    assert_eq!(r["serverInfo"]["name"], "lockscan");
    assert_eq!(c.shutdown().code(), Some(0));

    let mut c = Client::start(bin(), dir.path());
    let r = c.initialize(json!({}));
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-16");
    assert!(r.get("offsetEncoding").is_none());
    drop(c);

    // Neovim before 0.9 offers clangd's `offsetEncoding` instead.
    let mut c = Client::start(bin(), dir.path());
    let r = c.initialize(json!({ "offsetEncoding": ["utf-8", "utf-16"] }));
    assert_eq!(r["offsetEncoding"], "utf-8");
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-8");
}

#[test]
fn unsaved_text_is_checked_with_every_place_and_the_rule() {
    let dir = lib_crate(CLEAN);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    // On disk the guard is kept; in the editor it is not.
    open(&mut c, &lib, 1, GUARD_DROPPED);
    let diags = c.diagnostics_at(&uri(&lib), 1);
    assert_eq!(rules(&diags), ["let_underscore_guard"], "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["source"], "lockscan");
    assert_eq!(d["severity"], 1);
    assert_eq!(
        d["codeDescription"]["href"],
        "https://github.com/lockscan/lockscan/blob/main/docs/rules.md#let_underscore_guard"
    );
    assert_eq!(start_of(d), (5, 4), "{d}");
    assert!(d["message"].as_str().unwrap().contains("\nhelp: "), "{d}");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), CLEAN);
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn related_information_names_every_place_of_a_cycle() {
    let text = "use std::sync::Mutex;

pub struct Bank {
    accounts: Mutex<u32>,
    ledger: Mutex<u32>,
}

impl Bank {
    pub fn deposit(&self) {
        let _a = self.accounts.lock().unwrap();
        let _l = self.ledger.lock().unwrap();
    }

    pub fn audit(&self) {
        let _l = self.ledger.lock().unwrap();
        let _a = self.accounts.lock().unwrap();
    }
}
";
    let dir = lib_crate("");
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &lib, 1, text);
    let diags = c.diagnostics_at(&uri(&lib), 1);
    assert_eq!(rules(&diags), ["lock_order_inversion"], "{diags:?}");
    let related = diags[0]["relatedInformation"].as_array().unwrap();
    let lines: Vec<u64> = related
        .iter()
        .map(|r| {
            assert_eq!(r["location"]["uri"], uri(&lib));
            r["location"]["range"]["start"]["line"].as_u64().unwrap()
        })
        .collect();
    for line in [9, 10, 14, 15] {
        assert!(
            lines.contains(&line),
            "line {line} missing from {related:?}"
        );
    }

    // Without related information the places go into the message.
    let mut c = started(dir.path(), json!({}));
    open(&mut c, &lib, 1, text);
    let diags = c.diagnostics_at(&uri(&lib), 1);
    assert!(diags[0].get("relatedInformation").is_none(), "{diags:?}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("src/lib.rs:15:"), "{message}");
}

#[test]
fn edits_move_findings_and_a_fix_clears_them() {
    let dir = lib_crate(CLEAN);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &lib, 1, GUARD_DROPPED);
    assert_eq!(start_of(&c.diagnostics_at(&uri(&lib), 1)[0]), (5, 4));

    // Two lines typed above, as an incremental change.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(&lib), "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
                "text": "// one\n// two\n",
            }],
        }),
    );
    let diags = c.diagnostics_at(&uri(&lib), 2);
    assert_eq!(start_of(&diags[0]), (7, 4), "{diags:?}");

    // The guard bound, by an edit of the line: nothing left.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(&lib), "version": 3 },
            "contentChanges": [{
                "range": { "start": { "line": 7, "character": 8 }, "end": { "line": 7, "character": 9 } },
                "text": "_guard",
            }],
        }),
    );
    assert_eq!(c.diagnostics_at(&uri(&lib), 3), Vec::<Value>::new());
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn columns_count_in_the_negotiated_encoding() {
    // `é` is one UTF-16 unit and two bytes, `🔒` two units and four bytes.
    let text = "use std::sync::Mutex;\n\npub static STATE: Mutex<u32> = Mutex::new(0);\n\npub fn touch() {\n    /* é🔒 */ let _ = STATE.lock();\n}\n";
    let dir = lib_crate(text);
    let lib = dir.path().join("src/lib.rs");
    for (caps, character) in [
        (utf8_caps(), 4 + 13),
        (json!({}), 4 + 10),
        (
            json!({ "general": { "positionEncodings": ["utf-32", "utf-16"] } }),
            4 + 9,
        ),
    ] {
        let mut c = started(dir.path(), caps.clone());
        open(&mut c, &lib, 1, text);
        let diags = c.diagnostics_at(&uri(&lib), 1);
        assert_eq!(start_of(&diags[0]), (5, character), "{caps}: {diags:?}");
        // An edit in the same encoding lands where it should: `_` becomes `_g`.
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(&lib), "version": 2 },
                "contentChanges": [{
                    "range": {
                        "start": { "line": 5, "character": character + 4 },
                        "end": { "line": 5, "character": character + 5 },
                    },
                    "text": "_g",
                }],
            }),
        );
        assert_eq!(
            c.diagnostics_at(&uri(&lib), 2),
            Vec::<Value>::new(),
            "{caps}"
        );
    }
}

/// A crate whose two halves of a lock-order cycle live in two files.
const CYCLE_LIB: &str = "use std::sync::Mutex;

mod a;
mod b;

pub static ACCOUNTS: Mutex<u32> = Mutex::new(0);
pub static LEDGER: Mutex<u32> = Mutex::new(0);
";
const CYCLE_A: &str = "pub fn deposit() {
    let _accounts = crate::ACCOUNTS.lock().unwrap();
    let _ledger = crate::LEDGER.lock().unwrap();
}
";
const B_SAME_ORDER: &str = "pub fn audit() {
    let _accounts = crate::ACCOUNTS.lock().unwrap();
    let _ledger = crate::LEDGER.lock().unwrap();
}
";
const B_OPPOSITE_ORDER: &str = "pub fn audit() {
    let _ledger = crate::LEDGER.lock().unwrap();
    let _accounts = crate::ACCOUNTS.lock().unwrap();
}
";

#[test]
fn an_edit_in_one_file_republishes_the_other_half_of_a_cycle() {
    let dir = krate(&[
        ("lib.rs", CYCLE_LIB),
        ("a.rs", CYCLE_A),
        ("b.rs", B_SAME_ORDER),
    ]);
    let a = dir.path().join("src/a.rs");
    let b = dir.path().join("src/b.rs");
    let mut c = started(dir.path(), utf8_caps());
    // Only b.rs is open, and its unsaved text reverses the order: the finding is in a.rs,
    // which is not open, and b.rs shows its own places as hints.
    open(&mut c, &b, 1, B_OPPOSITE_ORDER);
    let in_b = c.diagnostics_at(&uri(&b), 1);
    c.wait_until("the finding in a.rs", |d| {
        d.get(&uri(&a)).is_some_and(|p| !p.diagnostics.is_empty())
    });
    let in_a = c.diagnostics[&uri(&a)].clone();
    assert_eq!(in_a.version, None, "a.rs is read from disk");
    assert_eq!(rules(&in_a.diagnostics), ["lock_order_inversion"]);
    assert_eq!(in_a.diagnostics[0]["severity"], 1);
    let related_uris: Vec<&str> = in_a.diagnostics[0]["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location"]["uri"].as_str().unwrap())
        .collect();
    assert!(related_uris.contains(&uri(&b).as_str()), "{related_uris:?}");
    assert_eq!(
        rules(&in_b),
        ["lock_order_inversion", "lock_order_inversion"]
    );
    assert!(in_b.iter().all(|d| d["severity"] == 4), "hints: {in_b:?}");
    assert_eq!(start_of(&in_b[0]), (1, 18));

    // Back to one order in b.rs: a.rs is published again, empty.
    replace_all(&mut c, &b, 2, B_SAME_ORDER);
    assert_eq!(c.diagnostics_at(&uri(&b), 2), Vec::<Value>::new());
    assert_eq!(c.diagnostics[&uri(&a)].diagnostics, Vec::<Value>::new());
    assert_eq!(c.diagnostics[&uri(&a)].count, 2);

    // a.rs changes on disk (a checkout), reversing its order: the watcher's report makes the
    // open b.rs's unit analysed again, and the cycle is back, from the other side.
    let reversed = CYCLE_A
        .replace("ACCOUNTS", "TMP")
        .replace("LEDGER", "ACCOUNTS")
        .replace("TMP", "LEDGER");
    std::fs::write(&a, reversed).unwrap();
    let changed = json!({ "changes": [{ "uri": uri(&a), "type": 2 }] });
    c.notify("workspace/didChangeWatchedFiles", changed.clone());
    c.wait_until("the cycle found again", |d| {
        d.get(&uri(&a)).is_some_and(|p| !p.diagnostics.is_empty())
    });
    std::fs::write(&a, CYCLE_A).unwrap();
    c.notify("workspace/didChangeWatchedFiles", changed);
    c.wait_until("the cycle gone again", |d| {
        d[&uri(&a)].diagnostics.is_empty()
    });
    let count = c.diagnostics[&uri(&b)].count;

    // Closing the document brings back the disk's text, which has no cycle.
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri(&b) } }),
    );
    c.wait_until("b.rs analysed again from disk", |d| {
        d.get(&uri(&b))
            .is_some_and(|p| p.count > count && p.version.is_none())
    });
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn quick_fixes_apply_and_unsafe_ones_say_so() {
    // A lock that guards a section (no data): keeping its guard longer is safe.
    let text = "use std::sync::Mutex;

pub static STATE: Mutex<()> = Mutex::new(());
static mut HITS: u64 = 0;

pub fn touch() {
    let _ = STATE.lock();
    unsafe { HITS += 1 };
}
";
    let dir = lib_crate(CLEAN);
    let lib = dir.path().join("src/lib.rs");
    let before = tree(dir.path());
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &lib, 1, text);
    let diags = c.diagnostics_at(&uri(&lib), 1);
    assert!(
        rules(&diags).contains(&"let_underscore_guard".to_string()),
        "{diags:?}"
    );
    assert!(
        rules(&diags).contains(&"static_mut".to_string()),
        "{diags:?}"
    );

    let actions_at = |c: &mut Client, line: u64, context: Vec<Value>| -> Vec<Value> {
        let r = c.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri(&lib) },
                "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 0 } },
                "context": { "diagnostics": context },
            }),
        );
        r["result"].as_array().cloned().unwrap_or_default()
    };
    // The cursor on the `let _` line, with no diagnostics in the context: found by range.
    let actions = actions_at(&mut c, 6, vec![]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["title"], "Bind the guard to `_guard`");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "let_underscore_guard");
    let change = &fix["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["uri"], uri(&lib));
    assert_eq!(change["textDocument"]["version"], 1);
    let fixed = apply(text, change["edits"].as_array().unwrap());
    assert!(
        fixed.contains("    let _guard = STATE.lock();\n"),
        "{fixed}"
    );

    // The `static mut` fix, asked for with the diagnostic in the context (as editors do).
    let static_mut = diags
        .iter()
        .find(|d| d["code"] == "static_mut")
        .unwrap()
        .clone();
    let line = start_of(&static_mut).0;
    let actions = actions_at(&mut c, line, vec![static_mut]);
    let unsafe_fix = actions
        .iter()
        .find(|a| a["diagnostics"][0]["code"] == "static_mut")
        .expect("a fix for `static mut`");
    assert_eq!(unsafe_fix["title"], "Make `HITS` an `AtomicU64` (unsafe)");
    assert_eq!(unsafe_fix["isPreferred"], false);
    let edits = unsafe_fix["edit"]["documentChanges"][0]["edits"]
        .as_array()
        .unwrap();
    let fixed = apply(&fixed, edits);
    assert!(fixed.contains("static HITS: AtomicU64"), "{fixed}");

    // Applied, as the editor would: nothing left.
    replace_all(&mut c, &lib, 2, &fixed);
    assert_eq!(
        c.diagnostics_at(&uri(&lib), 2),
        Vec::<Value>::new(),
        "{fixed}"
    );

    // Only quick fixes are offered, and not for a text the findings are not about.
    let r = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri(&lib) },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } },
            "context": { "diagnostics": [], "only": ["refactor"] },
        }),
    );
    assert_eq!(r["result"], json!([]));
    assert_eq!(c.shutdown().code(), Some(0));
    assert_eq!(tree(dir.path()), before, "the server wrote to disk");
}

#[test]
fn without_versioned_edits_a_fix_is_a_plain_change() {
    let dir = lib_crate(GUARD_DROPPED);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(
        dir.path(),
        json!({ "general": { "positionEncodings": ["utf-8"] } }),
    );
    open(&mut c, &lib, 1, GUARD_DROPPED);
    c.diagnostics_at(&uri(&lib), 1);
    let r = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri(&lib) },
            "range": { "start": { "line": 5, "character": 5 }, "end": { "line": 5, "character": 5 } },
            "context": { "diagnostics": [] },
        }),
    );
    let edits = r["result"][0]["edit"]["changes"][uri(&lib)]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(apply(GUARD_DROPPED, &edits), CLEAN);
}

#[test]
fn hover_on_a_finding_explains_its_rule() {
    let dir = lib_crate(CLEAN);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &lib, 1, GUARD_DROPPED);
    c.diagnostics_at(&uri(&lib), 1);
    let hover = |c: &mut Client, line: u64, character: u64| {
        c.request(
            "textDocument/hover",
            json!({
                "textDocument": { "uri": uri(&lib) },
                "position": { "line": line, "character": character },
            }),
        )["result"]
            .clone()
    };
    let h = hover(&mut c, 5, 10);
    assert_eq!(h["contents"]["kind"], "markdown");
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("`let_underscore_guard`"), "{text}");
    assert!(text.contains("### What it does"), "{text}");
    assert!(text.contains("### Use instead"), "{text}");
    assert_eq!(h["range"]["start"], json!({ "line": 5, "character": 4 }));
    assert_eq!(hover(&mut c, 0, 0), Value::Null);
}

#[test]
fn a_configuration_change_reloads() {
    let dir = lib_crate(GUARD_DROPPED);
    let lib = dir.path().join("src/lib.rs");
    let config = dir.path().join("lockscan.toml");
    let mut caps = utf8_caps();
    caps["workspace"]["didChangeWatchedFiles"] = json!({ "dynamicRegistration": true });
    let mut c = started(dir.path(), caps);
    // The server asks the client to watch the configuration and the sources.
    let register = c.wait_for("the file watcher's registration", |m| {
        m["method"] == "client/registerCapability"
    });
    let registration = &register["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert_eq!(globs, ["**/lockscan.toml", "**/Cargo.toml", "**/*.rs"]);
    c.send(&json!({ "jsonrpc": "2.0", "id": register["id"], "result": null }));
    open(&mut c, &lib, 1, GUARD_DROPPED);
    assert_eq!(
        rules(&c.diagnostics_at(&uri(&lib), 1)),
        ["let_underscore_guard"]
    );

    // Turned off, reported by the client's file watcher.
    std::fs::write(&config, "[rules]\nlet_underscore_guard = \"allow\"\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&config), "type": 1 }] }),
    );
    c.wait_until("the finding gone", |d| d[&uri(&lib)].diagnostics.is_empty());

    // A warning now, saved in the editor.
    std::fs::write(&config, "[rules]\nlet_underscore_guard = \"warn\"\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri(&config) } }),
    );
    c.wait_until("the finding back, as a warning", |d| {
        d[&uri(&lib)]
            .diagnostics
            .first()
            .is_some_and(|d| d["severity"] == 2)
    });

    // A broken configuration is reported once; the defaults apply meanwhile.
    std::fs::write(&config, "[rules]\nno_such_rule = \"allow\"\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri(&config) } }),
    );
    let shown = c.wait_for("the configuration error", |m| {
        m["method"] == "window/showMessage"
    });
    let message = shown["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("no_such_rule") && message.contains("lockscan.toml"),
        "{message}"
    );
    assert_eq!(shown["params"]["type"], 1);
    c.wait_until("the default level back", |d| {
        d[&uri(&lib)]
            .diagnostics
            .first()
            .is_some_and(|d| d["severity"] == 1)
    });
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn a_file_outside_any_crate_is_analysed_alone() {
    let dir = repo();
    let loose = dir.path().join("loose.rs");
    std::fs::write(&loose, "").unwrap();
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &loose, 1, "static mut COUNT: u32 = 0;\n");
    assert_eq!(rules(&c.diagnostics_at(&uri(&loose), 1)), ["static_mut"]);
    // Never saved at all, in a directory of no crate.
    let unsaved = dir.path().join("new.rs");
    open(&mut c, &unsaved, 1, "static mut COUNT: u32 = 0;\n");
    assert_eq!(rules(&c.diagnostics_at(&uri(&unsaved), 1)), ["static_mut"]);
    assert!(!unsaved.exists());
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri(&unsaved) } }),
    );
    c.wait_until("its findings taken back", |d| {
        d[&uri(&unsaved)].diagnostics.is_empty()
    });
}

#[test]
fn a_new_file_not_yet_saved_is_analysed_with_its_crate() {
    // `lib.rs` declares the module and holds the static; the file exists only in the editor.
    let lib =
        "use std::sync::Mutex;\n\nmod fresh;\n\npub static STATE: Mutex<u32> = Mutex::new(0);\n";
    let dir = lib_crate(lib);
    let fresh = dir.path().join("src/fresh.rs");
    let mut c = started(dir.path(), utf8_caps());
    let text = "pub fn twice() {\n    let _a = crate::STATE.lock().unwrap();\n    let _b = crate::STATE.lock().unwrap();\n}\n";
    open(&mut c, &fresh, 1, text);
    assert_eq!(rules(&c.diagnostics_at(&uri(&fresh), 1)), ["double_lock"]);
}

#[test]
fn a_new_file_in_a_directory_with_no_rust_file_yet_joins_its_crate() {
    // `src/bin/` holds no Rust file yet: the package around it is found by its manifest, so the
    // new binary sees the library's static (a `double_lock` through `demo::STATE`).
    let lib = "use std::sync::Mutex;\n\npub static STATE: Mutex<u32> = Mutex::new(0);\n\npub fn hold() -> std::sync::MutexGuard<'static, u32> {\n    STATE.lock().unwrap()\n}\n";
    let dir = lib_crate(lib);
    std::fs::create_dir_all(dir.path().join("src/bin")).unwrap();
    let tool = dir.path().join("src/bin/tool.rs");
    let mut c = started(dir.path(), utf8_caps());
    let text = "fn main() {\n    let _held = demo::hold();\n    let _again = demo::STATE.lock().unwrap();\n}\n";
    open(&mut c, &tool, 1, text);
    assert_eq!(rules(&c.diagnostics_at(&uri(&tool), 1)), ["double_lock"]);
    // In a directory of no crate at all, it is analysed alone.
    let loose = repo();
    let alone = loose.path().join("empty/new.rs");
    std::fs::create_dir_all(alone.parent().unwrap()).unwrap();
    open(&mut c, &alone, 1, "static mut COUNT: u32 = 0;\n");
    assert_eq!(rules(&c.diagnostics_at(&uri(&alone), 1)), ["static_mut"]);
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn excluded_files_are_not_analysed() {
    let dir = lib_crate(GUARD_DROPPED);
    std::fs::write(
        dir.path().join("lockscan.toml"),
        "exclude = [\"src/lib.rs\"]\n",
    )
    .unwrap();
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    open(&mut c, &lib, 1, GUARD_DROPPED);
    assert_eq!(c.diagnostics_at(&uri(&lib), 1), Vec::<Value>::new());
}

#[test]
fn requests_before_initialize_and_unknown_methods_are_refused() {
    let dir = lib_crate(GUARD_DROPPED);
    let lib = dir.path().join("src/lib.rs");
    let mut c = Client::start(bin(), dir.path());
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002, "{r}");
    // A notification before `initialize` is dropped.
    open(&mut c, &lib, 1, GUARD_DROPPED);
    c.initialize(utf8_caps());
    let r = c.request("lockscan/frobnicate", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    c.notify("lockscan/unheard-of", json!({ "x": 1 }));
    c.notify("$/cancelRequest", json!({ "id": 99 }));
    // Bad parameters to a known request.
    let r = c.request("textDocument/hover", json!({ "position": "here" }));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // A second `initialize` is an error.
    let r = c.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(
        !c.diagnostics.contains_key(&uri(&lib)),
        "the early didOpen was acted on"
    );
    // Still serving.
    open(&mut c, &lib, 2, GUARD_DROPPED);
    assert_eq!(
        rules(&c.diagnostics_at(&uri(&lib), 2)),
        ["let_underscore_guard"]
    );
    // After `shutdown`, requests are refused; `exit` then exits with 0.
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32600, "{r}");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(TIMEOUT).unwrap().code(), Some(0));
}

/// The server's peak resident memory, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn malformed_and_oversized_messages_are_answered_and_survived() {
    let dir = lib_crate(GUARD_DROPPED);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    let null_id_error = |c: &mut Client, code: i64| {
        let m = c.wait_for("an error about an unidentified message", |m| {
            m.get("id") == Some(&Value::Null) && m.get("error").is_some()
        });
        assert_eq!(m["error"]["code"], code, "{m}");
    };

    c.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    null_id_error(&mut c, -32700);
    // JSON, but no message: an error with its id.
    c.send(&json!({ "jsonrpc": "2.0", "id": 41, "params": {} }));
    let m = c.wait_for("the answer to id 41", |m| m.get("id") == Some(&json!(41)));
    assert_eq!(m["error"]["code"], -32600);
    // Headers without a length, and a length that is no number.
    c.send_raw(b"X-Nonsense: 1\r\n\r\n");
    null_id_error(&mut c, -32700);
    c.send_raw(b"Content-Length: many\r\n\r\n");
    null_id_error(&mut c, -32700);
    // A body far over the limit is read and thrown away, not kept.
    let before = peak_rss_kib(c.pid());
    let size = 100 << 20;
    c.send_raw(format!("Content-Length: {size}\r\n\r\n").as_bytes());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..100 {
        c.send_raw(&chunk);
    }
    null_id_error(&mut c, -32600);
    if let (Some(before), Some(after)) = (before, peak_rss_kib(c.pid())) {
        assert!(
            after < before + (32 << 10),
            "the server's peak memory grew from {before} KiB to {after} KiB"
        );
    }
    // A body whose length is one short: its tail is taken for a header line, and the next
    // message is still found.
    let exit_body = json!({ "jsonrpc": "2.0", "method": "lockscan/nothing" }).to_string();
    c.send_raw(format!("Content-Length: {}\r\n\r\n{exit_body}", exit_body.len() - 1).as_bytes());
    null_id_error(&mut c, -32700);
    // Still serving.
    open(&mut c, &lib, 1, GUARD_DROPPED);
    assert_eq!(
        rules(&c.diagnostics_at(&uri(&lib), 1)),
        ["let_underscore_guard"]
    );
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn exit_codes_follow_the_protocol() {
    let dir = lib_crate(CLEAN);
    // `exit` without `shutdown`: 1.
    let mut c = started(dir.path(), json!({}));
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(TIMEOUT).unwrap().code(), Some(1));
    // The client goes away: the server exits at once, 1.
    let mut c = started(dir.path(), json!({}));
    open(&mut c, &dir.path().join("src/lib.rs"), 1, GUARD_DROPPED);
    c.close_stdin();
    let status = c
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits when its input ends");
    assert_eq!(status.code(), Some(1));
    // ... or 0 after `shutdown`.
    let mut c = started(dir.path(), json!({}));
    c.request("shutdown", Value::Null);
    c.close_stdin();
    assert_eq!(c.wait_exit(TIMEOUT).unwrap().code(), Some(0));
    // An input that ends inside a message is the end too.
    let mut c = Client::start(bin(), dir.path());
    c.send_raw(b"Content-Length: 500\r\n\r\n{\"jsonrpc\":");
    c.close_stdin();
    assert_eq!(c.wait_exit(TIMEOUT).unwrap().code(), Some(1));
}

#[test]
fn neovim_checks_unsaved_text_and_applies_a_quick_fix() {
    let nvim = system_tool("nvim", "the Neovim test");
    let version = stdout(&ok(std::process::Command::new(&nvim).arg("--version")));
    eprintln!("{}", version.lines().next().unwrap_or("nvim: no version"));
    let disk = "use std::sync::Mutex;

pub static STATE: Mutex<()> = Mutex::new(());

pub fn touch() {
    /* é🔒 */ let _guard = STATE.lock();
}
";
    let dir = lib_crate(disk);
    let home = repo();
    let report = home.path().join("report");
    let script = data("editor/nvim_test.lua");
    let luafile = format!("luafile {}", script.display());
    let mut cmd = command(
        &nvim,
        dir.path(),
        &[
            "--headless",
            "--clean",
            "-i",
            "NONE",
            "-u",
            "NONE",
            "-c",
            &luafile,
        ],
    );
    cmd.env("LOCKSCAN_BIN", bin())
        .env("LOCKSCAN_CRATE", dir.path())
        .env("LOCKSCAN_REPORT", &report);
    // Neovim's logs, swap files and state go to a directory of the test's own.
    for var in [
        "HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ] {
        cmd.env(var, home.path());
    }
    // Each step waits at most 30 s (the script's own limit) before it fails and says so.
    let out = finish(cmd);
    let steps = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(
        out.status.success(),
        "Neovim failed ({}):\n{steps}\n{}",
        out.status,
        text(&out)
    );
    for step in [
        "ok: diagnostics for unsaved text at line 5, byte column 17",
        "ok: hover shows the rule",
        "ok: diagnostics moved with the edit",
        "ok: diagnostics cleared when fixed",
        "ok: quick fix \"Bind the guard to `_guard`\" applied",
        "ok: nothing written to disk",
        "ok: server exited with 0",
        "done",
    ] {
        assert!(
            steps.lines().any(|l| l == step),
            "missing `{step}` in:\n{steps}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        disk
    );
}

#[test]
fn a_document_too_large_to_parse_is_reported_not_parsed() {
    let dir = lib_crate(CLEAN);
    let lib = dir.path().join("src/lib.rs");
    let mut c = started(dir.path(), utf8_caps());
    // Over the 16 MiB lockscan parses, under the 64 MiB a message may have.
    let text = format!("{CLEAN}//{}\n", "x".repeat(17 << 20));
    open(&mut c, &lib, 1, &text);
    let diags = c.diagnostics_at(&uri(&lib), 1);
    assert_eq!(rules(&diags), ["parse_error"], "{diags:?}");
    assert!(
        diags[0]["message"].as_str().unwrap().contains("too large"),
        "{diags:?}"
    );
    assert_eq!(c.shutdown().code(), Some(0));
}
