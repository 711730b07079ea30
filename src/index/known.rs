//! What lockscan knows about std and the ecosystem: lock types and their libraries, guard types,
//! transparent wrappers, and functions that sleep or block.
//!
//! Paths here are canonical (`std::sync::Mutex`); the index resolves `use` declarations to
//! them first.

use crate::intern::Sym;

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
    /// The type is not visible; how the code uses it suggests a blocking lock.
    Unknown,
    /// The type is not visible; `.lock().await` says it is async-aware.
    UnknownAsync,
}

impl LockLib {
    pub fn is_async(self) -> bool {
        matches!(
            self,
            LockLib::Tokio
                | LockLib::AsyncStd
                | LockLib::AsyncLock
                | LockLib::Futures
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
    /// Reads may nest (a recursive raw lock such as parking_lot's `RawRwLockRecursive`).
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
    let path: Vec<&str> = path
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let (&krate, &name) = (path.first()?, path.last()?);
    let lib = lib_of_crate(krate)?;
    let kind = match name {
        "Mutex" | "FairMutex" | "SpinMutex" | "TicketMutex" => LockKind::Mutex,
        "RwLock" | "ShardedLock" => LockKind::RwLock,
        "ReentrantMutex" | "ReentrantLock" => LockKind::Reentrant,
        _ => return None,
    };
    // `std::sync::Mutex`, not some `std::…::Mutex` of another meaning.
    if lib == LockLib::Std && !path.contains(&"sync") && krate != "antidote" {
        return None;
    }
    Some(LockType {
        lib,
        kind,
        recursive_reads: false,
    })
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
    known_crate
        && name.ends_with("Guard")
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

/// Containers whose indexing (`v[i]`, `map.get(k)`, iteration) yields their last type
/// argument.
pub fn is_container(name: &str) -> bool {
    matches!(
        name,
        "Vec"
            | "VecDeque"
            | "HashMap"
            | "BTreeMap"
            | "IndexMap"
            | "DashMap"
            | "SmallVec"
            | "ArrayVec"
            | "HashSet"
            | "BTreeSet"
            | "Slab"
    )
}

/// Functions that put the thread (or task) to sleep.
pub fn is_sleep(path: &[Sym]) -> bool {
    let p: Vec<&str> = path
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    match p.as_slice() {
        [
            ..,
            "thread",
            "sleep" | "sleep_ms" | "park_timeout" | "sleep_until",
        ] => true,
        ["tokio", .., "time", "sleep" | "sleep_until"] => true,
        ["async_std", "task", "sleep"] => true,
        ["futures_timer", "Delay", "new"] => true,
        ["smol" | "async_io", "Timer", "after" | "at"] => true,
        ["std" | "core", ..] => false,
        _ => false,
    }
}

/// Free functions (canonical paths) that block the calling thread on I/O or another thread.
pub fn is_blocking_fn(path: &[Sym]) -> Option<&'static str> {
    let p: Vec<&str> = path
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    Some(match p.as_slice() {
        [
            "std",
            "fs",
            "read" | "read_to_string" | "write" | "copy" | "create_dir_all" | "create_dir"
            | "remove_file" | "remove_dir" | "remove_dir_all" | "rename" | "read_dir" | "metadata"
            | "canonicalize" | "hard_link" | "read_link" | "set_permissions",
        ] => "file-system call",
        ["std", "fs", "File", "open" | "create" | "create_new"] => "file-system call",
        ["std", "net", "TcpStream", "connect" | "connect_timeout"] => "network connect",
        ["std", "thread", "park"] => "thread park",
        ["std", "io", "copy"] => "I/O copy",
        ["reqwest", "blocking", ..] => "blocking HTTP request",
        ["ureq", ..] => "blocking HTTP request",
        ["futures" | "futures_executor", "executor", "block_on"] => "`block_on`",
        ["futures" | "futures_executor" | "pollster", "block_on"] => "`block_on`",
        _ => return None,
    })
}

/// What a zero- or few-argument method name means as a blocking call, regardless of receiver
/// (only names with no common non-blocking meaning), when the call is not awaited.
pub fn blocking_method(name: &str, argc: usize) -> Option<&'static str> {
    Some(match (name, argc) {
        ("join", 0) => "`join`",
        ("recv", 0) => "channel `recv`",
        ("recv_timeout", 1) => "channel `recv_timeout`",
        ("recv_deadline", 1) => "channel `recv_deadline`",
        ("block_on", 1) => "`block_on`",
        ("wait", 0) => "`wait`",
        ("read_line", 1) => "blocking read",
        ("accept", 0) => "`accept`",
        ("blocking_recv", 0) => "channel `blocking_recv`",
        ("blocking_send", 1) => "channel `blocking_send`",
        _ => return None,
    })
}

/// Methods that block when the receiver is a known I/O type (`File`, `TcpStream`, `Child`,
/// `Command`, …), named by its canonical path's last segment.
pub fn io_receiver(ty_name: &str) -> bool {
    matches!(
        ty_name,
        "File"
            | "TcpStream"
            | "TcpListener"
            | "UdpSocket"
            | "UnixStream"
            | "UnixListener"
            | "UnixDatagram"
            | "Stdin"
            | "StdinLock"
            | "Child"
            | "ChildStdout"
            | "ChildStderr"
            | "ChildStdin"
            | "Command"
            | "BufReader"
            | "BufWriter"
    )
}

pub fn io_method(name: &str) -> bool {
    matches!(
        name,
        "read"
            | "read_to_end"
            | "read_to_string"
            | "read_exact"
            | "read_line"
            | "write"
            | "write_all"
            | "flush"
            | "sync_all"
            | "sync_data"
            | "output"
            | "status"
            | "wait"
            | "wait_with_output"
            | "accept"
            | "recv"
            | "recv_from"
            | "send"
            | "send_to"
            | "connect"
            | "incoming"
            | "lines"
    )
}

/// `stdout()` and friends: their `lock()` is a reentrant stream lock, not a mutex.
pub fn is_std_stream_fn(name: &str) -> bool {
    matches!(name, "stdout" | "stderr" | "stdin")
}
