//! Atomics: the atomic types' methods, their memory orderings, the one-step read-modify-write
//! forms, and the atomic type that stands in for each primitive.

use crate::facts::ArithOp;

/// The atomic types' methods, and the integer methods a read-modify-write is spelled with.
pub fn is_atomic_like(name: &str) -> bool {
    matches!(
        name,
        "load"
            | "store"
            | "swap"
            | "compare_exchange"
            | "compare_exchange_weak"
            | "compare_and_swap"
            | "fetch_add"
            | "fetch_sub"
            | "fetch_or"
            | "fetch_and"
            | "fetch_xor"
            | "fetch_max"
            | "fetch_min"
            | "fetch_update"
            | "wrapping_add"
            | "wrapping_sub"
    )
}

/// A memory ordering's name (`Ordering::Relaxed`'s last segment).
pub const ORDERINGS: &[&str] = &["Relaxed", "Release", "Acquire", "AcqRel", "SeqCst"];

/// A read-modify-write in one step: code that uses these knows the one-step forms.
pub fn is_rmw_method(name: &str) -> bool {
    name.starts_with("compare_exchange")
        || name.starts_with("fetch_")
        || name == "swap"
        || name == "compare_and_swap"
}

/// `x.wrapping_add(k)` / `x.wrapping_sub(k)`, and the atomic method that does it in one step.
pub fn wrapping_fetch(name: &str) -> Option<&'static str> {
    Some(match name {
        "wrapping_add" => "fetch_add",
        "wrapping_sub" => "fetch_sub",
        _ => return None,
    })
}

/// The ordering of a read-modify-write that reads like `load` and writes like `store`.
pub fn combined_ordering(load: &str, store: &str) -> Option<&'static str> {
    Some(match (load, store) {
        ("SeqCst", _) | (_, "SeqCst") => "SeqCst",
        ("Relaxed", "Relaxed") => "Relaxed",
        ("Relaxed", "Release") => "Release",
        ("Acquire", "Relaxed") => "Acquire",
        ("Acquire", "Release") => "AcqRel",
        _ => return None,
    })
}

/// The `std::sync::atomic` type for a primitive type name.
pub fn atomic_for(prim: &str) -> Option<&'static str> {
    Some(match prim {
        "bool" => "AtomicBool",
        "u8" => "AtomicU8",
        "u16" => "AtomicU16",
        "u32" => "AtomicU32",
        "u64" => "AtomicU64",
        "usize" => "AtomicUsize",
        "i8" => "AtomicI8",
        "i16" => "AtomicI16",
        "i32" => "AtomicI32",
        "i64" => "AtomicI64",
        "isize" => "AtomicIsize",
        _ => return None,
    })
}

/// The primitive types an atomic stands in for, by name (`atomic_for` knows each).
pub fn primitive(name: &str) -> Option<&'static str> {
    const PRIMITIVES: &[&str] = &[
        "bool", "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
    ];
    PRIMITIVES.iter().copied().find(|p| *p == name)
}

/// The atomic method doing `x op= v` in one step.
pub fn fetch_method(op: ArithOp, is_bool: bool) -> Option<&'static str> {
    Some(match op {
        ArithOp::Add if !is_bool => "fetch_add",
        ArithOp::Sub if !is_bool => "fetch_sub",
        ArithOp::BitOr => "fetch_or",
        ArithOp::BitAnd => "fetch_and",
        ArithOp::BitXor => "fetch_xor",
        _ => return None,
    })
}

/// A type name of `std::sync::atomic` (`AtomicU64`).
pub fn is_atomic_type(name: &str) -> bool {
    name.starts_with("Atomic")
}

/// A `use` path that names `std::sync::atomic::NAME`.
pub fn is_atomic_path(path: &[&str], name: &str) -> bool {
    matches!(path, ["std" | "core", "sync", "atomic", n] if *n == name)
}
