//! Matcher micro-benchmarks: the IOC set lookups behind `in`, the merged index the fast path
//! asks which rules a value can match, the term automaton behind `has_any`, and the raw-field
//! walk of the fast path against a full parse. Every benchmark
//! checks its expected match count before it is timed, so a faster wrong answer fails.
//!
//! `cargo bench --bench matchers`

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use loghunt::input::fields::{self, FieldValue, Walk};
use loghunt::plan::text::{SetIndex, StringSet, TermSet};

fn main() {
    divan::main();
}

/// A small deterministic generator (splitmix64), so that runs compare.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit((self.next() % 16) as u32, 16).unwrap_or('0'))
            .collect()
    }
}

const LOOKUPS: usize = 10_000;
/// One lookup in this many is an IOC.
const HIT_EVERY: usize = 100;

/// `SHA256 in (iocs)`: lookups of SHA-256 strings in sets of 20 to 1,000,000 IOCs.
#[divan::bench(args = [20, 10_000, 1_000_000], sample_count = 30)]
fn hash_set_lookup(bencher: Bencher, iocs: usize) {
    let mut random = Random(iocs as u64);
    let values: Vec<String> = (0..iocs).map(|_| random.hex(64)).collect();
    let set = StringSet::new(&values, true);
    let probes: Vec<String> = (0..LOOKUPS)
        .map(|i| {
            if i % HIT_EVERY == 0 {
                values[i % iocs].clone()
            } else {
                random.hex(64)
            }
        })
        .collect();
    let count = |set: &StringSet| probes.iter().filter(|p| set.contains(p)).count();
    assert_eq!(count(&set), LOOKUPS / HIT_EVERY);
    bencher
        .counter(ItemsCount::new(LOOKUPS))
        .bench_local(|| count(black_box(&set)));
}

/// The fast path's merged index over many rules' `in` sets: which sets (rules) hold a SHA-256
/// value, with 1,000,000 IOCs split into 200 sets as 200 feed documents would be; one IOC in
/// a hundred is also listed by a second set.
#[divan::bench(sample_count = 30)]
fn set_index_owners(bencher: Bencher) {
    const SETS: usize = 200;
    const PER_SET: usize = 5_000;
    let mut random = Random(41);
    let mut lists: Vec<Vec<String>> = (0..SETS)
        .map(|_| (0..PER_SET).map(|_| random.hex(64)).collect())
        .collect();
    for i in (0..SETS * PER_SET).step_by(HIT_EVERY) {
        let shared = lists[i / PER_SET][i % PER_SET].clone();
        lists[(i / PER_SET + 1) % SETS].push(shared);
    }
    let sets: Vec<StringSet> = lists.iter().map(|list| StringSet::new(list, true)).collect();
    let index = SetIndex::new(&sets.iter().collect::<Vec<_>>(), true);
    let probes: Vec<String> = (0..LOOKUPS)
        .map(|i| {
            if i % HIT_EVERY == 0 {
                lists[i % SETS][i % PER_SET].clone()
            } else {
                random.hex(64)
            }
        })
        .collect();
    let owners = |index: &SetIndex| probes.iter().map(|p| index.owners(p).len()).sum::<usize>();
    let expected: usize = probes
        .iter()
        .map(|p| sets.iter().filter(|s| s.contains(p)).count())
        .sum();
    assert!(expected >= LOOKUPS / HIT_EVERY);
    assert_eq!(owners(&index), expected);
    bencher
        .counter(ItemsCount::new(LOOKUPS))
        .bench_local(|| owners(black_box(&index)));
}

fn domain(random: &mut Random) -> String {
    const TLDS: [&str; 5] = ["com", "net", "org", "io", "my"];
    let label = |r: &mut Random, len: u64| -> String {
        (0..4 + r.next() % len)
            .map(|_| (b'a' + (r.next() % 26) as u8) as char)
            .collect()
    };
    format!(
        "{}.{}.{}",
        label(random, 8),
        label(random, 10),
        TLDS[(random.next() % 5) as usize]
    )
}

/// `Name has_any (domains)`: DNS names against 4 to 2,000 domain IOCs; hits are subdomains,
/// upper case or trailing dots, and as many near misses are glued to a letter.
#[divan::bench(args = [4, 2_000], sample_count = 30)]
fn domain_has_any(bencher: Bencher, iocs: usize) {
    let mut random = Random(7 + iocs as u64);
    let needles: Vec<String> = (0..iocs).map(|_| domain(&mut random)).collect();
    let set = TermSet::new(&needles, false);
    let names: Vec<String> = (0..LOOKUPS)
        .map(|i| {
            let ioc = &needles[i % iocs];
            match i % HIT_EVERY {
                0 => format!("cdn.{}", ioc.to_uppercase()),
                1 => format!("{ioc}."),
                2 => format!("x{ioc}"),
                3 => format!("{ioc}x"),
                _ => domain(&mut random),
            }
        })
        .collect();
    let count = |set: &TermSet| names.iter().filter(|n| set.matches_any(n)).count();
    assert_eq!(count(&set), 2 * LOOKUPS / HIT_EVERY);
    bencher
        .counter(ItemsCount::new(LOOKUPS))
        .bench_local(|| count(black_box(&set)));
}

/// A realistic Defender DeviceFileEvents row (2.5 KB) from the sample exports.
fn sample_record() -> String {
    let text = include_str!("../sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl");
    text.lines().next().unwrap_or_default().trim_end().to_string()
}

/// The fast path's one pass over each record of a sample export: well-formedness plus three
/// hash columns and `Type`, with one walker for all the records, as a scan's unit has (it
/// remembers the last record's keys).
#[divan::bench(sample_count = 50)]
fn walk_record_fields(bencher: Bencher) {
    let text = include_str!("../sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl");
    let records: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    let keys = ["SHA256", "SHA1", "MD5", "Type"];
    let mut walker = fields::FieldWalker::new(&keys);
    let mut walk_all = |records: &[&str]| {
        let mut found = (0, 0);
        for record in records {
            let mut values = [None, None, None, None];
            found.0 += usize::from(walker.walk(record.as_bytes(), &mut values) == Walk::Valid);
            found.1 += values.iter().filter(|v| matches!(v, Some(FieldValue::Str(_)))).count();
        }
        found
    };
    // Every record well-formed, and every hash that is a string captured (a few are null).
    let strings = records
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(r).unwrap())
        .map(|row| keys[..3].iter().filter(|k| row[**k].is_string()).count())
        .sum();
    assert_eq!(walk_all(&records), (records.len(), strings));
    bencher
        .counter(BytesCount::new(records.iter().map(|r| r.len()).sum::<usize>()))
        .bench_local(|| walk_all(black_box(&records)));
}

/// [`walk_record_fields`] as the scan runs it over JSON lines: each line walked where it lies
/// in the text, the walk finding where it ends (`walk_line`), instead of the text being split
/// at newlines first. (In cache here; over a file from memory, the split was the pass that
/// pulled the bytes in, and leaving it out saved more: see the README.)
#[divan::bench(sample_count = 50)]
fn walk_lines_in_place(bencher: Bencher) {
    let text = include_str!("../sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl").as_bytes();
    let keys = ["SHA256", "SHA1", "MD5", "Type"];
    let mut walker = fields::FieldWalker::new(&keys);
    let mut walk_all = |text: &[u8]| {
        let (mut found, mut start) = ((0, 0), 0);
        while start < text.len() {
            let mut values = [None, None, None, None];
            let (walked, end) = walker.walk_line(text, start, &mut values, None);
            assert_eq!(walked, Walk::Valid, "every line of the sample is a record");
            found.0 += 1;
            found.1 += values.iter().filter(|v| matches!(v, Some(FieldValue::Str(_)))).count();
            start = end + 1;
        }
        found
    };
    let records: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let strings = records
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(r).unwrap())
        .map(|row| keys[..3].iter().filter(|k| row[**k].is_string()).count())
        .sum();
    assert_eq!(walk_all(text), (records.len(), strings));
    bencher
        .counter(BytesCount::new(text.len()))
        .bench_local(|| walk_all(black_box(text)));
}

/// What the fast path avoids: parsing the same record into a map.
#[divan::bench(sample_count = 50)]
fn parse_record_fully(bencher: Bencher) {
    let record = sample_record();
    let parse =
        |record: &str| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(record).map(|m| m.len());
    assert!(parse(&record).is_ok_and(|columns| columns > 50));
    bencher
        .counter(BytesCount::of_str(&record))
        .bench_local(|| parse(black_box(&record)));
}
