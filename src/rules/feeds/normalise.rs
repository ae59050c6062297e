//! Normalising IOC values as Sentinel's threat-intelligence rules expect them, restoring
//! defanged values, and telling an IOC's kind from its shape (for plain lists). Pure functions
//! of one value: no feed format is known here.

use std::net::IpAddr;

use super::IocKind;

/// Defanging marks and what they stand for; compared ASCII case-insensitively.
const DEFANGED: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("[/]", "/"),
    ("[@]", "@"),
];

/// `value` with defanging undone: `hxxp(s)`/`hxxp` and `fxp` schemes, `[.]`, `(.)`, `{.}`,
/// `[dot]`, `[:]`, `[://]`, `[/]`, `[@]`.
pub fn refang(value: &str) -> String {
    let value = value.trim();
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    for (defanged, scheme) in [("hxxp", "http"), ("hxxps", "https"), ("fxp", "ftp")] {
        let len = defanged.len();
        if rest.len() > len
            && rest.as_bytes()[..len].eq_ignore_ascii_case(defanged.as_bytes())
            && (rest[len..].starts_with("://") || rest[len..].starts_with("[://]") || rest[len..].starts_with("[:]"))
        {
            out.push_str(scheme);
            rest = &rest[len..];
            break;
        }
    }
    'scan: while let Some(c) = rest.chars().next() {
        if c == '[' || c == '(' || c == '{' {
            for (defanged, meant) in DEFANGED {
                if rest.len() >= defanged.len()
                    && rest.as_bytes()[..defanged.len()].eq_ignore_ascii_case(defanged.as_bytes())
                {
                    out.push_str(meant);
                    rest = &rest[defanged.len()..];
                    continue 'scan;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The normalised value of an IOC given as `kind`, and its kind (the port of an IP comes from
/// the value; a domain that is an IP address becomes an IP), or why it cannot be used.
pub fn normalise(kind: IocKind, raw: &str) -> Result<(IocKind, String), String> {
    let value = refang(raw);
    if value.is_empty() {
        return Err(format!("empty {} value", kind_name(kind)));
    }
    match kind {
        IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => hash(kind, &value).map(|v| (kind, v)),
        IocKind::Domain => match ip(&value) {
            Ok(found) => Ok(found),
            Err(_) => domain(&value).map(|v| (kind, v)),
        },
        IocKind::Ip { .. } => ip(&value),
        IocKind::Url => url(&value).map(|v| (kind, v)),
    }
}

/// The kind a plain-list line's shape tells, or why it tells none. The value is refanged.
pub(crate) fn guess(value: &str) -> Result<IocKind, String> {
    if value.contains("://") {
        return Ok(IocKind::Url);
    }
    if value.len() >= 16 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return match value.len() {
            32 => Ok(IocKind::Md5),
            40 => Ok(IocKind::Sha1),
            64 => Ok(IocKind::Sha256),
            n => Err(format!(
                "`{value}` looks like a hash but has {n} hex digits (md5 has 32, sha1 40, sha256 64)"
            )),
        };
    }
    if ip(value).is_ok() {
        return Ok(IocKind::Ip { port: None });
    }
    let host = value.split('/').next().unwrap_or(value);
    let host = host.strip_suffix('.').unwrap_or(host);
    if domain(host).is_ok()
        && host.contains('.')
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().any(char::is_alphabetic))
    {
        return Ok(if value.contains('/') {
            IocKind::Url
        } else {
            IocKind::Domain
        });
    }
    Err(format!(
        "cannot tell what kind of IOC `{value}` is (hash, domain, IP address or URL)"
    ))
}

fn kind_name(kind: IocKind) -> &'static str {
    match kind {
        IocKind::Md5 => "md5",
        IocKind::Sha1 => "sha1",
        IocKind::Sha256 => "sha256",
        IocKind::Domain => "domain",
        IocKind::Url => "url",
        IocKind::Ip { .. } => "IP address",
    }
}

fn hash(kind: IocKind, value: &str) -> Result<String, String> {
    let expected = kind.hash_length().unwrap_or_default();
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{} hash `{value}` has characters that are not hex digits",
            kind_name(kind)
        ));
    }
    if value.len() != expected {
        return Err(format!(
            "{} hash `{value}` has {} hex digits, not {expected}",
            kind_name(kind),
            value.len()
        ));
    }
    Ok(value.to_ascii_lowercase())
}

fn domain(value: &str) -> Result<String, String> {
    let name = value.strip_suffix('.').unwrap_or(value);
    let bad = name.chars().find(|&c| {
        c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | ':' | '@' | '*' | '?' | '#' | '"' | '\'' | ',')
    });
    if let Some(c) = bad {
        return Err(format!(
            "domain `{value}` has the character `{c}`, which no domain name has"
        ));
    }
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(format!("domain `{value}` has an empty label"));
    }
    Ok(name.to_ascii_lowercase())
}

/// An address, with an optional port: `1.2.3.4`, `1.2.3.4:443`, `::1`, `[::1]:443`.
fn ip(value: &str) -> Result<(IocKind, String), String> {
    let not_ip = || format!("`{value}` is not an IP address (with an optional :port)");
    if let Ok(address) = value.parse::<IpAddr>() {
        return Ok((IocKind::Ip { port: None }, address.to_string()));
    }
    let (address, port) = if let Some(bracketed) = value.strip_prefix('[') {
        let (address, rest) = bracketed.split_once(']').ok_or_else(not_ip)?;
        let port = rest.strip_prefix(':').ok_or_else(not_ip)?;
        (address, port)
    } else {
        value.rsplit_once(':').ok_or_else(not_ip)?
    };
    let address = address.parse::<IpAddr>().map_err(|_| not_ip())?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("`{value}`: the port `{port}` is not a number from 0 to 65535"))?;
    Ok((IocKind::Ip { port: Some(port) }, address.to_string()))
}

/// Scheme and host lower-cased (they are case-insensitive), the rest as written.
fn url(value: &str) -> Result<String, String> {
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("url `{value}` has the character {c:?}, which no URL has"));
    }
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, value),
    };
    if scheme.is_some_and(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))) {
        return Err(format!("url `{value}` has no valid scheme"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(format!("url `{value}` has no host"));
    }
    let mut out = String::with_capacity(value.len());
    if let Some(scheme) = scheme {
        out.push_str(&scheme.to_ascii_lowercase());
        out.push_str("://");
    }
    if let Some(user) = user {
        out.push_str(user);
        out.push('@');
    }
    out.push_str(&host.to_ascii_lowercase());
    out.push_str(path);
    Ok(out)
}
