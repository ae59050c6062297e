//! From a query's syntax tree to scan pipelines and a [`Program`]: names resolved (columns,
//! `let` values, tabular `let`s, user functions), columns and their types followed through
//! every operator, and each operator placed where it runs — the leading `where`s of a table in
//! the fast path, the streaming operators after them on the workers, the rest after the scan.

mod names;
mod operators;
mod scalars;
mod sources;

use names::{mentioned_names, visit_names};
use operators::narrows;
use sources::union_fill;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value as Json;

use super::expr::{plain, push_list_values, Context, InSet, Scalar, TermsOf, TextTest, ValueSet};
use super::groups::Summarize;
use super::parse::Parser as ParseMatcher;
use super::{
    arithmetic_type, Aggregate, Col, External, ExternalKind, Join, JoinKind, Node, Op, Program, Row, Rows, SortKey,
    Subquery, UnionLeg,
};
use crate::kql::{
    self, BinaryOp, Direction, Expr, ExprKind, Function as UserFunction, FunctionBody, Ident, LetValue, Literal, Nulls,
    Operator, ParseKind, ParsePart, ProjectColumn, Query, Source, Span, Tabular,
};
use crate::plan::compile::{self, Binding as Constant};
use crate::plan::text::TermSet;
use crate::plan::{aggregate, functions, CompileError, Environment, Pipeline, Stage};
use crate::rules::{Rule, Warning};
use crate::schema::{self, ColumnType, Table};
use crate::value::Value;

/// What a name stands for in a scope.
#[derive(Debug, Clone)]
enum Binding {
    /// A constant scalar or list (also known to the fast path's compiler).
    Constant,
    /// A scalar known only after the scan, or a function parameter bound to the caller's value.
    Scalar(Scalar, Option<ColumnType>),
    /// A tabular `let`: computed once, shared by its uses.
    Tabular(usize, Vec<Col>),
    Function(Rc<UserFunction>, Rc<Scope>),
}

#[derive(Debug, Clone, Default)]
struct Scope {
    names: HashMap<String, Binding>,
    constants: HashMap<String, Constant>,
}

/// Functions that need Microsoft's cloud and have no offline meaning.
const CLOUD_FUNCTIONS: &[&str] = &[
    "FileProfile",
    "DeviceFromIP",
    "AssignedIPAddresses",
    "SeenBy",
    "geo_info_from_ip_address",
];

struct Planner<'r> {
    rule: &'r Rule,
    environment: &'r Environment,
    now: i64,
    pipelines: Vec<Pipeline>,
    subqueries: Vec<Subquery>,
    shared: Vec<Node>,
    externals: Vec<External>,
    ignored: Vec<String>,
    warnings: Vec<Warning>,
    /// Depth of user-function inlining, bounded against recursion.
    inlining: u32,
    /// Whether the rows at the operator being compiled lost their order (after `summarize`,
    /// `join`, `union`, `distinct`): window functions then need `serialize` or `order by` first.
    unserialized: bool,
    /// Every name the query mentions, when nothing in it reads columns it does not name
    /// (wildcards, `pack_all()`, `arg_max(x, *)`...): then a table's rows that end up in a
    /// `project` or `summarize` need only these columns. `None`: keep whole rows.
    names: Option<std::collections::HashSet<String>>,
    /// Whether the rows being compiled end up in an operator that keeps only named columns.
    narrowing: bool,
}

impl<'r> Planner<'r> {
    /// A planner with nothing compiled yet; `names` as [`Planner::names`].
    fn new(
        rule: &'r Rule,
        environment: &'r Environment,
        now: i64,
        names: Option<std::collections::HashSet<String>>,
    ) -> Planner<'r> {
        Planner {
            rule,
            environment,
            now,
            pipelines: Vec::new(),
            subqueries: Vec::new(),
            shared: Vec::new(),
            externals: Vec::new(),
            ignored: Vec::new(),
            warnings: Vec::new(),
            inlining: 0,
            unserialized: false,
            names,
            narrowing: false,
        }
    }
}

/// Compiles a query that the seed-shape compiler does not take: its pipelines (local indices
/// from 0), the program over their rows, and warnings.
pub fn plan_query(
    rule: &Rule,
    query: &Query,
    now: i64,
    environment: &Environment,
) -> Result<(Vec<Pipeline>, Program, Vec<Warning>), CompileError> {
    let mut planner = Planner::new(rule, environment, now, mentioned_names(query));
    let mut scope = Scope::default();
    for statement in &query.lets {
        planner.bind(&mut scope, &statement.name, &statement.value)?;
    }
    let mut results = vec![planner.tabular(&query.body, &scope)?];
    for (lets, body) in &query.more {
        for statement in lets {
            planner.bind(&mut scope, &statement.name, &statement.value)?;
        }
        results.push(planner.tabular(body, &scope)?);
    }
    let program = Program {
        results,
        subqueries: planner.subqueries,
        shared: planner.shared,
        externals: planner.externals,
        ignored: planner.ignored,
    };
    Ok((planner.pipelines, program, planner.warnings))
}

/// Compiles one scalar expression over given columns, with nothing else in scope (an exclusion
/// of `--exclude`, over a rule's result columns): the scalar and its type. `rule` names the
/// source in errors. An expression that would read a table (`in (T | ...)`) is refused.
pub fn plan_scalar(
    rule: &Rule,
    expr: &Expr,
    columns: &[Col],
    now: i64,
) -> Result<(Scalar, Option<ColumnType>), CompileError> {
    let environment = Environment::default();
    let mut planner = Planner::new(rule, &environment, now, None);
    let compiled = planner.scalar(expr, columns, &Scope::default())?;
    if !planner.pipelines.is_empty() || !planner.subqueries.is_empty() || !planner.externals.is_empty() {
        return Err(planner.error(
            expr.span,
            "this expression reads a table; only the row's own columns can be used here",
        ));
    }
    Ok(compiled)
}

/// A Kusto type name (`string`, `long`, `int`, `guid`, `datetime`...).
pub(crate) fn type_named(name: &str) -> Option<ColumnType> {
    ColumnType::from_kusto(name)
}

/// A value converted to a column type, as Kusto's ingestion (and `datatable`) would.
pub(crate) fn convert(value: Value, ty: Option<ColumnType>) -> Value {
    let Some(ty) = ty else { return value };
    if value.column_type() == Some(ty) {
        return value;
    }
    match value {
        Value::Null if ty == ColumnType::String => Value::String(String::new()),
        Value::Null => Value::Null,
        Value::Long(n) if ty == ColumnType::Real => Value::Real(n as f64),
        other if ty == ColumnType::Dynamic => Value::Dynamic(other.to_json()),
        Value::Dynamic(json) => Value::from_json(Some(&json), ty),
        other => Value::from_json(Some(&Json::String(other.to_text().into_owned())), ty),
    }
}

/// Whether a column or table name matches a pattern with `*` wildcards.
pub(crate) use crate::schema::wildcard_matches as wildcard_match;

/// The name Kusto gives an unnamed column: a column keeps its name, `bin(Col, 1h)` and other
/// calls the name of their first argument's column, `d.a.b` becomes `d_a_b`.
fn derived_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(name) => Some(name.clone()),
        ExprKind::Member { base, member } => {
            let base = derived_name(base)?;
            match &member.kind {
                ExprKind::Literal(Literal::String(s)) => Some(format!("{base}_{s}")),
                ExprKind::Literal(Literal::Long(n)) => Some(format!("{base}_{n}")),
                _ => Some(base),
            }
        }
        ExprKind::Call { args, .. } => args.first().and_then(derived_name),
        _ => None,
    }
}

/// Picks a name not yet in `columns`: `base`, then `base1`, `base2`...
fn unique_name(columns: &[Col], base: &str) -> String {
    if !columns.iter().any(|c| c.name == base) {
        return base.to_string();
    }
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| !columns.iter().any(|c| &c.name == candidate))
        .unwrap_or_else(|| base.to_string())
}

/// `Column1`, `Column2`...: the next free generic name.
fn generic_name(columns: &[Col]) -> String {
    (1..)
        .map(|n| format!("Column{n}"))
        .find(|candidate| !columns.iter().any(|c| &c.name == candidate))
        .unwrap_or_default()
}

fn fold(scalar: Scalar, now: i64) -> Scalar {
    if is_constant(&scalar) {
        if let Scalar::Const(_) = scalar {
            return scalar;
        }
        return Scalar::Const(scalar.eval(&[], &Context::new(now)));
    }
    scalar
}

fn is_constant(scalar: &Scalar) -> bool {
    match scalar {
        Scalar::Const(_) => true,
        Scalar::Column(_) | Scalar::Subquery(_) | Scalar::Neighbour { .. } | Scalar::RowNumber(_) => false,
        Scalar::Call(function, args) => function.name != "new_guid" && args.iter().all(is_constant),
        Scalar::And(args) | Scalar::Or(args) => args.iter().all(is_constant),
        Scalar::Arithmetic(_, a, b)
        | Scalar::Compare(_, a, b)
        | Scalar::TextDynamic(_, a, b)
        | Scalar::Member(a, b) => is_constant(a) && is_constant(b),
        Scalar::Negate(a) | Scalar::Not(a) | Scalar::Text(a, _, _) | Scalar::Regex(a, _) => is_constant(a),
        Scalar::In { operand, set, .. } => is_constant(operand) && matches!(set, InSet::Const(_)),
        Scalar::Terms { operand, set, .. } => is_constant(operand) && matches!(set, TermsOf::Const(_)),
        Scalar::Between { operand, low, high, .. } => is_constant(operand) && is_constant(low) && is_constant(high),
    }
}

/// Operators that take one row at a time (and so may run on the scan's workers).
fn streaming_kind(operator: &Operator) -> bool {
    matches!(
        operator,
        Operator::Where { .. }
            | Operator::Extend { .. }
            | Operator::Project { .. }
            | Operator::ProjectAway { .. }
            | Operator::ProjectKeep { .. }
            | Operator::ProjectRename { .. }
            | Operator::ProjectReorder { .. }
            | Operator::MvExpand { .. }
            | Operator::Parse { .. }
    )
}

fn op_streamable(op: &Op) -> bool {
    match op {
        Op::Where(s) => s.is_streamable(),
        Op::Project(list) => list.iter().all(Scalar::is_streamable),
        Op::Extend(list) => list.iter().all(|(_, s)| s.is_streamable()),
        Op::MvExpand { limit, .. } => limit.is_none(),
        Op::Parse(parser) => parser.source.is_streamable(),
        _ => false,
    }
}

impl Planner<'_> {
    fn error(&self, span: Span, message: impl Into<String>) -> CompileError {
        CompileError::at(self.rule, span, message)
    }

    fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Warning {
            rule: self.rule.id.clone(),
            message: message.into(),
        });
    }

    // ---- let statements ----

    fn bind(&mut self, scope: &mut Scope, name: &Ident, value: &LetValue) -> Result<(), CompileError> {
        let binding = match value {
            LetValue::Function(function) => Binding::Function(Rc::new(function.clone()), Rc::new(scope.clone())),
            LetValue::Tabular(tabular) => {
                let (node, columns) = self.tabular_whole(tabular, scope)?;
                self.shared.push(node);
                Binding::Tabular(self.shared.len() - 1, columns)
            }
            LetValue::Expr(expr) => {
                if let Some((node, columns)) = self.tabular_name(expr, scope)? {
                    self.shared.push(node);
                    Binding::Tabular(self.shared.len() - 1, columns)
                } else if let ExprKind::List(items) = &expr.kind {
                    let mut values = Vec::new();
                    self.constant_list(items, scope, &mut values)?;
                    scope.constants.insert(name.name.clone(), Constant::List(values));
                    Binding::Constant
                } else {
                    let (scalar, ty) = self.scalar(expr, &[], scope)?;
                    match scalar {
                        Scalar::Const(value) => {
                            scope.constants.insert(name.name.clone(), Constant::Scalar(value));
                            Binding::Constant
                        }
                        other => Binding::Scalar(other, ty),
                    }
                }
            }
        };
        if !matches!(binding, Binding::Constant) {
            scope.constants.remove(&name.name);
        }
        scope.names.insert(name.name.clone(), binding);
        Ok(())
    }

    /// A bare name that stands for a table or a tabular `let` (`let T = DeviceEvents;`).
    fn tabular_name(&mut self, expr: &Expr, scope: &Scope) -> Result<Option<(Node, Vec<Col>)>, CompileError> {
        if let ExprKind::Call { name, args } = &expr.kind {
            if let Some(Binding::Function(function, captured)) = scope.names.get(&name.name) {
                if matches!(function.body, FunctionBody::Tabular(_)) {
                    let (function, captured) = (function.clone(), captured.clone());
                    return self
                        .call_tabular_function(&function, &captured, args, scope, name.span)
                        .map(Some);
                }
            }
            return Ok(None);
        }
        let ExprKind::Name(name) = &expr.kind else {
            return Ok(None);
        };
        let is_tabular = match scope.names.get(name) {
            Some(Binding::Tabular(..)) => true,
            Some(_) => false,
            None => schema::table(name).is_some(),
        };
        if !is_tabular {
            return Ok(None);
        }
        let tabular = Tabular {
            source: Source::Name(Ident {
                name: name.clone(),
                span: expr.span,
            }),
            operators: Vec::new(),
            span: expr.span,
        };
        self.tabular(&tabular, scope).map(Some)
    }

    fn constant_list(&mut self, items: &[Expr], scope: &Scope, out: &mut Vec<Value>) -> Result<(), CompileError> {
        for item in items {
            match &item.kind {
                ExprKind::List(inner) => self.constant_list(inner, scope, out)?,
                ExprKind::Name(name) if matches!(scope.constants.get(name), Some(Constant::List(_))) => {
                    if let Some(Constant::List(values)) = scope.constants.get(name) {
                        out.extend(values.iter().cloned());
                    }
                }
                _ => match self.scalar(item, &[], scope)?.0 {
                    Scalar::Const(Value::Dynamic(Json::Array(items))) => out.extend(
                        items
                            .iter()
                            .map(|j| Value::Dynamic(j.clone()))
                            .map(|v| plain(&v).into_owned()),
                    ),
                    Scalar::Const(value) => out.push(value),
                    _ => return Err(self.error(item.span, "expected a constant value in the list")),
                },
            }
        }
        Ok(())
    }

    // ---- tabular expressions ----

    fn tabular(&mut self, tabular: &Tabular, scope: &Scope) -> Result<(Node, Vec<Col>), CompileError> {
        let outer = std::mem::replace(&mut self.unserialized, false);
        let narrowing = self.narrowing;
        let result = self.tabular_chain(tabular, scope);
        self.unserialized = outer;
        self.narrowing = narrowing;
        result
    }

    /// Compiles a tabular expression whose rows are used whole elsewhere (a `let`, `in (...)`,
    /// `toscalar(...)`): its tables keep every column unless its own operators narrow them.
    fn tabular_whole(&mut self, tabular: &Tabular, scope: &Scope) -> Result<(Node, Vec<Col>), CompileError> {
        let narrowing = std::mem::replace(&mut self.narrowing, false);
        let result = self.tabular(tabular, scope);
        self.narrowing = narrowing;
        result
    }

    fn tabular_chain(&mut self, tabular: &Tabular, scope: &Scope) -> Result<(Node, Vec<Col>), CompileError> {
        let operators = &tabular.operators;
        let (mut node, mut columns, mut rest, mut ops) = match &tabular.source {
            Source::Name(name) if !name.name.contains('*') && !scope.names.contains_key(&name.name) => {
                match schema::table(&name.name) {
                    Some(table) => {
                        self.check_variant(table, operators);
                        let narrowed = self.narrowing || operators.iter().any(narrows);
                        let (node, columns, consumed, leftover) = self.pipeline(table, operators, scope, narrowed)?;
                        self.unserialized = operators[..consumed]
                            .iter()
                            .any(|o| matches!(o, Operator::Summarize { .. }));
                        (node, columns, &operators[consumed..], leftover)
                    }
                    None => return Err(self.unknown_table(name)),
                }
            }
            source => {
                let (node, columns) = self.source(source, scope, tabular.span)?;
                (node, columns, &operators[..], Vec::new())
            }
        };
        while let Some((operator, tail)) = rest.split_first() {
            rest = tail;
            if let Operator::Invoke { name, args, span } = operator {
                if let Some(Binding::Function(function, captured)) = scope.names.get(&name.name) {
                    // The piped input is the function's first (tabular) parameter.
                    let (function, captured) = (function.clone(), captured.clone());
                    let Some(first) = function.params.first() else {
                        return Err(self.error(name.span, "`invoke` needs a function with a tabular first parameter"));
                    };
                    let input = if ops.is_empty() {
                        node
                    } else {
                        Node::Apply(Box::new(node), std::mem::take(&mut ops))
                    };
                    self.shared.push(input);
                    let mut inner = (*captured).clone();
                    inner.names.insert(
                        first.name.name.clone(),
                        Binding::Tabular(self.shared.len() - 1, columns),
                    );
                    let rest_params = UserFunction {
                        params: function.params[1..].to_vec(),
                        lets: function.lets.clone(),
                        body: function.body.clone(),
                        span: function.span,
                    };
                    (node, columns) = self.call_tabular_function(&rest_params, &inner, args, scope, *span)?;
                    continue;
                }
            }
            let outer = self.unserialized;
            if matches!(operator, Operator::Serialize { .. }) {
                self.unserialized = false;
            }
            // A join's or union's other side ends where this chain does.
            let narrowing = self.narrowing;
            self.narrowing = narrowing || rest.iter().any(narrows);
            let compiled = self.operator(operator, columns, scope, &mut ops);
            self.narrowing = narrowing;
            columns = compiled?;
            self.unserialized = match operator {
                Operator::Summarize { .. }
                | Operator::Join { .. }
                | Operator::Lookup { .. }
                | Operator::Union { .. }
                | Operator::Distinct { .. } => true,
                Operator::OrderBy { .. } | Operator::Top { .. } | Operator::Serialize { .. } => false,
                _ => outer,
            };
        }
        if !ops.is_empty() {
            node = Node::Apply(Box::new(node), ops);
        }
        Ok((node, columns))
    }

    fn unknown_table(&self, name: &Ident) -> CompileError {
        let hint = schema::names()
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&name.name))
            .map(|known| format!(" (did you mean `{known}`? table names are case-sensitive)"))
            .unwrap_or_default();
        self.error(
            name.span,
            format!("unknown table or tabular name `{}`{hint}", name.name),
        )
    }

    /// A scan pipeline for `table` and the operators at the start of `operators` it takes: the
    /// leading `where`s the fast path's compiler accepts, then streaming operators.
    fn pipeline(
        &mut self,
        table: &'static Table,
        operators: &[Operator],
        scope: &Scope,
        narrowed: bool,
    ) -> Result<(Node, Vec<Col>, usize, Vec<Op>), CompileError> {
        let mut streaming = Vec::new();
        let mut consumed = 0;
        for operator in operators {
            let Operator::Where { predicate, .. } = operator else {
                break;
            };
            match compile::fast_predicate(self.rule, self.now, &scope.constants, &table.columns, predicate) {
                Some(compiled) if !self.shadows_constant(predicate, scope) => {
                    streaming.push(Stage::Where(compiled));
                    consumed += 1;
                }
                _ => break,
            }
        }
        let mut columns: Vec<Col> = table
            .columns
            .iter()
            .map(|c| Col::new(c.name.clone(), Some(c.ty)))
            .collect();
        let mut engine = Vec::new();
        // Rows that end in a `project` or `summarize` need only the columns the query names:
        // keep those, so that the scan parses and holds no others.
        if let (true, Some(names)) = (narrowed, &self.names) {
            let keep: Vec<usize> = (0..columns.len())
                .filter(|&i| names.contains(&columns[i].name))
                .collect();
            if keep.len() < columns.len() {
                engine.push(Op::Project(keep.iter().map(|&i| Scalar::Column(i)).collect()));
                columns = keep.into_iter().map(|i| columns[i].clone()).collect();
            }
        }
        let mut leftover = Vec::new();
        let mut summarize = None;
        for operator in &operators[consumed..] {
            let is_summarize = matches!(operator, Operator::Summarize { .. });
            if !streaming_kind(operator) && !is_summarize {
                break;
            }
            let mut ops = Vec::new();
            columns = self.operator(operator, columns, scope, &mut ops)?;
            consumed += 1;
            if is_summarize {
                // A summarize right after the streaming operators runs on the workers too, as
                // partial groups merged in input order.
                let mut rest = ops.into_iter();
                match rest.next() {
                    Some(Op::Summarize(s)) if s.is_streamable() => {
                        summarize = Some(s);
                        leftover.extend(rest);
                    }
                    first => leftover.extend(first.into_iter().chain(rest)),
                }
                break;
            }
            if !ops.iter().all(op_streamable) {
                leftover = ops;
                break;
            }
            engine.extend(ops);
        }
        let pipeline = Pipeline {
            id: self.rule.id.clone(),
            title: self.rule.title.clone(),
            source: self.rule.source.clone(),
            table,
            streaming,
            tail: Vec::new(),
            columns: table.columns.clone(),
            engine,
            summarize,
            reads: Default::default(),
        };
        self.pipelines.push(pipeline);
        Ok((Node::Pipeline(self.pipelines.len() - 1), columns, consumed, leftover))
    }

    /// Warns when a query reads a table with columns only Advanced Hunting has together with
    /// columns only Log Analytics has (`Timestamp` and `TimeGenerated`): no export of either
    /// shape has both, so such a filter matches nothing.
    fn check_variant(&mut self, table: &Table, operators: &[Operator]) {
        let mut used: Vec<String> = Vec::new();
        for operator in operators {
            let mut note = |name: &str| {
                if table.column_index(name).is_some() && !used.iter().any(|u| u == name) {
                    used.push(name.to_string());
                }
            };
            match operator {
                Operator::Where { predicate, .. } => visit_names(predicate, &mut note),
                Operator::Extend { columns, .. } | Operator::Project { columns, .. } => {
                    columns.iter().for_each(|c| visit_names(&c.expr, &mut note))
                }
                Operator::Summarize { aggregates, by, .. } => aggregates
                    .iter()
                    .chain(by)
                    .for_each(|c| visit_names(&c.expr, &mut note)),
                Operator::OrderBy { keys, .. } | Operator::Top { keys, .. } => {
                    keys.iter().for_each(|k| visit_names(&k.expr, &mut note))
                }
                // Later operators see other columns than the table's.
                _ => break,
            }
        }
        let used: Vec<&str> = used.iter().map(String::as_str).collect();
        if let schema::VariantCheck::Mixed { ah_only, la_only } = schema::variant_of(table, &used) {
            self.warn(format!(
                "the query reads {} with columns only its Advanced Hunting schema has ({}) and columns only its Log Analytics schema has ({}): no export has both",
                table.name,
                ah_only.join(", "),
                la_only.join(", ")
            ));
        }
    }

    /// Whether a predicate names something the fast path's compiler would read differently
    /// (a non-constant `let`, a user function): then the engine evaluates it.
    fn shadows_constant(&self, predicate: &Expr, scope: &Scope) -> bool {
        let mut found = false;
        visit_names(predicate, &mut |name| {
            if matches!(
                scope.names.get(name),
                Some(Binding::Scalar(..) | Binding::Tabular(..) | Binding::Function(..))
            ) {
                found = true;
            }
        });
        found
    }
}
