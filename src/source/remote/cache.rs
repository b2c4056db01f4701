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
}

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

    /// Whether block `index` is held, without counting it as used.
    pub(super) fn contains(&self, index: u64) -> bool {
        self.blocks.iter().any(|(i, _, _)| *i == index)
    }

    pub(super) fn insert(&mut self, index: u64, block: Bytes) {
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
