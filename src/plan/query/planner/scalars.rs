//! The planner's scalar expressions: names resolved to columns, constants and `let`s, operators
//! and functions compiled to [`Scalar`]s with their static types, and constants folded.

use super::*;

impl Planner<'_> {
    pub(super) fn scalar(
        &mut self,
        expr: &Expr,
        columns: &[Col],
        scope: &Scope,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        let (scalar, ty) = self.scalar_unfolded(expr, columns, scope)?;
        Ok((fold(scalar, self.now), ty))
    }

    pub(super) fn scalar_unfolded(
        &mut self,
        expr: &Expr,
        columns: &[Col],
        scope: &Scope,
    ) -> Result<(Scalar, Option<ColumnType>), CompileError> {
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let value = literal.value();
                let ty = value.column_type();
                Ok((Scalar::Const(value), ty))
            }
            ExprKind::Name(name) => {
                if let Some(i) = columns.iter().position(|c| &c.name == name) {
                    return Ok((Scalar::Column(i), columns[i].ty));
                }
                match (scope.names.get(name), scope.constants.get(name)) {
                    (_, Some(Constant::Scalar(value))) => Ok((Scalar::Const(value.clone()), value.column_type())),
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
            ExprKind::Strings(list) => Ok((Scalar::Const(Value::Dynamic(list.to_json())), Some(ColumnType::Dynamic))),
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

    pub(super) fn binary(
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

    pub(super) fn flatten_logical(
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
    pub(super) fn list_source(&mut self, right: &Expr, scope: &Scope) -> Result<ListSource, CompileError> {
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
                (Scalar::Const(value), _) => push_list_values(&value, &mut values),
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

    pub(super) fn call(
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

    pub(super) fn call_scalar_function(
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

pub(super) enum ListSource {
    Values(Vec<Value>),
    Subquery(usize),
}
