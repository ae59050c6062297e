//! The planner's sources: tables by name and wildcards, subqueries, `union` legs, `datatable`,
//! `print`, `range`, `externaldata`, watchlists, and calls of user functions and views.

use super::*;

impl Planner<'_> {
    pub(super) fn source(
        &mut self,
        source: &Source,
        scope: &Scope,
        span: Span,
    ) -> Result<(Node, Vec<Col>), CompileError> {
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
                for (position, item) in items.iter().enumerate() {
                    let (scalar, ty) = self.scalar(&item.expr, &[], scope)?;
                    // Kusto names an unnamed `print` column by its position: `print_0`, `print_1`...
                    let name = match &item.name {
                        Some(name) => name.name.clone(),
                        None => format!("print_{position}"),
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
                // `range` is built when the query is compiled; past a million rows it is refused
                // rather than cut short (or a step of 0, which never ends).
                const RANGE_ROWS: usize = 1_000_000;
                loop {
                    if rows.len() == RANGE_ROWS {
                        return Err(self.error(
                            name.span,
                            format!("`range` makes more than {RANGE_ROWS} rows; loghunt builds it in memory"),
                        ));
                    }
                    let inside = crate::plan::query::expr::compare(
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
                    value = crate::plan::query::expr::arithmetic(kql::Arithmetic::Add, &value, &step);
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

    pub(super) fn tabular_call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        scope: &Scope,
    ) -> Result<(Node, Vec<Col>), CompileError> {
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

    pub(super) fn cloud_only(&self, name: &Ident) -> CompileError {
        self.error(
            name.span,
            format!(
                "`{}()` needs Microsoft's cloud (it looks data up in Defender's or Sentinel's services), which loghunt does not reach offline",
                name.name
            ),
        )
    }

    /// A function's parameters bound to the call's arguments, in a scope for its body.
    pub(super) fn call_scope(
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

    pub(super) fn call_tabular_function(
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

    pub(super) fn declared_columns(&self, columns: &[kql::ColumnDecl]) -> Result<Vec<Col>, CompileError> {
        columns
            .iter()
            .map(|c| match type_named(&c.ty.name) {
                Some(ty) => Ok(Col::new(c.name.name.clone(), Some(ty))),
                None => Err(self.error(c.ty.span, format!("unknown type `{}`", c.ty.name))),
            })
            .collect()
    }

    pub(super) fn union_legs(
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
                    for table in schema::tables_matching(&name.name) {
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
}

/// What a `union` leg's missing columns hold: `""` for strings, null for the rest.
pub(super) fn union_fill(columns: &[Col]) -> Vec<Value> {
    columns
        .iter()
        .map(|c| match c.ty {
            Some(ColumnType::String) => Value::String(String::new()),
            _ => Value::Null,
        })
        .collect()
}

pub(super) fn step_positive(step: &Value) -> bool {
    match plain(step).as_ref() {
        Value::Long(n) => *n > 0,
        Value::Real(x) => *x > 0.0,
        Value::TimeSpan(t) => *t > 0,
        _ => true,
    }
}
