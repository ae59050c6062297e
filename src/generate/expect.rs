//! The expected answers: which planted values each rule's query must return, read from the
//! query itself by a small evaluator kept apart from `plan` on purpose.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTable {
    DeviceFileEvents,
    DnsEvents,
    /// Process creations; no rule shape is predicted over it (the engine benchmarks check their
    /// answers with an evaluator of their own), so it takes no `--rules`.
    DeviceProcessEvents,
    /// Connections, by processes of the same devices and process ids as `DeviceProcessEvents`.
    DeviceNetworkEvents,
}

impl LogTable {
    pub fn from_name(name: &str) -> Result<LogTable, GenError> {
        match name {
            "DeviceFileEvents" => Ok(LogTable::DeviceFileEvents),
            "DnsEvents" => Ok(LogTable::DnsEvents),
            "DeviceProcessEvents" => Ok(LogTable::DeviceProcessEvents),
            "DeviceNetworkEvents" => Ok(LogTable::DeviceNetworkEvents),
            _ => Err(GenError::Invalid(format!(
                "--table: cannot generate `{name}` (use DeviceFileEvents, DnsEvents, \
                 DeviceProcessEvents or DeviceNetworkEvents)"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogTable::DeviceFileEvents => "DeviceFileEvents",
            LogTable::DnsEvents => "DnsEvents",
            LogTable::DeviceProcessEvents => "DeviceProcessEvents",
            LogTable::DeviceNetworkEvents => "DeviceNetworkEvents",
        }
    }

    /// About how many bytes a row takes, for the `--hits` bound and the export's time span.
    pub(super) fn row_bytes(self) -> u64 {
        match self {
            LogTable::DeviceFileEvents => 2_500,
            LogTable::DnsEvents => 700,
            LogTable::DeviceProcessEvents => 3_200,
            LogTable::DeviceNetworkEvents => 2_070,
        }
    }
}

/// The hash columns a rule can test, in the order of the bits of a column mask.
pub(super) const HASH_COLUMNS: [&str; 3] = ["SHA256", "SHA1", "MD5"];

pub(super) fn is_term(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

pub(super) fn bounded(value: &str) -> bool {
    value.bytes().next().is_some_and(is_term) && value.bytes().last().is_some_and(is_term)
}

/// `has` needles of all rules, lower-case, each starting and ending with a letter or digit. Terms
/// are runs of ASCII letters and digits, so such a needle can only occur from a term start to a
/// term end: the few substrings of a name between those are looked up.
#[derive(Default)]
pub(super) struct Needles(pub(super) HashMap<Vec<u8>, Vec<u32>>);

impl Needles {
    /// Sets `out` to the rules with a needle that `name has`, in order.
    pub(super) fn matches(&self, name: &[u8], out: &mut Vec<u32>) {
        out.clear();
        let lower = name.to_ascii_lowercase();
        let n = lower.len();
        let starts = (0..n).filter(|&i| is_term(lower[i]) && (i == 0 || !is_term(lower[i - 1])));
        for s in starts {
            for e in (s + 1..=n).filter(|&e| is_term(lower[e - 1]) && (e == n || !is_term(lower[e]))) {
                out.extend(self.0.get(&lower[s..e]).into_iter().flatten());
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// The rules, reduced to what decides their result counts over one generated table.
#[derive(Default)]
pub(super) struct Targets {
    pub(super) ids: Vec<String>,
    /// Hash → (rule, mask of the `HASH_COLUMNS` the rule tests it in). Exact and case-sensitive.
    pub(super) hashes: HashMap<Vec<u8>, Vec<(u32, u8)>>,
    pub(super) needles: Needles,
    /// Per rule with something to plant: its IOCs, each with its hash column (0 for a domain).
    pub(super) plant: Vec<Vec<(String, usize)>>,
}

impl Targets {
    pub(super) fn load(paths: &[PathBuf], table: LogTable) -> Result<Targets, GenError> {
        let mut targets = Targets::default();
        if paths.is_empty() {
            return Ok(targets);
        }
        let loaded = rules::load(paths).map_err(|e| e.to_string())?;
        for (index, rule) in loaded.rules.iter().enumerate() {
            targets.ids.push(rule.id.clone());
            targets.add(index as u32, rule, table)?;
        }
        Ok(targets)
    }

    pub(super) fn add(&mut self, index: u32, rule: &Rule, table: LogTable) -> Result<(), GenError> {
        let failed = |what: String| GenError::Invalid(format!("{}: rule {}: {what}", rule.source.display(), rule.id));
        let query = kql::parse(&rule.query).map_err(|e| failed(e.to_string()))?;
        if query.table().map(|t| t.name.as_str()) != Some(table.name()) {
            return Ok(()); // it never reads these records, so it returns nothing
        }
        let unsupported = || {
            failed(
                "gen logs can only predict `where SHA256 in (...) or SHA1 in (...) or MD5 in (...)` over \
                 DeviceFileEvents and `where Name has_any (...)` over DnsEvents (domains as needles)"
                    .into(),
            )
        };
        let mut wheres = query
            .operators()
            .iter()
            .filter(|op| matches!(op, Operator::Where { .. }));
        let (Some(Operator::Where { predicate, .. }), None) = (wheres.next(), wheres.next()) else {
            return Err(unsupported());
        };
        if query.operators().iter().any(|op| matches!(op, Operator::Take { .. })) {
            return Err(unsupported());
        }
        let mut leaves = Vec::new();
        or_leaves(predicate, &mut leaves);
        for leaf in leaves {
            let ExprKind::Binary { op, left, right } = &leaf.kind else {
                return Err(unsupported());
            };
            let (ExprKind::Name(column), mut values) = (&left.kind, Vec::new()) else {
                return Err(unsupported());
            };
            if !list_values(right, &query.lets, &mut values) {
                return Err(unsupported());
            }
            let exact_in = *op
                == BinaryOp::In {
                    case_sensitive: true,
                    negated: false,
                };
            let has = *op == BinaryOp::HasAny
                || matches!(op, BinaryOp::String(s) if s.test == StringTest::Has && !s.case_sensitive && !s.negated);
            match (table, HASH_COLUMNS.iter().position(|c| c == column)) {
                (LogTable::DeviceFileEvents, Some(c)) if exact_in => {
                    for value in values {
                        let entry = self.hashes.entry(value.into_bytes()).or_default();
                        match entry.last_mut() {
                            Some((r, mask)) if *r == index => *mask |= 1 << c,
                            _ => entry.push((index, 1 << c)),
                        }
                    }
                }
                // Other needles (`""`, `.ru`) are legal but never in IOC lists: not worth an evaluator.
                (LogTable::DnsEvents, _) if has && column == "Name" && values.iter().all(|v| bounded(v)) => {
                    for value in values {
                        let rules = self
                            .needles
                            .0
                            .entry(value.to_ascii_lowercase().into_bytes())
                            .or_default();
                        if rules.last() != Some(&index) {
                            rules.push(index);
                        }
                    }
                }
                _ => return Err(unsupported()),
            }
        }
        // Plant what the document's IOC table lists, where the query looks for it.
        let plant: Vec<(String, usize)> = (rule.indicators.kinds_and_values())
            .filter_map(|(kind, value)| {
                let bytes = value.as_bytes();
                let column = match kind {
                    IndicatorKind::Sha256 => 0,
                    IndicatorKind::Sha1 => 1,
                    IndicatorKind::Md5 => 2,
                    _ => 0,
                };
                let ok = match table {
                    LogTable::DeviceFileEvents => {
                        kind.hash_length() == Some(bytes.len())
                            && bytes.iter().all(u8::is_ascii_hexdigit)
                            && (self.hashes.get(bytes).into_iter().flatten())
                                .any(|&(r, mask)| r == index && mask & (1 << column) != 0)
                    }
                    LogTable::DnsEvents => {
                        *kind == IndicatorKind::Domain
                            && (self.needles.0.get(&bytes.to_ascii_lowercase()))
                                .is_some_and(|rules| rules.contains(&index))
                    }
                    LogTable::DeviceProcessEvents | LogTable::DeviceNetworkEvents => false,
                };
                ok.then(|| (value.to_string(), column))
            })
            .collect();
        if !plant.is_empty() {
            self.plant.push(plant);
        }
        Ok(())
    }

    /// Sets `out` to the rules a DeviceFileEvents row with these SHA256, SHA1, MD5 values matches.
    pub(super) fn hash_matches(&self, columns: [&[u8]; 3], out: &mut Vec<u32>) {
        out.clear();
        for (c, value) in columns.iter().enumerate() {
            let entries = self.hashes.get(*value).into_iter().flatten();
            out.extend(entries.filter(|(_, mask)| mask & (1 << c) != 0).map(|(rule, _)| rule));
        }
        out.sort_unstable();
        out.dedup();
    }
}

pub(super) fn or_leaves<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &expr.kind {
        ExprKind::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            or_leaves(left, out);
            or_leaves(right, out);
        }
        _ => out.push(expr),
    }
}

/// The strings on the right of `in`/`has_any`, `let` names resolved; false for anything else.
pub(super) fn list_values(expr: &Expr, lets: &[kql::Let], out: &mut Vec<String>) -> bool {
    match &expr.kind {
        ExprKind::List(items) => items.iter().all(|item| list_values(item, lets, out)),
        ExprKind::Literal(Literal::String(s)) => {
            out.push(s.clone());
            true
        }
        ExprKind::Name(name) => (lets.iter().rev().find(|l| &l.name.name == name)).is_some_and(
            |binding| matches!(&binding.value, kql::LetValue::Expr(value) if list_values(value, lets, out)),
        ),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Log exports
