//! A ranged answer received straight into the cache's blocks.
//!
//! A run of [`MAX_RUN`](super::MAX_RUN) blocks arrives as one answer, but
//! the cache keeps and lets go of blocks one by one. Receiving the body into
//! one buffer per block (instead of one per run, cut up later) costs the
//! one copy out of the HTTP client's chunks that a single buffer costs too,
//! and saves the reader a copy of every block: a block sliced out of a
//! run's buffer would keep the whole run alive as long as the cache keeps
//! that block, so each used to be copied out on the reader's thread (12 %
//! of a remote `--print`'s main thread; BENCHMARKS.md).

use bytes::Bytes;

use super::BLOCK;

/// The body of an answer to a range that starts on a block's first byte,
/// as it arrives: full blocks of [`BLOCK`] bytes, then the last one.
pub(super) struct Blocks {
    blocks: Vec<Bytes>,
    filling: Vec<u8>,
    /// Bytes asked for: no more are kept.
    wanted: u64,
    /// Bytes the server sent, kept or not (a longer answer is refused by
    /// its length, without holding what it sent too much).
    received: u64,
}

impl Blocks {
    /// Ready for an answer of `wanted` bytes.
    pub(super) fn new(wanted: u64) -> Self {
        Self {
            blocks: Vec::with_capacity(wanted.div_ceil(BLOCK) as usize),
            filling: Vec::new(),
            wanted,
            received: 0,
        }
    }

    /// Takes the next piece of the body.
    pub(super) fn push(&mut self, mut piece: &[u8]) {
        let kept = self.received.min(self.wanted);
        self.received += piece.len() as u64;
        piece = &piece[..piece.len().min((self.wanted - kept) as usize)];
        while !piece.is_empty() {
            if self.filling.capacity() == 0 {
                let left = self.wanted - self.kept_in_blocks();
                self.filling = Vec::with_capacity(BLOCK.min(left) as usize);
            }
            let room = self.filling.capacity() - self.filling.len();
            let (now, rest) = piece.split_at(room.min(piece.len()));
            self.filling.extend_from_slice(now);
            piece = rest;
            if self.filling.len() == self.filling.capacity() {
                self.blocks
                    .push(Bytes::from(std::mem::take(&mut self.filling)));
            }
        }
    }

    fn kept_in_blocks(&self) -> u64 {
        self.blocks.iter().map(|b| b.len() as u64).sum::<u64>()
    }

    /// Bytes the server sent so far.
    pub(super) fn received(&self) -> u64 {
        self.received
    }

    /// The blocks, the last one as far as it came.
    pub(super) fn finish(mut self) -> Vec<Bytes> {
        if !self.filling.is_empty() {
            self.blocks.push(Bytes::from(self.filling));
        }
        self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_of_any_size_make_whole_blocks_and_a_last_one() {
        let data: Vec<u8> = (0..(2 * BLOCK + 1000)).map(|i| (i % 251) as u8).collect();
        for piece in [
            1usize,
            7,
            4096,
            BLOCK as usize,
            BLOCK as usize + 3,
            data.len(),
        ] {
            let mut blocks = Blocks::new(data.len() as u64);
            for p in data.chunks(piece) {
                blocks.push(p);
            }
            assert_eq!(blocks.received(), data.len() as u64);
            let blocks = blocks.finish();
            let lens: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
            assert_eq!(
                lens,
                vec![BLOCK as usize, BLOCK as usize, 1000],
                "pieces of {piece}"
            );
            assert_eq!(blocks.concat(), data, "pieces of {piece}");
        }
    }

    #[test]
    fn bytes_past_the_range_are_counted_not_kept() {
        let mut blocks = Blocks::new(10);
        blocks.push(&[1; 8]);
        blocks.push(&[2; 8]);
        assert_eq!(blocks.received(), 16);
        assert_eq!(
            blocks.finish().concat(),
            [[1; 8].as_slice(), &[2; 2]].concat()
        );
    }

    #[test]
    fn a_short_answer_keeps_what_came() {
        let mut blocks = Blocks::new(3 * BLOCK);
        blocks.push(&vec![5; BLOCK as usize + 10]);
        let blocks = blocks.finish();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].len(), 10);
    }
}
