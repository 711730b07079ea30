//! Interior mutability and sharing: the types that change through `&self` without
//! synchronisation (`Cell`, `RefCell`, `UnsafeCell`, `Rc`), and the types that synchronise.

use crate::intern::Sym;

/// The types that change through `&self` with no synchronisation, or count references
/// without atomics, by their last name.
const UNSYNC_CELLS: &[&str] = &["Cell", "RefCell", "UnsafeCell", "OnceCell", "Rc"];

/// A type that changes through `&self` with no synchronisation, or counts references without
/// atomics, by its path as written; `None` for the `sync` ones (`once_cell::sync::OnceCell`).
pub fn unsync_cell(names: &[&str]) -> Option<&'static str> {
    let last = *names.last()?;
    if names.contains(&"sync") {
        return None;
    }
    UNSYNC_CELLS.iter().find(|&&c| c == last).copied()
}

/// A type that is not `Send`: `Rc` and `rc::Weak`.
pub fn not_send(names: &[&str]) -> Option<&'static str> {
    match *names.last()? {
        "Rc" => Some("Rc"),
        "Weak" if names.contains(&"rc") => Some("rc::Weak"),
        _ => None,
    }
}

/// The raw pointer types by their last name, besides `*const T` / `*mut T`.
const POINTERS: &[&str] = &["NonNull"];

/// A raw pointer type by its path as written, besides `*const T` / `*mut T`.
pub fn raw_pointer(names: &[&str]) -> Option<&'static str> {
    let last = *names.last()?;
    POINTERS.iter().find(|&&c| c == last).copied()
}

/// Every last name of a type [`unsync_cell`] or [`raw_pointer`] may accept: a type written
/// with none of them (and no `*const`, `*mut`) holds no hazard of its own (the screen keeps
/// the uses of such types' fields where `unsafe_sync_impl` may judge them).
pub fn hazard_names() -> impl Iterator<Item = &'static str> {
    UNSYNC_CELLS.iter().chain(POINTERS).copied()
}

/// Every name [`is_access_method`], [`passes_pointer`] and [`ptr_fn_writes`] accept: a body
/// that uses a field through a cell or a pointer names one of them, or holds `unsafe` (the
/// screen keeps such bodies where `unsafe_sync_impl` may list the uses).
pub const ACCESS_NAMES: &[&str] = &[
    "take",
    "borrow",
    "borrow_mut",
    "try_borrow",
    "try_borrow_mut",
    "try_borrow_unguarded",
    "clone",
    "read",
    "read_volatile",
    "read_unaligned",
    "drop_in_place",
    "set",
    "replace",
    "replace_with",
    "swap",
    "update",
    "get_or_init",
    "get_or_try_init",
    "write",
    "write_volatile",
    "write_unaligned",
    "write_bytes",
    "copy_from",
    "copy_from_nonoverlapping",
    "copy_to",
    "copy_to_nonoverlapping",
    "get",
    "raw_get",
    "as_ptr",
    "as_mut_ptr",
    "cast",
    "cast_mut",
    "cast_const",
    "as_mut",
    "as_ref",
    "add",
    "sub",
    "offset",
    "byte_add",
    "byte_sub",
    "byte_offset",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_offset",
    "copy",
    "copy_nonoverlapping",
];

/// A method that reaches into a cell's or a pointer's target, by name and number of
/// arguments: `Cell::set`, `RefCell::borrow`, `UnsafeCell::get`, `OnceCell::get_or_init`,
/// `Rc::clone`, a raw pointer's `write`, `add`, ….
pub fn is_access_method(name: &str, argc: usize) -> bool {
    ACCESS_NAMES.contains(&name) && is_access_method_named(name, argc)
}

fn is_access_method_named(name: &str, argc: usize) -> bool {
    passes_pointer(name, argc)
        || match argc {
            0 => matches!(
                name,
                "take"
                    | "borrow"
                    | "borrow_mut"
                    | "try_borrow"
                    | "try_borrow_mut"
                    | "try_borrow_unguarded"
                    | "clone"
                    | "read"
                    | "read_volatile"
                    | "read_unaligned"
                    | "drop_in_place"
            ),
            1 => matches!(
                name,
                "set"
                    | "replace"
                    | "replace_with"
                    | "swap"
                    | "update"
                    | "get_or_init"
                    | "get_or_try_init"
                    | "write"
                    | "write_volatile"
                    | "write_unaligned"
            ),
            2 => matches!(
                name,
                "write_bytes"
                    | "copy_from"
                    | "copy_from_nonoverlapping"
                    | "copy_to"
                    | "copy_to_nonoverlapping"
            ),
            _ => false,
        }
}

/// A method that makes a pointer into the same target from a cell or a pointer, so that `*`
/// of its result reaches the target: `UnsafeCell::get`, `ptr.add(i)`, `ptr.cast()`, ….
pub fn passes_pointer(name: &str, argc: usize) -> bool {
    if !ACCESS_NAMES.contains(&name) {
        return false;
    }
    match argc {
        0 => matches!(
            name,
            "get"
                | "raw_get"
                | "as_ptr"
                | "as_mut_ptr"
                | "cast"
                | "cast_mut"
                | "cast_const"
                | "as_mut"
                | "as_ref"
        ),
        1 => matches!(
            name,
            "add"
                | "sub"
                | "offset"
                | "byte_add"
                | "byte_sub"
                | "byte_offset"
                | "wrapping_add"
                | "wrapping_sub"
                | "wrapping_offset"
        ),
        _ => false,
    }
}

/// The argument a function of `std::ptr` writes through (`ptr::write(dst, v)`,
/// `ptr::copy_nonoverlapping(src, dst, n)`), by the function's name.
pub fn ptr_fn_writes(name: &str) -> Option<usize> {
    if !ACCESS_NAMES.contains(&name) {
        return None;
    }
    match name {
        "write" | "write_volatile" | "write_unaligned" | "write_bytes" | "replace" | "swap"
        | "drop_in_place" => Some(0),
        "copy" | "copy_nonoverlapping" => Some(1),
        _ => None,
    }
}

/// Does method `method` change a value of the unsynchronised type `what` (as
/// [`unsync_cell`] or [`raw_pointer`] name it, or `"raw pointer"`) through a shared
/// reference? `RefCell::borrow` does: it counts borrows without atomics; so does `Rc::clone`.
pub fn access_writes(what: &str, method: &str) -> bool {
    match what {
        "Cell" => matches!(method, "set" | "replace" | "take" | "swap" | "update"),
        "RefCell" => matches!(
            method,
            "borrow"
                | "borrow_mut"
                | "try_borrow"
                | "try_borrow_mut"
                | "replace"
                | "replace_with"
                | "swap"
                | "take"
        ),
        "OnceCell" => matches!(method, "set" | "get_or_init" | "get_or_try_init" | "take"),
        "Rc" => method == "clone",
        "UnsafeCell" => false,
        _ => matches!(
            method,
            "write"
                | "write_volatile"
                | "write_unaligned"
                | "write_bytes"
                | "copy_from"
                | "copy_from_nonoverlapping"
                | "swap"
                | "replace"
                | "drop_in_place"
                | "as_mut"
        ),
    }
}

/// A lock whose guards lockscan follows, by name: what it wraps (or the section it guards, for
/// a `Mutex<()>`) is reached under its guard, and the guard shows where.
pub fn is_data_lock(name: &str) -> bool {
    matches!(
        name,
        "Mutex"
            | "RwLock"
            | "ReentrantMutex"
            | "ReentrantLock"
            | "FairMutex"
            | "SpinMutex"
            | "TicketMutex"
            | "ShardedLock"
    )
}

/// A primitive that synchronises nothing by itself: a condition variable works with a lock.
pub fn is_lock_companion(name: &str) -> bool {
    name == "Condvar"
}

/// A `thread_local!` key's methods that run a closure on this thread's value:
/// `KEY.with(|v| ..)`, `KEY.with_borrow(|v| ..)`, `KEY.with_borrow_mut(|v| ..)`.
pub fn is_thread_local_with(name: &str) -> bool {
    matches!(name, "with" | "with_borrow" | "with_borrow_mut")
}

/// Of those, the one whose closure gets a reference to the key's value itself (`&T` for a key of
/// type `T`), not to what a `RefCell` key holds.
pub fn passes_key_value(name: &str) -> bool {
    name == "with"
}

/// The type that only marks (`PhantomData`): it holds nothing.
pub fn is_marker(name: &str) -> bool {
    name == "PhantomData"
}

/// A synchronisation primitive, by name: what it wraps is shared safely.
pub fn is_sync_primitive(name: &str) -> bool {
    super::atomics::is_atomic_type(name)
        || is_data_lock(name)
        || is_lock_companion(name)
        || matches!(
            name,
            "Once" | "OnceLock" | "LazyLock" | "Barrier" | "Semaphore" | "SeqLock" | "ThreadLocal"
        )
}

/// The traits an `unsafe impl` promises about threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadTrait {
    Send,
    Sync,
}

/// `Send` or `Sync`, by the trait's name.
pub fn thread_trait(name: Sym) -> Option<ThreadTrait> {
    match name.as_str() {
        "Send" => Some(ThreadTrait::Send),
        "Sync" => Some(ThreadTrait::Sync),
        _ => None,
    }
}
