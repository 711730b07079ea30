//! `lock_order_inversion`: locks taken in different orders, which can deadlock two threads.

use super::{FixAvailability, Group, Rule};
use crate::diag::{Diagnostic, Severity};
use crate::index::graph::{Edge, LockGraph, Witness};
use crate::index::model::Model;

pub const RULE: Rule = Rule {
    name: "lock_order_inversion",
    level: Severity::Error,
    group: Group::Default,
    summary: "two or more locks taken in opposite orders anywhere in the crate or workspace (a cycle in the lock-order graph)",
    docs: DOCS,
    fix: FixAvailability::None,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Builds the lock-order graph of the whole crate or workspace, an edge A → B for every place
where code holding a lock A takes a lock B (directly, or inside a function it calls, across
files, in closures it passes along), and reports every cycle: locks that some code takes in one
order and other code in another.

### Why is this bad
Thread 1 takes `inventory` then `audit_log` in `restock()`; thread 2 takes `audit_log` then
`inventory` in `audit()`. If each gets its first lock before the other's second, both wait
forever. The bug needs no mistake in either function on its own, only in the pair, which is why
tests rarely find it and clippy, looking at one function at a time, cannot.

### Known problems
Locks are compared by class (`Type::field`, a static, a local and its clones): two instances of
one class count as one node, so a cycle between `a.x`/`b.y` and `c.y`/`d.x` on different
objects is reported although those particular objects may never be shared. Code that can never
run concurrently is told apart only in one case: locks made in one call, taken in one order by
that call before it spawns the thread that takes them in the other (initialisation before
threads start, in general, is not). Calls that cannot be
resolved (trait objects, generic parameters, other crates) are not followed, so some cycles are
missed.

### Example
```rust
fn restock(&self) {
    let _inv = self.inventory.lock().unwrap();
    let _log = self.audit_log.lock().unwrap(); // inventory → audit_log
}

fn audit(&self) {
    let _log = self.audit_log.lock().unwrap();
    let _inv = self.inventory.lock().unwrap(); // audit_log → inventory: a cycle
}
```

### Use instead
```rust
fn audit(&self) {
    // one global order everywhere: inventory, then audit_log
    let _inv = self.inventory.lock().unwrap();
    let _log = self.audit_log.lock().unwrap();
}
```
"#;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let g = m.lock_graph();
    for cycle in g.cycles() {
        let edges: Vec<&Edge> = cycle.iter().map(|&e| &g.edges[e]).collect();
        if m.cycle_runs_in_turn(&edges) {
            continue;
        }
        out.push(diagnostic(m, &g, &cycle));
    }
}

fn name(m: &Model, e: &Edge, from: bool) -> String {
    let (class, text) = if from {
        (&e.from, &e.witness.held.text)
    } else {
        (&e.to, &e.witness.acquired.text)
    };
    m.class_name(class, text)
}

/// The label of the first step of a witness's trace: the second acquisition itself when the
/// trace is that one step (`only`), else the call `what` that leads to it.
fn first_step(what: &str, only: bool, w: &Witness) -> String {
    if only {
        format!(
            "then takes `{}` while holding `{}`",
            w.acquired.text, w.held.text
        )
    } else {
        format!(
            "{what}, which takes `{}` while `{}` is held",
            w.acquired.text, w.held.text
        )
    }
}

fn diagnostic(m: &Model, g: &LockGraph, cycle: &[usize]) -> Diagnostic {
    // Start from the edge seen first in the source, so the report is stable.
    let start = (0..cycle.len())
        .min_by_key(|&i| g.edges[cycle[i]].witness.trace.steps[0].0)
        .unwrap_or(0);
    let edges: Vec<&Edge> = (0..cycle.len())
        .map(|i| &g.edges[cycle[(start + i) % cycle.len()]])
        .collect();
    let names: Vec<String> = edges.iter().map(|e| name(m, e, true)).collect();
    let message = if edges.len() == 2 {
        format!(
            "`{}` and `{}` are locked in opposite orders",
            names[0], names[1]
        )
    } else {
        let mut chain: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        chain.push(format!("`{}`", names[0]));
        format!(
            "{} locks are taken in a cycle: {}",
            edges.len(),
            chain.join(" → ")
        )
    };
    let first = &edges[0].witness;
    let first_steps = m.trace_text(&first.trace);
    let (primary, primary_what) = first_steps[0].clone();
    let mut d = Diagnostic::new(RULE.name, RULE.level, primary, message).primary_label(first_step(
        &primary_what,
        first_steps.len() == 1,
        first,
    ));
    for (i, e) in edges.iter().enumerate() {
        let w = &e.witness;
        d = d.label(
            w.held_loc,
            if w.held_by_callee {
                format!(
                    "`{}` is taken first here, and held while the closure runs",
                    w.held.text
                )
            } else {
                format!("{} takes `{}` first", m.fn_phrase(w.held_fn), w.held.text)
            },
        );
        let all = m.trace_text(&w.trace);
        let steps = if i == 0 { &all[1..] } else { &all[..] };
        for (j, (loc, what)) in steps.iter().enumerate() {
            let last = j + 1 == steps.len();
            let text = match (i == 0, j == 0, last) {
                (false, true, _) => first_step(what, last, w),
                (_, _, true) => format!("{what} here"),
                _ => what.clone(),
            };
            d = d.label(*loc, text);
        }
        // The same order taken elsewhere: where it is held and where the other is taken.
        for o in &e.others {
            d = d.label(
                o.held_loc,
                format!(
                    "{} takes `{}` first too",
                    m.fn_phrase(o.held_fn),
                    o.held.text
                ),
            );
            let steps = m.trace_text(&o.trace);
            if let Some((loc, what)) = steps.first() {
                d = d.label(*loc, first_step(what, steps.len() == 1, o));
            }
        }
    }
    let threads: Vec<String> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            format!(
                "thread {} in {} holds `{}` and waits for `{}`",
                i + 1,
                m.fn_phrase(e.witness.held_fn),
                name(m, e, true),
                name(m, e, false)
            )
        })
        .collect();
    let order: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let last = edges[edges.len() - 1];
    d.help(format!(
        "take these locks in one order everywhere, e.g. {}: in {}, take `{}` before `{}`",
        order.join(" before "),
        m.fn_phrase(last.witness.f),
        names[0],
        name(m, last, true)
    ))
    .note(format!("{}: none of them can go on", threads.join("; ")))
}
