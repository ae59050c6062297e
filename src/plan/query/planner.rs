//! From a query's syntax tree to scan pipelines and a [`Program`]: names resolved (columns,
//! `let` values, tabular `let`s, user functions), columns and their types followed through
//! every operator, and each operator placed where it runs — the leading `where`s of a table in
//! the fast path, the streaming operators after them on the workers, the rest after the scan.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value as Json;

use super::expr::{plain, Context, InSet, Scalar, TermsOf, TextTest, ValueSet};
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

/// Compiles a query that the seed-shape compiler does not take: its pipelines (local indices
/// from 0), the program over their rows, and warnings.
pub fn plan_query(
    rule: &Rule,
    query: &Query,
    now: i64,
    environment: &Environment,
) -> Result<(Vec<Pipeline>, Program, Vec<Warning>), CompileError> {
    let mut planner = Planner {
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
        names: mentioned_names(query),
        narrowing: false,
    };
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

fn value_type(value: &Value) -> Option<ColumnType> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => ColumnType::Bool,
        Value::Long(_) => ColumnType::Long,
        Value::Real(_) => ColumnType::Real,
        Value::DateTime(_) => ColumnType::DateTime,
        Value::TimeSpan(_) => ColumnType::TimeSpan,
        Value::String(_) => ColumnType::String,
        Value::Dynamic(_) => ColumnType::Dynamic,
    })
}

/// A Kusto type name (`string`, `long`, `int`, `guid`, `datetime`...).
pub(crate) fn type_named(name: &str) -> Option<ColumnType> {
    Some(match name {
        "string" | "guid" | "uniqueid" => ColumnType::String,
        "long" | "int" | "int64" | "int32" => ColumnType::Long,
        "real" | "double" | "decimal" => ColumnType::Real,
        "bool" | "boolean" => ColumnType::Bool,
        "datetime" | "date" => ColumnType::DateTime,
        "timespan" | "time" => ColumnType::TimeSpan,
        "dynamic" => ColumnType::Dynamic,
        _ => return None,
    })
}

/// A value converted to a column type, as Kusto's ingestion (and `datatable`) would.
pub(crate) fn convert(value: Value, ty: Option<ColumnType>) -> Value {
    let Some(ty) = ty else { return value };
    if value_type(&value) == Some(ty) {
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

/// Whether `name` matches a pattern with `*` wildcards.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

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
        let hint = schema::tables()
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(&name.name))
            .map(|t| format!(" (did you mean `{}`? table names are case-sensitive)", t.name))
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

    fn source(&mut self, source: &Source, scope: &Scope, span: Span) -> Result<(Node, Vec<Col>), CompileError> {
        match source {
            Source::Name(name) => {
                if name.name.contains('*') {
                    let union = kql::Union {
                        kind: None,
                        with_source: None,
                        is_fuzzy: false,
                        legs: vec![Tabular {
                            source: source.clone(),
                            operators: Vec::new(),
                            span: name.span,
                        }],
                        span: name.span,
                    };
                    let (legs, columns) = self.union_legs(&union, scope, None)?;
                    return Ok((Node::Union(legs), columns));
                }
                match scope.names.get(&name.name) {
                    Some(Binding::Tabular(index, columns)) => Ok((Node::Shared(*index), columns.clone())),
                    Some(Binding::Function(function, captured)) if function.params.is_empty() => {
                        let (function, captured) = (function.clone(), captured.clone());
                        self.call_tabular_function(&function, &captured, &[], scope, name.span)
                    }
                    _ => Err(self.error(name.span, format!("`{}` is not a tabular expression", name.name))),
                }
            }
            Source::Subquery(inner) => self.tabular(inner, scope),
            Source::Union(union) => {
                let (legs, columns) = self.union_legs(union, scope, None)?;
                Ok((Node::Union(legs), columns))
            }
            Source::Datatable { columns, values } => {
                let columns = self.declared_columns(columns)?;
                if columns.is_empty() {
                    return Err(self.error(span, "`datatable` needs at least one column"));
                }
                if values.len() % columns.len() != 0 {
                    return Err(self.error(
                        span,
                        format!(
                            "`datatable` has {} values, not a multiple of its {} columns",
                            values.len(),
                            columns.len()
                        ),
                    ));
                }
                let mut rows = Vec::new();
                for chunk in values.chunks(columns.len()) {
                    let mut row = Vec::with_capacity(columns.len());
                    for (value, column) in chunk.iter().zip(&columns) {
                        let Scalar::Const(v) = self.scalar(value, &[], scope)?.0 else {
                            return Err(self.error(value.span, "`datatable` values must be constants"));
                        };
                        row.push(convert(v, column.ty));
                    }
                    rows.push(Row {
                        values: row,
                        origin: None,
                    });
                }
                Ok((
                    Node::Rows(Arc::new(Rows {
                        columns: columns.clone(),
                        rows,
                    })),
                    columns,
                ))
            }
            Source::ExternalData {
                columns,
                urls,
                properties,
            } => {
                let columns = self.declared_columns(columns)?;
                let mut format = "csv".to_string();
                let mut ignore_first_record = false;
                for (key, value) in properties {
                    let value = self.scalar(value, &[], scope)?.0;
                    let Scalar::Const(value) = value else { continue };
                    match key.name.as_str() {
                        "format" => format = value.to_text().to_lowercase(),
                        "ignoreFirstRecord" => {
                            ignore_first_record = matches!(plain(&value).as_ref(), Value::Bool(true))
                                || value.to_text().eq_ignore_ascii_case("true")
                        }
                        _ => {}
                    }
                }
                if !matches!(
                    format.as_str(),
                    "csv" | "txt" | "json" | "multijson" | "tsv" | "scsv" | "psv"
                ) {
                    return Err(self.error(span, format!("unsupported `externaldata` format `{format}`")));
                }
                self.externals.push(External {
                    kind: ExternalKind::Url {
                        urls: urls.iter().map(|(url, _)| url.clone()).collect(),
                        format,
                        ignore_first_record,
                    },
                    columns: columns.clone(),
                    span,
                });
                Ok((Node::External(self.externals.len() - 1), columns))
            }
            Source::Print(items) => {
                let mut columns = Vec::new();
                let mut values = Vec::new();
                for item in items {
                    let (scalar, ty) = self.scalar(&item.expr, &[], scope)?;
                    let name = match &item.name {
                        Some(name) => name.name.clone(),
                        None => generic_name(&columns)
                            .replace("Column", "print_")
                            .replace("print_1", "print_0"),
                    };
                    columns.push(Col::new(name, ty));
                    values.push(scalar);
                }
                let row = Rows {
                    columns: Vec::new(),
                    rows: vec![Row {
                        values: Vec::new(),
                        origin: None,
                    }],
                };
                let node = Node::Apply(Box::new(Node::Rows(Arc::new(row))), vec![Op::Project(values)]);
                Ok((node, columns))
            }
            Source::Range { name, from, to, step } => {
                let from = self.scalar(from, &[], scope)?;
                let to = self.scalar(to, &[], scope)?.0;
                let step = self.scalar(step, &[], scope)?.0;
                let (Scalar::Const(start), Scalar::Const(end), Scalar::Const(step)) = (from.0, to, step) else {
                    return Err(self.error(name.span, "`range` bounds must be constants"));
                };
                let mut rows = Vec::new();
                let mut value = start.clone();
                let ascending = step_positive(&step);
                while rows.len() < 10_000_000 {
                    let inside = super::expr::compare(
                        &value,
                        if ascending {
                            kql::Comparison::Le
                        } else {
                            kql::Comparison::Ge
                        },
                        &end,
                    );
                    if inside != Some(true) {
                        break;
                    }
                    rows.push(Row {
                        values: vec![value.clone()],
                        origin: None,
                    });
                    value = super::expr::arithmetic(kql::Arithmetic::Add, &value, &step);
                }
                let columns = vec![Col::new(name.name.clone(), from.1)];
                Ok((
                    Node::Rows(Arc::new(Rows {
                        columns: columns.clone(),
                        rows,
                    })),
                    columns,
                ))
            }
            Source::Call { name, args } => self.tabular_call(name, args, scope),
        }
    }

    fn tabular_call(&mut self, name: &Ident, args: &[Expr], scope: &Scope) -> Result<(Node, Vec<Col>), CompileError> {
        if CLOUD_FUNCTIONS.contains(&name.name.as_str()) {
            return Err(self.cloud_only(name));
        }
        match name.name.as_str() {
            "materialize" | "view" => match args {
                [Expr {
                    kind: ExprKind::Tabular(inner),
                    ..
                }] => self.tabular(inner, scope),
                [expr] => match self.tabular_name(expr, scope)? {
                    Some(found) => Ok(found),
                    None => Err(self.error(expr.span, "`materialize()` takes a tabular expression")),
                },
                _ => Err(self.error(name.span, "`materialize()` takes one tabular expression")),
            },
            "_GetWatchlist" => {
                let [arg] = args else {
                    return Err(self.error(name.span, "`_GetWatchlist()` takes the watchlist's name"));
                };
                let Scalar::Const(value) = self.scalar(arg, &[], scope)?.0 else {
                    return Err(self.error(arg.span, "`_GetWatchlist()` takes a constant name"));
                };
                let watchlist = value.to_text().into_owned();
                let Some((_, header)) = self.environment.watchlists.iter().find(|(n, _)| *n == watchlist) else {
                    return Err(self.error(
                        name.span,
                        format!("`_GetWatchlist('{watchlist}')`: give the watchlist's CSV file with --watchlist '{watchlist}=PATH'"),
                    ));
                };
                // Sentinel's columns first, then the file's own (all strings).
                let mut columns = vec![
                    Col::new("_DTItemId", Some(ColumnType::String)),
                    Col::new("LastUpdatedTimeUTC", Some(ColumnType::DateTime)),
                    Col::new("SearchKey", Some(ColumnType::String)),
                    Col::new("WatchlistItem", Some(ColumnType::Dynamic)),
                ];
                for column in header {
                    if !columns.iter().any(|c| &c.name == column) {
                        columns.push(Col::new(column.clone(), Some(ColumnType::String)));
                    }
                }
                self.externals.push(External {
                    kind: ExternalKind::Watchlist { name: watchlist },
                    columns: columns.clone(),
                    span: name.span,
                });
                Ok((Node::External(self.externals.len() - 1), columns))
            }
            _ => match scope.names.get(&name.name) {
                Some(Binding::Function(function, captured)) => {
                    let (function, captured) = (function.clone(), captured.clone());
                    self.call_tabular_function(&function, &captured, args, scope, name.span)
                }
                _ => Err(self.error(name.span, format!("unsupported tabular function `{}()`", name.name))),
            },
        }
    }

    fn cloud_only(&self, name: &Ident) -> CompileError {
        self.error(
            name.span,
            format!(
                "`{}()` needs Microsoft's cloud (it looks data up in Defender's or Sentinel's services), which loghunt does not reach offline",
                name.name
            ),
        )
    }

    /// A function's parameters bound to the call's arguments, in a scope for its body.
    fn call_scope(
        &mut self,
        function: &UserFunction,
        captured: &Scope,
        args: &[Expr],
        columns: &[Col],
        caller: &Scope,
        span: Span,
    ) -> Result<Scope, CompileError> {
        self.inlining += 1;
        if self.inlining > 32 {
            return Err(self.error(span, "functions call each other too deeply (more than 32 levels)"));
        }
        if args.len() > function.params.len() {
            return Err(self.error(span, format!("the function takes {} arguments", function.params.len())));
        }
        let mut scope = captured.clone();
        for (i, param) in function.params.iter().enumerate() {
            let name = &param.name.name;
            scope.names.remove(name);
            scope.constants.remove(name);
            let arg = match (args.get(i), &param.default) {
                (Some(arg), _) => (arg, caller),
                (None, Some(default)) => (default, captured),
                (None, None) => return Err(self.error(span, format!("missing argument `{name}`"))),
            };
            if param.ty.name == "table" {
                let (node, cols) = match self.tabular_name(arg.0, arg.1)? {
                    Some(found) => found,
                    None => match &arg.0.kind {
                        ExprKind::Tabular(inner) => self.tabular(inner, arg.1)?,
                        _ => return Err(self.error(arg.0.span, "expected a tabular argument")),
                    },
                };
                self.shared.push(node);
                scope
                    .names
                    .insert(name.clone(), Binding::Tabular(self.shared.len() - 1, cols));
                continue;
            }
            let (scalar, ty) = self.scalar(arg.0, columns, arg.1)?;
            match scalar {
                Scalar::Const(value) => {
                    scope.constants.insert(name.clone(), Constant::Scalar(value));
                    scope.names.insert(name.clone(), Binding::Constant);
                }
                other => {
                    scope.names.insert(name.clone(), Binding::Scalar(other, ty));
                }
            }
        }
        for statement in &function.lets {
            self.bind(&mut scope, &statement.name, &statement.value)?;
        }
        Ok(scope)
    }

    fn call_tabular_function(
        &mut self,
        function: &UserFunction,
        captured: &Scope,
        args: &[Expr],
        caller: &Scope,
        span: Span,
    ) -> Result<(Node, Vec<Col>), CompileError> {
        let scope = self.call_scope(function, captured, args, &[], caller, span)?;
        let result = match &function.body {
            FunctionBody::Tabular(body) => self.tabular(body, &scope),
            FunctionBody::Scalar(_) => Err(self.error(span, "the function returns a scalar, not a table")),
        };
        self.inlining -= 1;
        result
    }

    fn declared_columns(&self, columns: &[kql::ColumnDecl]) -> Result<Vec<Col>, CompileError> {
        columns
            .iter()
            .map(|c| match type_named(&c.ty.name) {
                Some(ty) => Ok(Col::new(c.name.name.clone(), Some(ty))),
                None => Err(self.error(c.ty.span, format!("unknown type `{}`", c.ty.name))),
            })
            .collect()
    }

    fn union_legs(
        &mut self,
        union: &kql::Union,
        scope: &Scope,
        input: Option<(&[Col], Option<String>)>,
    ) -> Result<(Vec<UnionLeg>, Vec<Col>), CompileError> {
        let mut legs: Vec<(Node, Vec<Col>, Option<String>)> = Vec::new();
        for leg in &union.legs {
            match &leg.source {
                Source::Name(name) if name.name.contains('*') && !scope.names.contains_key(&name.name) => {
                    let mut found = false;
                    for table in schema::tables().iter().filter(|t| wildcard_match(&name.name, &t.name)) {
                        let narrowed = self.narrowing;
                        let (node, columns, _, _) = self.pipeline(table, &[], scope, narrowed)?;
                        legs.push((node, columns, Some(table.name.clone())));
                        found = true;
                    }
                    if !found && !union.is_fuzzy {
                        return Err(self.error(name.span, format!("no known table matches `{}`", name.name)));
                    }
                }
                Source::Name(name)
                    if union.is_fuzzy
                        && !scope.names.contains_key(&name.name)
                        && schema::table(&name.name).is_none() =>
                {
                    self.warn(format!(
                        "union isfuzzy=true: `{}` is not a known table and is left out",
                        name.name
                    ));
                }
                source => {
                    let label = match source {
                        Source::Name(name) => Some(name.name.clone()),
                        _ => None,
                    };
                    match self.tabular(leg, scope) {
                        Ok((node, columns)) => legs.push((node, columns, label)),
                        // `isfuzzy=true`: a leg naming a table or view that does not exist is left
                        // out; any other error stays one (a leg must not vanish silently).
                        Err(e) if union.is_fuzzy && e.message.starts_with("unknown table or tabular name") => {
                            self.warn(format!("union isfuzzy=true: a leg is left out: {}", e.message))
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let inner = match &union.kind {
            None => false,
            Some(kind) => match kind.name.as_str() {
                "outer" => false,
                "inner" => true,
                other => return Err(self.error(kind.span, format!("unknown union kind `{other}`"))),
            },
        };
        let mut all: Vec<&[Col]> = Vec::new();
        if let Some((columns, _)) = &input {
            all.push(columns);
        }
        all.extend(legs.iter().map(|(_, c, _)| c.as_slice()));
        // A name with different known types in different legs becomes one column per type,
        // `name_type` (Kusto's union page: `x_long`, `x_string`).
        let mut names: Vec<&str> = all
            .iter()
            .flat_map(|cols| cols.iter().map(|c| c.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let conflicted: Vec<String> = names
            .into_iter()
            .filter(|name| {
                // `dynamic` is left out: a type inferred through functions (`iff` of an array
                // element and a string) is often dynamic where Kusto's is not.
                let mut types: Vec<&str> = all
                    .iter()
                    .flat_map(|cols| cols.iter().filter(|c| c.name == *name).filter_map(|c| c.ty))
                    .filter(|t| *t != ColumnType::Dynamic)
                    .map(ColumnType::name)
                    .collect();
                types.sort_unstable();
                types.dedup();
                types.len() > 1
            })
            .map(str::to_string)
            .collect();
        // `name_type`, made unique against the names no conflict touches (`x_long1` when a leg
        // has its own `x_long`).
        let plain_names: Vec<String> = all
            .iter()
            .flat_map(|cols| cols.iter())
            .filter(|c| !conflicted.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        let renamed = |name: &str, ty: ColumnType| -> String {
            let base = format!("{name}_{}", ty.name());
            if !plain_names.contains(&base) {
                return base;
            }
            (1..)
                .map(|n| format!("{base}{n}"))
                .find(|n| !plain_names.contains(n))
                .unwrap_or(base)
        };
        let output_name = |column: &Col| match column.ty {
            Some(ty) if conflicted.contains(&column.name) => renamed(&column.name, ty),
            _ => column.name.clone(),
        };
        let mut output: Vec<Col> = Vec::new();
        for columns in &all {
            for column in columns.iter() {
                let name = output_name(column);
                if !output.iter().any(|c| c.name == name) {
                    output.push(Col::new(name, column.ty));
                }
            }
        }
        if inner {
            output.retain(|c| all.iter().all(|cols| cols.iter().any(|x| x.name == c.name)));
        }
        let mapping = |columns: &[Col]| -> Vec<Option<usize>> {
            output
                .iter()
                .map(|o| columns.iter().position(|c| output_name(c) == o.name))
                .collect()
        };
        let offset = usize::from(input.is_some());
        let mut result: Vec<UnionLeg> = legs
            .into_iter()
            .enumerate()
            .map(|(i, (node, columns, label))| UnionLeg {
                mapping: mapping(&columns),
                node,
                source: Some(label.unwrap_or_else(|| format!("union_arg{}", i + offset))),
                fill: Vec::new(),
            })
            .collect();
        if let Some(with_source) = &union.with_source {
            output.insert(0, Col::new(with_source.name.clone(), Some(ColumnType::String)));
            for leg in &mut result {
                leg.mapping.insert(0, None);
            }
        } else {
            for leg in &mut result {
                leg.source = None;
            }
        }
        let fill = union_fill(&output);
        for leg in &mut result {
            leg.fill.clone_from(&fill);
        }
        Ok((result, output))
    }

    // ---- operators ----

    /// Compiles one operator over `columns` into `ops`; returns the columns after it.
    fn operator(
        &mut self,
        operator: &Operator,
        columns: Vec<Col>,
        scope: &Scope,
        ops: &mut Vec<Op>,
    ) -> Result<Vec<Col>, CompileError> {
        match operator {
            Operator::Where { predicate, .. } => {
                let (scalar, _) = self.scalar(predicate, &columns, scope)?;
                // Kusto pushes a filter on the left side's columns below an innerunique join,
                // before the left side is deduplicated (the join page: such a query "will
                // always give" the filtered left rows' matches). The left columns come first in
                // the join's output, so the filter reads the left rows the same way.
                if let Some(Op::Join(join)) = ops.last() {
                    let left_width = join.output.iter().filter(|(left, _)| *left).count();
                    let pushable = join.kind == JoinKind::InnerUnique
                        && join
                            .output
                            .iter()
                            .take(left_width)
                            .enumerate()
                            .all(|(i, &(left, c))| left && c == i)
                        && scalar.reads_only_below(left_width)
                        && !scalar.uses_window();
                    if pushable {
                        let join = ops.pop();
                        ops.push(Op::Where(scalar));
                        ops.extend(join);
                        return Ok(columns);
                    }
                }
                ops.push(Op::Where(scalar));
                Ok(columns)
            }
            Operator::Extend { columns: items, .. } => {
                let mut out = columns;
                let mut list = Vec::new();
                // Every expression sees the input row: later items do not see earlier ones'
                // values unless they are separate `extend`s... Kusto lets later items use
                // earlier ones, so each item is compiled against the growing column list and
                // evaluated in order on the growing row.
                for item in items {
                    let (scalar, ty) = self.scalar(&item.expr, &out, scope)?;
                    let name = match &item.name {
                        Some(name) => name.name.clone(),
                        None => derived_name(&item.expr).unwrap_or_else(|| generic_name(&out)),
                    };
                    match out.iter().position(|c| c.name == name) {
                        Some(i) => {
                            out[i].ty = ty;
                            list.push((Some(i), scalar));
                        }
                        None => {
                            out.push(Col::new(name, ty));
                            list.push((None, scalar));
                        }
                    }
                }
                ops.push(Op::Extend(list));
                Ok(out)
            }
            Operator::Project { columns: items, .. } => {
                let mut out: Vec<Col> = Vec::new();
                let mut list = Vec::new();
                for item in items {
                    if let (None, ExprKind::Name(name)) = (&item.name, &item.expr.kind) {
                        if name.contains('*') {
                            for (i, c) in columns.iter().enumerate() {
                                if wildcard_match(name, &c.name) && !out.iter().any(|o| o.name == c.name) {
                                    out.push(c.clone());
                                    list.push(Scalar::Column(i));
                                }
                            }
                            continue;
                        }
                    }
                    let (scalar, ty) = self.scalar(&item.expr, &columns, scope)?;
                    let name = match &item.name {
                        Some(name) => name.name.clone(),
                        None => derived_name(&item.expr).unwrap_or_else(|| generic_name(&out)),
                    };
                    if out.iter().any(|c| c.name == name) {
                        return Err(self.error(item.expr.span, format!("column `{name}` is projected twice")));
                    }
                    out.push(Col::new(name, ty));
                    list.push(scalar);
                }
                ops.push(Op::Project(list));
                Ok(out)
            }
            Operator::ProjectAway { columns: patterns, .. } | Operator::ProjectKeep { columns: patterns, .. } => {
                let away = matches!(operator, Operator::ProjectAway { .. });
                for pattern in patterns {
                    if !pattern.name.contains('*') && !columns.iter().any(|c| c.name == pattern.name) {
                        return Err(self.unknown_column(&pattern.name, pattern.span, &columns));
                    }
                }
                let keep: Vec<usize> = (0..columns.len())
                    .filter(|&i| patterns.iter().any(|p| wildcard_match(&p.name, &columns[i].name)) != away)
                    .collect();
                ops.push(Op::Project(keep.iter().map(|&i| Scalar::Column(i)).collect()));
                Ok(keep.into_iter().map(|i| columns[i].clone()).collect())
            }
            Operator::ProjectRename { renames, .. } => {
                let mut out = columns;
                for (new, old) in renames {
                    let Some(i) = out.iter().position(|c| c.name == old.name) else {
                        return Err(self.unknown_column(&old.name, old.span, &out));
                    };
                    out[i].name = new.name.clone();
                }
                Ok(out)
            }
            Operator::ProjectReorder { columns: patterns, .. } => {
                let mut order: Vec<usize> = Vec::new();
                for (pattern, direction) in patterns {
                    let mut matched: Vec<usize> = (0..columns.len())
                        .filter(|&i| !order.contains(&i) && wildcard_match(&pattern.name, &columns[i].name))
                        .collect();
                    // A name an earlier pattern (`*`) already placed is no error.
                    let known = columns.iter().any(|c| wildcard_match(&pattern.name, &c.name));
                    if !known && !pattern.name.contains('*') {
                        return Err(self.unknown_column(&pattern.name, pattern.span, &columns));
                    }
                    match direction {
                        Some(Direction::Asc) => matched.sort_by(|a, b| columns[*a].name.cmp(&columns[*b].name)),
                        Some(Direction::Desc) => matched.sort_by(|a, b| columns[*b].name.cmp(&columns[*a].name)),
                        None => {}
                    }
                    order.extend(matched);
                }
                let rest: Vec<usize> = (0..columns.len()).filter(|i| !order.contains(i)).collect();
                order.extend(rest);
                ops.push(Op::Project(order.iter().map(|&i| Scalar::Column(i)).collect()));
                Ok(order.into_iter().map(|i| columns[i].clone()).collect())
            }
            Operator::Summarize { aggregates, by, .. } => self.summarize_computed(aggregates, by, columns, scope, ops),
            Operator::OrderBy { keys, .. } => {
                let keys = self.sort_keys(keys, &columns, scope)?;
                ops.push(Op::Sort(keys));
                Ok(columns)
            }
            Operator::Take { count, .. } => {
                let n = self.count(count, scope)?;
                ops.push(Op::Take(n));
                Ok(columns)
            }
            Operator::Top { count, keys, .. } => {
                let n = self.count(count, scope)?;
                let keys = self.sort_keys(keys, &columns, scope)?;
                ops.push(Op::Top(n, keys));
                Ok(columns)
            }
            Operator::Distinct { columns: items, .. } => {
                let out = if items.is_empty() {
                    columns
                } else {
                    let project = Operator::Project {
                        columns: items.clone(),
                        span: operator.span(),
                    };
                    self.operator(&project, columns, scope, ops)?
                };
                ops.push(Op::Distinct);
                Ok(out)
            }
            Operator::Count { .. } => {
                ops.push(Op::Count);
                Ok(vec![Col::new("Count", Some(ColumnType::Long))])
            }
            Operator::Join { kind, right, on, span } | Operator::Lookup { kind, right, on, span } => {
                let lookup = matches!(operator, Operator::Lookup { .. });
                self.join(lookup, kind.as_ref(), right, on, *span, columns, scope, ops)
            }
            Operator::Union { union, .. } => {
                let input_label = None;
                let (legs, out) = self.union_legs(union, scope, Some((&columns, input_label)))?;
                let mut input_mapping: Vec<Option<usize>> = out
                    .iter()
                    .map(|o| columns.iter().position(|c| c.name == o.name))
                    .collect();
                let input_source = union.with_source.as_ref().map(|_| "union_arg0".to_string());
                if union.with_source.is_some() {
                    input_mapping[0] = None;
                }
                ops.push(Op::Union {
                    legs,
                    input_mapping,
                    input_source,
                    input_fill: union_fill(&out),
                });
                Ok(out)
            }
            Operator::MvExpand {
                columns: items,
                limit,
                array_bags,
                item_index,
                ..
            } => {
                let mut out = columns;
                let mut extend = Vec::new();
                let mut expand = Vec::new();
                for item in items {
                    let to = match &item.to_type {
                        Some(ty) => Some(
                            type_named(&ty.name)
                                .ok_or_else(|| self.error(ty.span, format!("unknown type `{}`", ty.name)))?,
                        ),
                        None => None,
                    };
                    let name = match &item.name {
                        Some(name) => Some(name.name.clone()),
                        None => derived_name(&item.expr),
                    };
                    let existing = name.as_ref().and_then(|n| out.iter().position(|c| &c.name == n));
                    let index = match (&item.name, &item.expr.kind, existing) {
                        (None, ExprKind::Name(_), Some(i)) => i,
                        _ => {
                            let (scalar, _) = self.scalar(&item.expr, &out, scope)?;
                            let name = name.unwrap_or_else(|| generic_name(&out));
                            match out.iter().position(|c| c.name == name) {
                                Some(i) => {
                                    extend.push((Some(i), scalar));
                                    i
                                }
                                None => {
                                    out.push(Col::new(name, Some(ColumnType::Dynamic)));
                                    extend.push((None, scalar));
                                    out.len() - 1
                                }
                            }
                        }
                    };
                    out[index].ty = Some(to.unwrap_or(ColumnType::Dynamic));
                    expand.push((index, to));
                }
                if !extend.is_empty() {
                    ops.push(Op::Extend(extend));
                }
                let limit = match limit {
                    Some(limit) => Some(self.count(limit, scope)?),
                    None => None,
                };
                if let Some(index) = item_index {
                    out.push(Col::new(index.name.clone(), Some(ColumnType::Long)));
                }
                ops.push(Op::MvExpand {
                    columns: expand,
                    limit,
                    array_bags: *array_bags,
                    item_index: item_index.is_some(),
                });
                Ok(out)
            }
            Operator::Parse {
                kind,
                flags,
                source,
                pattern,
                keep_unmatched,
                span,
            } => {
                let (source, _) = self.scalar(source, &columns, scope)?;
                let mut out = columns;
                let regex_mode = *kind == ParseKind::Regex;
                let mut regex = String::new();
                if let Some(flags) = flags.as_deref().filter(|_| regex_mode) {
                    let flags: String = flags.chars().filter(|c| matches!(c, 'i' | 'm' | 's' | 'U')).collect();
                    if !flags.is_empty() {
                        regex.push_str(&format!("(?{flags})"));
                    }
                }
                if !regex_mode {
                    regex.push('^');
                }
                let mut targets = Vec::new();
                let last = pattern.len().saturating_sub(1);
                for (i, part) in pattern.iter().enumerate() {
                    match part {
                        ParsePart::Literal(text) if regex_mode => regex.push_str(text),
                        ParsePart::Literal(text) => regex.push_str(&regex::escape(text)),
                        ParsePart::Skip => regex.push_str(".*?"),
                        ParsePart::Column { name, ty } => {
                            let ty = match ty {
                                Some(ty) => Some(
                                    type_named(&ty.name)
                                        .ok_or_else(|| self.error(ty.span, format!("unknown type `{}`", ty.name)))?,
                                ),
                                None => Some(ColumnType::String),
                            };
                            // Kusto's translation: a string column is `.*?` (greedy in regex
                            // mode, as its examples show; the `U` flag swaps), a number the
                            // digits of its type; simple mode's last column takes the rest.
                            // Relaxed mode also takes what is not a number (it becomes null).
                            let relaxed = *kind == ParseKind::Relaxed;
                            let body = match ty {
                                Some(ColumnType::Long) if relaxed => r"-?\d+|.*?",
                                Some(ColumnType::Long) => r"-?\d+",
                                Some(ColumnType::Real) if relaxed => r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|.*?",
                                Some(ColumnType::Real) => r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
                                _ if regex_mode || i == last => ".*",
                                _ => ".*?",
                            };
                            regex.push_str(&format!("(?P<c{}>{body})", targets.len()));
                            match out.iter().position(|c| c.name == name.name) {
                                Some(at) => {
                                    out[at].ty = ty;
                                    targets.push((Some(at), ty));
                                }
                                None => {
                                    out.push(Col::new(name.name.clone(), ty));
                                    targets.push((None, ty));
                                }
                            }
                        }
                    }
                }
                let regex =
                    Regex::new(&regex).map_err(|e| self.error(*span, format!("invalid `parse` pattern: {e}")))?;
                ops.push(Op::Parse(Box::new(ParseMatcher {
                    source,
                    regex,
                    targets,
                    drop_unmatched: !keep_unmatched,
                    relaxed: *kind == ParseKind::Relaxed,
                })));
                Ok(out)
            }
            Operator::Serialize { columns: items, span } => {
                if items.is_empty() {
                    return Ok(columns);
                }
                let extend = Operator::Extend {
                    columns: items.clone(),
                    span: *span,
                };
                self.operator(&extend, columns, scope, ops)
            }
            Operator::Render { span } => {
                self.ignored.push(format!("render at {span} (presentation only)"));
                Ok(columns)
            }
            Operator::As { .. } => Ok(columns),
            Operator::Invoke { name, .. } => {
                if CLOUD_FUNCTIONS.contains(&name.name.as_str()) {
                    return Err(self.cloud_only(name));
                }
                Err(self.error(name.span, format!("unsupported function `{}` in `invoke`", name.name)))
            }
            Operator::Evaluate { name, .. } => {
                Err(self.error(name.span, format!("unsupported plugin `{}` in `evaluate`", name.name)))
            }
        }
    }

    fn unknown_column(&self, name: &str, span: Span, columns: &[Col]) -> CompileError {
        let hint = columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| format!(" (did you mean `{}`? column names are case-sensitive)", c.name))
            .unwrap_or_default();
        self.error(span, format!("unknown column or name `{name}`{hint}"))
    }

    fn count(&mut self, expr: &Expr, scope: &Scope) -> Result<usize, CompileError> {
        match self.scalar(expr, &[], scope)?.0 {
            Scalar::Const(value) => match plain(&value).as_ref() {
                Value::Long(n) if *n >= 0 => Ok(usize::try_from(*n).unwrap_or(usize::MAX)),
                _ => Err(self.error(expr.span, "expected a non-negative row count")),
            },
            _ => Err(self.error(expr.span, "expected a constant row count")),
        }
    }

    fn sort_keys(
        &mut self,
        keys: &[kql::OrderKey],
        columns: &[Col],
        scope: &Scope,
    ) -> Result<Vec<SortKey>, CompileError> {
        keys.iter()
            .map(|key| {
                let (expr, _) = self.scalar(&key.expr, columns, scope)?;
                let descending = key.direction != Some(Direction::Asc);
                let nulls_first = match key.nulls {
                    Some(nulls) => nulls == Nulls::First,
                    None => !descending,
                };
                Ok(SortKey {
                    expr,
                    descending,
                    nulls_first,
                })
            })
            .collect()
    }

    /// `summarize` whose columns may compute over aggregates (`span = max(T) - min(T)`): each
    /// aggregate inside such an expression becomes a hidden column of the summarize, and an
    /// `extend` and a `project` after it compute the expressions and drop the hidden columns.
    fn summarize_computed(
        &mut self,
        aggregates: &[ProjectColumn],
        by: &[ProjectColumn],
        columns: Vec<Col>,
        scope: &Scope,
        ops: &mut Vec<Op>,
    ) -> Result<Vec<Col>, CompileError> {
        let is_aggregate = |expr: &Expr| {
            matches!(&expr.kind, ExprKind::Call { name, .. }
                if aggregate::lookup(&name.name).is_some() && !scope.names.contains_key(&name.name))
        };
        if aggregates.iter().all(|item| is_aggregate(&item.expr)) {
            return self.summarize(aggregates, by, columns, scope, ops);
        }
        let mut hidden: Vec<ProjectColumn> = Vec::new();
        let mut computed: Vec<(usize, ProjectColumn)> = Vec::new();
        let mut direct: Vec<ProjectColumn> = Vec::new();
        for (position, item) in aggregates.iter().enumerate() {
            if is_aggregate(&item.expr) {
                direct.push(item.clone());
                continue;
            }
            let mut expr = item.expr.clone();
            hide_aggregates(&mut expr, &is_aggregate, &mut hidden);
            if hidden.is_empty() {
                return Err(self.error(
                    item.expr.span,
                    "expected an aggregation function such as `count()` here",
                ));
            }
            let name = match &item.name {
                Some(name) => name.clone(),
                None => Ident {
                    name: format!("Column{}", position + 1),
                    span: item.expr.span,
                },
            };
            computed.push((
                position,
                ProjectColumn {
                    name: Some(name),
                    expr,
                    more_names: Vec::new(),
                },
            ));
        }
        let mut all = direct;
        all.extend(hidden.iter().cloned());
        let summarized = self.summarize(&all, by, columns, scope, ops)?;
        let extend = Operator::Extend {
            columns: computed.iter().map(|(_, c)| c.clone()).collect(),
            span: Span::default(),
        };
        let extended = self.operator(&extend, summarized, scope, ops)?;
        // The keys, then the aggregates in the order written; the hidden columns dropped.
        let keys = extended.len() - all.len() - computed.len();
        let mut order: Vec<usize> = (0..keys).collect();
        let mut direct_at = keys;
        for position in 0..aggregates.len() {
            match computed.iter().position(|(p, _)| *p == position) {
                Some(i) => order.push(keys + all.len() + i),
                None => {
                    order.push(direct_at);
                    direct_at += 1;
                }
            }
        }
        ops.push(Op::Project(order.iter().map(|&i| Scalar::Column(i)).collect()));
        Ok(order.into_iter().map(|i| extended[i].clone()).collect())
    }

    fn summarize(
        &mut self,
        aggregates: &[ProjectColumn],
        by: &[ProjectColumn],
        columns: Vec<Col>,
        scope: &Scope,
        ops: &mut Vec<Op>,
    ) -> Result<Vec<Col>, CompileError> {
        let mut out: Vec<Col> = Vec::new();
        let mut keys = Vec::new();
        for item in by {
            let (scalar, ty) = self.scalar(&item.expr, &columns, scope)?;
            let name = match &item.name {
                Some(name) => name.name.clone(),
                None => derived_name(&item.expr).unwrap_or_else(|| generic_name(&out)),
            };
            let name = unique_name(&out, &name);
            out.push(Col::new(name, ty));
            keys.push(scalar);
        }
        let mut compiled = Vec::new();
        for item in aggregates {
            let ExprKind::Call { name, args } = &item.expr.kind else {
                return Err(self.error(
                    item.expr.span,
                    "expected an aggregation function such as `count()` here",
                ));
            };
            let Some(function) = aggregate::lookup(&name.name) else {
                let message = if functions::lookup(&name.name).is_some() {
                    format!(
                        "`{}()` is not an aggregation function (summarize needs one at the top of each aggregate)",
                        name.name
                    )
                } else {
                    format!("unsupported aggregation function `{}()`", name.name)
                };
                return Err(self.error(name.span, message));
            };
            let is_arg = matches!(function.name, "arg_max" | "arg_min");
            // `count(x)`, an older spelling, counts rows like `count()` (nulls too), named `count_x`.
            let (args, count_name) = match (function.name, args.as_slice()) {
                ("count", [arg]) => (
                    &args[..0],
                    Some(format!("count_{}", derived_name(arg).unwrap_or_default())),
                ),
                _ => (&args[..], None),
            };
            let per_row = (function.row_args)(args.len()).map_err(|m| self.error(name.span, m))?;
            let mut row_args = Vec::new();
            let mut row_types = Vec::new();
            let mut row_names: Vec<Option<String>> = Vec::new();
            for (i, arg) in args[..per_row].iter().enumerate() {
                if matches!(arg.kind, ExprKind::Star) {
                    if !is_arg || i == 0 {
                        if function.name == "count" {
                            continue;
                        }
                        return Err(self.error(
                            arg.span,
                            "`*` is only accepted as `arg_max(expr, *)` / `arg_min(expr, *)`",
                        ));
                    }
                    let first = row_names.first().cloned().flatten();
                    for (c, column) in columns.iter().enumerate() {
                        let is_key = out.iter().any(|o| o.name == column.name);
                        if is_key || Some(&column.name) == first.as_ref() {
                            continue;
                        }
                        row_args.push(Scalar::Column(c));
                        row_types.push(column.ty);
                        row_names.push(Some(column.name.clone()));
                    }
                    continue;
                }
                let (scalar, ty) = self.scalar(arg, &columns, scope)?;
                row_args.push(scalar);
                row_types.push(ty);
                row_names.push(match &arg.kind {
                    ExprKind::Name(n) => Some(n.clone()),
                    _ => derived_name(arg),
                });
            }
            let mut constants = Vec::new();
            for arg in &args[per_row..] {
                match self.scalar(arg, &columns, scope)?.0 {
                    Scalar::Const(value) => constants.push(value),
                    _ => {
                        return Err(self.error(
                            arg.span,
                            format!("this argument of `{}()` must be a constant", name.name),
                        ))
                    }
                }
            }
            (function.new)(&constants).map_err(|m| self.error(item.expr.span, m))?;
            let types = (function.result_types)(&row_types, &constants);
            // arg_max(T, cols...) returns T, then the columns (`*`: every other input column).
            let mut names: Vec<String> = if is_arg {
                let defaults = {
                    let plain_names: Vec<Option<&str>> = row_names.iter().map(|n| n.as_deref()).collect();
                    (function.default_names)(&plain_names, &constants)
                };
                row_names
                    .iter()
                    .zip(defaults)
                    .map(|(n, default)| n.clone().unwrap_or(default))
                    .collect()
            } else {
                let plain_names: Vec<Option<&str>> = args[..per_row]
                    .iter()
                    .map(|a| match &a.kind {
                        ExprKind::Name(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect();
                (function.default_names)(&plain_names, &constants)
            };
            if let Some(name) = count_name {
                names = vec![name];
            }
            match (&item.name, item.more_names.is_empty(), names.len()) {
                (None, _, _) => {}
                // `(A, B) = arg_max(...)` names the outputs in order.
                (Some(first), false, _) => {
                    for (slot, name) in names.iter_mut().zip(std::iter::once(first).chain(&item.more_names)) {
                        slot.clone_from(&name.name);
                    }
                }
                (Some(name), true, 1) => names[0].clone_from(&name.name),
                (Some(name), true, _) if is_arg => names[0].clone_from(&name.name),
                (Some(name), true, _) => {
                    for (i, n) in names.iter_mut().enumerate() {
                        *n = format!("{}{}", name.name, if i == 0 { String::new() } else { i.to_string() });
                    }
                }
            }
            let outputs = if is_arg { row_args.len() } else { names.len() };
            for (i, name) in names.into_iter().enumerate() {
                let name = unique_name(&out, &name);
                out.push(Col::new(name, types.get(i).copied().flatten()));
            }
            compiled.push(Aggregate {
                function,
                args: row_args,
                constants,
                outputs,
            });
        }
        ops.push(Op::Summarize(Summarize {
            keys,
            aggregates: compiled,
        }));
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        lookup: bool,
        kind: Option<&Ident>,
        right: &Tabular,
        on: &[kql::JoinKey],
        span: Span,
        columns: Vec<Col>,
        scope: &Scope,
        ops: &mut Vec<Op>,
    ) -> Result<Vec<Col>, CompileError> {
        let kind = match kind {
            None if lookup => JoinKind::LeftOuter,
            None => JoinKind::InnerUnique,
            Some(kind) => match JoinKind::parse(&kind.name) {
                Some(k) if !lookup || matches!(k, JoinKind::LeftOuter | JoinKind::Inner) => k,
                _ => {
                    let what = if lookup { "lookup" } else { "join" };
                    return Err(self.error(kind.span, format!("unsupported {what} kind `{}`", kind.name)));
                }
            },
        };
        let (right_node, right_columns) = self.tabular(right, scope)?;
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        for key in on {
            let Some(l) = columns.iter().position(|c| c.name == key.left.name) else {
                return Err(self.unknown_column(&key.left.name, key.left.span, &columns));
            };
            let Some(r) = right_columns.iter().position(|c| c.name == key.right.name) else {
                return Err(self.unknown_column(&key.right.name, key.right.span, &right_columns));
            };
            left_keys.push(l);
            right_keys.push(r);
        }
        if on.is_empty() {
            return Err(self.error(span, "a join needs at least one key"));
        }
        let mut output: Vec<(bool, usize)> = Vec::new();
        let mut out: Vec<Col> = Vec::new();
        let left_side = !matches!(kind, JoinKind::RightSemi | JoinKind::RightAnti);
        let right_side = !matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti);
        if left_side {
            for (i, column) in columns.iter().enumerate() {
                out.push(column.clone());
                output.push((true, i));
            }
        }
        if right_side {
            for (i, column) in right_columns.iter().enumerate() {
                let same_key = lookup
                    && on
                        .iter()
                        .zip(&right_keys)
                        .any(|(key, &r)| r == i && key.left.name == key.right.name);
                if same_key {
                    continue;
                }
                let name = if left_side {
                    unique_name(&out, &column.name)
                } else {
                    column.name.clone()
                };
                out.push(Col::new(name, column.ty));
                output.push((false, i));
            }
        }
        ops.push(Op::Join(Box::new(Join {
            kind,
            right: right_node,
            left_keys,
            right_keys,
            output,
            fill: union_fill(&out),
        })));
        Ok(out)
    }

    // ---- scalar expressions ----

    fn scalar(
        &mut self,
        expr: &Expr,
        columns: &[Col],
        scope: &Scope,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        let (scalar, ty) = self.scalar_unfolded(expr, columns, scope)?;
        Ok((fold(scalar, self.now), ty))
    }

    fn scalar_unfolded(
        &mut self,
        expr: &Expr,
        columns: &[Col],
        scope: &Scope,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let value = match literal {
                    Literal::String(s) => Value::String(s.clone()),
                    Literal::Long(n) => Value::Long(*n),
                    Literal::Real(x) => Value::Real(*x),
                    Literal::Bool(b) => Value::Bool(*b),
                    Literal::DateTime(t) => Value::DateTime(*t),
                    Literal::TimeSpan(t) => Value::TimeSpan(*t),
                    Literal::Dynamic(json) => Value::Dynamic(json.clone()),
                    Literal::Null => Value::Null,
                };
                let ty = value_type(&value);
                Ok((Scalar::Const(value), ty))
            }
            ExprKind::Name(name) => {
                if let Some(i) = columns.iter().position(|c| &c.name == name) {
                    return Ok((Scalar::Column(i), columns[i].ty));
                }
                match (scope.names.get(name), scope.constants.get(name)) {
                    (_, Some(Constant::Scalar(value))) => Ok((Scalar::Const(value.clone()), value_type(value))),
                    (_, Some(Constant::List(values))) => {
                        let array = Json::Array(values.iter().map(Value::to_json).collect());
                        Ok((Scalar::Const(Value::Dynamic(array)), Some(ColumnType::Dynamic)))
                    }
                    (Some(Binding::Scalar(scalar, ty)), _) => Ok((scalar.clone(), *ty)),
                    (Some(Binding::Tabular(..)), _) => Err(self.error(
                        expr.span,
                        format!("`{name}` is tabular; use `toscalar({name})` or `in ({name})` for its values"),
                    )),
                    (Some(Binding::Function(function, captured)), _) if function.params.is_empty() => {
                        let (function, captured) = (function.clone(), captured.clone());
                        self.call_scalar_function(&function, &captured, &[], columns, scope, expr.span)
                    }
                    _ => Err(self.unknown_column(name, expr.span, columns)),
                }
            }
            ExprKind::List(items) => {
                let mut values = Vec::new();
                self.constant_list(items, scope, &mut values)?;
                let array = Json::Array(values.iter().map(Value::to_json).collect());
                Ok((Scalar::Const(Value::Dynamic(array)), Some(ColumnType::Dynamic)))
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, columns, scope),
            ExprKind::Negate(inner) => {
                let (inner, ty) = self.scalar(inner, columns, scope)?;
                Ok((Scalar::Negate(Box::new(inner)), ty))
            }
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let operand = self.scalar(operand, columns, scope)?.0;
                let low = self.scalar(low, columns, scope)?.0;
                let high = self.scalar(high, columns, scope)?.0;
                Ok((
                    Scalar::Between {
                        operand: Box::new(operand),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated: *negated,
                    },
                    Some(ColumnType::Bool),
                ))
            }
            ExprKind::Member { base, member } => {
                let base = self.scalar(base, columns, scope)?.0;
                let member = self.scalar(member, columns, scope)?.0;
                Ok((
                    Scalar::Member(Box::new(base), Box::new(member)),
                    Some(ColumnType::Dynamic),
                ))
            }
            ExprKind::Call { name, args } => self.call(name, args, columns, scope, expr.span),
            ExprKind::Star => Err(self.error(expr.span, "`*` is not a value here")),
            ExprKind::Tabular(_) => Err(self.error(
                expr.span,
                "a tabular expression where a value is expected (use `toscalar(...)`)",
            )),
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        columns: &[Col],
        scope: &Scope,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        let bool_type = Some(ColumnType::Bool);
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let mut parts = Vec::new();
                self.flatten_logical(op, left, columns, scope, &mut parts)?;
                self.flatten_logical(op, right, columns, scope, &mut parts)?;
                Ok((
                    if op == BinaryOp::And {
                        Scalar::And(parts)
                    } else {
                        Scalar::Or(parts)
                    },
                    bool_type,
                ))
            }
            BinaryOp::Compare(comparison) => {
                let (l, lt) = self.scalar(left, columns, scope)?;
                let (r, rt) = self.scalar(right, columns, scope)?;
                if !compile::comparable(lt, rt) {
                    return Err(self.error(
                        left.span,
                        format!(
                            "cannot compare a {} with a {} using `{op}`",
                            lt.map_or("null", |t| t.name()),
                            rt.map_or("null", |t| t.name())
                        ),
                    ));
                }
                Ok((Scalar::Compare(comparison, Box::new(l), Box::new(r)), bool_type))
            }
            BinaryOp::Arithmetic(arith) => {
                let (l, lt) = self.scalar(left, columns, scope)?;
                let (r, rt) = self.scalar(right, columns, scope)?;
                Ok((
                    Scalar::Arithmetic(arith, Box::new(l), Box::new(r)),
                    arithmetic_type(arith, lt, rt),
                ))
            }
            BinaryOp::String(string_op) => {
                let operand = self.scalar(left, columns, scope)?.0;
                let needle = self.scalar(right, columns, scope)?.0;
                let scalar = match needle {
                    Scalar::Const(value) => Scalar::Text(
                        Box::new(operand),
                        Arc::new(TextTest::new(
                            string_op.test,
                            &value.to_text(),
                            string_op.case_sensitive,
                        )),
                        string_op.negated,
                    ),
                    needle => Scalar::TextDynamic(string_op, Box::new(operand), Box::new(needle)),
                };
                Ok((scalar, bool_type))
            }
            BinaryOp::MatchesRegex => {
                let operand = self.scalar(left, columns, scope)?.0;
                let Scalar::Const(pattern) = self.scalar(right, columns, scope)?.0 else {
                    return Err(self.error(right.span, "`matches regex` needs a constant pattern"));
                };
                let regex = Regex::new(&pattern.to_text())
                    .map_err(|e| self.error(right.span, format!("invalid regular expression: {e}")))?;
                Ok((Scalar::Regex(Box::new(operand), Arc::new(regex)), bool_type))
            }
            BinaryOp::In {
                case_sensitive,
                negated,
            } => {
                let operand = Box::new(self.scalar(left, columns, scope)?.0);
                let set = match self.list_source(right, scope)? {
                    ListSource::Values(values) => InSet::Const(Arc::new(ValueSet::new(&values, case_sensitive))),
                    ListSource::Subquery(index) => InSet::Subquery { index, case_sensitive },
                };
                Ok((Scalar::In { operand, set, negated }, bool_type))
            }
            BinaryOp::HasAny | BinaryOp::HasAll => {
                let operand = Box::new(self.scalar(left, columns, scope)?.0);
                let set = match self.list_source(right, scope)? {
                    ListSource::Values(values) => {
                        let texts: Vec<String> = values.iter().map(|v| v.to_text().into_owned()).collect();
                        TermsOf::Const(Arc::new(TermSet::new(texts, false)))
                    }
                    ListSource::Subquery(index) => TermsOf::Subquery { index },
                };
                Ok((
                    Scalar::Terms {
                        operand,
                        set,
                        all: op == BinaryOp::HasAll,
                    },
                    bool_type,
                ))
            }
        }
    }

    fn flatten_logical(
        &mut self,
        op: BinaryOp,
        expr: &Expr,
        columns: &[Col],
        scope: &Scope,
        out: &mut Vec<Scalar>,
    ) -> Result<(), CompileError> {
        match &expr.kind {
            ExprKind::Binary { op: inner, left, right } if *inner == op => {
                self.flatten_logical(op, left, columns, scope, out)?;
                self.flatten_logical(op, right, columns, scope, out)
            }
            _ => {
                out.push(self.scalar(expr, columns, scope)?.0);
                Ok(())
            }
        }
    }

    /// The right side of `in` / `has_any`: constants, or a subquery's first column.
    fn list_source(&mut self, right: &Expr, scope: &Scope) -> Result<ListSource, CompileError> {
        let items: &[Expr] = match &right.kind {
            ExprKind::List(items) => items,
            _ => std::slice::from_ref(right),
        };
        let single_tabular = match items {
            [item] => match &item.kind {
                ExprKind::Tabular(inner) => Some(self.tabular_whole(inner, scope)?),
                ExprKind::Name(_) => self.tabular_name(item, scope)?,
                _ => None,
            },
            _ => None,
        };
        if let Some((node, _)) = single_tabular {
            self.subqueries.push(Subquery { node, scalar: false });
            return Ok(ListSource::Subquery(self.subqueries.len() - 1));
        }
        let mut values = Vec::new();
        for item in items {
            let compiled = self.scalar(item, &[], scope)?;
            if let (Scalar::Subquery(index), [_]) = (&compiled.0, items) {
                // `in (x)` where `let x = toscalar(... make_set(...))`: the array's elements.
                return Ok(ListSource::Subquery(*index));
            }
            match compiled {
                (Scalar::Const(Value::Dynamic(Json::Array(items))), _) => {
                    values.extend(items.iter().map(|j| plain(&Value::Dynamic(j.clone())).into_owned()))
                }
                (Scalar::Const(value), _) => values.push(value),
                _ => {
                    return Err(self.error(
                        item.span,
                        "expected constant values (or a tabular expression) in the list",
                    ))
                }
            }
        }
        Ok(ListSource::Values(values))
    }

    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        columns: &[Col],
        scope: &Scope,
        span: Span,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        if CLOUD_FUNCTIONS.contains(&name.name.as_str()) {
            return Err(self.cloud_only(name));
        }
        if let Some(Binding::Function(function, captured)) = scope.names.get(&name.name) {
            let (function, captured) = (function.clone(), captured.clone());
            return self.call_scalar_function(&function, &captured, args, columns, scope, span);
        }
        let arity = |min: usize, max: usize| -> Result<(), CompileError> {
            if args.len() < min || args.len() > max {
                return Err(self.error(name.span, format!("`{}()` takes {min}..{max} arguments", name.name)));
            }
            Ok(())
        };
        match name.name.as_str() {
            "not" => {
                arity(1, 1)?;
                let inner = self.scalar(&args[0], columns, scope)?.0;
                return Ok((Scalar::Not(Box::new(inner)), Some(ColumnType::Bool)));
            }
            "toscalar" => {
                arity(1, 1)?;
                let node = match &args[0].kind {
                    ExprKind::Tabular(inner) => self.tabular_whole(inner, scope)?.0,
                    _ => match self.tabular_name(&args[0], scope)? {
                        Some((node, _)) => node,
                        None => return self.scalar(&args[0], columns, scope),
                    },
                };
                self.subqueries.push(Subquery { node, scalar: true });
                return Ok((Scalar::Subquery(self.subqueries.len() - 1), None));
            }
            "prev" | "next" | "row_number" if self.unserialized => {
                return Err(self.error(
                    name.span,
                    format!(
                        "`{}()` needs serialized rows: put `serialize` or `order by` before it (the rows lost their order in a summarize, join, union or distinct)",
                        name.name
                    ),
                ));
            }
            "prev" | "next" => {
                arity(1, 3)?;
                let (value, ty) = self.scalar(&args[0], columns, scope)?;
                let offset = match args.get(1) {
                    Some(arg) => self.count(arg, scope)? as i64,
                    None => 1,
                };
                let default = match args.get(2) {
                    Some(arg) => self.scalar(arg, columns, scope)?.0,
                    None => Scalar::Const(Value::Null),
                };
                let offset = if name.name == "prev" { offset } else { -offset };
                return Ok((
                    Scalar::Neighbour {
                        value: Box::new(value),
                        offset,
                        default: Box::new(default),
                    },
                    ty,
                ));
            }
            "row_number" => {
                arity(0, 2)?;
                let start = match args.first() {
                    Some(arg) => match self.scalar(arg, &[], scope)?.0 {
                        Scalar::Const(Value::Long(n)) => n,
                        _ => return Err(self.error(arg.span, "`row_number()` takes a constant start")),
                    },
                    None => 1,
                };
                if args.len() > 1 {
                    return Err(self.error(name.span, "`row_number()` with a restart condition is not supported"));
                }
                return Ok((Scalar::RowNumber(start), Some(ColumnType::Long)));
            }
            "column_ifexists" => {
                arity(2, 2)?;
                let Scalar::Const(column) = self.scalar(&args[0], &[], scope)?.0 else {
                    return Err(self.error(args[0].span, "`column_ifexists()` takes a constant column name"));
                };
                let column = column.to_text();
                if let Some(i) = columns.iter().position(|c| c.name == column) {
                    return Ok((Scalar::Column(i), columns[i].ty));
                }
                return self.scalar(&args[1], columns, scope);
            }
            "pack_all" => {
                let Some(pack) = functions::lookup("bag_pack") else {
                    return Err(self.error(name.span, "`pack_all()` needs `bag_pack()`"));
                };
                let mut pack_args = Vec::new();
                for (i, column) in columns.iter().enumerate() {
                    pack_args.push(Scalar::Const(Value::String(column.name.clone())));
                    pack_args.push(Scalar::Column(i));
                }
                return Ok((Scalar::Call(pack, pack_args), Some(ColumnType::Dynamic)));
            }
            "ingestion_time" => {
                arity(0, 0)?;
                self.warn("`ingestion_time()` is not in exported logs: it reads as null");
                return Ok((Scalar::Const(Value::Null), Some(ColumnType::DateTime)));
            }
            "now" if args.is_empty() => {
                return Ok((Scalar::Const(Value::DateTime(self.now)), Some(ColumnType::DateTime)));
            }
            "ago" => {
                arity(1, 1)?;
                let (offset, _) = self.scalar(&args[0], columns, scope)?;
                let now = Scalar::Const(Value::DateTime(self.now));
                let scalar = Scalar::Arithmetic(kql::Arithmetic::Subtract, Box::new(now), Box::new(offset));
                return Ok((scalar, Some(ColumnType::DateTime)));
            }
            _ => {}
        }
        let Some(function) = functions::lookup(&name.name) else {
            let message = if aggregate::lookup(&name.name).is_some() {
                format!("aggregation function `{}()` outside `summarize`", name.name)
            } else {
                format!("unsupported function `{}()`", name.name)
            };
            return Err(self.error(name.span, message));
        };
        if args.len() < function.min_args || args.len() > function.max_args {
            let expected = if function.max_args == usize::MAX {
                format!("at least {}", function.min_args)
            } else if function.min_args == function.max_args {
                function.min_args.to_string()
            } else {
                format!("{} to {}", function.min_args, function.max_args)
            };
            return Err(self.error(
                name.span,
                format!("`{}()` takes {expected} arguments, not {}", name.name, args.len()),
            ));
        }
        let mut compiled = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let (scalar, ty) = match &arg.kind {
                // `typeof(long)` and type names as arguments (`extract(re, 1, s, typeof(long))`).
                ExprKind::Name(n)
                    if type_named(n).is_some()
                        && !columns.iter().any(|c| &c.name == n)
                        && !scope.names.contains_key(n) =>
                {
                    (Scalar::Const(Value::String(n.clone())), Some(ColumnType::String))
                }
                _ => self.scalar(arg, columns, scope)?,
            };
            compiled.push(scalar);
            types.push(ty);
        }
        let ty = (function.result_type)(&types);
        Ok((Scalar::Call(function, compiled), ty))
    }

    fn call_scalar_function(
        &mut self,
        function: &UserFunction,
        captured: &Scope,
        args: &[Expr],
        columns: &[Col],
        caller: &Scope,
        span: Span,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        let scope = self.call_scope(function, captured, args, columns, caller, span)?;
        let result = match &function.body {
            FunctionBody::Scalar(body) => self.scalar(body, &[], &scope),
            FunctionBody::Tabular(_) => Err(self.error(span, "the function returns a table, not a value")),
        };
        self.inlining -= 1;
        result
    }
}

/// What a `union` leg's missing columns hold: `""` for strings, null for the rest.
fn union_fill(columns: &[Col]) -> Vec<Value> {
    columns
        .iter()
        .map(|c| match c.ty {
            Some(ColumnType::String) => Value::String(String::new()),
            _ => Value::Null,
        })
        .collect()
}

enum ListSource {
    Values(Vec<Value>),
    Subquery(usize),
}

fn step_positive(step: &Value) -> bool {
    match plain(step).as_ref() {
        Value::Long(n) => *n > 0,
        Value::Real(x) => *x > 0.0,
        Value::TimeSpan(t) => *t > 0,
        _ => true,
    }
}

/// Replaces each aggregate call inside `expr` by a hidden column's name, adding the call as a
/// named aggregate to `hidden`.
fn hide_aggregates(expr: &mut Expr, is_aggregate: &dyn Fn(&Expr) -> bool, hidden: &mut Vec<ProjectColumn>) {
    if is_aggregate(expr) {
        let name = format!("__aggregate_{}", hidden.len());
        let call = std::mem::replace(
            expr,
            Expr {
                kind: ExprKind::Name(name.clone()),
                span: expr.span,
            },
        );
        hidden.push(ProjectColumn {
            name: Some(Ident { name, span: call.span }),
            expr: call,
            more_names: Vec::new(),
        });
        return;
    }
    match &mut expr.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Star | ExprKind::Tabular(_) => {}
        ExprKind::List(items) => items.iter_mut().for_each(|i| hide_aggregates(i, is_aggregate, hidden)),
        ExprKind::Binary { left, right, .. } => {
            hide_aggregates(left, is_aggregate, hidden);
            hide_aggregates(right, is_aggregate, hidden);
        }
        ExprKind::Negate(inner) => hide_aggregates(inner, is_aggregate, hidden),
        ExprKind::Between { operand, low, high, .. } => {
            hide_aggregates(operand, is_aggregate, hidden);
            hide_aggregates(low, is_aggregate, hidden);
            hide_aggregates(high, is_aggregate, hidden);
        }
        ExprKind::Member { base, member } => {
            hide_aggregates(base, is_aggregate, hidden);
            hide_aggregates(member, is_aggregate, hidden);
        }
        ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| hide_aggregates(a, is_aggregate, hidden)),
    }
}

/// Whether an operator keeps only columns it names (so earlier unnamed columns are dead).
fn narrows(operator: &Operator) -> bool {
    match operator {
        Operator::Project { columns, .. } => !columns.iter().any(|c| c.plain_name().is_some_and(|n| n.contains('*'))),
        Operator::Summarize { .. } | Operator::Count { .. } => true,
        Operator::Distinct { columns, .. } => !columns.is_empty(),
        _ => false,
    }
}

/// Every name a query mentions (columns, `let`s, functions, new columns alike: a superset of
/// the columns it reads), or `None` when it reads columns it does not name: `*` anywhere
/// (`project Device*`, `arg_max(T, *)`, `distinct *`, `project-reorder *`), `pack_all()`,
/// `column_ifexists()`, `evaluate`.
fn mentioned_names(query: &Query) -> Option<std::collections::HashSet<String>> {
    let mut names = std::collections::HashSet::new();
    let mut implicit = false;
    let mut tabulars: Vec<&Tabular> = vec![&query.body];
    let mut lets: Vec<&kql::Let> = query.lets.iter().collect();
    for (more_lets, body) in &query.more {
        lets.extend(more_lets);
        tabulars.push(body);
    }
    let mut functions: Vec<&UserFunction> = Vec::new();
    while let Some(statement) = lets.pop() {
        match &statement.value {
            LetValue::Expr(expr) => note_expr(expr, &mut names, &mut implicit, &mut tabulars),
            LetValue::Tabular(tabular) => tabulars.push(tabular),
            LetValue::Function(function) => functions.push(function),
        }
    }
    for function in functions {
        let mut nested = Vec::new();
        lets_and_body(function, &mut tabulars, &mut |e| {
            note_expr(e, &mut names, &mut implicit, &mut nested)
        });
        tabulars.extend(nested);
    }
    while let Some(tabular) = tabulars.pop() {
        match &tabular.source {
            Source::Name(name) => {
                implicit |= name.name.contains('*');
                names.insert(name.name.clone());
            }
            Source::Subquery(inner) => tabulars.push(inner),
            Source::Union(union) => tabulars.extend(&union.legs),
            Source::Call { args, .. } => args
                .iter()
                .for_each(|a| note_expr(a, &mut names, &mut implicit, &mut tabulars)),
            Source::Print(items) => items
                .iter()
                .for_each(|c| note_expr(&c.expr, &mut names, &mut implicit, &mut tabulars)),
            Source::Datatable { values, .. } => values
                .iter()
                .for_each(|v| note_expr(v, &mut names, &mut implicit, &mut tabulars)),
            Source::ExternalData { .. } | Source::Range { .. } => {}
        }
        for operator in &tabular.operators {
            match operator {
                Operator::Where { predicate, .. } => note_expr(predicate, &mut names, &mut implicit, &mut tabulars),
                Operator::Project { columns, .. }
                | Operator::Extend { columns, .. }
                | Operator::Serialize { columns, .. } => columns
                    .iter()
                    .for_each(|c| note_column(c, &mut names, &mut implicit, &mut tabulars)),
                Operator::Distinct { columns, .. } => {
                    implicit |= columns.is_empty();
                    columns
                        .iter()
                        .for_each(|c| note_column(c, &mut names, &mut implicit, &mut tabulars));
                }
                Operator::Summarize { aggregates, by, .. } => aggregates
                    .iter()
                    .chain(by)
                    .for_each(|c| note_column(c, &mut names, &mut implicit, &mut tabulars)),
                Operator::ProjectAway { columns, .. } | Operator::ProjectKeep { columns, .. } => {
                    for c in columns {
                        implicit |= c.name.contains('*');
                        names.insert(c.name.clone());
                    }
                }
                Operator::ProjectRename { renames, .. } => {
                    for (new, old) in renames {
                        names.insert(new.name.clone());
                        names.insert(old.name.clone());
                    }
                }
                Operator::ProjectReorder { columns, .. } => {
                    for (c, _) in columns {
                        implicit |= c.name.contains('*');
                        names.insert(c.name.clone());
                    }
                }
                Operator::OrderBy { keys, .. } | Operator::Top { keys, .. } => keys
                    .iter()
                    .for_each(|k| note_expr(&k.expr, &mut names, &mut implicit, &mut tabulars)),
                Operator::Take { .. } | Operator::Count { .. } | Operator::Render { .. } | Operator::As { .. } => {}
                Operator::Join { right, on, .. } | Operator::Lookup { right, on, .. } => {
                    tabulars.push(right);
                    for key in on {
                        names.insert(key.left.name.clone());
                        names.insert(key.right.name.clone());
                    }
                }
                Operator::Union { union, .. } => tabulars.extend(&union.legs),
                Operator::MvExpand { columns, .. } => {
                    for c in columns {
                        note_expr(&c.expr, &mut names, &mut implicit, &mut tabulars);
                        if let Some(name) = &c.name {
                            names.insert(name.name.clone());
                        }
                    }
                }
                Operator::Parse { source, pattern, .. } => {
                    note_expr(source, &mut names, &mut implicit, &mut tabulars);
                    for part in pattern {
                        if let ParsePart::Column { name, .. } = part {
                            names.insert(name.name.clone());
                        }
                    }
                }
                Operator::Invoke { name, args, .. } => {
                    names.insert(name.name.clone());
                    args.iter()
                        .for_each(|a| note_expr(a, &mut names, &mut implicit, &mut tabulars));
                }
                Operator::Evaluate { .. } => implicit = true,
            }
        }
    }
    (!implicit).then_some(names)
}

/// Notes the names an expression mentions; `*` or a function that reads unnamed columns makes
/// the query keep whole rows.
fn note_expr<'q>(
    expr: &'q Expr,
    names: &mut std::collections::HashSet<String>,
    implicit: &mut bool,
    nested: &mut Vec<&'q Tabular>,
) {
    nested_tabulars(expr, nested);
    visit_names(expr, &mut |n| {
        if matches!(n, "pack_all" | "column_ifexists" | "bag_unpack") {
            *implicit = true;
        }
        names.insert(n.to_string());
    });
    if contains_star(expr) {
        *implicit = true;
    }
}

fn note_column<'q>(
    column: &'q ProjectColumn,
    names: &mut std::collections::HashSet<String>,
    implicit: &mut bool,
    nested: &mut Vec<&'q Tabular>,
) {
    note_expr(&column.expr, names, implicit, nested);
    *implicit |= column.plain_name().is_some_and(|n| n.contains('*'));
}

/// Adds a function's tabular parts to `tabulars` and hands its scalar parts to `expr`.
fn lets_and_body<'q>(function: &'q UserFunction, tabulars: &mut Vec<&'q Tabular>, expr: &mut dyn FnMut(&'q Expr)) {
    for param in &function.params {
        if let Some(default) = &param.default {
            expr(default);
        }
    }
    for statement in &function.lets {
        match &statement.value {
            LetValue::Expr(e) => expr(e),
            LetValue::Tabular(t) => tabulars.push(t),
            LetValue::Function(f) => lets_and_body(f, tabulars, expr),
        }
    }
    match &function.body {
        FunctionBody::Scalar(e) => expr(e),
        FunctionBody::Tabular(t) => tabulars.push(t),
    }
}

/// The tabular subqueries inside an expression (`x in (T | ...)`, `toscalar(...)`).
fn nested_tabulars<'q>(expr: &'q Expr, out: &mut Vec<&'q Tabular>) {
    match &expr.kind {
        ExprKind::Tabular(inner) => out.push(inner),
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Star => {}
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            items.iter().for_each(|i| nested_tabulars(i, out))
        }
        ExprKind::Binary { left, right, .. }
        | ExprKind::Member {
            base: left,
            member: right,
        } => {
            nested_tabulars(left, out);
            nested_tabulars(right, out);
        }
        ExprKind::Negate(inner) => nested_tabulars(inner, out),
        ExprKind::Between { operand, low, high, .. } => {
            nested_tabulars(operand, out);
            nested_tabulars(low, out);
            nested_tabulars(high, out);
        }
    }
}

/// Whether an expression holds `*` as an argument (`arg_max(T, *)`).
fn contains_star(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Star => true,
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Tabular(_) => false,
        ExprKind::List(items) => items.iter().any(contains_star),
        ExprKind::Binary { left, right, .. } => contains_star(left) || contains_star(right),
        ExprKind::Negate(inner) => contains_star(inner),
        ExprKind::Between { operand, low, high, .. } => {
            contains_star(operand) || contains_star(low) || contains_star(high)
        }
        ExprKind::Member { base, member } => contains_star(base) || contains_star(member),
        ExprKind::Call { args, .. } => args.iter().any(contains_star),
    }
}

/// Calls `visit` with every name an expression mentions.
fn visit_names(expr: &Expr, visit: &mut impl FnMut(&str)) {
    match &expr.kind {
        ExprKind::Name(name) => visit(name),
        ExprKind::Literal(_) | ExprKind::Star | ExprKind::Tabular(_) => {}
        ExprKind::List(items) => items.iter().for_each(|i| visit_names(i, visit)),
        ExprKind::Binary { left, right, .. } => {
            visit_names(left, visit);
            visit_names(right, visit);
        }
        ExprKind::Negate(inner) => visit_names(inner, visit),
        ExprKind::Between { operand, low, high, .. } => {
            visit_names(operand, visit);
            visit_names(low, visit);
            visit_names(high, visit);
        }
        ExprKind::Member { base, member } => {
            visit_names(base, visit);
            visit_names(member, visit);
        }
        ExprKind::Call { name, args } => {
            visit(&name.name);
            args.iter().for_each(|a| visit_names(a, visit));
        }
    }
}
