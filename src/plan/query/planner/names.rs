//! The names a query mentions: what lets a table's rows keep only the columns the query reads.

use super::*;

/// Every name a query mentions (columns, `let`s, functions, new columns alike: a superset of
/// the columns it reads), or `None` when it reads columns it does not name: `*` anywhere
/// (`project Device*`, `arg_max(T, *)`, `distinct *`, `project-reorder *`), `pack_all()`,
/// `column_ifexists()`, `evaluate`.
pub(super) fn mentioned_names(query: &Query) -> Option<std::collections::HashSet<String>> {
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
pub(super) fn note_expr<'q>(
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

pub(super) fn note_column<'q>(
    column: &'q ProjectColumn,
    names: &mut std::collections::HashSet<String>,
    implicit: &mut bool,
    nested: &mut Vec<&'q Tabular>,
) {
    note_expr(&column.expr, names, implicit, nested);
    *implicit |= column.plain_name().is_some_and(|n| n.contains('*'));
}

/// Adds a function's tabular parts to `tabulars` and hands its scalar parts to `expr`.
pub(super) fn lets_and_body<'q>(
    function: &'q UserFunction,
    tabulars: &mut Vec<&'q Tabular>,
    expr: &mut dyn FnMut(&'q Expr),
) {
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
pub(super) fn nested_tabulars<'q>(expr: &'q Expr, out: &mut Vec<&'q Tabular>) {
    match &expr.kind {
        ExprKind::Tabular(inner) => out.push(inner),
        ExprKind::Literal(_) | ExprKind::Strings(_) | ExprKind::Name(_) | ExprKind::Star => {}
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
pub(super) fn contains_star(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Star => true,
        ExprKind::Literal(_) | ExprKind::Strings(_) | ExprKind::Name(_) | ExprKind::Tabular(_) => false,
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
pub(super) fn visit_names(expr: &Expr, visit: &mut impl FnMut(&str)) {
    match &expr.kind {
        ExprKind::Name(name) => visit(name),
        ExprKind::Literal(_) | ExprKind::Strings(_) | ExprKind::Star | ExprKind::Tabular(_) => {}
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
