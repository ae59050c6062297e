//! Rules: turning hunting-rule sources (threat-intel documents like the seeds, plain `.kql`
//! files, Sentinel analytics-rule YAML) into [`Rule`]s — id, title, family, IOC table, query text, target table, and
//! false-positive scenarios — with warnings for what looks inconsistent. It does not parse KQL:
//! the query is kept as text with its position in the source, for the KQL front end.

mod analytics_rule;
mod document;
pub mod feeds;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

pub use analytics_rule::parse_analytics_rule;
pub use document::{parse_document, IocTable};

/// One hunting rule, as its source states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The source file's stem (`000_4a715f3ed2ee4353`).
    pub id: String,
    pub source: PathBuf,
    /// A human title where the text gives one (`ThreatFox: Nanocore RAT IOCs`).
    pub title: Option<String>,
    /// `Malware Family:` of the IOC summary.
    pub family: Option<String>,
    /// The Sentinel table the document names (the query's own table is authoritative).
    pub table: Option<String>,
    /// The KQL text, comments included, exactly as in the source.
    pub query: String,
    /// 1-based line of the source on which `query` starts, so that a position inside the query
    /// can be reported as a position in the file.
    pub query_line: u32,
    /// Rows of the IOC table.
    pub indicators: IocTable,
    /// `Total IOCs:` as the summary states it.
    pub declared_total: Option<usize>,
    pub scenarios: Vec<Scenario>,
}

impl Rule {
    /// A rule that is only a query: no title, IOC table or scenarios, the query from line 1 of
    /// `source` (a `.kql` file, a feed's generated query, an exclusion, a test).
    pub fn of_query(id: impl Into<String>, source: impl Into<PathBuf>, query: impl Into<String>) -> Rule {
        Rule {
            id: id.into(),
            source: source.into(),
            title: None,
            family: None,
            table: None,
            query: query.into(),
            query_line: 1,
            indicators: IocTable::default(),
            declared_total: None,
            scenarios: Vec::new(),
        }
    }
}

/// One row of a document's IOC table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub kind: IndicatorKind,
    pub value: String,
    /// The next three repeat across a table's rows, so equal texts share one allocation.
    pub threat_type: Option<Arc<str>>,
    pub first_seen: Option<Arc<str>>,
    /// As written, e.g. `95%`.
    pub confidence: Option<Arc<str>>,
    /// The optional columns that `loghunt feed` adds after the seeds' five, so that an IOC's
    /// metadata survives the trip from a feed through a document: the feed's own id of the
    /// IOC (`IOC ID`), its `Reference`, and the `Feed` it came from (the feed file's stem).
    /// Seed documents have none of them.
    pub id: Option<Arc<str>>,
    pub reference: Option<Arc<str>>,
    pub feed: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorKind {
    Sha256,
    Sha1,
    Md5,
    Domain,
    Ip,
    IpPort,
    Url,
    /// A type name loghunt does not know, kept as written.
    Other(String),
}

impl IndicatorKind {
    /// From the `Type` column (`sha256_hash`, `domain`, `ip:port`, ...).
    pub fn from_type_name(name: &str) -> IndicatorKind {
        const KINDS: &[(&str, IndicatorKind)] = &[
            ("sha256_hash", IndicatorKind::Sha256),
            ("sha256", IndicatorKind::Sha256),
            ("sha1_hash", IndicatorKind::Sha1),
            ("sha1", IndicatorKind::Sha1),
            ("md5_hash", IndicatorKind::Md5),
            ("md5", IndicatorKind::Md5),
            ("domain", IndicatorKind::Domain),
            ("hostname", IndicatorKind::Domain),
            ("fqdn", IndicatorKind::Domain),
            ("ip", IndicatorKind::Ip),
            ("ipv4", IndicatorKind::Ip),
            ("ipv6", IndicatorKind::Ip),
            ("ip_address", IndicatorKind::Ip),
            ("ip:port", IndicatorKind::IpPort),
            ("ip_port", IndicatorKind::IpPort),
            ("url", IndicatorKind::Url),
        ];
        let name = trim(name);
        // Called once per IOC row: the usual spellings are matched exactly first, then the rest
        // compared in place rather than lower-cased into a new string.
        match name {
            "sha256_hash" => return IndicatorKind::Sha256,
            "sha1_hash" => return IndicatorKind::Sha1,
            "md5_hash" => return IndicatorKind::Md5,
            "domain" => return IndicatorKind::Domain,
            _ => {}
        }
        KINDS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map_or_else(|| IndicatorKind::Other(name.to_string()), |(_, kind)| kind.clone())
    }

    /// Hex digits a hash of this kind has, if it is a hash.
    pub fn hash_length(&self) -> Option<usize> {
        match self {
            IndicatorKind::Sha256 => Some(64),
            IndicatorKind::Sha1 => Some(40),
            IndicatorKind::Md5 => Some(32),
            _ => None,
        }
    }
}

/// A false-positive scenario and the exclusion the document suggests for it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub filter: Option<String>,
}

/// Something about a rule that is worth a look but does not stop it from running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub rule: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.message)
    }
}

/// A rule source that cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for RuleError {}

/// Rules (or what a caller of [`load_with`] makes of each) and warnings from a set of sources.
#[derive(Debug)]
pub struct Loaded<T = Rule> {
    pub rules: Vec<T>,
    pub warnings: Vec<Warning>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            rules: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// File extensions read as rule sources when a directory is walked. A file named explicitly is
/// read whatever its extension.
const RULE_EXTENSIONS: &[&str] = &["txt", "md", "kql", "yaml", "yml"];

/// Loads every rule under `paths` (files, or directories walked in sorted order). Rules come
/// back sorted by id; two sources with the same id are an error, since ids name results.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, RuleError> {
    load_with(paths, |rule| rule)
}

/// [`load`], handing each rule to `then` on the worker that read it and keeping what `then`
/// returns, in the same order. A scan compiles each rule there and keeps only the compiled
/// form, so the IOC tables of a million-IOC feed are never all in memory at once (and the
/// memory of one document is reused for the next).
pub fn load_with<T: Send>(paths: &[PathBuf], then: impl Fn(Rule) -> T + Sync) -> Result<Loaded<T>, RuleError> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(rule_files(path)?);
    }
    // Feeds of a million IOCs come as hundreds of documents: read them on every core, then
    // take the results in file order, so warnings and the first error do not depend on timing.
    // One document a job: rayon's adaptive splitting otherwise leaves a run of documents to
    // one thread at the end, the other idle (~10 ms of a million IOCs' load).
    let results: Vec<Result<SourceRead<T>, RuleError>> = files
        .par_iter()
        .with_max_len(1)
        .map(|file| {
            let (rule, warnings) = load_file(file)?;
            let (id, source) = (rule.id.clone(), rule.source.clone());
            Ok(SourceRead {
                id,
                source,
                value: then(rule),
                warnings,
            })
        })
        .collect();
    let mut warnings = Vec::new();
    let mut rules = Vec::with_capacity(results.len());
    for result in results {
        let mut read = result?;
        warnings.append(&mut read.warnings);
        rules.push(read);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in rules.windows(2) {
        let (first, next) = (&pair[0], &pair[1]);
        if first.id == next.id {
            return Err(RuleError {
                path: next.source.clone(),
                message: format!(
                    "rule id `{}` is also the id of {}; rule ids (file stems) must be unique",
                    next.id,
                    first.source.display()
                ),
            });
        }
    }
    Ok(Loaded {
        rules: rules.into_iter().map(|read| read.value).collect(),
        warnings,
    })
}

/// One source read: its rule's id and file, what the caller made of the rule, its warnings.
struct SourceRead<T> {
    id: String,
    source: PathBuf,
    value: T,
    warnings: Vec<Warning>,
}

/// Every rule source under `paths`, each read on its own: the rule, or why it cannot be read
/// (for `loghunt rules --check`, which reports every source instead of stopping at the first).
pub fn load_with_errors(paths: &[PathBuf]) -> Vec<(PathBuf, Result<Rule, RuleError>)> {
    let mut files = Vec::new();
    for path in paths {
        match rule_files(path) {
            Ok(found) => files.extend(found),
            Err(e) => return vec![(path.clone(), Err(e))],
        }
    }
    files
        .par_iter()
        .with_max_len(1)
        .map(|file| (file.clone(), load_file(file).map(|(rule, _)| rule)))
        .collect()
}

fn load_file(file: &Path) -> Result<(Rule, Vec<Warning>), RuleError> {
    let text = std::fs::read(file).map_err(|e| RuleError {
        path: file.to_path_buf(),
        message: format!("cannot read rule: {e}"),
    })?;
    let text = String::from_utf8(text).map_err(|e| RuleError {
        path: file.to_path_buf(),
        message: format!("rule is not UTF-8 (byte offset {})", e.utf8_error().valid_up_to()),
    })?;
    load_text(file, &text)
}

/// Reads one rule source: a `.kql` file is a bare query, a `.yaml` / `.yml` file a Sentinel
/// analytics rule, anything else a rule document.
pub fn load_text(path: &Path, text: &str) -> Result<(Rule, Vec<Warning>), RuleError> {
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let is_kql = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("kql"));
    if is_kql {
        let text = crate::encoding::strip_bom(text);
        if text.trim().is_empty() {
            return Err(RuleError {
                path: path.to_path_buf(),
                message: "the .kql file is empty".into(),
            });
        }
        let rule = Rule::of_query(id, path, text);
        return Ok((rule, Vec::new()));
    }
    let is_yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if is_yaml {
        return Ok((parse_analytics_rule(&id, path, text)?, Vec::new()));
    }
    parse_document(&id, path, text)
}

/// `text.trim()`, quicker on the ASCII text that rule documents and feeds are made of: an IOC
/// row and its cells are trimmed several times each, a million times for 1M IOCs, and
/// `str::trim` decodes a character at a time from each end.
pub(crate) fn trim(text: &str) -> &str {
    let trimmed = text.trim_ascii();
    let bytes = trimmed.as_bytes();
    // `trim_ascii` leaves Unicode whitespace, and the vertical tab, which `str::trim` takes.
    let other_space = |b: &u8| !b.is_ascii() || *b == 0x0b;
    if bytes.first().is_some_and(other_space) || bytes.last().is_some_and(other_space) {
        return trimmed.trim();
    }
    trimmed
}

fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let metadata = std::fs::metadata(path).map_err(|e| RuleError {
        path: path.to_path_buf(),
        message: format!("cannot read rules: {e}"),
    })?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| RuleError {
            path: e.path().unwrap_or(path).to_path_buf(),
            message: format!("cannot read rules: {e}"),
        })?;
        let is_rule = entry.file_type().is_file()
            && entry
                .path()
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| RULE_EXTENSIONS.iter().any(|r| r.eq_ignore_ascii_case(e)));
        if is_rule {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}
