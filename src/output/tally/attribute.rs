//! Attribution: which IOCs of a rule one result record matched. An IOC is credited with a
//! record exactly when the rule, with that IOC as its only IOC, would return the record:
//!
//! - **Rule documents**: the IOC tests are the leaves of the pipeline's streaming `where`s
//!   (`in`, `in~`, `==`, `has`, `has_any`, `contains`, `=~`, ... on a column, and their negated
//!   forms) whose list holds at least one of the rule's IOC values. An IOC is credited when
//!   (a) a test that looks for it (not under a negation) finds it in the record, and (b) every
//!   streaming `where`, evaluated again with each IOC test's list cut down to that IOC (a test
//!   that does not list it is false, a negated one true), holds; the rest of the predicate
//!   (`and FolderPath startswith ...`) is evaluated as the query does. (b) alone is the rule
//!   with that IOC as its only IOC; (a) keeps an IOC that does not occur in the record from
//!   being credited through an `or` that holds without it. An IOC is listed in a query as its
//!   value, or in the forms `loghunt feed` writes: a URL without its scheme, an `ip:port` as its
//!   address beside a port test (unless the address is another IOC's too: a test of the address
//!   could not tell them apart, and the IOC is then credited only where listed as written). Candidates come from the tests' own
//!   lookups (a hash-set probe per `in`, an automaton per `has_any`), so a record costs a few
//!   lookups, not one evaluation per IOC.
//! - **Feed rules**: the rule's [`IocLookup`] knows its columns and operators (hashes `in~`,
//!   addresses `in` with the port of an `ip:port` IOC, `has_any` for domains and URLs), and
//!   [`IocLookup::find_all`] gives every indicator the record matches.
//!
//! The record is a [`Row`] over its table's columns: the re-read record, a result row that is
//! the whole table row, or a computed row read by column name (see the module above).

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use aho_corasick::AhoCorasick;

use crate::plan::eval::{all_of, any_of};
use crate::plan::text::{on_term_boundaries, term_automaton, with_folded};
use crate::plan::{Pipeline, Predicate, Row, Scalar, Stage};
use crate::rules::feeds::rules::IocLookup;
use crate::schema::Table;
use crate::value::Value;

/// How the IOCs of one rule are found in its records.
#[derive(Debug)]
pub enum Attributor<'p> {
    /// A rule document's IOC values, tested as its pipelines test them.
    Query { pipelines: Vec<PipelineIocs<'p>> },
    /// A feed rule's indicators.
    Feed(&'p IocLookup),
}

impl<'p> Attributor<'p> {
    /// The attributor of a rule document whose IOC values are `values` (in IOC-table order),
    /// over its `pipelines`.
    pub fn query(values: &[&str], pipelines: &'p [Pipeline]) -> Attributor<'p> {
        let spellings: Vec<Vec<String>> = values.iter().map(|v| vec![v.to_string()]).collect();
        Attributor::spelled(&spellings, pipelines)
    }

    /// [`Attributor::query`] where an IOC may be listed in the query in more than one way (a
    /// URL without its scheme): `spellings[i]` are the texts IOC `i` is looked for as.
    pub fn spelled(spellings: &[Vec<String>], pipelines: &'p [Pipeline]) -> Attributor<'p> {
        Attributor::Query {
            pipelines: pipelines.iter().map(|p| PipelineIocs::new(p, spellings)).collect(),
        }
    }

    /// Whether any IOC test was found to credit IOCs with (a rule whose IOC values appear in no
    /// test of a streaming `where` cannot attribute anything).
    pub fn can_attribute(&self) -> bool {
        match self {
            Attributor::Query { pipelines } => pipelines.iter().any(|p| !p.leaves.is_empty()),
            Attributor::Feed(_) => true,
        }
    }

    /// The tables of the records it reads (a record of another table is none of its results).
    pub fn reads(&self, table: &Table) -> bool {
        match self {
            Attributor::Query { pipelines } => pipelines.iter().any(|p| std::ptr::eq(p.pipeline.table, table)),
            Attributor::Feed(_) => true,
        }
    }

    /// The IOCs (by position in the rule's list) `record`, a row of `table`, matched.
    pub fn credited(&self, record: &dyn Row, table: &Table) -> Vec<usize> {
        let mut found = match self {
            Attributor::Query { pipelines } => pipelines
                .iter()
                .filter(|p| std::ptr::eq(p.pipeline.table, table))
                .flat_map(|p| p.credited(record))
                .collect(),
            Attributor::Feed(lookup) => {
                let value_of = |name: &str| -> Option<String> {
                    let value = record.value(table.column_index(name)?);
                    (!value.is_null()).then(|| value.to_text().into_owned())
                };
                // A feed rule's lookup (`RuleIocs::Feed` holds no other) always answers.
                lookup.find_all(&value_of).unwrap_or_default()
            }
        };
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The IOC tests of one pipeline.
#[derive(Debug)]
pub struct PipelineIocs<'p> {
    pipeline: &'p Pipeline,
    leaves: Vec<Leaf<'p>>,
}

/// A leaf of a streaming `where` that lists some of the rule's IOC values.
#[derive(Debug)]
struct Leaf<'p> {
    predicate: &'p Predicate,
    /// `!in`, `!has`...: the leaf holds when its test fails.
    negated: bool,
    /// Whether the test finding an IOC makes the `where` more likely to hold (not under an odd
    /// number of negations): only such leaves propose candidates.
    looks_for: bool,
    /// The column it reads, in the columns of its stage.
    column: usize,
    /// The IOCs it lists, sorted.
    members: Vec<usize>,
    finder: Finder,
}

/// How a leaf finds the IOCs a value matches.
#[derive(Debug)]
enum Finder {
    /// `in`, `in~`, `==`: the value (ASCII-lower-cased for `in~`) looked up.
    Exact {
        iocs: HashMap<String, Vec<usize>>,
        case_sensitive: bool,
    },
    /// `has`, `has_any`: every IOC that occurs on term boundaries.
    Terms {
        /// Of the values, ASCII case ignored unless `case_sensitive` (`has_cs`): a
        /// [`term_automaton`], searched [`with_folded`].
        automaton: Option<AhoCorasick>,
        /// Per pattern of the automaton: the IOC value, as given, and the IOCs with it.
        patterns: Vec<(String, Vec<usize>)>,
        case_sensitive: bool,
    },
    /// `contains`, `startswith`, `endswith`, `=~` with one needle: the leaf itself.
    Single,
}

impl<'p> PipelineIocs<'p> {
    fn new(pipeline: &'p Pipeline, values: &[Vec<String>]) -> PipelineIocs<'p> {
        let mut leaves = Vec::new();
        for stage in &pipeline.streaming {
            if let Stage::Where(predicate) = stage {
                collect_leaves(predicate, values, true, &mut leaves);
            }
        }
        PipelineIocs { pipeline, leaves }
    }

    /// The IOCs the record matched: candidates from the leaves' lookups, each kept when every
    /// streaming `where`, restricted to it, holds.
    fn credited(&self, record: &dyn Row) -> Vec<usize> {
        if self.leaves.is_empty() {
            return Vec::new();
        }
        // The row each `where` sees: the record, or the row of the `project` before it.
        let mut wheres: Vec<(&Predicate, Option<Vec<Value>>)> = Vec::new();
        let mut projected: Option<Vec<Value>> = None;
        for stage in &self.pipeline.streaming {
            match stage {
                Stage::Where(predicate) => wheres.push((predicate, projected.clone())),
                Stage::Project(scalars) => {
                    let row: Vec<Value> = match &projected {
                        None => scalars.iter().map(|s| s.eval(record).into_owned()).collect(),
                        Some(row) => scalars.iter().map(|s| s.eval(row.as_slice()).into_owned()).collect(),
                    };
                    projected = Some(row);
                }
                Stage::OrderBy(_) | Stage::Take(_) => {}
            }
        }
        let projected_views: Vec<Option<Values<'_>>> =
            wheres.iter().map(|(_, row)| row.as_deref().map(Values)).collect();
        let view = |at: usize| -> &dyn Row {
            match &projected_views[at] {
                None => record,
                Some(values) => values,
            }
        };
        let mut candidates = Vec::new();
        for (at, (predicate, _)) in wheres.iter().enumerate() {
            for leaf in self
                .leaves
                .iter()
                .filter(|l| l.looks_for && within(predicate, l.predicate))
            {
                leaf.candidates(&view(at).text(leaf.column), &mut candidates);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&ioc| {
            wheres
                .iter()
                .enumerate()
                .all(|(at, (predicate, _))| self.restricted(predicate, view(at), ioc) == Some(true))
        });
        candidates
    }

    /// The predicate with every IOC leaf restricted to `ioc`, in Kusto's three-valued logic.
    fn restricted(&self, predicate: &Predicate, row: &dyn Row, ioc: usize) -> Option<bool> {
        match predicate {
            Predicate::And(parts) => all_of(parts.iter().map(|part| self.restricted(part, row, ioc))),
            Predicate::Or(parts) => any_of(parts.iter().map(|part| self.restricted(part, row, ioc))),
            Predicate::Not(inner) => self.restricted(inner, row, ioc).map(|b| !b),
            _ => match self.leaves.iter().find(|l| std::ptr::eq(l.predicate, predicate)) {
                Some(leaf) => {
                    let found = leaf.members.binary_search(&ioc).is_ok() && leaf.holds_for(&row.text(leaf.column), ioc);
                    Some(found != leaf.negated)
                }
                None => predicate.eval(row),
            },
        }
    }
}

/// Whether `leaf` is `predicate` or one of its parts.
fn within(predicate: &Predicate, leaf: &Predicate) -> bool {
    if std::ptr::eq(predicate, leaf) {
        return true;
    }
    match predicate {
        Predicate::And(parts) | Predicate::Or(parts) => parts.iter().any(|p| within(p, leaf)),
        Predicate::Not(inner) => within(inner, leaf),
        _ => false,
    }
}

/// The IOC leaves of a predicate, under `and`, `or` and `not`; `positive` is false under an
/// odd number of `not`s.
fn collect_leaves<'p>(predicate: &'p Predicate, values: &[Vec<String>], positive: bool, out: &mut Vec<Leaf<'p>>) {
    let members = |is_member: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..values.len())
            .filter(|&i| values[i].iter().any(|v| is_member(v)))
            .collect()
    };
    let (leaf, negated) = match predicate {
        Predicate::And(parts) | Predicate::Or(parts) => {
            parts.iter().for_each(|p| collect_leaves(p, values, positive, out));
            return;
        }
        Predicate::Not(inner) => return collect_leaves(inner, values, !positive, out),
        Predicate::InStrings {
            operand: Scalar::Column(column),
            set,
            negated,
        } => {
            let members = members(&|v| set.contains(v));
            let case_sensitive = set.case_sensitive();
            let mut iocs: HashMap<String, Vec<usize>> = HashMap::new();
            for &ioc in &members {
                for value in values[ioc].iter().filter(|v| set.contains(v)) {
                    iocs.entry(fold(value, case_sensitive)).or_default().push(ioc);
                }
            }
            let finder = Finder::Exact { iocs, case_sensitive };
            ((*column, members, finder), *negated)
        }
        Predicate::Terms {
            operand: Scalar::Column(column),
            set,
            all: false,
            negated,
        } => {
            let case_sensitive = set.case_sensitive();
            let needles: std::collections::HashSet<String> = set.needles().map(|n| fold(n, case_sensitive)).collect();
            let listed = |v: &str| !v.is_empty() && needles.contains(&fold(v, case_sensitive));
            let members = members(&listed);
            // Each value once, in order of first appearance, with its IOCs (found by a map:
            // a search of the list for each value was quadratic, seconds for a feed of 100,000
            // domains).
            let mut by_value: Vec<(String, Vec<usize>)> = Vec::new();
            let mut position: HashMap<&str, usize> = HashMap::new();
            for &ioc in &members {
                for value in values[ioc].iter().filter(|v| listed(v)) {
                    match position.entry(value.as_str()) {
                        Entry::Occupied(at) => by_value[*at.get()].1.push(ioc),
                        Entry::Vacant(at) => {
                            at.insert(by_value.len());
                            by_value.push((value.clone(), vec![ioc]));
                        }
                    }
                }
            }
            let automaton = (!by_value.is_empty())
                .then(|| term_automaton(by_value.iter().map(|(v, _)| v.as_bytes()), case_sensitive));
            let finder = Finder::Terms {
                automaton,
                patterns: by_value,
                case_sensitive,
            };
            ((*column, members, finder), *negated)
        }
        Predicate::Substring {
            operand: Scalar::Column(column),
            test,
            negated,
        } => {
            let (_, needle, case_sensitive) = test.parts();
            let members = members(&|v| fold(v, case_sensitive) == fold(needle, case_sensitive));
            ((*column, members, Finder::Single), *negated)
        }
        _ => return,
    };
    let (column, members, finder) = leaf;
    if !members.is_empty() {
        out.push(Leaf {
            predicate,
            negated,
            looks_for: positive != negated,
            column,
            members,
            finder,
        });
    }
}

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_string()
    } else {
        text.to_ascii_lowercase()
    }
}

impl Leaf<'_> {
    /// Adds to `out` the IOCs this leaf finds in `text` (each then checked in full).
    fn candidates(&self, text: &str, out: &mut Vec<usize>) {
        match &self.finder {
            Finder::Exact { iocs, case_sensitive } => {
                if let Some(found) = iocs.get(&fold(text, *case_sensitive)) {
                    out.extend(found);
                }
            }
            Finder::Terms {
                automaton: Some(automaton),
                patterns,
                case_sensitive,
            } => {
                with_folded(text, *case_sensitive, |bytes| {
                    for found in automaton.find_overlapping_iter(bytes) {
                        let (value, iocs) = &patterns[found.pattern().as_usize()];
                        if on_term_boundaries(bytes, value.as_bytes(), found.start(), found.end()) {
                            out.extend(iocs);
                        }
                    }
                });
            }
            Finder::Terms { automaton: None, .. } => {}
            Finder::Single => {
                // The test itself, whatever the leaf's negation.
                if (self.predicate.eval(&OneText(text)) == Some(true)) != self.negated {
                    out.extend(&self.members);
                }
            }
        }
    }

    /// The leaf restricted to one of its IOCs, on its column's text.
    fn holds_for(&self, text: &str, ioc: usize) -> bool {
        let mut found = Vec::new();
        self.candidates(text, &mut found);
        found.contains(&ioc)
    }
}

/// A row of values (a projected row, a result row) as a [`Row`] object.
pub struct Values<'v>(pub &'v [Value]);

impl Row for Values<'_> {
    fn value(&self, column: usize) -> std::borrow::Cow<'_, Value> {
        std::borrow::Cow::Borrowed(&self.0[column])
    }
}

/// A row whose every column reads as one text: what a one-column leaf is evaluated on.
struct OneText<'t>(&'t str);

impl Row for OneText<'_> {
    fn value(&self, _column: usize) -> std::borrow::Cow<'_, Value> {
        std::borrow::Cow::Owned(Value::String(self.0.to_string()))
    }

    fn text(&self, _column: usize) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{json, Map, Value as Json};

    use super::*;
    use crate::input::record::RecordRow;
    use crate::plan::{compile_rule, Output};
    use crate::rules::feeds::read_feed;
    use crate::rules::feeds::rules::feed_rules;
    use crate::rules::Rule;

    fn rule(query: &str) -> Rule {
        Rule::of_query("r", "r.kql", query)
    }

    fn fields(record: Json) -> Map<String, Json> {
        match record {
            Json::Object(map) => map,
            _ => unreachable!("records are objects"),
        }
    }

    /// The IOC values a rule document's query credits a record with.
    fn credited(query: &str, iocs: &[&str], record: Json) -> Vec<String> {
        let (compiled, _) = compile_rule(&rule(query), 0).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(matches!(compiled.output, Output::Pipeline | Output::Program(_)));
        let table = compiled.pipelines[0].table;
        let attributor = Attributor::query(iocs, &compiled.pipelines);
        let fields = fields(record);
        let row = RecordRow { fields: &fields, table };
        attributor
            .credited(&row, table)
            .into_iter()
            .map(|i| iocs[i].to_string())
            .collect()
    }

    const SHA256: &str = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
    const SHA1: &str = "0b8b5c278750f6e4a14fde3495cd403eddb9f2bc";
    const MD5: &str = "93e61d5a877bbb937e885d3ca385ac8a";
    const OTHER_MD5: &str = "10cf94eef24c8932d28698e02faf43e5";

    #[test]
    fn documents_credit_what_the_query_matched() {
        let hashes = "let h = dynamic([\"ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303\", \
                      \"0b8b5c278750f6e4a14fde3495cd403eddb9f2bc\", \"93e61d5a877bbb937e885d3ca385ac8a\", \
                      \"10cf94eef24c8932d28698e02faf43e5\"]);\n";
        let seed = format!(
            "{hashes}DeviceFileEvents | where SHA256 in (h) or SHA1 in (h) or MD5 in (h) \
             | project Timestamp, DeviceName, SHA256 | order by Timestamp desc"
        );
        let iocs = [SHA256, SHA1, MD5, OTHER_MD5];
        let domains = ["spapro.co.com", "moocow.my", "api.moocow.my"];
        let dns = "DnsEvents | where Name has_any (\"spapro.co.com\", \"moocow.my\", \"api.moocow.my\")";
        // (query, IOCs, record, credited IOC values)
        let cases: Vec<(String, &[&str], Json, &[&str])> = vec![
            // Found by its MD5 while the result shows a SHA256 that is no IOC.
            (seed.clone(), &iocs, json!({"SHA256": "6a9f02", "MD5": MD5}), &[MD5]),
            // Two hashes of the same file are both IOCs: both credited.
            (
                seed.clone(),
                &iocs,
                json!({"SHA256": SHA256, "SHA1": SHA1}),
                &[SHA256, SHA1],
            ),
            // `in` is case-sensitive: an upper-case MD5 is no match, the SHA1 is.
            (
                seed.clone(),
                &iocs,
                json!({"MD5": MD5.to_uppercase(), "SHA1": SHA1}),
                &[SHA1],
            ),
            // An IOC in a column the query does not test it on is not credited.
            (
                seed.clone(),
                &iocs,
                json!({"FileName": MD5, "MD5": OTHER_MD5}),
                &[OTHER_MD5],
            ),
            (seed.clone(), &iocs, json!({"SHA256": "x"}), &[]),
            // `in~` folds ASCII case.
            (
                format!("{hashes}DeviceFileEvents | where MD5 in~ (h)"),
                &iocs,
                json!({"MD5": MD5.to_uppercase()}),
                &[MD5],
            ),
            // has_any on term boundaries: a parent domain and the domain itself both hold.
            (
                dns.into(),
                &domains,
                json!({"Name": "x.API.moocow.my"}),
                &["moocow.my", "api.moocow.my"],
            ),
            (
                dns.into(),
                &domains,
                json!({"Name": "spapro.co.com-cdn.net"}),
                &["spapro.co.com"],
            ),
            (dns.into(), &domains, json!({"Name": "myspapro.co.com"}), &[]),
            (dns.into(), &domains, json!({"Name": "spapro.co.community"}), &[]),
            // Case is ignored on both sides, and the IOC is credited as it is written; `has_cs`
            // keeps it.
            (
                "DnsEvents | where Name has_any (\"SpaPro.co.com\", \"moocow.MY\")".into(),
                &["SpaPro.co.com", "moocow.MY"],
                json!({"Name": "cdn.SPAPRO.co.com.moocow.my"}),
                &["SpaPro.co.com", "moocow.MY"],
            ),
            (
                "DnsEvents | where Name has_cs \"SpaPro.co.com\" or Name has_cs \"moocow.MY\"".into(),
                &["SpaPro.co.com", "moocow.MY"],
                json!({"Name": "cdn.SpaPro.co.com.moocow.my"}),
                &["SpaPro.co.com"],
            ),
            // The rest of the predicate still applies: restricted to one IOC, `and` and `not`
            // hold as the query says.
            (
                "DnsEvents | where (Name has \"moocow.my\" and QueryType == \"A\") or Name has \"spapro.co.com\""
                    .into(),
                &domains,
                json!({"Name": "moocow.my.spapro.co.com", "QueryType": "AAAA"}),
                &["spapro.co.com"],
            ),
            (
                "DnsEvents | where Name has_any (\"moocow.my\", \"spapro.co.com\") and not(Name has \"api.moocow.my\")"
                    .into(),
                &domains,
                json!({"Name": "moocow.my"}),
                &["moocow.my"],
            ),
            // An `or` that holds without any IOC credits only the IOCs the record has.
            (
                "DnsEvents | where Name has_any (\"moocow.my\", \"spapro.co.com\") or QueryType == \"A\"".into(),
                &domains,
                json!({"Name": "a.moocow.my", "QueryType": "A"}),
                &["moocow.my"],
            ),
            (
                "DnsEvents | where Name has_any (\"moocow.my\", \"spapro.co.com\") or QueryType == \"A\"".into(),
                &domains,
                json!({"Name": "example.org", "QueryType": "A"}),
                &[],
            ),
            // A negated IOC test is cut down to the one IOC too.
            (
                "DnsEvents | where Name has_any (\"moocow.my\", \"api.moocow.my\") and Name !has \"api.moocow.my\""
                    .into(),
                &domains,
                json!({"Name": "moocow.my"}),
                &["moocow.my"],
            ),
            // A `where` after a `project` reads the projected row.
            (
                "DnsEvents | project N = Name | where N has_any (\"moocow.my\")".into(),
                &domains,
                json!({"Name": "a.moocow.my"}),
                &["moocow.my"],
            ),
            // `==` and `contains` with one needle.
            (
                "DnsEvents | where Name == \"moocow.my\" or Name contains \"spapro.co.com\"".into(),
                &domains,
                json!({"Name": "xspapro.co.comx"}),
                &["spapro.co.com"],
            ),
        ];
        for (query, iocs, record, expected) in cases {
            let text = record.to_string();
            let found = credited(&query, iocs, record);
            assert_eq!(found, expected.to_vec(), "{query}\n  on {text}");
        }
    }

    #[test]
    fn feeds_credit_every_matched_indicator_with_ports() {
        let text = "moocow.my\napi.moocow.my\n185.215.113.66:4782\n185.215.113.66\n93e61d5a877bbb937e885d3ca385ac8a\n";
        let feed = read_feed(Path::new("f.txt"), text).unwrap();
        let rules = feed_rules(&feed);
        let of = |id: &str, record: Json| -> Vec<String> {
            let feed_rule = rules.iter().find(|r| r.rule.id == id).unwrap();
            let (compiled, _) = compile_rule(&feed_rule.rule, 0).unwrap();
            let table = compiled.pipelines[0].table;
            let fields = fields(record);
            let row = RecordRow { fields: &fields, table };
            let indicators = feed_rule.lookup.indicators().unwrap();
            Attributor::Feed(&feed_rule.lookup)
                .credited(&row, table)
                .into_iter()
                .map(|i| match indicators[i].kind {
                    crate::rules::feeds::IocKind::Ip { port: Some(p) } => format!("{}:{p}", indicators[i].value),
                    _ => indicators[i].value.clone(),
                })
                .collect()
        };
        // (rule, record, credited)
        let cases: Vec<(&str, Json, &[&str])> = vec![
            (
                "f.dns",
                json!({"Name": "API.MooCow.my"}),
                &["moocow.my", "api.moocow.my"],
            ),
            ("f.dns", json!({"Name": "moocow.mystery"}), &[]),
            // The address on the IOC's port credits both; on another port only the bare address.
            (
                "f.network-ips",
                json!({"RemoteIP": "185.215.113.66", "RemotePort": 4782}),
                &["185.215.113.66:4782", "185.215.113.66"],
            ),
            (
                "f.network-ips",
                json!({"RemoteIP": "185.215.113.66", "RemotePort": 443}),
                &["185.215.113.66"],
            ),
            // CommonSecurityLog does not check ports.
            (
                "f.cef-ips",
                json!({"SourceIP": "185.215.113.66", "DestinationPort": 443}),
                &["185.215.113.66:4782", "185.215.113.66"],
            ),
            // Hashes are `in~`.
            (
                "f.file-hashes",
                json!({"MD5": "93E61D5A877BBB937E885D3CA385AC8A"}),
                &[MD5],
            ),
        ];
        for (id, record, expected) in cases {
            let text = record.to_string();
            assert_eq!(of(id, record), expected.to_vec(), "{id} on {text}");
        }
    }

    #[test]
    fn a_rule_that_tests_no_ioc_value_cannot_attribute() {
        let (compiled, _) = compile_rule(&rule("DnsEvents | where QueryType == \"A\""), 0).unwrap();
        assert!(!Attributor::query(&["moocow.my"], &compiled.pipelines).can_attribute());
    }
}
