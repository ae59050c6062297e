//! Per-IOC tallies (`--stats`): for every IOC of every rule document and feed, its hits, its
//! first and last hit time, its distinct devices, and the hits an exclusion suppressed; IOCs
//! that never hit are listed too. [`compute`] makes the plain [`IocTally`] list the summary,
//! the JSON lines and the HTML report print.
//!
//! # Attribution: which IOCs a hit matched
//!
//! A result row often lacks the column its IOC was found in: a seed rule projects `SHA256` while
//! matching on `SHA256`, `SHA1` or `MD5`, so a file found by its MD5 shows no MD5. Attribution is
//! therefore made on the **whole record** each result row came from, never on the projected row
//! alone ([`attribute`] says what "matched" means: the rule with that IOC as its only IOC would
//! return the record). The record is had in one of three ways, in this order:
//!
//! 1. **The row is the record's whole row**: the rule's query keeps every column (no `project`,
//!    no `summarize`; every feed rule), so the row's values are the record's.
//! 2. **The record is read again**: the row keeps where its record is (`Row::origin`: file, byte
//!    offset), so after the scan a second, positioned pass ([`reread`]) reads only the files with
//!    such hits, with the scan's own readers, up to their last wanted record — the same record
//!    for every input shape, compressed or not.
//! 3. **The row's own values, by column name**: a row with no single record (`summarize`
//!    groups, rows of a `join`...), or whose record cannot be read again (standard input), is
//!    matched on its own columns when it has every column the IOC tests read.
//!
//! Otherwise the row is counted as **not attributed**, with the reason, per rule: every result
//! row is accounted for (`rows = attributed + not attributed`), nothing is silently dropped.
//!
//! # What is counted
//!
//! - `hits`: result rows (after exclusions) that credit the IOC; a row may credit several IOCs
//!   (a domain and its parent domain under `has_any`, an address and its `ip:port`).
//! - `suppressed`: rows an exclusion removed that would have credited it.
//! - `first`, `last`: the earliest and latest time of its hits: the record's `Timestamp`, else
//!   its `TimeGenerated`.
//! - `devices`: the distinct devices of its hits: the first non-empty of `DeviceName`,
//!   `Computer`, `DeviceId`, `HostName`, `SourceHostName`.

pub mod attribute;
pub mod reread;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};

use rayon::prelude::*;
use serde_json::{json, Map, Value as Json};

use self::attribute::{Attributor, Values};
use super::Style;
use crate::input::record::RecordRow;
use crate::input::{LogFile, ReadOptions};
use crate::plan::exclude::{result_shapes, Suppressed};
use crate::plan::query::{Col, Row as ResultRow};
use crate::plan::{Output, Plan, Row, RuleResult, Stage};
use crate::rules::feeds::rules::{ioc_json, IocLookup};
use crate::rules::{Indicator, IndicatorKind};
use crate::schema::Table;
use crate::time::format_datetime;
use crate::value::Value;

/// The time columns of a hit, in order of preference.
pub const TIME_COLUMNS: &[&str] = &["Timestamp", "TimeGenerated"];

/// The device columns of a hit, in order of preference.
pub const DEVICE_COLUMNS: &[&str] = &["DeviceName", "Computer", "DeviceId", "HostName", "SourceHostName"];

/// One IOC of one rule, and what the scan found of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IocTally {
    /// The rule id (a feed's rules are `FEED.file-hashes`, ...).
    pub rule: String,
    /// `sha256`, `sha1`, `md5`, `domain`, `url`, `ip`, `ip:port`, or a document's own type name.
    pub kind: String,
    /// As the rule or feed gives it (`address:port` for `ip:port`).
    pub value: String,
    pub family: Option<String>,
    /// The feed it comes from, for a feed's IOC (or a document `loghunt feed` wrote).
    pub feed: Option<String>,
    /// The feed's own id of the IOC.
    pub id: Option<String>,
    pub hits: u64,
    /// Hits an exclusion suppressed.
    pub suppressed: u64,
    /// Earliest and latest hit time (100 ns ticks), when the hits have one.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Distinct devices of the hits, sorted.
    pub devices: Vec<String>,
}

/// How one rule's result rows were attributed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleAccount {
    pub rule: String,
    /// Result rows, suppressed ones included.
    pub rows: u64,
    /// Rows that credited at least one IOC.
    pub attributed: u64,
    /// Rows that credited none, by reason (in order of first appearance).
    pub not_attributed: Vec<(String, u64)>,
}

impl RuleAccount {
    pub fn not_attributed_total(&self) -> u64 {
        self.not_attributed.iter().map(|(_, n)| n).sum()
    }
}

/// The tallies of a scan: every IOC of every rule that has IOCs, rule by rule in result order,
/// each rule's IOCs in the order its document or feed lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    pub iocs: Vec<IocTally>,
    pub rules: Vec<RuleAccount>,
}

/// The IOCs of one rule of the plan.
#[derive(Debug, Clone, Copy)]
pub enum RuleIocs<'a> {
    /// A rule document's IOC table, and its malware family.
    Document {
        family: Option<&'a str>,
        indicators: &'a [Indicator],
    },
    /// A feed rule's indicators and how to find them (a lookup whose
    /// [`IocLookup::indicators`] are known: not a document's).
    Feed(&'a IocLookup),
}

/// What [`compute`] reads.
pub struct TallyInput<'a> {
    pub plan: &'a Plan,
    /// Per rule of the plan, in the same order: its IOCs, if it has any.
    pub iocs: &'a [Option<RuleIocs<'a>>],
    /// The results, in the order [`Plan::finish`] gave them, after exclusions.
    pub results: &'a [RuleResult],
    /// The rows exclusions removed from `results`.
    pub suppressed: &'a [Suppressed],
    /// The scanned files, which row origins refer to, and how they were read.
    pub files: &'a [LogFile],
    pub read: ReadOptions,
    /// `--table`.
    pub table: Option<&'static Table>,
}

/// What one row tells of the IOCs: those it credits, its time and device.
#[derive(Debug, Clone, Default)]
struct Evidence {
    credited: Vec<usize>,
    time: Option<i64>,
    device: Option<String>,
}

/// What one rule makes of a record read again: its evidence, or why there is none.
type RuleEvidence = (usize, Result<Evidence, String>);

/// A row to attribute: its result, the row, and whether an exclusion suppressed it.
struct Pending<'a> {
    result: usize,
    row: &'a ResultRow,
    suppressed: bool,
}

/// Attributes every result row and tallies every IOC.
pub fn compute(input: &TallyInput<'_>) -> Tallies {
    let plan = input.plan;
    let shapes = result_shapes(plan);
    // Per rule with IOCs: where its tallies start in the list. (Its attributor is built below,
    // if it has rows to attribute.)
    let mut tallies = Tallies::default();
    let mut starts: HashMap<usize, usize> = HashMap::new();
    for (index, (rule, iocs)) in plan.rules.iter().zip(input.iocs).enumerate() {
        let Some(iocs) = iocs else { continue };
        starts.insert(index, tallies.iocs.len());
        match iocs {
            RuleIocs::Document { family, indicators } => {
                tallies.iocs.extend(indicators.iter().map(|indicator| IocTally {
                    rule: rule.id.clone(),
                    kind: kind_name(&indicator.kind),
                    value: indicator.value.clone(),
                    family: family.map(str::to_string),
                    // A document `loghunt feed` wrote names each IOC's feed and id.
                    feed: indicator.feed.as_deref().map(str::to_string),
                    id: indicator.id.as_deref().map(str::to_string),
                    ..IocTally::empty()
                }));
            }
            RuleIocs::Feed(lookup) => {
                tallies
                    .iocs
                    .extend(lookup.indicators().unwrap_or_default().iter().map(|indicator| {
                        let json = ioc_json(indicator);
                        let text = |key: &str| json.get(key).and_then(Json::as_str).map(str::to_string);
                        IocTally {
                            rule: rule.id.clone(),
                            kind: text("kind").unwrap_or_default(),
                            value: text("value").unwrap_or_default(),
                            family: text("family"),
                            feed: text("feed"),
                            id: text("id"),
                            ..IocTally::empty()
                        }
                    }));
            }
        }
    }

    let rule_of = |result: usize| shapes.get(result).map(|s| s.rule);
    let has_iocs = |rule: usize| starts.contains_key(&rule);
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for (result, rows) in input.results.iter().enumerate() {
        if rule_of(result).is_some_and(has_iocs) {
            pending.extend(rows.rows.iter().map(|row| Pending {
                result,
                row,
                suppressed: false,
            }));
        }
    }
    for suppressed in input.suppressed {
        if rule_of(suppressed.result).is_some_and(has_iocs) {
            pending.push(Pending {
                result: suppressed.result,
                row: &suppressed.row,
                suppressed: true,
            });
        }
    }

    // An attributor per rule with rows to attribute, and only those: with a million IOCs,
    // the lookups of every rule's IOC tests (most of which never hit) took seconds and
    // gigabytes before the first row. Built in parallel, a rule a job: a rule's automaton of
    // 5,000 domains takes milliseconds, and a feed's rules with hits came one after another.
    let mut with_rows: Vec<usize> = pending
        .iter()
        .map(|item| rule_of(item.result).expect("only rows of rules with IOCs are pending"))
        .collect();
    with_rows.sort_unstable();
    with_rows.dedup();
    let attributors: HashMap<usize, Attributor<'_>> = (with_rows.par_iter().with_max_len(1))
        .map(|&rule| {
            let spec = &plan.rules[rule];
            let attributor = match input.iocs[rule].expect("only rows of rules with IOCs are pending") {
                RuleIocs::Document { indicators, .. } => {
                    let pipelines = &plan.pipelines[spec.first..spec.first + spec.count];
                    Attributor::spelled(&spellings(indicators), pipelines)
                }
                RuleIocs::Feed(lookup) => Attributor::Feed(lookup),
            };
            (rule, attributor)
        })
        .collect();

    // Each row's evidence: from the row itself, or its record read again.
    let mut evidence: Vec<Option<Result<Evidence, String>>> = pending.iter().map(|_| None).collect();
    let mut wanted = Vec::new();
    for (at, item) in pending.iter().enumerate() {
        let rule = rule_of(item.result).expect("only rows of rules with IOCs are pending");
        let attributor = &attributors[&rule];
        if !attributor.can_attribute() {
            evidence[at] = Some(Err(
                "the query tests none of its IOC values in a `where` before its first non-streaming operator".into(),
            ));
        } else if let Some(table) = whole_row_table(plan, rule, &input.results[item.result].columns) {
            evidence[at] = Some(Ok(evidence_of(attributor, &Values(&item.row.values), table)));
        } else if let Some(origin) = item.row.origin {
            wanted.push(origin);
        } else {
            evidence[at] = Some(by_name(
                plan,
                rule,
                attributor,
                &input.results[item.result].columns,
                item.row,
            ));
        }
    }
    if !wanted.is_empty() {
        // The rules that want each record: the same record may be a hit of several.
        let mut rules_at: HashMap<(usize, u64), Vec<usize>> = HashMap::new();
        for item in &pending {
            if let Some(origin) = item.row.origin {
                let rule = rule_of(item.result).expect("pending rows have a rule");
                let entry = rules_at.entry((origin.file, origin.offset)).or_default();
                if !entry.contains(&rule) {
                    entry.push(rule);
                }
            }
        }
        let found = reread::reread(input.files, &wanted, &input.read, input.table, |place, record| {
            let rules = rules_at.get(&place).map(Vec::as_slice).unwrap_or_default();
            rules
                .iter()
                .map(|&rule| {
                    let outcome = match &record {
                        Ok((fields, table)) => {
                            let row = RecordRow { fields, table };
                            Ok(evidence_of(&attributors[&rule], &row, table))
                        }
                        Err(message) => Err(message.clone()),
                    };
                    (rule, outcome)
                })
                .collect::<Vec<_>>()
        });
        let found: HashMap<(usize, u64), Vec<RuleEvidence>> = found.into_iter().collect();
        for (at, item) in pending.iter().enumerate() {
            if evidence[at].is_some() {
                continue;
            }
            let Some(origin) = item.row.origin else { continue };
            let rule = rule_of(item.result).expect("pending rows have a rule");
            let outcome = found
                .get(&(origin.file, origin.offset))
                .and_then(|list| list.iter().find(|(r, _)| *r == rule))
                .map(|(_, outcome)| outcome.clone())
                .unwrap_or_else(|| Err("no record at this place on the second pass".into()));
            // A record that cannot be had again: the row's own values may still do.
            evidence[at] = Some(outcome.or_else(|reason| {
                let path = input.files[origin.file].path.display();
                let fallback = by_name(
                    plan,
                    rule,
                    &attributors[&rule],
                    &input.results[item.result].columns,
                    item.row,
                );
                fallback.map_err(|_| format!("its record could not be read again ({path}: {reason})"))
            }));
        }
    }

    // Tally.
    let mut devices: Vec<BTreeSet<String>> = tallies.iocs.iter().map(|_| BTreeSet::new()).collect();
    let mut accounts: Vec<(usize, RuleAccount)> = Vec::new();
    for (item, outcome) in pending.iter().zip(evidence) {
        let rule = rule_of(item.result).expect("pending rows have a rule");
        let account = match accounts.iter().position(|(r, _)| *r == rule) {
            Some(at) => &mut accounts[at].1,
            None => {
                accounts.push((
                    rule,
                    RuleAccount {
                        rule: plan.rules[rule].id.clone(),
                        ..RuleAccount::default()
                    },
                ));
                &mut accounts.last_mut().expect("just pushed").1
            }
        };
        account.rows += 1;
        let outcome = outcome.unwrap_or_else(|| Err("not attributed".into()));
        let evidence = match outcome {
            Ok(evidence) if !evidence.credited.is_empty() => evidence,
            Ok(_) => {
                count_reason(
                    account,
                    "it matched none of the IOCs on its own (the query matched on something else)",
                );
                continue;
            }
            Err(reason) => {
                count_reason(account, &reason);
                continue;
            }
        };
        account.attributed += 1;
        let start = starts[&rule];
        for ioc in evidence.credited {
            let tally = &mut tallies.iocs[start + ioc];
            if item.suppressed {
                tally.suppressed += 1;
                continue;
            }
            tally.hits += 1;
            if let Some(time) = evidence.time {
                tally.first = Some(tally.first.map_or(time, |t| t.min(time)));
                tally.last = Some(tally.last.map_or(time, |t| t.max(time)));
            }
            if let Some(device) = &evidence.device {
                devices[start + ioc].insert(device.clone());
            }
        }
    }
    for (tally, devices) in tallies.iocs.iter_mut().zip(devices) {
        tally.devices = devices.into_iter().collect();
    }
    // Every rule with IOCs has an account, in rule order, rows or not.
    let mut ordered: Vec<usize> = starts.keys().copied().collect();
    ordered.sort_unstable();
    tallies.rules = ordered
        .into_iter()
        .map(|rule| match accounts.iter().position(|(r, _)| *r == rule) {
            Some(at) => accounts[at].1.clone(),
            None => RuleAccount {
                rule: plan.rules[rule].id.clone(),
                ..RuleAccount::default()
            },
        })
        .collect();
    tallies
}

impl IocTally {
    fn empty() -> IocTally {
        IocTally {
            rule: String::new(),
            kind: String::new(),
            value: String::new(),
            family: None,
            feed: None,
            id: None,
            hits: 0,
            suppressed: 0,
            first: None,
            last: None,
            devices: Vec::new(),
        }
    }

    /// The `stats` object of a JSON line.
    pub fn to_json(&self) -> Json {
        let time = |t: Option<i64>| t.map_or(Json::Null, |t| Json::String(format_datetime(t)));
        json!({
            "rule": self.rule,
            "kind": self.kind,
            "value": self.value,
            "family": self.family,
            "feed": self.feed,
            "id": self.id,
            "hits": self.hits,
            "suppressed": self.suppressed,
            "first": time(self.first),
            "last": time(self.last),
            "devices": self.devices,
        })
    }
}

fn count_reason(account: &mut RuleAccount, reason: &str) {
    match account.not_attributed.iter_mut().find(|(r, _)| r == reason) {
        Some((_, n)) => *n += 1,
        None => account.not_attributed.push((reason.to_string(), 1)),
    }
}

/// The texts each IOC of a document is looked for as in its query: its value; for a URL also
/// without its scheme (as the queries of feeds search `RemoteUrl`); for an `ip:port` also its
/// address, unless the address is another IOC of the document (or the address of one), since a
/// test of the address alone could then not tell them apart.
fn spellings(indicators: &[Indicator]) -> Vec<Vec<String>> {
    let address = |indicator: &Indicator| -> Option<String> {
        if indicator.kind != IndicatorKind::IpPort {
            return None;
        }
        let (address, port) = indicator.value.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        Some(address.trim_start_matches('[').trim_end_matches(']').to_string())
    };
    let addresses: Vec<Option<String>> = indicators.iter().map(address).collect();
    indicators
        .iter()
        .enumerate()
        .map(|(at, indicator)| {
            let mut texts = vec![indicator.value.clone()];
            if indicator.kind == IndicatorKind::Url {
                if let Some((_, rest)) = indicator.value.split_once("://") {
                    texts.push(rest.to_string());
                }
            }
            if let Some(address) = &addresses[at] {
                let shared = indicators.iter().enumerate().any(|(other, i)| {
                    other != at && (i.value == *address || addresses[other].as_ref() == Some(address))
                });
                if !shared {
                    texts.push(address.clone());
                }
            }
            texts
        })
        .collect()
}

fn kind_name(kind: &IndicatorKind) -> String {
    match kind {
        IndicatorKind::Sha256 => "sha256".into(),
        IndicatorKind::Sha1 => "sha1".into(),
        IndicatorKind::Md5 => "md5".into(),
        IndicatorKind::Domain => "domain".into(),
        IndicatorKind::Ip => "ip".into(),
        IndicatorKind::IpPort => "ip:port".into(),
        IndicatorKind::Url => "url".into(),
        IndicatorKind::Other(name) => name.clone(),
    }
}

/// The table whose whole rows the rule's result rows are, if they are: a seed-shaped query with
/// no `project` (every feed rule).
fn whole_row_table(plan: &Plan, rule: usize, columns: &[Col]) -> Option<&'static Table> {
    let planned = &plan.rules[rule];
    let Output::Pipeline = planned.output else { return None };
    let pipeline = &plan.pipelines[planned.first];
    let projects = pipeline
        .streaming
        .iter()
        .chain(&pipeline.tail)
        .any(|s| matches!(s, Stage::Project(_)));
    let same = columns.len() == pipeline.table.columns.len()
        && columns
            .iter()
            .zip(&pipeline.table.columns)
            .all(|(a, b)| a.name == b.name);
    (!projects && same).then_some(pipeline.table)
}

/// The evidence of a record (or whole row) of `table`.
fn evidence_of(attributor: &Attributor<'_>, record: &dyn Row, table: &'static Table) -> Evidence {
    let credited = if attributor.reads(table) {
        attributor.credited(record, table)
    } else {
        Vec::new()
    };
    let time = TIME_COLUMNS.iter().find_map(|name| {
        let column = table.column_index(name)?;
        match record.value(column).as_ref() {
            Value::DateTime(ticks) => Some(*ticks),
            _ => None,
        }
    });
    let device = DEVICE_COLUMNS.iter().find_map(|name| {
        let column = table.column_index(name)?;
        let text = record.text(column);
        (!text.is_empty()).then(|| text.into_owned())
    });
    Evidence { credited, time, device }
}

/// The evidence of a row read by column name, against each pipeline of the rule whose IOC tests
/// read only columns the row has.
fn by_name(
    plan: &Plan,
    rule: usize,
    attributor: &Attributor<'_>,
    columns: &[Col],
    row: &ResultRow,
) -> Result<Evidence, String> {
    let planned = &plan.rules[rule];
    let mut evidence = Evidence::default();
    let mut usable = false;
    for pipeline in &plan.pipelines[planned.first..planned.first + planned.count] {
        let mut read = Vec::new();
        let mut plain_wheres = true;
        for stage in &pipeline.streaming {
            match stage {
                Stage::Where(predicate) => predicate.columns(&mut read),
                Stage::Project(_) => plain_wheres = false,
                Stage::OrderBy(_) | Stage::Take(_) => {}
            }
        }
        let table = pipeline.table;
        let has = |c: &usize| columns.iter().any(|col| col.name == table.columns[*c].name);
        if !plain_wheres || !read.iter().all(has) {
            continue;
        }
        usable = true;
        let named = NamedRow {
            table,
            columns,
            values: &row.values,
        };
        let found = evidence_of(attributor, &named, table);
        evidence.credited.extend(found.credited);
        evidence.time = evidence.time.or(found.time);
        evidence.device = evidence.device.or(found.device);
    }
    if !usable {
        return Err(
            "a row with no single record (summarize, join...) that lacks the columns its IOCs are tested on".into(),
        );
    }
    evidence.credited.sort_unstable();
    evidence.credited.dedup();
    Ok(evidence)
}

/// A result row seen as a row of a table, column by name: a column the row lacks is null.
struct NamedRow<'r> {
    table: &'r Table,
    columns: &'r [Col],
    values: &'r [Value],
}

impl Row for NamedRow<'_> {
    fn value(&self, column: usize) -> Cow<'_, Value> {
        let name = &self.table.columns[column].name;
        match self.columns.iter().position(|c| c.name == *name) {
            Some(at) => Cow::Borrowed(&self.values[at]),
            None => Cow::Owned(Value::Null),
        }
    }
}

/// The tallies as a table on stderr: a heading with the totals, one line per IOC, and per rule
/// the rows that credited no IOC and why.
pub fn write_table(out: &mut impl Write, tallies: &Tallies, style: Style) -> io::Result<()> {
    // A line per IOC: with a feed of a million, unbuffered stderr took a system call per cell.
    let mut out = io::BufWriter::new(out);
    let hit = tallies.iocs.iter().filter(|t| t.hits > 0).count();
    let only_suppressed = tallies.iocs.iter().filter(|t| t.hits == 0 && t.suppressed > 0).count();
    let never = tallies.iocs.len() - hit - only_suppressed;
    let rules = tallies.rules.len();
    let mut heading = format!(
        "IOC tallies: {} IOCs of {rules} rule{}: {hit} hit, {never} never hit",
        tallies.iocs.len(),
        if rules == 1 { "" } else { "s" }
    );
    if only_suppressed > 0 {
        heading.push_str(&format!(", {only_suppressed} hit only in suppressed rows"));
    }
    writeln!(out, "{}", style.heading(&heading))?;
    if tallies.iocs.is_empty() {
        return out.flush();
    }
    let header = [
        "rule",
        "kind",
        "value",
        "hits",
        "suppressed",
        "first",
        "last",
        "devices",
    ]
    .map(Cow::Borrowed);
    let mut widths = header.clone().map(|h| h.chars().count());
    for tally in &tallies.iocs {
        for (width, cell) in widths.iter_mut().zip(table_cells(tally)) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = String::new();
    let mut write_line = |out: &mut io::BufWriter<_>, cells: &[Cow<'_, str>]| -> io::Result<()> {
        line.clear();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < cells.len() {
                line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
            }
        }
        writeln!(out, "  {}", line.trim_end())
    };
    write_line(&mut out, &header)?;
    for tally in &tallies.iocs {
        write_line(&mut out, &table_cells(tally))?;
    }
    for account in &tallies.rules {
        let missing = account.not_attributed_total();
        if missing == 0 {
            continue;
        }
        writeln!(
            out,
            "  {}: {} of {} result rows credited no IOC:",
            account.rule, missing, account.rows
        )?;
        for (reason, count) in &account.not_attributed {
            writeln!(out, "    {count}: {reason}")?;
        }
    }
    out.flush()
}

/// The cells of an IOC's line of [`write_table`], made twice (for the widths, then to print)
/// rather than kept: the line of an IOC that never hit allocates only its two counts.
fn table_cells(t: &IocTally) -> [Cow<'_, str>; 8] {
    let time = |t: Option<i64>| t.map_or(Cow::Borrowed("-"), |t| Cow::Owned(format_datetime(t)));
    let devices = match t.devices.len() {
        0 => Cow::Borrowed("0"),
        n if n <= 3 => Cow::Owned(format!("{n} ({})", t.devices.join(", "))),
        n => Cow::Owned(format!("{n} ({}, ...)", t.devices[..3].join(", "))),
    };
    [
        Cow::Borrowed(t.rule.as_str()),
        Cow::Borrowed(t.kind.as_str()),
        Cow::Borrowed(t.value.as_str()),
        Cow::Owned(t.hits.to_string()),
        Cow::Owned(t.suppressed.to_string()),
        time(t.first),
        time(t.last),
        devices,
    ]
}

/// The tallies as JSON lines: `{"stats":{...}}` per IOC, then `{"stats_rule":{...}}` per rule
/// (its rows, how many were attributed, and why the others were not).
pub fn write_jsonl(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    for tally in &tallies.iocs {
        let mut object = Map::new();
        object.insert("stats".into(), tally.to_json());
        serde_json::to_writer(&mut *out, &Json::Object(object))?;
        out.write_all(b"\n")?;
    }
    for account in &tallies.rules {
        let reasons: Map<String, Json> = account
            .not_attributed
            .iter()
            .map(|(reason, n)| (reason.clone(), Json::from(*n)))
            .collect();
        let line = json!({"stats_rule": {
            "rule": account.rule,
            "rows": account.rows,
            "attributed": account.attributed,
            "not_attributed": account.not_attributed_total(),
            "reasons": reasons,
        }});
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
