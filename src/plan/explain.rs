//! What a compiled [`Plan`] will do, described for `loghunt explain`: per rule, the tables and
//! columns each pipeline parses, the sets behind `in`/`in~`/`has_any` (with their sizes and
//! memory), the prefilter's column tests (or why a pipeline has none), which operators run on
//! the scan workers and which after the scan, and what the rule holds while it runs. Pure: it
//! reads the plan and prints nothing (see [`Explanation::write_text`] and
//! [`Explanation::to_json`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value as Json};

use crate::kql::{BinaryOp, StringOp, StringTest};
use crate::plan::prefilter::{Matcher, Test};
use crate::plan::query::{human_bytes, Node, Op, Program};
use crate::plan::text::SubstringKind;
use crate::plan::{Output, Pipeline, Plan, Predicate, Scalar, Stage};
use crate::value::Value;

/// The description of a whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub rules: Vec<RuleExplanation>,
    /// The prefilter as the scan runs it: per column of the raw record it looks up, the tests of
    /// every rule on that column, merged where several rules share it. Empty when no pipeline
    /// has a column test (then every record is parsed).
    pub prefilter: Vec<PrefilterColumn>,
    /// The IOC sets and automata of every rule (each counted once), in bytes.
    pub sets_memory: usize,
    /// The prefilter's merged indexes, built at the start of a scan, in bytes.
    pub prefilter_memory: usize,
    /// The rules some pipeline of which keeps every column: while there is one, the scan
    /// parses every field of every record it parses, for every rule (the fields to parse are
    /// chosen once for the whole plan).
    pub whole_rows: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleExplanation {
    pub id: String,
    pub title: Option<String>,
    /// The tables its pipelines read, in order of first use.
    pub tables: Vec<String>,
    /// Compiled by the query engine (a program after the scan), not the seed shape's compiler.
    pub engine: bool,
    pub pipelines: Vec<PipelineExplanation>,
    /// The operators that run on all the collected rows once the scan is over, one a line, the
    /// program's tree shown by indentation.
    pub after_scan: Vec<String>,
    /// Its distinct sets and automata, in bytes.
    pub sets_memory: usize,
    /// What it keeps while the logs stream past, beyond its sets.
    pub held: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineExplanation {
    pub table: String,
    /// The columns a record is parsed for; `None`: every column (the rows carry them all).
    pub columns: Option<Vec<String>>,
    pub table_columns: usize,
    pub sets: Vec<SetExplanation>,
    /// The prefilter's tests (any one must hold for a record to be parsed), or why there are none.
    pub prefilter: Result<Vec<String>, String>,
    /// The operators run on the scan workers, record by record, in order.
    pub workers: Vec<String>,
}

/// One use of a set: the column it tests and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SetExplanation {
    pub column: String,
    /// `in`, `in~`, `!in`, `has_any`, `has_all`, `has`, `in` (of non-string values)...
    pub operator: String,
    /// The number of the set in its rule (from 1): columns that test one `let` list the same
    /// way share one set.
    pub set: usize,
    pub values: usize,
    /// For string sets: how many values are MD5, SHA-1 and SHA-256 digests, and other strings.
    pub kinds: Option<[usize; 4]>,
    /// What the set takes, in bytes; 0 on a repeated use of a set.
    pub memory: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrefilterColumn {
    pub column: String,
    pub matchers: Vec<String>,
}

/// Describes `plan`.
pub fn explain(plan: &Plan) -> Explanation {
    let prefilter = plan.prefilter();
    let tests: Vec<Test<'_>> = prefilter.as_ref().map(|p| p.tests.clone()).unwrap_or_default();
    let mut everywhere = SetIds::default();
    let mut rules = Vec::new();
    for rule in &plan.rules {
        let pipelines = &plan.pipelines[rule.first..rule.first + rule.count];
        let mut ids = SetIds::default();
        let mut described = Vec::new();
        for (offset, pipeline) in pipelines.iter().enumerate() {
            let index = rule.first + offset;
            let mine: Vec<&Test<'_>> = tests.iter().filter(|t| t.rule == index).collect();
            described.push(describe_pipeline(pipeline, &mine, &mut ids, &mut everywhere));
        }
        let mut tables: Vec<String> = Vec::new();
        for pipeline in pipelines {
            if !tables.contains(&pipeline.table.name) {
                tables.push(pipeline.table.name.clone());
            }
        }
        let (after_scan, held) = match &rule.output {
            Output::Pipeline => seed_after_scan(&pipelines[0]),
            Output::Program(program) => program_after_scan(program, pipelines),
        };
        rules.push(RuleExplanation {
            id: rule.id.clone(),
            title: rule.title.clone(),
            tables,
            engine: matches!(rule.output, Output::Program(_)),
            pipelines: described,
            after_scan,
            sets_memory: ids.memory,
            held,
        });
    }
    let (columns, prefilter_memory) = match &prefilter {
        Some(prefilter) => describe_prefilter(plan, prefilter),
        None => (Vec::new(), 0),
    };
    let mut whole_rows: Vec<String> = Vec::new();
    for pipeline in &plan.pipelines {
        if pipeline.needed_columns().is_none() && !whole_rows.contains(&pipeline.id) {
            whole_rows.push(pipeline.id.clone());
        }
    }
    Explanation {
        rules,
        prefilter: columns,
        sets_memory: everywhere.memory,
        prefilter_memory,
        whole_rows,
    }
}

/// Numbers the sets of a rule by identity (a `let` list used by three columns is one set) and
/// adds up their memory once each.
#[derive(Default)]
struct SetIds {
    ids: HashMap<usize, usize>,
    memory: usize,
}

impl SetIds {
    /// The set's number, and whether this is its first use.
    fn id(&mut self, address: usize, memory: usize) -> (usize, bool) {
        let next = self.ids.len() + 1;
        let mut first = false;
        let id = *self.ids.entry(address).or_insert_with(|| {
            first = true;
            next
        });
        if first {
            self.memory += memory;
        }
        (id, first)
    }
}

fn describe_pipeline(
    pipeline: &Pipeline,
    tests: &[&Test<'_>],
    ids: &mut SetIds,
    everywhere: &mut SetIds,
) -> PipelineExplanation {
    let table = pipeline.table;
    let table_names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let columns = pipeline
        .needed_columns()
        .map(|needed| needed.iter().map(|&c| table_names[c].clone()).collect());

    let mut sets = Vec::new();
    let mut names = table_names.clone();
    let mut workers = Vec::new();
    let last_project = pipeline.streaming.iter().rposition(|s| matches!(s, Stage::Project(_)));
    for (at, stage) in pipeline.streaming.iter().enumerate() {
        match stage {
            Stage::Where(predicate) => {
                collect_sets(predicate, &names, ids, everywhere, &mut sets);
                workers.push(format!("where {}", render(predicate, &names, false)));
            }
            Stage::Project(scalars) => {
                names = if Some(at) == last_project && pipeline.engine.is_empty() {
                    pipeline.columns.iter().map(|c| c.name.clone()).collect()
                } else {
                    scalars.iter().map(|s| scalar(s, &names)).collect()
                };
                workers.push(format!("project {}", names.join(", ")));
            }
            Stage::OrderBy(_) | Stage::Take(_) => {}
        }
    }
    for op in &pipeline.engine {
        workers.push(engine_op(op, &mut names));
    }
    if let Some(summarize) = &pipeline.summarize {
        let functions: Vec<&str> = summarize.aggregates.iter().map(|a| a.function.name).collect();
        workers.push(format!(
            "summarize {} by {} key(s): partial groups per worker, merged in input order",
            functions.join(", "),
            summarize.keys.len()
        ));
    }

    let prefilter = if tests.is_empty() {
        Err(no_prefilter_reason(pipeline))
    } else {
        Ok(tests.iter().map(|t| leaf_test(t.leaf, &table_names)).collect())
    };
    PipelineExplanation {
        table: table.name.clone(),
        columns,
        table_columns: table.columns.len(),
        sets,
        prefilter,
        workers,
    }
}

/// Why the scan parses every record of a pipeline's table for it.
fn no_prefilter_reason(pipeline: &Pipeline) -> String {
    match pipeline.streaming.first() {
        Some(Stage::Where(_)) => "its leading `where` has no test that every result must pass on a string \
             column (`in`, `has`, `has_any`, `contains`, `==`...): a comparison, a negation, a \
             function or an `or` with such a branch; every record of the table is parsed"
            .to_string(),
        _ => "no `where` leads the query (before any other operator, with constants only): every record \
             of the table is parsed"
            .to_string(),
    }
}

/// Each set a predicate holds, in the order its leaves are met.
fn collect_sets(
    predicate: &Predicate,
    names: &[String],
    ids: &mut SetIds,
    everywhere: &mut SetIds,
    out: &mut Vec<SetExplanation>,
) {
    let mut add = |operand: &Scalar, operator: String, address: usize, values: usize, kinds, memory: usize| {
        let (set, first) = ids.id(address, memory);
        everywhere.id(address, memory);
        out.push(SetExplanation {
            column: scalar(operand, names),
            operator,
            set,
            values,
            kinds,
            memory: if first { memory } else { 0 },
        });
    };
    match predicate {
        Predicate::And(parts) | Predicate::Or(parts) => {
            for part in parts {
                collect_sets(part, names, ids, everywhere, out);
            }
        }
        Predicate::Not(inner) => collect_sets(inner, names, ids, everywhere, out),
        Predicate::InStrings { operand, set, negated } => add(
            operand,
            in_operator(set.case_sensitive(), *negated),
            std::sync::Arc::as_ptr(set) as usize,
            set.len(),
            Some(set.kinds()),
            set.memory(),
        ),
        Predicate::Terms {
            operand,
            set,
            all,
            negated,
        } => add(
            operand,
            terms_operator(set.len(), set.case_sensitive(), *all, *negated),
            std::sync::Arc::as_ptr(set) as usize,
            set.len(),
            None,
            set.memory(),
        ),
        Predicate::InValues {
            operand,
            values,
            negated,
        } => add(
            operand,
            if *negated { "!in" } else { "in" }.to_string(),
            values.as_ptr() as usize,
            values.len(),
            None,
            crate::plan::query::values_bytes(values),
        ),
        _ => {}
    }
}

fn in_operator(case_sensitive: bool, negated: bool) -> String {
    BinaryOp::In {
        case_sensitive,
        negated,
    }
    .to_string()
}

/// `has` for a one-term set (that is how `has` compiles), else `has_any` / `has_all`.
fn terms_operator(terms: usize, case_sensitive: bool, all: bool, negated: bool) -> String {
    if terms == 1 && !all {
        let op = StringOp {
            test: StringTest::Has,
            case_sensitive,
            negated,
        };
        return BinaryOp::String(op).to_string();
    }
    let base = if all { "has_all" } else { "has_any" };
    format!(
        "{}{base}{}",
        if negated { "!" } else { "" },
        if case_sensitive { "_cs" } else { "" }
    )
}

/// A prefilter test: the leaf predicate, its set by size.
fn leaf_test(leaf: &Predicate, names: &[String]) -> String {
    render(leaf, names, false)
}

/// A predicate as KQL, with sets shown by their size: `SHA256 in (18 values) or Name has "x"`.
fn render(predicate: &Predicate, names: &[String], nested: bool) -> String {
    let joined = |parts: &[Predicate], word: &str| {
        let text = parts
            .iter()
            .map(|p| render(p, names, true))
            .collect::<Vec<_>>()
            .join(&format!(" {word} "));
        if nested && parts.len() > 1 {
            format!("({text})")
        } else {
            text
        }
    };
    match predicate {
        Predicate::Const(b) => b.to_string(),
        Predicate::And(parts) => joined(parts, "and"),
        Predicate::Or(parts) => joined(parts, "or"),
        Predicate::Not(inner) => format!("not({})", render(inner, names, false)),
        Predicate::Compare { left, op, right } => {
            format!(
                "{} {} {}",
                scalar(left, names),
                BinaryOp::Compare(*op),
                scalar(right, names)
            )
        }
        Predicate::Terms {
            operand,
            set,
            all,
            negated,
        } => {
            let operator = terms_operator(set.len(), set.case_sensitive(), *all, *negated);
            format!("{} {operator} ({})", scalar(operand, names), count(set.len(), "term"))
        }
        Predicate::Substring { operand, test, negated } => {
            let (kind, needle, case_sensitive) = test.parts();
            let test = match kind {
                SubstringKind::Contains => StringTest::Contains,
                SubstringKind::StartsWith => StringTest::StartsWith,
                SubstringKind::EndsWith => StringTest::EndsWith,
                SubstringKind::Equals => StringTest::Equals,
            };
            let op = StringOp {
                test,
                case_sensitive,
                negated: *negated,
            };
            format!("{} {} {}", scalar(operand, names), BinaryOp::String(op), quoted(needle))
        }
        Predicate::InStrings { operand, set, negated } => {
            let operator = in_operator(set.case_sensitive(), *negated);
            match (set.len(), set.case_sensitive()) {
                // How `==` and `!=` on strings compile.
                (1, true) => format!("{} {} (1 value)", scalar(operand, names), operator),
                (n, _) => format!("{} {operator} ({})", scalar(operand, names), count(n, "value")),
            }
        }
        Predicate::InValues {
            operand,
            values,
            negated,
        } => format!(
            "{} {} ({})",
            scalar(operand, names),
            if *negated { "!in" } else { "in" },
            count(values.len(), "value")
        ),
        Predicate::IsEmpty { operand, negated } => {
            format!(
                "{}({})",
                if *negated { "isnotempty" } else { "isempty" },
                scalar(operand, names)
            )
        }
        Predicate::IsNull { operand, negated } => {
            format!(
                "{}({})",
                if *negated { "isnotnull" } else { "isnull" },
                scalar(operand, names)
            )
        }
        Predicate::Truth(operand) => scalar(operand, names),
    }
}

fn scalar(scalar: &Scalar, names: &[String]) -> String {
    match scalar {
        Scalar::Column(c) => names.get(*c).cloned().unwrap_or_else(|| format!("column {c}")),
        Scalar::Const(value) => constant(value),
    }
}

fn constant(value: &Value) -> String {
    match value {
        Value::String(s) => quoted(s),
        Value::Null => "null".to_string(),
        other => other.to_text().into_owned(),
    }
}

/// A string constant, cut to a readable length.
fn quoted(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("\"{}...\"", &text[..at]),
        None => format!("\"{text}\""),
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// An engine operator on the workers; `names` follows the columns where the operator says.
fn engine_op(op: &Op, names: &mut Vec<String>) -> String {
    use crate::plan::query::expr::Scalar as Expr;
    let of = |s: &Expr, names: &[String]| match s {
        Expr::Column(c) => names.get(*c).cloned().unwrap_or_else(|| "(computed)".to_string()),
        _ => "(computed)".to_string(),
    };
    match op {
        Op::Project(list) => {
            *names = list.iter().map(|s| of(s, names)).collect();
            format!("project {}", names.join(", "))
        }
        Op::Extend(list) => {
            for (target, _) in list {
                if target.is_none() {
                    names.push("(computed)".to_string());
                }
            }
            format!("extend ({})", count(list.len(), "column"))
        }
        other => program_op(other),
    }
}

/// One operator of a program, by what it does and what it holds.
fn program_op(op: &Op) -> String {
    match op {
        Op::Where(_) => "where".to_string(),
        Op::Project(list) => format!("project ({})", count(list.len(), "column")),
        Op::Extend(list) => format!("extend ({})", count(list.len(), "column")),
        Op::Summarize(summarize) => {
            let functions: Vec<&str> = summarize.aggregates.iter().map(|a| a.function.name).collect();
            format!("summarize {} by {} key(s)", functions.join(", "), summarize.keys.len())
        }
        Op::Sort(keys) => format!("order by ({})", count(keys.len(), "key")),
        Op::Take(n) => format!("take {n}"),
        Op::Top(n, keys) => format!("top {n} by ({})", count(keys.len(), "key")),
        Op::Distinct => "distinct".to_string(),
        Op::Count => "count".to_string(),
        Op::MvExpand { columns, .. } => format!("mv-expand ({})", count(columns.len(), "column")),
        Op::Parse(parser) => format!("parse ({})", count(parser.targets.len(), "new column")),
        Op::Join(join) => format!(
            "join kind={} on {}",
            join_kind(join.kind),
            count(join.left_keys.len(), "key")
        ),
        Op::Union { legs, .. } => format!("union with {}", count(legs.len(), "more leg")),
    }
}

fn join_kind(kind: crate::plan::query::JoinKind) -> &'static str {
    use crate::plan::query::JoinKind::*;
    match kind {
        InnerUnique => "innerunique",
        Inner => "inner",
        LeftOuter => "leftouter",
        RightOuter => "rightouter",
        FullOuter => "fullouter",
        LeftAnti => "leftanti",
        RightAnti => "rightanti",
        LeftSemi => "leftsemi",
        RightSemi => "rightsemi",
    }
}

/// The seed shape: its tail (`order by`, `take`) runs on the collected result rows.
fn seed_after_scan(pipeline: &Pipeline) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = pipeline.columns.iter().map(|c| c.name.clone()).collect();
    let mut lines = Vec::new();
    for stage in &pipeline.tail {
        lines.push(match stage {
            Stage::OrderBy(keys) => {
                let keys: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let name = names.get(k.column).cloned().unwrap_or_default();
                        format!("{name} {}", if k.descending { "desc" } else { "asc" })
                    })
                    .collect();
                format!("order by {}", keys.join(", "))
            }
            Stage::Take(n) => format!("take {n}"),
            Stage::Where(predicate) => format!("where {}", render(predicate, &names, false)),
            Stage::Project(_) => "project".to_string(),
        });
    }
    let held = vec![format!(
        "its result rows ({} column(s) each), collected in input order{}",
        names.len(),
        if lines.is_empty() { "" } else { " and then sorted/cut" }
    )];
    (lines, held)
}

/// An engine query: the program's trees, and what it holds.
fn program_after_scan(program: &Program, pipelines: &[Pipeline]) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut held = Vec::new();
    for (index, pipeline) in pipelines.iter().enumerate() {
        held.push(match &pipeline.summarize {
            Some(_) => format!(
                "pipeline {} ({}): its summarize groups, one per distinct key, and not the rows",
                index + 1,
                pipeline.table.name
            ),
            None => format!(
                "pipeline {} ({}): every row it yields, until the scan ends",
                index + 1,
                pipeline.table.name
            ),
        });
    }
    let tree = |node: &Node, lines: &mut Vec<String>, held: &mut Vec<String>| {
        node_lines(node, pipelines, program, 1, lines, held);
    };
    for (number, shared) in program.shared.iter().enumerate() {
        lines.push(format!("shared let #{} (computed once):", number + 1));
        tree(shared, &mut lines, &mut held);
    }
    for (number, subquery) in program.subqueries.iter().enumerate() {
        let kind = if subquery.scalar { "toscalar" } else { "set" };
        lines.push(format!("subquery #{} ({kind}):", number + 1));
        tree(&subquery.node, &mut lines, &mut held);
    }
    for (number, (node, columns)) in program.results.iter().enumerate() {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        lines.push(format!("result {} ({}):", number + 1, names.join(", ")));
        tree(node, &mut lines, &mut held);
    }
    for ignored in &program.ignored {
        lines.push(format!("ignored: {ignored}"));
    }
    (lines, held)
}

fn node_lines(
    node: &Node,
    pipelines: &[Pipeline],
    program: &Program,
    depth: usize,
    lines: &mut Vec<String>,
    held: &mut Vec<String>,
) {
    let indent = "  ".repeat(depth);
    match node {
        Node::Pipeline(index) => {
            let table = pipelines.get(*index).map_or("?", |p| p.table.name.as_str());
            lines.push(format!("{indent}pipeline {} ({table})", index + 1));
        }
        Node::Rows(rows) => lines.push(format!("{indent}{} known when compiled", count(rows.rows.len(), "row"))),
        Node::External(index) => {
            let what = match program.externals.get(*index).map(|e| &e.kind) {
                Some(crate::plan::query::ExternalKind::Url { urls, format, .. }) => {
                    format!("externaldata ({format}) {}", urls.join(", "))
                }
                Some(crate::plan::query::ExternalKind::Watchlist { name }) => format!("_GetWatchlist('{name}')"),
                None => "external data".to_string(),
            };
            lines.push(format!("{indent}{what}, read after the scan"));
        }
        Node::Shared(index) => lines.push(format!("{indent}shared let #{}", index + 1)),
        Node::Apply(input, ops) => {
            node_lines(input, pipelines, program, depth, lines, held);
            for op in ops {
                lines.push(format!("{indent}| {}", program_op(op)));
                if let Some(what) = op_holds(op) {
                    held.push(what);
                }
                match op {
                    Op::Join(join) => node_lines(&join.right, pipelines, program, depth + 2, lines, held),
                    Op::Union { legs, .. } => {
                        for leg in legs {
                            node_lines(&leg.node, pipelines, program, depth + 2, lines, held);
                        }
                    }
                    _ => {}
                }
            }
        }
        Node::Union(legs) => {
            lines.push(format!("{indent}union of {}:", count(legs.len(), "leg")));
            for leg in legs {
                node_lines(&leg.node, pipelines, program, depth + 1, lines, held);
            }
        }
    }
}

/// What a blocking operator of a program keeps, beyond its input.
fn op_holds(op: &Op) -> Option<String> {
    Some(match op {
        Op::Summarize(s) => format!("summarize: one group per distinct key ({} key(s))", s.keys.len()),
        Op::Sort(_) => "order by: every row of its input, sorted".to_string(),
        Op::Top(n, _) => format!("top {n}: the best {n} rows"),
        Op::Distinct => "distinct: each distinct row".to_string(),
        Op::Join(join) => format!(
            "join kind={}: the right side's rows in a hash table on {}, and the joined rows",
            join_kind(join.kind),
            count(join.right_keys.len(), "key")
        ),
        _ => return None,
    })
}

/// The prefilter's columns and matchers as the scan builds them, and their merged memory.
fn describe_prefilter(plan: &Plan, prefilter: &crate::plan::prefilter::Prefilter<'_>) -> (Vec<PrefilterColumn>, usize) {
    let mut memory = 0;
    let mut seen: Vec<usize> = Vec::new();
    let mut once = |address: usize, bytes: usize| {
        if !seen.contains(&address) {
            seen.push(address);
            memory += bytes;
        }
    };
    let rule_of = |pipeline: usize| plan.pipelines[pipeline].id.as_str();
    let mut columns = Vec::new();
    for column in prefilter.by_column() {
        let mut matchers = Vec::new();
        for matcher in &column.matchers {
            matchers.push(match matcher {
                Matcher::Leaf(test) => {
                    let names: Vec<String> = plan.pipelines[test.rule]
                        .table
                        .columns
                        .iter()
                        .map(|c| c.name.clone())
                        .collect();
                    format!("{}: {}", rule_of(test.rule), leaf_test(test.leaf, &names))
                }
                Matcher::Strings { index, rules } => {
                    once(std::sync::Arc::as_ptr(index) as usize, index.memory());
                    format!(
                        "one hash index of {} merged from {} sets of {} rule(s), ≈ {}",
                        count(index.len(), "value"),
                        rules.len(),
                        distinct(rules),
                        human_bytes(index.memory())
                    )
                }
                Matcher::Terms { set, rules } => {
                    once(std::sync::Arc::as_ptr(set) as usize, set.memory());
                    format!(
                        "one term automaton of {} merged from {} sets of {} rule(s), ≈ {}",
                        count(set.len(), "term"),
                        rules.len(),
                        distinct(rules),
                        human_bytes(set.memory())
                    )
                }
            });
        }
        columns.push(PrefilterColumn {
            column: column.column.to_string(),
            matchers,
        });
    }
    (columns, memory)
}

fn distinct(rules: &[usize]) -> usize {
    let mut rules = rules.to_vec();
    rules.sort_unstable();
    rules.dedup();
    rules.len()
}

impl Explanation {
    /// The description for people.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        for rule in &self.rules {
            match &rule.title {
                Some(title) => writeln!(out, "rule {}: {title}", rule.id)?,
                None => writeln!(out, "rule {}", rule.id)?,
            }
            let compiler = if rule.engine {
                "the query engine: pipelines on the scan workers, then a program on their rows"
            } else {
                "the seed shape: one pipeline on the scan workers, its tail on the result rows"
            };
            writeln!(out, "  tables: {}; compiled by {compiler}", rule.tables.join(", "))?;
            for (number, pipeline) in rule.pipelines.iter().enumerate() {
                writeln!(out, "  pipeline {} over {}:", number + 1, pipeline.table)?;
                match &pipeline.columns {
                    Some(columns) => writeln!(
                        out,
                        "    columns parsed ({} of {}): {}",
                        columns.len(),
                        pipeline.table_columns,
                        columns.join(", ")
                    )?,
                    None => writeln!(
                        out,
                        "    columns parsed: all {} (the rows keep every column)",
                        pipeline.table_columns
                    )?,
                }
                for set in &pipeline.sets {
                    writeln!(out, "    set {}", set_text(set))?;
                }
                match &pipeline.prefilter {
                    Ok(tests) => writeln!(out, "    prefilter: {}", tests.join(" | "))?,
                    Err(reason) => writeln!(out, "    prefilter: none: {reason}")?,
                }
                if pipeline.workers.is_empty() {
                    writeln!(out, "    on the scan workers: every record of the table is a row")?;
                } else {
                    writeln!(out, "    on the scan workers:")?;
                    for op in &pipeline.workers {
                        writeln!(out, "      {op}")?;
                    }
                }
            }
            if rule.after_scan.is_empty() {
                writeln!(
                    out,
                    "  after the scan: nothing (rows are printed as found, in input order)"
                )?;
            } else {
                writeln!(out, "  after the scan:")?;
                for line in &rule.after_scan {
                    writeln!(out, "    {line}")?;
                }
            }
            writeln!(out, "  memory: sets ≈ {}; also holds:", human_bytes(rule.sets_memory))?;
            for held in &rule.held {
                writeln!(out, "    {held}")?;
            }
            writeln!(out)?;
        }
        if self.prefilter.is_empty() {
            writeln!(
                out,
                "prefilter: none (no rule has a column test): every record is parsed"
            )?;
        } else {
            writeln!(
                out,
                "prefilter: the fields below are read from each raw record (JSON-unescaped) and tested before it is parsed:"
            )?;
            for column in &self.prefilter {
                writeln!(out, "  {}:", column.column)?;
                for matcher in &column.matchers {
                    writeln!(out, "    {matcher}")?;
                }
            }
        }
        if self.whole_rows.is_empty() {
            writeln!(
                out,
                "parsing: a record of a known table is parsed for its pipelines' \"columns parsed\" only"
            )?;
        } else {
            writeln!(
                out,
                "parsing: every field of each parsed record, for every rule, since {} keep(s) whole rows",
                self.whole_rows.join(", ")
            )?;
        }
        writeln!(
            out,
            "memory: {} rule(s), IOC sets and automata ≈ {}, merged prefilter indexes ≈ {}",
            self.rules.len(),
            human_bytes(self.sets_memory),
            human_bytes(self.prefilter_memory)
        )
    }

    /// The description as one JSON object.
    pub fn to_json(&self) -> Json {
        let rules: Vec<Json> = self
            .rules
            .iter()
            .map(|rule| {
                let pipelines: Vec<Json> = rule
                    .pipelines
                    .iter()
                    .map(|p| {
                        let sets: Vec<Json> = p
                            .sets
                            .iter()
                            .map(|s| {
                                let kinds = s.kinds.map(|[md5, sha1, sha256, other]| {
                                    json!({"md5": md5, "sha1": sha1, "sha256": sha256, "other": other})
                                });
                                json!({
                                    "column": s.column,
                                    "operator": s.operator,
                                    "set": s.set,
                                    "values": s.values,
                                    "kinds": kinds,
                                    "memory_bytes": s.memory,
                                })
                            })
                            .collect();
                        let (tests, reason) = match &p.prefilter {
                            Ok(tests) => (Some(tests), None),
                            Err(reason) => (None, Some(reason)),
                        };
                        json!({
                            "table": p.table,
                            "columns": p.columns,
                            "table_columns": p.table_columns,
                            "sets": sets,
                            "prefilter": tests,
                            "no_prefilter_because": reason,
                            "workers": p.workers,
                        })
                    })
                    .collect();
                json!({
                    "id": rule.id,
                    "title": rule.title,
                    "tables": rule.tables,
                    "compiler": if rule.engine { "engine" } else { "seed" },
                    "pipelines": pipelines,
                    "after_scan": rule.after_scan,
                    "sets_memory_bytes": rule.sets_memory,
                    "holds": rule.held,
                })
            })
            .collect();
        let prefilter: Vec<Json> = self
            .prefilter
            .iter()
            .map(|c| json!({"column": c.column, "matchers": c.matchers}))
            .collect();
        json!({
            "rules": rules,
            "prefilter": prefilter,
            "sets_memory_bytes": self.sets_memory,
            "prefilter_memory_bytes": self.prefilter_memory,
            "whole_rows": self.whole_rows,
        })
    }
}

/// `#1 SHA256 in: 18 values: 6 MD5, 6 SHA-1, 6 SHA-256 digests (sorted bytes), 0 other (a hash
/// table), ≈ 956 bytes`.
fn set_text(set: &SetExplanation) -> String {
    let mut text = format!("#{} {} {}: ", set.set, set.column, set.operator);
    if set.memory == 0 {
        text.push_str("the same set as above");
        return text;
    }
    match set.kinds {
        Some([md5, sha1, sha256, other]) => {
            let _ = write!(
                text,
                "{}: {md5} MD5, {sha1} SHA-1, {sha256} SHA-256 digests (sorted bytes), {other} other (a hash table)",
                count(set.values, "value")
            );
        }
        None if set.operator.contains("has") => {
            let _ = write!(text, "{} in one Aho-Corasick automaton", count(set.values, "term"));
        }
        None => text.push_str(&count(set.values, "value")),
    }
    let _ = write!(text, ", ≈ {}", human_bytes(set.memory));
    text
}

#[cfg(test)]
mod tests;
