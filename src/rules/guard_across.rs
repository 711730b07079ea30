//! What the `guard_across_*` rules share: finding the guards held at certain events.

use crate::facts::Event;
use crate::index::FnId;
use crate::index::model::{HeldRef, Model};
use crate::span::Loc;
use std::collections::BTreeMap;

/// One event a guard is held across.
pub(super) struct Across<W> {
    pub loc: Loc,
    pub what: W,
}

/// For every guard, the events `pick` selects during which it is held. `pick` says what the
/// event is, and which guard it does not count against (the receiver's own guard); `counts`
/// filters the guards.
pub(super) fn guards_across<W: Clone>(
    m: &Model,
    mut pick: impl FnMut(FnId, &Event) -> Option<(W, Option<HeldRef>)>,
    mut counts: impl FnMut(HeldRef, &W) -> bool,
) -> BTreeMap<HeldRef, Vec<Across<W>>> {
    let mut out: BTreeMap<HeldRef, Vec<Across<W>>> = BTreeMap::new();
    for (f, body) in m.bodies() {
        if !m.holds_anything(f) {
            continue;
        }
        for (e, ev) in body.events.iter().enumerate() {
            let Some((what, exempt)) = pick(f, ev) else {
                continue;
            };
            for r in m.held_at(f, e as u32) {
                if Some(r) != exempt && m.lock(r).is_some() && counts(r, &what) {
                    out.entry(r).or_default().push(Across {
                        loc: m.loc(f, ev.span),
                        what: what.clone(),
                    });
                }
            }
        }
    }
    out
}

/// "`.await`", "2 `.await` points": a count in words for messages.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        format!("{n} {many}")
    }
}
