//! Calls that put the thread to sleep or block it: sleeps by path, blocking functions by path,
//! blocking methods by name (and the receiver types that make a name really block), and the
//! methods of I/O types.

use crate::intern::Sym;

/// How a call sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sleep {
    /// The thread sleeps in the call (`thread::sleep`).
    Thread,
    /// The call makes a timer future: the task sleeps only where it is awaited; polled inside
    /// a `poll` function, it registers a wake-up and returns.
    Timer,
}

/// `[.., "thread", NAME]`: std's sleeps (and those of crates that mirror `std::thread`).
pub const THREAD_SLEEPS: &[&str] = &["sleep", "sleep_ms", "park_timeout", "sleep_until"];
/// Crates that mirror `std::thread` to explore schedules, in which time does not pass.
pub const MODEL_CHECKERS: &[&str] = &["shuttle", "shuttle_std", "loom"];
/// `["tokio", .., "time", NAME]`.
pub const TOKIO_SLEEPS: &[&str] = &["sleep", "sleep_until"];
/// `["async_std", "task", NAME]`.
pub const ASYNC_STD_SLEEPS: &[&str] = &["sleep"];
/// Timer types whose constructors sleep when awaited (`futures_timer::Delay::new`,
/// `smol::Timer::after`): a call to one names the type.
pub const TIMER_TYPES: &[&str] = &["Delay", "Timer"];

/// Functions that put the thread (or task) to sleep.
pub fn sleep_kind(path: &[Sym]) -> Option<Sleep> {
    let p = super::segments(path);
    Some(match p.as_slice() {
        // A model checker's `thread::sleep` (shuttle, loom) only yields to its scheduler.
        [krate, ..] if MODEL_CHECKERS.contains(krate) => return None,
        [.., "thread", last] if THREAD_SLEEPS.contains(last) => Sleep::Thread,
        ["tokio", .., "time", last] if TOKIO_SLEEPS.contains(last) => Sleep::Timer,
        ["async_std", "task", last] if ASYNC_STD_SLEEPS.contains(last) => Sleep::Timer,
        ["futures_timer", "Delay", "new"] => Sleep::Timer,
        ["smol" | "async_io", "Timer", "after" | "at"] => Sleep::Timer,
        _ => return None,
    })
}

/// The names of the sleeping functions: a call to one is written with its name.
pub fn sleep_fn_names() -> impl Iterator<Item = &'static str> {
    [THREAD_SLEEPS, TOKIO_SLEEPS, ASYNC_STD_SLEEPS]
        .into_iter()
        .flatten()
        .copied()
}

/// `std::fs::NAME`: file-system calls.
pub const FS_FNS: &[&str] = &[
    "read",
    "read_to_string",
    "write",
    "copy",
    "create_dir_all",
    "create_dir",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "rename",
    "read_dir",
    "metadata",
    "canonicalize",
    "hard_link",
    "read_link",
    "set_permissions",
];

/// Besides [`FS_FNS`], the names of the functions [`is_blocking_fn`] knows: a call to one is
/// written with its name.
pub const BLOCKING_FN_NAMES: &[&str] = &["park", "copy", "block_on"];

/// The types and modules a call to the other functions [`is_blocking_fn`] knows is written
/// with, whatever its imports: `File::open`, `TcpStream::connect`, `reqwest::blocking::get`,
/// `ureq::get`.
pub const BLOCKING_QUALIFIERS: &[&str] = &["File", "TcpStream", "blocking", "ureq"];

/// Free functions (canonical paths) that block the calling thread on I/O or another thread.
pub fn is_blocking_fn(path: &[Sym]) -> Option<&'static str> {
    let p = super::segments(path);
    Some(match p.as_slice() {
        ["std", "fs", name] if FS_FNS.contains(name) => "file-system call",
        ["std", "fs", "File", "open" | "create" | "create_new"] => "file-system call",
        ["std", "net", "TcpStream", "connect" | "connect_timeout"] => "network connect",
        ["std", "thread", "park"] => "thread park",
        ["std", "io", "copy"] => "I/O copy",
        ["reqwest", "blocking", ..] => "blocking HTTP request",
        ["ureq", ..] => "blocking HTTP request",
        ["futures" | "futures_executor", "executor", "block_on"] => "`block_on`",
        ["futures" | "futures_executor" | "pollster", "block_on"] => "`block_on`",
        // They return when every closure (thread, task) they run is done.
        [
            "rayon",
            "join" | "join_context" | "scope" | "in_place_scope" | "scope_fifo",
        ] => "joining threads",
        ["std", "thread", "scope"] | ["crossbeam" | "crossbeam_utils", .., "scope"] => {
            "joining threads"
        }
        _ => return None,
    })
}

/// The type a free function of std returns, where a call chain's receiver type depends on
/// it: `thread::spawn(..)` is a `JoinHandle`.
pub fn returned_type(path: &[Sym]) -> Option<&'static [&'static str]> {
    let p: Vec<&str> = path
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    match p.as_slice() {
        ["std", "thread", "spawn"] => Some(&["std", "thread", "JoinHandle"]),
        _ => None,
    }
}

/// The names of the functions [`is_blocking_fn`] knows.
pub fn blocking_fn_names() -> impl Iterator<Item = &'static str> {
    FS_FNS.iter().chain(BLOCKING_FN_NAMES).copied()
}

/// Method names that block whatever the receiver (only names with no common non-blocking
/// meaning), when not awaited: (name, number of arguments, what it blocks on).
pub const BLOCKING_METHODS: &[(&str, usize, &str)] = &[
    ("join", 0, "`join`"),
    ("recv", 0, "channel `recv`"),
    ("recv_timeout", 1, "channel `recv_timeout`"),
    ("recv_deadline", 1, "channel `recv_deadline`"),
    ("block_on", 1, "`block_on`"),
    ("wait", 0, "`wait`"),
    ("read_line", 1, "blocking read"),
    ("accept", 0, "`accept`"),
    ("blocking_recv", 0, "channel `blocking_recv`"),
    ("blocking_send", 1, "channel `blocking_send`"),
];

/// What a zero- or few-argument method name means as a blocking call, regardless of receiver
/// (only names with no common non-blocking meaning), when the call is not awaited.
pub fn blocking_method(name: &str, argc: usize) -> Option<&'static str> {
    BLOCKING_METHODS
        .iter()
        .find(|(n, a, _)| *n == name && *a == argc)
        .map(|(_, _, what)| *what)
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

/// The methods of I/O types that block ([`io_receiver`]).
pub const IO_METHODS: &[&str] = &[
    "read",
    "read_to_end",
    "read_to_string",
    "read_exact",
    "read_line",
    "write",
    "write_all",
    "flush",
    "sync_all",
    "sync_data",
    "output",
    "status",
    "wait",
    "wait_with_output",
    "accept",
    "recv",
    "recv_from",
    "send",
    "send_to",
    "connect",
    "incoming",
    "lines",
];

pub fn io_method(name: &str) -> bool {
    IO_METHODS.contains(&name)
}

/// How a configured blocking call is described in messages ("blocks on …", "a blocking call
/// (…)"), like the known ones ("file-system call").
pub const CONFIGURED_BLOCKING: &str = "a call listed in `blocking-functions`";

/// Whether a known external receiver type makes a blocking-by-name method really block.
pub fn blocking_receiver(method: &str, path: &[Sym]) -> bool {
    let name = path.last().map(|s| s.as_str()).unwrap_or("");
    // Async runtimes' channels and handles are awaited, not blocked on.
    let krate = path
        .iter()
        .map(|s| s.as_str())
        .find(|s| !s.is_empty())
        .unwrap_or("");
    if matches!(
        krate,
        "tokio"
            | "async_std"
            | "futures"
            | "futures_util"
            | "async_channel"
            | "smol"
            | "async_broadcast"
    ) {
        return false;
    }
    match method {
        "join" => name.contains("JoinHandle") || name == "ScopedJoinHandle",
        "recv" | "recv_timeout" | "recv_deadline" => name.contains("Receiver"),
        "wait" => matches!(name, "Barrier" | "Child" | "WaitGroup"),
        "accept" => name.contains("Listener"),
        "read_line" => matches!(name, "Stdin" | "StdinLock" | "BufReader"),
        "blocking_recv" | "blocking_send" => true,
        "block_on" => true,
        _ => false,
    }
}

pub fn io_what(method: &str) -> &'static str {
    match method {
        "output" | "status" | "wait" | "wait_with_output" => "process wait",
        "accept" | "connect" | "incoming" => "network call",
        "recv" | "recv_from" | "send" | "send_to" => "socket I/O",
        _ => "blocking I/O",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of `paths` is recognised by `known`, and one of its segments is a screen word.
    fn known_with_a_word(paths: &[&str], words: &[&str], known: impl Fn(&[Sym]) -> bool) {
        for p in paths {
            assert!(known(&path(p)), "{p} is known");
            assert!(
                p.split("::").any(|s| words.contains(&s)),
                "{p} has a screen word"
            );
        }
    }

    fn path(p: &str) -> Vec<Sym> {
        p.split("::").map(Sym::new).collect()
    }

    /// A model checker's `thread::sleep` yields to its scheduler; time does not pass in it
    /// (shuttle's tests on corpus-b).
    #[test]
    fn a_model_checkers_sleep_is_no_sleep() {
        assert_eq!(sleep_kind(&path("shuttle::thread::sleep")), None);
        assert_eq!(sleep_kind(&path("loom::thread::sleep")), None);
        assert_eq!(sleep_kind(&path("shuttle_std::thread::sleep")), None);
        assert_eq!(sleep_kind(&path("std::thread::sleep")), Some(Sleep::Thread));
    }

    /// Every path the predicates accept is written with one of the screen's words: the
    /// function's name, or a type or module a call to it names.
    #[test]
    fn every_sleeping_or_blocking_path_has_a_screen_word() {
        let sleeps = [
            "std::thread::sleep",
            "std::thread::sleep_ms",
            "std::thread::park_timeout",
            "std::thread::sleep_until",
            "tokio::time::sleep",
            "tokio::time::sleep_until",
            "async_std::task::sleep",
            "futures_timer::Delay::new",
            "smol::Timer::after",
            "async_io::Timer::at",
        ];
        let words: Vec<&str> = sleep_fn_names()
            .chain(TIMER_TYPES.iter().copied())
            .collect();
        known_with_a_word(&sleeps, &words, |p| sleep_kind(p).is_some());
        let blocking = [
            "std::fs::read",
            "std::fs::set_permissions",
            "std::fs::File::open",
            "std::net::TcpStream::connect",
            "std::thread::park",
            "std::io::copy",
            "reqwest::blocking::get",
            "ureq::get",
            "futures::executor::block_on",
            "pollster::block_on",
        ];
        let words: Vec<&str> = blocking_fn_names()
            .chain(BLOCKING_QUALIFIERS.iter().copied())
            .collect();
        known_with_a_word(&blocking, &words, |p| is_blocking_fn(p).is_some());
        for f in FS_FNS {
            assert!(is_blocking_fn(&path(&format!("std::fs::{f}"))).is_some());
        }
    }
}
