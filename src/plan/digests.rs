//! A set of digests of one length (the decoded bytes of MD5, SHA-1 or SHA-256 IOCs) as one
//! sorted array with a directory of where each prefix of their leading bits begins: the keys'
//! own bytes and one or two more per key, where a hash table at under half its capacity took
//! twice the keys' bytes.

use std::mem::size_of;

/// Digests of `N` bytes, `N` at least 8, sorted and without repeats. A lookup reads the
/// directory entry of the key's leading bits and the few keys that share them (about four on
/// average: digests are uniformly spread), then compares whole keys. Keys that are not spread
/// (`0000…0001`, `0000…0002`) only make a prefix's keys many, and those are searched by
/// halving, so no set is slow to ask, only less compact.
///
/// A rule of a million IOCs' worth of feeds holds its sets for the whole scan, and its load
/// first touches every page of them: as hash tables they were more than half of the load's
/// peak memory, and of its page faults.
#[derive(Debug)]
pub struct Digests<const N: usize> {
    /// Sorted by their bytes, which sorts them by their leading bits too.
    keys: Box<[[u8; N]]>,
    /// `starts[p]..starts[p + 1]` are the keys whose leading bits are `p`; one more entry than
    /// there are prefixes.
    starts: Box<[u32]>,
    /// 64 less the number of leading bits in a prefix.
    shift: u32,
}

impl<const N: usize> Digests<N> {
    /// Keys per prefix on average, at most (and more than half of it): the directory then
    /// takes one or two bytes per key, and a lookup compares about this many keys.
    const KEYS_PER_PREFIX: usize = 4;
    /// Keys of one prefix past which a lookup halves rather than compares each.
    const MOST_COMPARED: usize = 16;

    /// The set of `keys`, in any order, repeats allowed. Fewer than 2^32 keys.
    pub fn new(keys: Vec<[u8; N]>) -> Digests<N> {
        const { assert!(N >= 8, "a digest has at least the 8 bytes of a prefix") };
        let prefixes = (keys.len() / Self::KEYS_PER_PREFIX).next_power_of_two().max(2);
        let shift = 64 - prefixes.trailing_zeros();
        let prefix = |key: &[u8; N]| (leading_word(key) >> shift) as usize;
        // A counting sort by prefix, then each prefix's few keys sorted: a sort of the whole
        // array compared every key with ~log2(n) others.
        let mut starts = vec![0u32; prefixes + 1];
        for key in &keys {
            starts[prefix(key) + 1] += 1;
        }
        for p in 1..starts.len() {
            starts[p] += starts[p - 1];
        }
        let mut next: Vec<u32> = starts[..prefixes].to_vec();
        let mut sorted = vec![[0u8; N]; keys.len()];
        for key in keys {
            let at = &mut next[prefix(&key)];
            sorted[*at as usize] = key;
            *at += 1;
        }
        // Each prefix's keys sorted and their repeats dropped, moved down over the dropped ones.
        let mut kept = 0;
        for p in 0..prefixes {
            let (start, end) = (starts[p] as usize, starts[p + 1] as usize);
            starts[p] = kept as u32;
            let run = &mut sorted[start..end];
            run.sort_unstable_by(|a, b| leading_word(a).cmp(&leading_word(b)).then_with(|| a.cmp(b)));
            for at in start..end {
                if kept == starts[p] as usize || sorted[kept - 1] != sorted[at] {
                    sorted[kept] = sorted[at];
                    kept += 1;
                }
            }
        }
        starts[prefixes] = kept as u32;
        sorted.truncate(kept);
        Digests {
            keys: sorted.into_boxed_slice(),
            starts: starts.into_boxed_slice(),
            shift,
        }
    }

    #[inline]
    pub fn contains(&self, key: &[u8; N]) -> bool {
        let p = (leading_word(key) >> self.shift) as usize;
        let keys = &self.keys[self.starts[p] as usize..self.starts[p + 1] as usize];
        if keys.len() <= Self::MOST_COMPARED {
            keys.contains(key)
        } else {
            keys.binary_search(key).is_ok()
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The keys, in increasing order.
    pub fn iter(&self) -> std::slice::Iter<'_, [u8; N]> {
        self.keys.iter()
    }

    /// The bytes held: the keys and the directory.
    pub fn memory(&self) -> usize {
        size_of::<[u8; N]>() * self.keys.len() + size_of::<u32>() * self.starts.len()
    }
}

/// A key's first eight bytes as a number whose order is theirs.
#[inline]
fn leading_word<const N: usize>(key: &[u8; N]) -> u64 {
    u64::from_be_bytes(key.first_chunk::<8>().copied().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::testing::XorShift;

    /// One key from a seed: random bytes, or (`spread` false) zeros but for the last two
    /// bytes, so that every key shares one prefix.
    fn key<const N: usize>(random: &mut XorShift, spread: bool) -> [u8; N] {
        let mut key = [0u8; N];
        if spread {
            key.iter_mut().for_each(|b| *b = random.below(256) as u8);
        } else {
            key[N - 2] = random.below(4) as u8;
            key[N - 1] = random.below(256) as u8;
        }
        key
    }

    /// Against a `BTreeSet` of the same keys: spread keys and keys that all share a prefix
    /// (which are searched by halving), repeats, the empty set; each member is found and
    /// every probe that differs from one in its first, eighth, ninth or last byte is found
    /// exactly when it is a member too.
    fn agrees_with_an_ordered_set<const N: usize>() {
        let mut random = XorShift::new(0x0d16_e575 + N as u64);
        for (count, spread) in [
            (0, true),
            (1, true),
            (3, true),
            (100, true),
            (5_000, true),
            (300, false),
        ] {
            let mut keys: Vec<[u8; N]> = (0..count).map(|_| key(&mut random, spread)).collect();
            // Repeats, some of them far from their first.
            let repeats: Vec<[u8; N]> = keys.iter().step_by(7).copied().collect();
            keys.extend(repeats);
            let expected: BTreeSet<[u8; N]> = keys.iter().copied().collect();
            let set = Digests::new(keys);
            assert_eq!(set.len(), expected.len(), "{count} keys of {N} bytes, spread: {spread}");
            assert!(
                set.iter().eq(expected.iter()),
                "{count} keys of {N} bytes: in order, once each"
            );
            let mut probes: Vec<[u8; N]> = (0..200).map(|_| key(&mut random, spread)).collect();
            for member in &expected {
                probes.push(*member);
                for at in [0, 7, 8, N - 1] {
                    let mut near = *member;
                    near[at] ^= 1;
                    probes.push(near);
                }
            }
            for probe in &probes {
                assert_eq!(
                    set.contains(probe),
                    expected.contains(probe),
                    "{probe:?} among {count} keys"
                );
            }
        }
    }

    #[test]
    fn a_digest_set_holds_exactly_its_keys() {
        agrees_with_an_ordered_set::<16>();
        agrees_with_an_ordered_set::<20>();
        agrees_with_an_ordered_set::<32>();
    }

    /// The directory takes at most two bytes per key beyond the first few, and a prefix of
    /// spread keys holds few of them.
    #[test]
    fn the_directory_is_small_and_its_prefixes_short() {
        let mut random = XorShift::new(7);
        for count in [1, 1_524, 1_969, 100_000] {
            let set = Digests::<32>::new((0..count).map(|_| key(&mut random, true)).collect());
            assert!(set.memory() <= 34 * count + 12, "{count} keys: {} bytes", set.memory());
            let longest = set.starts.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            assert!(
                longest <= Digests::<32>::MOST_COMPARED as u32,
                "{count} keys: {longest} share a prefix"
            );
        }
    }
}
