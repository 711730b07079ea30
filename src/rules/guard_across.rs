//! What the `guard_across_*` rules share: finding the guards held at certain events.

use crate::facts::Event;
use crate::index::FnId;
use crate::index::model::{HeldRef, Model};
use crate::index::summary::Trace;
use crate::span::Loc;
use std::collections::BTreeMap;

/// One event a guard is held across.
pub(super) struct Across<W> {
    pub loc: Loc,
    pub what: W,
    /// When the event is a call to a function that does it inside: the steps from the call
    /// (first) to where it happens (last).
    pub steps: Vec<(Loc, String)>,
}

/// What an event is, for a `guard_across_*` rule.
pub(super) struct Picked<W> {
    pub what: W,
    /// A guard the event does not count against (the receiver's own guard).
    pub exempt: Option<HeldRef>,
    pub steps: Vec<(Loc, String)>,
}

/// For every guard, the events `pick` selects during which it is held. `pick` says what the
/// event is, and which guard it does not count against (the receiver's own guard); `counts`
/// filters the guards.
pub(super) fn guards_across<W: Clone>(
    m: &Model,
    mut pick: impl FnMut(FnId, &Event) -> Option<Picked<W>>,
    mut counts: impl FnMut(HeldRef, &W) -> bool,
) -> BTreeMap<HeldRef, Vec<Across<W>>> {
    let mut out: BTreeMap<HeldRef, Vec<Across<W>>> = BTreeMap::new();
    for (f, body) in m.bodies() {
        if !m.holds_anything(f) {
            continue;
        }
        for (e, ev) in body.events.iter().enumerate() {
            let Some(p) = pick(f, ev) else {
                continue;
            };
            for r in m.held_at(f, e as u32) {
                if Some(r) != p.exempt && m.lock(r).is_some() && counts(r, &p.what) {
                    out.entry(r).or_default().push(Across {
                        loc: m.loc(f, ev.span),
                        what: p.what.clone(),
                        steps: p.steps.clone(),
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

/// A call to functions of ours that do something inside: the first callee's trace to it.
pub(super) fn via_callee(
    m: &Model,
    f: FnId,
    c: crate::facts::CallIdx,
    call: Loc,
    pick: impl Fn(&crate::index::summary::Summary) -> Option<&Trace>,
) -> Option<Vec<(Loc, String)>> {
    m.callees(f, c).iter().find_map(|&g| {
        let t = pick(m.summary(g))?;
        Some(m.trace_text(&t.through(call, g)))
    })
}
