//! URLhaus CSV exports (`# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,
//! reporter`): one URL a row. URLhaus names no malware family apart from its tags.

use super::csv::Table;
use super::{field, tag_list, IocKind, Location, Meta, Sink};

/// The export's columns, for a file whose header line was lost.
pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "dateadded",
    "url",
    "url_status",
    "last_online",
    "threat",
    "tags",
    "urlhaus_link",
    "reporter",
];

pub(crate) fn is_header(columns: &[String]) -> bool {
    let has = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    has("url") && (has("urlhaus_link") || has("dateadded"))
}

pub(crate) fn read(table: &Table, sink: &mut Sink) {
    let Some(url_at) = table.column("url") else { return };
    let columns = ["id", "threat", "dateadded", "urlhaus_link", "tags"].map(|name| table.column(name));
    for row in table.rows() {
        let location = Location::Line(row.line);
        let fields = match row.fields {
            Ok(fields) => fields,
            Err(why) => {
                sink.warn(location, why);
                continue;
            }
        };
        let [id, threat, added, link, tags] = columns.map(|index| index.and_then(|i| field(&fields[i])));
        let meta = Meta {
            id: id.map(|id| id.to_string()),
            threat_type: threat,
            first_seen: added,
            reference: link,
            tags: tags.map(|t| tag_list(&t)).unwrap_or_default(),
            ..Meta::default()
        };
        sink.push(IocKind::Url, &fields[url_at], &meta, location);
    }
}
