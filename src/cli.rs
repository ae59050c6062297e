//! Command-line flags as typed (clap derive): the "low" arguments. Validation into a working
//! configuration happens in [`crate::app`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::time::locale::DateOrder;

#[derive(Debug, Parser)]
#[command(
    name = "loghunt",
    version,
    about = "Replay Sentinel / Defender XDR IOC hunting queries offline, exactly, over exported logs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan log files with hunting rules and print the rows Sentinel would return.
    Scan(ScanArgs),
    /// Run one KQL query over log files, without a rule document.
    Query(QueryArgs),
    /// Load and compile rules without scanning: print each rule, its IOCs and any warnings.
    Rules(RulesArgs),
    /// Print the compiled plan of rules or feeds without scanning: tables and columns read, IOC
    /// set sizes, the prefilter, which operators run on the scan workers and which after, memory.
    Explain(ExplainArgs),
    /// Generate benchmark data: rule documents, or log exports with planted results.
    Gen(GenArgs),
    /// Write rule documents from IOC feeds, one per malware family, in the seed format: both
    /// Sentinel and `loghunt scan --rules` run them, with the same hits as `scan --iocs`.
    Feed(FeedArgs),
    /// Print the completion script of a shell on stdout, e.g.
    /// `loghunt completions bash > ~/.local/share/bash-completion/completions/loghunt`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout: `loghunt man | man -l -`; `loghunt man scan` for a
    /// subcommand's page.
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print, e.g. `scan` or `gen rules` (default: the main page).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// A rule document (.txt/.md), .kql file or Sentinel analytics rule (.yaml), or a directory
    /// of them (walked). Repeatable.
    #[arg(long = "rules", short = 'r', required_unless_present = "iocs", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// A threat-intel feed (ThreatFox CSV/JSON, MalwareBazaar CSV, URLhaus CSV, MISP event,
    /// STIX 2.1 bundle, or one IOC a line) whose IOCs to hunt, with no rule document: each kind
    /// of IOC becomes a rule over the tables it shows up in. Repeatable.
    #[arg(long = "iocs", value_name = "FEED")]
    pub iocs: Vec<PathBuf>,

    /// Log files or directories (walked recursively in sorted order; files with a log
    /// extension are read).
    #[arg(required_unless_present = "threat_intel", value_name = "LOGS", help = logs_help())]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// The help of the LOGS argument, with the extensions a directory walk reads.
fn logs_help() -> String {
    format!(
        "Log files or directories (walked recursively in sorted order; {} files are read)",
        crate::input::listed_extensions()
    )
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The query file (instead of the query text as the first argument).
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The KQL text (unless --file is given), then log files or directories.
    #[arg(required = true, value_name = "KQL|LOGS")]
    pub args: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// What every scan takes, whether its queries come from rules or the command line.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Read every record as a row of this table, whatever its `Type`, path or columns say.
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,

    /// How to print result rows.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Colour the table and the messages on stderr: `auto` on a terminal when `NO_COLOR` is not
    /// set, `always`, or `never`. JSON lines and CSV are never coloured.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Write the result rows to this file (created, or emptied) instead of stdout; the summary
    /// stays on stderr. `-` is stdout.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Also write an HTML report to this file: the scan's accounting, the rules and their
    /// warnings, each rule's hits as a sortable, filterable table beside its false-positive
    /// scenarios, and a timeline of hits per device. One self-contained file: it loads nothing.
    #[arg(long, value_name = "PATH.html")]
    pub report: Option<PathBuf>,

    /// Worker threads (default: every core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// The instant `now()` and `ago()` count from, e.g. 2026-06-21T00:00:00Z (default: the
    /// clock). Exports are old: set it to when the export was taken.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,

    /// Bytes of log a worker takes at a time; big files are cut into newline-aligned chunks of
    /// this size. Memory for log data is about 8 × threads × chunk size (the chunks read and
    /// not yet merged, whether being scanned or waiting their turn).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub chunk_size: usize,

    /// Do not print the summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Draw a progress bar on stderr while scanning (bytes, files, records, hits so far, MB/s,
    /// ETA): `auto` when stderr is a terminal and --quiet is not given, `always`, or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,

    /// The UTC offset of local times in CSV exports (`[Local Time]` columns, Defender portal
    /// dates), e.g. `+02:00`, `-0500`, `UTC`. Without it they are read as UTC, with a warning.
    #[arg(long, value_name = "OFFSET", value_parser = crate::time::locale::parse_utc_offset)]
    pub tz: Option<i32>,

    /// CSV dates like `1/2/2025` are day first (2 January is `2/1/2025`).
    #[arg(long, conflicts_with = "month_first")]
    pub day_first: bool,

    /// CSV dates like `1/2/2025` are month first (2 January is `1/2/2025`).
    #[arg(long)]
    pub month_first: bool,

    /// Treat malformed records as an error: exit 2 if any was found (they are still counted,
    /// listed, and the rest still scanned).
    #[arg(long)]
    pub strict: bool,

    /// Parse and evaluate every record, without the raw-byte prefilter (the reference path;
    /// results are identical, only slower).
    #[arg(long)]
    pub no_prefilter: bool,

    /// A threat-intel feed (any format `--iocs` reads) read as the Sentinel tables
    /// ThreatIntelligenceIndicator and ThreatIntelIndicators, beside the logs, for queries that
    /// join them (Microsoft's "TI map ..." rules). Repeatable.
    #[arg(long = "threat-intel", value_name = "FEED")]
    pub threat_intel: Vec<PathBuf>,

    /// The local file for an `externaldata` URL: `URL=PATH`. Repeatable.
    #[arg(long, value_name = "URL=PATH")]
    pub external: Vec<String>,

    /// A directory of local files for `externaldata`: a URL's file is the one named by the
    /// URL's last path segment.
    #[arg(long, value_name = "DIR")]
    pub external_dir: Option<PathBuf>,

    /// The CSV file of a Sentinel watchlist read by `_GetWatchlist('name')`: `name=PATH`.
    /// Repeatable.
    #[arg(long, value_name = "NAME=PATH")]
    pub watchlist: Vec<String>,

    /// After the results, tally every IOC of every rule document and feed: its hits, first and
    /// last hit time, distinct devices, and hits suppressed by exclusions; IOCs that never hit
    /// are listed too. A table on stderr; with `--format jsonl`, `{"stats":{...}}` lines after
    /// the result rows instead.
    #[arg(long)]
    pub stats: bool,

    /// A file of exclusions, one `SCOPE: PREDICATE` a line (SCOPE a rule id, `table NAME` or
    /// `*`; PREDICATE KQL over the rule's result columns): result rows it matches are
    /// suppressed, counted per exclusion in the summary, and do not make the exit code 1.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub exclude: Vec<PathBuf>,

    /// With `--format jsonl`: print the suppressed rows too, after the results, each with an
    /// `excluded` key naming the exclusion (`file:line: scope: predicate`).
    #[arg(long, requires = "exclude")]
    pub show_excluded: bool,

    /// The memory a query may hold in rows, groups and join sides, e.g. 4G, 500M (default: a
    /// quarter of the machine's memory). Past it the query stops with an error naming the
    /// operator.
    #[arg(long, value_name = "BYTES", value_parser = crate::generate::parse_size)]
    pub max_memory: Option<u64>,
}

impl RunArgs {
    /// The day/month order `--day-first` or `--month-first` states (clap refuses both); `None`
    /// leaves it to each file.
    pub fn date_order(&self) -> Option<DateOrder> {
        match (self.day_first, self.month_first) {
            (true, _) => Some(DateOrder::DayFirst),
            (_, true) => Some(DateOrder::MonthFirst),
            _ => None,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// A rule document, .kql file or Sentinel analytics rule (.yaml), or a directory of them.
    /// Repeatable.
    #[arg(required = true, value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// The instant `now()` and `ago()` count from (default: the clock).
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,

    /// Check each query on its own: list which are accepted and, for each refused one, the
    /// first reason; the last line gives the share accepted. Exit 1 if any is refused.
    #[arg(long)]
    pub check: bool,

    /// Treat warnings (an IOC table that disagrees with the query, a malformed hash, a wrong
    /// `Total IOCs:` count...) as failures: exit 1 if there is any, for CI over a rules repository.
    #[arg(long, conflicts_with = "check")]
    pub lint: bool,

    /// Colour the warnings on stderr: `auto` on a terminal when `NO_COLOR` is not set, `always`,
    /// or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, clap::Args)]
pub struct FeedArgs {
    /// IOC feeds, in any format `scan --iocs` reads. Repeatable; a family's IOCs from several
    /// feeds share one document.
    #[arg(required = true, value_name = "FEED")]
    pub feeds: Vec<PathBuf>,

    /// Directory to write the documents into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Overwrite documents that exist already (without it, nothing is written if one does).
    #[arg(long)]
    pub force: bool,

    /// Colour the messages on stderr: `auto` on a terminal when `NO_COLOR` is not set,
    /// `always`, or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A rule document or .kql file, or a directory of them. Repeatable.
    #[arg(required_unless_present = "iocs", value_name = "RULE")]
    pub rules: Vec<PathBuf>,

    /// A threat-intel feed whose IOCs to explain as `scan --iocs` would hunt them. Repeatable.
    #[arg(long = "iocs", value_name = "FEED")]
    pub iocs: Vec<PathBuf>,

    /// The instant `now()` and `ago()` count from (default: the clock).
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,

    /// `text` for people, or `json`: one object with the same figures.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,

    /// Also print each rule's KQL query as it will run: a feed's generated queries, a
    /// document's query as written (text: before the plan; json: a `queries` list).
    #[arg(long)]
    pub queries: bool,

    /// Colour the warnings on stderr: `auto`, `always` or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl Command {
    /// The `--color` of the subcommands that have one, `auto` for the others.
    pub fn color(&self) -> ColorArg {
        match self {
            Command::Scan(args) => args.run.color,
            Command::Query(args) => args.run.color,
            Command::Rules(args) => args.color,
            Command::Explain(args) => args.color,
            Command::Feed(args) => args.color,
            Command::Gen(_) | Command::Completions(_) | Command::Man(_) => ColorArg::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Jsonl,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    #[command(subcommand)]
    pub what: GenCommand,
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Write rule documents (hash documents over DeviceFileEvents, domain documents over
    /// DnsEvents) in the seeds' format, at most 5,000 IOCs each.
    Rules(GenRulesArgs),
    /// Write a log export with planted results and near misses, and PATH.expected.json with the
    /// number of results each rule must return.
    Logs(GenLogsArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenRulesArgs {
    /// Directory to write the documents into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Hash IOCs (a mix of sha256, sha1 and md5) in total.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub hashes: usize,

    /// Domain IOCs in total.
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub domains: usize,

    /// Seed of the random generator: the same seed writes the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct GenLogsArgs {
    /// The table of the rows: DeviceFileEvents, DnsEvents, DeviceProcessEvents or
    /// DeviceNetworkEvents (the last two share devices and process ids, for joins; no --rules).
    #[arg(long, value_name = "TABLE")]
    pub table: String,

    /// About how many bytes to write in total, e.g. 1G, 200M, 65536.
    #[arg(long, value_name = "BYTES", value_parser = crate::generate::parse_size)]
    pub size: u64,

    /// The file to write, or the directory with --files.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// JSON lines (CRLF for DeviceFileEvents, like Defender exports), one JSON array of rows, or
    /// an Advanced Hunting API response.
    #[arg(long, value_enum, default_value_t = ShapeArg::Jsonl)]
    pub shape: ShapeArg,

    /// Split the output into K files in directory PATH.
    #[arg(long, value_name = "K")]
    pub files: Option<usize>,

    /// Rules whose IOCs to plant (files or directories). Repeatable.
    #[arg(long = "rules", short = 'r', value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Rows to plant that some rule returns, spread evenly; as many near misses come along.
    #[arg(long, value_name = "H", default_value_t = 0)]
    pub hits: u64,

    /// Seed of the random generator: the same seed writes the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeArg {
    Jsonl,
    Array,
    /// An Advanced Hunting API response (`{"Schema":[...],"Results":[...]}`).
    Response,
}
