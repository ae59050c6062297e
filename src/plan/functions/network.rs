//! IP address functions: IPv4 parsing, masking, matching, ranges and the private-range test,
//! and IPv6 comparison (IPv4 addresses compare as their IPv4-mapped IPv6 form). Addresses may
//! carry an IP-prefix (`10.0.0.0/8`); two prefixes combine to the shorter. An address that
//! does not parse gives null (or "" for the string results).

use std::net::Ipv6Addr;

use serde_json::Value as Json;

use super::{arg, array_arg, bool_type, empty, function, json_text, long, long_type, string};
use super::{string_type, text, Context, Function};
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("parse_ipv4", 1, 1, long_type, parse_ipv4),
    function("parse_ipv4_mask", 2, 2, long_type, parse_ipv4_mask),
    function("format_ipv4", 1, 2, string_type, format_ipv4),
    function("format_ipv4_mask", 1, 2, string_type, format_ipv4_mask),
    function("ipv4_is_private", 1, 1, bool_type, ipv4_is_private),
    function("ipv4_is_match", 2, 3, bool_type, ipv4_is_match),
    function("ipv4_compare", 2, 3, long_type, ipv4_compare),
    function("ipv4_is_in_range", 2, 2, bool_type, ipv4_is_in_range),
    function("ipv4_is_in_any_range", 2, usize::MAX, bool_type, ipv4_is_in_any_range),
    function("ipv6_compare", 2, 3, long_type, ipv6_compare),
    function("ipv6_is_match", 2, 3, bool_type, ipv6_is_match),
    function("ipv6_is_in_range", 2, 2, bool_type, ipv6_is_in_range),
];

/// `a.b.c.d[/prefix]` as (address, prefix).
fn ipv4(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (text, 32),
    };
    let mut octets = address.split('.');
    let mut value: u32 = 0;
    for _ in 0..4 {
        let octet = octets.next()?;
        if octet.is_empty() || octet.len() > 3 || !octet.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value = (value << 8) | octet.parse::<u8>().ok()? as u32;
    }
    octets.next().is_none().then_some((value, prefix))
}

/// An IPv4 argument: text, or a number (the address in big-endian order).
fn ipv4_arg(value: &Value) -> Option<(u32, u32)> {
    match value {
        Value::Long(n) => u32::try_from(*n).ok().map(|a| (a, 32)),
        Value::Dynamic(Json::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).map(|a| (a, 32)),
        other => ipv4(&other.to_text()),
    }
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// An optional prefix argument; `Err` when given but not in `0..=max`.
fn prefix_arg(args: &[Value], i: usize, max: u32) -> Result<u32, ()> {
    match args.get(i) {
        None => Ok(max),
        Some(v) => long(v)
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p <= max)
            .ok_or(()),
    }
}

fn dotted(address: u32) -> String {
    let [a, b, c, d] = address.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

fn parse_ipv4(args: &[Value], _: &Context) -> Value {
    ipv4(&text(args, 0)).map_or(Value::Null, |(a, p)| Value::Long(i64::from(a & mask(p))))
}

fn parse_ipv4_mask(args: &[Value], _: &Context) -> Value {
    match (ipv4(&text(args, 0)), prefix_arg(args, 1, 32)) {
        (Some((a, p)), Ok(q)) => Value::Long(i64::from(a & mask(p.min(q)))),
        _ => Value::Null,
    }
}

fn format_ipv4(args: &[Value], _: &Context) -> Value {
    match (ipv4_arg(arg(args, 0)), prefix_arg(args, 1, 32)) {
        (Some((a, p)), Ok(q)) => string(dotted(a & mask(p.min(q)))),
        _ => empty(),
    }
}

fn format_ipv4_mask(args: &[Value], _: &Context) -> Value {
    match (ipv4_arg(arg(args, 0)), prefix_arg(args, 1, 32)) {
        (Some((a, p)), Ok(q)) => {
            let prefix = p.min(q);
            string(format!("{}/{prefix}", dotted(a & mask(prefix))))
        }
        _ => empty(),
    }
}

/// 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (RFC 1918).
fn ipv4_is_private(args: &[Value], _: &Context) -> Value {
    const PRIVATE: [(u32, u32); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];
    match ipv4(&text(args, 0)) {
        Some((a, p)) => Value::Bool(PRIVATE.iter().any(|&(net, bits)| p >= bits && a & mask(bits) == net)),
        None => Value::Null,
    }
}

/// Both addresses masked to the shortest of their prefixes and the optional argument.
fn ipv4_pair(args: &[Value]) -> Option<(u32, u32)> {
    let (a, pa) = ipv4_arg(arg(args, 0))?;
    let (b, pb) = ipv4_arg(arg(args, 1))?;
    let prefix = pa.min(pb).min(prefix_arg(args, 2, 32).ok()?);
    Some((a & mask(prefix), b & mask(prefix)))
}

fn ipv4_is_match(args: &[Value], _: &Context) -> Value {
    ipv4_pair(args).map_or(Value::Null, |(a, b)| Value::Bool(a == b))
}

fn ipv4_compare(args: &[Value], _: &Context) -> Value {
    ipv4_pair(args).map_or(Value::Null, |(a, b)| Value::Long(a.cmp(&b) as i64))
}

fn in_range(address: &str, range: &str) -> Option<bool> {
    let (a, _) = ipv4(address)?;
    let (r, p) = ipv4(range)?;
    Some(a & mask(p) == r & mask(p))
}

fn ipv4_is_in_range(args: &[Value], _: &Context) -> Value {
    in_range(&text(args, 0), &text(args, 1)).map_or(Value::Null, Value::Bool)
}

/// `ipv4_is_in_any_range(ip, range1, range2, ...)` or `(ip, dynamic([ranges]))`.
fn ipv4_is_in_any_range(args: &[Value], _: &Context) -> Value {
    let address = text(args, 0);
    if ipv4(&address).is_none() {
        return Value::Null;
    }
    let ranges: Vec<String> = match (args.len(), array_arg(arg(args, 1))) {
        (2, Some(items)) => items.iter().map(json_text).collect(),
        _ => args[1..].iter().map(|a| a.to_text().into_owned()).collect(),
    };
    Value::Bool(ranges.iter().any(|r| in_range(&address, r) == Some(true)))
}

/// An IPv6 (or IPv4, mapped) address with its prefix out of 128.
fn ipv6(text: &str) -> Option<(u128, u32)> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    if let Some((v4, _)) = ipv4(address) {
        let prefix = prefix.map_or(Some(128), |p| (p <= 32).then_some(96 + p))?;
        return Some((0xffff_0000_0000 | u128::from(v4), prefix));
    }
    let parsed: Ipv6Addr = address.parse().ok()?;
    let prefix = prefix.unwrap_or(128);
    (prefix <= 128).then_some((u128::from(parsed), prefix))
}

fn mask6(prefix: u32) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    }
}

fn ipv6_pair(args: &[Value]) -> Option<(u128, u128)> {
    let (a, pa) = ipv6(&text(args, 0))?;
    let (b, pb) = ipv6(&text(args, 1))?;
    let prefix = pa.min(pb).min(prefix_arg(args, 2, 128).ok()?);
    Some((a & mask6(prefix), b & mask6(prefix)))
}

fn ipv6_compare(args: &[Value], _: &Context) -> Value {
    ipv6_pair(args).map_or(Value::Null, |(a, b)| Value::Long(a.cmp(&b) as i64))
}

fn ipv6_is_match(args: &[Value], _: &Context) -> Value {
    ipv6_pair(args).map_or(Value::Null, |(a, b)| Value::Bool(a == b))
}

fn ipv6_is_in_range(args: &[Value], _: &Context) -> Value {
    match (ipv6(&text(args, 0)), ipv6(&text(args, 1))) {
        (Some((a, _)), Some((r, p))) => Value::Bool(a & mask6(p) == r & mask6(p)),
        _ => Value::Null,
    }
}
