//! The heads of the K-way merge: each source's next record, ordered by key.
//!
//! With a handful of sources (an Airflow attempt has 2–6) a linear scan of a
//! small array beats a binary heap's bookkeeping; a folder of hundreds of
//! rotated files gets the heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// `(time key, source rank, byte offset)`.
pub type Key = (i64, usize, u64);

/// Up to this many sources, heads are kept in a plain array.
const LINEAR_MAX: usize = 12;

/// A priority queue of head keys that yields the smallest (forward merge)
/// or the largest (backward merge).
pub enum Heads {
    Linear {
        smallest_first: bool,
        keys: Vec<Key>,
    },
    Forward(BinaryHeap<Reverse<Key>>),
    Backward(BinaryHeap<Key>),
}

impl Heads {
    /// An empty queue for `sources` sources.
    pub fn new(sources: usize, smallest_first: bool) -> Self {
        if sources <= LINEAR_MAX {
            Heads::Linear {
                smallest_first,
                keys: Vec::with_capacity(sources),
            }
        } else if smallest_first {
            Heads::Forward(BinaryHeap::with_capacity(sources))
        } else {
            Heads::Backward(BinaryHeap::with_capacity(sources))
        }
    }

    pub fn push(&mut self, key: Key) {
        match self {
            Heads::Linear { keys, .. } => keys.push(key),
            Heads::Forward(heap) => heap.push(Reverse(key)),
            Heads::Backward(heap) => heap.push(key),
        }
    }

    /// Removes and returns the next key, unless `stop` says the merge must
    /// not go past it.
    #[inline]
    pub fn pop_unless(&mut self, stop: impl Fn(&Key) -> bool) -> Option<Key> {
        match self {
            Heads::Linear {
                smallest_first,
                keys,
            } => {
                let best = if *smallest_first {
                    (0..keys.len()).min_by_key(|&i| keys[i])?
                } else {
                    (0..keys.len()).max_by_key(|&i| keys[i])?
                };
                if stop(&keys[best]) {
                    return None;
                }
                Some(keys.swap_remove(best))
            }
            Heads::Forward(heap) => {
                if stop(&heap.peek()?.0) {
                    return None;
                }
                heap.pop().map(|Reverse(k)| k)
            }
            Heads::Backward(heap) => {
                if stop(heap.peek()?) {
                    return None;
                }
                heap.pop()
            }
        }
    }

    /// The sources whose key has time `ts` and comes next: with the key
    /// just popped at `ts`, every other head at `ts` sits at the front of
    /// the queue. Costs O(ties · log K), not O(K), so a folder of thousands
    /// of sources does not pay for all of them at every timestamp.
    pub fn ties_at(&mut self, ts: i64, out: &mut Vec<usize>) {
        match self {
            Heads::Linear { keys, .. } => {
                for key in keys.iter() {
                    if key.0 == ts {
                        out.push(key.1);
                    }
                }
            }
            Heads::Forward(heap) => {
                let mut taken = Vec::new();
                while heap.peek().is_some_and(|Reverse(k)| k.0 == ts) {
                    taken.extend(heap.pop());
                }
                out.extend(taken.iter().map(|Reverse(k)| k.1));
                heap.extend(taken);
            }
            Heads::Backward(heap) => {
                let mut taken = Vec::new();
                while heap.peek().is_some_and(|k| k.0 == ts) {
                    taken.extend(heap.pop());
                }
                out.extend(taken.iter().map(|k| k.1));
                heap.extend(taken);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut heads: Heads) -> Vec<Key> {
        std::iter::from_fn(|| heads.pop_unless(|_| false)).collect()
    }

    #[test]
    fn linear_and_heap_agree() {
        let keys: Vec<Key> = (0..40u64)
            .map(|i| ((i * 7919 % 13) as i64, (i % 5) as usize, i))
            .collect();
        for smallest_first in [true, false] {
            let mut small = Heads::new(3, smallest_first);
            let mut big = Heads::new(100, smallest_first);
            for &k in &keys {
                small.push(k);
                big.push(k);
            }
            let mut want = keys.clone();
            want.sort_unstable();
            if !smallest_first {
                want.reverse();
            }
            assert_eq!(drain(small), want);
            assert_eq!(drain(big), want);
        }
    }

    #[test]
    fn ties_are_found_and_left_in_place() {
        for sources in [3, 100] {
            for smallest_first in [true, false] {
                let mut heads = Heads::new(sources, smallest_first);
                let edge = if smallest_first { 5 } else { 9 };
                for (ts, source) in [(edge, 0), (7, 1), (edge, 2), (edge, 4)] {
                    heads.push((ts, source, 0));
                }
                let mut ties = Vec::new();
                heads.ties_at(edge, &mut ties);
                ties.sort_unstable();
                assert_eq!(ties, vec![0, 2, 4]);
                assert_eq!(drain(heads).len(), 4);
            }
        }
    }

    #[test]
    fn stop_leaves_the_key_in_place() {
        let mut heads = Heads::new(2, true);
        heads.push((5, 0, 0));
        assert_eq!(heads.pop_unless(|k| k.0 >= 5), None);
        assert_eq!(heads.pop_unless(|k| k.0 >= 6), Some((5, 0, 0)));
    }
}
