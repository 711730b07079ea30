//! `let_underscore_guard`: a guard dropped in the statement that took it.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{Discard, EventKind, Held, HolderKind};
use crate::index::model::{HeldRef, Model};
use crate::index::types::Ty;
use crate::known::locks;
use crate::span::Span;

pub const RULE: Rule = Rule {
    name: "let_underscore_guard",
    level: Severity::Error,
    group: Group::Default,
    summary: "`let _ = m.lock()` or a bare `m.lock();`: the lock is released at once",
    docs: DOCS,
    fix: FixAvailability::Always,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds a lock guard that is dropped in the statement that took it: `let _ = m.lock();`,
`_ = m.lock();`, or a bare `m.lock();`. The lock is taken and released at once, and the code
after it runs without it.

### Why is this bad
`_` is not a binding: the value is dropped at the end of the statement, so the critical section
the code seems to open is empty. It is the Rust form of calling `lock.acquire()` and forgetting
that the release happens by itself; everything that looks protected is not.

### Known problems
Taking and releasing a lock to wait until another thread has left its critical section is a
(rare) deliberate pattern; write it as `drop(m.lock())` to say so. The fix binds the guard to
`_guard`, which keeps the lock to the end of the block: it is marked safe only for a lock that
guards a section (`Mutex<()>`) and is not taken again later in the function; otherwise holding
the lock longer may change what the program does (or deadlock through a call lockscan cannot
see), and the fix needs `--unsafe-fixes`.
A `lock()` on a value whose type lockscan sees and which is no lock (`File::lock`,
fslock's `LockFile`), or one finished with `?` (an `io::Result<()>` as likely as a
`LockResult`), is not taken for a lock; with no type in sight, a `lock()` is a lock when it is
unwrapped or awaited (not both), so an unwrapped `lock()` of another meaning is reported.

### Example
```rust
fn update(&self) {
    let _ = self.section.lock().unwrap(); // released here
    self.write_both_files();
}
```

### Use instead
```rust
fn update(&self) {
    let _guard = self.section.lock().unwrap(); // held to the end of the block
    self.write_both_files();
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for (f, body) in m.bodies() {
        for (h, holder) in body.holders.iter().enumerate() {
            if holder.held != Held::Discarded {
                continue;
            }
            let (Some(form), r) = (holder.discard, HeldRef { f, h: h as u32 }) else {
                continue;
            };
            let Some(lock) = m.lock(r) else { continue };
            // A `try_lock` that is thrown away tests the lock. Without a visible type, only a
            // `lock()` that is unwrapped or awaited (not both: async locks return no `Result`)
            // is taken for a lock: `index.write().unwrap()` (git2) writes a file, and
            // `conn.lock().await?` (sqlx) takes a database lock and returns `()`, and so does
            // `file.lock()?` (std's `File::lock`).
            // A method the configuration names (`lock-methods`) is a lock by the user's word.
            let configured = holder.configured;
            let is_lock_method = matches!(holder.kind, HolderKind::Lock { method, .. }
                if locks::is_plain_lock(method));
            let looks_like_lock = configured
                || (is_lock_method && !holder.tried && holder.unwrapped != holder.awaited);
            if lock.is_try || !(lock.typed || looks_like_lock) {
                continue;
            }
            // A receiver of a known type that is no lock (fslock's `LockFile`, std's `File`):
            // its `lock()` locks something else, and returns no guard.
            // A type named like a lock (`shuttle::sync::Mutex`) is taken for one.
            if !lock.typed
                && !configured
                && let HolderKind::Lock { place, .. } = holder.kind
                && match m.place_info(f, &body.places[place as usize]).ty.peel() {
                    Ty::External(p, _) => p
                        .last()
                        .is_none_or(|n| locks::lock_kind_of_name(n.as_str()).is_none()),
                    Ty::Struct(..) => true,
                    _ => false,
                }
            {
                continue;
            }
            let primary = Span {
                lo: holder.stmt_span.lo,
                hi: match form {
                    Discard::Assign(_) => holder.span.hi,
                    _ => holder.stmt_span.hi,
                },
            };
            let (message, label) = match form {
                Discard::Statement => (
                    format!(
                        "`{}` is locked and unlocked at once: the guard is not kept",
                        lock.text
                    ),
                    "the guard is dropped at the end of this statement",
                ),
                _ => (
                    format!("guard of `{}` is dropped as soon as it is taken", lock.text),
                    "`_` binds nothing: the guard is dropped at the end of this statement",
                ),
            };
            let (edit_span, replacement) = match form {
                Discard::Let(w) => (w, "_guard".to_string()),
                Discard::Assign(w) => (w, "let _guard".to_string()),
                Discard::Statement => (
                    Span {
                        lo: holder.stmt_span.lo,
                        hi: holder.stmt_span.lo,
                    },
                    "let _guard = ".to_string(),
                ),
            };
            // Safe when the lock guards a section and holding it longer cannot meet another
            // acquisition of it in this function.
            let acquired_at = body
                .events
                .iter()
                .position(|e| e.kind == EventKind::Acquire(h as u32))
                .unwrap_or(0);
            let taken_again = body.events[acquired_at + 1..].iter().any(|e| match e.kind {
                EventKind::Acquire(h2) => m
                    .lock(HeldRef { f, h: h2 })
                    .is_some_and(|l2| l2.class == lock.class),
                _ => false,
            });
            let applicability = if lock.guards_a_section() && !taken_again {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            let d = Diagnostic::new(RULE.name, RULE.level, m.loc(f, primary), message)
                .primary_label(label)
                .help(
                    "bind the guard to keep the lock to the end of the block: `let _guard = …`; if waiting for the lock was the point, write `drop(…)` to say so",
                )
                .note("code after this statement runs without the lock")
                .fix(Fix {
                    applicability,
                    message: "bind the guard to `_guard`".into(),
                    edits: vec![Edit {
                        loc: m.loc(f, edit_span),
                        replacement,
                    }],
                });
            out.push(d);
        }
    }
}
