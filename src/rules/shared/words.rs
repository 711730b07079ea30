//! Shared wording: how a guard is kept alive, and what to do about it.

use crate::facts::{Held, Holder, HolderKind, ScrutineeKind};
use crate::index::locks::HeldLock;
use crate::known::LockType;

/// "the `std::sync::Mutex`", "a `tokio::sync::RwLock`", for notes.
pub fn lock_kind(ty: LockType) -> String {
    let lib = ty.lib.name();
    if matches!(
        ty.lib,
        crate::known::LockLib::Own | crate::known::LockLib::OwnAsync
    ) {
        return "this crate's own lock".to_string();
    }
    if lib == "unknown" {
        format!("`{}`", ty.name())
    } else {
        let module = match ty.lib {
            crate::known::LockLib::Std
            | crate::known::LockLib::Tokio
            | crate::known::LockLib::AsyncStd => "::sync",
            crate::known::LockLib::Futures => "::lock",
            _ => "",
        };
        format!("`{}{module}::{}`", lib.replace('-', "_"), ty.name())
    }
}

/// What keeps a guard alive, as a label for the place it was taken.
pub fn kept_by(holder: &Holder, lock: &HeldLock) -> String {
    // A guard a called function hands back was taken inside it (or before, and given to it).
    let got = match holder.kind {
        HolderKind::CallResult(_) => "returned by this call",
        _ => "taken here",
    };
    match (holder.held, holder.binding) {
        (Held::Binding, Some((name, _))) => {
            format!("guard of `{}` {got}, kept alive by `{name}`", lock.text)
        }
        (Held::Scrutinee(k), _) => format!(
            "guard of `{}` taken here; this temporary lives until the end of the {}",
            lock.text,
            scrutinee_name(k)
        ),
        _ => format!("guard of `{}` taken here", lock.text),
    }
}

pub fn scrutinee_name(k: ScrutineeKind) -> &'static str {
    match k {
        ScrutineeKind::Match => "`match`",
        ScrutineeKind::IfLet => "`if let` (and its `else` before edition 2024)",
        ScrutineeKind::WhileLet => "loop iteration",
        ScrutineeKind::For => "`for` loop",
    }
}

/// Labels for the steps of a trace after the first (which is the primary span or already
/// labelled): "calls `x`", then "locks `self.value` here".
pub fn trace_labels(
    mut d: crate::diag::Diagnostic,
    steps: &[(crate::span::Loc, String)],
) -> crate::diag::Diagnostic {
    for (i, (loc, what)) in steps.iter().enumerate() {
        let text = if i + 1 == steps.len() {
            format!("{what} here")
        } else {
            what.clone()
        };
        d = d.label(*loc, text);
    }
    d
}

/// How to end a guard before some point.
pub fn end_it(holder: &Holder, before: &str) -> String {
    match (holder.held, holder.binding) {
        (Held::Binding, Some((name, _))) => format!(
            "end the guard before {before}: take what you need from it, then `drop({name})`, or put its use in a block `{{ … }}` that closes first"
        ),
        (Held::Scrutinee(k), _) => format!(
            "copy what you need out of the guard into a local first (`let value = …;`), so that the guard is not a temporary of the {} that lives through {before}",
            scrutinee_name(k)
        ),
        _ => format!("end the guard before {before}"),
    }
}
