//! Hashes of a value's text: `hash_sha256`, `hash_md5` (RustCrypto crates), `hash_sha1` (written
//! here, SHA-1 is short) and `hash` (xxHash64, seed 0, as Kusto documents). All hex output is
//! lower case.

use md5::Md5;
use sha2::{Digest, Sha256};

use super::{arg, function, long, long_type, string, string_type, text, Context, Function};
use crate::time::TICKS_PER_SECOND;
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("hash_sha256", 1, 1, string_type, hash_sha256),
    function("hash_md5", 1, 1, string_type, hash_md5),
    function("hash_sha1", 1, 1, string_type, hash_sha1),
    function("hash", 1, 2, long_type, hash),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_sha256(args: &[Value], _: &Context) -> Value {
    string(hex(&Sha256::digest(text(args, 0).as_bytes())))
}

fn hash_md5(args: &[Value], _: &Context) -> Value {
    string(hex(&Md5::digest(text(args, 0).as_bytes())))
}

fn hash_sha1(args: &[Value], _: &Context) -> Value {
    string(hex(&sha1(text(args, 0).as_bytes())))
}

/// FIPS 180-4 SHA-1.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((message.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hi = hi.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Ticks between 0001-01-01 (.NET's epoch, which Kusto's datetimes use inside) and 1970-01-01.
pub(super) const DOTNET_EPOCH_OFFSET: i64 = 62_135_596_800 * TICKS_PER_SECOND;

/// `hash(source[, mod])`: xxHash64 of the value's bytes (UTF-8 text; a long, real, datetime or
/// timespan as its 8 little-endian bytes, a datetime in .NET ticks).
fn hash(args: &[Value], _: &Context) -> Value {
    let bytes: Vec<u8> = match arg(args, 0) {
        Value::Null => return Value::Null,
        Value::Long(n) => n.to_le_bytes().to_vec(),
        Value::Real(r) => r.to_le_bytes().to_vec(),
        Value::DateTime(t) => (t + DOTNET_EPOCH_OFFSET).to_le_bytes().to_vec(),
        Value::TimeSpan(t) => t.to_le_bytes().to_vec(),
        other => other.to_text().as_bytes().to_vec(),
    };
    let h = xxhash64(&bytes, 0) as i64;
    match args.get(1) {
        None => Value::Long(h),
        Some(m) => match long(m) {
            Some(m) if m > 0 => Value::Long((h as u64 % m as u64) as i64),
            _ => Value::Null,
        },
    }
}

const P1: u64 = 0x9E3779B185EBCA87;
const P2: u64 = 0xC2B2AE3D27D4EB4F;
const P3: u64 = 0x165667B19E3779F9;
const P4: u64 = 0x85EBCA77C2B2AE63;
const P5: u64 = 0x27D4EB2F165667C5;

fn read_u64(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(b)
}

fn read_u32(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[..4]);
    u64::from(u32::from_le_bytes(b))
}

fn round64(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge64(acc: u64, value: u64) -> u64 {
    (acc ^ round64(0, value)).wrapping_mul(P1).wrapping_add(P4)
}

/// The reference xxHash64.
pub(super) fn xxhash64(input: &[u8], seed: u64) -> u64 {
    let mut rest = input;
    let mut h = if input.len() >= 32 {
        let mut v = [
            seed.wrapping_add(P1).wrapping_add(P2),
            seed.wrapping_add(P2),
            seed,
            seed.wrapping_sub(P1),
        ];
        while rest.len() >= 32 {
            for (i, lane) in v.iter_mut().enumerate() {
                *lane = round64(*lane, read_u64(&rest[i * 8..]));
            }
            rest = &rest[32..];
        }
        let mut h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        for lane in v {
            h = merge64(h, lane);
        }
        h
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(input.len() as u64);
    while rest.len() >= 8 {
        h = (h ^ round64(0, read_u64(rest)))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        h = (h ^ read_u32(rest).wrapping_mul(P1))
            .rotate_left(23)
            .wrapping_mul(P2)
            .wrapping_add(P3);
        rest = &rest[4..];
    }
    for &byte in rest {
        h = (h ^ u64::from(byte).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}
