//! `loghunt scan` and `loghunt query`: rules, feeds or one query → plan → scan of the logs →
//! results on stdout or `--output`, and the summary on stderr.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::external::{pairs, ExternalFiles};
use super::{color_choice, load_plan_with, now_ticks, Error, Outcome};
use crate::cli::{FormatArg, QueryArgs, RunArgs, ScanArgs};
use crate::input::csv::CsvOptions;
use crate::output::{self, ColorChoice, Format, Results, Style};
use crate::plan::{self, Plan};
use crate::rules::feeds::rules::{feed_rules, ioc_json, FeedRule, IocLookup};
use crate::rules::{self, feeds, Rule};
use crate::scan::{self, ScanOptions};
use crate::{input, schema};

pub(super) fn scan_command(args: ScanArgs) -> Result<Outcome, Error> {
    let ScanArgs {
        rules,
        iocs,
        paths,
        run,
    } = args;
    run_scan(RuleSource::Paths { rules, feeds: iocs }, paths, run)
}

/// `loghunt query 'KQL' LOGS...` or `loghunt query -f FILE LOGS...`: one query, no document.
pub(super) fn query_command(args: QueryArgs) -> Result<Outcome, Error> {
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
        .map_err(|e| Error::System(format!("cannot start {threads} threads: {e}")))?;
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

    let input::Discovered {
        files,
        errors: discovery_errors,
        skipped,
    } = input::discover(&paths);
    let options = ScanOptions {
        threads,
        chunk_size: args.chunk_size,
        table,
        prefilter: !args.no_prefilter,
        csv: CsvOptions {
            utc_offset_minutes: args.tz,
            date_order: args.date_order(),
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
        writeln!(stderr, "loghunt: {} {error}", stderr_style.error("error:"))?;
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
