use super::*;
use crate::record::timestamp::Zone;

fn ns(format: TsFormat, line: &str) -> Option<Nanos> {
    TsParser::new(Some(format), ZoneClock::new(Zone::Utc)).parse(line.as_bytes())
}

fn rfc(s: &str) -> Nanos {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("reference")
        .timestamp_nanos_opt()
        .expect("in range")
}

#[test]
fn airflow2_text() {
    let text = TsFormat::airflow_text;
    assert_eq!(
        ns(
            text(),
            "[2024-12-20T10:00:00.123+0000] {file.py:12} INFO - msg"
        ),
        Some(rfc("2024-12-20T10:00:00.123Z"))
    );
    assert_eq!(
        ns(text(), "[2024-12-20T15:30:00.000+0530] {x.py:1} INFO - m"),
        Some(rfc("2024-12-20T10:00:00Z"))
    );
    assert_eq!(
        ns(text(), "[2022-01-18 17:01:49,252] {x.py:1} INFO - m"),
        Some(rfc("2022-01-18T17:01:49.252Z"))
    );
    assert_eq!(ns(text(), "[2022-01-18 17:01:49,252 no bracket"), None);
    assert_eq!(ns(text(), "  File \"x.py\", line 3"), None);
}

#[test]
fn airflow3_json() {
    let json = TsFormat::airflow_json;
    assert_eq!(
        ns(
            json(),
            r#"{"timestamp":"2025-06-01T10:00:00.104512Z","level":"info","event":"x"}"#
        ),
        Some(rfc("2025-06-01T10:00:00.104512Z"))
    );
    // Naive: UTC unless --tz says otherwise.
    assert_eq!(
        ns(
            json(),
            r#"{"event":"x", "timestamp" : "2025-06-01T10:00:00.5"}"#
        ),
        Some(rfc("2025-06-01T10:00:00.5Z"))
    );
    let mut berlin = TsParser::new(
        Some(json()),
        ZoneClock::new(Zone::parse("Europe/Berlin").expect("zone")),
    );
    assert_eq!(
        berlin.parse(br#"{"timestamp":"2025-06-01T10:00:00"}"#),
        Some(rfc("2025-06-01T08:00:00Z"))
    );
    assert_eq!(ns(json(), r#"{"timestamp":"soon"}"#), None);
    assert_eq!(ns(json(), "plain text"), None);
}

#[test]
fn offsets_after_a_space_and_zone_names_are_read() {
    let iso = TsFormat::iso;
    assert_eq!(
        ns(iso(), "2024-12-20 15:30:47.330 +0530 worker: x"),
        Some(rfc("2024-12-20T10:00:47.330Z"))
    );
    assert_eq!(
        ns(iso(), "2024-12-20 11:00:48 CET x"),
        Some(rfc("2024-12-20T10:00:48Z"))
    );
    assert_eq!(
        ns(iso(), "2024-12-20 03:00:49.5 PDT x"),
        Some(rfc("2024-12-20T10:00:49.5Z"))
    );
    // A level word is no zone: the reading stays naive.
    assert_eq!(
        ns(iso(), "2024-12-20 10:00:50,000 INFO x"),
        Some(rfc("2024-12-20T10:00:50Z"))
    );
    let ui = TsFormat::airflow_text;
    assert_eq!(
        ns(ui(), "[2024-12-20, 10:00:04 UTC] {x.py:1} INFO - m"),
        Some(rfc("2024-12-20T10:00:04Z"))
    );
    assert_eq!(
        ns(ui(), "[2024-12-20, 10:00:05] {x.py:1} INFO - m"),
        Some(rfc("2024-12-20T10:00:05Z"))
    );
    assert_eq!(
        ns(
            ui(),
            "[2024-12-20 10:00:10 +0000] [123] [INFO] Booting worker"
        ),
        Some(rfc("2024-12-20T10:00:10Z"))
    );
}

/// One line of each family and the time it carries, sniffed alone.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "airflow",
        "[2024-12-20T10:00:01.000+0000] {a.py:1} INFO - x",
        "2024-12-20T10:00:01Z",
    ),
    (
        "celery",
        "[2024-12-20 10:00:09,064: INFO/MainProcess] Task x",
        "2024-12-20T10:00:09.064Z",
    ),
    (
        "rfc5424",
        "<34>1 2024-12-20T10:00:33.123Z host app 12 ID47 - x",
        "2024-12-20T10:00:33.123Z",
    ),
    (
        "syslog",
        "Dec 20 10:00:32 host prog[1]: x",
        "2024-12-20T10:00:32Z",
    ),
    (
        "syslog pri",
        "<13>Dec 20 10:00:32 host prog[1]: x",
        "2024-12-20T10:00:32Z",
    ),
    (
        "klog",
        "I1220 10:00:17.120000       1 c.go:123] x",
        "2024-12-20T10:00:17.12Z",
    ),
    (
        "nginx",
        r#"1.2.3.4 - - [20/Dec/2024:10:00:28 +0000] "GET / HTTP/1.1" 200 5"#,
        "2024-12-20T10:00:28Z",
    ),
    (
        "alb",
        "https 2024-12-20T10:00:30.123456Z app/lb/1 1.2.3.4:5 -",
        "2024-12-20T10:00:30.123456Z",
    ),
    (
        "haproxy",
        "10.0.0.1:5678 [20/Dec/2024:10:00:34.123] fe be/s 0/0/1 200",
        "2024-12-20T10:00:34.123Z",
    ),
    (
        "logfmt",
        "time=2024-12-20T10:00:35Z level=info msg=x",
        "2024-12-20T10:00:35Z",
    ),
    (
        "logrus",
        r#"time="2024-12-20T10:00:37Z" level=error msg="x y""#,
        "2024-12-20T10:00:37Z",
    ),
    (
        "go",
        "2024/12/20 10:00:29 server started",
        "2024-12-20T10:00:29Z",
    ),
    (
        "spark",
        "24/12/20 10:00:44 INFO SparkContext: x",
        "2024-12-20T10:00:44Z",
    ),
    (
        "tomcat",
        "20-Dec-2024 10:00:49.123 INFO [main] x",
        "2024-12-20T10:00:49.123Z",
    ),
    (
        "ruby",
        "I, [2024-12-20T10:00:47.123456 #1234]  INFO -- : x",
        "2024-12-20T10:00:47.123456Z",
    ),
    (
        "redis",
        "1:M 20 Dec 2024 10:00:48.123 * Ready",
        "2024-12-20T10:00:48.123Z",
    ),
    (
        "dmesg",
        "[Fri Dec 20 10:00:46 2024] usb 1-1: x",
        "2024-12-20T10:00:46Z",
    ),
    (
        "cri",
        "2024-12-20T10:00:42.123456789Z stdout F x",
        "2024-12-20T10:00:42.123456789Z",
    ),
    (
        "kubectl",
        "[pod/web-1/nginx] 2024-12-20T10:00:38.5Z x",
        "2024-12-20T10:00:38.5Z",
    ),
    (
        "compose",
        "web-1  | 2024-12-20T10:00:39Z x",
        "2024-12-20T10:00:39Z",
    ),
    (
        "json time",
        r#"{"level":"info","time":"2024-12-20T10:00:40Z","msg":"x"}"#,
        "2024-12-20T10:00:40Z",
    ),
    (
        "pino",
        r#"{"level":30,"time":1734688841123,"msg":"x"}"#,
        "2024-12-20T10:00:41.123Z",
    ),
    (
        "zap",
        r#"{"level":"info","ts":1734688842.5,"msg":"x"}"#,
        "2024-12-20T10:00:42.5Z",
    ),
    (
        "journal",
        r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1734688843000000","MESSAGE":"x"}"#,
        "2024-12-20T10:00:43Z",
    ),
];

#[test]
fn each_family_is_sniffed_and_read() {
    for &(name, line, want) in FAMILIES {
        let format = sniff([line.as_bytes()])
            .unwrap_or_else(|| panic!("{name}: not sniffed"))
            .with_year(YearRule::Nearest(
                rfc("2024-12-20T00:00:00Z") / 1_000_000_000,
            ));
        assert_eq!(
            ns(format.clone(), line),
            Some(rfc(want)),
            "{name}: {}",
            format.describe()
        );
    }
}

#[test]
fn sniffing_picks_the_format_that_fits() {
    let airflow = [
        &b"[2024-12-20T10:00:00.123+0000] {a.py:1} INFO - x"[..],
        b"Traceback (most recent call last):",
    ];
    assert_eq!(sniff(airflow), Some(TsFormat::airflow_text()));
    let json = [&br#"{"timestamp":"2025-06-01T10:00:00Z","level":"info","event":"a"}"#[..]];
    assert_eq!(sniff(json), Some(TsFormat::airflow_json()));
    let python = [
        &b"2024-12-20 10:00:00,123 INFO x"[..],
        b"2024-12-20 10:00:01,000 INFO y",
    ];
    assert_eq!(sniff(python).map(|f| f.locate()), Some(Locate::Start));
    let prose = [
        &b"2024 was a good year"[..],
        b"12:30 lunch",
        b"20241220 batch",
    ];
    assert_eq!(sniff(prose), None);
}

#[test]
fn levels_are_sniffed_per_source() {
    let syntax = |lines: &[&str]| {
        sniff(lines.iter().map(|l| l.as_bytes()))
            .expect("sniffed")
            .levels()
    };
    assert_eq!(
        syntax(&["[2024-12-20T10:00:00.123+0000] {a.py:1} INFO - x"]),
        LevelSyntax::Airflow
    );
    assert_eq!(
        syntax(&["ts=2024-12-20T10:00:35Z level=warn msg=\"an ERROR\""]),
        LevelSyntax::Logfmt("level")
    );
    assert_eq!(
        syntax(&[r#"{"time":"2024-12-20T10:00:40Z","severity":"ERROR"}"#]),
        LevelSyntax::Json("severity")
    );
    assert_eq!(
        syntax(&["E1220 10:00:17.120000 1 c.go:1] x"]),
        LevelSyntax::Klog
    );
    let klog = sniff([&b"E1220 10:00:17.120000 1 c.go:1] x"[..]]).expect("klog");
    assert_eq!(
        klog.level(b"E1220 10:00:17.120000 1 c.go:1] x"),
        Level::Error
    );
    let nginx = sniff([&b"2024/12/20 10:00:29 [error] 1#0: *1 x"[..]]).expect("nginx");
    assert_eq!(
        nginx.level(b"2024/12/20 10:00:29 [error] 1#0: *1 x"),
        Level::Error
    );
}

#[test]
fn a_container_prefix_is_seen_through() {
    let lines = [
        &b"[pod/web-1/app] E1220 10:00:17.120000 1 c.go:1] boom"[..],
        b"[pod/web-1/app] I1220 10:00:18.000000 1 c.go:2] ok",
    ];
    let format = sniff(lines).expect("sniffed");
    assert_eq!(format.wrap(), Wrap::Kubectl);
    assert_eq!(format.level(lines[0]), Level::Error);
    let cri = sniff([&b"2024-12-20T10:00:42.1Z stderr F {\"level\":\"warn\"}"[..]]).expect("cri");
    assert_eq!(cri.locate(), Locate::Cri);
}
