//! The scan summary on stderr: files, bytes, records per table, malformed records with their
//! first locations, files not fully read, results per rule, elapsed time and throughput. It
//! accounts for every record: read = matched + not matched + malformed.

use std::io::{self, Write};
use std::time::Duration;

use super::Style;
use crate::plan::exclude::ExclusionReport;
use crate::plan::RuleResult;
use crate::scan::{Stats, UNKNOWN_TABLE};

pub fn write_summary(
    out: &mut impl Write,
    stats: &Stats,
    rules: &[RuleResult],
    skipped_files: u64,
    elapsed: Duration,
    style: Style,
) -> io::Result<()> {
    let bytes = stats.bytes();
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        bytes as f64 / 1e6 / seconds
    } else {
        0.0
    };
    let skipped = if skipped_files > 0 {
        format!(
            " ({skipped_files} walked files skipped: not {})",
            crate::input::listed_extensions()
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "loghunt: {} files, {} bytes in {:.3} s ({:.1} MB/s){skipped}",
        stats.files.len(),
        bytes,
        seconds,
        rate
    )?;
    writeln!(
        out,
        "records: {} read = {} matched + {} not matched + {} malformed",
        stats.records,
        stats.matched,
        stats.not_matched(),
        stats.malformed
    )?;
    if stats.duplicates > 0 {
        let among = if stats.duplicates_capped {
            format!(
                " (counted among the first {} records only)",
                crate::scan::DUPLICATES_TRACKED
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  of which {} are exact copies of an earlier record (kept and scanned, as Sentinel would){among}",
            stats.duplicates
        )?;
    }
    for (name, count) in &stats.tables {
        let note = if count.scanned > 0 {
            "scanned"
        } else if name == UNKNOWN_TABLE {
            "skipped: no `Type`, path or column set tells the table; try --table"
        } else {
            "skipped: no rule reads this table"
        };
        writeln!(out, "  {name}: {} records ({note})", count.records)?;
    }
    if stats.malformed > 0 {
        writeln!(
            out,
            "{} {} (first {} shown)",
            style.warning("malformed records:"),
            stats.malformed,
            stats.malformed_shown.len()
        )?;
        for m in &stats.malformed_shown {
            let path = stats.files[m.position.file].path.display();
            if m.column > 0 {
                writeln!(out, "  {path}:{}:{}: {}", m.position.line, m.column, m.message)?;
            } else {
                writeln!(out, "  {path}:{}: {}", m.position.line, m.message)?;
            }
        }
    }
    let guesses: Vec<_> = stats.files.iter().filter(|f| !f.warnings.is_empty()).collect();
    if !guesses.is_empty() {
        writeln!(out, "{}", style.warning("warnings:"))?;
        for file in guesses {
            for warning in &file.warnings {
                writeln!(out, "  {}: {warning}", file.path.display())?;
            }
        }
    }
    let partial: Vec<_> = stats.files_not_fully_read().collect();
    if !partial.is_empty() {
        writeln!(out, "{} {}", style.error("files not fully read:"), partial.len())?;
        for file in partial {
            for problem in &file.problems {
                writeln!(out, "  {}: {problem}", file.path.display())?;
            }
        }
    }
    writeln!(out, "results:")?;
    for rule in rules {
        writeln!(out, "  {}: {}", rule.id, rule.rows.len())?;
        for note in &rule.notes {
            writeln!(out, "    ignored: {note}")?;
        }
    }
    Ok(())
}

/// The exclusions' part of the summary: rows suppressed in all, then each exclusion with the
/// rows it suppressed per rule, "suppressed nothing" for a stale one, and the rules it does not
/// apply to.
pub fn write_exclusions(out: &mut impl Write, report: &ExclusionReport, style: Style) -> io::Result<()> {
    let total: u64 = report.exclusions.iter().map(|e| e.suppressed).sum();
    let count = report.exclusions.len();
    writeln!(
        out,
        "exclusions: {total} result rows suppressed by {count} exclusion{}",
        if count == 1 { "" } else { "s" }
    )?;
    for entry in &report.exclusions {
        let exclusion = &entry.exclusion;
        let head = format!("{}: {}: {}", exclusion.label(), exclusion.scope, exclusion.predicate);
        if entry.suppressed == 0 {
            writeln!(out, "  {head}: {}", style.warning("suppressed nothing"))?;
        } else {
            let by_rule: Vec<String> = entry
                .by_rule
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(rule, n)| format!("{rule}: {n}"))
                .collect();
            writeln!(
                out,
                "  {head}: suppressed {} ({})",
                entry.suppressed,
                by_rule.join(", ")
            )?;
        }
        for note in &entry.notes {
            writeln!(out, "    {note}")?;
        }
    }
    Ok(())
}
