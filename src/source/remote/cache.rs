//! The block cache of one remote object.

use bytes::Bytes;

use super::{CACHED_BLOCKS, MAX_RUN};

/// Least-recently-used blocks, at most [`CACHED_BLOCKS`]. A linear scan of
/// 32 entries costs less than the hashing it would replace.
#[derive(Default)]
pub(super) struct BlockCache {
    blocks: Vec<(u64, Bytes, u64)>,
    tick: u64,
    /// The block fetched last and how many were fetched with it, to spot
    /// reading straight on.
    pub(super) last_fetch: Option<(u64, u64)>,
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

    /// How many blocks to fetch from `index`: one for a jump, growing runs
    /// for a reader that keeps asking for the next block.
    pub(super) fn run_ahead(&mut self, index: u64) -> u64 {
        let run = match self.last_fetch {
            Some((end, run)) if end == index => (run * 2).min(MAX_RUN),
            _ => 1,
        };
        self.last_fetch = Some((index + run, run));
        run
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
