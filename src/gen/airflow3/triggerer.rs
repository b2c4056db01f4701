//! The triggerer's sub-log: records it writes itself, in time order, on
//! the worker's clock.

use super::super::fmt::push_num;
use super::super::rng::Rng;
use super::records::{self, Exception, Ids, Records};

/// A record of the triggerer's sub-log at `us` (its own clock, in order).
pub fn trigger_record(
    records: &mut Records,
    rng: &mut Rng,
    out: &mut Vec<u8>,
    us: i64,
    n: u64,
    long: bool,
) {
    let trigger = Some(records::S3_TRIGGER_LOGGER);
    let hook = Some(records::S3_HOOK_LOGGER);
    let level = if rng.chance(20) { "warning" } else { "info" };
    let mut msg = Vec::with_capacity(200);
    if long {
        msg.extend_from_slice(b"trigger kwargs: ");
        let size = 10_000 + rng.below(40_000) as usize;
        while msg.len() < size {
            msg.extend_from_slice(b"'bucket_key': 's3://landing/incoming/file-");
            push_num(&mut msg, rng.below(1_000_000));
            msg.extend_from_slice(b".csv', ");
        }
        records.airflow(
            out,
            us,
            level,
            &msg,
            b"",
            Ids::Trigger,
            trigger,
            ("s3.py", 64),
            &[],
        );
        return;
    }
    match rng.below(1000) {
        0..=39 => {
            let chain = [Exception {
                exc_type: "ConnectionError",
                exc_value: b"timeout after 30s",
                is_cause: false,
                frames: &[
                    ("/usr/local/lib/python3.12/site-packages/airflow/providers/amazon/aws/triggers/s3.py", 102, "run"),
                    ("/usr/local/lib/python3.12/site-packages/airflow/providers/amazon/aws/hooks/s3.py", 117, "check_key_async"),
                ],
            }];
            let site = ("triggerer_job_runner.py", 600);
            records.airflow(
                out,
                us,
                "error",
                b"Trigger failed; will retry",
                b"",
                Ids::Trigger,
                None,
                site,
                &chain,
            );
        }
        40..=49 => {
            let extra = b",\"name\":\"etl_daily/scheduled__2024-12-19T00:00:00+00:00/extract/-1/1 (ID 42)\",\"result\":\"TriggerEvent<{'status': 'running', 'files': 1}>\"";
            let site = ("triggerer_job_runner.py", 1629);
            records.airflow(
                out,
                us,
                "info",
                b"Trigger fired event",
                extra,
                Ids::Trigger,
                None,
                site,
                &[],
            );
        }
        50..=379 => {
            let event = b"trigger etl_daily/scheduled__2024-12-19T00:00:00+00:00/extract/-1/1 (ID 42) starting";
            let site = ("triggerer_job_runner.py", 1591);
            records.airflow(out, us, level, event, b"", Ids::Trigger, None, site, &[]);
        }
        380..=699 => {
            msg.extend_from_slice(b"Poking for key : s3://landing/incoming/file-");
            push_num(&mut msg, n % 1000);
            msg.extend_from_slice(b".csv");
            records.airflow(
                out,
                us,
                level,
                &msg,
                b"",
                Ids::Trigger,
                hook,
                ("s3.py", 117),
                &[],
            );
        }
        _ => {
            msg.extend_from_slice(b"Sleeping for 5.0 seconds; triggers running: ");
            push_num(&mut msg, 1 + rng.below(20));
            records.airflow(
                out,
                us,
                level,
                &msg,
                b"",
                Ids::Trigger,
                trigger,
                ("s3.py", 72),
                &[],
            );
        }
    }
}
