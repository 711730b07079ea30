//! A readable rendering of facts, for tests and `lockscan --dump-facts`.

use super::*;
use std::fmt::Write;

fn place_text(body: &Body, p: &Place, fns: &[FnFacts]) -> String {
    let mut s = match &p.base {
        Base::SelfValue => "self".to_string(),
        Base::Param(i) => format!("param{i}"),
        Base::Local { fn_, local } => fns
            .get(*fn_ as usize)
            .and_then(|f| f.body.as_ref())
            .filter(|_| *fn_ != u32::MAX)
            .and_then(|b| b.locals.get(*local as usize))
            .or_else(|| body.locals.get(*local as usize))
            .map(|l| l.name.to_string())
            .unwrap_or_else(|| format!("local{local}")),
        Base::Path(p) => crate::intern::join_path(p),
        Base::Call(c) => format!("call{c}()"),
        Base::Guard(h) => format!("*h{h}"),
        Base::Unknown => "?".to_string(),
    };
    for proj in &p.proj {
        match proj {
            Proj::Field(f) => {
                s.push('.');
                s.push_str(f.as_str());
            }
            Proj::Index(Some(k)) => {
                let _ = write!(s, "[{k}]");
            }
            Proj::Index(None) => s.push_str("[_]"),
            Proj::Method(m) => {
                let _ = write!(s, ".{m}()");
            }
        }
    }
    s
}

fn operand_text(body: &Body, op: &Operand, fns: &[FnFacts]) -> String {
    match op {
        Operand::Place(p) => place_text(body, &body.places[*p as usize], fns),
        Operand::Guard(h) => format!("h{h}"),
        Operand::Closure(c) => format!("closure#{c}"),
        Operand::Other => "_".to_string(),
    }
}

/// The holders alive at event `e`.
pub fn live_at(body: &Body, e: u32) -> Vec<HolderIdx> {
    body.holders
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            let (start, len) = h.live;
            body.intervals[start as usize..(start + len) as usize]
                .iter()
                .any(|iv| iv.start <= e && e < iv.end)
        })
        .map(|(i, _)| i as HolderIdx)
        .collect()
}

pub fn dump(facts: &FileFacts) -> String {
    let mut out = String::new();
    for (i, f) in facts.fns.iter().enumerate() {
        let Some(body) = &f.body else { continue };
        let kind = match f.owner {
            FnOwner::Closure {
                parent, deferred, ..
            } => format!(
                " (in #{parent}{})",
                if deferred { ", deferred" } else { "" }
            ),
            _ => String::new(),
        };
        let _ = writeln!(out, "fn #{i} {}{kind}", f.name);
        for (e, ev) in body.events.iter().enumerate() {
            let what = match ev.kind {
                EventKind::Acquire(h) => format!("acquire h{h}"),
                EventKind::Await => "await".to_string(),
                EventKind::Call(c) => {
                    let call = &body.calls[c as usize];
                    let recv = call
                        .receiver
                        .as_ref()
                        .map(|r| operand_text(body, r, &facts.fns))
                        .unwrap_or_default();
                    let callee = match &call.callee {
                        Callee::Path(p) => crate::intern::join_path(p),
                        Callee::Method(m) => format!("{recv}.{m}"),
                        Callee::Closure(c) => format!("closure#{c}"),
                        Callee::Param(p) => format!("param{p}"),
                        Callee::Stored(name) => format!("({recv}.{name})"),
                        Callee::Drop => format!("<drop {recv}>"),
                        Callee::Unknown => "?".to_string(),
                    };
                    let args: Vec<String> = call
                        .args
                        .iter()
                        .map(|a| operand_text(body, a, &facts.fns))
                        .collect();
                    format!("call {callee}({})", args.join(", "))
                }
            };
            let live: Vec<String> = live_at(body, e as u32)
                .iter()
                .map(|h| format!("h{h}"))
                .collect();
            let _ = writeln!(
                out,
                "  e{e} L{} {what}{}",
                ev.span.lo.line,
                if live.is_empty() {
                    String::new()
                } else {
                    format!("  [held: {}]", live.join(" "))
                }
            );
        }
        for (h, holder) in body.holders.iter().enumerate() {
            let what = match holder.kind {
                HolderKind::Lock { place, method } => format!(
                    "{}.{method}()",
                    place_text(body, &body.places[place as usize], &facts.fns)
                ),
                HolderKind::CallResult(c) => format!("result of call{c}"),
                HolderKind::Param(i) => format!("parameter {i}"),
            };
            let binding = holder
                .binding
                .map(|(b, _)| format!(" as {b}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  h{h} {what}{binding} {:?}{}",
                holder.held,
                holder
                    .discard
                    .map(|d| format!(" {d:?}"))
                    .unwrap_or_default()
            );
        }
        for r in &body.returns {
            let _ = writeln!(out, "  returns {}", operand_text(body, r, &facts.fns));
        }
        for op in &body.guard_ops {
            let via = crate::intern::join_path(&op.callee);
            let (kind, h, line) = (op.kind, op.holder, op.span.lo.line);
            let _ = writeln!(out, "  {kind:?} h{h} via {via} L{line}");
        }
        for u in &body.guard_uses {
            let _ = writeln!(out, "  use h{} at e{} L{}", u.holder, u.at, u.span.lo.line);
        }
        for a in &body.guard_accesses {
            let _ = writeln!(
                out,
                "  access h{} {:?}{} {:?} L{}",
                a.holder,
                a.access,
                a.op.map(|o| format!(" {o:?}")).unwrap_or_default(),
                a.pos,
                a.span.lo.line
            );
        }
        for w in &body.guard_writes {
            let _ = writeln!(
                out,
                "  write h{}{} {:?} from {:?}",
                w.holder,
                w.field.map(|f| format!(".{f}")).unwrap_or_default(),
                w.access,
                w.locals
            );
        }
        for gf in &body.guard_fields {
            let _ = writeln!(out, "  field h{}.{}", gf.holder, gf.field);
        }
        for u in &body.field_uses {
            let held: Vec<String> = u.held.iter().map(|h| format!("h{h}")).collect();
            let _ = writeln!(
                out,
                "  field use {} {:?} at e{} L{}{}",
                place_text(body, &body.places[u.place as usize], &facts.fns),
                u.kind,
                u.at,
                u.span.lo.line,
                if held.is_empty() {
                    String::new()
                } else {
                    format!("  [held: {}]", held.join(" "))
                }
            );
        }
        for b in &body.branches {
            let _ = writeln!(
                out,
                "  {:?} L{} cond e{}..e{} body e{}..e{}{} locals {:?}",
                b.kind,
                b.span.lo.line,
                b.cond.start,
                b.cond.end,
                b.body.start,
                b.body.end,
                if b.exits { " exits" } else { "" },
                b.locals
            );
        }
        for ca in &body.call_args {
            let shapes: Vec<String> = ca
                .args
                .iter()
                .map(|a| match &a.shape {
                    ArgShape::Path(p) => crate::intern::join_path(p),
                    ArgShape::Bool(b) => b.to_string(),
                    ArgShape::Lit => "lit".into(),
                    ArgShape::Call(c) => format!("call{c}"),
                    ArgShape::Binary { op, lhs, rhs } => format!(
                        "({:?} {op:?} {:?}{})",
                        lhs.call,
                        rhs.call,
                        if lhs.pure && rhs.pure { " pure" } else { "" }
                    ),
                    ArgShape::Other => "_".into(),
                })
                .collect();
            let _ = writeln!(out, "  args of call{}: {}", ca.call, shapes.join(", "));
        }
    }
    out
}
