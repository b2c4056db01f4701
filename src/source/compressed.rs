//! `.gz` and `.zst` sources, recognised by their magic bytes (a rotated
//! `attempt=1.log.1` may be compressed without saying so). They are
//! decompressed in the background into a [`Spool`], browsable while it
//! fills; RAM holds only the decoder's window. A corrupt or truncated
//! archive keeps what could be read and reports why the rest could not.

use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use super::spool::Spool;
use super::Source;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A compression format logweave reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// The format of a source, from its first bytes.
    pub fn sniff(source: &dyn Source) -> io::Result<Option<Compression>> {
        let mut head = [0u8; 4];
        let n = source.read_full_at(0, &mut head)?;
        Ok(if head[..n].starts_with(&GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else if head[..n].starts_with(&ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else {
            None
        })
    }

    fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Starts decompressing `source` (compressed as `compression`) into a spool.
pub fn decompress(
    path: &Path,
    label: String,
    source: Arc<dyn Source>,
    compression: Compression,
) -> io::Result<Spool> {
    // Big reads: one remote request per few hundred KiB, not per 8 KiB.
    let compressed = BufReader::with_capacity(256 * 1024, SourceReader { source, at: 0 });
    let name = compression.name();
    match compression {
        // Multi-member: `cat a.gz b.gz > c.gz` and pigz output are common.
        Compression::Gzip => Spool::start(
            path.to_path_buf(),
            label,
            name,
            flate2::bufread::MultiGzDecoder::new(compressed),
        ),
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(compressed)?;
            Spool::start(path.to_path_buf(), label, name, decoder)
        }
    }
}

/// A source read from start to end, as `Read`.
struct SourceReader {
    source: Arc<dyn Source>,
    at: u64,
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.source.read_at(self.at, buf)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;
    use std::io::Write;

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("[2024-12-19T00:00:{:02}.000+0000] line {i}\n", i % 60))
            .collect::<String>()
            .into_bytes()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn unpack(packed: Vec<u8>) -> (Vec<u8>, io::Result<()>, Option<String>) {
        let source: Arc<dyn Source> = Arc::new(MemSource(packed));
        let compression = Compression::sniff(source.as_ref()).unwrap().unwrap();
        let mut spool = decompress(Path::new("x"), "x".into(), source, compression).unwrap();
        let result = spool.wait();
        let entry = spool.entry().unwrap();
        let mut out = vec![0u8; entry.source.len() as usize];
        entry.source.read_full_at(0, &mut out).unwrap();
        (out, result, spool.health().problem().map(|p| p.to_string()))
    }

    #[test]
    fn gzip_and_zstd_round_trip_and_plain_text_is_left_alone() {
        let data = lines(5000);
        assert_eq!(unpack(gzip(&data)).0, data);
        assert_eq!(unpack(zstd::encode_all(&data[..], 3).unwrap()).0, data);
        assert_eq!(Compression::sniff(&MemSource(data)).unwrap(), None);
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let (a, b) = (lines(10), lines(20));
        let mut packed = gzip(&a);
        packed.extend(gzip(&b));
        assert_eq!(unpack(packed).0, [a, b].concat());
    }

    #[test]
    fn truncated_archives_keep_a_prefix_and_report() {
        let data = lines(20_000);
        for packed in [gzip(&data), zstd::encode_all(&data[..], 3).unwrap()] {
            let cut = packed[..packed.len() / 2].to_vec();
            let (out, result, problem) = unpack(cut);
            assert!(result.is_err());
            assert!(!out.is_empty() && out.len() < data.len());
            assert!(data.starts_with(&out), "what was read is a prefix");
            assert!(problem.is_some_and(|p| p.contains("stopped after")));
        }
    }

    #[test]
    fn corrupt_archives_report() {
        let data = lines(20_000);
        let mut packed = gzip(&data);
        let middle = packed.len() / 2;
        for byte in &mut packed[middle..middle + 64] {
            *byte ^= 0x5a;
        }
        let (out, result, problem) = unpack(packed);
        assert!(result.is_err(), "{} bytes out", out.len());
        assert!(problem.is_some());
    }
}
