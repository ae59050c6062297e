//! From a rule's syntax tree to a [`Pipeline`]: `let` bindings evaluated to constants, names
//! resolved against the table schema (a column the schema lacks is an error), operand types
//! checked, and each operator turned into its matcher.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::hashing::FxHashSet;
use crate::kql::{
    self, BinaryOp, Comparison, Direction, Expr, ExprKind, Literal, Nulls, Operator, Span, StringList, StringTest,
};
use crate::plan::eval::{Predicate, Scalar, SortKey};
use crate::plan::text::{StringSet, SubstringKind, SubstringTest, TermSet};
use crate::plan::{CompileError, CompiledRule, Environment, Output, Pipeline, Stage};
use crate::rules::{Rule, Warning};
use crate::schema::{self, Column, ColumnType};
use crate::value::Value;

/// What a `let` name stands for once evaluated.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    Scalar(Value),
    List(Vec<Value>),
    /// A `dynamic([...])` of strings, packed as the lexer read it ([`ExprKind::Strings`]):
    /// the same as a `List` of those strings, whose sets are filled from it directly.
    Strings(StringList),
}

struct Compiler<'r> {
    rule: &'r Rule,
    now: i64,
    lets: Cow<'r, HashMap<String, Binding>>,
    /// Sets built from a `let` list, shared by every operator that uses the list the same way
    /// (`SHA256 in (h) or SHA1 in (h) or MD5 in (h)` builds one set, not three).
    string_sets: RefCell<HashMap<(String, bool), Arc<StringSet>>>,
    term_sets: RefCell<HashMap<String, Arc<TermSet>>>,
    /// The columns of the row at the current operator.
    columns: Vec<Column>,
}

/// Parses and compiles one rule. `now` is the instant `now()` and `ago()` count from. A query
/// of the seed shape (`let` constants, one table, `where`, `project`, `order by`, `take`) is
/// one pipeline, exactly as the fast path runs it; any other goes to the query engine.
pub fn compile_rule(rule: &Rule, now: i64) -> Result<(CompiledRule, Vec<Warning>), CompileError> {
    compile_rule_in(rule, now, &Environment::default())
}

/// [`compile_rule`] with what the command line says of data outside the logs (the columns of
/// the watchlists it maps to files).
pub fn compile_rule_in(
    rule: &Rule,
    now: i64,
    environment: &Environment,
) -> Result<(CompiledRule, Vec<Warning>), CompileError> {
    // Packed for the seed compiler; any other query with a packed list is read again, its lists
    // as expressions.
    let (query, packed) = kql::parse_packed(&rule.query).map_err(|e| CompileError::at(rule, e.span, e.message))?;
    if seed_shaped(&query) {
        let seed = compile_seed(rule, query, now);
        match seed {
            Ok((pipeline, warnings)) => {
                let compiled = CompiledRule {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    table: pipeline.table.name.clone(),
                    pipelines: vec![pipeline],
                    output: Output::Pipeline,
                };
                return Ok((compiled, warnings));
            }
            Err(error) => {
                // The engine takes what the seed compiler cannot (functions in `where`, ...);
                // if it cannot either, the seed compiler's error is the one to report.
                let query = kql::parse(&rule.query).map_err(|e| CompileError::at(rule, e.span, e.message))?;
                return compile_query(rule, &query, now, environment).map_err(|_| error);
            }
        }
    }
    let query = match packed {
        true => kql::parse(&rule.query).map_err(|e| CompileError::at(rule, e.span, e.message))?,
        false => query,
    };
    compile_query(rule, &query, now, environment)
}

fn compile_query(
    rule: &Rule,
    query: &kql::Query,
    now: i64,
    environment: &Environment,
) -> Result<(CompiledRule, Vec<Warning>), CompileError> {
    let (pipelines, program, warnings) = crate::plan::query::plan_query(rule, query, now, environment)?;
    let table = match pipelines.as_slice() {
        [one] => one.table.name.clone(),
        [] => "(no table)".to_string(),
        several => {
            let mut names: Vec<&str> = several.iter().map(|p| p.table.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            // A heading names a few tables; `union Device*` reads dozens.
            match names.len() {
                0..=4 => names.join(", "),
                n => format!("{}, ... ({n} tables)", names[..3].join(", ")),
            }
        }
    };
    let compiled = CompiledRule {
        id: rule.id.clone(),
        title: rule.title.clone(),
        table,
        pipelines,
        output: Output::Program(Box::new(program)),
    };
    Ok((compiled, warnings))
}

/// Whether a query has the seed shape the fast path's own compiler takes.
fn seed_shaped(query: &kql::Query) -> bool {
    let Some(table) = query.table() else { return false };
    if !query.more.is_empty() {
        return false;
    }
    if table.name.contains('*') || schema::table(&table.name).is_none() {
        return false;
    }
    let lets_are_constants = query.lets.iter().all(|statement| match &statement.value {
        kql::LetValue::Expr(expr) => !matches!(expr.kind, ExprKind::Name(ref n) if schema::table(n).is_some()),
        _ => false,
    });
    let operators_fit = query.operators().iter().all(|operator| match operator {
        Operator::Where { .. } | Operator::OrderBy { .. } => true,
        Operator::Project { columns, .. } => columns.iter().all(|c| c.plain_name().is_some()),
        Operator::Take { count, .. } => matches!(count.kind, ExprKind::Literal(Literal::Long(n)) if n >= 0),
        _ => false,
    });
    lets_are_constants && operators_fit
}

/// Compiles a `where` predicate the way the seed shape's pipelines run it (fast path and
/// prefilter included), over a table's own columns; `None` if it is outside that compiler.
pub(crate) fn fast_predicate(
    rule: &Rule,
    now: i64,
    constants: &HashMap<String, Binding>,
    columns: &[Column],
    predicate: &Expr,
) -> Option<Predicate> {
    let compiler = Compiler {
        rule,
        now,
        lets: Cow::Borrowed(constants),
        string_sets: RefCell::default(),
        term_sets: RefCell::default(),
        columns: columns.to_vec(),
    };
    compiler.predicate(predicate).ok()
}

fn compile_seed(rule: &Rule, mut query: kql::Query, now: i64) -> Result<(Pipeline, Vec<Warning>), CompileError> {
    let table_name = query.table().map(|t| t.name.clone()).unwrap_or_default();
    let table = schema::table(&table_name).ok_or_else(|| {
        let span = query.table().map(|t| t.span).unwrap_or_default();
        CompileError::at(rule, span, format!("unknown table `{table_name}`"))
    })?;
    let mut compiler = Compiler {
        rule,
        now,
        lets: Cow::Owned(HashMap::new()),
        string_sets: RefCell::default(),
        term_sets: RefCell::default(),
        columns: table.columns.clone(),
    };
    // The `let` values are taken out of the tree: a list's strings move into the binding.
    for statement in std::mem::take(&mut query.lets) {
        let kql::LetValue::Expr(value) = statement.value else {
            return Err(CompileError::at(rule, statement.name.span, "expected a constant `let`"));
        };
        let binding = compiler.binding(value)?;
        compiler.lets.to_mut().insert(statement.name.name, binding);
    }

    let mut streaming = Vec::new();
    let mut tail = Vec::new();
    for operator in query.operators() {
        let stage = compiler.operator(operator)?;
        let needs_every_row = matches!(stage, Stage::OrderBy(_) | Stage::Take(_));
        if needs_every_row || !tail.is_empty() {
            tail.push(stage);
        } else {
            streaming.push(stage);
        }
    }

    let mut warnings = compiler.cross_check(&table_name);
    if streaming.is_empty() && tail.is_empty() {
        warnings.push(Warning {
            rule: rule.id.clone(),
            message: format!("the query has no operator: every {} record is a result", table.name),
        });
    }
    let compiled = Pipeline {
        id: rule.id.clone(),
        title: rule.title.clone(),
        source: rule.source.clone(),
        table,
        streaming,
        tail,
        columns: compiler.columns,
        engine: Vec::new(),
        summarize: None,
        reads: Default::default(),
    };
    Ok((compiled, warnings))
}

/// Types that Kusto compares with each other. Null (`None`) compares with anything.
pub(crate) fn comparable(a: Option<ColumnType>, b: Option<ColumnType>) -> bool {
    use ColumnType::*;
    let (Some(a), Some(b)) = (a, b) else { return true };
    let numeric = |t| matches!(t, Long | Real);
    a == b || (numeric(a) && numeric(b)) || a == Dynamic || b == Dynamic
}

impl Compiler<'_> {
    fn error(&self, span: Span, message: impl Into<String>) -> CompileError {
        CompileError::at(self.rule, span, message)
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn unknown_name(&self, name: &str, span: Span) -> CompileError {
        let names = self.columns.iter().map(|c| c.name.as_str());
        self.error(span, crate::plan::unknown_name_message(name, names))
    }

    /// Evaluates a `let` right side to a constant.
    fn binding(&self, expr: Expr) -> Result<Binding, CompileError> {
        match expr.kind {
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                self.flatten_owned(items, &mut values)?;
                Ok(Binding::List(values))
            }
            ExprKind::Strings(list) => Ok(Binding::Strings(list)),
            ExprKind::Name(ref name) => match self.lets.get(name) {
                Some(binding) => Ok(binding.clone()),
                None => Err(self.error(
                    expr.span,
                    format!("`let` refers to `{name}`, which is not a constant defined before it"),
                )),
            },
            _ => Ok(Binding::Scalar(self.constant(&expr)?)),
        }
    }

    /// [`Compiler::flatten`] of list elements that are owned: string literals, the thousands of
    /// IOCs of a feed's list, move into the values instead of being copied.
    fn flatten_owned(&self, items: Vec<Expr>, out: &mut Vec<Value>) -> Result<(), CompileError> {
        for item in items {
            match item.kind {
                ExprKind::Literal(Literal::String(text)) => out.push(Value::String(text)),
                ExprKind::List(inner) => self.flatten_owned(inner, out)?,
                ExprKind::Strings(list) => out.extend(strings_as_values(&list).map(Cow::into_owned)),
                _ => {
                    let mut values = Vec::new();
                    self.flatten(std::slice::from_ref(&item), &mut values)?;
                    out.extend(values.into_iter().map(Cow::into_owned));
                }
            }
        }
        Ok(())
    }

    /// A constant scalar: a literal, a `let` scalar, `now()`, `ago(timespan)`.
    fn constant(&self, expr: &Expr) -> Result<Value, CompileError> {
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(literal.value()),
            ExprKind::Name(name) => match self.lets.get(name) {
                Some(Binding::Scalar(value)) => Ok(value.clone()),
                Some(Binding::List(_) | Binding::Strings(_)) => {
                    Err(self.error(expr.span, format!("`{name}` is a list; a single value is needed here")))
                }
                None => Err(self.error(expr.span, format!("`{name}` is not a constant"))),
            },
            ExprKind::Call { name, args } => match (name.name.as_str(), args.as_slice()) {
                ("now", []) => Ok(Value::DateTime(self.now)),
                ("now", [offset]) | ("ago", [offset]) => {
                    let Value::TimeSpan(span) = self.constant(offset)? else {
                        return Err(self.error(offset.span, format!("`{}()` takes a timespan such as `7d`", name.name)));
                    };
                    let sign = if name.name == "ago" { -1 } else { 1 };
                    Ok(Value::DateTime(self.now + sign * span))
                }
                ("ago", _) => Err(self.error(name.span, "`ago()` takes one timespan argument")),
                _ => Err(self.error(name.span, format!("unsupported function `{}`", name.name))),
            },
            _ => Err(self.error(expr.span, "expected a constant value")),
        }
    }

    /// Flattens list elements (nested lists, `let` lists) into values, as Kusto's `in` does.
    /// A `let` list's values are borrowed, not copied: it may hold a million IOCs.
    fn flatten<'s>(&'s self, items: &'s [Expr], out: &mut Vec<Cow<'s, Value>>) -> Result<(), CompileError> {
        for item in items {
            match &item.kind {
                ExprKind::List(inner) => self.flatten(inner, out)?,
                ExprKind::Strings(list) => out.extend(strings_as_values(list)),
                ExprKind::Name(name) if self.column(name).is_some() && !self.lets.contains_key(name) => {
                    return Err(self.error(
                        item.span,
                        format!("a list of values is needed here, not the column `{name}`"),
                    ));
                }
                ExprKind::Name(name) => match self.lets.get(name) {
                    Some(Binding::List(values)) => out.extend(values.iter().map(Cow::Borrowed)),
                    Some(Binding::Strings(list)) => out.extend(strings_as_values(list)),
                    Some(Binding::Scalar(value)) => out.push(Cow::Borrowed(value)),
                    None => return Err(self.unknown_name(name, item.span)),
                },
                _ => out.push(Cow::Owned(self.constant(item)?)),
            }
        }
        Ok(())
    }

    /// A value operand: a column of the current row or a constant.
    fn scalar(&self, expr: &Expr) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        if let ExprKind::Name(name) = &expr.kind {
            // Columns win over `let` names of the same spelling (see README, semantics).
            if let Some(c) = self.column(name) {
                return Ok((Scalar::Column(c), Some(self.columns[c].ty)));
            }
            if !self.lets.contains_key(name) {
                return Err(self.unknown_name(name, expr.span));
            }
        }
        let value = self.constant(expr)?;
        let ty = value.column_type();
        Ok((Scalar::Const(value), ty))
    }

    fn text_constant(&self, expr: &Expr) -> Result<String, CompileError> {
        match self.constant(expr)? {
            Value::Null => Err(self.error(expr.span, "expected a string, found null")),
            value => Ok(value.to_text().into_owned()),
        }
    }

    fn list<'s>(&'s self, expr: &'s Expr) -> Result<Vec<Cow<'s, Value>>, CompileError> {
        let mut values = Vec::new();
        match &expr.kind {
            ExprKind::List(items) => self.flatten(items, &mut values)?,
            _ => self.flatten(std::slice::from_ref(expr), &mut values)?,
        }
        Ok(values)
    }

    fn predicate(&self, expr: &Expr) -> Result<Predicate, CompileError> {
        match &expr.kind {
            ExprKind::Binary { op: BinaryOp::And, .. } | ExprKind::Binary { op: BinaryOp::Or, .. } => {
                let is_and = matches!(expr.kind, ExprKind::Binary { op: BinaryOp::And, .. });
                let mut parts = Vec::new();
                self.flatten_logical(expr, is_and, &mut parts)?;
                Ok(if is_and {
                    Predicate::And(parts)
                } else {
                    Predicate::Or(parts)
                })
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right),
            ExprKind::Call { name, args } => self.call_predicate(name, args),
            ExprKind::Literal(Literal::Bool(b)) => Ok(Predicate::Const(*b)),
            ExprKind::Name(_) => {
                let (operand, ty) = self.scalar(expr)?;
                match ty {
                    Some(ColumnType::Bool) | None => Ok(Predicate::Truth(operand)),
                    Some(other) => Err(self.error(
                        expr.span,
                        format!("expected a condition, found a {} value", other.name()),
                    )),
                }
            }
            _ => Err(self.error(expr.span, "expected a condition")),
        }
    }

    fn flatten_logical(&self, expr: &Expr, is_and: bool, out: &mut Vec<Predicate>) -> Result<(), CompileError> {
        match &expr.kind {
            ExprKind::Binary {
                op: BinaryOp::And,
                left,
                right,
            } if is_and => {
                self.flatten_logical(left, is_and, out)?;
                self.flatten_logical(right, is_and, out)
            }
            ExprKind::Binary {
                op: BinaryOp::Or,
                left,
                right,
            } if !is_and => {
                self.flatten_logical(left, is_and, out)?;
                self.flatten_logical(right, is_and, out)
            }
            _ => {
                out.push(self.predicate(expr)?);
                Ok(())
            }
        }
    }

    fn call_predicate(&self, name: &kql::Ident, args: &[Expr]) -> Result<Predicate, CompileError> {
        let one = |what: &str| -> Result<&Expr, CompileError> {
            match args {
                [arg] => Ok(arg),
                _ => Err(self.error(name.span, format!("`{}()` takes one {what}", name.name))),
            }
        };
        match name.name.as_str() {
            "not" => Ok(Predicate::Not(Box::new(self.predicate(one("condition")?)?))),
            "isempty" | "isnotempty" => {
                let (operand, _) = self.scalar(one("value")?)?;
                Ok(Predicate::IsEmpty {
                    operand,
                    negated: name.name == "isnotempty",
                })
            }
            "isnull" | "isnotnull" => {
                let (operand, _) = self.scalar(one("value")?)?;
                Ok(Predicate::IsNull {
                    operand,
                    negated: name.name == "isnotnull",
                })
            }
            other => Err(self.error(name.span, format!("unsupported function `{other}` in a condition"))),
        }
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<Predicate, CompileError> {
        let (operand, left_ty) = self.scalar(left)?;
        match op {
            BinaryOp::And | BinaryOp::Or => unreachable!("handled by predicate()"),
            BinaryOp::Arithmetic(_) | BinaryOp::MatchesRegex => {
                Err(self.error(left.span, format!("unsupported operator `{op}` in the fast path")))
            }
            BinaryOp::Compare(comparison) => {
                let (right_operand, right_ty) = self.scalar(right)?;
                if !comparable(left_ty, right_ty) {
                    return Err(self.error(
                        left.span,
                        format!(
                            "cannot compare a {} with a {} using `{op}`",
                            left_ty.map_or("null", |t| t.name()),
                            right_ty.map_or("null", |t| t.name())
                        ),
                    ));
                }
                let is_text = |t: Option<ColumnType>| matches!(t, Some(ColumnType::String | ColumnType::Dynamic));
                if matches!(comparison, Comparison::Eq | Comparison::NotEq)
                    && is_text(left_ty)
                    && matches!(right_operand, Scalar::Const(_))
                {
                    // `==` on strings is exact, case-sensitive equality: the same set lookup as `in`.
                    let needle = self.text_constant(right)?;
                    return Ok(Predicate::InStrings {
                        operand,
                        set: Arc::new(StringSet::new([needle], true)),
                        negated: comparison == Comparison::NotEq,
                    });
                }
                Ok(Predicate::Compare {
                    left: operand,
                    op: comparison,
                    right: right_operand,
                })
            }
            BinaryOp::String(string_op) => {
                let needle = self.text_constant(right)?;
                let cs = string_op.case_sensitive;
                let negated = string_op.negated;
                let kind = match string_op.test {
                    StringTest::Has => {
                        return Ok(Predicate::Terms {
                            operand,
                            set: Arc::new(TermSet::new([needle], cs)),
                            all: false,
                            negated,
                        });
                    }
                    StringTest::Contains => SubstringKind::Contains,
                    StringTest::StartsWith => SubstringKind::StartsWith,
                    StringTest::EndsWith => SubstringKind::EndsWith,
                    StringTest::Equals => SubstringKind::Equals,
                    StringTest::HasPrefix | StringTest::HasSuffix => {
                        return Err(self.error(left.span, format!("unsupported operator `{op}`")));
                    }
                };
                Ok(Predicate::Substring {
                    operand,
                    test: SubstringTest::new(kind, &needle, cs),
                    negated,
                })
            }
            BinaryOp::In {
                case_sensitive,
                negated,
            } => match left_ty {
                Some(ColumnType::String | ColumnType::Dynamic) | None => Ok(Predicate::InStrings {
                    operand,
                    set: self.string_set(right, case_sensitive)?,
                    negated,
                }),
                Some(_) => Ok(Predicate::InValues {
                    operand,
                    values: self.list(right)?.into_iter().map(Cow::into_owned).collect(),
                    negated,
                }),
            },
            BinaryOp::HasAny | BinaryOp::HasAll => Ok(Predicate::Terms {
                operand,
                set: self.term_set(right)?,
                all: op == BinaryOp::HasAll,
                negated: false,
            }),
        }
    }

    /// The `let` name when `expr` is the list `(name)` of one `let` list.
    fn shared_list_name(&self, expr: &Expr) -> Option<String> {
        let ExprKind::List(items) = &expr.kind else { return None };
        let [item] = items.as_slice() else { return None };
        let ExprKind::Name(name) = &item.kind else { return None };
        matches!(self.lets.get(name), Some(Binding::List(_) | Binding::Strings(_))).then(|| name.clone())
    }

    /// The texts of a list's non-null values, borrowed where they are strings. A packed list
    /// of strings (a feed's thousands of IOCs) lends its texts without becoming values.
    fn texts<'s>(&'s self, expr: &'s Expr) -> Result<Vec<Cow<'s, str>>, CompileError> {
        let items = match &expr.kind {
            ExprKind::List(items) => items.as_slice(),
            _ => std::slice::from_ref(expr),
        };
        let mut texts = Vec::new();
        for item in items {
            let packed = match &item.kind {
                ExprKind::Strings(list) => Some(list),
                ExprKind::Name(name) => match self.lets.get(name) {
                    Some(Binding::Strings(list)) => Some(list),
                    _ => None,
                },
                _ => None,
            };
            if let Some(list) = packed {
                texts.extend(list.strs().map(Cow::Borrowed));
                continue;
            }
            let mut values = Vec::new();
            self.flatten(std::slice::from_ref(item), &mut values)?;
            texts.extend(values.into_iter().filter(|v| !v.is_null()).map(|v| match v {
                Cow::Borrowed(v) => v.to_text(),
                Cow::Owned(v) => Cow::Owned(v.to_text().into_owned()),
            }));
        }
        Ok(texts)
    }

    fn string_set(&self, list: &Expr, case_sensitive: bool) -> Result<Arc<StringSet>, CompileError> {
        let key = self.shared_list_name(list).map(|name| (name, case_sensitive));
        shared(&self.string_sets, key, || {
            Ok(StringSet::new(&self.texts(list)?, case_sensitive))
        })
    }

    fn term_set(&self, list: &Expr) -> Result<Arc<TermSet>, CompileError> {
        shared(&self.term_sets, self.shared_list_name(list), || {
            Ok(TermSet::new(self.texts(list)?, false))
        })
    }

    fn operator(&mut self, operator: &Operator) -> Result<Stage, CompileError> {
        match operator {
            Operator::Where { predicate, .. } => Ok(Stage::Where(self.predicate(predicate)?)),
            Operator::Project { columns, .. } => {
                let mut scalars = Vec::new();
                let mut next = Vec::new();
                let mut seen = HashSet::new();
                for column in columns {
                    let (scalar, ty) = match &column.expr.kind {
                        ExprKind::Name(_) | ExprKind::Literal(_) | ExprKind::Call { .. } => {
                            self.scalar(&column.expr)?
                        }
                        _ => {
                            return Err(self.error(
                                column.expr.span,
                                "`project` takes columns, `Name = Column` renames and constants",
                            ))
                        }
                    };
                    let name = column.plain_name().unwrap_or_default().to_string();
                    if !seen.insert(name.clone()) {
                        return Err(self.error(column.expr.span, format!("`project` names `{name}` twice")));
                    }
                    scalars.push(scalar);
                    next.push(Column {
                        name,
                        ty: ty.unwrap_or(ColumnType::String),
                    });
                }
                self.columns = next;
                Ok(Stage::Project(scalars))
            }
            Operator::OrderBy { keys, .. } => {
                let mut compiled = Vec::new();
                for key in keys {
                    let ExprKind::Name(name) = &key.expr.kind else {
                        return Err(self.error(key.expr.span, "`order by` takes column names"));
                    };
                    let column = self
                        .column(name)
                        .ok_or_else(|| self.unknown_name(name, key.expr.span))?;
                    let descending = key.direction != Some(Direction::Asc);
                    // Kusto: nulls last when descending, first when ascending, unless stated.
                    let nulls_first = match key.nulls {
                        Some(Nulls::First) => true,
                        Some(Nulls::Last) => false,
                        None => !descending,
                    };
                    compiled.push(SortKey {
                        column,
                        descending,
                        nulls_first,
                    });
                }
                Ok(Stage::OrderBy(compiled))
            }
            Operator::Take { count, .. } => match count.kind {
                ExprKind::Literal(Literal::Long(n)) if n >= 0 => Ok(Stage::Take(n as u64)),
                _ => Err(self.error(count.span, "`take` needs a row count")),
            },
            other => Err(self.error(other.span(), format!("unsupported operator `{}`", other.name()))),
        }
    }

    /// Warnings that need both the document and its query: the IOC table against the query's
    /// lists, and the document's table against the query's.
    fn cross_check(&self, query_table: &str) -> Vec<Warning> {
        let rule = self.rule;
        let mut warnings = Vec::new();
        let mut warn = |message: String| {
            warnings.push(Warning {
                rule: rule.id.clone(),
                message,
            })
        };
        if let Some(table) = &rule.table {
            if table != query_table {
                warn(format!(
                    "the document names table `{table}` but the query reads `{query_table}`"
                ));
            }
        }
        if rule.indicators.is_empty() {
            return warnings;
        }
        let mut listed: Vec<&str> = Vec::new();
        let mut names: Vec<&String> = self.lets.keys().collect();
        names.sort();
        for name in names {
            match &self.lets[name] {
                Binding::List(values) => listed.extend(values.iter().filter_map(|v| match v {
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                })),
                Binding::Strings(list) => listed.extend(list.strs()),
                Binding::Scalar(_) => {}
            }
        }
        // Feeds write the table and the list from one array, in one order: then the two agree
        // without hashing a million values.
        if listed.len() == rule.indicators.len() && listed.iter().zip(rule.indicators.values()).all(|(l, v)| *l == v) {
            return warnings;
        }
        let in_query: FxHashSet<&str> = listed.iter().copied().collect();
        let in_table: FxHashSet<&str> = rule.indicators.values().collect();
        let only_table: Vec<&str> = rule.indicators.values().filter(|v| !in_query.contains(v)).collect();
        let only_query: Vec<&str> = listed.iter().copied().filter(|v| !in_table.contains(v)).collect();
        if !only_table.is_empty() {
            warn(format!(
                "{} IOC table value(s) missing from the query's lists, so the query will not find them: {}",
                only_table.len(),
                preview(&only_table)
            ));
        }
        if !only_query.is_empty() {
            warn(format!(
                "{} value(s) in the query's lists are not in the IOC table: {}",
                only_query.len(),
                preview(&only_query)
            ));
        }
        warnings
    }
}

/// A packed list's strings as the values a `List` of them would give.
fn strings_as_values(list: &StringList) -> impl Iterator<Item = Cow<'_, Value>> + '_ {
    list.strs().map(|s| Cow::Owned(Value::String(s.to_string())))
}

/// The set cached under `key`, or a new one from `build`, cached when there is a key.
fn shared<K: std::hash::Hash + Eq, T>(
    cache: &RefCell<HashMap<K, Arc<T>>>,
    key: Option<K>,
    build: impl FnOnce() -> Result<T, CompileError>,
) -> Result<Arc<T>, CompileError> {
    if let Some(set) = key.as_ref().and_then(|k| cache.borrow().get(k).cloned()) {
        return Ok(set);
    }
    let set = Arc::new(build()?);
    if let Some(key) = key {
        cache.borrow_mut().insert(key, Arc::clone(&set));
    }
    Ok(set)
}

fn preview(values: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        text.push_str(&format!(" and {} more", values.len() - SHOWN));
    }
    text
}
