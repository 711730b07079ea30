//! `rwlock_upgrade`: a write lock requested while the same thread holds a read guard.

use super::double_lock::reacquisitions;
use super::shared::words::trace_labels;
use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::facts::Held;
use crate::index::locks::Mode;
use crate::index::model::Model;
use crate::known::LockLib;

pub const RULE: Rule = Rule {
    name: "rwlock_upgrade",
    level: Severity::Error,
    group: Group::Default,
    summary: "a `write()` on an `RwLock` whose read guard the same thread still holds",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds `write()` (and `write_owned()`, `blocking_write()`, …) on an `RwLock` while
the same thread still holds a `read()` or `upgradable_read()` guard of that lock.

### Why is this bad
A writer waits until every reader is gone, and one of the readers is the thread that waits.
Reading, then "upgrading" by taking the write lock, is the natural way to write a cache, and it
deadlocks on the first miss.

### Known problems
Only acquisitions that reach the same object are compared (see `double_lock`).

### Example
```rust
fn get_or_load(&self, key: u32) -> String {
    let cache = self.cache.read().unwrap();
    if let Some(v) = cache.get(&key) {
        return v.clone();
    }
    let mut cache_w = self.cache.write().unwrap(); // waits for `cache`, held by this thread
    cache_w.entry(key).or_insert_with(|| load(key)).clone()
}
```

### Use instead
```rust
fn get_or_load(&self, key: u32) -> String {
    if let Some(v) = self.cache.read().unwrap().get(&key) {
        return v.clone();
    } // the read guard ends here
    let mut cache = self.cache.write().unwrap();
    // check again: another thread may have loaded it in between
    cache.entry(key).or_insert_with(|| load(key)).clone()
}
```
With `parking_lot`, an `upgradable_read()` guard can be upgraded in place with
`RwLockUpgradableReadGuard::upgrade`.
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for r in reacquisitions(m) {
        let (l1, l2) = (&r.first.lock, &r.second.lock);
        if !(l1.mode.is_read() && l2.mode == Mode::Write) {
            continue;
        }
        let steps = &m.trace_text(&r.second.trace);
        let (primary, primary_what) = steps[0].clone();
        let direct = steps.len() == 1;
        let recheck = "then take the write lock and check the state again: another thread may have changed it in between";
        let held = r.first.holder.map(|h| (h.held, h.binding));
        let help = match (l1.mode, held) {
            (Mode::Upgradable, Some((Held::Binding, Some((name, _))))) => format!(
                "upgrade the guard you hold instead of locking again: `let mut w = RwLockUpgradableReadGuard::upgrade({name});`"
            ),
            (_, Some((Held::Binding, Some((name, _))))) => {
                let mut h = format!("end the read guard first (`drop({name});`), {recheck}");
                if matches!(l2.ty.lib, LockLib::ParkingLot | LockLib::LockApi) {
                    h.push_str("; or take an `upgradable_read()` and upgrade it with `RwLockUpgradableReadGuard::upgrade`");
                }
                h
            }
            (_, Some((Held::Scrutinee(_), _))) => format!(
                "copy what you need out of the read guard into a local first (`let found = …;`) so that no read guard is alive in the branches, {recheck}"
            ),
            _ => format!("end the read guard first, {recheck}"),
        };
        let (message, label) = if direct {
            (
                format!(
                    "`{}` is write-locked while this thread holds a read guard on it",
                    l2.text
                ),
                "waits for every reader to leave, including this thread".to_string(),
            )
        } else {
            (
                format!(
                    "{} write-locks `{}` while this thread holds a read guard on it",
                    primary_what.replacen("calls", "this call to", 1),
                    l2.text
                ),
                format!(
                    "{primary_what}, which waits for every reader to leave, including this thread"
                ),
            )
        };
        let d = Diagnostic::new(RULE.name, RULE.level, primary, message)
            .primary_label(label)
            .label(
                r.first.loc,
                r.first.label.replacen("guard", "read guard", 1),
            );
        out.push(trace_labels(d, &steps[1..]).help(help));
    }
}
