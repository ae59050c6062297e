//! The report's timeline: one lane per device, a mark where a rule hit it, as inline SVG. Hits
//! are counted per device, time bucket and rule, so 100,000 hits draw at most
//! lanes × buckets × rules marks; each mark's tooltip gives its device, rule, count and first
//! and last hit. Every hit is either drawn or counted in a note saying why not.
//!
//! A row's device is the first of [`DEVICE_COLUMNS`] its result has; its time the first of
//! [`TIME_COLUMNS`], else the first datetime column. Devices are told apart case-insensitively
//! (`DC01` is `dc01`); the [`MAX_LANES`] with most hits get a lane, the others share one.

use std::collections::HashMap;
use std::io::{self, Write};

use super::{plural, rule_colour, thousands, Esc};
use crate::plan::RuleResult;
use crate::schema::ColumnType;
use crate::time::{format_datetime, parse_datetime, TICKS_PER_SECOND};
use crate::value::Value;

/// Columns that name the device of a row, in the order they are looked for: Defender's
/// `DeviceName`, Log Analytics' `Computer`, then `HostName`, then Defender's `DeviceId`.
pub const DEVICE_COLUMNS: &[&str] = &["DeviceName", "Computer", "HostName", "DeviceId"];
/// Columns that give the time of a row: Defender's `Timestamp`, then Log Analytics'
/// `TimeGenerated`; without either, the first column of type datetime.
pub const TIME_COLUMNS: &[&str] = &["Timestamp", "TimeGenerated"];
/// Lanes drawn; devices past these share the last lane.
pub const MAX_LANES: usize = 60;
/// Time buckets across the plot.
pub const BUCKETS: i64 = 170;

const WIDTH: f64 = 1100.0;
const LABELS: f64 = 230.0;
const PLOT: f64 = WIDTH - LABELS - 20.0;
const LANE: f64 = 22.0;
const MARK: f64 = 16.0;
const AXIS: f64 = 28.0;

/// What one mark counts: the hits of one rule on one lane in one bucket.
#[derive(Debug, Clone, Copy)]
struct Cell {
    count: u64,
    first: i64,
    last: i64,
}

struct Device {
    label: String,
    /// Whether the label is a device's name, which its rule's table can be filtered by.
    named: bool,
    hits: u64,
    first: i64,
    /// (rule index, ticks) of each hit.
    hits_at: Vec<(usize, i64)>,
}

/// Why some of a rule's hits are not on the timeline.
enum Undrawn {
    NoTimeColumn(usize),
    NoTime(usize, u64),
}

pub(super) fn write_timeline(out: &mut impl Write, rules: &[RuleResult]) -> io::Result<()> {
    out.write_all(b"<section id=\"timeline\">\n<h2>Timeline of hits per device</h2>\n")?;
    let mut devices: Vec<Device> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut undrawn = Vec::new();
    let mut device_columns = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if rule.rows.is_empty() {
            continue;
        }
        let column = |name: &str| rule.columns.iter().position(|c| c.name == name);
        let time = TIME_COLUMNS
            .iter()
            .find_map(|name| column(name))
            .or_else(|| rule.columns.iter().position(|c| c.ty == Some(ColumnType::DateTime)));
        let Some(time) = time else {
            undrawn.push(Undrawn::NoTimeColumn(index));
            continue;
        };
        let device = DEVICE_COLUMNS.iter().find_map(|name| column(name));
        device_columns.push((index, device.map(|at| rule.columns[at].name.as_str())));
        let mut untimed = 0;
        for row in &rule.rows {
            let Some(ticks) = ticks_of(&row.values[time]) else {
                untimed += 1;
                continue;
            };
            let name = device.map(|at| row.values[at].to_text()).unwrap_or_default();
            let named = !name.is_empty();
            let label = if named {
                name.into_owned()
            } else {
                "(no device)".to_string()
            };
            // Rows with no device share the lane keyed "", which no named device has.
            let key = if named { label.to_lowercase() } else { String::new() };
            let slot = *by_key.entry(key).or_insert_with(|| {
                devices.push(Device {
                    label,
                    named,
                    hits: 0,
                    first: ticks,
                    hits_at: Vec::new(),
                });
                devices.len() - 1
            });
            let device = &mut devices[slot];
            device.hits += 1;
            device.first = device.first.min(ticks);
            device.hits_at.push((index, ticks));
        }
        if untimed > 0 {
            undrawn.push(Undrawn::NoTime(index, untimed));
        }
    }

    let drawn: u64 = devices.iter().map(|d| d.hits).sum();
    if drawn == 0 {
        out.write_all(b"<p class=\"empty\">No hit with a time to draw.</p>\n")?;
    } else {
        write_svg(out, rules, devices, drawn)?;
    }
    if !device_columns.is_empty() {
        let named: Vec<String> = device_columns
            .iter()
            .map(|(index, column)| {
                format!(
                    "{} by <code>{}</code>",
                    Esc(&rules[*index].id),
                    Esc(column.unwrap_or("(no device column)"))
                )
            })
            .collect();
        writeln!(out, "<p class=\"note\">Lanes: {}.</p>", named.join(", "))?;
    }
    for reason in undrawn {
        let text = match reason {
            Undrawn::NoTimeColumn(index) => format!(
                "Not drawn: the {} {} of rule {} — its result has no Timestamp, TimeGenerated or datetime column.",
                thousands(rules[index].rows.len() as u64),
                plural(rules[index].rows.len() as u64, "hit", "hits"),
                rules[index].id
            ),
            Undrawn::NoTime(index, count) => format!(
                "Not drawn: {} {} of rule {} with no time.",
                thousands(count),
                plural(count, "hit", "hits"),
                rules[index].id
            ),
        };
        writeln!(out, "<p class=\"note undrawn\">{}</p>", Esc(&text))?;
    }
    out.write_all(b"</section>\n")
}

/// A row's time: a datetime, or a text that reads as one.
fn ticks_of(value: &Value) -> Option<i64> {
    match value {
        Value::DateTime(ticks) => Some(*ticks),
        Value::String(text) => parse_datetime(text),
        _ => None,
    }
}

fn write_svg(out: &mut impl Write, rules: &[RuleResult], mut devices: Vec<Device>, drawn: u64) -> io::Result<()> {
    // The busiest devices get lanes; the rest share one, so the picture stays readable.
    devices.sort_by(|a, b| {
        b.hits
            .cmp(&a.hits)
            .then(a.first.cmp(&b.first))
            .then(a.label.cmp(&b.label))
    });
    if devices.len() > MAX_LANES {
        let rest = devices.split_off(MAX_LANES - 1);
        let count = rest.len();
        let mut other = Device {
            label: format!("{count} other devices"),
            named: false,
            hits: 0,
            first: i64::MAX,
            hits_at: Vec::new(),
        };
        for device in rest {
            other.hits += device.hits;
            other.first = other.first.min(device.first);
            other.hits_at.extend(device.hits_at);
        }
        devices.sort_by(|a, b| a.first.cmp(&b.first).then(a.label.cmp(&b.label)));
        devices.push(other);
    } else {
        devices.sort_by(|a, b| a.first.cmp(&b.first).then(a.label.cmp(&b.label)));
    }

    let all = devices.iter().flat_map(|d| d.hits_at.iter().map(|(_, t)| *t));
    let (mut start, mut end) = all.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if start == end {
        start -= 1800 * TICKS_PER_SECOND;
        end += 1800 * TICKS_PER_SECOND;
    }
    let span = i128::from(end) - i128::from(start);
    let bucket_of = |t: i64| ((i128::from(t - start) * i128::from(BUCKETS) / span) as i64).min(BUCKETS - 1);

    let height = AXIS + devices.len() as f64 * LANE + AXIS;
    let lanes: Vec<Vec<((i64, usize), Cell)>> = devices
        .iter()
        .map(|device| {
            let mut cells: HashMap<(i64, usize), Cell> = HashMap::new();
            for &(rule, t) in &device.hits_at {
                let cell = cells.entry((bucket_of(t), rule)).or_insert(Cell {
                    count: 0,
                    first: t,
                    last: t,
                });
                cell.count += 1;
                cell.first = cell.first.min(t);
                cell.last = cell.last.max(t);
            }
            let mut cells: Vec<_> = cells.into_iter().collect();
            cells.sort_by_key(|((bucket, rule), _)| (*bucket, *rule));
            cells
        })
        .collect();
    // A mark's opacity grows with the log of its count, so a burst stands out from one hit.
    let busiest = lanes.iter().flatten().map(|(_, cell)| cell.count).max().unwrap_or(1);
    let opacity = |count: u64| {
        if busiest <= 1 {
            1.0
        } else {
            0.35 + 0.65 * (count as f64).ln() / (busiest as f64).ln()
        }
    };
    let mut marks = 0usize;
    let mut body = Vec::new();
    for (lane, (device, cells)) in devices.iter().zip(&lanes).enumerate() {
        let top = AXIS + lane as f64 * LANE;
        if lane % 2 == 1 {
            writeln!(
                body,
                "<rect class=\"stripe\" x=\"0\" y=\"{top}\" width=\"{WIDTH}\" height=\"{LANE}\"/>"
            )?;
        }
        let short: String = if device.label.chars().count() > 32 {
            device.label.chars().take(31).chain(['…']).collect()
        } else {
            device.label.clone()
        };
        writeln!(
            body,
            "<text class=\"lane\" x=\"{}\" y=\"{}\" data-hits=\"{}\">{}<title>{} — {} {}</title></text>",
            LABELS - 8.0,
            top + LANE / 2.0 + 4.0,
            device.hits,
            Esc(&short),
            Esc(&device.label),
            thousands(device.hits),
            plural(device.hits, "hit", "hits")
        )?;
        // The rules that hit a lane in one bucket share its height.
        let mut at = 0;
        while at < cells.len() {
            let bucket = cells[at].0 .0;
            let together = cells[at..].iter().take_while(|c| c.0 .0 == bucket).count();
            let width = PLOT / BUCKETS as f64;
            let x = LABELS + bucket as f64 * width;
            let band = MARK / together as f64;
            for (k, ((_, rule), cell)) in cells[at..at + together].iter().enumerate() {
                let when = if cell.first == cell.last {
                    format_datetime(cell.first)
                } else {
                    format!("{} – {}", format_datetime(cell.first), format_datetime(cell.last))
                };
                let title = rules[*rule]
                    .title
                    .as_deref()
                    .map(|t| format!(" — {t}"))
                    .unwrap_or_default();
                writeln!(
                    body,
                    "<rect class=\"mark\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{band:.2}\" fill=\"{}\" \
                     fill-opacity=\"{:.2}\" data-rule-index=\"{rule}\" data-device=\"{}\" data-count=\"{}\"><title>{}\n{}{}\n{} {}: {}</title></rect>",
                    top + (LANE - MARK) / 2.0 + k as f64 * band,
                    (width - 1.0).max(2.0),
                    rule_colour(*rule),
                    opacity(cell.count),
                    Esc(if device.named { &device.label } else { "" }),
                    cell.count,
                    Esc(&device.label),
                    Esc(&rules[*rule].id),
                    Esc(&title),
                    thousands(cell.count),
                    plural(cell.count, "hit", "hits"),
                    when
                )?;
                marks += 1;
            }
            at += together;
        }
    }

    writeln!(
        out,
        "<div class=\"timeline-wrap\"><svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"Hits per device over time\" \
         data-lanes=\"{}\" data-marks=\"{marks}\" data-hits=\"{drawn}\" data-start=\"{}\" data-end=\"{}\">",
        devices.len(),
        format_datetime(start),
        format_datetime(end)
    )?;
    // The time axis, above and below the lanes.
    let bottom = height - AXIS;
    for tick in 0..=5 {
        let x = LABELS + PLOT * f64::from(tick) / 5.0;
        let t = start + ((i128::from(tick) * span) / 5) as i64;
        let text = format_datetime(t).replace('T', " ");
        let shown = if span < 2 * 3600 * i128::from(TICKS_PER_SECOND) {
            &text[..19]
        } else {
            &text[..16]
        };
        let anchor = match tick {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        writeln!(
            out,
            "<line class=\"grid\" x1=\"{x:.2}\" y1=\"{}\" x2=\"{x:.2}\" y2=\"{bottom}\"/>\
             <text class=\"axis\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"{anchor}\">{shown}</text>\
             <text class=\"axis\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"{anchor}\">{shown}</text>",
            AXIS - 6.0,
            AXIS - 10.0,
            bottom + 18.0
        )?;
    }
    out.write_all(&body)?;
    out.write_all(b"</svg></div>\n<ul class=\"legend\">\n")?;
    for (index, rule) in rules.iter().enumerate() {
        if rule.rows.is_empty() {
            continue;
        }
        let title = rule.title.as_deref().map(|t| format!(" — {t}")).unwrap_or_default();
        writeln!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span><a href=\"#rule-{index}\">{}</a>{}</li>",
            rule_colour(index),
            Esc(&rule.id),
            Esc(&title)
        )?;
    }
    writeln!(
        out,
        "</ul>\n<p class=\"note\">{} {} on {} {}; each mark is one rule's hits on one device within {}. \
         Hover a mark for its count and times; click it to filter its rule's table to the device.</p>",
        thousands(drawn),
        plural(drawn, "hit", "hits"),
        devices.len(),
        plural(devices.len() as u64, "lane", "lanes"),
        bucket_width(span / i128::from(BUCKETS))
    )
}

/// A bucket's width in words: `1 h 30 min`, `12 s`, `250 ms`.
fn bucket_width(ticks: i128) -> String {
    let ms = ticks / 10_000;
    let (days, hours, minutes, seconds) = (ms / 86_400_000, ms / 3_600_000 % 24, ms / 60_000 % 60, ms / 1000 % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        format!("{} ms", ms.max(1))
    } else {
        parts.into_iter().take(2).collect::<Vec<_>>().join(" ")
    }
}
