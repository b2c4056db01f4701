//! What the simulated task says: the text of its printed lines, stderr
//! lines and logging messages, varied by the attempt's random numbers.

use super::super::fmt::push_num;
use super::super::rng::Rng;

/// The words a simulated batch is described with (also the tests' prose).
pub(crate) const WORDS: &[&str] = &[
    "batch",
    "shard",
    "offset",
    "partition",
    "checkpoint",
    "upstream",
    "downstream",
    "watermark",
    "commit",
    "rollback",
    "schema",
    "column",
    "merge",
    "ingest",
    "flush",
    "retry",
    "backoff",
    "latency",
    "throughput",
    "bucket",
    "region",
    "replica",
    "lease",
    "snapshot",
    "compaction",
];

pub fn words(rng: &mut Rng, out: &mut Vec<u8>, count: u64) {
    for i in 0..count {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
    }
}

pub fn stdout_message(rng: &mut Rng, msg: &mut Vec<u8>, n: u64) {
    match rng.below(5) {
        0 => {
            msg.extend_from_slice(b"Fetched ");
            push_num(msg, rng.below(100_000));
            msg.extend_from_slice(b" rows from s3://data-lake/raw/part-");
            push_num(msg, n % 10_000);
            msg.extend_from_slice(b".parquet in 0.");
            push_num(msg, 100 + rng.below(900));
            msg.extend_from_slice(b"s");
        }
        1 => {
            msg.extend_from_slice("Writing partition région=Île-de-France ✓ rows=".as_bytes());
            push_num(msg, rng.below(50_000));
        }
        2 => {
            msg.extend_from_slice("顧客データを読み込みました: ".as_bytes());
            push_num(msg, rng.below(10_000));
            msg.extend_from_slice("件 🚀".as_bytes());
        }
        _ => {
            msg.extend_from_slice(b"Processing batch ");
            push_num(msg, n);
            msg.extend_from_slice(b": ");
            let count = 4 + rng.below(16);
            words(rng, msg, count);
        }
    }
}

pub fn stderr_message(rng: &mut Rng, msg: &mut Vec<u8>, n: u64) {
    if rng.below(2) == 0 {
        msg.extend_from_slice(b"/opt/airflow/dags/lib/io.py:57: UserWarning: batch ");
        push_num(msg, n);
        msg.extend_from_slice(b" has ");
        push_num(msg, 1 + rng.below(500));
        msg.extend_from_slice(b" rows with null keys");
    } else {
        msg.extend_from_slice(b"stderr: batch ");
        push_num(msg, n);
        msg.extend_from_slice(b" slow: ");
        let count = 3 + rng.below(10);
        words(rng, msg, count);
    }
}

pub fn info_message(rng: &mut Rng, msg: &mut Vec<u8>, n: u64) {
    match rng.below(4) {
        0 => {
            msg.extend_from_slice(b"Pushing xcom key=partition_");
            push_num(msg, n % 48);
        }
        1 => {
            msg.extend_from_slice(b"Retrying request to s3 in ");
            push_num(msg, 1 + rng.below(30));
            msg.extend_from_slice(b"s");
        }
        _ => {
            msg.extend_from_slice(b"Processed batch ");
            push_num(msg, n);
            msg.extend_from_slice(b" in 0.");
            push_num(msg, 100 + rng.below(900));
            msg.extend_from_slice(b"s: ");
            let count = 4 + rng.below(12);
            words(rng, msg, count);
        }
    }
}
