//! Running a [`Program`] after the scan: each node evaluated on the rows its pipelines
//! collected (in input order), subqueries first, shared `let`s once. Orders are deterministic:
//! `summarize` groups come out in order of their first row, joins in left-row order, sorts are
//! stable over input order.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;

use super::expr::{plain, push_list_values, truth, Context, SubquerySets, SubqueryValue};
use super::groups::{GroupKey, Groups};
use super::{
    human_bytes, values_bytes, Col, ExternalKind, Join, JoinKind, Node, Op, Program, Row, Rows, SortKey, UnionLeg,
};
use crate::hashing::FxHashMap;
use crate::plan::eval::order_values;
use crate::plan::functions;
use crate::schema::ColumnType;
use crate::value::Value;

/// What a program needs from outside: the run's `now`, the rows each pipeline collected, the
/// data of its `externaldata` / watchlist sources, and the memory it may hold.
pub struct Resources<'a> {
    pub now: i64,
    pub pipelines: &'a mut [Option<Vec<Row>>],
    /// Per external source of the program: its rows, already read.
    pub externals: Vec<Rows>,
    pub max_memory: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

struct Runner<'p, 'r> {
    program: &'p Program,
    resources: Resources<'r>,
    subqueries: Vec<SubqueryValue>,
    shared: HashMap<usize, Arc<Rows>>,
}

impl Program {
    /// Runs the program on what the scan collected; `pipelines` maps the program's pipeline
    /// numbers to the plan's.
    pub fn run(&self, resources: Resources<'_>) -> Result<Vec<Rows>, RunError> {
        let mut runner = Runner {
            program: self,
            resources,
            subqueries: Vec::new(),
            shared: HashMap::new(),
        };
        for subquery in &self.subqueries {
            let rows = runner.node(&subquery.node)?;
            let value = if subquery.scalar {
                let value = rows
                    .rows
                    .first()
                    .and_then(|r| r.values.first().cloned())
                    .unwrap_or(Value::Null);
                let sets = match &value {
                    Value::Dynamic(Json::Array(_)) => {
                        let mut values = Vec::new();
                        push_list_values(&value, &mut values);
                        Some(SubquerySets::new(&values))
                    }
                    _ => None,
                };
                SubqueryValue { value, sets }
            } else {
                let mut values = Vec::new();
                for value in rows.rows.iter().filter_map(|r| r.values.first()) {
                    push_list_values(value, &mut values);
                }
                SubqueryValue {
                    value: Value::Null,
                    sets: Some(SubquerySets::new(&values)),
                }
            };
            runner.subqueries.push(value);
        }
        let mut results = Vec::with_capacity(self.results.len());
        for (root, _) in &self.results {
            let rows = runner.node(root)?;
            results.push(Arc::try_unwrap(rows).unwrap_or_else(|shared| (*shared).clone()));
        }
        Ok(results)
    }
}

/// Approximate bytes a row holds, for the memory limit.
fn row_bytes(row: &Row) -> usize {
    std::mem::size_of::<Row>() + values_bytes(&row.values)
}

impl Runner<'_, '_> {
    fn context(&self) -> Context<'_> {
        Context {
            functions: functions::Context {
                now: self.resources.now,
            },
            subqueries: &self.subqueries,
            window: None,
        }
    }

    fn check_memory(&self, rows: &[Row], operator: &str) -> Result<(), RunError> {
        // Sampled: the estimate only needs to tell gigabytes from megabytes.
        let sample = rows.len().min(1000);
        if sample == 0 {
            return Ok(());
        }
        let step = rows.len() / sample;
        let bytes: usize = (0..sample).map(|i| row_bytes(&rows[i * step])).sum::<usize>() / sample * rows.len();
        if bytes > self.resources.max_memory {
            return Err(RunError {
                message: format!(
                    "`{operator}` would hold about {} of rows, over --max-memory ({})",
                    human_bytes(bytes),
                    human_bytes(self.resources.max_memory)
                ),
            });
        }
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<Arc<Rows>, RunError> {
        Ok(match node {
            Node::Pipeline(index) => {
                let rows = self
                    .resources
                    .pipelines
                    .get_mut(*index)
                    .and_then(Option::take)
                    .unwrap_or_default();
                self.check_memory(&rows, "the rows of a table")?;
                Arc::new(Rows {
                    columns: Vec::new(),
                    rows,
                })
            }
            Node::Rows(rows) => rows.clone(),
            Node::External(index) => Arc::new(self.resources.externals.get(*index).cloned().unwrap_or_default()),
            Node::Shared(index) => {
                if let Some(rows) = self.shared.get(index) {
                    return Ok(rows.clone());
                }
                let program = self.program;
                let rows = self.node(&program.shared[*index])?;
                self.shared.insert(*index, rows.clone());
                rows
            }
            Node::Apply(input, ops) => {
                let input = self.node(input)?;
                let mut rows = Arc::try_unwrap(input).unwrap_or_else(|shared| (*shared).clone());
                for op in ops {
                    rows.rows = self.op(op, rows.rows)?;
                    self.check_memory(&rows.rows, op.name())?;
                }
                Arc::new(rows)
            }
            Node::Union(legs) => {
                let mut out = Vec::new();
                for leg in legs {
                    self.union_leg(leg, &mut out)?;
                }
                Arc::new(Rows {
                    columns: Vec::new(),
                    rows: out,
                })
            }
        })
    }

    fn union_leg(&mut self, leg: &UnionLeg, out: &mut Vec<Row>) -> Result<(), RunError> {
        let rows = self.node(&leg.node)?;
        for row in &rows.rows {
            out.push(remap(row, &leg.mapping, leg.source.as_deref(), &leg.fill));
        }
        Ok(())
    }

    fn op(&mut self, op: &Op, rows: Vec<Row>) -> Result<Vec<Row>, RunError> {
        let context = self.context();
        Ok(match op {
            Op::Where(_) | Op::Project(_) | Op::Extend(_) | Op::MvExpand { .. } | Op::Parse(_) => {
                let windowed = match op {
                    Op::Extend(list) => list.iter().any(|(_, s)| s.uses_window()),
                    Op::Project(list) => list.iter().any(|s| s.uses_window()),
                    Op::Where(s) => s.uses_window(),
                    _ => false,
                };
                if windowed {
                    let values: Vec<Vec<Value>> = rows.iter().map(|r| r.values.clone()).collect();
                    let mut out = Vec::with_capacity(rows.len());
                    for (at, row) in rows.into_iter().enumerate() {
                        let context = Context {
                            window: Some((&values, at)),
                            ..self.context()
                        };
                        apply_row(op, row, &context, &mut out);
                    }
                    out
                } else {
                    let mut out = Vec::with_capacity(rows.len());
                    for row in rows {
                        apply_row(op, row, &context, &mut out);
                    }
                    out
                }
            }
            Op::Summarize(summarize) => {
                let mut groups = Groups::default();
                for (i, row) in rows.iter().enumerate() {
                    groups.add(summarize, &row.values, None, &context);
                    if i % 65_536 == 65_535 && groups.memory() > self.resources.max_memory {
                        return Err(RunError {
                            message: format!(
                                "`summarize` holds {} groups (about {}), over --max-memory ({})",
                                groups.len(),
                                human_bytes(groups.memory()),
                                human_bytes(self.resources.max_memory)
                            ),
                        });
                    }
                }
                groups.finish(summarize)
            }
            Op::Sort(keys) => sort(rows, keys, &context),
            Op::Take(n) => {
                let mut rows = rows;
                rows.truncate(*n);
                rows
            }
            Op::Top(n, keys) => {
                let mut rows = sort(rows, keys, &context);
                rows.truncate(*n);
                rows
            }
            Op::Distinct => {
                let mut seen = std::collections::HashSet::new();
                rows.into_iter()
                    .filter(|row| seen.insert(row.values.iter().map(GroupKey::of).collect::<Vec<_>>()))
                    .map(|row| Row {
                        values: row.values,
                        origin: None,
                    })
                    .collect()
            }
            Op::Count => vec![Row {
                values: vec![Value::Long(rows.len() as i64)],
                origin: None,
            }],
            Op::Join(join) => {
                let right = self.node(&join.right)?;
                self.check_memory(&right.rows, "join")?;
                let limit = self.resources.max_memory;
                run_join(join, rows, &right.rows, limit).map_err(|produced| RunError {
                    message: format!(
                        "`join` would make more than {produced} rows, over --max-memory ({}); narrow its sides or its keys, or raise --max-memory",
                        human_bytes(limit)
                    ),
                })?
            }
            Op::Union {
                legs,
                input_mapping,
                input_source,
                input_fill,
            } => {
                let mut out: Vec<Row> = rows
                    .iter()
                    .map(|row| remap(row, input_mapping, input_source.as_deref(), input_fill))
                    .collect();
                for leg in legs {
                    self.union_leg(leg, &mut out)?;
                }
                out
            }
        })
    }
}

/// A row of a union leg in the output's columns; `source` fills the `withsource` column.
fn remap(row: &Row, mapping: &[Option<usize>], source: Option<&str>, fill: &[Value]) -> Row {
    let values = mapping
        .iter()
        .enumerate()
        .map(|(i, m)| match (m, source) {
            (Some(c), _) => row.values.get(*c).cloned().unwrap_or(Value::Null),
            (None, Some(source)) if i == 0 => Value::String(source.to_string()),
            (None, _) => fill.get(i).cloned().unwrap_or(Value::Null),
        })
        .collect();
    Row {
        values,
        origin: row.origin,
    }
}

/// Applies a streaming operator to one row; the rows it makes go to `out`. Used on the scan's
/// workers (pipeline operators) and after the scan alike.
pub fn apply_row(op: &Op, mut row: Row, context: &Context<'_>, out: &mut Vec<Row>) {
    match op {
        Op::Where(predicate) => {
            if truth(&predicate.eval(&row.values, context)) == Some(true) {
                out.push(row);
            }
        }
        Op::Project(list) => {
            let values = list.iter().map(|s| s.eval(&row.values, context)).collect();
            out.push(Row {
                values,
                origin: row.origin,
            });
        }
        Op::Extend(list) => {
            for (target, scalar) in list {
                let value = scalar.eval(&row.values, context);
                match target {
                    Some(i) => row.values[*i] = value,
                    None => row.values.push(value),
                }
            }
            out.push(row);
        }
        Op::MvExpand {
            columns,
            limit,
            array_bags,
            item_index,
        } => {
            let arrays: Vec<Vec<Value>> = columns
                .iter()
                .map(|(c, to)| expand_items(&row.values[*c], *to, *array_bags))
                .collect();
            let length = arrays.iter().map(Vec::len).max().unwrap_or(0);
            let length = limit.map_or(length, |l| length.min(l));
            for i in 0..length {
                let mut values = row.values.clone();
                for ((c, to), items) in columns.iter().zip(&arrays) {
                    values[*c] = items.get(i).cloned().unwrap_or_else(|| empty_of(*to));
                }
                if *item_index {
                    values.push(Value::Long(i as i64));
                }
                out.push(Row {
                    values,
                    origin: row.origin,
                });
            }
        }
        Op::Parse(parser) => {
            let text = parser.source.eval(&row.values, context).to_text().into_owned();
            // Simple and regex kinds are strict: a column that does not convert to its type
            // fails the whole match; relaxed leaves only that column null.
            let mut values: Option<Vec<Value>> = parser.regex.captures(&text).and_then(|captures| {
                let mut values = Vec::with_capacity(parser.targets.len());
                for (group, (_, ty)) in parser.targets.iter().enumerate() {
                    let found = captures.name(&format!("c{group}")).map(|m| m.as_str());
                    match (found.map(|t| convert_text(t, *ty)), parser.relaxed) {
                        (Some(Some(value)), _) => values.push(value),
                        (_, true) => values.push(empty_of(*ty)),
                        (_, false) => return None,
                    }
                }
                Some(values)
            });
            if values.is_none() && parser.drop_unmatched {
                return;
            }
            let values = values.get_or_insert_with(|| parser.targets.iter().map(|(_, ty)| empty_of(*ty)).collect());
            for ((target, _), value) in parser.targets.iter().zip(values.drain(..)) {
                match target {
                    Some(i) => row.values[*i] = value,
                    None => row.values.push(value),
                }
            }
            out.push(row);
        }
        _ => out.push(row),
    }
}

/// Text captured by `parse` as a value of its column's type; `None` when it does not convert.
fn convert_text(text: &str, ty: Option<ColumnType>) -> Option<Value> {
    let value = match ty.unwrap_or(ColumnType::String) {
        ColumnType::String => Value::String(text.to_string()),
        ColumnType::DateTime => Value::DateTime(crate::time::parse_datetime_text(text)?),
        other => Value::from_json(Some(&Json::String(text.trim().to_string())), other),
    };
    (!value.is_null()).then_some(value)
}

/// What a missing value of a type is: `""` for strings, null otherwise.
fn empty_of(ty: Option<ColumnType>) -> Value {
    match ty {
        Some(ColumnType::String) => Value::String(String::new()),
        _ => Value::Null,
    }
}

/// The items `mv-expand` makes of a value: an array's elements, a bag's properties (each a
/// one-property bag), or the value itself.
fn expand_items(value: &Value, to: Option<ColumnType>, array_bags: bool) -> Vec<Value> {
    let json = match value {
        Value::Dynamic(json) => json.clone(),
        Value::String(text) => serde_json::from_str(text).unwrap_or(Json::String(text.clone())),
        // A null expands to one null row (the mv-expand page); an empty array to none.
        Value::Null => Json::Null,
        other => other.to_json(),
    };
    let items: Vec<Json> = match json {
        Json::Array(items) => items,
        Json::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                if array_bags {
                    Json::Array(vec![Json::String(k), v])
                } else {
                    let mut bag = serde_json::Map::new();
                    bag.insert(k, v);
                    Json::Object(bag)
                }
            })
            .collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| match (to, item) {
            (_, Json::Null) => Value::Null,
            (None | Some(ColumnType::Dynamic), item) => Value::Dynamic(item),
            // `to typeof(T)` casts, it does not parse: `"2"` is no long.
            (Some(ColumnType::Long | ColumnType::Real), item) if !item.is_number() => Value::Null,
            (Some(ColumnType::Bool), item) if !item.is_boolean() => Value::Null,
            (Some(ty), item) => Value::from_json(Some(&item), ty),
        })
        .collect()
}

/// A stable sort by the keys: ties keep their input order.
fn sort(rows: Vec<Row>, keys: &[SortKey], context: &Context<'_>) -> Vec<Row> {
    let mut keyed: Vec<(Vec<Value>, Row)> = rows
        .into_iter()
        .map(|row| (keys.iter().map(|k| k.expr.eval(&row.values, context)).collect(), row))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for (key, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
            let ordering = order_values(&plain(x), &plain(y), key.descending, key.nulls_first);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// Runs a join. Keys match when equal as Kusto values; a null key never matches. Output order:
/// left rows in input order, each with its matches in right-row order; then (outer kinds) the
/// unmatched right rows in input order.
/// `Err(rows made)` when the output outgrows `limit` bytes (checked as it grows, so that a join
/// of millions of pairs stops before it takes the machine's memory).
fn run_join(join: &Join, left: Vec<Row>, right: &[Row], limit: usize) -> Result<Vec<Row>, usize> {
    let key_of = |row: &Row, columns: &[usize]| -> Option<Vec<GroupKey>> {
        let key: Vec<GroupKey> = columns.iter().map(|&c| GroupKey::of(&row.values[c])).collect();
        (!key.contains(&GroupKey::Null)).then_some(key)
    };
    let combine = |l: Option<&Row>, r: Option<&Row>| -> Row {
        let values = join
            .output
            .iter()
            .zip(&join.fill)
            .map(|(&(from_left, c), fill)| {
                let side = if from_left { l } else { r };
                side.map_or_else(|| fill.clone(), |row| row.values[c].clone())
            })
            .collect();
        Row {
            values,
            origin: l.and_then(|row| row.origin),
        }
    };
    let left = if join.kind == JoinKind::InnerUnique {
        // Kusto's default: one left row per key (the first in input order), then inner.
        let mut seen = std::collections::HashSet::new();
        left.into_iter()
            .filter(|row| match key_of(row, &join.left_keys) {
                Some(key) => seen.insert(key),
                None => true,
            })
            .collect()
    } else {
        left
    };
    // The smaller side is built into a hash index once and the other side probes it; either
    // way each left row's matches come out in right-row order.
    let per_left: Vec<Vec<usize>> = if left.len() < right.len() {
        let mut index: FxHashMap<Vec<GroupKey>, Vec<usize>> = FxHashMap::default();
        for (i, row) in left.iter().enumerate() {
            if let Some(key) = key_of(row, &join.left_keys) {
                index.entry(key).or_default().push(i);
            }
        }
        let mut per_left = vec![Vec::new(); left.len()];
        for (r, row) in right.iter().enumerate() {
            if let Some(lefts) = key_of(row, &join.right_keys).and_then(|key| index.get(&key)) {
                for &l in lefts {
                    per_left[l].push(r);
                }
            }
        }
        per_left
    } else {
        let mut index: FxHashMap<Vec<GroupKey>, Vec<usize>> = FxHashMap::default();
        for (i, row) in right.iter().enumerate() {
            if let Some(key) = key_of(row, &join.right_keys) {
                index.entry(key).or_default().push(i);
            }
        }
        left.iter()
            .map(|row| {
                key_of(row, &join.left_keys)
                    .and_then(|key| index.get(&key).cloned())
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    let mut checked = 0;
    for (row, found) in left.iter().zip(&per_left) {
        if out.len() >= checked + 4096 {
            checked = out.len();
            let sample = out.len().min(64);
            let per_row = out[out.len() - sample..].iter().map(row_bytes).sum::<usize>() / sample.max(1);
            if per_row.saturating_mul(out.len()) > limit {
                return Err(out.len());
            }
        }
        let matches = (!found.is_empty()).then_some(found);
        match join.kind {
            JoinKind::InnerUnique
            | JoinKind::Inner
            | JoinKind::LeftOuter
            | JoinKind::FullOuter
            | JoinKind::RightOuter => match matches {
                Some(list) => {
                    for &r in list {
                        right_matched[r] = true;
                        out.push(combine(Some(row), Some(&right[r])));
                    }
                }
                None if matches!(join.kind, JoinKind::LeftOuter | JoinKind::FullOuter) => {
                    out.push(combine(Some(row), None))
                }
                None => {}
            },
            JoinKind::LeftSemi => {
                if matches.is_some() {
                    out.push(combine(Some(row), None));
                }
            }
            JoinKind::LeftAnti => {
                if matches.is_none() {
                    out.push(combine(Some(row), None));
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                if let Some(list) = matches {
                    for &r in list {
                        right_matched[r] = true;
                    }
                }
            }
        }
    }
    match join.kind {
        JoinKind::RightOuter | JoinKind::FullOuter => {
            for (r, row) in right.iter().enumerate() {
                if !right_matched[r] {
                    out.push(combine(None, Some(row)));
                }
            }
            if join.kind == JoinKind::RightOuter {
                // rightouter keeps matched pairs and unmatched right rows, not unmatched left.
            }
        }
        JoinKind::RightSemi => {
            for (r, row) in right.iter().enumerate() {
                if right_matched[r] {
                    out.push(combine(None, Some(row)));
                }
            }
        }
        JoinKind::RightAnti => {
            for (r, row) in right.iter().enumerate() {
                if !right_matched[r] {
                    out.push(combine(None, Some(row)));
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Reads the rows of an external source from a file's text, as its declared format says.
pub fn read_external(kind: &ExternalKind, columns: &[Col], text: &str) -> Result<Vec<Row>, String> {
    let ExternalKind::Url {
        format,
        ignore_first_record,
        ..
    } = kind
    else {
        return Err("not an externaldata source".to_string());
    };
    let mut rows = Vec::new();
    let text = crate::encoding::strip_bom(text);
    match format.as_str() {
        "json" | "multijson" => {
            let stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
            for (i, item) in stream.enumerate() {
                let item = item.map_err(|e| format!("JSON record {}: {e}", i + 1))?;
                let objects = match item {
                    Json::Array(items) => items,
                    other => vec![other],
                };
                for object in objects {
                    let values = columns
                        .iter()
                        .map(|c| Value::from_json(object.get(&c.name), c.ty.unwrap_or(ColumnType::String)))
                        .collect();
                    rows.push(Row { values, origin: None });
                }
            }
        }
        _ => {
            let delimiter = match format.as_str() {
                "tsv" => '\t',
                "scsv" => ';',
                "psv" => '|',
                _ => ',',
            };
            for (number, line) in text.lines().enumerate() {
                if number == 0 && *ignore_first_record {
                    continue;
                }
                let line = line.strip_suffix('\r').unwrap_or(line);
                if line.is_empty() {
                    continue;
                }
                let fields = if format == "txt" {
                    vec![line.to_string()]
                } else {
                    split_delimited(line, delimiter)
                };
                let values = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let field = fields.get(i).cloned().unwrap_or_default();
                        let ty = c.ty.unwrap_or(ColumnType::String);
                        if ty == ColumnType::String {
                            Value::String(field)
                        } else if field.is_empty() {
                            Value::Null
                        } else {
                            Value::from_json(Some(&Json::String(field)), ty)
                        }
                    })
                    .collect();
                rows.push(Row { values, origin: None });
            }
        }
    }
    Ok(rows)
}

/// One line of a delimited file, with RFC 4180 quotes.
fn split_delimited(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => quoted = true,
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Reads a watchlist's CSV file as `_GetWatchlist` returns it: Sentinel's columns
/// (`_DTItemId` the row number, `LastUpdatedTimeUTC` null, `SearchKey` the first column's value,
/// `WatchlistItem` the row as a bag), then the file's columns (all strings), as `columns` lists.
pub fn read_watchlist(text: &str, columns: &[Col]) -> Result<Rows, String> {
    let text = crate::encoding::strip_bom(text);
    let mut lines = text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l));
    let header = split_delimited(lines.next().ok_or("the file is empty")?, ',');
    let mut rows = Vec::new();
    for (number, line) in lines.filter(|l| !l.is_empty()).enumerate() {
        let mut fields = split_delimited(line, ',');
        fields.resize(header.len(), String::new());
        let item: serde_json::Map<String, Json> = header
            .iter()
            .zip(&fields)
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        let values = columns
            .iter()
            .map(|c| match c.name.as_str() {
                "_DTItemId" => Value::String((number + 1).to_string()),
                "LastUpdatedTimeUTC" => Value::Null,
                "SearchKey" => Value::String(fields.first().cloned().unwrap_or_default()),
                "WatchlistItem" => Value::Dynamic(Json::Object(item.clone())),
                name => Value::String(
                    header
                        .iter()
                        .position(|h| h == name)
                        .map(|i| fields[i].clone())
                        .unwrap_or_default(),
                ),
            })
            .collect();
        rows.push(Row { values, origin: None });
    }
    Ok(Rows {
        columns: columns.to_vec(),
        rows,
    })
}

/// The column names of a watchlist's CSV file: its header line.
pub fn watchlist_header(text: &str) -> Vec<String> {
    let text = crate::encoding::strip_bom(text);
    let line = text.lines().next().unwrap_or("");
    split_delimited(line.strip_suffix('\r').unwrap_or(line), ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(format: &str, ignore_first_record: bool) -> ExternalKind {
        ExternalKind::Url {
            urls: vec!["https://example.org/x".into()],
            format: format.into(),
            ignore_first_record,
        }
    }

    fn texts(rows: &[Row]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.values.iter().map(|v| v.to_json().to_string()).collect())
            .collect()
    }

    /// `externaldata` reads a file as its declared format says: CSV with RFC 4180 quotes (and
    /// `ignoreFirstRecord` dropping the header), `txt` a line a row, JSON lines or an array.
    #[test]
    fn external_files_in_each_format() {
        let columns = vec![
            Col::new("name", Some(ColumnType::String)),
            Col::new("n", Some(ColumnType::Long)),
        ];
        let csv = "name,n\r\n\"a, b\",1\r\n\"say \"\"x\"\"\",\r\n";
        let rows = read_external(&url("csv", true), &columns, csv).unwrap();
        assert_eq!(texts(&rows), [[r#""a, b""#, "1"], [r#""say \"x\"""#, "null"]]);
        let rows = read_external(&url("csv", false), &columns, csv).unwrap();
        assert_eq!(rows.len(), 3, "without ignoreFirstRecord the header is a row");

        let one = vec![Col::new("line", Some(ColumnType::String))];
        let txt = "# a comment line is a row too\nd41d8cd98f00b204e9800998ecf8427e\n\nlast, with a comma";
        let rows = read_external(&url("txt", false), &one, txt).unwrap();
        assert_eq!(
            texts(&rows),
            [
                [r##""# a comment line is a row too""##],
                [r#""d41d8cd98f00b204e9800998ecf8427e""#],
                [r#""last, with a comma""#]
            ]
        );

        let json = "{\"name\":\"a\",\"n\":2}\n[{\"name\":\"b\"},{\"n\":\"3\"}]";
        let rows = read_external(&url("json", false), &columns, json).unwrap();
        assert_eq!(texts(&rows), [[r#""a""#, "2"], [r#""b""#, "null"], [r#""""#, "3"]]);
        let error = read_external(&url("json", false), &columns, "{\"name\":").unwrap_err();
        assert!(error.starts_with("JSON record 1:"), "{error}");
    }

    #[test]
    fn a_watchlist_has_sentinels_columns_then_its_own() {
        let columns = vec![
            Col::new("_DTItemId", Some(ColumnType::String)),
            Col::new("SearchKey", Some(ColumnType::String)),
            Col::new("WatchlistItem", Some(ColumnType::Dynamic)),
            Col::new("Owner", Some(ColumnType::String)),
        ];
        let text = "\u{feff}Host,Owner\r\ndc01,ops\r\n\"web, 2\",dev\r\n";
        assert_eq!(watchlist_header(text), ["Host", "Owner"]);
        let rows = read_watchlist(text, &columns).unwrap();
        assert_eq!(
            texts(&rows.rows),
            [
                [r#""1""#, r#""dc01""#, r#"{"Host":"dc01","Owner":"ops"}"#, r#""ops""#],
                [
                    r#""2""#,
                    r#""web, 2""#,
                    r#"{"Host":"web, 2","Owner":"dev"}"#,
                    r#""dev""#
                ]
            ]
        );
    }
}
