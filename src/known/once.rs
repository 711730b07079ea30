//! One-time initialisation: `std::sync::Once` (and parking_lot's), whose `call_once` runs its
//! closure at most once, and whose completion happens-before every return from `call_once` on
//! it, in any thread. And the methods that only read a value through `&self`, which may follow
//! that initialisation without racing with it.

use crate::intern::Sym;

/// A `Once` type by its canonical path (`std::sync::Once`, `parking_lot::Once`), or the bare
/// name where the import is not visible. `spin::Once` and `once_cell` are cells that hold their
/// value, not a flag beside a `static mut`: they never reach here.
pub fn is_once_type(path: &[Sym]) -> bool {
    let segs = super::segments(path);
    match segs.as_slice() {
        ["Once"] => true,
        [first, .., "Once"] => matches!(*first, "std" | "core" | "parking_lot"),
        _ => false,
    }
}

/// `ONCE.call_once(|| ..)`, `ONCE.call_once_force(|state| ..)`: runs the closure once, and
/// returns only when it has run (here or in another thread).
pub fn is_call_once(method: Sym) -> bool {
    matches!(method.as_str(), "call_once" | "call_once_force")
}

/// A method that only reads its receiver through `&self`, among the ones a value set once is
/// read with (`LOGGER.as_ref()`, `CONFIG.get(..)`, `TABLE.len()`): no write, so no race with
/// another reader.
pub fn reads_only(method: Sym) -> bool {
    matches!(
        method.as_str(),
        "as_ref"
            | "as_deref"
            | "as_ptr"
            | "as_slice"
            | "as_str"
            | "is_some"
            | "is_none"
            | "is_empty"
            | "len"
            | "get"
            | "iter"
            | "contains"
            | "contains_key"
            | "clone"
            | "to_owned"
            | "to_string"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<Sym> {
        p.split("::").map(Sym::new).collect()
    }

    #[test]
    fn once_types_by_path() {
        assert!(is_once_type(&path("std::sync::Once")));
        assert!(is_once_type(&path("parking_lot::Once")));
        assert!(is_once_type(&path("Once")));
        assert!(!is_once_type(&path("spin::Once")));
        assert!(!is_once_type(&path("std::sync::OnceLock")));
    }
}
