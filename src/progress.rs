//! Progress on the standard error for runs that take a while: nothing for the first second,
//! then a bar of files read, cleared when the run ends. Only when the standard error is a
//! terminal (so never in a pipe, a file or a CI log) and not with `--quiet`.
//!
//! The driver only counts ([`driver::Progress`]); drawing is done here, on a thread of its
//! own, so the pipeline knows nothing of terminals.

use crate::driver::{self, Options};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a run goes before its progress shows.
const DELAY: Duration = Duration::from_secs(1);

/// Draws progress until dropped.
struct Guard {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Whether progress may be drawn: the standard error is a terminal that can take it.
fn wanted(quiet: bool) -> bool {
    !quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false")
}

/// Starts drawing the progress of the run `opts` describes (which gets a counter), when it is
/// wanted.
fn start(opts: &mut Options, quiet: bool) -> Option<Guard> {
    if !wanted(quiet) {
        return None;
    }
    let counter = Arc::new(driver::Progress::default());
    opts.progress = Some(counter.clone());
    // Tests of the drawing itself cannot wait a second per run.
    let delay = std::env::var("LOCKSCAN_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DELAY);
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw(&counter, &stop, delay))
            .ok()
    };
    Some(Guard { stop, thread })
}

/// `run(opts)`, with its progress drawn while it runs (when it is wanted).
pub fn around<T>(opts: &mut Options, quiet: bool, run: impl FnOnce(&Options) -> T) -> T {
    let progress = start(opts, quiet);
    let result = run(opts);
    drop(progress);
    result
}

fn draw(counter: &driver::Progress, stop: &AtomicBool, delay: Duration) {
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) && started.elapsed() < delay {
        std::thread::park_timeout(delay.saturating_sub(started.elapsed()));
    }
    if stop.load(Ordering::Relaxed) {
        return;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} checking {pos}/{len} files {wide_bar} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("━╸ "),
    );
    while !stop.load(Ordering::Relaxed) {
        let total = counter.total.load(Ordering::Relaxed) as u64;
        if total > 0 {
            bar.set_length(total);
        }
        bar.set_position(counter.done.load(Ordering::Relaxed) as u64);
        bar.tick();
        std::thread::park_timeout(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
