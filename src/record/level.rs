//! Severity levels, read per source in the syntax its first lines use
//! (found by the same sniffing as the timestamps): Airflow's `} LEVEL - `,
//! a JSON key, logfmt's `level=`, klog's letter, syslog's priority, Redis's
//! mark, or a level word near the start.
//!
//! A record whose level cannot be read is `Unknown`, and a minimum level
//! never hides it: a line nobody can grade is no less important.

use super::format::{json, logfmt};

/// A record's severity. `Unknown` sorts lowest, but filters let it through
/// (see [`Level::passes`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    #[default]
    Unknown,
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    /// Upper-case name as logs print it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Unknown => "-",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }

    /// Whether a record of this level is shown at minimum level `min`: a
    /// record without a readable level always is.
    pub fn passes(self, min: Level) -> bool {
        self == Level::Unknown || self >= min
    }

    /// Parses a level word in any case (`warn`, `Warning`, `FATAL`, `SEVERE`, …).
    pub fn from_word(word: &[u8]) -> Option<Level> {
        if word.len() > 9 {
            return None;
        }
        let mut upper = [0u8; 9];
        for (u, c) in upper.iter_mut().zip(word) {
            *u = c.to_ascii_uppercase();
        }
        Some(match &upper[..word.len()] {
            b"DEBUG" | b"TRACE" | b"FINE" | b"FINER" | b"FINEST" | b"VERBOSE" | b"DBG" => {
                Level::Debug
            }
            // PostgreSQL's `LOG:` is "information of interest to
            // administrators", between INFO and WARNING in its own order.
            b"INFO" | b"NOTICE" | b"INF" | b"DEFAULT" | b"LOG" => Level::Info,
            b"WARN" | b"WARNING" | b"WRN" => Level::Warning,
            b"ERROR" | b"ERR" | b"EXCEPTION" | b"SEVERE" => Level::Error,
            b"CRITICAL" | b"FATAL" | b"CRIT" | b"ALERT" | b"EMERG" | b"EMERGENCY" | b"PANIC" => {
                Level::Critical
            }
            _ => return None,
        })
    }

    /// A syslog severity (0 emergency … 7 debug), as in `<PRI>` and
    /// journald's `PRIORITY`.
    pub fn from_syslog(severity: u32) -> Level {
        match severity {
            0..=2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warning,
            5 | 6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// pino's and bunyan's numbers: 10 trace, 20 debug, 30 info, 40 warn,
    /// 50 error, 60 fatal.
    pub fn from_pino(n: u32) -> Option<Level> {
        Some(match n {
            10 | 20 => Level::Debug,
            30 => Level::Info,
            40 => Level::Warning,
            50 => Level::Error,
            60 => Level::Critical,
            _ => return None,
        })
    }
}

/// Where a source's lines say their level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelSyntax {
    /// Airflow 2: `[ts] {file.py:12} LEVEL - msg`, else a level word.
    Airflow,
    /// A top-level JSON key: a word, a pino/bunyan number, or journald's
    /// syslog `PRIORITY`.
    Json(&'static str),
    /// logfmt's `level=`, `lvl=` or `severity=`.
    Logfmt(&'static str),
    /// klog/glog: the line's first letter (I, W, E, F).
    Klog,
    /// syslog's `<PRI>` at the start: its severity.
    SyslogPriority,
    /// Redis: `.` `-` `*` `#` after the time.
    Redis,
    /// The first level word near the start: upper case anywhere (`ERROR`,
    /// Celery's `INFO/MainProcess`), any case in brackets (nginx's
    /// `[error]`, Apache's `[core:warn]`).
    Words,
}

/// JSON keys a level is looked for under.
pub const JSON_KEYS: [&str; 8] = [
    "level",
    "severity",
    "log.level",
    "lvl",
    "levelname",
    "loglevel",
    "PRIORITY",
    // PostgreSQL's `jsonlog`.
    "error_severity",
];

/// logfmt keys a level is looked for under.
pub const LOGFMT_KEYS: [&str; 3] = ["level", "lvl", "severity"];

/// How far into a line a level word is looked for.
const LEVEL_WINDOW: usize = 160;

impl LevelSyntax {
    /// How the sources listing names it.
    pub fn describe(self) -> String {
        match self {
            LevelSyntax::Airflow => "Airflow's `} LEVEL -`".into(),
            LevelSyntax::Json(key) => format!("JSON \"{key}\""),
            LevelSyntax::Logfmt(key) => format!("logfmt {key}="),
            LevelSyntax::Klog => "klog's letter".into(),
            LevelSyntax::SyslogPriority => "syslog priority".into(),
            LevelSyntax::Redis => "Redis's mark".into(),
            LevelSyntax::Words => "level words".into(),
        }
    }

    /// The level of `line` (its content, after any container prefix;
    /// `after_time` is where its timestamp ended, when known), or `Unknown`.
    pub fn read(self, line: &[u8], after_time: usize) -> Level {
        self.try_read(line, after_time).unwrap_or_default()
    }

    fn try_read(self, line: &[u8], after_time: usize) -> Option<Level> {
        let level = self.strict(line, after_time);
        if self == LevelSyntax::Airflow && level.is_none() {
            // Airflow's own lines say it after the brace; what its tasks
            // print may say it elsewhere.
            return words(&line[..line.len().min(LEVEL_WINDOW)]);
        }
        level
    }

    /// The level as this syntax alone writes it (what sniffing counts).
    fn strict(self, line: &[u8], after_time: usize) -> Option<Level> {
        match self {
            LevelSyntax::Airflow => {
                let head = &line[..line.len().min(LEVEL_WINDOW)];
                memchr::memmem::find(head, b"} ")
                    .and_then(|brace| first_word(&head[brace + 2..]))
                    .and_then(Level::from_word)
            }
            LevelSyntax::Json(key) => match json::value_of(line, key)? {
                json::Value::Str(word) if key == "PRIORITY" => Some(Level::from_syslog(
                    std::str::from_utf8(word).ok()?.parse().ok()?,
                )),
                json::Value::Str(word) => match Level::from_word(word)? {
                    Level::Error if is_task_stderr(line) => stderr_level(line),
                    level => Some(level),
                },
                json::Value::Scalar(n) => {
                    let n: u32 = std::str::from_utf8(n).ok()?.parse().ok()?;
                    if key == "PRIORITY" {
                        Some(Level::from_syslog(n))
                    } else {
                        Level::from_pino(n)
                    }
                }
                json::Value::Nested(_) => None,
            },
            LevelSyntax::Logfmt(key) => {
                let head = &line[..line.len().min(640)];
                Level::from_word(logfmt::value_of(head, key)?)
            }
            LevelSyntax::Klog if !is_klog(line) => None,
            LevelSyntax::Klog => match line.first()? {
                b'I' => Some(Level::Info),
                b'W' => Some(Level::Warning),
                b'E' => Some(Level::Error),
                b'F' => Some(Level::Critical),
                _ => None,
            },
            LevelSyntax::SyslogPriority => {
                let rest = line.strip_prefix(b"<")?;
                let close = rest.iter().take(4).position(|&c| c == b'>')?;
                let pri: u32 = std::str::from_utf8(&rest[..close]).ok()?.parse().ok()?;
                Some(Level::from_syslog(pri & 7))
            }
            LevelSyntax::Redis => match line.get(after_time..)? {
                [b' ', mark, b' ', ..] => match mark {
                    b'.' | b'-' => Some(Level::Debug),
                    b'*' => Some(Level::Info),
                    b'#' => Some(Level::Warning),
                    _ => None,
                },
                _ => None,
            },
            LevelSyntax::Words => words(&line[..line.len().min(LEVEL_WINDOW)]),
        }
    }
}

/// Airflow 3 writes every line a task prints to stderr as a record at
/// `"level":"error"` under the logger `task.stderr`: progress bars,
/// warnings and tracebacks alike. Such a line is at the level its own text
/// names, if it names one (`WARNING: …`, `ERROR:root:…`, Python's
/// `…: UserWarning: …`, a traceback's lines), else of none: counted as
/// errors, they made the timeline and `]` all errors (issue 26). Every
/// grading of a level (`--level`, `L`, `]`, `--where level…`, the `=`
/// counts) reads it so, and the viewer's head of the line shows that grade
/// (`view::json`).
pub(crate) fn is_task_stderr(line: &[u8]) -> bool {
    matches!(
        json::value_of(line, "logger"),
        Some(json::Value::Str(b"task.stderr"))
    )
}

/// The level a `task.stderr` record's text names.
pub(crate) fn stderr_level(line: &[u8]) -> Option<Level> {
    match json::value_of(line, "event")? {
        json::Value::Str(text) => {
            let head = &text[..text.len().min(LEVEL_WINDOW)];
            words(head).or_else(|| python_stderr(head))
        }
        _ => None,
    }
}

/// What Python itself writes to stderr: a warning (`path.py:57:
/// UserWarning: …`, any `…Warning` category) or a traceback, which is an
/// error: its first line (also an exception group's), a frame's `  File
/// "…", line N`, the caret line under a frame's code (`    ^^^^~~~`), the
/// sentences that chain one exception to the next, and the exception's
/// `ValueError: …`, `pkg.mod.TimeoutException: …` or bare `KeyError` last
/// line. The code line under a frame could be anything's, and has no level.
fn python_stderr(text: &[u8]) -> Option<Level> {
    // `text` is the JSON string as written: a frame's quote is escaped.
    let frame = text.starts_with(b"  File \\\"") || text.starts_with(b"  File \"");
    let traceback = TRACEBACK_LINES
        .iter()
        .any(|line| text.trim_ascii_start().starts_with(line));
    let carets = text.starts_with(b"    ")
        && text.contains(&b'^')
        && text.iter().all(|c| matches!(c, b' ' | b'^' | b'~'));
    if frame || traceback || carets {
        return Some(Level::Error);
    }
    let is_name = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.');
    if !text.is_empty() && text.iter().all(is_name) {
        let class = text.rsplit(|&c| c == b'.').next().unwrap_or(text);
        let exception = [&b"Error"[..], b"Exception", b"Interrupt", b"Exit"]
            .iter()
            .any(|end| class.ends_with(end));
        if class.first().is_some_and(u8::is_ascii_uppercase) && exception {
            return Some(Level::Error);
        }
    }
    for colon in memchr::memmem::find_iter(text, b": ") {
        let from = text[..colon]
            .iter()
            .rposition(|c| !is_name(c))
            .map_or(0, |i| i + 1);
        let name = &text[from..colon];
        let class = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
        if !class.first().is_some_and(u8::is_ascii_uppercase) {
            continue;
        }
        if class.ends_with(b"Warning") {
            return Some(Level::Warning);
        }
        // An exception names the line it starts: `Error: …` further in is
        // prose.
        if from == 0 && (class.ends_with(b"Error") || class.ends_with(b"Exception")) {
            return Some(Level::Error);
        }
    }
    None
}

/// The lines of a traceback that are Python's own sentences (an exception
/// group's first line is indented under a `+`).
const TRACEBACK_LINES: [&[u8]; 4] = [
    b"Traceback (most recent call last)",
    b"+ Exception Group Traceback (most recent call last)",
    b"During handling of the above exception, another exception occurred",
    b"The above exception was the direct cause of the following exception",
];

/// The first level word: an upper-case one anywhere, or one of any case
/// alone in brackets (`[error]`, `[core:warn]`, `[INFO]`, structlog's
/// `[warning  ]`) or first with a colon (winston's `error: …`). Other
/// lower-case words are prose ("no error found"), not levels.
fn words(head: &[u8]) -> Option<Level> {
    let mut start = 0;
    let mut first = true;
    while start < head.len() {
        let len = head[start..]
            .iter()
            .position(|c| !c.is_ascii_alphabetic())
            .unwrap_or(head.len() - start);
        if len >= 3 {
            let word = &head[start..start + len];
            // structlog's console pads the level inside its brackets:
            // `[error    ]` (Airflow 3's scheduler, triggerer, api-server).
            let padding = head[start + len..]
                .iter()
                .take_while(|&&c| c == b' ')
                .count();
            let bracketed = start > 0
                && matches!(head[start - 1], b'[' | b':')
                && head.get(start + len + padding) == Some(&b']');
            // winston's `info:` and the like: the line's first word (after
            // its time: `T`, `Z` are too short to count) with a colon.
            let leading = first && head.get(start + len) == Some(&b':');
            first = false;
            if bracketed || leading || word.iter().all(u8::is_ascii_uppercase) {
                if let Some(level) = Level::from_word(word) {
                    return Some(level);
                }
            }
        }
        start += len + 1;
    }
    None
}

/// `I1220 ` and the like: a klog header, not a word that starts with I.
fn is_klog(line: &[u8]) -> bool {
    line.len() > 6 && line[1..5].iter().all(u8::is_ascii_digit) && line[5] == b' '
}

fn first_word(b: &[u8]) -> Option<&[u8]> {
    let end = b
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(b.len());
    (end > 0).then(|| &b[..end])
}

/// The syntax that reads a level on the most of `lines` (timestamped lines
/// of one source, after any container prefix, each with where its time
/// ended); `Words` when none reads any.
pub fn sniff_syntax<'a>(
    candidates: &[LevelSyntax],
    lines: impl IntoIterator<Item = (&'a [u8], usize)>,
) -> LevelSyntax {
    let lines: Vec<(&[u8], usize)> = lines.into_iter().collect();
    // Syntax by syntax, most specific first: one that can no longer beat the
    // best so far (ties go to the earlier) stops reading.
    let mut best: Option<(LevelSyntax, usize)> = None;
    for &syntax in candidates {
        let to_beat = best.map_or(0, |(_, hits)| hits);
        let mut hits = 0;
        for (i, &(line, after_time)) in lines.iter().enumerate() {
            if hits + (lines.len() - i) <= to_beat {
                break;
            }
            if syntax.strict(line, after_time).is_some() {
                hits += 1;
            }
        }
        if hits > to_beat {
            best = Some((syntax, hits));
        }
    }
    best.map_or(LevelSyntax::Words, |(syntax, _)| syntax)
}

/// Every level syntax, most specific first (ties go to the earlier).
pub fn all_syntaxes() -> Vec<LevelSyntax> {
    let mut all = vec![
        LevelSyntax::Airflow,
        LevelSyntax::Klog,
        LevelSyntax::SyslogPriority,
    ];
    all.extend(JSON_KEYS.iter().map(|&k| LevelSyntax::Json(k)));
    all.extend(LOGFMT_KEYS.iter().map(|&k| LevelSyntax::Logfmt(k)));
    all.push(LevelSyntax::Redis);
    all.push(LevelSyntax::Words);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_words_as_real_programs_write_them() {
        let words = |line: &str| LevelSyntax::Words.read(line.as_bytes(), 0);
        // Lines the programs named wrote on a test machine
        // (`tests/formats/real/`).
        for (line, level) in [
            // Airflow 3.3.2's scheduler and triggerer (structlog's console).
            (
                "2026-12-08T03:30:00.096132Z [error    ] stderr: batch 9 slow [task.stderr]",
                Level::Error,
            ),
            (
                "2026-12-08T03:29:41.019309Z [warning  ] ASGI app factory detected.",
                Level::Warning,
            ),
            (
                "2026-12-08T03:29:39.184450Z [info     ] Starting log server",
                Level::Info,
            ),
            // winston's text format.
            (
                "2026-12-08T03:29:09.779Z error: ECONNREFUSED 127.0.0.1:5432",
                Level::Error,
            ),
            (
                "2026-12-08T03:29:09.478Z warn: slow response 2300ms",
                Level::Warning,
            ),
            // PostgreSQL 15's stderr log.
            (
                "2026-12-08 03:31:35.281 UTC [21162] LOG:  starting PostgreSQL 15.18",
                Level::Info,
            ),
            (
                "2026-12-08 03:31:36.403 UTC [21197] ERROR:  relation \"nope\" does not exist",
                Level::Error,
            ),
            (
                "2026-12-08 03:31:36.403 UTC [21197] STATEMENT:  select * from nope",
                Level::Unknown,
            ),
            // Prose is still no level: only the first word with a colon.
            (
                "2026-12-08T03:29:09.982Z the error: went away",
                Level::Unknown,
            ),
            (
                "Dec  8 03:33:14 vm myapp: an error happened",
                Level::Unknown,
            ),
        ] {
            assert_eq!(words(line), level, "{line}");
        }
        let pg = r#"{"timestamp":"2026-12-08 03:31:36.403 UTC","pid":21197,"error_severity":"ERROR","message":"relation \"nope\" does not exist"}"#;
        assert_eq!(
            LevelSyntax::Json("error_severity").read(pg.as_bytes(), 0),
            Level::Error
        );
    }

    #[test]
    fn levels_in_each_syntax() {
        let read = |s: LevelSyntax, line: &str| s.read(line.as_bytes(), 0);
        assert_eq!(
            read(
                LevelSyntax::Airflow,
                "[2024-12-20T10:00:00.123+0000] {x.py:1} ERROR - boom"
            ),
            Level::Error
        );
        assert_eq!(
            read(
                LevelSyntax::Airflow,
                "[2024-12-20T10:00:00.123+0000] {x.py:1} INFO - no ERROR"
            ),
            Level::Info
        );
        assert_eq!(
            read(LevelSyntax::Json("level"), r#"{"level":"warn","msg":"x"}"#),
            Level::Warning
        );
        assert_eq!(
            read(LevelSyntax::Json("level"), r#"{"level":50,"time":1}"#),
            Level::Error
        );
        assert_eq!(
            read(
                LevelSyntax::Json("level"),
                r#"{"ctx":{"level":"error"},"msg":"x"}"#
            ),
            Level::Unknown,
            "nested keys are not the line's level"
        );
        // Airflow 3's stderr lines: at the level their text names, if any.
        let stderr = |event: &str| {
            format!(
                r#"{{"timestamp":"2026-12-07T04:09:05.591551Z","event":"{event}","level":"error","logger":"task.stderr"}}"#
            )
        };
        assert_eq!(
            read(
                LevelSyntax::Json("level"),
                &stderr("stderr: batch 104090 slow")
            ),
            Level::Unknown
        );
        assert_eq!(
            read(
                LevelSyntax::Json("level"),
                &stderr("WARNING: disk almost full")
            ),
            Level::Warning
        );
        assert_eq!(
            read(LevelSyntax::Json("level"), &stderr("ERROR:root:it failed")),
            Level::Error
        );
        // What Python writes there: warnings, and a traceback's lines.
        for (text, level) in [
            (
                "/opt/airflow/dags/lib/io.py:57: UserWarning: batch 3 has 2 rows with nulls",
                Level::Warning,
            ),
            ("x.py:1: DeprecationWarning: old", Level::Warning),
            ("Traceback (most recent call last):", Level::Error),
            (
                r#"  File \"/opt/airflow/dags/lib/io.py\", line 12, in fetch"#,
                Level::Error,
            ),
            (
                "ConnectionError: timeout after 30s (batch 68)",
                Level::Error,
            ),
            ("requests.exceptions.ReadTimeoutError: slow", Level::Error),
            ("    rows = client.get(batch, timeout=30)", Level::Unknown),
            ("             ^^^^^^^^^^^^^^^^^^^^^^^^^", Level::Error),
            ("    ~~~~~~~~~^^^^^^^^^", Level::Error),
            (
                "During handling of the above exception, another exception occurred:",
                Level::Error,
            ),
            (
                "The above exception was the direct cause of the following exception:",
                Level::Error,
            ),
            (
                "  + Exception Group Traceback (most recent call last):",
                Level::Error,
            ),
            ("KeyError", Level::Error),
            ("KeyboardInterrupt", Level::Error),
            ("airflow.exceptions.AirflowException", Level::Error),
            ("Progress", Level::Unknown),
            ("    ^ points here", Level::Unknown),
            ("stderr: batch 7 slow: NoError: none", Level::Unknown),
            ("progress 40%: ValueError: not at the start", Level::Unknown),
        ] {
            assert_eq!(
                read(LevelSyntax::Json("level"), &stderr(text)),
                level,
                "{text}"
            );
        }
        assert_eq!(
            read(
                LevelSyntax::Json("level"),
                r#"{"event":"batch 1 skipped","level":"error","logger":"task"}"#
            ),
            Level::Error,
            "a logged error stays one"
        );
        assert_eq!(
            read(LevelSyntax::Json("PRIORITY"), r#"{"PRIORITY":"3"}"#),
            Level::Error
        );
        assert_eq!(
            read(LevelSyntax::Json("log.level"), r#"{"log.level":"error"}"#),
            Level::Error
        );
        assert_eq!(
            read(LevelSyntax::Logfmt("level"), "ts=1 level=error msg=x"),
            Level::Error
        );
        assert_eq!(
            read(LevelSyntax::Klog, "E1220 10:00:17.120000 1 c.go:1] x"),
            Level::Error
        );
        assert_eq!(
            read(LevelSyntax::SyslogPriority, "<11>Dec 20 10:00:00 h p: x"),
            Level::Error
        );
        assert_eq!(
            read(
                LevelSyntax::Words,
                "2024/12/20 10:00:29 [error] 12#0: *1 open()"
            ),
            Level::Error
        );
        assert_eq!(
            read(
                LevelSyntax::Words,
                "[Fri Dec 20 10:00:50 2024] [core:warn] [pid 1] x"
            ),
            Level::Warning
        );
        assert_eq!(
            read(
                LevelSyntax::Words,
                "[2024-12-20 10:00:09,064: WARNING/MainProcess] x"
            ),
            Level::Warning
        );
        assert_eq!(
            read(LevelSyntax::Words, "2024-12-20 10:00:00 no error found"),
            Level::Unknown
        );
        assert_eq!(
            LevelSyntax::Redis.read(b"1:M 20 Dec 2024 10:00:48.123 # oom", 28),
            Level::Warning
        );
    }

    #[test]
    fn unknown_levels_pass_every_minimum() {
        assert!(Level::Unknown.passes(Level::Critical));
        assert!(Level::Error.passes(Level::Warning));
        assert!(!Level::Info.passes(Level::Warning));
    }

    #[test]
    fn the_syntax_most_lines_use_is_picked() {
        let lines = [
            (&b"ts=1 level=info msg=\"an ERROR was seen\""[..], 0),
            (b"ts=2 level=warn msg=x", 0),
        ];
        assert_eq!(
            sniff_syntax(&all_syntaxes(), lines),
            LevelSyntax::Logfmt("level")
        );
        let plain = [(&b"2024-12-20 10:00:00 started"[..], 19)];
        assert_eq!(sniff_syntax(&all_syntaxes(), plain), LevelSyntax::Words);
    }
}
