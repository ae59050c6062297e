//! `--report PATH.html`: one self-contained HTML file a person reads — the scan's accounting,
//! the rules and their warnings, each rule's hits as a sortable, filterable table beside its
//! false-positive scenarios, a timeline of hits per device, and (when given) per-IOC tallies and
//! exclusion counts. It loads nothing: CSS, JavaScript and SVG are inline, and its
//! Content-Security-Policy forbids any fetch, so it opens the same on an air-gapped laptop.
//!
//! Text from logs and rules is never trusted: it is HTML-escaped where it is markup, and where it
//! is data (the rows, embedded as JSON in `<script type="application/json">`) every `<`, `>` and
//! `&` is a JSON `\u` escape, so no value can close the script element. Rows reach the page as
//! data and are drawn a page at a time by `report.js`, so 100,000 hits cost one page of `<tr>`.
//! This module only renders; the tallies it shows are computed elsewhere.

mod timeline;

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::tally::IocTally;
use super::{cell, thousands, Results, IOC_COLUMNS};
use crate::input::InputError;
use crate::plan::query::Col;
use crate::plan::RuleResult;
use crate::rules::{Rule, Scenario};
use crate::scan::{Stats, UNKNOWN_TABLE};
use crate::schema::ColumnType;
use crate::time::{format_datetime, TICKS_PER_SECOND};
use crate::value::Value;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// What the report shows of a rule beyond its result: kept from the [`Rule`] when the scan
/// drops the rest (its IOC table, which may hold a million rows, is only counted).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub source: PathBuf,
    pub title: Option<String>,
    pub family: Option<String>,
    /// The start of the query text: a generated rule can embed 200,000 IOCs, and its source
    /// file has the rest.
    pub query: String,
    /// Characters of the query left out of `query`.
    pub query_cut: usize,
    pub indicators: usize,
    pub scenarios: Vec<Scenario>,
}

/// Characters of a rule's query the report shows.
const QUERY_SHOWN: usize = 20_000;

impl From<Rule> for RuleInfo {
    fn from(rule: Rule) -> RuleInfo {
        let mut query = rule.query;
        let mut query_cut = 0;
        if let Some((at, _)) = query.char_indices().nth(QUERY_SHOWN) {
            query_cut = query[at..].chars().count();
            query.truncate(at);
            query.shrink_to_fit();
        }
        RuleInfo {
            indicators: rule.indicators.len(),
            id: rule.id,
            source: rule.source,
            title: rule.title,
            family: rule.family,
            query,
            query_cut,
            scenarios: rule.scenarios,
        }
    }
}

/// One exclusion (`--exclude`) and the hits it suppressed; 0 shows a stale allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportExclusion {
    /// A rule id, a table name, or everything (`*`), as the exclusion file says.
    pub scope: String,
    /// The KQL predicate.
    pub predicate: String,
    pub suppressed: u64,
}

/// Everything the report shows.
pub struct Report<'a> {
    /// The rules' results in output order, the files their rows point into, and the indicator
    /// of each feed-rule row.
    pub results: &'a Results<'a>,
    /// The rules as their sources state them, found by id; a result without one (none kept) is
    /// shown with what its result says.
    pub rules: &'a [RuleInfo],
    pub stats: &'a Stats,
    /// Paths that could not be read at all.
    pub input_errors: &'a [InputError],
    /// Walked files that are not logs by their extension.
    pub skipped_files: u64,
    /// Warnings about the rules and feeds, as printed on stderr.
    pub warnings: &'a [String],
    pub elapsed: Duration,
    /// The command line, for the record.
    pub command: &'a [String],
    /// The instant `now()` and `ago()` counted from, and when the report was written (ticks).
    pub now: i64,
    pub generated: i64,
    /// Per-IOC tallies, when the scan made them (`--stats`).
    pub iocs: Option<&'a [IocTally]>,
    /// Exclusions and what each suppressed, when `--exclude` was given.
    pub exclusions: Option<&'a [ReportExclusion]>,
}

/// The report's file, created before the scan so that a path that cannot be written fails at
/// once rather than after an hour of scanning.
pub struct ReportFile {
    path: PathBuf,
    file: File,
}

impl ReportFile {
    /// Creates (or empties) `path`; the error names it.
    pub fn create(path: &Path) -> io::Result<ReportFile> {
        let file = File::create(path)
            .map_err(|e| io::Error::new(e.kind(), format!("--report {}: cannot create: {e}", path.display())))?;
        Ok(ReportFile {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `report` into the file; the error names it.
    pub fn write(self, report: &Report<'_>) -> io::Result<()> {
        let mut out = io::BufWriter::new(self.file);
        write_report(&mut out, report)
            .and_then(|()| out.flush())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

/// Writes the report as one HTML document.
pub fn write_report(out: &mut impl Write, report: &Report<'_>) -> io::Result<()> {
    let results = report.results.rules;
    let generated = format_datetime(report.generated - report.generated.rem_euclid(TICKS_PER_SECOND));
    let total: usize = results.iter().map(|r| r.rows.len()).sum();
    let script_hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:\">\n\
         <meta name=\"generator\" content=\"loghunt {}\">\n\
         <title>loghunt report: {} {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        thousands(total as u64),
        plural(total as u64, "hit", "hits"),
        generated,
    )?;
    write_header(out, report, &generated, total)?;
    out.write_all(b"<main>\n")?;
    if results.iter().flat_map(|r| &r.rows).any(|row| row.origin.is_some()) {
        write_origins(out, report.results)?;
    }
    write_rules_overview(out, report)?;
    timeline::write_timeline(out, results)?;
    for (index, rule) in results.iter().enumerate() {
        let info = report.rules.iter().find(|info| info.id == rule.id);
        write_rule(out, report.results, index, rule, info)?;
    }
    write_iocs(out, report.iocs)?;
    write_exclusions(out, report.exclusions)?;
    write_accounting(out, report)?;
    writeln!(out, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>")
}

fn write_header(out: &mut impl Write, report: &Report<'_>, generated: &str, total: usize) -> io::Result<()> {
    let stats = report.stats;
    let rules = report.results.rules;
    let with_hits = rules.iter().filter(|r| !r.rows.is_empty()).count();
    let not_read = stats.files_not_fully_read().count() + report.input_errors.len();
    writeln!(
        out,
        "<header class=\"top\">\n<h1>loghunt report</h1>\n<p class=\"meta\">Written {} by loghunt {}; \
         <code>now()</code> was {}. Times are UTC.</p>\n<p class=\"meta\">Command: <code>{}</code></p>",
        generated,
        env!("CARGO_PKG_VERSION"),
        Esc(&format_datetime(report.now)),
        Esc(&shell_words(report.command)),
    )?;
    if not_read > 0 {
        writeln!(
            out,
            "<p class=\"banner bad\">Incomplete: {} {} could not be fully read; see \
             <a href=\"#accounting\">the accounting</a>.</p>",
            not_read,
            plural(not_read as u64, "file", "files")
        )?;
    }
    if stats.malformed > 0 {
        writeln!(
            out,
            "<p class=\"banner warn\">{} malformed {} counted and skipped; see \
             <a href=\"#malformed\">where</a>.</p>",
            thousands(stats.malformed),
            plural(stats.malformed, "record was", "records were")
        )?;
    }
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        format!("{:.1} MB/s", stats.bytes() as f64 / 1e6 / seconds)
    } else {
        String::new()
    };
    let figures = [
        (
            "hits",
            thousands(total as u64),
            format!("from {with_hits} of {} rules", rules.len()),
        ),
        ("files", thousands(stats.files.len() as u64), human_bytes(stats.bytes())),
        (
            "records",
            thousands(stats.records),
            format!("{} matched", thousands(stats.matched)),
        ),
        ("malformed", thousands(stats.malformed), "records".to_string()),
        ("not fully read", thousands(not_read as u64), "files".to_string()),
        ("rule warnings", thousands(report.warnings.len() as u64), String::new()),
        ("elapsed", format!("{seconds:.3} s"), rate),
    ];
    out.write_all(b"<dl class=\"figures\">\n")?;
    for (name, value, note) in figures {
        writeln!(
            out,
            "<div data-figure=\"{}\"><dt>{}</dt><dd>{}<small>{}</small></dd></div>",
            Esc(name),
            Esc(name),
            Esc(&value),
            Esc(&note)
        )?;
    }
    out.write_all(b"</dl>\n<nav><a href=\"#rules\">Rules</a> <a href=\"#timeline\">Timeline</a> ")?;
    for (index, rule) in rules.iter().enumerate() {
        writeln!(
            out,
            "<a href=\"#rule-{index}\"><span class=\"swatch\" style=\"background:{}\"></span>{} ({})</a> ",
            rule_colour(index),
            Esc(&rule.id),
            thousands(rule.rows.len() as u64)
        )?;
    }
    out.write_all(
        b"<a href=\"#iocs\">IOCs</a> <a href=\"#exclusions\">Exclusions</a> <a href=\"#accounting\">Accounting</a></nav>\n\
          <noscript><p class=\"banner warn\">The hit tables need JavaScript; the accounting and the timeline do not.</p></noscript>\n\
          </header>\n",
    )
}

fn write_rules_overview(out: &mut impl Write, report: &Report<'_>) -> io::Result<()> {
    out.write_all(
        b"<section id=\"rules\">\n<h2>Rules</h2>\n<table class=\"plain\">\n<thead><tr><th>Rule</th><th>Title</th>\
          <th>Family</th><th>Table</th><th>Source</th><th class=\"num\">IOCs</th><th class=\"num\">Hits</th></tr></thead>\n<tbody>\n",
    )?;
    for (index, rule) in report.results.rules.iter().enumerate() {
        let info = report.rules.iter().find(|info| info.id == rule.id);
        let title = rule.title.as_deref().or(info.and_then(|i| i.title.as_deref()));
        writeln!(
            out,
            "<tr data-rule=\"{}\"><td><a href=\"#rule-{index}\"><span class=\"swatch\" style=\"background:{}\"></span>{}</a></td>\
             <td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Esc(&rule.id),
            rule_colour(index),
            Esc(&rule.id),
            Esc(title.unwrap_or("")),
            Esc(info.and_then(|i| i.family.as_deref()).unwrap_or("")),
            Esc(&rule.table),
            Esc(&info.map(|i| i.source.display().to_string()).unwrap_or_default()),
            info.map(|i| thousands(i.indicators as u64)).unwrap_or_default(),
            thousands(rule.rows.len() as u64),
        )?;
    }
    out.write_all(b"</tbody>\n</table>\n")?;
    if report.warnings.is_empty() {
        out.write_all(b"<p id=\"warnings\">No warnings about the rules.</p>\n")?;
    } else {
        writeln!(
            out,
            "<h3 id=\"warnings\">{} {}</h3>\n<ul class=\"warnings\">",
            thousands(report.warnings.len() as u64),
            plural(report.warnings.len() as u64, "warning", "warnings")
        )?;
        for warning in report.warnings {
            writeln!(out, "<li>{}</li>", Esc(warning))?;
        }
        out.write_all(b"</ul>\n")?;
    }
    out.write_all(b"</section>\n")
}

/// A rule's section: what it is, its hits as a table (drawn by the script from the JSON after
/// it), and its false-positive scenarios beside them.
fn write_rule(
    out: &mut impl Write,
    results: &Results<'_>,
    index: usize,
    rule: &RuleResult,
    info: Option<&RuleInfo>,
) -> io::Result<()> {
    let title = rule.title.as_deref().or(info.and_then(|i| i.title.as_deref()));
    writeln!(
        out,
        "<section class=\"rule\" id=\"rule-{index}\" data-rule=\"{}\">\n<h2><span class=\"swatch\" style=\"background:{}\"></span>{}</h2>",
        Esc(&rule.id),
        rule_colour(index),
        Esc(title.unwrap_or(&rule.id)),
    )?;
    let mut facts = vec![format!("id <code>{}</code>", Esc(&rule.id))];
    if let Some(info) = info {
        facts.push(format!(
            "source <code>{}</code>",
            Esc(&info.source.display().to_string())
        ));
        if let Some(family) = &info.family {
            facts.push(format!("family {}", Esc(family)));
        }
    }
    facts.push(format!("table {}", Esc(&rule.table)));
    if let Some(info) = info {
        let count = info.indicators as u64;
        facts.push(format!("{} {}", thousands(count), plural(count, "IOC", "IOCs")));
    }
    facts.push(format!(
        "<strong>{} {}</strong>",
        thousands(rule.rows.len() as u64),
        plural(rule.rows.len() as u64, "hit", "hits")
    ));
    writeln!(out, "<p class=\"facts\">{}</p>", facts.join(" · "))?;
    for note in &rule.notes {
        writeln!(out, "<p class=\"note\">Ignored: {}</p>", Esc(note))?;
    }
    out.write_all(b"<div class=\"rule-body\">\n<div class=\"hits\">\n")?;
    if rule.rows.is_empty() {
        out.write_all(b"<p class=\"empty\">No hits.</p>\n")?;
    } else {
        writeln!(
            out,
            "<div class=\"datatable\" data-source=\"hits-{index}\" data-rule=\"{}\" data-rule-index=\"{index}\" \
             data-total=\"{}\"></div>",
            Esc(&rule.id),
            rule.rows.len()
        )?;
        write_hits_json(out, results, index, rule)?;
    }
    out.write_all(b"</div>\n<aside class=\"scenarios\">\n<h3>False-positive scenarios</h3>\n")?;
    match info.map(|i| &i.scenarios[..]) {
        None => out.write_all(b"<p class=\"empty\">Not kept for this rule.</p>\n")?,
        Some([]) => out.write_all(b"<p class=\"empty\">The rule names none.</p>\n")?,
        Some(scenarios) => {
            out.write_all(b"<ol>\n")?;
            for scenario in scenarios {
                write!(out, "<li><strong>{}</strong>", Esc(&scenario.name))?;
                if let Some(description) = &scenario.description {
                    write!(out, "<p>{}</p>", Esc(description))?;
                }
                if let Some(filter) = &scenario.filter {
                    write!(
                        out,
                        "<p class=\"filter\">Filter/exclusion: <code>{}</code></p>",
                        Esc(filter)
                    )?;
                }
                out.write_all(b"</li>\n")?;
            }
            out.write_all(b"</ol>\n")?;
        }
    }
    out.write_all(b"</aside>\n</div>\n")?;
    if let Some(info) = info {
        write!(
            out,
            "<details class=\"query\"><summary>Query</summary><pre>{}",
            Esc(&info.query)
        )?;
        if info.query_cut > 0 {
            write!(
                out,
                "\n… {} more characters in {}",
                thousands(info.query_cut as u64),
                Esc(&info.source.display().to_string())
            )?;
        }
        out.write_all(b"</pre></details>\n")?;
    }
    out.write_all(b"</section>\n")
}

/// A rule's rows as the data of its table: the result's columns, then the IOC a feed-rule row
/// matched (as in CSV), then where the record is (`file:line`, the file by its index in
/// `origins`) when rows have a place.
fn write_hits_json(out: &mut impl Write, results: &Results<'_>, index: usize, rule: &RuleResult) -> io::Result<()> {
    let iocs: Option<Vec<_>> = results
        .annotate
        .map(|annotate| rule.rows.iter().map(|row| annotate(rule, row)).collect())
        .filter(|found: &Vec<_>| found.iter().any(Option::is_some));
    let placed = rule.rows.iter().any(|row| row.origin.is_some());
    let mut columns: Vec<(&str, &str)> = rule
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| (column.name.as_str(), column_type(column, rule, at)))
        .collect();
    if iocs.is_some() {
        columns.extend(IOC_COLUMNS.iter().map(|(name, _)| (*name, "string")));
    }
    if placed {
        columns.push(("file:line", "origin"));
    }
    let rows = rule.rows.iter().enumerate().map(|(at, row)| {
        let mut cells: Vec<Datum> = row
            .values
            .iter()
            .map(|value| Datum::Text((!value.is_null()).then(|| cell(value))))
            .collect();
        if let Some(iocs) = &iocs {
            let ioc = iocs[at].as_ref();
            cells.extend(
                IOC_COLUMNS
                    .iter()
                    .map(|(_, key)| match ioc.and_then(|ioc| ioc.get(*key)) {
                        None | Some(serde_json::Value::Null) => Datum::Text(None),
                        Some(serde_json::Value::String(text)) => Datum::Text(Some(text.clone())),
                        Some(other) => Datum::Text(Some(other.to_string())),
                    }),
            );
        }
        if placed {
            cells.push(row.origin.map_or(Datum::Text(None), |p| Datum::Place(p.file, p.line)));
        }
        cells
    });
    write_table_json(out, &format!("hits-{index}"), &columns, rows)
}

/// `<script type="application/json" id="origins">["path",...]`: the files the `file:line`
/// cells of the hit tables point into, by index.
fn write_origins(out: &mut impl Write, results: &Results<'_>) -> io::Result<()> {
    out.write_all(b"<script type=\"application/json\" id=\"origins\">")?;
    let paths: Vec<String> = results.files.iter().map(|f| f.path.display().to_string()).collect();
    serde_json::to_writer(ScriptSafe(&mut *out), &paths)?;
    out.write_all(b"</script>\n")
}

/// The type the table's script sorts a column by: the result's, else that of its first value.
fn column_type(column: &Col, rule: &RuleResult, at: usize) -> &'static str {
    let ty = column.ty.or_else(|| {
        rule.rows
            .iter()
            .find_map(|row| row.values.get(at).filter(|v| !v.is_null()).and_then(Value::column_type))
    });
    match ty {
        Some(ColumnType::DateTime) => "datetime",
        Some(ColumnType::TimeSpan) => "timespan",
        Some(ColumnType::Long) => "long",
        Some(ColumnType::Real) => "real",
        Some(ColumnType::Bool) => "bool",
        Some(ColumnType::Dynamic) => "dynamic",
        Some(ColumnType::String) | None => "string",
    }
}

fn write_iocs(out: &mut impl Write, iocs: Option<&[IocTally]>) -> io::Result<()> {
    out.write_all(b"<section id=\"iocs\">\n<h2>IOC tallies</h2>\n")?;
    let Some(iocs) = iocs else {
        out.write_all(
            b"<p class=\"empty\">Not counted in this run: run with <code>--stats</code> for each IOC's hits, \
              first and last hit and devices, IOCs never seen included.</p>\n</section>\n",
        )?;
        return Ok(());
    };
    let hit = iocs.iter().filter(|ioc| ioc.hits > 0).count();
    // Seen only in rows an exclusion suppressed: neither a hit nor never seen.
    let only_suppressed = iocs.iter().filter(|ioc| ioc.hits == 0 && ioc.suppressed > 0).count();
    let never = iocs.len() - hit - only_suppressed;
    let suppressed_note = if only_suppressed > 0 {
        format!(", {} seen only in suppressed rows", thousands(only_suppressed as u64))
    } else {
        String::new()
    };
    writeln!(
        out,
        "<p>{} {}: <strong>{} hit</strong>, <strong>{} never seen</strong>{suppressed_note}. Sort by \
         hits to list the ones never seen.</p>",
        thousands(iocs.len() as u64),
        plural(iocs.len() as u64, "IOC", "IOCs"),
        thousands(hit as u64),
        thousands(never as u64)
    )?;
    if !iocs.is_empty() {
        out.write_all(b"<div class=\"datatable\" data-source=\"iocs-data\"></div>\n")?;
        let columns = [
            ("rule", "string"),
            ("family", "string"),
            ("kind", "string"),
            ("value", "string"),
            ("hits", "long"),
            ("suppressed", "long"),
            ("first hit", "datetime"),
            ("last hit", "datetime"),
            ("devices", "long"),
        ];
        let rows = iocs.iter().map(|ioc| {
            [
                Some(ioc.rule.clone()),
                ioc.family.clone(),
                Some(ioc.kind.clone()),
                Some(ioc.value.clone()),
                Some(ioc.hits.to_string()),
                Some(ioc.suppressed.to_string()),
                ioc.first.map(format_datetime),
                ioc.last.map(format_datetime),
                Some(ioc.devices.len().to_string()),
            ]
            .into_iter()
            .map(Datum::from)
            .collect()
        });
        write_table_json(out, "iocs-data", &columns, rows)?;
    }
    out.write_all(b"</section>\n")
}

fn write_exclusions(out: &mut impl Write, exclusions: Option<&[ReportExclusion]>) -> io::Result<()> {
    out.write_all(b"<section id=\"exclusions\">\n<h2>Exclusions</h2>\n")?;
    let Some(exclusions) = exclusions else {
        out.write_all(b"<p class=\"empty\">None: no <code>--exclude</code> file was given.</p>\n</section>\n")?;
        return Ok(());
    };
    let suppressed: u64 = exclusions.iter().map(|e| e.suppressed).sum();
    let stale = exclusions.iter().filter(|e| e.suppressed == 0).count();
    writeln!(
        out,
        "<p>{} {} suppressed {} {}; {} suppressed nothing (stale?).</p>",
        thousands(exclusions.len() as u64),
        plural(exclusions.len() as u64, "exclusion", "exclusions"),
        thousands(suppressed),
        plural(suppressed, "hit", "hits"),
        thousands(stale as u64)
    )?;
    out.write_all(
        b"<table class=\"plain\">\n<thead><tr><th>Scope</th><th>Predicate</th><th class=\"num\">Suppressed</th></tr></thead>\n<tbody>\n",
    )?;
    for exclusion in exclusions {
        let class = if exclusion.suppressed == 0 {
            " class=\"stale\""
        } else {
            ""
        };
        writeln!(
            out,
            "<tr{class}><td><code>{}</code></td><td><code>{}</code></td><td class=\"num\">{}</td></tr>",
            Esc(&exclusion.scope),
            Esc(&exclusion.predicate),
            thousands(exclusion.suppressed)
        )?;
    }
    out.write_all(b"</tbody>\n</table>\n</section>\n")
}

/// What was read and what could not be: the summary's figures, in full.
fn write_accounting(out: &mut impl Write, report: &Report<'_>) -> io::Result<()> {
    let stats = report.stats;
    writeln!(
        out,
        "<section id=\"accounting\">\n<h2>Scan accounting</h2>\n<p>{} {}, {} ({} bytes) in {:.3} s. Records: \
         <strong>{} read = {} matched + {} not matched + {} malformed</strong>.</p>",
        thousands(stats.files.len() as u64),
        plural(stats.files.len() as u64, "file", "files"),
        human_bytes(stats.bytes()),
        thousands(stats.bytes()),
        report.elapsed.as_secs_f64(),
        thousands(stats.records),
        thousands(stats.matched),
        thousands(stats.not_matched()),
        thousands(stats.malformed),
    )?;
    if report.skipped_files > 0 {
        writeln!(
            out,
            "<p>{} walked {} skipped: not .json/.jsonl/.ndjson/.log/.csv/.gz/.zst.</p>",
            thousands(report.skipped_files),
            plural(report.skipped_files, "file", "files")
        )?;
    }
    if stats.duplicates > 0 {
        writeln!(
            out,
            "<p>{} records are exact copies of an earlier record (kept and scanned, as Sentinel would){}.</p>",
            thousands(stats.duplicates),
            if stats.duplicates_capped {
                format!(
                    " — counted among the first {} records only",
                    thousands(crate::scan::DUPLICATES_TRACKED as u64)
                )
            } else {
                String::new()
            }
        )?;
    }
    out.write_all(
        b"<h3>Records per table</h3>\n<table class=\"plain\" id=\"tables\">\n<thead><tr><th>Table</th>\
          <th class=\"num\">Records</th><th>Status</th></tr></thead>\n<tbody>\n",
    )?;
    for (name, count) in &stats.tables {
        let note = if count.scanned > 0 {
            "scanned"
        } else if name == UNKNOWN_TABLE {
            "skipped: no Type, path or column set tells the table; try --table"
        } else {
            "skipped: no rule reads this table"
        };
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            Esc(name),
            thousands(count.records),
            Esc(note)
        )?;
    }
    out.write_all(b"</tbody>\n</table>\n")?;

    writeln!(
        out,
        "<h3 id=\"malformed\">Malformed records: {}</h3>",
        thousands(stats.malformed)
    )?;
    if !stats.malformed_shown.is_empty() {
        if (stats.malformed_shown.len() as u64) < stats.malformed {
            writeln!(
                out,
                "<p>The first {} (the per-file counts below hold them all):</p>",
                stats.malformed_shown.len()
            )?;
        }
        out.write_all(b"<ul class=\"locations\">\n")?;
        for m in &stats.malformed_shown {
            let path = stats.files[m.position.file].path.display();
            let place = if m.column > 0 {
                format!("{path}:{}:{}", m.position.line, m.column)
            } else {
                format!("{path}:{}", m.position.line)
            };
            writeln!(out, "<li><code>{}</code> {}</li>", Esc(&place), Esc(&m.message))?;
        }
        out.write_all(b"</ul>\n")?;
    }

    let partial: Vec<_> = stats.files_not_fully_read().collect();
    let not_read = partial.len() + report.input_errors.len();
    writeln!(out, "<h3 id=\"not-read\">Files not fully read: {not_read}</h3>")?;
    if not_read > 0 {
        out.write_all(b"<ul class=\"locations bad\">\n")?;
        for error in report.input_errors {
            writeln!(
                out,
                "<li><code>{}</code> {}</li>",
                Esc(&error.path.display().to_string()),
                Esc(&error.message)
            )?;
        }
        for file in partial {
            for problem in &file.problems {
                writeln!(
                    out,
                    "<li><code>{}</code> {}</li>",
                    Esc(&file.path.display().to_string()),
                    Esc(problem)
                )?;
            }
        }
        out.write_all(b"</ul>\n")?;
    }
    let guesses: Vec<_> = stats.files.iter().filter(|f| !f.warnings.is_empty()).collect();
    if !guesses.is_empty() {
        out.write_all(b"<h3>Guesses made reading files</h3>\n<ul class=\"locations\">\n")?;
        for file in guesses {
            for warning in &file.warnings {
                writeln!(
                    out,
                    "<li><code>{}</code> {}</li>",
                    Esc(&file.path.display().to_string()),
                    Esc(warning)
                )?;
            }
        }
        out.write_all(b"</ul>\n")?;
    }

    out.write_all(b"<h3>Files</h3>\n")?;
    if stats.files.is_empty() {
        out.write_all(b"<p class=\"empty\">No file was read.</p>\n")?;
    } else {
        out.write_all(b"<div class=\"datatable\" data-source=\"files-data\"></div>\n")?;
        let columns = [
            ("file", "string"),
            ("bytes", "long"),
            ("records", "long"),
            ("malformed", "long"),
            ("problems", "string"),
        ];
        let rows = stats.files.iter().map(|file| {
            [
                Some(file.path.display().to_string()),
                Some(file.bytes.to_string()),
                Some(file.records.to_string()),
                Some(file.malformed.to_string()),
                (!file.problems.is_empty()).then(|| file.problems.join("; ")),
            ]
            .into_iter()
            .map(Datum::from)
            .collect()
        });
        write_table_json(out, "files-data", &columns, rows)?;
    }
    out.write_all(b"</section>\n")
}

/// One cell of a table's data.
enum Datum {
    /// Text, or none (JSON null).
    Text(Option<String>),
    /// Where a record is: `[file, line]`, the file an index into the `origins` list, which is
    /// written once so that a long path is not repeated 100,000 times.
    Place(usize, u64),
}

impl From<Option<String>> for Datum {
    fn from(text: Option<String>) -> Datum {
        Datum::Text(text)
    }
}

/// `<script type="application/json" id=ID>{"columns":[{"name","type"}...],"rows":[[cell...]...]}`:
/// the data of one table, written row by row.
fn write_table_json(
    out: &mut impl Write,
    id: &str,
    columns: &[(&str, &str)],
    rows: impl Iterator<Item = Vec<Datum>>,
) -> io::Result<()> {
    write!(out, "<script type=\"application/json\" id=\"{}\">", Esc(id))?;
    let mut json = ScriptSafe(&mut *out);
    json.write_all(b"{\"columns\":[")?;
    for (at, (name, ty)) in columns.iter().enumerate() {
        if at > 0 {
            json.write_all(b",")?;
        }
        json.write_all(b"{\"name\":")?;
        serde_json::to_writer(&mut json, name)?;
        json.write_all(b",\"type\":")?;
        serde_json::to_writer(&mut json, ty)?;
        json.write_all(b"}")?;
    }
    json.write_all(b"],\"rows\":[")?;
    for (at, row) in rows.enumerate() {
        json.write_all(if at > 0 { b",\n[" } else { b"\n[" })?;
        for (at, cell) in row.iter().enumerate() {
            if at > 0 {
                json.write_all(b",")?;
            }
            match cell {
                Datum::Text(text) => serde_json::to_writer(&mut json, text)?,
                Datum::Place(file, line) => write!(json, "[{file},{line}]")?,
            }
        }
        json.write_all(b"]")?;
    }
    json.write_all(b"]}")?;
    out.write_all(b"</script>\n")
}

/// Writes JSON so that it can sit inside a `<script>` element: `<`, `>` and `&` become JSON
/// `\u` escapes. JSON has them only inside strings, where the escape means the same character,
/// and with no `<` the HTML parser cannot see `</script>` or `<!--` in the data.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (at, byte) in bytes.iter().enumerate() {
            let escaped: &[u8] = match byte {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            self.0.write_all(&bytes[start..at])?;
            self.0.write_all(escaped)?;
            start = at + 1;
        }
        self.0.write_all(&bytes[start..])?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Text as HTML: safe in element content and in quoted attribute values.
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut start = 0;
        for (at, c) in self.0.char_indices() {
            let escaped = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[start..at])?;
            f.write_str(escaped)?;
            start = at + c.len_utf8();
        }
        f.write_str(&self.0[start..])
    }
}

/// A rule's colour, the same in the timeline, the navigation and its section: ten distinct
/// colours (Tableau 10), then hues a golden angle apart.
fn rule_colour(index: usize) -> String {
    const PALETTE: [&str; 10] = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ];
    match PALETTE.get(index) {
        Some(colour) => colour.to_string(),
        None => format!("hsl({:.0},60%,45%)", (index as f64 * 137.508) % 360.0),
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `1.5 GB` (decimal units, as the summary's MB/s).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The command line as a POSIX shell would take it back: words with anything but
/// `[A-Za-z0-9_./:=@%+,-]` single-quoted.
fn shell_words(words: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    let quoted: Vec<Cow<'_, str>> = words
        .iter()
        .map(|word| {
            if !word.is_empty() && word.chars().all(plain) {
                Cow::Borrowed(word.as_str())
            } else {
                Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
            }
        })
        .collect();
    quoted.join(" ")
}

/// Standard base64 with padding, for the script's hash in the Content-Security-Policy.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |w, (i, b)| w | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests;
