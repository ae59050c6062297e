//! The application: turns validated command-line arguments into a run of the pipeline (rules →
//! plan → input → scan → output) and an [`Outcome`]. `main` only maps the outcome to an exit
//! code.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{ColorArg, Command, FormatArg, QueryArgs, RulesArgs, RunArgs, ScanArgs};
use crate::cli::{CompletionsArgs, GenArgs, GenCommand, ManArgs, ShapeArg};
use crate::generate::{self, LogTable, LogsOptions, RulesOptions, Shape};
use crate::input::csv::CsvOptions;
use crate::output::{self, ColorChoice, Format, Results, Style};
use crate::plan::{self, CompileError, Plan};
use crate::rules::feeds::rules::{feed_rules, ioc_json, FeedRule, IocLookup};
use crate::rules::{self, feeds, Rule, RuleError};
use crate::scan::{self, ScanOptions};
use crate::time::{parse_datetime, TICKS_PER_SECOND};
use crate::{input, manual, schema};

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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) => f.write_str(message),
            Error::Rules(e) => write!(f, "{e}"),
            Error::Compile(e) => write!(f, "{e}"),
            Error::Run(e) => f.write_str(e),
            Error::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Output(e)
    }
}

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Scan(args) => scan_command(args),
        Command::Query(args) => query_command(args),
        Command::Rules(args) if args.check => check_command(args),
        Command::Rules(args) => rules_command(args),
        Command::Gen(args) => gen_command(args),
        Command::Completions(args) => completions_command(args),
        Command::Man(args) => man_command(args),
    }
}

/// How messages on stderr are styled for `command` (its `--color`, whether stderr is a terminal,
/// `NO_COLOR`); `main` prints the final error with it.
pub fn stderr_style(command: &Command) -> Style {
    color_choice(command.color()).for_stream(&io::stderr())
}

fn color_choice(arg: ColorArg) -> ColorChoice {
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

/// `+02:00`, `-0500`, `+2`, `UTC`, `Z` → minutes east of UTC.
fn parse_utc_offset(text: &str) -> Result<i32, Error> {
    let bad = || Error::Usage(format!("--tz: `{text}` is not a UTC offset (try +02:00, -0500 or UTC)"));
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("utc") || trimmed.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let trimmed = trimmed
        .strip_prefix("UTC")
        .or_else(|| trimmed.strip_prefix("utc"))
        .unwrap_or(trimmed);
    let (sign, digits) = match trimmed.as_bytes().first() {
        Some(b'+') => (1, &trimmed[1..]),
        Some(b'-') => (-1, &trimmed[1..]),
        _ => return Err(bad()),
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let hours: i32 = hours.parse().map_err(|_| bad())?;
    let minutes: i32 = minutes.parse().map_err(|_| bad())?;
    if hours > 14 || minutes > 59 {
        return Err(bad());
    }
    Ok(sign * (hours * 60 + minutes))
}

fn now_ticks(text: Option<&str>) -> Result<i64, Error> {
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
fn load_plan<T: Send>(
    paths: &[PathBuf],
    now: i64,
    environment: &plan::Environment,
    keep: impl Fn(Rule) -> T + Sync,
    stderr_style: Style,
) -> Result<(Vec<T>, Plan, usize), Error> {
    load_plan_with(paths, Vec::new(), now, environment, keep, stderr_style)
}

/// [`load_plan`], with `extra` rules (made from IOC feeds) after those of `paths`; `paths` may
/// then be empty. Rule ids must be unique across both.
fn load_plan_with<T: Send>(
    paths: &[PathBuf],
    extra: Vec<Rule>,
    now: i64,
    environment: &plan::Environment,
    keep: impl Fn(Rule) -> T + Sync,
    stderr_style: Style,
) -> Result<(Vec<T>, Plan, usize), Error> {
    let compile = |rule: Rule| {
        let compiled = plan::compile_rule_in(&rule, now, environment);
        (rule.id.clone(), rule.source.clone(), keep(rule), compiled)
    };
    let mut loaded = if paths.is_empty() {
        rules::Loaded::default()
    } else {
        let loaded = rules::load_with(paths, compile).map_err(Error::Rules)?;
        if loaded.rules.is_empty() {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "no rules found in {} (rule files end in .txt, .md or .kql)",
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
    let warnings = loaded.warnings.len() + plan.warnings.len();
    Ok((kept, plan, warnings))
}

fn scan_command(args: ScanArgs) -> Result<Outcome, Error> {
    let ScanArgs {
        rules,
        iocs,
        paths,
        run,
    } = args;
    run_scan(RuleSource::Paths { rules, feeds: iocs }, paths, run)
}

/// `loghunt query 'KQL' LOGS...` or `loghunt query -f FILE LOGS...`: one query, no document.
fn query_command(args: QueryArgs) -> Result<Outcome, Error> {
    let QueryArgs { file, mut args, run } = args;
    let (path, text) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Usage(format!("{}: cannot read: {e}", path.display())))?;
            (path, text)
        }
        None => {
            let text = args.remove(0);
            (PathBuf::from("query.kql"), text)
        }
    };
    if args.is_empty() {
        return Err(Error::Usage("no log files given after the query".into()));
    }
    let (rule, _) = rules::load_text(&path, &text).map_err(Error::Rules)?;
    let paths = args.into_iter().map(PathBuf::from).collect();
    run_scan(RuleSource::One(Box::new(rule)), paths, run)
}

enum RuleSource {
    /// Rule files and directories, and IOC feeds (`scan --rules ... --iocs ...`).
    Paths {
        rules: Vec<PathBuf>,
        feeds: Vec<PathBuf>,
    },
    One(Box<Rule>),
}

/// Loads each feed (its warnings on stderr) and turns it into rules; the lookups that find a
/// result row's indicator are kept by rule id. A feed that cannot be read, or has no IOC that
/// can be hunted, is an error.
fn load_feeds(paths: &[PathBuf], stderr_style: Style) -> Result<(Vec<Rule>, HashMap<String, IocLookup>), Error> {
    let mut rules = Vec::new();
    let mut lookups = HashMap::new();
    let mut stderr = io::stderr().lock();
    for path in paths {
        let feed = feeds::load_feed(path).map_err(|e| Error::Usage(e.to_string()))?;
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
        for FeedRule { rule, lookup } in feed_rules(&feed) {
            if lookups.contains_key(&rule.id) {
                return Err(Error::Usage(format!(
                    "{}: rule id `{}` is made by another feed too; feeds must have different file stems",
                    path.display(),
                    rule.id
                )));
            }
            lookups.insert(rule.id.clone(), lookup);
            rules.push(rule);
        }
    }
    Ok((rules, lookups))
}

/// A `URL=PATH` / `name=PATH` pair of a repeatable flag.
fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, PathBuf)>, Error> {
    values
        .iter()
        .map(|value| match value.rsplit_once('=') {
            Some((key, path)) if !key.is_empty() && !path.is_empty() => Ok((key.to_string(), PathBuf::from(path))),
            _ => Err(Error::Usage(format!("{flag}: `{value}` is not KEY=PATH"))),
        })
        .collect()
}

/// Finds and reads the local files behind `externaldata` URLs and watchlists.
struct ExternalFiles {
    urls: Vec<(String, PathBuf)>,
    dir: Option<PathBuf>,
    watchlists: Vec<(String, PathBuf)>,
}

impl ExternalFiles {
    fn load(&self, external: &plan::query::External) -> Result<plan::query::Rows, plan::query::RunError> {
        use plan::query::{ExternalKind, RunError};
        let fail = |message: String| RunError { message };
        match &external.kind {
            ExternalKind::Url { urls, .. } => {
                let mut rows = Vec::new();
                for url in urls {
                    let path = self.url_path(url).ok_or_else(|| {
                        fail(format!(
                            "externaldata at {}: no local file for {url}: give one with --external '{url}=PATH' or --external-dir DIR",
                            external.span
                        ))
                    })?;
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| fail(format!("externaldata {url}: {}: {e}", path.display())))?;
                    let read = plan::query::run::read_external(&external.kind, &external.columns, &text)
                        .map_err(|e| fail(format!("externaldata {url}: {}: {e}", path.display())))?;
                    rows.extend(read);
                }
                Ok(plan::query::Rows {
                    columns: external.columns.clone(),
                    rows,
                })
            }
            ExternalKind::Watchlist { name } => {
                let path = self
                    .watchlists
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, p)| p.clone())
                    .ok_or_else(|| {
                        fail(format!(
                            "_GetWatchlist('{name}'): give its CSV file with --watchlist '{name}=PATH'"
                        ))
                    })?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| fail(format!("watchlist {name}: {}: {e}", path.display())))?;
                plan::query::run::read_watchlist(&text, &external.columns)
                    .map_err(|e| fail(format!("watchlist {name}: {}: {e}", path.display())))
            }
        }
    }

    /// The watchlists' columns, from their files' headers, for the compiler.
    fn environment(&self) -> Result<plan::Environment, Error> {
        let mut environment = plan::Environment::default();
        for (name, path) in &self.watchlists {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Usage(format!("--watchlist {name}: {}: {e}", path.display())))?;
            environment
                .watchlists
                .push((name.clone(), plan::query::run::watchlist_header(&text)));
        }
        Ok(environment)
    }

    fn url_path(&self, url: &str) -> Option<PathBuf> {
        if let Some((_, path)) = self.urls.iter().find(|(u, _)| u == url) {
            return Some(path.clone());
        }
        let dir = self.dir.as_ref()?;
        let without_query = url.split(['?', '#']).next().unwrap_or(url);
        let name = without_query.trim_end_matches('/').rsplit('/').next()?;
        let path = dir.join(name);
        path.is_file().then_some(path)
    }
}

fn run_scan(source: RuleSource, paths: Vec<PathBuf>, args: RunArgs) -> Result<Outcome, Error> {
    let started = Instant::now();
    let color = color_choice(args.color);
    let stderr_style = color.for_stream(&io::stderr());
    let now = now_ticks(args.now.as_deref())?;
    let table = match &args.table {
        None => None,
        Some(name) => Some(schema::table(name).ok_or_else(|| {
            let known: Vec<&str> = schema::tables().iter().map(|t| t.name.as_str()).collect();
            Error::Usage(format!("--table: unknown table `{name}` (known: {})", known.join(", ")))
        })?),
    };
    let threads = match args.threads {
        Some(0) => return Err(Error::Usage("--threads must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.chunk_size == 0 {
        return Err(Error::Usage("--chunk-size must be at least 1".into()));
    }
    let format = match args.format {
        FormatArg::Table => Format::Table,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
    };
    let externals = ExternalFiles {
        urls: pairs("--external", &args.external)?,
        dir: args.external_dir.clone(),
        watchlists: pairs("--watchlist", &args.watchlist)?,
    };
    let environment = externals.environment()?;
    let max_memory = match args.max_memory {
        Some(bytes) => usize::try_from(bytes).unwrap_or(usize::MAX),
        None => default_max_memory(),
    };
    // `--threads` bounds rule loading too, not only the scan.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
    let mut lookups = HashMap::new();
    let plan = match source {
        RuleSource::Paths { rules, feeds } => {
            let (feed_rules, feed_lookups) = load_feeds(&feeds, stderr_style)?;
            lookups = feed_lookups;
            pool.install(|| load_plan_with(&rules, feed_rules, now, &environment, drop, stderr_style))?
                .1
        }
        RuleSource::One(rule) => {
            let compiled = plan::compile_rule_in(&rule, now, &environment);
            let plan = Plan::from_compiled(vec![compiled]).map_err(Error::Compile)?;
            let mut stderr = io::stderr().lock();
            for warning in &plan.warnings {
                writeln!(stderr, "loghunt: {} {warning}", stderr_style.warning("warning:"))?;
            }
            plan
        }
    };

    // After the rules (a bad rule leaves an earlier output alone), before the logs (a path that
    // cannot be written fails at once, not after the scan).
    let destination = Destination::open(args.output.as_deref())?;

    let (files, discovery_errors, skipped) = input::discover(&paths);
    let options = ScanOptions {
        threads,
        chunk_size: args.chunk_size,
        table,
        prefilter: !args.no_prefilter,
        csv: CsvOptions {
            utc_offset_minutes: args.tz.as_deref().map(parse_utc_offset).transpose()?,
            day_first: match (args.day_first, args.month_first) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        },
        now,
        max_memory,
    };
    let (hits, stats) = pool.install(|| scan::scan(&plan, &files, &options));
    if let Some(report) = &stats.memory_exceeded {
        return Err(Error::Run(report.clone()));
    }
    // Rows of records keep where the records are; a pipeline's `summarize` groups have no place.
    let collected = hits
        .into_iter()
        .zip(&plan.pipelines)
        .map(|(rows, pipeline)| {
            let summarized = pipeline.summarize.is_some();
            rows.into_iter()
                .map(|hit| plan::query::Row {
                    values: hit.row,
                    origin: (!summarized).then_some(hit.position),
                })
                .collect()
        })
        .collect();
    let results = plan
        .finish(collected, &mut |_, external| externals.load(external), now, max_memory)
        .map_err(|(rule, e)| Error::Run(format!("rule {rule}: {e}")))?;

    // The indicator each row of a feed rule matched, for the `ioc` of its JSON line / CSV row.
    let annotate = |rule: &plan::RuleResult, row: &plan::query::Row| {
        let lookup = lookups.get(&rule.id)?;
        let value_of = |name: &str| {
            let at = rule.columns.iter().position(|c| c.name == name)?;
            let value = row.values.get(at)?;
            (!value.is_null()).then(|| value.to_text().into_owned())
        };
        lookup.find(&value_of).map(ioc_json)
    };
    let printed = Results {
        rules: &results,
        files: &files,
        annotate: (!lookups.is_empty()).then_some(&annotate as &output::Annotate),
    };
    let stdout_style = destination.style(color);
    destination.write(|out| output::write_results(out, format, &printed, stdout_style))?;

    let mut stderr = io::stderr().lock();
    for error in &discovery_errors {
        let label = stderr_style.error("error:");
        writeln!(stderr, "loghunt: {label} {}: {}", error.path.display(), error.message)?;
    }
    if !args.quiet {
        output::write_summary(&mut stderr, &stats, &results, skipped, started.elapsed(), stderr_style)?;
    }
    let incomplete = !discovery_errors.is_empty()
        || stats.files_not_fully_read().next().is_some()
        || (args.strict && stats.malformed > 0);
    Ok(if incomplete {
        Outcome::Incomplete
    } else if results.iter().any(|r| !r.rows.is_empty()) {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// Where result rows go: stdout, or the file of `--output`.
enum Destination {
    Stdout,
    File { path: PathBuf, file: File },
}

impl Destination {
    fn open(output: Option<&Path>) -> Result<Destination, Error> {
        match output {
            None => Ok(Destination::Stdout),
            Some(path) if path == Path::new("-") => Ok(Destination::Stdout),
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| Error::Usage(format!("--output {}: cannot create: {e}", path.display())))?;
                Ok(Destination::File {
                    path: path.to_path_buf(),
                    file,
                })
            }
        }
    }

    /// The style of the result rows: colour only on a terminal (or with `--color always`).
    fn style(&self, color: ColorChoice) -> Style {
        match self {
            Destination::Stdout => color.for_stream(&io::stdout()),
            Destination::File { file, .. } => color.for_stream(file),
        }
    }

    /// Runs `print` over a buffered writer to the destination and flushes it. A failed write to
    /// the file names it; one to stdout keeps its kind, so that a closed pipe stays quiet.
    fn write(self, print: impl FnOnce(&mut io::BufWriter<Box<dyn Write>>) -> io::Result<()>) -> Result<(), Error> {
        let (target, path): (Box<dyn Write>, _) = match self {
            Destination::Stdout => (Box::new(io::stdout().lock()), None),
            Destination::File { path, file } => (Box::new(file), Some(path)),
        };
        let mut out = io::BufWriter::new(target);
        let written = print(&mut out).and_then(|()| out.flush());
        written.map_err(|e| match path {
            Some(path) => Error::Output(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            None => Error::Output(e),
        })
    }
}

/// A quarter of the machine's memory (from /proc/meminfo), or 4 GiB where it cannot be read.
fn default_max_memory() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
    });
    total_kib.map_or(4 << 30, |kib| kib * 1024 / 4)
}

/// `loghunt rules --check PATH...`: each query compiled on its own; accepted or the first
/// reason it is refused.
fn check_command(args: RulesArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let loaded = rules::load_with_errors(&args.rules);
    let mut stdout = io::stdout().lock();
    let (mut accepted, mut total) = (0usize, 0usize);
    for (path, result) in loaded {
        total += 1;
        let verdict = match result {
            Err(e) => Err(e.to_string()),
            Ok(rule) => plan::compile_rule(&rule, now).map(|_| ()).map_err(|e| e.to_string()),
        };
        match verdict {
            Ok(()) => {
                accepted += 1;
                writeln!(stdout, "accepted  {}", path.display())?;
            }
            Err(reason) => writeln!(stdout, "refused   {}: {reason}", path.display())?,
        }
    }
    let share = if total == 0 {
        0.0
    } else {
        100.0 * accepted as f64 / total as f64
    };
    writeln!(stdout, "accepted {accepted} of {total} queries ({share:.1}%)")?;
    Ok(if accepted == total {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

/// `loghunt rules PATH...`: each rule as loaded and compiled; with `--lint`, warnings make the
/// exit code 1.
fn rules_command(args: RulesArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let stderr_style = color_choice(args.color).for_stream(&io::stderr());
    let environment = plan::Environment::default();
    let (rules, plan, warnings) = load_plan(&args.rules, now, &environment, |rule| rule, stderr_style)?;
    let mut stdout = io::stdout().lock();
    for (rule, compiled) in rules.iter().zip(&plan.rules) {
        writeln!(stdout, "{}", rule.id)?;
        writeln!(stdout, "  source: {}", rule.source.display())?;
        if let Some(title) = &rule.title {
            writeln!(stdout, "  title: {title}")?;
        }
        if let Some(family) = &rule.family {
            writeln!(stdout, "  family: {family}")?;
        }
        writeln!(stdout, "  table: {}", compiled.table)?;
        writeln!(stdout, "  indicators: {}", rule.indicators.len())?;
        let columns: Vec<&str> = match &compiled.output {
            plan::Output::Pipeline => plan.pipelines[compiled.first]
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
            plan::Output::Program(program) => program
                .results
                .first()
                .map(|(_, columns)| columns.iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default(),
        };
        writeln!(stdout, "  columns: {}", columns.join(", "))?;
        writeln!(stdout, "  false-positive scenarios: {}", rule.scenarios.len())?;
        for scenario in &rule.scenarios {
            writeln!(stdout, "    - {}", scenario.name)?;
            if let Some(filter) = &scenario.filter {
                writeln!(stdout, "      exclusion: {filter}")?;
            }
        }
    }
    stdout.flush()?;
    if args.lint && warnings > 0 {
        let noun = if warnings == 1 { "warning" } else { "warnings" };
        writeln!(io::stderr(), "loghunt: --lint: {warnings} {noun}")?;
        return Ok(Outcome::Found);
    }
    Ok(Outcome::Clean)
}

fn gen_command(args: GenArgs) -> Result<Outcome, Error> {
    let started = Instant::now();
    let failed = Error::Usage;
    match args.what {
        GenCommand::Rules(args) => {
            let options = RulesOptions {
                out: args.out,
                hashes: args.hashes,
                domains: args.domains,
                seed: args.seed,
            };
            let written = generate::generate_rules(&options).map_err(failed)?;
            eprintln!(
                "loghunt: wrote {} rule document(s) ({} hashes, {} domains) to {} in {:.2} s",
                written.len(),
                options.hashes,
                options.domains,
                options.out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        GenCommand::Logs(args) => {
            let options = LogsOptions {
                table: LogTable::from_name(&args.table).map_err(failed)?,
                size: args.size,
                out: args.out,
                shape: match args.shape {
                    ShapeArg::Jsonl => Shape::Jsonl,
                    ShapeArg::Array => Shape::Array,
                },
                files: args.files,
                rules: args.rules,
                hits: args.hits,
                seed: args.seed,
            };
            let report = generate::generate_logs(&options).map_err(failed)?;
            let (seconds, planted) = (report.write_seconds, report.hits.values().sum::<u64>());
            eprintln!(
                "loghunt: wrote {} records, {} bytes to {} in {seconds:.2} s ({:.0} MB/s, {:.2} s in all); \
                 {planted} expected results in {}",
                report.records,
                report.bytes,
                options.out.display(),
                report.bytes as f64 / 1e6 / seconds.max(1e-9),
                started.elapsed().as_secs_f64(),
                report.expected.display()
            );
        }
    }
    Ok(Outcome::Clean)
}
