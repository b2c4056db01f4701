//! The corpus in `tests/formats/`: a file per log family, written from each
//! format's documentation (`tests/formats/SOURCES.md` says which), each
//! merged with an Airflow 2 log (`airflow.log`) whose records interleave
//! with its own. The first line of every record says its true UTC time
//! (`true=10:00:03.250`, all on 2024-12-20): the families write at seconds
//! 1, 3, 5 and 7, the Airflow log at 0, 2, 4, 6 and 8.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use logweave::record::format::rules::parse_ts_format;
use logweave::record::format::{YearEvidence, YearGuess, YearRule};
use logweave::record::{Level, RecordLayout, TimeOptions};
use logweave::source::{FileSource, Source};

/// A family's file, what the sniffing must call its format, the levels of
/// its four records (I, W, E, C, D; `-` for none), and the flags it needs.
const FAMILIES: &[(&str, &str, &str, &[&str])] = &[
    ("syslog-rfc3164.log", "RFC 3164", "----", &[]),
    ("syslog-rfc3164-pri.log", "RFC 3164", "IEWI", &[]),
    ("syslog-rfc5424.log", "RFC 5424", "CIEI", &[]),
    ("journalctl-short.log", "journalctl", "----", &[]),
    ("journalctl-short-precise.log", "journalctl", "----", &[]),
    (
        "journalctl.json",
        "JSON \"__REALTIME_TIMESTAMP\"",
        "IWEI",
        &[],
    ),
    ("klog.log", "klog", "IWEI", &[]),
    ("nginx-access.log", "access log", "----", &[]),
    ("apache-access.log", "access log", "----", &[]),
    ("ingress-nginx.log", "access log", "----", &[]),
    ("aws-alb.log", "after the first field", "----", &[]),
    ("aws-s3-access.log", "access log", "----", &[]),
    ("haproxy.log", "access log", "----", &[]),
    ("haproxy-syslog.log", "access log", "----", &[]),
    ("json-time-bunyan.log", "JSON \"time\"", "IWEI", &[]),
    ("json-ts-zap.log", "JSON \"ts\"", "IWEI", &[]),
    ("json-pino.log", "JSON \"time\"", "IWEI", &[]),
    ("json-at-timestamp.log", "JSON \"@timestamp\"", "IWEI", &[]),
    ("json-asctime.log", "JSON \"asctime\"", "IWEI", &[]),
    ("json-epoch-ns.log", "JSON \"ts\"", "IIII", &[]),
    ("json-nested-timestamp.log", "JSON \"time\"", "IIII", &[]),
    ("docker-json-file.log", "JSON \"time\"", "----", &[]),
    ("gcp-entries.log", "JSON \"timestamp\"", "IWEI", &[]),
    ("gcp-seconds-nanos.log", "JSON \"timestamp\"", "IIII", &[]),
    ("celery.log", "[ISO 8601]", "IWEI", &[]),
    ("gunicorn.log", "[ISO 8601]", "IWEI", &[]),
    ("airflow2-ui-copy.log", "[ISO 8601]", "IWEI", &[]),
    ("airflow3-ui-copy.log", "[ISO 8601]", "IWEI", &[]),
    ("logfmt.log", "logfmt time=", "IWED", &[]),
    ("logfmt-go-kit.log", "logfmt ts=", "IWEI", &[]),
    ("logfmt-logrus.log", "logfmt time=", "IWEI", &[]),
    ("go-log.log", "2024/12/20", "----", &[]),
    ("nginx-error.log", "2024/12/20", "IWEC", &[]),
    ("spark-log4j1.log", "24/12/20", "IWEI", &[]),
    ("tomcat.log", "Tomcat", "IWEI", &[]),
    ("ruby-logger.log", "after the first field", "IWEI", &[]),
    ("redis.log", "Redis", "IWID", &[]),
    ("dmesg-T.log", "dmesg", "----", &[]),
    ("apache-error.log", "Apache error log", "IWEI", &[]),
    (
        "kubectl-prefix.log",
        "kubectl --prefix, ISO 8601",
        "IIII",
        &[],
    ),
    (
        "kubectl-prefix-klog.log",
        "kubectl --prefix, klog",
        "IWEI",
        &[],
    ),
    (
        "docker-compose.log",
        "docker compose, ISO 8601",
        "----",
        &[],
    ),
    ("cri.log", "CRI", "--E-", &[]),
    ("offset-after-space.log", "ISO 8601", "----", &[]),
    ("zone-names.log", "ISO 8601", "----", &[]),
    ("python-logging.log", "ISO 8601", "IWEI", &[]),
    (
        "epoch-ms.txt",
        "pattern '%s'",
        "----",
        &["--ts-format", "epoch-ms.txt=%s"],
    ),
    (
        "custom-mid-line.txt",
        "pattern",
        "----",
        &["--ts-format", "custom-*.txt=%d.%m.%Y %Hh%Mm%Ss"],
    ),
];

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/formats")
        .join(name)
}

/// UTC nanoseconds of the `true=HH:MM:SS.mmm` marker in `text`, if any.
fn marker(text: &str) -> Option<i64> {
    let at = text.find("true=")? + 5;
    let t = text.get(at..at + 12)?;
    let parsed =
        chrono::NaiveDateTime::parse_from_str(&format!("2024-12-20 {t}"), "%Y-%m-%d %H:%M:%S%.3f")
            .ok()?;
    parsed.and_utc().timestamp_nanos_opt()
}

fn level_letter(level: Level) -> char {
    match level {
        Level::Unknown => '-',
        Level::Debug => 'D',
        Level::Info => 'I',
        Level::Warning => 'W',
        Level::Error => 'E',
        Level::Critical => 'C',
    }
}

/// The options a family is read with: the year of year-less dates from
/// the Airflow log beside it (as `logweave` finds it), and its flags.
fn time_options(name: &str, flags: &[&str]) -> TimeOptions {
    let airflow = chrono::DateTime::parse_from_rfc3339("2024-12-20T10:00:04Z")
        .expect("reference")
        .timestamp();
    let rules = flags
        .chunks(2)
        .map(|pair| parse_ts_format(pair[1]).expect("a valid pattern"))
        .collect::<Vec<_>>();
    TimeOptions {
        rules: rules.into(),
        year: YearGuess {
            rule: YearRule::Nearest(airflow),
            evidence: YearEvidence::OtherSources,
        },
        ..TimeOptions::default()
    }
    .for_source(Path::new(name))
}

#[test]
fn every_family_is_read_at_its_true_times_with_its_levels() {
    for &(name, called, levels, flags) in FAMILIES {
        let path = corpus(name);
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let source: Arc<dyn Source> = Arc::new(FileSource::open(&path).expect("open"));
        let layout = RecordLayout::open(source, &time_options(name, flags), true).expect("layout");
        let described = layout.describe();
        assert!(
            described.contains(called),
            "{name}: sniffed as {described}, not {called}"
        );
        let mut reader = layout.file_reader(4096);
        let mut at = 0;
        let mut seen = String::new();
        while let Some(record) = reader.record_at(at).expect("read") {
            let first_line = text[record.start as usize..record.end as usize]
                .lines()
                .next()
                .unwrap_or("");
            if let Some(want) = marker(first_line) {
                // The marker says milliseconds; finer digits are the format's.
                let ms = record.ts.map(|t| t - t.rem_euclid(1_000_000));
                assert_eq!(ms, Some(want), "{name}: {first_line}");
                seen.push(level_letter(record.level));
            }
            at = record.end;
        }
        let markers = text.lines().filter(|l| marker(l).is_some()).count();
        assert_eq!(
            seen.len(),
            markers,
            "{name}: every marked line starts a record"
        );
        assert_eq!(seen, levels, "{name}: levels ({described})");
    }
}

fn logweave(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logweave"))
        .env("TZ", "UTC")
        .args(args)
        .args(files)
        .output()
        .expect("spawn logweave")
}

#[test]
fn every_family_merges_with_an_airflow_log_in_time_order() {
    for &(name, _, _, flags) in FAMILIES {
        let mut args = vec!["--print"];
        args.extend_from_slice(flags);
        let out = logweave(&args, &[corpus("airflow.log"), corpus(name)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
        assert!(!stderr.contains("no timestamps"), "{name}: {stderr}");
        let printed = String::from_utf8_lossy(&out.stdout);
        let times: Vec<i64> = printed.lines().filter_map(marker).collect();
        assert_eq!(
            times.len(),
            9,
            "{name}: every record printed once\n{printed}"
        );
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "{name}: merged in time order\n{printed}");
    }
}

/// What real programs wrote (`tests/formats/real/`), each with a mark
/// its error lines carry, a mark its lines below WARNING carry, and a mark
/// of lines with no level (kept by every minimum).
const REAL: &[(&str, &str, &str, &str)] = &[
    // ` - ` after the time was read as Redis's debug mark: every record
    // DEBUG, and `--level INFO` printed nothing.
    ("py-cookbook.log", " - ERROR - ", " - INFO - ", "Traceback"),
    ("pip.log", " ERROR: ", "\u{0}", " * https://"),
    // (Their banner goes with the first record, which then has no level.)
    (
        "airflow3-scheduler.log",
        "[error    ]",
        "[info     ] Started",
        "____",
    ),
    (
        "airflow3-triggerer.log",
        "\u{0}",
        "[info     ] Started",
        "____",
    ),
    ("winston-text.log", " error: ", " info: ", "    at "),
    ("postgresql.log", "] ERROR: ", "] LOG: ", "] STATEMENT: "),
    (
        "postgresql.json",
        r#""error_severity":"ERROR""#,
        r#""error_severity":"LOG""#,
        "\u{0}",
    ),
    // The lines before the first timestamp go with the first record, which
    // then has no level (it had the INFO of its timed line, and `--level
    // ERROR` hid them).
    (
        "airflow2-prepare.log",
        "\u{0}",
        "autogenerate.tables",
        "FutureWarning",
    ),
];

#[test]
fn real_programs_logs_keep_their_errors_and_lines_without_a_level_at_level_error() {
    for &(name, error, below, no_level) in REAL {
        let path = corpus(&format!("real/{name}"));
        let file = std::fs::read_to_string(&path).expect("sample");
        let out = logweave(&["--print", "--level", "ERROR"], &[path]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shown = String::from_utf8_lossy(&out.stdout).into_owned();
        let lines =
            |mark: &str| -> Vec<&str> { file.lines().filter(|l| l.contains(mark)).collect() };
        for line in lines(error).into_iter().chain(lines(no_level)) {
            assert!(shown.lines().any(|s| s == line), "{name}: {line} hidden");
        }
        assert!(
            !shown.lines().any(|s| s.contains(below)),
            "{name}: a line below ERROR shown:\n{shown}"
        );
        let checked = lines(error).len() + lines(below).len() + lines(no_level).len();
        assert!(checked > 1, "{name}: marks that find nothing");
    }
}

#[test]
fn a_year_less_family_says_where_its_year_came_from() {
    let out = logweave(
        &["--print"],
        &[corpus("airflow.log"), corpus("syslog-rfc3164.log")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("syslog-rfc3164.log: its timestamps have no year: read as 2024 from the other sources' times"),
        "{stderr}"
    );
    // Alone, the file's modification time is the evidence.
    let out = logweave(&["--print"], &[corpus("klog.log")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("from the file's modification time"),
        "{stderr}"
    );
}

#[test]
fn the_lines_before_the_first_timestamp_are_a_record_of_their_own() {
    // A banner, then the records: a filter on one leaves the other (the
    // banner went with the first record: `--grep-v banner` lost "first
    // info", and `--level ERROR` kept it).
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("pre.log");
    std::fs::write(
        &log,
        "banner line\n\
         2026-12-08 03:00:00,001 - app - INFO - first info\n\
         2026-12-08 03:00:01,001 - app - INFO - second info\n\
         2026-12-08 03:00:02,001 - app - ERROR - an error\n",
    )
    .expect("write");
    let print = |args: &[&str]| {
        let out = logweave(args, std::slice::from_ref(&log));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        print(&["--print", "--grep-v", "banner"]),
        "2026-12-08 03:00:00,001 - app - INFO - first info\n\
         2026-12-08 03:00:01,001 - app - INFO - second info\n\
         2026-12-08 03:00:02,001 - app - ERROR - an error\n"
    );
    assert_eq!(
        print(&["--print", "--level", "ERROR"]),
        "banner line\n2026-12-08 03:00:02,001 - app - ERROR - an error\n"
    );
    assert_eq!(
        print(&["--print", "--grep-v", "first info"]),
        "banner line\n\
         2026-12-08 03:00:01,001 - app - INFO - second info\n\
         2026-12-08 03:00:02,001 - app - ERROR - an error\n"
    );
}

#[test]
fn a_year_less_log_written_up_to_its_modification_time_keeps_that_year_beside_older_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // rsyslog's traditional format, written today, beside a dpkg.log whose
    // records run from June of the year before to September.
    let syslog = dir.path().join("syslog");
    std::fs::write(
        &syslog,
        "Dec  8 03:33:14 vm myapp: started\nDec  8 03:33:15 vm myapp: done\n",
    )
    .expect("write");
    let dpkg = dir.path().join("dpkg.log");
    std::fs::write(
        &dpkg,
        "2025-06-24 10:00:00 status installed a:amd64 1\n2026-09-22 04:47:20 status installed b:amd64 2\n",
    )
    .expect("write");
    let modified = |iso: &str| {
        let at = chrono::DateTime::parse_from_rfc3339(iso).expect("time");
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(at.timestamp() as u64);
        let file = std::fs::File::options()
            .write(true)
            .open(&syslog)
            .expect("open");
        file.set_times(std::fs::FileTimes::new().set_modified(at))
            .expect("set mtime");
    };
    modified("2026-12-08T03:33:16Z");
    let out = logweave(
        &["--print", "--since", "2026-12-01"],
        &[dpkg.clone(), syslog.clone()],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("read as 2026 from the file's modification time"),
        "{said}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Dec  8 03:33:14 vm myapp: started\nDec  8 03:33:15 vm myapp: done\n"
    );
    // Modified long after its last record (a copy made later): the other
    // sources' times say the year.
    modified("2027-09-01T00:00:00Z");
    let out = logweave(&["--print"], &[dpkg, syslog]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("read as 2025 from the other sources' times"),
        "{said}"
    );
}

#[test]
fn a_minimum_level_never_hides_a_record_without_one() {
    // Plain timestamped lines: no level to read, so every one stays.
    let out = logweave(
        &["--print", "--level", "WARNING"],
        &[corpus("offset-after-space.log")],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
    // logfmt levels are read: only warn and error stay.
    let out = logweave(&["--print", "--level", "WARNING"], &[corpus("logfmt.log")]);
    let printed = String::from_utf8_lossy(&out.stdout);
    let levels: Vec<&str> = printed
        .lines()
        .filter_map(|l| l.split(' ').find(|w| w.starts_with("level=")))
        .collect();
    assert_eq!(levels, ["level=warn", "level=error"], "{printed}");
    // --level DEBUG keeps everything of a source with no levels, too.
    let out = logweave(&["--print", "--level", "DEBUG"], &[corpus("go-log.log")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

#[test]
fn a_source_without_timestamps_is_said_and_a_late_timed_one_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let untimed = dir.path().join("pod.log");
    std::fs::write(&untimed, "starting\nready\nserving\n").expect("write");
    // 3,000 lines of banner before the first timestamp: past the first
    // look (400 lines), within the second (10,000).
    let late = dir.path().join("late.log");
    let mut text = "banner line without a time\n".repeat(3000);
    text.push_str("2024-12-20 10:00:01,000 INFO late but timed true=10:00:01.000\n");
    std::fs::write(&late, text).expect("write");
    let out = logweave(&["--print"], &[corpus("airflow.log"), untimed, late]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pod.log: no timestamps found in the first 3 lines; shown first, unmerged"),
        "{stderr}"
    );
    assert!(stderr.contains("--ts-format 'pod.log="), "{stderr}");
    assert!(!stderr.contains("late.log"), "{stderr}");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.starts_with("starting\nready\nserving\n"),
        "shown first"
    );
    let times: Vec<i64> = printed.lines().filter_map(marker).collect();
    assert_eq!(times.len(), 6);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{printed}");
}

#[test]
fn the_tip_for_a_source_without_timestamps_offers_a_format_that_reads_its_first_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let compact = dir.path().join("ts.log");
    std::fs::write(
        &compact,
        "20241220 100001 INFO compact\n20241220 100002 INFO two\n",
    )
    .expect("write");
    let out = logweave(&["--print"], std::slice::from_ref(&compact));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "tip: its first line reads '20241220 100001 INFO compact': give its format as a \
             strftime pattern, such as --ts-format 'ts.log=%Y%m%d %H%M%S'"
        ),
        "{stderr}"
    );
    // A file whose lines carry no date is not offered a pattern that reads
    // nothing (following the tip led to "no line matches").
    let plain = dir.path().join("plain.log");
    std::fs::write(
        &plain,
        "DEBUG:app.worker:starting up\nINFO:app.worker:connected\n",
    )
    .expect("write");
    let out = logweave(&["--print"], std::slice::from_ref(&plain));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds no date and time of a shape logweave knows")
            && !stderr.contains("such as --ts-format"),
        "{stderr}"
    );
    // And the pattern offered reads it.
    let out = logweave(
        &["--print", "--ts-format", "ts.log=%Y%m%d %H%M%S"],
        &[compact],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("no timestamps"), "{stderr}");
    assert!(!stderr.contains("no line matches"), "{stderr}");
}

#[test]
fn a_bad_timestamp_format_is_an_error_that_names_it() {
    for (flag, said) in [
        ("", "timestamp format '' is empty"),
        ("pod*.log=", "timestamp format '' is empty"),
        ("%Q", "'%Q' is not a valid strftime pattern"),
        ("%H:%M:%S", "'%H:%M:%S' does not give a full date and time"),
    ] {
        let out = logweave(&["--print", "--ts-format", flag], &[corpus("airflow.log")]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{flag}: {stderr}");
    }
}

#[test]
fn a_format_and_a_zone_for_one_source_leave_the_others_sniffed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Naive times in New York (UTC-5 in December), in a shape nothing sniffs.
    let odd = dir.path().join("odd-1.log");
    std::fs::write(
        &odd,
        "20.12.2024 05:00:01 odd true=10:00:01.000\n20.12.2024 05:00:05 odd true=10:00:05.000\n",
    )
    .expect("write");
    let out = logweave(
        &[
            "--print",
            "--ts-format",
            "odd-*.log=%d.%m.%Y %H:%M:%S",
            "--tz",
            "odd-*.log=America/New_York",
        ],
        &[corpus("airflow.log"), odd.clone()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let times: Vec<i64> = printed.lines().filter_map(marker).collect();
    assert_eq!(times.len(), 7, "{printed}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{printed}");
    // The same through a [[format]] entry in the config file.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[format]]\nglob = \"odd-*.log\"\npattern = \"%d.%m.%Y %H:%M:%S\"\ntz = \"America/New_York\"\n",
    )
    .expect("write");
    let out = logweave(
        &["--print", "--config", config.to_str().expect("utf-8")],
        &[corpus("airflow.log"), odd],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), printed);
}

#[test]
fn the_parts_of_a_cri_partial_line_are_one_record() {
    // A hit on the last part prints the whole logical line, and the merge
    // never puts another source's record between its parts.
    let out = logweave(
        &["--print", "--grep", "the last part"],
        &[corpus("airflow.log"), corpus("cri.log")],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2024-12-20T10:00:03.700000000Z stdout P a line longer than 16 KiB arrives in parts true=10:00:03.700, \n\
         2024-12-20T10:00:03.700010000Z stdout P a middle part, \n\
         2024-12-20T10:00:03.700020000Z stdout F the last part\n"
    );
}

/// Excerpts of lnav's own test logs (`tests/formats/lnav/README.md`): the
/// format each is sniffed as, and the times and levels of its records.
#[test]
fn real_world_lines_from_lnavs_tests_are_read() {
    let cases: &[(&str, &str, i32, &[&str], &str)] = &[
        (
            "glog.log",
            "klog",
            2024,
            &[
                "2024-05-17T15:04:22.619632Z",
                "2024-05-17T15:04:22.619642Z",
                "2024-05-17T15:04:22.619740Z",
                "2024-05-17T15:04:22.619751Z",
            ],
            "EIIW",
        ),
        (
            "haproxy.log",
            "RFC 3164",
            2019,
            &[
                "2019-02-25T16:19:38Z",
                "2019-02-25T16:19:38Z",
                "2019-02-25T16:20:12Z",
            ],
            "---",
        ),
        (
            "with_zones.log",
            "ISO 8601",
            2022,
            &[
                "2022-08-27T14:22:01.613Z",
                "2022-08-27T14:22:01.694554Z",
                "2022-08-27T14:22:01.888Z",
            ],
            "I-I",
        ),
        (
            "docker_compose_with_ts.log",
            "docker compose, ISO 8601",
            2024,
            &[
                "2024-04-25T05:32:35.584725130Z",
                "2024-04-25T05:32:35.600215839Z",
                "2024-04-25T05:32:35.019607672Z",
                "2024-04-25T05:32:35.023599380Z",
            ],
            "-W--",
        ),
        (
            "logfmt.log",
            "logfmt time=",
            2021,
            &[
                "2021-09-15T21:17:10.220731Z",
                "2021-09-15T21:17:11.674149Z",
                "2021-09-15T21:17:11.678991Z",
            ],
            "EWI",
        ),
        (
            "pino.log",
            "JSON \"time\"",
            2025,
            &["2025-04-24T22:08:37.537Z"],
            "I",
        ),
        (
            "access_log.log",
            "access log",
            2009,
            &["2009-07-20T22:59:26Z", "2009-07-20T22:59:29Z"],
            "--",
        ),
        (
            "syslog.log",
            "RFC 3164",
            2024,
            &[
                "2024-11-03T09:23:38Z",
                "2024-11-03T09:23:38Z",
                "2024-11-03T09:47:02Z",
            ],
            "---",
        ),
    ];
    for &(name, called, year, times, levels) in cases {
        let path = corpus("lnav").join(name);
        let reference = chrono::NaiveDate::from_ymd_opt(year, 6, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a date")
            .and_utc()
            .timestamp();
        let time = TimeOptions {
            year: YearGuess {
                rule: YearRule::Nearest(reference),
                evidence: YearEvidence::OtherSources,
            },
            ..TimeOptions::default()
        };
        let source: Arc<dyn Source> = Arc::new(FileSource::open(&path).expect("open"));
        let layout = RecordLayout::open(source, &time, true).expect("layout");
        assert!(
            layout.describe().contains(called),
            "{name}: {}",
            layout.describe()
        );
        let mut reader = layout.file_reader(4096);
        let (mut at, mut read, mut seen) = (0, Vec::new(), String::new());
        while let Some(record) = reader.record_at(at).expect("read") {
            read.push(record.ts);
            seen.push(level_letter(record.level));
            at = record.end;
        }
        let want: Vec<Option<i64>> = times
            .iter()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .ok()
                    .and_then(|t| t.timestamp_nanos_opt())
            })
            .collect();
        assert_eq!(read, want, "{name}");
        assert_eq!(seen, levels, "{name}");
    }
}

#[test]
fn print_follow_says_a_source_without_timestamps_too() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let untimed = dir.path().join("pod.log");
    std::fs::write(&untimed, "starting\nready\n").expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f"])
        .arg(&untimed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (said, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("pod.log: no timestamps found"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.iter()
            .any(|l| l.contains("pod.log: no timestamps found in the first 2 lines")),
        "{seen:?}"
    );
}
