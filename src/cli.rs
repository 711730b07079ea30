//! The command line: arguments in, exit code out.
//!
//! Exit codes: 0 when nothing is at or above the failing level, 1 when something is, 2 when
//! lockscan could not do its job (bad arguments, a missing path, unreadable configuration).

use crate::diag::{Applicability, Severity};
use crate::driver::{self, Options};
use crate::fix;
use crate::render::{self, Format, RenderOptions};
use clap::Parser;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Note,
    Warning,
    Error,
    /// Always exit 0 when the run completes.
    Never,
}

/// Finds deadlocks and shared-state concurrency hazards in Rust source, without compiling it.
#[derive(Parser, Debug)]
#[command(name = "lockscan", version, about, long_about = None)]
pub struct Cli {
    /// Files or directories to check. A file is analysed with the rest of its crate, but only
    /// its own findings are shown
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colors in human output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Exit with 1 when a finding is at or above this level
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "LEVEL")]
    pub fail_on: FailOn,

    /// Number of worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Read every `.rs` file, including those `.gitignore` and hidden directories leave out
    #[arg(long)]
    pub no_ignore: bool,

    /// Apply the safe fixes to the files, then report what remains
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,

    /// With `--fix` or `--diff`: the unsafe fixes too (they may change what the code does)
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the changes `--fix` would make, as a unified diff, and write nothing
    #[arg(long)]
    pub diff: bool,

    /// Print the extracted facts of each file instead of checking (for lockscan developers)
    #[arg(long, hide = true)]
    pub dump_facts: bool,
}

/// Each worker reserves a [`crate::parse::STACK_SIZE`] stack; far more workers than cores
/// only cost time to start.
const MAX_THREADS: usize = 1024;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: {}", render::sanitize(&e.to_string()));
            2
        }
    }
}

fn run(cli: Cli) -> std::io::Result<i32> {
    if cli.threads.is_some_and(|n| n == 0 || n > MAX_THREADS) {
        eprintln!("error: `--threads` must be between 1 and {MAX_THREADS}");
        return Ok(2);
    }
    if cli.dump_facts {
        return dump_facts(&cli.paths);
    }
    let opts = Options {
        paths: cli.paths.clone(),
        threads: cli.threads,
        discover: crate::project::DiscoverOptions {
            no_ignore: cli.no_ignore,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut report = match driver::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", render::sanitize(&e.to_string()));
            return Ok(2);
        }
    };
    let level = if cli.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    if cli.diff {
        let plan = fix::plan(&report, level);
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        render::diff::render(&plan, &mut out)?;
        out.flush()?;
        eprintln!("{}", fix_summary(&plan, "would fix"));
        return Ok(exit_code(&report, cli.fail_on));
    }
    if cli.fix {
        let plan = fix::plan(&report, level);
        let (written, failed) = fix::write(&plan);
        for (c, why) in &failed {
            eprintln!(
                "warning: `{}` was not fixed: {why}",
                render::sanitize(&c.display)
            );
        }
        eprintln!("{}", fix_summary(&plan, "fixed"));
        if !written.is_empty() {
            // Report what remains, as the files are now.
            report = match driver::run(&opts) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {}", render::sanitize(&e.to_string()));
                    return Ok(2);
                }
            };
        }
    }
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    render::render(
        &report,
        cli.format,
        RenderOptions {
            color,
            width: terminal_width(),
        },
        &mut out,
    )?;
    out.flush()?;
    Ok(exit_code(&report, cli.fail_on))
}

fn exit_code(report: &driver::Report, fail_on: FailOn) -> i32 {
    let threshold = match fail_on {
        FailOn::Note => Some(Severity::Note),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| report.diagnostics.iter().any(|d| d.severity >= t));
    i32::from(failed)
}

/// "fixed 3 findings in 2 files (1 fix skipped: …)".
fn fix_summary(plan: &fix::Plan, verb: &str) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("1 {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut s = format!(
        "{verb} {} in {}",
        plural(plan.fixed.len(), "finding"),
        plural(plan.changes.len(), "file")
    );
    if !plan.skipped.is_empty() {
        let reasons: Vec<String> = plan
            .skipped
            .iter()
            .map(|k| {
                let why = match &k.reason {
                    fix::SkipReason::Overlap => {
                        "overlaps another fix; run again to apply it".to_string()
                    }
                    fix::SkipReason::Changed(w) => w.clone(),
                    fix::SkipReason::WouldNotParse(w) => format!("the result would not parse: {w}"),
                    fix::SkipReason::BadEdit => "its edits do not fit the file".to_string(),
                };
                format!("[{}] {why}", k.rule)
            })
            .collect();
        s.push_str(&format!(
            "; {} skipped: {}",
            plural(plan.skipped.len(), "fix"),
            render::sanitize(&reasons.join("; "))
        ));
    }
    s
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w >= 40)
        .unwrap_or(100)
}

fn dump_facts(paths: &[PathBuf]) -> std::io::Result<i32> {
    // Parsing recurses as deeply as the file nests: on a worker's stack, as in a run.
    let paths = paths.to_vec();
    let dumps = std::thread::Builder::new()
        .stack_size(crate::parse::STACK_SIZE)
        .spawn(move || {
            paths
                .iter()
                .map(|p| {
                    let name = render::sanitize(&p.display().to_string()).into_owned();
                    let opts = Default::default();
                    match crate::parse::parse_path(p, &opts) {
                        crate::parse::Outcome::Parsed(facts) => {
                            format!("== {name}\n{}", crate::facts::dump::dump(&facts))
                        }
                        crate::parse::Outcome::Failed(f) => format!("== {name}: {}\n", f.reason),
                    }
                })
                .collect::<Vec<String>>()
        })?
        .join()
        .map_err(|_| std::io::Error::other("the parser failed"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for d in dumps {
        out.write_all(render::sanitize(&d).as_bytes())?;
    }
    Ok(0)
}
