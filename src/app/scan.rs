//! `loghunt scan` and `loghunt query`: rules, feeds or one query → plan → scan of the logs →
//! results on stdout or `--output`, and the summary on stderr.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::external::{pairs, ExternalFiles};
use super::{color_choice, load_feed, load_plan_with, now_ticks, Error, Outcome};
use crate::cli::{FormatArg, ProgressArg, QueryArgs, RunArgs, ScanArgs};
use crate::input::csv::CsvOptions;
use crate::input::ReadOptions;
use crate::output::report::{Report, ReportExclusion, ReportFile, RuleInfo};
use crate::output::tally::{self, RuleIocs, TallyInput};
use crate::output::{self, ColorChoice, Format, Results, Style};
use crate::plan::exclude::{self, Exclusions};
use crate::plan::{self, Plan};
use crate::rules::feeds::documents::document_lookup;
use crate::rules::feeds::rules::{feed_rules, ioc_json, FeedRule, IocLookup};
use crate::rules::{self, Indicator, Rule};
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
    if args.is_empty() && run.threat_intel.is_empty() {
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

/// Loads each feed (its warnings on stderr, and into `warnings` for the report) and turns it
/// into rules; the lookups that find a result row's indicator are kept by rule id. A feed that
/// cannot be read, or has no IOC that can be hunted, is an error.
pub(super) fn load_feeds(
    paths: &[PathBuf],
    stderr_style: Style,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Rule>, HashMap<String, IocLookup>), Error> {
    let mut rules = Vec::new();
    let mut lookups = HashMap::new();
    for path in paths {
        let feed = load_feed(path, stderr_style)?;
        warnings.extend(feed.warnings.iter().map(ToString::to_string));
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

/// What the flags of a run say, checked before any rule is loaded or log read.
struct Settings {
    now: i64,
    table: Option<&'static schema::Table>,
    threads: usize,
    format: Format,
    externals: ExternalFiles,
    environment: plan::Environment,
    exclusions: Exclusions,
    max_memory: usize,
}

impl Settings {
    fn from_args(args: &RunArgs) -> Result<Settings, Error> {
        let now = now_ticks(args.now.as_deref())?;
        let table = match &args.table {
            None => None,
            Some(name) => Some(schema::table(name).ok_or_else(|| {
                let known = schema::names();
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
        let exclusions = load_exclusions(&args.exclude)?;
        if args.show_excluded && args.format != FormatArg::Jsonl {
            return Err(Error::Usage("--show-excluded needs --format jsonl".into()));
        }
        let max_memory = match args.max_memory {
            Some(bytes) => usize::try_from(bytes).unwrap_or(usize::MAX),
            None => default_max_memory(),
        };
        Ok(Settings {
            now,
            table,
            threads,
            format,
            externals,
            environment,
            exclusions,
            max_memory,
        })
    }
}

fn run_scan(source: RuleSource, paths: Vec<PathBuf>, args: RunArgs) -> Result<Outcome, Error> {
    let started = Instant::now();
    let color = color_choice(args.color);
    let stderr_style = color.for_stream(&io::stderr());
    let Settings {
        now,
        table,
        threads,
        format,
        externals,
        environment,
        exclusions,
        max_memory,
    } = Settings::from_args(&args)?;
    // `--threads` bounds rule loading too, not only the scan.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::System(format!("cannot start {threads} threads: {e}")))?;
    let mut lookups = HashMap::new();
    // The report shows each rule's title, source and scenarios, and the warnings; without it
    // the rules are dropped once compiled. `--stats` keeps each rule document's IOC table.
    let mut warnings = Vec::new();
    let mut kept_rules = Vec::new();
    let keep_rule = |rule: Rule| {
        let iocs = args
            .stats
            .then(|| (rule.family.clone(), rule.indicators.to_indicators()));
        (args.report.is_some().then(|| RuleInfo::from(rule)), iocs)
    };
    let (kept, plan) = match source {
        RuleSource::Paths { rules, feeds } => {
            let (feed_rules, feed_lookups) = load_feeds(&feeds, stderr_style, &mut warnings)?;
            lookups = feed_lookups;
            // Documents that `loghunt feed` wrote carry their IOCs' metadata: their hits get
            // an `ioc` as the feed's own would.
            let keep = |rule: Rule| {
                let lookup = document_lookup(&rule).map(|lookup| (rule.id.clone(), lookup));
                let (info, iocs) = keep_rule(rule);
                (lookup, info, iocs)
            };
            let (loaded, plan, rule_warnings) =
                pool.install(|| load_plan_with(&rules, feed_rules, now, &environment, keep, stderr_style))?;
            let mut kept = Vec::with_capacity(loaded.len());
            for (lookup, info, iocs) in loaded {
                lookups.extend(lookup);
                kept_rules.extend(info);
                kept.push(iocs);
            }
            warnings.extend(rule_warnings);
            (kept, plan)
        }
        RuleSource::One(rule) => {
            let compiled = plan::compile_rule_in(&rule, now, &environment);
            let plan = Plan::from_compiled(vec![compiled]).map_err(Error::Compile)?;
            let mut stderr = io::stderr().lock();
            for warning in &plan.warnings {
                writeln!(stderr, "loghunt: {} {warning}", stderr_style.warning("warning:"))?;
            }
            warnings.extend(plan.warnings.iter().map(ToString::to_string));
            let (info, iocs) = keep_rule(*rule);
            kept_rules.extend(info);
            (vec![iocs], plan)
        }
    };
    // The documents, tokens and syntax trees of the rules are freed; what stays is the plan.
    super::release_freed_memory();
    // Before the logs: an exclusion that cannot apply fails at once.
    let exclusions = exclusions.bind(&plan, now).map_err(|e| Error::Usage(e.to_string()))?;

    let intel = super::threat_intel::inputs(&args.threat_intel, now, stderr_style)?;

    // After the rules (a bad rule leaves an earlier output alone), before the logs (a path that
    // cannot be written fails at once, not after the scan).
    let destination = Destination::open(args.output.as_deref())?;
    let report_file = args.report.as_deref().map(ReportFile::create).transpose();
    let report_file = report_file.map_err(|e| Error::Usage(e.to_string()))?;

    let input::Discovered {
        mut files,
        errors: discovery_errors,
        skipped,
    } = input::discover(&paths);
    files.extend(intel);
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
        progress: None,
    };
    let (options, bar) = progress_bar(options, &files, &args);
    let (hits, stats) = pool.install(|| scan::scan(&plan, &files, &options));
    if let Some(report) = &stats.memory_exceeded {
        return Err(Error::Run(report.clone()));
    }
    let collected = scan::engine_rows(&plan, hits);
    let mut results = plan
        .finish(collected, &mut |_, external| externals.load(external), now, max_memory)
        .map_err(|(rule, e)| Error::Run(format!("rule {rule}: {e}")))?;
    let excluded = exclude::apply(&exclusions, &mut results);
    let tallies = args.stats.then(|| {
        let read = ReadOptions {
            chunk_size: options.chunk_size,
            csv: options.csv,
        };
        let iocs = rule_iocs(&plan, &kept, &lookups);
        let input = TallyInput {
            plan: &plan,
            iocs: &iocs,
            results: &results,
            suppressed: &excluded.suppressed,
            files: &files,
            read,
            table: options.table,
        };
        pool.install(|| tally::compute(&input))
    });

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
    // Cleared before anything else is printed (the operators after the scan ran under it).
    drop(bar);
    let stdout_style = destination.style(color);
    destination.write(|out| {
        output::write_results(out, format, &printed, stdout_style)?;
        if args.show_excluded {
            output::write_excluded_jsonl(out, &printed, &excluded)?;
        }
        match &tallies {
            Some(tallies) if format == Format::Jsonl => tally::write_jsonl(out, tallies),
            _ => Ok(()),
        }
    })?;

    let mut stderr = io::stderr().lock();
    for error in &discovery_errors {
        writeln!(stderr, "loghunt: {} {error}", stderr_style.error("error:"))?;
    }
    if !args.quiet {
        output::write_summary(&mut stderr, &stats, &results, skipped, started.elapsed(), stderr_style)?;
        if !exclusions.exclusions.is_empty() {
            output::write_exclusions(&mut stderr, &excluded, stderr_style)?;
        }
    }
    if let Some(tallies) = tallies.as_ref().filter(|_| format != Format::Jsonl) {
        tally::write_table(&mut stderr, tallies, stderr_style)?;
    }
    if let Some(file) = report_file {
        let arguments = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned());
        let command: Vec<String> = std::iter::once("loghunt".to_string()).chain(arguments).collect();
        let path = file.path().display().to_string();
        let suppressed: Option<Vec<ReportExclusion>> =
            (!exclusions.exclusions.is_empty()).then(|| report_exclusions(&excluded));
        file.write(&Report {
            results: &printed,
            rules: &kept_rules,
            stats: &stats,
            input_errors: &discovery_errors,
            skipped_files: skipped,
            warnings: &warnings,
            elapsed: started.elapsed(),
            command: &command,
            now,
            generated: now_ticks(None)?,
            iocs: tallies.as_ref().map(|t| t.iocs.as_slice()),
            exclusions: suppressed.as_deref(),
        })?;
        if !args.quiet {
            writeln!(stderr, "loghunt: report written to {path}")?;
        }
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

/// The scan's progress counters and the bar that draws them, when `--progress` (and whether
/// stderr is a terminal, and `--quiet`) call for one.
fn progress_bar(
    options: ScanOptions,
    files: &[input::LogFile],
    args: &RunArgs,
) -> (ScanOptions, Option<output::progress::Bar>) {
    use output::progress::{stderr_is_a_terminal, Bar, ProgressChoice};
    let choice = match args.progress {
        ProgressArg::Auto => ProgressChoice::Auto,
        ProgressArg::Always => ProgressChoice::Always,
        ProgressArg::Never => ProgressChoice::Never,
    };
    if !choice.shown(args.quiet, stderr_is_a_terminal()) {
        return (options, None);
    }
    let progress = std::sync::Arc::new(scan::progress::Progress::new(files));
    let bar = Bar::start(std::sync::Arc::clone(&progress));
    let options = ScanOptions {
        progress: Some(progress),
        ..options
    };
    (options, Some(bar))
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

/// The exclusions of every `--exclude` file, in command-line then file order.
fn load_exclusions(paths: &[PathBuf]) -> Result<Exclusions, Error> {
    let mut exclusions = Exclusions::default();
    for path in paths {
        exclusions.extend(Exclusions::load(path).map_err(|e| Error::Usage(e.to_string()))?);
    }
    Ok(exclusions)
}

/// The IOCs of each rule of the plan, for `--stats`: the IOC table of a rule document kept at
/// loading (`kept`, in plan order), or a feed rule's lookup.
fn rule_iocs<'a>(
    plan: &Plan,
    kept: &'a [Option<(Option<String>, Vec<Indicator>)>],
    lookups: &'a HashMap<String, IocLookup>,
) -> Vec<Option<RuleIocs<'a>>> {
    plan.rules
        .iter()
        .zip(kept)
        .map(|(rule, kept)| match (kept, lookups.get(&rule.id)) {
            // A document (one `loghunt feed` wrote too) is tallied by its IOC table and query.
            (Some((family, indicators)), _) if !indicators.is_empty() => Some(RuleIocs::Document {
                family: family.as_deref(),
                indicators,
            }),
            (_, Some(lookup)) if lookup.indicators().is_some() => Some(RuleIocs::Feed(lookup)),
            _ => None,
        })
        .collect()
}

/// The exclusions as the report shows them, each with the rows it suppressed.
fn report_exclusions(report: &exclude::ExclusionReport) -> Vec<ReportExclusion> {
    report
        .exclusions
        .iter()
        .map(|e| ReportExclusion {
            scope: e.exclusion.scope.to_string(),
            predicate: e.exclusion.predicate.clone(),
            suppressed: e.suppressed,
        })
        .collect()
}
