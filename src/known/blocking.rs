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

/// Functions that put the thread (or task) to sleep.
pub fn sleep_kind(path: &[Sym]) -> Option<Sleep> {
    let p = super::segments(path);
    Some(match p.as_slice() {
        [
            ..,
            "thread",
            "sleep" | "sleep_ms" | "park_timeout" | "sleep_until",
        ] => Sleep::Thread,
        ["tokio", .., "time", "sleep" | "sleep_until"] => Sleep::Timer,
        ["async_std", "task", "sleep"] => Sleep::Timer,
        ["futures_timer", "Delay", "new"] => Sleep::Timer,
        ["smol" | "async_io", "Timer", "after" | "at"] => Sleep::Timer,
        _ => return None,
    })
}

/// Free functions (canonical paths) that block the calling thread on I/O or another thread.
pub fn is_blocking_fn(path: &[Sym]) -> Option<&'static str> {
    let p = super::segments(path);
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
