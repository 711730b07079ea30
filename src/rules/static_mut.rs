//! `static_mut`: mutable statics, and every access to them.

use super::shared::atomic_fix::{
    Site, fuse_write_and_read, import, retype_static, rewrite_access, rewrite_self_op,
};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{
    Access, ArithOp, BlockPos, ExprPos, SelfOp, StaticFacts, StaticOrigin, TailShape, ThenRead,
    TypeFact, UnsafeBlock, UnsafeContent,
};
use crate::index::StaticId;
use crate::index::model::Model;
use crate::index::queries::{ModuleRef, StaticMention};
use crate::known::{atomics, once};
use crate::span::{FileId, Loc, Pos, Span};

pub const RULE: Rule = Rule {
    name: "static_mut",
    level: Severity::Warning,
    group: Group::Default,
    summary: "a `static mut` item, with every access to it",
    docs: DOCS,
    fix: FixAvailability::Sometimes,
    check: Some(check),
};

const DOCS: &str = r#"### What it does
Finds `static mut` items and shows every access to them, and names the replacement that fits
how the static is used: an atomic for a counter or flag, `OnceLock`/`LazyLock` for a value set
once, a `Mutex` for anything else shared, `thread_local!` for per-thread state.

### Why is this bad
Any access to a `static mut` from two threads at once, one of them a write, is a data race:
undefined behaviour, not just a lost update. `COUNTER += 1` is a read, an add and a write, so
two threads can both read 0 and both write 1. Edition 2024 rejects references to `static mut`
(`static_mut_refs`) for this reason.

### Known problems
A `static mut` that only one thread ever touches (set up in `main` before any thread starts)
is safe but still reported: the compiler cannot check that promise and neither can lockscan.
Accesses are found by name from the paths that resolve to the static.

One synchronisation is seen: the lazy initialisation written before `OnceLock`. A static whose
every write is inside the closure that one `Once`'s `call_once` runs (`INIT.call_once(|| X =
Some(..))`, the closure written as the argument), and whose every other access is a read
(`X`, `&X`, `X.as_ref()`, `X.get(..)`, …) that follows a `call_once` on the same `Once` in
the same body, on every path (no branch or loop around that `call_once`), is not reported:
the closure runs once, and its writes happen-before every return from `call_once`. A read
before the `call_once`, in another function without one, or after a `call_once` that only one
branch makes, is still a race, and the static is reported. A `static mut` synchronised in
other ways (every access under one lock, a hand-rolled spin lock, a write before any thread
starts) is still reported.

For a `static mut` of a primitive type whose every access is a read, an assignment or a
compound assignment, the fix turns it into the matching atomic (`static COUNTER: AtomicU64`),
each read into `load`, each assignment into `store` and each `+=` (`-=`, `|=`, `&=`, `^=`)
into `fetch_add` (…), all with `Ordering::Relaxed`, and adds the `use`. `X = X + v` is one
`fetch_add` too. A write whose new value is read next (`X += 1; X`, `X += 1; let id = X;`,
`X += 1; return X`) becomes one atomic step, `X.fetch_add(1, Ordering::Relaxed) + 1`, never a
`fetch_add` then a `load`, between which another thread could bump it and two callers get the
same value; where that cannot be done (`v` is a call, which would run twice) there is no fix.
An `unsafe` block left holding nothing but the atomic calls is taken away (one statement takes
its place; several, or a `let`, keep their braces); a block that does anything else unsafe
keeps its `unsafe`. Relaxed keeps each access atomic but orders nothing else: code that relied on the
static to publish other data needs stronger orderings, which is why the fix needs
`--unsafe-fixes`.

### Example
```rust
static mut COUNTER: u64 = 0;

fn increment() {
    unsafe { COUNTER += 1 } // two threads can both read 0 and both write 1
}
```

### Use instead
```rust
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn increment() {
    COUNTER.fetch_add(1, Ordering::Relaxed);
}
```
"#;

/// Labels beyond this many are summarized in a note.
const MAX_LABELS: usize = 8;

fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    let mutable: Vec<StaticId> = m
        .statics()
        .filter(|(_, s, _)| s.mutable)
        .map(|(id, _, _)| id)
        .collect();
    if mutable.is_empty() {
        return;
    }
    // Every access, by the static it resolves to.
    let mentions = m.static_mentions(&mutable);
    for (id, s, file) in m.statics() {
        // A `#[thread_local] static mut` is each thread's own.
        if !s.mutable || s.origin != StaticOrigin::Item || s.thread_local_attr {
            continue;
        }
        let refs = mentions.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        if set_once(m, refs) {
            continue;
        }
        let mut found: Vec<(Loc, Access)> = refs
            .iter()
            .map(|r| {
                (
                    Loc {
                        file: r.file,
                        span: r.r.span,
                    },
                    r.r.access,
                )
            })
            .collect();
        found.sort_by_key(|(loc, _)| *loc);
        let mut d = Diagnostic::new(
            RULE.name,
            RULE.level,
            Loc { file, span: s.span },
            format!(
                "`static mut {}` is shared mutable state with no synchronization",
                s.name
            ),
        )
        .primary_label(match found.len() {
            0 => "declared here".to_string(),
            1 => "declared here, accessed once".to_string(),
            n => format!("declared here, accessed in {n} places"),
        });
        for (loc, access) in found.iter().take(MAX_LABELS) {
            d = d.label(*loc, access_label(*access));
        }
        if found.len() > MAX_LABELS {
            d = d.note(format!(
                "{} more accesses are not shown",
                found.len() - MAX_LABELS
            ));
        }
        d = d.help(replacement(s, &found));
        d = d.note("accesses from two threads, one of them a write, are a data race: undefined behaviour, not just a lost update");
        if let Some(fix) = atomic_fix(m, id, refs) {
            d = d.fix(fix);
        }
        out.push(d);
    }
}

/// The pre-`OnceLock` lazy initialisation: every write is inside the closure that one
/// `Once`'s `call_once` runs (`INIT.call_once(|| X = Some(..))`), and every other access is a
/// read that follows a `call_once` on the same `Once` in its body, on every path. The closure
/// runs once, and its writes happen-before every return from `call_once`, so no read races with
/// them.
fn set_once(m: &Model, refs: &[StaticMention]) -> bool {
    let mut once: Option<StaticId> = None;
    let mut wrote = false;
    let mut reads = vec![];
    for r in refs {
        let Some(f) = m.mention_fn(r) else {
            return false;
        };
        if let Some(o) = m.once_running(f) {
            if once.is_some_and(|x| x != o) {
                return false;
            }
            once = Some(o);
            wrote |= writes(r.r);
            continue;
        }
        if writes(r.r) {
            return false;
        }
        reads.push((f, r.r.span.lo));
    }
    let Some(o) = once else { return false };
    wrote
        && reads
            .iter()
            .all(|&(f, at)| m.onces_completed_before(f, at).contains(&o))
}

/// Does the access write the static (or may it, through a method that takes `&mut self`)?
fn writes(r: &crate::facts::StaticRef) -> bool {
    match r.access {
        Access::Read | Access::Ref => false,
        Access::Method => !r.method.is_some_and(once::reads_only),
        Access::Assign | Access::Compound | Access::RefMut => true,
    }
}

/// How a mention of the static is rewritten.
#[derive(Clone, Copy)]
enum Rewrite {
    /// On its own: a read, a store, an `op=`.
    Alone,
    /// `X = X op v` as one `fetch_op`.
    SelfOp(SelfOp),
    /// A write and the read of its result that follows, as one `fetch_op(..) op v` at the read.
    Fused(ThenRead, ArithOp),
    /// Rewritten with another mention (the `X` of `X = X op v`, a read fused with its write).
    Consumed,
}

/// `static mut X: u64 = 0` → `static X: AtomicU64 = AtomicU64::new(0)`, with every access
/// rewritten, and the `unsafe` blocks that are left with nothing unsafe in them taken away;
/// `None` unless every access can be rewritten without splitting one step in two (a write
/// whose new value is read next becomes one `fetch_op`, or no fix).
fn atomic_fix(m: &Model, id: StaticId, refs: &[StaticMention]) -> Option<Fix> {
    let (s, file) = m.static_decl(id);
    let atomic = atomics::atomic_for(type_name(&s.ty)?)?;
    let is_bool = atomic == "AtomicBool";
    let mut_span = s.mut_span?;
    const ORDERING: &str = "Ordering::Relaxed";
    let mut edits = vec![Edit {
        loc: Loc {
            file,
            span: Span {
                lo: mut_span.lo,
                hi: s.span.lo,
            },
        },
        replacement: String::new(),
    }];
    edits.extend(retype_static(file, s, atomic, s.init_text.trim()));
    let mut refs: Vec<&StaticMention> = refs.iter().collect();
    refs.sort_by_key(|x| (x.file, x.r.span.lo));
    let plan = rewrites(&refs, is_bool)?;
    // The `unsafe` blocks whose every static is this one: taken away, and the position a
    // block's tail takes once it is gone.
    let mut files: Vec<FileId> = refs.iter().map(|x| x.file).collect();
    files.dedup();
    let mut tails_as_stmt: Vec<(FileId, Span)> = vec![];
    for f in files {
        for b in m.unsafe_blocks(f) {
            let inside: Vec<usize> = (0..refs.len())
                .filter(|&k| refs[k].file == f && b.span.contains(refs[k].r.span))
                .collect();
            let Some(c) = &b.content else { continue };
            if inside.is_empty() || inside.len() != c.statics as usize {
                continue;
            }
            let (block_edits, tail_as_stmt) = unwrap_unsafe(f, b, c, &inside, &refs, &plan);
            edits.extend(block_edits);
            if tail_as_stmt && let Some(t) = c.tail {
                tails_as_stmt.push((f, t));
            }
        }
    }
    for (k, mention) in refs.iter().enumerate() {
        let r = mention.r;
        let fid = mention.file;
        let target = Span {
            lo: r.expr.lo.min(r.span.lo),
            hi: r.span.hi,
        };
        let pos = if tails_as_stmt.contains(&(fid, r.expr)) {
            ExprPos::Stmt
        } else {
            r.pos
        };
        match plan[k] {
            Rewrite::Consumed => {}
            Rewrite::Fused(then, op) => {
                let method = atomics::fetch_method(op, is_bool)?;
                edits.extend(fuse_write_and_read(
                    fid,
                    r.expr.lo,
                    then,
                    method,
                    op_symbol(op)?,
                    r.delta_text.as_deref()?,
                    ORDERING,
                ));
            }
            Rewrite::SelfOp(so) => {
                let method = atomics::fetch_method(so.op, is_bool)?;
                edits.extend(rewrite_self_op(
                    fid, r.expr, target, so.delta, method, pos, ORDERING,
                )?);
            }
            Rewrite::Alone => {
                let site = Site {
                    access: r.access,
                    op: r.op,
                    whole: r.expr,
                    target,
                    value: r.value,
                    pos,
                };
                edits.extend(rewrite_access(fid, &site, is_bool, ORDERING)?);
            }
        }
    }
    // The atomic type where the static is declared, `Ordering` wherever it is used.
    let decl_module = m.static_module(id);
    let mut modules: Vec<ModuleRef> = vec![decl_module];
    for mention in &refs {
        if !modules.contains(&mention.module) {
            modules.push(mention.module);
        }
    }
    let ordering_in_decl = refs.iter().any(|x| x.module == decl_module);
    for module in modules {
        let names: Vec<&str> = match (module == decl_module, ordering_in_decl) {
            (true, true) => vec![atomic, "Ordering"],
            (true, false) => vec![atomic],
            (false, _) => vec!["Ordering"],
        };
        edits.extend(import(m, module, &names)?);
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("make `{}` an `{atomic}`", s.name),
        edits,
    })
}

/// How each mention (sorted by file and place) is rewritten; `None` when a write's new value
/// is read next by an access that cannot be fused with it: two atomic steps where the code
/// meant one, another thread can come between.
fn rewrites(refs: &[&StaticMention], is_bool: bool) -> Option<Vec<Rewrite>> {
    let find = |file: FileId, span: Span, access: Access| {
        refs.iter()
            .position(|x| x.file == file && x.r.span == span && x.r.access == access)
    };
    let mention_in = |file: FileId, span: Span| {
        refs.iter()
            .any(|x| x.file == file && span.contains(x.r.span))
    };
    let mut plan = vec![Rewrite::Alone; refs.len()];
    for (k, x) in refs.iter().enumerate() {
        let r = x.r;
        // `X = X op v`, when `op` has a `fetch_op` and `v` does not mention `X`.
        if r.access == Access::Assign
            && let Some(so) = r.self_op
            && atomics::fetch_method(so.op, is_bool).is_some()
            && !mention_in(x.file, so.delta)
            && let Some(this) = find(x.file, so.this, Access::Read)
        {
            plan[k] = Rewrite::SelfOp(so);
            plan[this] = Rewrite::Consumed;
        }
    }
    for (k, x) in refs.iter().enumerate() {
        let r = x.r;
        let op = match (r.access, plan[k]) {
            (Access::Compound, _) => r.op,
            (Access::Assign, Rewrite::SelfOp(so)) => Some(so.op),
            _ => None,
        };
        let Some(op) = op else { continue };
        // The read right after the write, fused with it when `v` can be written twice.
        if let Some(then) = r.then_read
            && let Some(read) = find(x.file, then.read, Access::Read)
            && matches!(plan[read], Rewrite::Alone)
            && op_symbol(op).is_some()
            && atomics::fetch_method(op, is_bool).is_some()
            && r.delta_text
                .as_deref()
                .is_some_and(|t| !looks_like_static(t))
            && !r
                .value
                .is_some_and(|v| mention_in(x.file, v) && r.self_op.is_none())
        {
            plan[k] = Rewrite::Fused(then, op);
            plan[read] = Rewrite::Consumed;
            continue;
        }
        // Otherwise the next access in the same body must not read what it wrote.
        let next = refs[k + 1..]
            .iter()
            .enumerate()
            .find(|(_, y)| y.file == x.file && y.r.fn_ == r.fn_ && y.r.span.lo >= r.expr.hi);
        if let Some((j, y)) = next
            && y.r.access == Access::Read
            && matches!(plan[k + 1 + j], Rewrite::Alone)
        {
            return None;
        }
    }
    Some(plan)
}

/// The edits that take away an `unsafe` block whose statics are all this one (the mentions
/// `inside`, by index in `refs`), keeping what it holds; and whether its tail then stands as a
/// statement (and is rewritten as one). A block whose content cannot stand where the block
/// does loses only its `unsafe`.
fn unwrap_unsafe(
    file: FileId,
    b: &UnsafeBlock,
    c: &UnsafeContent,
    inside: &[usize],
    refs: &[&StaticMention],
    plan: &[Rewrite],
) -> (Vec<Edit>, bool) {
    let at = |lo: Pos, hi: Pos, text: &str| Edit {
        loc: Loc {
            file,
            span: Span { lo, hi },
        },
        replacement: text.to_string(),
    };
    let keyword_only = vec![at(b.span.lo, b.open.lo, "")];
    if c.binds {
        return (keyword_only, false);
    }
    // Statements a fused write takes away with it.
    let fused_away = |stmt: &Span| {
        inside
            .iter()
            .any(|&k| matches!(plan[k], Rewrite::Fused(..)) && refs[k].r.expr.lo == stmt.lo)
    };
    let remaining = c.stmts.iter().filter(|s| !fused_away(s)).count();
    let (Some(first), Some(last)) = (
        c.stmts.first().map(|s| s.lo).or(c.tail.map(|t| t.lo)),
        c.tail.map(|t| t.hi).or(c.stmts.last().map(|s| s.hi)),
    ) else {
        return (keyword_only, false);
    };
    // The tail, when it is a write rewritten alone: `fetch_op` has a value where `op=` had
    // none, so it cannot take the block's place as a value.
    let tail_write = c.tail.is_some_and(|t| {
        inside.iter().any(|&k| {
            refs[k].r.expr == t
                && matches!(plan[k], Rewrite::Alone | Rewrite::SelfOp(_))
                && matches!(refs[k].r.access, Access::Compound | Access::Assign)
                && (refs[k].r.access == Access::Compound || matches!(plan[k], Rewrite::SelfOp(_)))
        })
    });
    // The tail, when it is a read rewritten alone (`X` → `X.load(o)`): a method call.
    let tail_read_alone = c.tail.is_some_and(|t| {
        c.tail_shape == TailShape::Path
            && inside
                .iter()
                .any(|&k| refs[k].r.span.hi == t.hi && matches!(plan[k], Rewrite::Alone))
    });
    let single = remaining == 0 && c.tail.is_some();
    // What the block holds, once fused writes are gone: one statement or one tail takes the
    // block's place; more keep their braces (and their indentation).
    let one = remaining + usize::from(c.tail.is_some()) == 1;
    match b.pos {
        BlockPos::Stmt { semi } if one => {
            let end = semi.map_or(b.span.hi, |s| s.hi);
            let close = match (c.tail, c.tail_shape) {
                (Some(_), TailShape::BlockLike) | (None, _) => "",
                (Some(_), _) => ";",
            };
            (
                vec![at(b.span.lo, first, ""), at(last, end, close)],
                c.tail.is_some(),
            )
        }
        BlockPos::Tail if one => (
            vec![at(b.span.lo, first, ""), at(last, b.span.hi, "")],
            false,
        ),
        BlockPos::Slot if single && !tail_write => (
            vec![at(b.span.lo, first, ""), at(last, b.span.hi, "")],
            false,
        ),
        BlockPos::Operand if single && !tail_write => {
            let (open, close) = if tail_read_alone {
                ("", "")
            } else {
                ("(", ")")
            };
            (
                vec![at(b.span.lo, first, open), at(last, b.span.hi, close)],
                false,
            )
        }
        _ => (keyword_only, false),
    }
}

/// The operator of `a op b` as written.
fn op_symbol(op: ArithOp) -> Option<&'static str> {
    Some(match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::BitAnd => "&",
        ArithOp::BitOr => "|",
        ArithOp::BitXor => "^",
        _ => return None,
    })
}

/// `SCREAMING_CASE`: a name that may be a static, whose text a fix must not copy (another fix
/// may rewrite it).
fn looks_like_static(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn access_label(a: Access) -> &'static str {
    match a {
        Access::Read => "read here",
        Access::Assign => "written here",
        Access::Compound => "read and written here, in two steps another thread can come between",
        Access::Ref => "borrowed here",
        Access::RefMut => "borrowed mutably here",
        Access::Method => "used through a method here",
    }
}

fn type_name(t: &TypeFact) -> Option<&'static str> {
    match t {
        TypeFact::Path(p) if p.segs.len() == 1 => Some(p.segs[0].name.as_str()),
        _ => None,
    }
}

/// The replacement that fits how the static is typed and used.
fn replacement(s: &StaticFacts, accesses: &[(Loc, Access)]) -> String {
    let name = s.name;
    let init = s.init_text.trim();
    let atomic = type_name(&s.ty).and_then(atomics::atomic_for);
    if let Some(atomic) = atomic {
        let op = if accesses.iter().any(|(_, a)| *a == Access::Compound) {
            format!(
                ", and `{name}.fetch_add(1, Ordering::Relaxed)` (or `fetch_sub`, `fetch_update`) for each `{name} += …`"
            )
        } else {
            format!(", with `{name}.load(..)` and `{name}.store(..)`")
        };
        return format!("use an atomic: `static {name}: {atomic} = {atomic}::new({init});`{op}");
    }
    if matches!(&s.ty, TypeFact::Ptr(_)) {
        return format!("use `AtomicPtr`: `static {name}: AtomicPtr<_> = AtomicPtr::new({init});`");
    }
    let ty_text = match &s.ty {
        TypeFact::Path(p) => p.segs.last().map(|s| s.name.as_str()).unwrap_or("_"),
        _ => "_",
    };
    if ty_text == "Option" && init == "None" {
        return format!(
            "initialize it once, safely: `static {name}: OnceLock<_> = OnceLock::new();` and `{name}.get_or_init(|| …)` (or `LazyLock` when the value can be built on first use)"
        );
    }
    format!(
        "put it behind a lock: `static {name}: Mutex<_> = Mutex::new({init});` (`LazyLock<Mutex<_>>` if the initial value is not `const`); if each thread needs its own copy, use `thread_local!`"
    )
}
