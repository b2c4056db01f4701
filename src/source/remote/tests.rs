//! The cache, the read-ahead and the retries against an in-memory backend.

use super::in_flight::RUNS_IN_FLIGHT;
use super::*;
use std::sync::atomic::AtomicUsize;

/// An in-memory backend that counts requests, bytes and requests at
/// once, to check the cache; optionally slow, optionally failing first.
#[derive(Default)]
struct Counting {
    data: Vec<u8>,
    requests: AtomicUsize,
    bytes: AtomicUsize,
    fail_first: AtomicUsize,
    /// Each request takes this long (requests in flight overlap).
    delay: Duration,
    active: AtomicUsize,
    most: AtomicUsize,
}

impl RangeBackend for Counting {
    fn location(&self) -> &str {
        "mem://test"
    }
    fn stat(&self) -> Result<Stat, RemoteError> {
        Ok(Stat {
            len: self.data.len() as u64,
            version: None,
        })
    }
    fn fetch(&self, range: Range<u64>) -> Result<Vec<Bytes>, RemoteError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if self.fail_first.load(Ordering::SeqCst) > 0 {
            self.fail_first.fetch_sub(1, Ordering::SeqCst);
            return Err(RemoteError::Transient("connection reset".into()));
        }
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.active.fetch_sub(1, Ordering::SeqCst);
        let data = &self.data[range.start as usize..range.end as usize];
        self.bytes.fetch_add(data.len(), Ordering::SeqCst);
        let mut blocks = Blocks::new(data.len() as u64);
        blocks.push(data);
        Ok(blocks.finish())
    }
}

fn source(len: usize, fail_first: usize) -> (Arc<Counting>, RemoteSource) {
    let backend = Arc::new(Counting {
        data: (0..len).map(|i| (i % 251) as u8).collect(),
        fail_first: AtomicUsize::new(fail_first),
        ..Counting::default()
    });
    let source = RemoteSource::open(backend.clone(), Arc::new(Health::default()))
        .expect("in-memory backend opens");
    (backend, source)
}

#[test]
fn reads_match_the_object_at_any_offset() {
    let len = 3 * BLOCK as usize + 123;
    let (backend, source) = source(len, 0);
    for &offset in &[0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 7, len as u64 - 5] {
        let mut buf = vec![0u8; 1000];
        let n = source.read_full_at(offset, &mut buf).unwrap();
        let want = &backend.data[offset as usize..(offset as usize + 1000).min(len)];
        assert_eq!(&buf[..n], want, "at {offset}");
    }
    let mut buf = [0u8; 4];
    assert_eq!(source.read_at(len as u64, &mut buf).unwrap(), 0);
}

#[test]
fn a_jump_fetches_one_block_and_rereads_are_cached() {
    let len = 100 * BLOCK as usize;
    let (backend, source) = source(len, 0);
    let mut buf = vec![0u8; 4096];
    source.read_at(len as u64 - 4096, &mut buf).unwrap();
    source.read_at(len as u64 - 8192, &mut buf).unwrap();
    assert_eq!(backend.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn reading_straight_on_uses_growing_runs_read_ahead_and_bounded_memory() {
    let len = 200 * BLOCK as usize + 1234;
    let (backend, source) = source(len, 0);
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0;
    while offset < len as u64 {
        let n = source.read_at(offset, &mut buf).unwrap();
        let at = offset as usize;
        assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
        offset += n as u64;
    }
    let requests = backend.requests.load(Ordering::SeqCst);
    assert!(
        // The ramp (1, 2, 4, 8 blocks), then full runs.
        requests <= 201 / MAX_RUN as usize + 6,
        "{requests} requests"
    );
    assert_eq!(
        backend.bytes.load(Ordering::SeqCst),
        len,
        "each byte is fetched once, read-ahead included"
    );
    assert!(source.lock_cache().len() <= CACHED_BLOCKS);
}

#[test]
fn reading_straight_on_keeps_several_requests_in_flight_but_no_more_than_depth() {
    let len = 300 * BLOCK as usize + 77;
    let backend = Arc::new(Counting {
        data: (0..len).map(|i| (i % 253) as u8).collect(),
        delay: Duration::from_millis(5),
        ..Counting::default()
    });
    let source = RemoteSource::open(backend.clone(), Arc::new(Health::default())).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0;
    while offset < len as u64 {
        let n = source.read_at(offset, &mut buf).unwrap();
        let at = offset as usize;
        assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
        offset += n as u64;
    }
    let most = backend.most.load(Ordering::SeqCst);
    // The reader's own request and the ones ahead of it.
    assert!(
        (2..=DEPTH + 1).contains(&most),
        "{most} requests at once (other tests may hold some of the process's permits)"
    );
    assert_eq!(backend.bytes.load(Ordering::SeqCst), len, "each byte once");
    assert!(lock(&source.shared.in_flight).len() <= DEPTH);
    assert!(RUNS_IN_FLIGHT.load(Ordering::SeqCst) <= TOTAL_IN_FLIGHT);
}

#[test]
fn paging_down_a_screen_at_a_time_fetches_little_ahead() {
    let len = 100 * BLOCK as usize;
    let (backend, source) = source(len, 0);
    let mut buf = vec![0u8; 4096];
    // Three screens, block by block: runs of 2, 4, 8 blocks at most.
    for offset in (0..3 * BLOCK).step_by(4096) {
        source.read_full_at(offset, &mut buf).unwrap();
    }
    let bytes = backend.bytes.load(Ordering::SeqCst) as u64;
    assert!(bytes <= 16 * BLOCK, "{} blocks fetched", bytes / BLOCK);
}

#[test]
fn a_jump_away_leaves_the_read_ahead_unused_and_reads_stay_right() {
    let len = 100 * BLOCK as usize;
    let (backend, source) = source(len, 0);
    let mut buf = vec![0u8; 64 * 1024];
    // Straight on long enough to start a read-ahead…
    for offset in (0..40 * BLOCK).step_by(buf.len()) {
        source.read_full_at(offset, &mut buf).unwrap();
    }
    assert!(
        !lock(&source.shared.in_flight).is_empty(),
        "runs were requested ahead"
    );
    // …then elsewhere, and back into the range it fetched.
    for &offset in &[90 * BLOCK + 5, 30 * BLOCK + 7, 45 * BLOCK] {
        let n = source.read_full_at(offset, &mut buf).unwrap();
        let at = offset as usize;
        assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
    }
}

/// The search's pattern: two workers take 8 MiB chunks from the end
/// backwards, each read forwards in 1 MiB reads and 64 KiB on into the
/// chunk after it (for the line crossing the border), which was read
/// before. Each byte is fetched about once (it was 1.5× when that 64 KiB
/// fetched a whole run again).
#[test]
fn search_workers_going_backwards_over_chunks_fetch_each_byte_about_once() {
    let len = 96 * BLOCK as usize;
    let backend = Arc::new(Counting {
        data: vec![7u8; len],
        delay: Duration::from_millis(5),
        ..Counting::default()
    });
    let source = RemoteSource::open(backend.clone(), Arc::new(Health::default())).unwrap();
    let chunk = 8 * BLOCK;
    let chunks = len as u64 / chunk;
    let next = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut buf = vec![0u8; 4 * BLOCK as usize];
                loop {
                    let taken = next.fetch_add(1, Ordering::SeqCst);
                    if taken >= chunks {
                        break;
                    }
                    let c = chunks - 1 - taken;
                    let mut at = c * chunk;
                    let end = ((c + 1) * chunk + 64 * 1024).min(len as u64);
                    while at < end {
                        let want = buf.len().min((end - at) as usize);
                        at += source.read_full_at(at, &mut buf[..want]).unwrap() as u64;
                    }
                }
            });
        }
    });
    let fetched = backend.bytes.load(Ordering::SeqCst);
    assert!(
        fetched <= len + len / 10,
        "{:.2}× the object fetched",
        fetched as f64 / len as f64
    );
}

#[test]
fn transient_failures_are_retried() {
    let (backend, source) = source(1000, 2);
    let mut buf = [0u8; 10];
    assert_eq!(source.read_at(0, &mut buf).unwrap(), 10);
    assert_eq!(backend.requests.load(Ordering::SeqCst), 3);
    assert_eq!(source.shared.health.problem(), None);
}

#[test]
fn persistent_failures_become_errors_and_health_reports() {
    let (_, source) = source(1000, 100);
    let mut buf = [0u8; 10];
    let err = source.read_at(0, &mut buf).unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    assert!(source.shared.health.problem().is_some());
}

#[test]
fn redact_removes_user_info_and_query() {
    assert_eq!(
        redact("https://bob:s3cret@host:8080/a/b?X-Amz-Signature=abc#x"),
        "https://host:8080/a/b"
    );
    assert_eq!(redact("s3://bucket/key"), "s3://bucket/key");
    assert_eq!(redact("http://host"), "http://host");
}
