//! How values (and the guards in them) move through std's functions: wrappers that carry a
//! value, calls that end a guard, clones of a handle, and calls that never return. Paths are
//! as written (`mem::forget`, `Arc::new`), by segment name.

/// How a call ends a guard it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardEnd {
    /// `drop(g)`, `mem::drop(g)`: released now.
    Drop,
    /// `mem::forget(g)`: never released.
    Forget,
}

/// `drop(g)`, `mem::drop(g)`, `std::mem::forget(g)`: a one-argument call that ends a guard.
pub fn guard_end(segs: &[&str]) -> Option<GuardEnd> {
    let (Some(&first), Some(&last)) = (segs.first(), segs.last()) else {
        return None;
    };
    if segs.len() > 1 && !matches!(first, "mem" | "std" | "core") {
        return None;
    }
    match last {
        "drop" => Some(GuardEnd::Drop),
        "forget" => Some(GuardEnd::Forget),
        _ => None,
    }
}

/// `ManuallyDrop::new(g)`, `Box::leak(..)`: the value is kept and its destructor never runs.
pub fn keeps_without_drop(segs: &[&str]) -> bool {
    matches!(segs, [.., "ManuallyDrop", "new"] | [.., "Box", "leak"])
}

/// `ManuallyDrop::drop(&mut x)`, `ManuallyDrop::into_inner(x)`, `ManuallyDrop::take(&mut x)`:
/// what a `ManuallyDrop` was kept for is released after all.
pub fn releases_manually_dropped(segs: &[&str]) -> bool {
    matches!(segs, [.., "ManuallyDrop", "drop" | "into_inner" | "take"])
}

/// `Arc::clone(&a)`, `Rc::clone(&a)`: the same object.
pub fn is_handle_clone(segs: &[&str]) -> bool {
    segs.len() >= 2 && segs.last() == Some(&"clone")
}

/// `x.clone()`: the same object, for a shared handle.
pub fn is_clone_method(name: &str) -> bool {
    name == "clone"
}

/// Constructors whose value carries their argument: `Some(g)`, `Ok(g)`, `Box::new(g)`.
pub fn wraps_value(segs: &[&str]) -> bool {
    matches!(segs, ["Some" | "Ok" | "Err"])
        || matches!(segs, [.., "Box" | "Arc" | "Rc" | "Pin", "new"])
}

/// `Held(g)`, `Msg::Locked(g)`, `Self(g)`: a tuple struct's or an enum variant's constructor
/// (written capitalized, as rustc expects), whose value carries its arguments.
pub fn is_constructor(segs: &[&str]) -> bool {
    segs.last()
        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// `opt.take()`, `mem::take(&mut x)`, `mem::replace(&mut x, v)`: the value moves out of a place
/// (and the guard in it with it).
pub fn takes_out_method(name: &str) -> bool {
    matches!(name, "take" | "replace")
}

/// Methods whose result is the receiver's value or a part of it, not something new made from
/// it: `opt.take()`, `opt.as_mut()`, `res.unwrap()`, `cell.get_mut()`. Blocking on the result
/// of one called on a guard is blocking on the guarded value.
pub fn gives_part_of_receiver(name: &str) -> bool {
    matches!(
        name,
        "take"
            | "replace"
            | "as_mut"
            | "as_ref"
            | "as_deref"
            | "as_deref_mut"
            | "as_pin_mut"
            | "unwrap"
            | "expect"
            | "get_mut"
            | "deref"
            | "deref_mut"
            | "by_ref"
    )
}

/// Methods of `Option` and `Result` that run their closure on the value they hold, in place:
/// in `opt.take().map(|h| h.join())`, `h` is the receiver's payload.
pub fn runs_closure_on_payload(name: &str) -> bool {
    matches!(
        name,
        "map"
            | "and_then"
            | "map_or"
            | "map_or_else"
            | "inspect"
            | "is_some_and"
            | "is_ok_and"
            | "is_none_or"
            | "filter"
    )
}

/// `mem::take(&mut x)`, `mem::replace(&mut x, v)`.
pub fn takes_out_fn(segs: &[&str]) -> bool {
    matches!(segs, [.., "mem", "take" | "replace"] | ["take" | "replace"])
}

/// `Arc::new(..)`, `Box::new(..)`, `Rc::new(..)`: a pointer to the value built inside.
pub fn is_pointer_new(segs: &[&str]) -> bool {
    matches!(segs, [.., "Arc" | "Box" | "Rc", "new"])
}

/// A pattern `Ok(x)`, `Some(x)`, `Err(x)` binds the value it wraps.
pub fn is_wrapping_variant(name: &str) -> bool {
    matches!(name, "Ok" | "Some" | "Err")
}

/// Which type argument of `ty` (`Option`, `Result`) the variant `Some(x)` / `Ok(x)` / `Err(x)`
/// binds `x` to.
pub fn variant_payload(ty: &str, variant: &str) -> Option<usize> {
    match (ty, variant) {
        ("Option", "Some") | ("Result", "Ok") => Some(0),
        ("Result", "Err") => Some(1),
        _ => None,
    }
}

/// `MutexGuard::unlocked(&mut g, || ..)`: the lock is released while the closure runs.
pub fn unlocks_during(name: &str) -> bool {
    matches!(name, "unlocked" | "unlocked_fair")
}

/// `process::exit(..)`, `std::process::abort()`: the call never returns.
pub fn exits_process(segs: &[&str]) -> bool {
    matches!(
        (segs.first(), segs.last()),
        (Some(&("process" | "std")), Some(&("exit" | "abort")))
    )
}

/// Methods of std's types that take their receiver by value: the value is gone after the call
/// (`opt.map(..)`, `v.into_iter()`, `handle.join()`), so it is not dropped where its binding
/// ends.
pub fn consumes_receiver(method: &str) -> bool {
    method.starts_with("into_")
        || method.starts_with("unwrap")
        || method.starts_with("map")
        || method.starts_with("ok_or")
        || matches!(
            method,
            "expect"
                | "and_then"
                | "or_else"
                | "ok"
                | "err"
                | "take"
                | "replace"
                | "join"
                | "flatten"
                | "filter"
                | "zip"
                | "unzip"
                | "or"
                | "and"
                | "xor"
                | "finish"
                | "release"
                | "close"
                | "send"
                | "wait"
                | "forget"
                | "leak"
        )
}

/// Macros that only borrow the names they are given (formatting, assertions, logging).
pub fn borrows_arguments(macro_name: &str) -> bool {
    matches!(
        macro_name,
        "println"
            | "print"
            | "eprintln"
            | "eprint"
            | "format"
            | "format_args"
            | "write"
            | "writeln"
            | "assert"
            | "assert_eq"
            | "assert_ne"
            | "debug_assert"
            | "debug_assert_eq"
            | "debug_assert_ne"
            | "trace"
            | "debug"
            | "info"
            | "warn"
            | "error"
            | "panic"
    )
}

/// Wrappers whose value owns what they wrap, so dropping it drops that too (`Box<T>`,
/// `Option<T>`, `RefCell<T>`). Not `Arc`/`Rc`: only the last handle drops the value, and which
/// one is last is not known.
pub fn drops_content(wrapper: &str) -> bool {
    matches!(
        wrapper,
        "Box" | "Option" | "Pin" | "Cell" | "RefCell" | "UnsafeCell" | "OnceCell" | "OnceLock"
    )
}
