//! A record's fingerprint for duplicate counting: a 64-bit hash of its bytes (a false duplicate
//! among ten million records has odds of about one in 300,000), and [`Copies`], which counts
//! the records whose fingerprint an earlier record had. Every byte of the input passes through
//! here, so it is built for speed: AES rounds where the processor has them, four independent
//! lanes of multiplies elsewhere. A run uses one of the two throughout, so the fingerprints it
//! compares are always of the same kind.

use rayon::prelude::*;

use crate::hashing::FxHashSet;

/// Records whose fingerprints are kept for duplicate counting (8 bytes each), so that memory
/// stays bounded whatever the size of the input: copies are counted among the first this many.
pub const TRACKED: usize = 4_000_000;

/// The fingerprints of the records merged so far (the first [`TRACKED`]), spread over 256
/// buckets by their top byte as they come: one store each. The copies are counted at the end,
/// a bucket at a time and in parallel, each bucket's set small enough to stay in cache. (A set
/// of every fingerprint, probed as each record was merged, missed the cache on nearly every
/// probe: 5 % of a 20-IOC scan, on the thread that also reads the input.)
pub(super) struct Copies {
    buckets: Vec<Vec<u64>>,
    tracked: usize,
    /// Whether records came after the first [`TRACKED`] (and were not counted).
    capped: bool,
}

impl Default for Copies {
    fn default() -> Copies {
        Copies {
            buckets: vec![Vec::new(); 256],
            tracked: 0,
            capped: false,
        }
    }
}

impl std::fmt::Debug for Copies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Copies")
            .field("tracked", &self.tracked)
            .field("capped", &self.capped)
            .finish()
    }
}

impl Copies {
    /// Adds the fingerprints of the next records, in input order.
    pub(super) fn add(&mut self, fingerprints: &[u64]) {
        let room = TRACKED - self.tracked;
        if fingerprints.len() > room {
            self.capped = true;
        }
        let taken = &fingerprints[..fingerprints.len().min(room)];
        for &fingerprint in taken {
            self.buckets[(fingerprint >> 56) as usize].push(fingerprint);
        }
        self.tracked += taken.len();
    }

    /// How many of the records added repeat the fingerprint of one before them, and whether
    /// records came after the first [`TRACKED`]. Runs on the current rayon pool.
    pub(super) fn count(self) -> (u64, bool) {
        let copies = (self.buckets.into_par_iter())
            .map(|bucket| {
                let mut seen = FxHashSet::default();
                seen.reserve(bucket.len());
                bucket
                    .into_iter()
                    .filter(|&fingerprint| !seen.insert(fingerprint))
                    .count() as u64
            })
            .sum();
        (copies, self.capped)
    }
}

/// The fingerprint of `bytes`.
#[inline]
pub(super) fn fingerprint(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("aes") {
        // SAFETY: the processor has AES-NI (checked just above); SSE2 is in the x86_64
        // baseline.
        return unsafe { aes::fingerprint(bytes) };
    }
    portable(bytes)
}

/// Four independent lanes keep the multiplies from waiting on each other. Each word goes in
/// through a folded multiply (the 128-bit product's halves XORed), which carries a change of
/// any bit into every bit; the lanes and the tail then join one after another.
fn portable(bytes: &[u8]) -> u64 {
    const K: [u64; 4] = [
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or_default());
    let mut lanes = K;
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for ((lane, key), bytes) in lanes.iter_mut().zip(K).zip(block.chunks_exact(8)) {
            *lane = folded_multiply(*lane ^ word(bytes), key);
        }
    }
    let mut mixed = bytes.len() as u64;
    for (lane, key) in lanes.into_iter().zip(K) {
        mixed = folded_multiply(mixed ^ lane, key);
    }
    for rest in blocks.remainder().chunks(8) {
        let mut padded = [0u8; 8];
        padded[..rest.len()].copy_from_slice(rest);
        mixed = folded_multiply(mixed ^ word(&padded), K[0]);
    }
    folded_multiply(mixed, K[1])
}

fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    product as u64 ^ (product >> 64) as u64
}

#[cfg(target_arch = "x86_64")]
mod aes {
    use std::arch::x86_64::*;

    /// Eight 128-bit lanes each take a 16-byte block per AES round (`aesenc(state, block)` is a
    /// round of the state, then the block XORed in), so eight rounds are in flight at once. A
    /// record's fingerprint is computed on its own, between two walks, so what it costs is
    /// the length of its chain of dependent rounds (4 cycles each), not their number: with
    /// four lanes joined one after another, a ~760-byte record took 24 rounds in a row (11
    /// blocks a lane, 4 in the tail, 9 to join and finish); with eight lanes joined as a tree,
    /// 15. The whole blocks left after the last 128 bytes go one to a lane of lanes 1 to 7;
    /// the length, then the record's last 16 bytes if any are left (overlapping the blocks
    /// before: bytes may be hashed twice, none is skipped), into lane 0. Three rounds after
    /// the join spread any difference over the whole state.
    #[target_feature(enable = "aes")]
    pub(super) unsafe fn fingerprint(bytes: &[u8]) -> u64 {
        // The 16 bytes at `at`, which every caller below has checked are there
        // (`at + 16 <= bytes.len()`): loaded without a bounds check, which was four compares and
        // branches per 64 bytes in the hottest loop (one thread, ~760-byte records: 69 → 61 ns
        // a record).
        let block = |at: usize| {
            debug_assert!(at + 16 <= bytes.len());
            // SAFETY: an unaligned load of 16 bytes that are there (above).
            unsafe { _mm_loadu_si128(bytes.as_ptr().add(at).cast()) }
        };
        let key = _mm_set_epi64x(0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344);
        let mut lanes = [
            _mm_set1_epi32(0x0123_4567),
            _mm_set1_epi32(0x1234_5678),
            _mm_set1_epi32(0x2345_6789),
            _mm_set1_epi32(0x3456_789a),
            _mm_set1_epi32(0x4567_89ab),
            _mm_set1_epi32(0x5678_9abc),
            _mm_set1_epi32(0x6789_abcd),
            _mm_set1_epi32(0x789a_bcde),
        ];
        let whole = bytes.len() / 128 * 128;
        for at in (0..whole).step_by(128) {
            for (lane, state) in lanes.iter_mut().enumerate() {
                *state = _mm_aesenc_si128(*state, block(at + 16 * lane));
            }
        }
        // The whole blocks after the last 128 bytes, one to a lane (lanes 1 to 7 at most).
        let mut at = whole;
        for state in &mut lanes[1..] {
            if at + 16 > bytes.len() {
                break;
            }
            *state = _mm_aesenc_si128(*state, block(at));
            at += 16;
        }
        // Lane 0 takes the length and the bytes left, if any.
        lanes[0] = _mm_xor_si128(lanes[0], _mm_set_epi64x(bytes.len() as i64, 0));
        if at < bytes.len() {
            let last = if bytes.len() >= 16 {
                block(bytes.len() - 16)
            } else {
                let mut short = [0u8; 16];
                short[..bytes.len()].copy_from_slice(bytes);
                // SAFETY: an unaligned load of the 16 bytes of `short`.
                unsafe { _mm_loadu_si128(short.as_ptr().cast()) }
            };
            lanes[0] = _mm_aesenc_si128(lanes[0], last);
        }
        // The lanes join in pairs, each pair's first lane two rounds before the second is
        // XORed in. A block's change has gone through as many rounds as blocks come after it
        // in its lane, so the same change in two lanes could meet after one round each, were
        // the lanes one round apart: and the S-box gives two such changes the same outcome
        // once in a hundred. Two rounds spread a change over all 16 bytes, and two spread
        // changes agree far too seldom to matter.
        let join = |first: __m128i, second: __m128i| _mm_aesenc_si128(_mm_aesenc_si128(first, key), second);
        let quarters = [
            join(lanes[0], lanes[1]),
            join(lanes[2], lanes[3]),
            join(lanes[4], lanes[5]),
            join(lanes[6], lanes[7]),
        ];
        let mut mixed = join(join(quarters[0], quarters[1]), join(quarters[2], quarters[3]));
        for _ in 0..3 {
            mixed = _mm_aesenc_si128(mixed, key);
        }
        (_mm_cvtsi128_si64(mixed) ^ _mm_cvtsi128_si64(_mm_unpackhi_epi64(mixed, mixed))) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// Each kind of fingerprint, checked apart: a run never mixes them.
    type Hash = fn(&[u8]) -> u64;
    const KINDS: [(&str, Hash); 2] = [("portable", portable), ("chosen", fingerprint)];

    /// Records that differ in one byte anywhere (by the same change at every offset, which
    /// lines it up with itself in each lane and block, or by one that varies), or in their
    /// length alone (zero bytes included), get different fingerprints; copies get the same
    /// one.
    #[test]
    fn tells_near_copies_apart_and_copies_alike() {
        for (kind, hash) in KINDS {
            let mut seen = HashMap::new();
            let mut count = 0;
            for len in 0..300usize {
                let base: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
                assert_eq!(hash(&base), hash(&base.clone()), "{kind}: a copy of {len} bytes");
                let mut variants = vec![base.clone()];
                for at in 0..len {
                    // The same change at each offset, and a change that differs by offset.
                    for change in [0x10, 1 << (at % 8)] {
                        let mut changed = base.clone();
                        changed[at] ^= change;
                        if !variants.contains(&changed) {
                            variants.push(changed);
                        }
                    }
                }
                for variant in variants {
                    count += 1;
                    if let Some(before) = seen.insert(hash(&variant), variant.clone()) {
                        let changed = |v: &[u8]| (0..v.len()).filter(|&i| v.get(i) != base.get(i)).collect::<Vec<_>>();
                        panic!(
                            "{kind}: {} bytes changed at {:?} and {} bytes changed at {:?} collide",
                            before.len(),
                            changed(&before),
                            len,
                            changed(&variant)
                        );
                    }
                }
            }
            let zeros: Vec<u64> = (0..100).map(|len| hash(&vec![0; len])).collect();
            assert_eq!(zeros.iter().collect::<HashSet<_>>().len(), 100, "{kind}: zeros");
            assert!(count > 80_000, "{count}");
        }
    }

    /// The count of copies is the records less the distinct ones, whatever their order and
    /// however they arrive, against a plain set; past the limit, only the first are counted.
    #[test]
    fn copies_are_counted_as_a_set_would() {
        let mut random = crate::testing::XorShift::new(0x9e37_79b9_7f4a_7c15);
        let mut next = || random.next_u64();
        for (records, distinct) in [
            (0, 1),
            (1, 1),
            (5, 1),
            (1000, 1000),
            (1000, 10),
            (70_000, 3_000),
            (70_000, 70_000),
        ] {
            // `distinct` values, some sharing a top byte (the bucket) and differing below it.
            let values: Vec<u64> = (0..distinct)
                .map(|i| {
                    if i % 3 == 0 {
                        next() & 0xff00_0000_0000_00ff | i as u64
                    } else {
                        next()
                    }
                })
                .collect();
            let fingerprints: Vec<u64> = (0..records).map(|_| values[next() as usize % distinct]).collect();
            let expected = records - fingerprints.iter().collect::<HashSet<_>>().len();
            for parts in [1, 2, 7, 100] {
                let mut copies = Copies::default();
                for part in fingerprints.chunks(records.div_ceil(parts).max(1)) {
                    copies.add(part);
                }
                assert_eq!(
                    copies.count(),
                    (expected as u64, false),
                    "{records} records, {distinct} distinct, {parts} parts"
                );
            }
        }
        // Past TRACKED, the records after the first are left out: here, every one is a copy.
        let mut copies = Copies::default();
        let first: Vec<u64> = (0..TRACKED as u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        copies.add(&first[..TRACKED - 2]);
        copies.add(&first[1..5]);
        copies.add(&first[5..6]);
        assert_eq!(copies.count(), (2, true));
        let mut copies = Copies::default();
        copies.add(&first);
        assert_eq!(copies.count(), (0, false), "exactly TRACKED records: none left out");
    }

    /// The same change at two places, for every pair of places in a 200-byte record (two
    /// changes can line up with each other across lanes and blocks, as one cannot).
    #[test]
    fn tells_records_with_two_changes_apart() {
        for (kind, hash) in KINDS {
            let base: Vec<u8> = (0..200usize).map(|i| (i * 31 + 7) as u8 ^ (i >> 3) as u8).collect();
            let mut seen = HashSet::from([hash(&base)]);
            for first in 0..base.len() {
                for second in first + 1..base.len() {
                    for change in [0x10, 0x01] {
                        let mut changed = base.clone();
                        changed[first] ^= change;
                        changed[second] ^= change;
                        assert!(seen.insert(hash(&changed)), "{kind}: at {first} and {second}");
                    }
                }
            }
        }
    }
}
