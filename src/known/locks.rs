//! Locks and guards, per library: which types are locks (std, parking_lot, lock_api, spin,
//! tokio, async-std, async-lock, futures), which methods take them, which types are guards,
//! which methods pass a guard or a lock through unchanged, and condition variables.
//!
//! Paths here are canonical (`std::sync::Mutex`); the index resolves `use` declarations to
//! them first.

use crate::intern::{Sym, sym};

/// Where a lock type comes from. It decides whether its guard may be held across `.await`
/// (only async-aware locks) and whether re-locking deadlocks (not for reentrant ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockLib {
    Std,
    ParkingLot,
    LockApi,
    Spin,
    Tokio,
    AsyncStd,
    AsyncLock,
    Futures,
    /// A lock type the scanned crate defines itself: its lock method returns a guard type of
    /// the crate's with a destructor (that unlocks), or wraps another library's lock.
    Own,
    /// A lock type the crate defines itself whose lock method is an `async fn` (tokio's own
    /// `Mutex`, seen from inside tokio): its guard may be held across `.await`.
    OwnAsync,
    /// The type is not visible; how the code uses it suggests a blocking lock.
    Unknown,
    /// The type is not visible; `.lock().await` says it is async-aware.
    UnknownAsync,
}

impl LockLib {
    /// `lock()` returns a `LockResult`: `Ok(guard)`, or `Err` when a thread panicked holding
    /// the lock (std's poisoning).
    pub fn lock_returns_result(self) -> bool {
        self == LockLib::Std
    }

    pub fn is_async(self) -> bool {
        matches!(
            self,
            LockLib::Tokio
                | LockLib::AsyncStd
                | LockLib::AsyncLock
                | LockLib::Futures
                | LockLib::OwnAsync
                | LockLib::UnknownAsync
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            LockLib::Std => "std",
            LockLib::ParkingLot => "parking_lot",
            LockLib::LockApi => "lock_api",
            LockLib::Spin => "spin",
            LockLib::Tokio => "tokio",
            LockLib::AsyncStd => "async-std",
            LockLib::AsyncLock => "async-lock",
            LockLib::Futures => "futures",
            LockLib::Own | LockLib::OwnAsync => "own",
            LockLib::Unknown | LockLib::UnknownAsync => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    Mutex,
    RwLock,
    /// Re-locking from the owning thread is allowed.
    Reentrant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LockType {
    pub lib: LockLib,
    pub kind: LockKind,
    /// Reads may nest: a recursive raw lock (parking_lot's `RawRwLockRecursive`), or a
    /// reader-preferring lock (spin's `RwLock`), where a second read never waits behind a
    /// queued writer.
    pub recursive_reads: bool,
}

impl LockType {
    pub fn name(self) -> &'static str {
        match self.kind {
            LockKind::Mutex => "Mutex",
            LockKind::RwLock => "RwLock",
            LockKind::Reentrant => "ReentrantMutex",
        }
    }
}

fn lib_of_crate(krate: &str) -> Option<LockLib> {
    Some(match krate {
        "std" | "core" | "alloc" => LockLib::Std,
        "parking_lot" => LockLib::ParkingLot,
        "lock_api" => LockLib::LockApi,
        "spin" => LockLib::Spin,
        "tokio" => LockLib::Tokio,
        "async_std" => LockLib::AsyncStd,
        "async_lock" | "smol" | "async_mutex" => LockLib::AsyncLock,
        "futures" | "futures_util" | "futures_locks" | "futures_intrusive" => LockLib::Futures,
        "antidote" => LockLib::Std,
        _ => return None,
    })
}

/// The lock type a canonical path names, if it is one.
pub fn lock_type(path: &[Sym]) -> Option<LockType> {
    let path = super::segments(path);
    let (&krate, &name) = (path.first()?, path.last()?);
    let lib = lib_of_crate(krate)?;
    let kind = lock_kind_of_name(name)?;
    // `std::sync::Mutex`, not some `std::…::Mutex` of another meaning.
    if lib == LockLib::Std && !path.contains(&"sync") && krate != "antidote" {
        return None;
    }
    Some(LockType {
        lib,
        kind,
        // spin's `RwLock` lets a reader in whenever no writer holds it, queued writers or not.
        recursive_reads: lib == LockLib::Spin && kind == LockKind::RwLock,
    })
}

/// A guard type's name as written: `MutexGuard`, `RwLockReadGuard`, `OwnedMutexGuard`, …
pub fn is_guard_type_name(name: &str) -> bool {
    name.ends_with("Guard") && (name.contains("Mutex") || name.contains("Lock"))
}

/// The names of the lock types, by kind (the last segment of a canonical path).
pub const MUTEX_NAMES: &[&str] = &["Mutex", "FairMutex", "SpinMutex", "TicketMutex"];
pub const RWLOCK_NAMES: &[&str] = &["RwLock", "ShardedLock"];
pub const REENTRANT_NAMES: &[&str] = &["ReentrantMutex", "ReentrantLock"];

/// The kind of lock a type name (the last segment of its path) names, if any.
pub fn lock_kind_of_name(name: &str) -> Option<LockKind> {
    if MUTEX_NAMES.contains(&name) {
        Some(LockKind::Mutex)
    } else if RWLOCK_NAMES.contains(&name) {
        Some(LockKind::RwLock)
    } else if REENTRANT_NAMES.contains(&name) {
        Some(LockKind::Reentrant)
    } else {
        None
    }
}

/// A guard type: `MutexGuard<T>`, `RwLockReadGuard<T>`, `OwnedMutexGuard<T>`, …
pub fn is_guard_type(path: &[Sym]) -> bool {
    let Some(name) = path.last().map(|s| s.as_str()) else {
        return false;
    };
    let known_crate = path.len() < 2
        || path
            .iter()
            .find(|s| !s.as_str().is_empty())
            .is_some_and(|k| lib_of_crate(k.as_str()).is_some());
    known_crate && is_guard_name(name)
}

/// The last segment of a guard type's path: `MutexGuard`, `RwLockWriteGuard`, `ArcMutexGuard`.
pub fn is_guard_name(name: &str) -> bool {
    name.ends_with("Guard")
        && (name.contains("Mutex") || name.contains("RwLock") || name.contains("Lock"))
}

/// Types that are "the same lock" for our purposes: `Arc<Mutex<T>>` locks like `Mutex<T>`.
pub fn is_transparent(name: &str) -> bool {
    matches!(
        name,
        "Arc"
            | "Rc"
            | "Box"
            | "Option"
            | "OnceLock"
            | "LazyLock"
            | "OnceCell"
            | "Lazy"
            | "LazyCell"
            | "Pin"
            | "CachePadded"
            | "ManuallyDrop"
            | "Weak"
            | "Cow"
            | "AssertUnwindSafe"
            | "UnsafeCell"
            | "SyncUnsafeCell"
    )
}

/// The lock methods [`is_lock_method`] knows, by the number of arguments they take: the words
/// the screen looks for (`crate::screen`). A test checks that the two agree.
pub const LOCK_METHODS: &[(&str, usize)] = &[
    ("lock", 0),
    ("read", 0),
    ("write", 0),
    ("try_lock", 0),
    ("try_read", 0),
    ("try_write", 0),
    ("blocking_lock", 0),
    ("blocking_read", 0),
    ("blocking_write", 0),
    ("lock_blocking", 0),
    ("read_blocking", 0),
    ("write_blocking", 0),
    ("lock_owned", 0),
    ("read_owned", 0),
    ("write_owned", 0),
    ("try_lock_owned", 0),
    ("lock_arc", 0),
    ("read_arc", 0),
    ("write_arc", 0),
    ("upgradable_read", 0),
    ("read_recursive", 0),
    ("try_lock_for", 1),
    ("try_lock_until", 1),
    ("try_read_for", 1),
    ("try_write_for", 1),
    ("try_read_until", 1),
    ("try_write_until", 1),
];

/// A method lockscan knows takes a lock and returns its guard (configured ones are added by
/// [`super::Api::lock_method`]).
pub fn is_lock_method(name: Sym, argc: usize) -> bool {
    match argc {
        0 => {
            matches!(
                name,
                sym::LOCK
                    | sym::READ
                    | sym::WRITE
                    | sym::TRY_LOCK
                    | sym::TRY_READ
                    | sym::TRY_WRITE
                    | sym::BLOCKING_LOCK
                    | sym::BLOCKING_READ
                    | sym::BLOCKING_WRITE
                    | sym::LOCK_BLOCKING
                    | sym::READ_BLOCKING
                    | sym::WRITE_BLOCKING
                    | sym::LOCK_OWNED
                    | sym::READ_OWNED
                    | sym::WRITE_OWNED
                    | sym::TRY_LOCK_OWNED
                    | sym::LOCK_ARC
                    | sym::READ_ARC
                    | sym::WRITE_ARC
                    | sym::UPGRADABLE_READ
                    | sym::READ_RECURSIVE
            )
        }
        1 => matches!(
            name,
            sym::TRY_LOCK_FOR
                | sym::TRY_LOCK_UNTIL
                | sym::TRY_READ_FOR
                | sym::TRY_WRITE_FOR
                | sym::TRY_READ_UNTIL
                | sym::TRY_WRITE_UNTIL
        ),
        _ => false,
    }
}

/// Methods that pass a guard through unchanged: `m.lock().unwrap()` is still the guard.
pub fn is_guard_adapter(name: Sym) -> bool {
    matches!(
        name,
        sym::UNWRAP
            | sym::EXPECT
            | sym::UNWRAP_OR_ELSE
            | sym::UNWRAP_UNCHECKED
            | sym::MAP_ERR
            | sym::OK
            | sym::INTO_INNER
    )
}

/// Methods that return (a handle to) the same lock: `a.clone().lock()` locks `a`'s mutex.
pub fn is_place_adapter(name: Sym, argc: usize) -> bool {
    match argc {
        0 => matches!(
            name,
            sym::CLONE
                | sym::AS_REF
                | sym::AS_MUT
                | sym::BORROW
                | sym::DEREF
                | sym::DEREF_MUT
                | sym::GET
                | sym::GET_MUT
                | sym::FORCE
                | sym::AS_DEREF
                | sym::UNWRAP
                | sym::EXPECT
        ),
        1 => matches!(name, sym::GET_OR_INIT | sym::EXPECT),
        _ => false,
    }
}

/// The waits of a condition variable: [`is_condvar_wait`] and [`is_condvar_wait_needing_loop`]
/// by name, for the screen. A test checks that they agree.
pub const CONDVAR_WAITS: &[&str] = &[
    "wait",
    "wait_timeout",
    "wait_while",
    "wait_timeout_while",
    "wait_timeout_ms",
    "wait_for",
    "wait_until",
];

pub fn is_condvar_wait(name: Sym) -> bool {
    matches!(
        name,
        sym::WAIT
            | sym::WAIT_TIMEOUT
            | sym::WAIT_WHILE
            | sym::WAIT_TIMEOUT_WHILE
            | sym::WAIT_TIMEOUT_MS
    )
}

/// `Condvar::wait` and the waits that return when notified, which a caller must re-check
/// (`wait_while` re-checks by itself).
pub fn is_condvar_wait_needing_loop(name: &str) -> bool {
    matches!(
        name,
        "wait" | "wait_timeout" | "wait_timeout_ms" | "wait_for" | "wait_until"
    )
}

/// A condition variable's wait that takes a guard and blocks until notified: `cv.wait(g)`,
/// `cv.wait_while(g, f)`, parking_lot's `cv.wait(&mut g)`.
pub fn is_condvar_blocking_wait(name: &str, argc: usize) -> bool {
    argc >= 1
        && matches!(
            name,
            "wait"
                | "wait_timeout"
                | "wait_timeout_ms"
                | "wait_while"
                | "wait_timeout_while"
                | "wait_for"
                | "wait_until"
        )
}

/// A condition variable's type name.
pub fn is_condvar_type(name: &str) -> bool {
    name == "Condvar"
}

/// A condition variable whose waits end only on a notification or a timeout, never
/// spuriously: parking_lot's (`parking_lot::Condvar`, which its documentation promises), by
/// canonical path.
pub fn condvar_without_spurious_wakeups(path: &[Sym]) -> bool {
    matches!(
        super::segments(path).as_slice(),
        ["parking_lot", .., "Condvar"]
    )
}

/// A condition variable's notification: `cv.notify_one()`, `cv.notify_all()`.
pub fn is_condvar_notify(name: &str) -> bool {
    matches!(name, "notify_one" | "notify_all")
}

/// The plain `lock()` (not `read()`, `write()` or a configured method).
pub fn is_plain_lock(method: Sym) -> bool {
    method == sym::LOCK
}

/// `force_unlock()` and friends (parking_lot, lock_api: `force_unlock_read`, …; spin:
/// `force_write_unlock`, `force_read_decrement`): a guard forgotten on purpose is released by
/// hand.
pub fn is_force_unlock(name: &str) -> bool {
    name.strip_prefix("force_")
        .is_some_and(|rest| rest.contains("unlock") || rest.ends_with("_decrement"))
}

/// lock_api's raw lock traits (`RawMutex`, `RawRwLock`, `RawRwLockUpgrade`, …): their `lock*`
/// methods take the lock without a guard and their `unlock*` methods release it, so an
/// implementation built on a guarded lock forgets the guard by contract.
pub fn is_raw_lock_trait(name: &str) -> bool {
    name.starts_with("RawMutex") || name.starts_with("RawRwLock")
}

/// `stdout()` and friends: their `lock()` is a reentrant stream lock, not a mutex.
pub fn is_std_stream_fn(name: &str) -> bool {
    matches!(name, "stdout" | "stderr" | "stdin")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables the screen reads say what the predicates say: a `matches!` over predefined
    /// symbols can only accept predefined strings, so checking them all is complete.
    #[test]
    fn the_screens_tables_agree_with_the_predicates() {
        for &s in crate::intern::predefined() {
            let name = Sym::new(s);
            for argc in 0..3 {
                assert_eq!(
                    is_lock_method(name, argc),
                    LOCK_METHODS.contains(&(s, argc)),
                    "lock method `{s}` with {argc} arguments"
                );
            }
            if is_condvar_wait(name) {
                assert!(CONDVAR_WAITS.contains(&s), "condvar wait `{s}`");
            }
        }
        for &(name, _) in LOCK_METHODS {
            assert!(
                crate::intern::predefined().contains(&name),
                "`{name}` is predefined"
            );
        }
        for &w in CONDVAR_WAITS {
            assert!(
                is_condvar_wait(Sym::new(w)) || is_condvar_wait_needing_loop(w),
                "`{w}` is a wait"
            );
        }
    }
}
