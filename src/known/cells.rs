//! Interior mutability and sharing: the types that change through `&self` without
//! synchronisation (`Cell`, `RefCell`, `UnsafeCell`, `Rc`), and the types that synchronise.

use crate::intern::Sym;

/// A type that changes through `&self` with no synchronisation, or counts references without
/// atomics, by its path as written; `None` for the `sync` ones (`once_cell::sync::OnceCell`).
pub fn unsync_cell(names: &[&str]) -> Option<&'static str> {
    let last = *names.last()?;
    if names.contains(&"sync") {
        return None;
    }
    Some(match last {
        "Cell" => "Cell",
        "RefCell" => "RefCell",
        "UnsafeCell" => "UnsafeCell",
        "OnceCell" => "OnceCell",
        "Rc" => "Rc",
        _ => return None,
    })
}

/// A type that is not `Send`: `Rc` and `rc::Weak`.
pub fn not_send(names: &[&str]) -> Option<&'static str> {
    match *names.last()? {
        "Rc" => Some("Rc"),
        "Weak" if names.contains(&"rc") => Some("rc::Weak"),
        _ => None,
    }
}

/// The type that only marks (`PhantomData`): it holds nothing.
pub fn is_marker(name: &str) -> bool {
    name == "PhantomData"
}

/// A synchronisation primitive, by name: what it wraps is shared safely.
pub fn is_sync_primitive(name: &str) -> bool {
    super::atomics::is_atomic_type(name)
        || matches!(
            name,
            "Mutex"
                | "RwLock"
                | "ReentrantMutex"
                | "ReentrantLock"
                | "FairMutex"
                | "SpinMutex"
                | "Condvar"
                | "Once"
                | "OnceLock"
                | "LazyLock"
                | "Barrier"
                | "Semaphore"
                | "SeqLock"
                | "ShardedLock"
                | "ThreadLocal"
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
