//! The command line: arguments in, exit code out.
//!
//! Exit codes: 0 when nothing is at or above the failing level, 1 when something is or when a
//! file could not be checked (unless `--fail-on never`), 2 when lockscan could not do its job
//! (bad arguments, a missing path or one with no Rust files, unreadable configuration or
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
use std::path::{Path, PathBuf};

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
///
/// `lockscan [PATH]...` checks; the subcommands do other things with the same code. (A
/// directory named like a subcommand is checked as `lockscan ./graph`.)
#[derive(Parser, Debug)]
#[command(
    name = "lockscan",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND",
    subcommand_help_heading = "Commands"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to check. A file is analysed with the rest of its crate, but only
    /// the findings that touch it are shown
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colors in human output (`NO_COLOR` set means never, unless `always`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Exit with 1 when a finding is at or above this level, or a file could not be checked
    /// [default: warning, or the configuration's `fail-on`]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Report only these rules (comma-separated, or repeated); the others are off. `--allow`,
    /// `--warn` and `--deny` apply after it
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = RuleName, hide_possible_values = true)]
    pub select: Vec<String>,

    /// Turn a rule off, or every rule with `all` (repeatable; the last of --allow, --warn and
    /// --deny for a rule wins). Rule names may be written `double_lock` or `double-lock`
    #[arg(short = 'A', long = "allow", value_name = "RULE", value_parser = RuleName, hide_possible_values = true)]
    pub allow: Vec<String>,

    /// Report a rule (or `all`) as a warning
    #[arg(short = 'W', long = "warn", value_name = "RULE", value_parser = RuleName, hide_possible_values = true)]
    pub warn: Vec<String>,

    /// Report a rule (or `all`) as an error
    #[arg(short = 'D', long = "deny", value_name = "RULE", value_parser = RuleName, hide_possible_values = true)]
    pub deny: Vec<String>,

    /// Print how many findings each rule has, instead of the findings (human, short or json)
    #[arg(long)]
    pub statistics: bool,

    /// Write the output to this file instead of the standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Print the findings and nothing else: no summary line, no progress
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub input: InputArgs,

    /// Report only findings that are not in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in this file (a baseline) and exit 0, printing no findings
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff"])]
    pub write_baseline: Option<PathBuf>,

    /// Print a rule's documentation and exit
    #[arg(long, value_name = "RULE", exclusive = true, value_parser = RuleName, hide_possible_values = true)]
    pub explain: Option<String>,

    /// Print the rules, their default levels and what they find, and exit
    #[arg(long, exclusive = true)]
    pub list_rules: bool,

    /// Apply the safe fixes to the files, then report what remains
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,

    /// With `--fix` or `--diff`: the unsafe fixes too (they may change what the code does)
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the changes `--fix` would make, as a unified diff, and write nothing
    #[arg(long)]
    pub diff: bool,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Parse every function body, even those that hold nothing a rule could use
    #[arg(long)]
    pub no_screen: bool,

    /// Print the extracted facts of each file instead of checking (for lockscan developers)
    #[arg(long, hide = true)]
    pub dump_facts: bool,
}

/// What to read and how: shared by checking and `lockscan graph`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct InputArgs {
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

    /// Number of worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Read every `.rs` file, including those `.gitignore` and hidden directories leave out
    #[arg(long)]
    pub no_ignore: bool,
}

/// Where the cache is.
#[derive(clap::Args, Debug, Default)]
pub struct CacheArgs {
    /// Keep what each run learns in DIR, to do none of it again [default: `LOCKSCAN_CACHE_DIR`,
    /// or the platform's cache directory]
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Read and write no cache
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run as a language server on stdin and stdout, for editors: checks the open files as
    /// they are typed, unsaved text included
    Server {
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Print the lock-order graph of the crate or workspace: a node per lock, an edge per
    /// "holding A, takes B", cycles highlighted
    Graph(GraphArgs),
    /// Print a shell completion script (e.g. `lockscan completions bash >
    /// ~/.local/share/bash-completion/completions/lockscan`)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    /// Files or directories whose crates or workspaces to draw
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format: Graphviz DOT (`dot -Tsvg`) or a Mermaid flowchart (rendered by GitHub)
    #[arg(short, long, value_enum, default_value_t = render::graph::GraphFormat::Dot)]
    pub format: render::graph::GraphFormat,

    /// Write the graph to this file instead of the standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Draw every lock, also those never held while another is taken
    #[arg(long)]
    pub all_locks: bool,

    /// Print nothing on the standard error but errors
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub input: InputArgs,
}

/// A rule name, or `all`. Any text parses (an unknown name is reported with the closest rule,
/// after parsing); the possible values are there for shell completions.
#[derive(Clone)]
struct RuleName;

impl clap::builder::TypedValueParser for RuleName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            std::iter::once(clap::builder::PossibleValue::new("all")).chain(
                rules::RULES
                    .iter()
                    .map(|r| clap::builder::PossibleValue::new(r.name).help(r.summary)),
            ),
        ))
    }
}

/// Each worker reserves a [`crate::parse::STACK_SIZE`] stack; far more workers than cores
/// only cost time to start.
const MAX_THREADS: usize = 1024;

/// Runs lockscan with the process's arguments.
pub fn main() -> i32 {
    main_from(std::env::args_os(), "lockscan")
}

/// Asks Linux not to back this process's memory with transparent huge pages. The allocator
/// takes memory in 2 MiB-aligned stretches, which the kernel (THP `always`) fills with huge
/// pages: each is zeroed whole when first touched, and stays resident until all of it is free.
/// Without them a cold run of the corpus peaks 10–20 % lower, with less system time and no
/// change in wall time that could be told from the machine's noise.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` takes integers, and changes only how the kernel backs this
    // process's anonymous memory: it reads or writes none of ours. A failure changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Runs lockscan with `args` (the first is the program name); `bin_name` is the command shown
/// in usage messages (`cargo lockscan` for the cargo subcommand).
pub fn main_from(args: impl IntoIterator<Item = OsString>, bin_name: &str) -> i32 {
    no_huge_pages();
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
    let result = match cli.command {
        Some(Command::Server { cache }) => Ok(crate::server::run(cache_dir(&cache))),
        Some(Command::Graph(args)) => graph(&args),
        Some(Command::Completions { shell }) => completions(shell),
        None => run(cli, levels),
    };
    match result {
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

/// Prints `error: …` (sanitized: messages quote paths and keys from the scanned tree) and
/// gives exit code 2.
fn fail(e: impl std::fmt::Display) -> std::io::Result<i32> {
    eprintln!("error: {}", render::sanitize(&e.to_string()));
    Ok(2)
}

/// Where the output goes: the standard output, or the file `--output-file` names (created, or
/// emptied first).
fn sink(file: Option<&Path>) -> Result<Box<dyn Write>, String> {
    match file {
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
        Some(p) => std::fs::File::create(p)
            .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>)
            .map_err(|e| {
                format!(
                    "cannot write `{}`: {}",
                    p.display(),
                    crate::baseline::io_reason(&e)
                )
            }),
    }
}

/// Whether the output is a terminal that gets colour.
fn use_color(choice: ColorChoice, output_file: Option<&Path>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            output_file.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
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
    if let Err(e) = check_threads(&cli.input) {
        return fail(e);
    }
    if cli.dump_facts {
        return dump_facts(&cli.paths);
    }
    if cli.statistics && !matches!(cli.format, Format::Human | Format::Short | Format::Json) {
        return fail(format!(
            "`--statistics` prints counts in the `human`, `short` or `json` format, not `{}`",
            format_name(cli.format)
        ));
    }
    let (mut opts, fail_on) = match options(&cli, &levels) {
        Ok(o) => o,
        Err(Fatal(e)) => return fail(e),
    };
    let mut report = match crate::progress::around(&mut opts, cli.quiet, driver::run) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(path) = &cli.write_baseline {
        return match baseline::write(&report.diagnostics, |f| report.display_path(f), path) {
            Ok(n) => {
                if !cli.quiet {
                    let findings = if n == 1 { "finding" } else { "findings" };
                    eprintln!(
                        "recorded {n} {findings} in `{}`",
                        render::sanitize(&path.display().to_string())
                    );
                }
                Ok(0)
            }
            Err(e) => fail(e),
        };
    }
    let level = if cli.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let color = use_color(cli.color, cli.output_file.as_deref());
    if cli.diff {
        let plan = fix::plan_verified(&report, level, &opts);
        let mut out = match sink(cli.output_file.as_deref()) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        render::diff::render(&plan, color, &mut out)?;
        out.flush()?;
        if !cli.quiet {
            eprintln!("{}", fix_summary(&report, &plan, "would fix"));
        }
        return Ok(exit_code(&report, fail_on));
    }
    if cli.fix {
        let plan = fix::plan_verified(&report, level, &opts);
        let (written, failed) = fix::write(&plan);
        for (c, why) in &failed {
            eprintln!(
                "warning: `{}` was not fixed: {why}",
                render::sanitize(&c.display)
            );
        }
        if !cli.quiet {
            eprintln!("{}", fix_summary(&report, &plan, "fixed"));
        }
        if !written.is_empty() {
            // Report what remains, as the files are now.
            report = match crate::progress::around(&mut opts, cli.quiet, driver::run) {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
        }
    }
    let mut out = match sink(cli.output_file.as_deref()) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let render_opts = RenderOptions {
        color,
        width: terminal_width(),
        summary: !cli.quiet,
        statistics: cli.statistics,
    };
    render::render(&report, cli.format, render_opts, &mut out)?;
    out.flush()?;
    if cli.format == Format::Github
        && let Some(file) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| !f.is_empty())
        && let Err(e) = render::github::write_step_summary(&report, Path::new(&file))
    {
        return fail(e);
    }
    Ok(exit_code(&report, fail_on))
}

fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

fn check_threads(input: &InputArgs) -> Result<(), String> {
    if input.threads.is_some_and(|n| n == 0 || n > MAX_THREADS) {
        return Err(format!("`--threads` must be between 1 and {MAX_THREADS}"));
    }
    Ok(())
}

/// 1 when a finding is at or above `fail_on`, or when a file the user asked about could not
/// be checked (whatever the level of `parse_error`, even when it is off: an unchecked file is
/// no pass); 0 otherwise, and always with `--fail-on never`.
fn exit_code(report: &driver::Report, fail_on: Option<Severity>) -> i32 {
    let Some(t) = fail_on else {
        return 0;
    };
    let failed = report.parse_errors > 0 || report.diagnostics.iter().any(|d| d.severity >= t);
    i32::from(failed)
}

/// What `--fix`/`--diff` did, a line each: "fixed 3 findings in 2 files" (with the fixes
/// skipped, and why: "; 1 fix skipped: …"); the fixes withheld because they would add findings
/// ("2 fixes withheld, as they would add findings: …"); and, as ruff says it, "2 hidden fixes
/// can be enabled with the `--unsafe-fixes` option".
fn fix_summary(report: &driver::Report, plan: &fix::Plan, verb: &str) -> String {
    use render::plural;
    let at = |k: &fix::Skipped| {
        let d = &report.diagnostics[k.index];
        format!(
            "[{}] {}:{}:{}",
            k.rule,
            report.display_path(d.primary.file),
            d.primary.span.lo.line,
            d.primary.span.lo.col
        )
    };
    let mut lines = vec![format!(
        "{verb} {} in {}",
        plural(plan.fixed.len(), "finding"),
        plural(plan.changes.len(), "file")
    )];
    let (withheld, skipped): (Vec<&fix::Skipped>, Vec<&fix::Skipped>) = plan
        .skipped
        .iter()
        .partition(|k| matches!(k.reason, fix::SkipReason::AddsFindings(_)));
    if !skipped.is_empty() {
        let reasons: Vec<String> = skipped
            .iter()
            .map(|k| {
                let why = match &k.reason {
                    fix::SkipReason::Overlap => {
                        "overlaps another fix; run again to apply it".to_string()
                    }
                    fix::SkipReason::Changed(w) => w.clone(),
                    fix::SkipReason::WouldNotParse(w) => format!("the result would not parse: {w}"),
                    fix::SkipReason::BadEdit => "its edits do not fit the file".to_string(),
                    fix::SkipReason::Unverified(w) => {
                        format!("its result could not be checked: {w}")
                    }
                    fix::SkipReason::AddsFindings(_) => "it would add findings".to_string(),
                };
                format!("{}: {why}", at(k))
            })
            .collect();
        lines[0].push_str(&format!(
            "; {} skipped: {}",
            plural(skipped.len(), "fix"),
            reasons.join("; ")
        ));
    }
    if !withheld.is_empty() {
        let each: Vec<String> = withheld
            .iter()
            .map(|k| {
                let rules = match &k.reason {
                    fix::SkipReason::AddsFindings(rules) => rules.as_slice(),
                    _ => &[],
                };
                let names: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
                let what = match names.as_slice() {
                    [] => "findings".to_string(),
                    [one] => format!("a new {one} finding"),
                    [init @ .., last] => format!("new {} and {last} findings", init.join(", ")),
                };
                format!("{} would add {what}", at(k))
            })
            .collect();
        lines.push(format!(
            "{} withheld, as {} would add findings lockscan reports: {}",
            plural(withheld.len(), "fix"),
            if withheld.len() == 1 { "it" } else { "they" },
            each.join("; ")
        ));
    }
    if plan.hidden > 0 {
        lines.push(format!(
            "{} can be enabled with the `--unsafe-fixes` option",
            match plan.hidden {
                1 => "1 hidden fix".to_string(),
                n => format!("{n} hidden fixes"),
            }
        ));
    }
    render::sanitize(&lines.join("\n")).into_owned()
}

/// The configuration that applies: the file `--config` names, none with `--no-config`, or
/// the one found from the first path named (its directory, for a file), like clippy reading
/// the crate's `clippy.toml`: `lockscan path/to/crate` uses that crate's configuration.
fn load_config(input: &InputArgs, paths: &[PathBuf]) -> Result<Config, Fatal> {
    let config: Option<Config> = if input.no_config {
        None
    } else if let Some(file) = &input.config {
        Some(config::load(file)?)
    } else {
        let here = std::env::current_dir()?;
        let start = match paths.first() {
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
    Ok(config.unwrap_or_default())
}

/// A rule named in a flag, as registered; `unknown rule …` with the closest one otherwise.
fn flag_rule(rule: &str, flag: &str) -> Result<&'static str, Fatal> {
    match rules::rule(rule) {
        Some(r) => Ok(r.name),
        None => Err(Fatal(match rules::closest(rule) {
            Some(near) => format!("unknown rule `{rule}` in `{flag}`; did you mean `{near}`?"),
            None => {
                format!(
                    "unknown rule `{rule}` in `{flag}`; `lockscan --list-rules` lists the rules"
                )
            }
        })),
    }
}

/// Rule levels: the configuration's, then `--select` (every other rule off; a selected rule
/// the configuration turns off, or an opt-in one, is at its default level), then `--allow`,
/// `--warn` and `--deny` in the order given (`all` stands for every default rule, and for every
/// rule in `--allow`).
fn rule_levels(
    config: &Config,
    select: &[String],
    flags: &[(String, &'static str, Option<Severity>)],
) -> Result<BTreeMap<String, Option<Severity>>, Fatal> {
    let mut levels: BTreeMap<String, Option<Severity>> = config.rules.clone();
    if !select.is_empty() {
        let mut chosen: Vec<&'static str> = vec![];
        for s in select {
            if s == "all" {
                chosen.extend(
                    rules::RULES
                        .iter()
                        .filter(|r| r.group == rules::Group::Default)
                        .map(|r| r.name),
                );
            } else {
                chosen.push(flag_rule(s, "--select")?);
            }
        }
        for r in rules::RULES {
            if !chosen.contains(&r.name) {
                levels.insert(r.name.to_string(), None);
            } else if levels.get(r.name).is_none_or(Option::is_none) {
                // Selected: at least its default level, opt-in or not.
                levels.insert(r.name.to_string(), Some(r.level));
            }
        }
    }
    for (rule, flag, level) in flags {
        if rule == "all" {
            // `all` is every default rule; opt-in rules are named one by one (`-A all` turns
            // them off too).
            for r in rules::RULES {
                if r.group == rules::Group::Default || level.is_none() {
                    levels.insert(r.name.to_string(), *level);
                }
            }
        } else {
            levels.insert(flag_rule(rule, flag)?.to_string(), *level);
        }
    }
    Ok(levels)
}

/// The driver's options for reading `paths` (no levels, no baseline).
fn read_options(input: &InputArgs, paths: &[PathBuf], config: &Config) -> Result<Options, Fatal> {
    // Configuration excludes are relative to the configuration's directory; the flag's to the
    // working directory.
    let here = std::env::current_dir()?;
    let exclude: Vec<(PathBuf, String)> = config
        .exclude
        .iter()
        .map(|p| (config.dir.clone(), p.clone()))
        .chain(input.exclude.iter().map(|p| (here.clone(), p.clone())))
        .collect();

    Ok(Options {
        paths: paths.to_vec(),
        threads: input.threads,
        discover: crate::project::DiscoverOptions {
            no_ignore: input.no_ignore,
            exclude,
        },
        api: config.api(),
        ..Options::default()
    })
}

/// The driver's options and the failing level, from the configuration and the flags.
fn options(
    cli: &Cli,
    levels: &[(String, &'static str, Option<Severity>)],
) -> Result<(Options, Option<Severity>), Fatal> {
    let config = load_config(&cli.input, &cli.paths)?;
    let rule_levels = rule_levels(&config, &cli.select, levels)?;
    let fail_on = match (cli.fail_on, config.fail_on) {
        (Some(f), _) => f.threshold(),
        (None, Some(c)) => c,
        (None, None) => Some(Severity::Warning),
    };
    let mut opts = read_options(&cli.input, &cli.paths, &config)?;
    opts.levels = rule_levels;
    opts.baseline = match &cli.baseline {
        Some(path) if cli.write_baseline.is_none() => Some(baseline::read(path)?),
        _ => None,
    };
    opts.cache = cache_dir(&cli.cache);
    opts.screen = !cli.no_screen;
    Ok((opts, fail_on))
}

/// Where the cache is: `--cache-dir`, `LOCKSCAN_CACHE_DIR`, or the platform's cache directory;
/// none with `--no-cache`.
fn cache_dir(args: &CacheArgs) -> Option<PathBuf> {
    if args.no_cache {
        return None;
    }
    args.cache_dir
        .clone()
        .or_else(|| {
            std::env::var_os("LOCKSCAN_CACHE_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(crate::cache::default_dir)
}

/// `lockscan graph`: the lock-order graph of each unit the paths lie in.
fn graph(args: &GraphArgs) -> std::io::Result<i32> {
    if let Err(e) = check_threads(&args.input) {
        return fail(e);
    }
    let mut opts = match load_config(&args.input, &args.paths)
        .and_then(|c| read_options(&args.input, &args.paths, &c))
    {
        Ok(o) => o,
        Err(Fatal(e)) => return fail(e),
    };
    let mut graphs = match crate::progress::around(&mut opts, args.quiet, driver::lock_graphs) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let lone: usize = graphs
        .units
        .iter()
        .map(|(_, g)| {
            let mut all = g.clone();
            all.without_lone_locks();
            g.nodes.len() - all.nodes.len()
        })
        .sum();
    if !args.all_locks {
        for (_, g) in &mut graphs.units {
            g.without_lone_locks();
        }
    }
    let mut out = match sink(args.output_file.as_deref()) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    render::graph::render(&graphs, args.format, &mut out)?;
    out.flush()?;
    if !args.quiet {
        let cycles: usize = graphs
            .units
            .iter()
            .map(|(_, g)| g.edges.iter().filter(|e| e.in_cycle).count())
            .sum();
        let locks: usize = graphs.units.iter().map(|(_, g)| g.nodes.len()).sum();
        let edges: usize = graphs.units.iter().map(|(_, g)| g.edges.len()).sum();
        use render::plural;
        let mut line = format!(
            "{} and {} ({cycles} on a cycle) in {}",
            plural(locks, "lock"),
            plural(edges, "edge"),
            plural(graphs.units.len(), "unit")
        );
        if !args.all_locks && lone > 0 {
            line.push_str(&format!(
                "; {} never nested with another left out (`--all-locks` draws them)",
                plural(lone, "lock")
            ));
        }
        eprintln!("{line}");
    }
    Ok(0)
}

/// `lockscan completions SHELL`.
fn completions(shell: clap_complete::Shell) -> std::io::Result<i32> {
    let mut cmd = Cli::command();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    clap_complete::generate(shell, &mut cmd, "lockscan", &mut out);
    out.flush()?;
    Ok(0)
}

fn explain(rule: &str) -> std::io::Result<i32> {
    let Some(r) = rules::rule(rule) else {
        return fail(match rules::closest(rule) {
            Some(near) => format!("unknown rule `{rule}`; did you mean `{near}`?"),
            None => format!("unknown rule `{rule}`; `lockscan --list-rules` lists the rules"),
        });
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(rules::explanation(r).as_bytes())?;
    out.flush()?;
    Ok(0)
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
        let opt_in = match r.group {
            rules::Group::Default => "",
            rules::Group::Pedantic => "(opt-in) ",
        };
        out.push_str(&format!(
            "{:width$}  {:7}  {fix}  {opt_in}{}\n",
            r.name,
            r.level.as_str(),
            r.summary
        ));
    }
    out
}

/// The width human output wraps to: `COLUMNS` when it is set (as clap and `ls` read it), else
/// the width of the terminal on the standard output, else 80. Never under 40.
fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    let terminal = || {
        terminal_size::terminal_size_of(std::io::stdout())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
    };
    columns
        .filter(|&w: &usize| w > 0)
        .or_else(terminal)
        .filter(|&w| w > 0)
        .unwrap_or(80)
        .max(40)
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
