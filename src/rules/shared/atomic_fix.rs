//! Shared by the fixes that turn a value into an atomic (`static_mut`, `mutex_of_primitive`):
//! the atomic type for a primitive, the `use` a module needs, and rewriting one access (or a
//! write and the read of its result, as one step).

use crate::diag::Edit;
use crate::facts::{Access, ArithOp, ExprPos, StaticFacts, ThenRead};
use crate::index::model::Model;
use crate::index::queries::ModuleRef;
use crate::intern::Sym;
use crate::known::atomics;
use crate::span::{FileId, Loc, Pos, Span};

/// The edits that declare a static as `atomic`, initialised with `value`:
/// `X: u64 = 0` → `X: AtomicU64 = AtomicU64::new(0)`.
pub fn retype_static(file: FileId, s: &StaticFacts, atomic: &str, value: &str) -> [Edit; 2] {
    [
        Edit {
            loc: Loc {
                file,
                span: s.ty_span,
            },
            replacement: atomic.to_string(),
        },
        Edit {
            loc: Loc {
                file,
                span: s.init_span,
            },
            replacement: format!("{atomic}::new({value})"),
        },
    ]
}

fn at(file: FileId, lo: Pos, hi: Pos) -> Loc {
    Loc {
        file,
        span: Span { lo, hi },
    }
}

/// One access to rewrite: `whole` is the expression (`*m.lock().unwrap() += 1`, `X = v`),
/// `target` the atomic's name or place as written inside it.
pub struct Site {
    pub access: Access,
    pub op: Option<ArithOp>,
    pub whole: Span,
    pub target: Span,
    pub value: Option<Span>,
    pub pos: ExprPos,
}

/// Rewrites one access: a read becomes `.load(o)`, `x = v` becomes `.store(v, o)`, `x op= v`
/// becomes `.fetch_op(v, o)`. Text before `target` in `whole` (a `*`) is removed.
pub fn rewrite_access(
    file: FileId,
    site: &Site,
    is_bool: bool,
    ordering: &str,
) -> Option<Vec<Edit>> {
    let Site {
        access,
        op,
        whole,
        target,
        value,
        pos,
    } = *site;
    if target.lo < whole.lo || target.hi > whole.hi {
        return None;
    }
    match access {
        Access::Read => {
            let mut edits = strip_prefix(file, whole, target);
            edits.push(Edit {
                loc: at(file, target.hi, whole.hi),
                replacement: format!(".load({ordering})"),
            });
            Some(edits)
        }
        Access::Assign | Access::Compound => {
            let value = value?;
            if value.lo < target.hi || value.hi != whole.hi {
                return None;
            }
            let (method, returns) = match access {
                Access::Assign => ("store", false),
                _ => (atomics::fetch_method(op?, is_bool)?, true),
            };
            let wrap = if returns { as_unit(pos) } else { ("", "") };
            Some(method_call(
                file, whole, target, value, method, wrap, ordering,
            ))
        }
        _ => None,
    }
}

/// The edit that removes what stands before `target` in `whole` (a `*`), if anything does.
fn strip_prefix(file: FileId, whole: Span, target: Span) -> Vec<Edit> {
    (whole.lo < target.lo)
        .then(|| Edit {
            loc: at(file, whole.lo, target.lo),
            replacement: String::new(),
        })
        .into_iter()
        .collect()
}

/// `whole` as `target.method(arg, ordering)`, wrapped in `wrap` (see [`as_unit`]): what lies
/// before `target`, between it and `arg`, and after `arg` is replaced.
fn method_call(
    file: FileId,
    whole: Span,
    target: Span,
    arg: Span,
    method: &str,
    (open, close): (&str, &str),
    ordering: &str,
) -> Vec<Edit> {
    let mut edits = vec![];
    if !open.is_empty() {
        edits.push(Edit {
            loc: at(file, whole.lo, whole.lo),
            replacement: open.to_string(),
        });
    }
    edits.extend(strip_prefix(file, whole, target));
    edits.push(Edit {
        loc: at(file, target.hi, arg.lo),
        replacement: format!(".{method}("),
    });
    edits.push(Edit {
        loc: at(file, arg.hi, whole.hi),
        replacement: format!(", {ordering}){close}"),
    });
    edits
}

/// What goes around a `fetch_*` call that stands for `op=`, which has the type `()` where
/// `fetch_*` returns the old value: nothing for a statement, a `;` for a block's tail, a block
/// elsewhere.
fn as_unit(pos: ExprPos) -> (&'static str, &'static str) {
    match pos {
        ExprPos::Stmt => ("", ""),
        ExprPos::Tail => ("", ";"),
        ExprPos::Inner => ("{ ", "; }"),
    }
}

/// `X = X op v` or `X = v op X` (`whole`, where `target` is the first `X` and `delta` is `v`)
/// as one `X.fetch_op(v, o)`: what lies between the target and `v`, and after `v`, is replaced.
pub fn rewrite_self_op(
    file: FileId,
    whole: Span,
    target: Span,
    delta: Span,
    method: &str,
    pos: ExprPos,
    ordering: &str,
) -> Option<Vec<Edit>> {
    if !(whole.lo <= target.lo && target.hi <= delta.lo && delta.hi <= whole.hi) {
        return None;
    }
    Some(method_call(
        file,
        whole,
        target,
        delta,
        method,
        as_unit(pos),
        ordering,
    ))
}

/// A write (`X op= v;`, from `write` to the start of the next statement, `then.next`) and
/// the read that the next statement starts with (`then.read`) as one atomic step at the read:
/// `X.fetch_op(v, o) op v`, the new value. `delta` is `v` as written.
pub fn fuse_write_and_read(
    file: FileId,
    write: Pos,
    then: ThenRead,
    method: &str,
    op: &str,
    delta: &str,
    ordering: &str,
) -> [Edit; 2] {
    [
        Edit {
            loc: at(file, write, then.next),
            replacement: String::new(),
        },
        Edit {
            loc: at(file, then.read.hi, then.read.hi),
            replacement: format!(".{method}({delta}, {ordering}) {op} {delta}"),
        },
    ]
}

/// The edits that make `names` (from `std::sync::atomic`) usable in a module: one `use` line
/// per missing name, so that two fixes needing the same name make the same edit (made once);
/// `None` when a name is taken by something else there.
pub fn import(m: &Model, module: ModuleRef, names: &[&str]) -> Option<Vec<Edit>> {
    let uses = m.module_uses(module);
    let mut missing = vec![];
    for &name in names {
        let sym = Sym::new(name);
        let bound: Vec<_> = uses.iter().filter(|u| u.alias == sym && !u.glob).collect();
        if bound.is_empty() {
            // A type of the module's own with that name would clash with the `use`.
            if m.module_declares_struct(module, sym) {
                return None;
            }
            missing.push(name);
            continue;
        }
        let ok = bound.iter().all(|u| {
            let p: Vec<&str> = u
                .path
                .iter()
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            atomics::is_atomic_path(&p, name)
        });
        if !ok {
            return None;
        }
    }
    if missing.is_empty() {
        return Some(vec![]);
    }
    let first = m.module_first_item(module)?;
    let indent = " ".repeat(first.col.saturating_sub(1) as usize);
    Some(
        missing
            .into_iter()
            .map(|name| Edit {
                loc: Loc {
                    file: m.module_file(module),
                    span: Span {
                        lo: first,
                        hi: first,
                    },
                },
                replacement: format!("use std::sync::atomic::{name};\n{indent}"),
            })
            .collect(),
    )
}

/// `Mutex::new(x)` → `x`: the argument of a one-argument constructor call, as written.
pub fn ctor_arg<'t>(text: &'t str, ctors: &[&str]) -> Option<&'t str> {
    let open = text.find('(')?;
    let head = text[..open].trim();
    let last = head.rsplit("::").next()?;
    let ty = head.rsplit("::").nth(1)?;
    if last != "new" || !ctors.contains(&ty) || !text.ends_with(')') {
        return None;
    }
    Some(text[open + 1..text.len() - 1].trim())
}
