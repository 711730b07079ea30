//! The command line: arguments in, exit code out.
//!
//! Exit codes: 0 when nothing is at or above the failing level, 1 when something is, 2 when
//! lockscan could not do its job (bad arguments, a missing path, unreadable configuration or
//! baseline).
//!
//! Settings come from three places, each overriding the one before: the defaults, the
//! configuration file (see [`crate::config`]), and the flags.

use crate::baseline;
use crate::config::{self, Config};
use crate::diag::{Applicability, Severity};
use crate::driver::{self, Options};
use crate::fix;
use crate::render::{self, Format, RenderOptions};
use crate::rules;
use clap::{CommandFactory, FromArgMatches, Parser};
use std::collections::BTreeMap;
use std::ffi::OsString;
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

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Note => Some(Severity::Note),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        }
    }
}

/// Finds deadlocks and shared-state concurrency hazards in Rust source, without compiling it.
#[derive(Parser, Debug)]
#[command(name = "lockscan", version, about, long_about = None)]
pub struct Cli {
    /// Files or directories to check. A file is analysed with the rest of its crate, but only
    /// the findings that touch it are shown
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colors in human output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Exit with 1 when a finding is at or above this level [default: warning, or the
    /// configuration's `fail-on`]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Turn a rule off (repeatable; the last of --allow, --warn and --deny for a rule wins)
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,

    /// Report a rule as a warning
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,

    /// Report a rule as an error
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,

    /// Leave out paths matching this pattern (gitignore syntax, relative to the working
    /// directory; repeatable, added to the configuration's `exclude`)
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,

    /// Read the configuration from this file (a `lockscan.toml`, or a `Cargo.toml` with
    /// lockscan metadata) instead of looking for one
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long)]
    pub no_config: bool,

    /// Report only findings that are not in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in this file (a baseline) and exit 0, printing no findings
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff"])]
    pub write_baseline: Option<PathBuf>,

    /// Print a rule's documentation and exit
    #[arg(long, value_name = "RULE", exclusive = true)]
    pub explain: Option<String>,

    /// Print the rules, their default levels and what they find, and exit
    #[arg(long, exclusive = true)]
    pub list_rules: bool,

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

    /// Keep what each run learns in DIR, to do none of it again [default: `LOCKSCAN_CACHE_DIR`,
    /// or the platform's cache directory]
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Read and write no cache
    #[arg(long)]
    pub no_cache: bool,

    /// Parse every function body, even those that hold nothing a rule could use
    #[arg(long)]
    pub no_screen: bool,

    /// Print the extracted facts of each file instead of checking (for lockscan developers)
    #[arg(long, hide = true)]
    pub dump_facts: bool,
}

/// Each worker reserves a [`crate::parse::STACK_SIZE`] stack; far more workers than cores
/// only cost time to start.
const MAX_THREADS: usize = 1024;

/// Runs lockscan with the process's arguments.
pub fn main() -> i32 {
    main_from(std::env::args_os(), "lockscan")
}

/// Runs lockscan with `args` (the first is the program name); `bin_name` is the command shown
/// in usage messages (`cargo lockscan` for the cargo subcommand).
pub fn main_from(args: impl IntoIterator<Item = OsString>, bin_name: &str) -> i32 {
    let parsed = Cli::command()
        .bin_name(bin_name.to_string())
        .try_get_matches_from(args)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, level_flags(&m))));
    let (cli, levels) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli, levels) {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: {}", render::sanitize(&e.to_string()));
            2
        }
    }
}

/// `--allow`, `--warn` and `--deny`, in the order they were given.
fn level_flags(m: &clap::ArgMatches) -> Vec<(String, &'static str, Option<Severity>)> {
    let mut out: Vec<(usize, String, &'static str, Option<Severity>)> = vec![];
    for (id, flag, level) in [
        ("allow", "--allow", None),
        ("warn", "--warn", Some(Severity::Warning)),
        ("deny", "--deny", Some(Severity::Error)),
    ] {
        if let (Some(values), Some(indices)) = (m.get_many::<String>(id), m.indices_of(id)) {
            for (v, i) in values.zip(indices) {
                out.push((i, v.clone(), flag, level));
            }
        }
    }
    out.sort_by_key(|(i, ..)| *i);
    out.into_iter().map(|(_, v, f, l)| (v, f, l)).collect()
}

/// Stops the run with exit code 2 and this message.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

fn run(cli: Cli, levels: Vec<(String, &'static str, Option<Severity>)>) -> std::io::Result<i32> {
    if let Some(rule) = &cli.explain {
        return explain(rule);
    }
    if cli.list_rules {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        out.write_all(list_rules().as_bytes())?;
        out.flush()?;
        return Ok(0);
    }
    if cli.threads.is_some_and(|n| n == 0 || n > MAX_THREADS) {
        eprintln!("error: `--threads` must be between 1 and {MAX_THREADS}");
        return Ok(2);
    }
    if cli.dump_facts {
        return dump_facts(&cli.paths);
    }
    let (opts, fail_on) = match options(&cli, &levels) {
        Ok(o) => o,
        Err(Fatal(e)) => {
            // Configuration errors quote keys and paths from the scanned tree.
            eprintln!("error: {}", render::sanitize(&e));
            return Ok(2);
        }
    };
    let mut report = match driver::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", render::sanitize(&e.to_string()));
            return Ok(2);
        }
    };
    if let Some(path) = &cli.write_baseline {
        return match baseline::write(&report.diagnostics, |f| report.display_path(f), path) {
            Ok(n) => {
                let findings = if n == 1 { "finding" } else { "findings" };
                eprintln!(
                    "recorded {n} {findings} in `{}`",
                    render::sanitize(&path.display().to_string())
                );
                Ok(0)
            }
            Err(e) => {
                eprintln!("error: {}", render::sanitize(&e.to_string()));
                Ok(2)
            }
        };
    }
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
        return Ok(exit_code(&report, fail_on));
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
    Ok(exit_code(&report, fail_on))
}

/// 1 when a finding is at or above `fail_on`, else 0.
fn exit_code(report: &driver::Report, fail_on: Option<Severity>) -> i32 {
    let failed = fail_on.is_some_and(|t| report.diagnostics.iter().any(|d| d.severity >= t));
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

/// The driver's options and the failing level, from the configuration and the flags.
fn options(
    cli: &Cli,
    levels: &[(String, &'static str, Option<Severity>)],
) -> Result<(Options, Option<Severity>), Fatal> {
    let config: Option<Config> = if cli.no_config {
        None
    } else if let Some(file) = &cli.config {
        Some(config::load(file)?)
    } else {
        // From the first path named (its directory, for a file), like clippy reading the
        // crate's `clippy.toml`: `lockscan path/to/crate` uses that crate's configuration.
        let here = std::env::current_dir()?;
        let start = match cli.paths.first() {
            Some(p) => {
                let abs = here.join(p);
                let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
                match abs.parent() {
                    Some(parent) if !abs.is_dir() => parent.to_path_buf(),
                    _ => abs,
                }
            }
            None => here,
        };
        config::discover(&start)?
    };
    let config = config.unwrap_or_default();

    let mut rule_levels: BTreeMap<String, Option<Severity>> = config.rules.clone();
    for (rule, flag, level) in levels {
        if rules::rule(rule).is_none() {
            return Err(Fatal(format!(
                "unknown rule `{rule}` in `{flag}`; `lockscan --list-rules` lists the rules"
            )));
        }
        rule_levels.insert(rule.clone(), *level);
    }
    let fail_on = match (cli.fail_on, config.fail_on) {
        (Some(f), _) => f.threshold(),
        (None, Some(c)) => c,
        (None, None) => Some(Severity::Warning),
    };

    // Configuration excludes are relative to the configuration's directory; the flag's to the
    // working directory.
    let here = std::env::current_dir()?;
    let exclude: Vec<(PathBuf, String)> = config
        .exclude
        .iter()
        .map(|p| (config.dir.clone(), p.clone()))
        .chain(cli.exclude.iter().map(|p| (here.clone(), p.clone())))
        .collect();

    let split = |list: &[String]| -> Vec<Vec<String>> {
        list.iter()
            .map(|entry| {
                config::split_path(entry)
                    .unwrap_or_default()
                    .into_iter()
                    .map(String::from)
                    .collect()
            })
            .collect()
    };
    let api = crate::known::Api::default().configure(
        &config.lock_methods,
        &split(&config.sleep_functions),
        &split(&config.blocking_functions),
    );

    let baseline = match &cli.baseline {
        Some(path) if cli.write_baseline.is_none() => Some(baseline::read(path)?),
        _ => None,
    };
    let opts = Options {
        paths: cli.paths.clone(),
        threads: cli.threads,
        discover: crate::project::DiscoverOptions {
            no_ignore: cli.no_ignore,
            exclude,
        },
        api,
        levels: rule_levels,
        baseline,
        cache: cache_dir(cli),
        screen: !cli.no_screen,
    };
    Ok((opts, fail_on))
}

/// Where the cache is: `--cache-dir`, `LOCKSCAN_CACHE_DIR`, or the platform's cache directory;
/// none with `--no-cache`.
fn cache_dir(cli: &Cli) -> Option<PathBuf> {
    if cli.no_cache {
        return None;
    }
    cli.cache_dir
        .clone()
        .or_else(|| {
            std::env::var_os("LOCKSCAN_CACHE_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(crate::cache::default_dir)
}

fn explain(rule: &str) -> std::io::Result<i32> {
    let Some(r) = rules::rule(rule) else {
        eprintln!(
            "error: unknown rule `{}`; `lockscan --list-rules` lists the rules",
            render::sanitize(rule)
        );
        return Ok(2);
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(explanation(r).as_bytes())?;
    out.flush()?;
    Ok(0)
}

/// What `--explain` prints: the rule's name, level and summary, then its documentation.
pub fn explanation(r: &rules::Rule) -> String {
    let fix = match r.fix {
        rules::FixAvailability::None => "",
        rules::FixAvailability::Sometimes => "; a fix is sometimes available",
        rules::FixAvailability::Always => "; a fix is available",
    };
    format!(
        "# {}\n\nDefault level: {}{fix}. Finds {}.\n\n{}",
        r.name,
        r.level.as_str(),
        r.summary,
        r.docs.trim_end()
    ) + "\n"
}

/// What `--list-rules` prints: one rule a line, aligned.
pub fn list_rules() -> String {
    let width = rules::RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rules::RULES {
        let fix = match r.fix {
            rules::FixAvailability::None => "   ",
            _ => "fix",
        };
        out.push_str(&format!(
            "{:width$}  {:7}  {fix}  {}\n",
            r.name,
            r.level.as_str(),
            r.summary
        ));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_list_has_every_rule() {
        let list = list_rules();
        for r in rules::RULES {
            assert!(
                list.lines().any(|l| l.starts_with(&format!("{} ", r.name))),
                "{list}"
            );
        }
        assert_eq!(list.lines().count(), rules::RULES.len());
    }
}
