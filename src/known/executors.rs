//! Executors: calls whose closure arguments run somewhere else, later, on another thread or
//! task (`thread::spawn`, `tokio::spawn`, `spawn_blocking`, a pool's `execute`).

/// Calls whose closure arguments run somewhere else, later: on another thread or task. A
/// future under `timeout` is counted with them: it gives up instead of waiting forever.
pub fn is_spawner(name: &str) -> bool {
    name.starts_with("spawn")
        || matches!(
            name,
            "execute" | "submit" | "timeout" | "timeout_at" | "unblock" | "run_blocking"
        )
}

/// Calls that hand what they are given to another thread or task: the spawners without the
/// timeouts, which poll their future where they are awaited.
pub fn hands_off(name: &str) -> bool {
    is_spawner(name) && !matches!(name, "timeout" | "timeout_at")
}

/// Calls that run their closure with every other thread (or interrupt) shut out:
/// `critical_section::with(|cs| ..)`, `cortex_m::interrupt::free(|cs| ..)`.
pub fn runs_exclusively(segs: &[&str]) -> bool {
    matches!(
        segs,
        ["critical_section", "with"] | [.., "interrupt", "free"] | ["free"]
    )
}

/// Calls that run a closure with a scope handle and wait, before they return, for every thread
/// or task spawned on it: `thread::scope(|s| ..)`, `rayon::scope(|s| ..)`.
pub fn is_scope(segs: &[&str]) -> bool {
    matches!(
        segs,
        ["std", "thread", "scope"]
            | ["rayon", "scope" | "in_place_scope" | "scope_fifo"]
            | ["crossbeam" | "crossbeam_utils", .., "scope"]
    )
}
