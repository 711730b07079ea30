//! What the `guard_across_*` rules share: finding the guards held at certain events.

use super::words::trace_labels;
use crate::diag::Diagnostic;
use crate::facts::{CallIdx, Event, EventKind, Holder};
use crate::index::FnId;
use crate::index::locks::HeldLock;
use crate::index::model::{HeldRef, Model};
use crate::index::summary::Trace;
use crate::rules::Rule;
use crate::span::Loc;
use std::collections::BTreeMap;

/// One event a guard is held across.
pub(crate) struct Across<W> {
    pub loc: Loc,
    pub what: W,
    /// When the event is a call to a function that does it inside: the steps from the call
    /// (first) to where it happens (last).
    pub steps: Vec<(Loc, String)>,
}

/// What an event is, for a `guard_across_*` rule.
pub(crate) struct Picked<W> {
    pub what: W,
    /// A guard the event does not count against (the receiver's own guard).
    pub exempt: Vec<HeldRef>,
    pub steps: Vec<(Loc, String)>,
}

/// A guard, and the events it is held across.
pub(crate) struct HeldAcross<'m, W> {
    pub r: HeldRef,
    pub lock: &'m HeldLock,
    pub holder: &'m Holder,
    pub events: Vec<Across<W>>,
}

impl<W> HeldAcross<'_, W> {
    /// The finding, at the guard: "guard of `x` is held across {what}".
    pub fn diagnostic(&self, m: &Model, rule: &Rule, what: &str) -> Diagnostic {
        Diagnostic::new(
            rule.name,
            rule.level,
            m.loc(self.r.f, self.holder.span),
            format!("guard of `{}` is held across {what}", self.lock.text),
        )
    }

    /// A label on each event: `here` where it happens in this function; where it happens in a
    /// callee, `through` (given the call's step) at the call, then the steps down to it.
    pub fn label_events(
        &self,
        mut d: Diagnostic,
        here: impl Fn(&W) -> String,
        through: impl Fn(&W, &str) -> String,
    ) -> Diagnostic {
        for e in &self.events {
            match e.steps.split_first() {
                None => d = d.label(e.loc, here(&e.what)),
                Some(((call, what), rest)) => {
                    d = d.label(*call, through(&e.what, what));
                    d = trace_labels(d, rest);
                }
            }
        }
        d
    }
}

/// For every guard, the events `pick` selects during which it is held. `pick` says what the
/// event is, and which guard it does not count against (the receiver's own guard); `counts`
/// filters the guards.
pub(crate) fn guards_across<'m, W: Clone>(
    m: &'m Model,
    mut pick: impl FnMut(FnId, u32, &Event) -> Option<Picked<W>>,
    mut counts: impl FnMut(HeldRef, &W) -> bool,
) -> Vec<HeldAcross<'m, W>> {
    let mut out: BTreeMap<HeldRef, Vec<Across<W>>> = BTreeMap::new();
    for (f, body) in m.bodies() {
        if !m.holds_anything(f) {
            continue;
        }
        for (e, ev) in body.events.iter().enumerate() {
            let Some(p) = pick(f, e as u32, ev) else {
                continue;
            };
            for r in m.held_at(f, e as u32) {
                if !p.exempt.contains(&r) && m.lock(r).is_some() && counts(r, &p.what) {
                    out.entry(r).or_default().push(Across {
                        loc: m.loc(f, ev.span),
                        what: p.what.clone(),
                        steps: p.steps.clone(),
                    });
                }
            }
        }
    }
    out.into_iter()
        .filter_map(|(r, events)| {
            Some(HeldAcross {
                r,
                lock: m.lock(r)?,
                holder: m.holder(r),
                events,
            })
        })
        .collect()
}

/// [`guards_across`] for call events: `pick` says what call `c` (event `e`, at `ev`) of `f`
/// is.
pub(crate) fn guards_across_calls<'m, W: Clone>(
    m: &'m Model,
    mut pick: impl FnMut(FnId, u32, CallIdx, &Event) -> Option<Picked<W>>,
    counts: impl FnMut(HeldRef, &W) -> bool,
) -> Vec<HeldAcross<'m, W>> {
    guards_across(
        m,
        |f, e, ev| match ev.kind {
            EventKind::Call(c) => pick(f, e, c, ev),
            _ => None,
        },
        counts,
    )
}

/// "`.await`", "2 `.await` points": a count in words for messages.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        format!("{n} {many}")
    }
}

/// A call to functions of ours that do something inside: the first callee's trace to it.
pub(crate) fn via_callee(
    m: &Model,
    f: FnId,
    c: CallIdx,
    call: Loc,
    pick: impl Fn(&crate::index::summary::Summary) -> Option<&Trace>,
) -> Option<Vec<(Loc, String)>> {
    if !m.runs_now(f, c) {
        return None;
    }
    m.callees(f, c).iter().find_map(|&g| {
        let t = pick(m.summary(g))?;
        Some(m.trace_text(&t.through(call, g)))
    })
}
