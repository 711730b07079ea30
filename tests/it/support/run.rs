//! Running lockscan, and the other programs the tests drive (git, cargo, a shell).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The lockscan binary under test.
pub const LOCKSCAN: &str = env!("CARGO_BIN_EXE_lockscan");

/// A run that takes longer than this is a hang.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// Runs the lockscan binary in `dir` with `args`, as a user would from that directory (see
/// [`command`]), and fails the test on a hang, a signal or a panic (see [`finish`]).
pub fn lockscan(dir: &Path, args: &[&str]) -> Output {
    finish(command(Path::new(LOCKSCAN), dir, args))
}

/// The variables of a GitHub Actions step that change what lockscan writes (`--format
/// github` appends to the step summary and links its places to the commit): a test sets them
/// itself, never inherits them from the CI running it.
pub const GITHUB_STEP: [&str; 4] = [
    "GITHUB_STEP_SUMMARY",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
];

/// `bin args` in `dir`, in the environment every test runs lockscan in: no colour
/// (`NO_COLOR`), 100 columns for the human report, not in a GitHub Actions step, no input,
/// both outputs captured, and the cache in a directory of the tests' own
/// (`target/tmp/it-cache`, shared by every test, as runs at the same time share one).
pub fn command(bin: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(args)
        .current_dir(dir)
        .env(
            "LOCKSCAN_CACHE_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/it-cache"),
        )
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in GITHUB_STEP {
        c.env_remove(var);
    }
    c
}

/// Starts `c` and [`collect`]s it.
pub fn finish(mut c: Command) -> Output {
    let child = c
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {c:?}: {e}"));
    collect(child, &format!("{c:?}"))
}

/// Waits for `child` (`what` names it in failures) and returns what it wrote to the pipes
/// still open. Fails when it runs longer than [`TIME_LIMIT`] (it is killed), when a signal
/// ended it (a stack overflow aborts) or when it says it panicked.
pub fn collect(mut child: Child, what: &str) -> Output {
    // Drain both pipes on threads, so that a large output cannot block the child; each says
    // when its pipe is closed, which is when the child ends (or closed it early).
    let (closed, pipes_closed) = mpsc::channel();
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let closed = closed.clone();
        std::thread::spawn(move || {
            let mut v = vec![];
            if let Some(mut p) = pipe {
                p.read_to_end(&mut v).ok();
            }
            closed.send(()).ok();
            v
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + TIME_LIMIT;
    let hang = |child: &mut Child| -> ! {
        child.kill().ok();
        child.wait().ok();
        panic!("{what} ran for more than {TIME_LIMIT:?}");
    };
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if pipes_closed.recv_timeout(left).is_err() {
            hang(&mut child);
        }
    }
    // Both pipes are closed: the child has ended or is about to.
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            hang(&mut child);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        output.status.code().is_some(),
        "{what} was killed by a signal ({:?}):\n{}",
        output.status,
        stderr(&output)
    );
    for text in [stdout(&output), stderr(&output)] {
        assert!(
            !text.contains("panicked at") && !text.contains("has overflowed its stack"),
            "{what}:\n{text}"
        );
    }
    output
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A run that had nothing to show: no output, and exit code 0. An empty output alone would
/// also be what a run that stopped with an error (exit code 2, the reason on stderr) prints.
#[track_caller]
pub fn assert_quiet(o: &Output) {
    assert_eq!(stdout(o), "", "{}", stderr(o));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
}

/// The rules of the findings, in order, from `--format short` output.
pub fn rules(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter_map(|l| l.split_once('[').and_then(|(_, r)| r.split_once(']')))
        .map(|(r, _)| r.to_string())
        .collect()
}

/// Both outputs, for a failure message.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Runs `cmd` to the end; fails only when it cannot be started.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` to the end and fails unless it succeeded.
pub fn ok(cmd: &mut Command) -> Output {
    let out = output(cmd);
    assert!(out.status.success(), "{cmd:?} failed:\n{}", text(&out));
    out
}

/// `git` in `dir`, on its own: a fixed author, no system or global configuration, and no
/// repository above the temporary directory.
pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    c
}
