//! The planner's tabular operators: each compiled over the columns before it into the
//! program's operators, with the columns after it (`summarize`, `join` and the rest).

use super::*;

impl Planner<'_> {
    /// Compiles one operator over `columns` into `ops`; returns the columns after it.
    pub(super) fn operator(
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

    pub(super) fn unknown_column(&self, name: &str, span: Span, columns: &[Col]) -> CompileError {
        let names = columns.iter().map(|c| c.name.as_str());
        self.error(span, crate::plan::unknown_name_message(name, names))
    }

    pub(super) fn count(&mut self, expr: &Expr, scope: &Scope) -> Result<usize, CompileError> {
        match self.scalar(expr, &[], scope)?.0 {
            Scalar::Const(value) => match plain(&value).as_ref() {
                Value::Long(n) if *n >= 0 => Ok(usize::try_from(*n).unwrap_or(usize::MAX)),
                _ => Err(self.error(expr.span, "expected a non-negative row count")),
            },
            _ => Err(self.error(expr.span, "expected a constant row count")),
        }
    }

    pub(super) fn sort_keys(
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
    pub(super) fn summarize_computed(
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

    pub(super) fn summarize(
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
    pub(super) fn join(
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
}

/// Replaces each aggregate call inside `expr` by a hidden column's name, adding the call as a
/// named aggregate to `hidden`.
pub(super) fn hide_aggregates(expr: &mut Expr, is_aggregate: &dyn Fn(&Expr) -> bool, hidden: &mut Vec<ProjectColumn>) {
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
        ExprKind::Literal(_) | ExprKind::Strings(_) | ExprKind::Name(_) | ExprKind::Star | ExprKind::Tabular(_) => {}
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
pub(super) fn narrows(operator: &Operator) -> bool {
    match operator {
        Operator::Project { columns, .. } => !columns.iter().any(|c| c.plain_name().is_some_and(|n| n.contains('*'))),
        Operator::Summarize { .. } | Operator::Count { .. } => true,
        Operator::Distinct { columns, .. } => !columns.is_empty(),
        _ => false,
    }
}
