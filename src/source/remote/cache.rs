//! The block cache of one remote object.

use bytes::Bytes;

use super::{CACHED_BLOCKS, DEPTH, MAX_RUN};

/// Least-recently-used blocks, at most [`CACHED_BLOCKS`]. A linear scan of
/// 32 entries costs less than the hashing it would replace.
#[derive(Default)]
pub(super) struct BlockCache {
    blocks: Vec<(u64, Bytes, u64)>,
    tick: u64,
    /// Misses in a row that found the block before theirs here (or on its
    /// way): how sure we are that readers go straight on. It sets how far
    /// ahead to fetch. Counted per object, not per reader, so the search
    /// workers taking turns over consecutive chunks count as one reader.
    pub(super) streak: u32,
    /// Block ranges fetched before, sorted and apart: runs ahead go only
    /// where nothing was fetched yet, so a reader going back over read
    /// ground (a backward search reads each chunk forwards, towards the
    /// chunk it searched before) does not fetch it twice.
    fetched: Vec<std::ops::Range<u64>>,
}

/// Ranges remembered in [`BlockCache::fetched`]: reading straight through
/// leaves one; only jumping around makes more.
const FETCHED_RANGES: usize = 256;

impl BlockCache {
    /// Blocks held now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.blocks.len()
    }

    pub(super) fn get(&mut self, index: u64) -> Option<Bytes> {
        self.tick += 1;
        let tick = self.tick;
        self.blocks
            .iter_mut()
            .find(|(i, _, _)| *i == index)
            .map(|(_, block, used)| {
                *used = tick;
                block.clone()
            })
    }

    /// One more miss in a row going straight on: the blocks to have on
    /// their way from the reader on, doubling up to [`DEPTH`] full runs
    /// (paging down a screen at a time fetches 2, 4, 8 blocks, not 12 MiB).
    pub(super) fn bump_streak(&mut self) -> u64 {
        self.streak = self.streak.saturating_add(1);
        1u64.checked_shl(self.streak)
            .unwrap_or(u64::MAX)
            .min(DEPTH as u64 * MAX_RUN)
    }

    /// Notes that `blocks` were fetched.
    pub(super) fn mark_fetched(&mut self, blocks: std::ops::Range<u64>) {
        let at = self.fetched.partition_point(|r| r.end < blocks.start);
        let mut merged = blocks;
        while at < self.fetched.len() && self.fetched[at].start <= merged.end {
            let next = self.fetched.remove(at);
            merged = merged.start.min(next.start)..merged.end.max(next.end);
        }
        self.fetched.insert(at, merged);
        if self.fetched.len() > FETCHED_RANGES {
            // The smallest is the least worth remembering.
            if let Some(smallest) = (0..self.fetched.len()).min_by_key(|&i| {
                let r = &self.fetched[i];
                r.end - r.start
            }) {
                self.fetched.remove(smallest);
            }
        }
    }

    /// Whether block `index` was fetched before (cached or not).
    pub(super) fn was_fetched(&self, index: u64) -> bool {
        let at = self.fetched.partition_point(|r| r.end <= index);
        self.fetched.get(at).is_some_and(|r| r.start <= index)
    }

    pub(super) fn insert(&mut self, index: u64, block: Bytes) {
        self.mark_fetched(index..index + 1);
        self.tick += 1;
        if let Some(slot) = self.blocks.iter_mut().find(|(i, _, _)| *i == index) {
            *slot = (index, block, self.tick);
            return;
        }
        if self.blocks.len() >= CACHED_BLOCKS {
            if let Some(oldest) = self
                .blocks
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(at, _)| at)
            {
                self.blocks.swap_remove(oldest);
            }
        }
        self.blocks.push((index, block, self.tick));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_ranges_merge_and_answer() {
        let mut cache = BlockCache::default();
        cache.mark_fetched(10..20);
        cache.mark_fetched(30..40);
        cache.mark_fetched(20..30);
        assert_eq!(cache.fetched, vec![10..40]);
        assert!(cache.was_fetched(10) && cache.was_fetched(39));
        assert!(!cache.was_fetched(9) && !cache.was_fetched(40));
        for i in 0..2 * FETCHED_RANGES as u64 {
            cache.mark_fetched(100 + 2 * i..101 + 2 * i);
        }
        assert!(cache.fetched.len() <= FETCHED_RANGES);
        assert!(cache.was_fetched(25), "the largest range stays");
    }
}
