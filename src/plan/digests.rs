//! Digests (the decoded bytes of MD5, SHA-1 or SHA-256 IOCs) in sorted arrays, each with a
//! directory of where each prefix of their leading bits begins: a rule's set of one length
//! ([`Digests`]), and the leading words of many rules' digests with the sets holding each
//! ([`Owners`], for the merged index). The keys' own bytes and one or two more per key, where
//! hash tables at under half or three quarters of their capacity took up to twice that.

use std::mem::size_of;
use std::ops::Range;

/// Where the items of a sorted array with each prefix of their words' leading bits begin.
/// Words of digests are uniformly spread, so each prefix has about
/// [`Directory::ITEMS_PER_PREFIX`] items; words that are not spread (`0000…0001`,
/// `0000…0002`) only make a prefix's items many, and those are searched by halving, so no
/// array is slow to ask, only less compact.
#[derive(Debug)]
struct Directory {
    /// `starts[p]..starts[p + 1]` are the items whose word's leading bits are `p`; one more
    /// entry than there are prefixes.
    starts: Box<[u32]>,
    /// 64 less the number of leading bits in a prefix.
    shift: u32,
}

impl Directory {
    /// Items per prefix on average, at most (and more than half of it): the directory then
    /// takes one or two bytes per item, and a lookup compares about this many.
    const ITEMS_PER_PREFIX: usize = 4;
    /// Items of one prefix past which a lookup halves rather than compares each.
    const MOST_COMPARED: usize = 16;

    /// A counting sort of `count` items by prefix: where each prefix's items go, from a pass
    /// over their words. Returns the starts (one more than prefixes, the last `count`) and
    /// the shift; an array of many digests compared each with ~log2(n) others when it was
    /// sorted whole.
    fn counted(count: usize, words: impl Iterator<Item = u64>) -> (Vec<u32>, u32) {
        let prefixes = (count / Self::ITEMS_PER_PREFIX).next_power_of_two().max(2);
        let shift = 64 - prefixes.trailing_zeros();
        let mut starts = vec![0u32; prefixes + 1];
        for word in words {
            starts[prefix(word, shift) + 1] += 1;
        }
        for p in 1..starts.len() {
            starts[p] += starts[p - 1];
        }
        (starts, shift)
    }

    /// Where `item`, whose word is `word`, is among `items` (sorted, as this directory's): the
    /// few of its prefix compared each, many halved.
    #[inline]
    fn find<T: Ord>(&self, items: &[T], word: u64, item: &T) -> Option<usize> {
        let p = prefix(word, self.shift);
        let start = self.starts[p] as usize;
        let run = &items[start..self.starts[p + 1] as usize];
        let at = if run.len() <= Self::MOST_COMPARED {
            run.iter().position(|x| x == item)
        } else {
            run.binary_search(item).ok()
        };
        at.map(|at| start + at)
    }

    fn memory(&self) -> usize {
        size_of::<u32>() * self.starts.len()
    }
}

#[inline]
fn prefix(word: u64, shift: u32) -> usize {
    (word >> shift) as usize
}

/// Compacts a sorted array prefix by prefix: `starts` and `shift` as [`Directory::counted`]
/// gave them, `keep(from, to)` moving the items of one prefix, `from`, down to `to` (at or
/// below its start) and saying how many it kept. Returns the directory of the items kept,
/// and how many they are.
fn compact(mut starts: Vec<u32>, shift: u32, mut keep: impl FnMut(Range<usize>, usize) -> usize) -> (Directory, usize) {
    let prefixes = starts.len() - 1;
    let mut kept = 0;
    for p in 0..prefixes {
        let run = starts[p] as usize..starts[p + 1] as usize;
        starts[p] = kept as u32;
        kept += keep(run, kept);
    }
    starts[prefixes] = kept as u32;
    let directory = Directory {
        starts: starts.into_boxed_slice(),
        shift,
    };
    (directory, kept)
}

/// Digests of `N` bytes, `N` at least 8, sorted and without repeats. A lookup reads the
/// directory entry of the key's leading bits and the few keys that share them, then compares
/// whole keys.
///
/// A rule of a million IOCs' worth of feeds holds its sets for the whole scan, and its load
/// first touches every page of them: as hash tables they were more than half of the load's
/// peak memory, and of its page faults.
#[derive(Debug)]
pub struct Digests<const N: usize> {
    /// Sorted by their bytes, which sorts them by their leading words too.
    keys: Box<[[u8; N]]>,
    directory: Directory,
}

impl<const N: usize> Digests<N> {
    /// The set of `keys`, in any order, repeats allowed. Fewer than 2^32 keys.
    pub fn new(keys: Vec<[u8; N]>) -> Digests<N> {
        const { assert!(N >= 8, "a digest has at least the 8 bytes of a word") };
        let (starts, shift) = Directory::counted(keys.len(), keys.iter().map(leading_word));
        let mut next = starts.clone();
        let mut sorted = vec![[0u8; N]; keys.len()];
        for key in keys {
            let at = &mut next[prefix(leading_word(&key), shift)];
            sorted[*at as usize] = key;
            *at += 1;
        }
        // Each prefix's keys sorted (their words compared first: one compare, where the bytes'
        // was a call to memcmp), and moved down over the repeats dropped before them.
        let (directory, kept) = compact(starts, shift, |run, to| {
            sorted[run.clone()].sort_unstable_by(|a, b| leading_word(a).cmp(&leading_word(b)).then_with(|| a.cmp(b)));
            let mut kept = 0;
            for at in run {
                if kept == 0 || sorted[to + kept - 1] != sorted[at] {
                    sorted[to + kept] = sorted[at];
                    kept += 1;
                }
            }
            kept
        });
        sorted.truncate(kept);
        Digests {
            keys: sorted.into_boxed_slice(),
            directory,
        }
    }

    #[inline]
    pub fn contains(&self, key: &[u8; N]) -> bool {
        self.directory.find(&self.keys, leading_word(key), key).is_some()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The keys, in increasing order.
    pub fn iter(&self) -> std::slice::Iter<'_, [u8; N]> {
        self.keys.iter()
    }

    /// The leading words of the keys, in increasing order: what [`Owners`] keys a digest by.
    pub fn words(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        self.keys.iter().map(leading_word)
    }

    /// The bytes held: the keys and the directory.
    pub fn memory(&self) -> usize {
        size_of::<[u8; N]>() * self.keys.len() + self.directory.memory()
    }
}

/// A digest's first eight bytes as a number whose order is theirs: what a [`Digests`] sorts
/// and an [`Owners`] keys by.
#[inline]
pub fn leading_word<const N: usize>(key: &[u8; N]) -> u64 {
    u64::from_be_bytes(key.first_chunk::<8>().copied().unwrap_or_default())
}

/// The sets holding a value, as a merged index keeps them beside it in one `u32`: the position
/// of the one set holding it, or, for a value several sets hold (two feeds listing the same
/// hash), [`Positions::SHARED`] plus the number of its list here.
#[derive(Debug, Default)]
pub struct Positions {
    lists: Vec<Vec<u32>>,
}

impl Positions {
    /// The bit of a value that makes it the number of a list (positions are below it).
    const SHARED: u32 = 1 << 31;

    /// The value of several positions, in increasing order, each once.
    pub fn list(&mut self, positions: Vec<u32>) -> u32 {
        self.lists.push(positions);
        u32::try_from(self.lists.len() - 1).unwrap_or(u32::MAX) | Self::SHARED
    }

    /// Adds `position` (past every position so far) to a value's positions: `value`, the one
    /// position or list it has, becomes a list if it was one position.
    pub fn add(&mut self, value: &mut u32, position: u32) {
        if *value & Self::SHARED == 0 {
            *value = self.list(vec![*value, position]);
        } else if let Some(list) = self.lists.get_mut((*value & !Self::SHARED) as usize) {
            list.push(position);
        }
    }

    /// The positions a value stands for.
    pub fn of<'p>(&'p self, value: &'p u32) -> &'p [u32] {
        if value & Self::SHARED == 0 {
            std::slice::from_ref(value)
        } else {
            self.lists
                .get((value & !Self::SHARED) as usize)
                .map_or(&[], Vec::as_slice)
        }
    }

    /// The bytes the lists take.
    pub fn memory(&self) -> usize {
        self.lists.iter().map(|l| size_of::<Vec<u32>>() + 4 * l.len()).sum()
    }
}

/// The leading words ([`leading_word`]) of the digests of one length of several sets, each
/// with the positions of the sets holding a digest with it: what the merged index answers
/// for a digest. Two digests with one leading word (by chance, 2^-64 a pair, or by design)
/// share an entry, and a record with either is a candidate of both one's and the other's
/// sets, which decide by their own keys: never missed, at most one candidate more.
#[derive(Debug)]
pub struct Owners {
    /// Sorted, without repeats.
    words: Box<[u64]>,
    /// Beside each word, its sets ([`Positions`]).
    values: Box<[u32]>,
    lists: Positions,
    directory: Directory,
}

impl Owners {
    /// The owners of the words of `sets` (fewer than 2^31), by their positions in it. Their
    /// words are read twice, counted and then placed, with no array of pairs in between. A
    /// million digests were a million inserts into hash tables, each a cache miss waited for;
    /// here they are two passes and writes that need not wait.
    pub fn new<const N: usize>(sets: &[&Digests<N>]) -> Owners {
        let count = sets.iter().map(|set| set.len()).sum();
        let (starts, shift) = Directory::counted(count, sets.iter().flat_map(|set| set.words()));
        let mut next = starts.clone();
        let mut words = vec![0u64; count];
        let mut values = vec![0u32; count];
        for (position, set) in (0u32..).zip(sets) {
            for word in set.words() {
                let at = &mut next[prefix(word, shift)];
                words[*at as usize] = word;
                values[*at as usize] = position;
                *at += 1;
            }
        }
        let mut lists = Positions::default();
        let (directory, kept) = compact(starts, shift, |run, to| {
            // A prefix's few words sorted, stably: the positions of one word stay in
            // increasing order, as placed.
            let start = run.start;
            for at in run.clone() {
                let (word, value) = (words[at], values[at]);
                let mut hole = at;
                while hole > start && words[hole - 1] > word {
                    words[hole] = words[hole - 1];
                    values[hole] = values[hole - 1];
                    hole -= 1;
                }
                words[hole] = word;
                values[hole] = value;
            }
            let mut kept = 0;
            let mut at = run.start;
            while at < run.end {
                let word = words[at];
                let mut end = at + 1;
                while end < run.end && words[end] == word {
                    end += 1;
                }
                let positions = &values[at..end];
                // Two digests of one set with one word list the set once.
                let value = if positions.iter().all(|&p| p == positions[0]) {
                    positions[0]
                } else {
                    let mut list = positions.to_vec();
                    list.dedup();
                    lists.list(list)
                };
                words[to + kept] = word;
                values[to + kept] = value;
                kept += 1;
                at = end;
            }
            kept
        });
        words.truncate(kept);
        values.truncate(kept);
        Owners {
            words: words.into_boxed_slice(),
            values: values.into_boxed_slice(),
            lists,
            directory,
        }
    }

    /// The positions of the sets holding a digest whose leading word is `word`, in
    /// increasing order; empty if none does.
    #[inline]
    pub fn get(&self, word: u64) -> &[u32] {
        let found = self.directory.find(&self.words, word, &word);
        found.map_or(&[], |at| self.lists.of(&self.values[at]))
    }

    /// The words held.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// The bytes held: the words, their values, the lists and the directory.
    pub fn memory(&self) -> usize {
        (size_of::<u64>() + size_of::<u32>()) * self.words.len() + self.lists.memory() + self.directory.memory()
    }
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

    /// Against a map from each word to the positions holding it, in increasing order: sets of
    /// spread words and of words sharing one prefix (searched by halving), words in several
    /// sets, a set with two digests of one word, sets with no digests; every word is found with
    /// exactly its sets, and words one bit off with theirs or none.
    #[test]
    fn owners_name_exactly_the_sets_holding_a_word() {
        use std::collections::BTreeMap;
        let mut random = XorShift::new(0x0517_e125);
        for (sets, per_set, spread) in [
            (0, 0, true),
            (1, 1, true),
            (5, 300, true),
            (40, 50, false),
            (3, 0, true),
        ] {
            let mut pool: Vec<u64> = (0..per_set * sets / 2 + 1)
                .map(|_| {
                    if spread {
                        random.next_u64()
                    } else {
                        random.below(600) as u64
                    }
                })
                .collect();
            pool.sort_unstable();
            let lists: Vec<Vec<u64>> = (0..sets)
                .map(|_| {
                    let mut words: Vec<u64> = (0..per_set).map(|_| pool[random.below(pool.len())]).collect();
                    if let Some(&first) = words.first() {
                        words.push(first);
                    }
                    words
                })
                .collect();
            let mut expected: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
            for (position, words) in (0u32..).zip(&lists) {
                for &word in words {
                    let owners = expected.entry(word).or_default();
                    if owners.last() != Some(&position) {
                        owners.push(position);
                    }
                }
            }
            // Each word the first 8 bytes of a digest of 16; the set's first word twice, the second
            // time with other bytes after it.
            let digest = |word: u64, rest: u64| -> [u8; 16] {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&word.to_be_bytes());
                key[8..].copy_from_slice(&rest.to_be_bytes());
                key
            };
            let digests: Vec<Digests<16>> = lists
                .iter()
                .map(|words| {
                    let last = words.len().saturating_sub(1);
                    Digests::new(
                        words
                            .iter()
                            .enumerate()
                            .map(|(i, &w)| digest(w, u64::from(i == last)))
                            .collect(),
                    )
                })
                .collect();
            let owners = Owners::new(&digests.iter().collect::<Vec<_>>());
            let label = format!("{sets} sets of {per_set} words, spread: {spread}");
            assert_eq!(owners.len(), expected.len(), "{label}");
            for (&word, positions) in &expected {
                assert_eq!(owners.get(word), positions.as_slice(), "{word:#x}, {label}");
                for near in [word ^ 1, word ^ 1 << 63, word.wrapping_add(1)] {
                    let want = expected.get(&near).map_or(&[][..], Vec::as_slice);
                    assert_eq!(owners.get(near), want, "{near:#x}, {label}");
                }
            }
        }
    }

    /// The directory takes at most two bytes per key beyond the first few, and a prefix of
    /// spread keys holds few of them.
    #[test]
    fn the_directory_is_small_and_its_prefixes_short() {
        let mut random = XorShift::new(7);
        for count in [1, 1_524, 1_969, 100_000] {
            let set = Digests::<32>::new((0..count).map(|_| key(&mut random, true)).collect());
            assert!(set.memory() <= 34 * count + 12, "{count} keys: {} bytes", set.memory());
            let longest = set.directory.starts.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            assert!(
                longest <= Directory::MOST_COMPARED as u32,
                "{count} keys: {longest} share a prefix"
            );
        }
    }
}
