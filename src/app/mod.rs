//! The application: turns validated command-line arguments into a run of the pipeline (rules →
//! plan → input → scan → output) and an [`Outcome`]. `main` only maps the outcome to an exit
//! code. One file per command: `scan.rs` (`scan`, `query`), `rules.rs` (`rules`),
//! `explain.rs` (`explain`), `generate.rs` (`gen`), `feed.rs` (`feed`); `external.rs` finds the
//! local files of `externaldata` and watchlists, `threat_intel.rs` reads `--threat-intel` feeds
//! as indicator tables; this file holds what they share (exit outcomes, errors, rule and feed
//! loading, `--now`, `--tz`).

mod explain;
mod external;
mod feed;
mod generate;
mod rules;
mod scan;
mod threat_intel;

use std::fmt;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::{ColorArg, Command, CompletionsArgs, ManArgs};
use crate::manual;
use crate::output::{ColorChoice, Style};
use crate::plan::{self, CompileError, Plan};
use crate::rules::feeds::{self, Feed};
use crate::rules::{Rule, RuleError};
use crate::time::{parse_datetime, TICKS_PER_SECOND};

/// How a run ended, in the terms of the exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: the scan completed and found nothing.
    Clean,
    /// 1: the scan completed and found results (`rules`: a query refused by `--check`, a warning
    /// under `--lint`).
    Found,
    /// 2: some input could not be read (results, if any, were still printed).
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Found => 1,
            Outcome::Incomplete => 2,
        }
    }
}

/// A run that could not start or finish: bad arguments, rules, or output.
#[derive(Debug)]
pub enum Error {
    Usage(String),
    Rules(RuleError),
    Compile(CompileError),
    /// A query that compiled but could not run (an `externaldata` URL with no local file,
    /// `--max-memory` exceeded).
    Run(String),
    Output(io::Error),
    /// The machine refused: a file that could not be written, threads that could not start.
    System(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) => f.write_str(message),
            Error::Rules(e) => write!(f, "{e}"),
            Error::Compile(e) => write!(f, "{e}"),
            Error::Run(e) => f.write_str(e),
            Error::Output(e) => write!(f, "cannot write output: {e}"),
            Error::System(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::generate::GenError> for Error {
    fn from(e: crate::generate::GenError) -> Error {
        match e {
            crate::generate::GenError::Invalid(message) => Error::Usage(message),
            e @ crate::generate::GenError::Io { .. } => Error::System(e.to_string()),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Output(e)
    }
}

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Scan(args) => scan::scan_command(args),
        Command::Query(args) => scan::query_command(args),
        Command::Rules(args) if args.check => rules::check_command(args),
        Command::Rules(args) => rules::rules_command(args),
        Command::Explain(args) => explain::explain_command(args),
        Command::Gen(args) => generate::gen_command(args),
        Command::Feed(args) => feed::feed_command(args),
        Command::Completions(args) => completions_command(args),
        Command::Man(args) => man_command(args),
    }
}

/// How messages on stderr are styled for `command` (its `--color`, whether stderr is a terminal,
/// `NO_COLOR`); `main` prints the final error with it.
pub fn stderr_style(command: &Command) -> Style {
    color_choice(command.color()).for_stream(&io::stderr())
}

pub(crate) fn color_choice(arg: ColorArg) -> ColorChoice {
    match arg {
        ColorArg::Auto => ColorChoice::Auto,
        ColorArg::Always => ColorChoice::Always,
        ColorArg::Never => ColorChoice::Never,
    }
}

/// `loghunt completions SHELL`: the script on stdout.
fn completions_command(args: CompletionsArgs) -> Result<Outcome, Error> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(&manual::completions(args.shell))?;
    stdout.flush()?;
    Ok(Outcome::Clean)
}

/// `loghunt man [SUBCOMMAND...]`: the roff page on stdout.
fn man_command(args: ManArgs) -> Result<Outcome, Error> {
    let page = manual::man_page(&args.subcommand).map_err(Error::Usage)?;
    let mut stdout = io::stdout().lock();
    stdout.write_all(&page)?;
    stdout.flush()?;
    Ok(Outcome::Clean)
}

/// Reads an IOC feed, its warnings on stderr (`loghunt: warning: FILE:LINE: ...`), for
/// `scan --iocs` and `feed` alike. A feed that cannot be read, or has no IOC that can be
/// hunted, is an error.
pub(crate) fn load_feed(path: &Path, stderr_style: Style) -> Result<Feed, Error> {
    let feed = feeds::load_feed(path).map_err(|e| Error::Usage(e.to_string()))?;
    let mut stderr = io::stderr().lock();
    for warning in &feed.warnings {
        writeln!(stderr, "loghunt: {} {warning}", stderr_style.warning("warning:"))?;
    }
    if feed.indicators.is_empty() {
        let mut message = format!("{}: no usable IOC in the feed ({})", path.display(), feed.format);
        if !feed.warnings.is_empty() {
            let _ = write!(
                message,
                "; {} row(s) could not be used, see the warnings",
                feed.warnings.len()
            );
        }
        if feed.not_for_detection > 0 {
            let _ = write!(message, "; {} IOC(s) marked not for detection", feed.not_for_detection);
        }
        return Err(Error::Usage(message));
    }
    Ok(feed)
}

pub(crate) fn now_ticks(text: Option<&str>) -> Result<i64, Error> {
    match text {
        Some(text) => parse_datetime(text)
            .ok_or_else(|| Error::Usage(format!("--now: `{text}` is not a datetime (try 2026-06-21T00:00:00Z)"))),
        None => {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            Ok(since.as_secs() as i64 * TICKS_PER_SECOND + since.subsec_nanos() as i64 / 100)
        }
    }
}

/// Loads and compiles the rules, each on the worker that read it, printing warnings on stderr
/// and counting them. `keep` picks what of each source rule outlives its compilation: the scan
/// keeps nothing, so a million IOC table rows are never held at once.
pub(crate) fn load_plan<T: Send>(
    paths: &[PathBuf],
    now: i64,
    environment: &plan::Environment,
    keep: impl Fn(Rule) -> T + Sync,
    stderr_style: Style,
) -> Result<(Vec<T>, Plan, usize), Error> {
    let (kept, plan, warnings) = load_plan_with(paths, Vec::new(), now, environment, keep, stderr_style)?;
    Ok((kept, plan, warnings.len()))
}

/// Hands the memory the allocator holds free back to the system. Loading a million IOCs
/// allocates and frees the documents, tokens and syntax trees between the sets it keeps, and
/// glibc's allocator keeps those freed pages (~70 MB of a 1M-IOC scan's ~195 MB peak); the
/// scan after it would never reuse most of them. Elsewhere a no-op.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: `malloc_trim` only returns free memory of glibc's heaps to the system; it
        // touches no memory in use, and any thread may call it at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// [`load_plan`], with `extra` rules (made from IOC feeds) after those of `paths`; `paths` may
/// then be empty. Rule ids must be unique across both. Returns the warnings' texts too, for the
/// report.
pub(crate) fn load_plan_with<T: Send>(
    paths: &[PathBuf],
    extra: Vec<Rule>,
    now: i64,
    environment: &plan::Environment,
    keep: impl Fn(Rule) -> T + Sync,
    stderr_style: Style,
) -> Result<(Vec<T>, Plan, Vec<String>), Error> {
    let compile = |rule: Rule| {
        let compiled = plan::compile_rule_in(&rule, now, environment);
        (rule.id.clone(), rule.source.clone(), keep(rule), compiled)
    };
    let mut loaded = if paths.is_empty() {
        crate::rules::Loaded::default()
    } else {
        let loaded = crate::rules::load_with(paths, compile).map_err(Error::Rules)?;
        if loaded.rules.is_empty() {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "no rules found in {} (rule files end in .txt, .md, .kql, .yaml or .yml)",
                names.join(", ")
            )));
        }
        loaded
    };
    for rule in extra {
        let (id, source) = (rule.id.clone(), rule.source.clone());
        if let Some(first) = loaded.rules.iter().find(|(other, ..)| *other == id) {
            return Err(Error::Usage(format!(
                "{}: rule id `{id}` is also the id of {}; rule ids (file stems) must be unique",
                source.display(),
                first.1.display()
            )));
        }
        loaded.rules.push(compile(rule));
    }
    let (kept, compiled): (Vec<T>, Vec<_>) = loaded
        .rules
        .into_iter()
        .map(|(_, _, kept, compiled)| (kept, compiled))
        .unzip();
    let plan = Plan::from_compiled(compiled).map_err(Error::Compile)?;
    let mut stderr = io::stderr().lock();
    for warning in loaded.warnings.iter().chain(&plan.warnings) {
        writeln!(stderr, "loghunt: {} {warning}", stderr_style.warning("warning:"))?;
    }
    let warnings = loaded
        .warnings
        .iter()
        .chain(&plan.warnings)
        .map(ToString::to_string)
        .collect();
    Ok((kept, plan, warnings))
}
