//! `static_mut`: mutable statics, and every access to them.

use super::shared::atomic_fix::{Site, import, retype_static, rewrite_access};
use super::{FixAvailability, Group, Rule};
use crate::diag::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::facts::{Access, StaticFacts, StaticOrigin, TypeFact};
use crate::index::StaticId;
use crate::index::model::Model;
use crate::index::queries::{ModuleRef, StaticMention};
use crate::known::atomics;
use crate::span::Loc;

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

For a `static mut` of a primitive type whose every access is a read, an assignment or a
compound assignment, the fix turns it into the matching atomic (`static COUNTER: AtomicU64`),
each read into `load`, each assignment into `store` and each `+=` (`-=`, `|=`, `&=`, `^=`)
into `fetch_add` (…), all with `Ordering::Relaxed`, and adds the `use`. Relaxed keeps each
access atomic but orders nothing else: code that relied on the static to publish other data
needs stronger orderings, which is why the fix needs `--unsafe-fixes`. The `unsafe` blocks
around the accesses are left for you to remove.

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

/// `static mut X: u64 = 0` → `static X: AtomicU64 = AtomicU64::new(0)`, with every access
/// rewritten; `None` unless every access can be.
fn atomic_fix(m: &Model, id: StaticId, refs: &[StaticMention]) -> Option<Fix> {
    let (s, file) = m.static_decl(id);
    let atomic = atomics::atomic_for(type_name(&s.ty)?)?;
    let is_bool = atomic == "AtomicBool";
    let mut_span = s.mut_span?;
    const ORDERING: &str = "Ordering::Relaxed";
    let mut edits = vec![Edit {
        loc: Loc {
            file,
            span: crate::span::Span {
                lo: mut_span.lo,
                hi: s.span.lo,
            },
        },
        replacement: String::new(),
    }];
    edits.extend(retype_static(file, s, atomic, s.init_text.trim()));
    let mut modules: Vec<ModuleRef> = vec![];
    for mention in refs {
        let r = mention.r;
        let target = crate::span::Span {
            lo: r.expr.lo.min(r.span.lo),
            hi: r.span.hi,
        };
        let fid = mention.file;
        let site = Site {
            access: r.access,
            op: r.op,
            whole: r.expr,
            target,
            value: r.value,
            pos: r.pos,
        };
        edits.extend(rewrite_access(fid, &site, is_bool, ORDERING)?);
        if !modules.contains(&mention.module) {
            modules.push(mention.module);
        }
    }
    let decl_module = m.static_module(id);
    if !modules.contains(&decl_module) {
        modules.push(decl_module);
    }
    for module in modules {
        let names: Vec<&str> = if module == decl_module {
            if refs.is_empty() {
                vec![atomic]
            } else {
                vec![atomic, "Ordering"]
            }
        } else {
            vec!["Ordering"]
        };
        edits.extend(import(m, module, &names)?);
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("make `{}` an `{atomic}`", s.name),
        edits,
    })
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
