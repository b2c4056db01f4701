//! Per-source timestamp formats: what wraps a line (a container's prefix),
//! where its time is, how the time is written, and how its level is.
//! Sniffed per source from its first lines (`sniff`), or given by the user
//! (`--ts-format`, `[[format]]`: `rules`).
//!
//! The common shapes are read by hand-written parsers (`timestamp` for ISO
//! 8601, `text` for the others, `json`, `logfmt`); only a user's pattern
//! goes through chrono. A format is cheap to clone: enums, `&'static str`
//! keys, and an `Arc` for a user's pattern.

pub mod json;
pub mod logfmt;
pub mod pattern;
pub mod rules;
mod sniff;
pub mod text;
pub mod year;
pub mod zones;

use std::io;
use std::sync::Arc;

use super::level::{Level, LevelSyntax};
use super::split::{BlockReader, Line};
use super::timestamp::{
    parse_iso_prefix, parse_iso_prefix_cached, MinuteCache, Nanos, WallTime, ZoneClock,
};
pub use pattern::Pattern;
pub use sniff::{first_timed_line, sniff};
use text::Reading;
pub use year::{YearEvidence, YearGuess, YearRule};

/// What wraps each line of a source: a container runtime's or tool's prefix
/// before the program's own line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    None,
    /// `kubectl logs --prefix`: `[pod/web-7d9c/nginx] …`.
    Kubectl,
    /// `docker compose logs`: `web-1  | …`.
    Compose,
}

/// Where in a line (after its wrap) the time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locate {
    /// At the start.
    Start,
    /// After `[` at the start, closed by `]` (Airflow 2, gunicorn, the
    /// Airflow UI, dmesg) or `:` (Celery).
    Bracket,
    /// After syslog's `<PRI>` when there is one (RFC 3164).
    Priority,
    /// After RFC 5424's `<PRI>VERSION `.
    Rfc5424,
    /// After the first field and its spaces, optionally in `[` (ALB's
    /// `https 2024-…`, Ruby's `I, [2024-…`, Redis's `1:M 20 Dec 2024 …`).
    AfterField,
    /// The CRI log format (containerd, CRI-O): at the start, followed by the
    /// stream and `P` (partial) or `F` (full).
    Cri,
    /// In the first `[…]` that holds it (access logs: the client, user and
    /// bucket fields before it vary in length).
    FirstBracket,
    /// The value of a top-level JSON key.
    Json(&'static str),
    /// The value of a logfmt key.
    Logfmt(&'static str),
}

/// How the time is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// ISO 8601 / RFC 3339 / Python logging, with an offset, a zone's name or
    /// none.
    Iso,
    /// `20/Dec/2024:10:00:28 +0000`.
    Clf,
    /// `Dec 20 10:00:32` (no year).
    Syslog,
    /// `Fri Dec 20 10:00:46 2024`.
    Ctime,
    /// `2024/12/20 10:00:29`.
    Slash,
    /// `24/12/20 10:00:44`.
    ShortSlash,
    /// `I1220 10:00:17.120000` (no year).
    Klog,
    /// `20-Dec-2024 10:00:49.123` or `20 Dec 2024 10:00:48.123`.
    DayMonthYear,
    /// A user's strftime pattern.
    Pattern(Arc<Pattern>),
}

/// A source's format: where its lines carry their time and level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsFormat {
    wrap: Wrap,
    at: Locate,
    syntax: Syntax,
    levels: LevelSyntax,
    year: YearRule,
}

/// How many bytes of a JSON line are walked for its keys when its first
/// 640 did not hold its time: a key after a long message is still found.
const JSON_HEAD: usize = 2048;

/// How many bytes of a line's end are read for a time written last
/// (Docker's json-file).
const JSON_TAIL: usize = 256;

impl TsFormat {
    /// A format of the given parts; its levels in `levels`.
    pub fn new(wrap: Wrap, at: Locate, syntax: Syntax, levels: LevelSyntax) -> Self {
        Self {
            wrap,
            at,
            syntax,
            levels,
            year: YearRule::default(),
        }
    }

    /// Airflow 2 text: `[2024-12-20T10:00:00.123+0000] {file.py:12} INFO - msg`.
    pub fn airflow_text() -> Self {
        Self::new(
            Wrap::None,
            Locate::Bracket,
            Syntax::Iso,
            LevelSyntax::Airflow,
        )
    }

    /// Airflow 3 JSON lines: `{"timestamp":"…","level":"info",…}`.
    pub fn airflow_json() -> Self {
        Self::new(
            Wrap::None,
            Locate::Json("timestamp"),
            Syntax::Iso,
            LevelSyntax::Json("level"),
        )
    }

    /// ISO 8601 at the start of the line.
    pub fn iso() -> Self {
        Self::new(Wrap::None, Locate::Start, Syntax::Iso, LevelSyntax::Words)
    }

    /// A user's pattern, found at the line's start or mid-line.
    pub fn pattern(pattern: Arc<Pattern>) -> Self {
        Self::new(
            Wrap::None,
            Locate::Start,
            Syntax::Pattern(pattern),
            LevelSyntax::Words,
        )
    }

    /// The same format with its levels read in `levels`.
    pub fn with_levels(mut self, levels: LevelSyntax) -> Self {
        self.levels = levels;
        self
    }

    /// The same format with a year-less date's year taken by `rule`.
    pub fn with_year(mut self, rule: YearRule) -> Self {
        self.year = rule;
        self
    }

    /// The same format inside `wrap`.
    pub fn wrapped(mut self, wrap: Wrap) -> Self {
        self.wrap = wrap;
        self
    }

    pub fn wrap(&self) -> Wrap {
        self.wrap
    }

    pub fn locate(&self) -> Locate {
        self.at
    }

    pub fn levels(&self) -> LevelSyntax {
        self.levels
    }

    /// How a year-less date gets its year.
    pub fn year_rule(&self) -> YearRule {
        self.year
    }

    /// Whether its dates carry no year (it comes from [`YearRule`]).
    pub fn is_yearless(&self) -> bool {
        match &self.syntax {
            Syntax::Syslog | Syntax::Klog => true,
            Syntax::Pattern(p) => p.is_yearless(),
            _ => false,
        }
    }

    /// JSON lines (of any kind): a record is one object.
    pub fn is_json(&self) -> bool {
        matches!(self.at, Locate::Json(_))
    }

    /// Airflow 3's JSON lines (the viewer renders them as text).
    pub fn is_airflow_json(&self) -> bool {
        self.at == Locate::Json("timestamp")
    }

    /// What the format is, for the sources listing and messages.
    pub fn describe(&self) -> String {
        let what = match (&self.at, &self.syntax) {
            (Locate::Bracket, Syntax::Iso) => "[ISO 8601] (Airflow 2, Celery, gunicorn)".into(),
            (Locate::Start, Syntax::Iso) => "ISO 8601".into(),
            (Locate::Cri, _) => "CRI (containerd, CRI-O)".into(),
            (Locate::Rfc5424, _) => "syslog (RFC 5424)".into(),
            (Locate::AfterField, Syntax::Iso) => "ISO 8601 after the first field".into(),
            (_, Syntax::Syslog) => "syslog (RFC 3164) / journalctl".into(),
            (_, Syntax::Klog) => "klog".into(),
            (_, Syntax::Clf) => "access log [20/Dec/2024:10:00:28 +0000]".into(),
            (_, Syntax::Slash) => "2024/12/20 10:00:29 (Go, nginx error log)".into(),
            (_, Syntax::ShortSlash) => "24/12/20 10:00:44 (log4j 1, Spark)".into(),
            (Locate::AfterField, Syntax::DayMonthYear) => "Redis".into(),
            (_, Syntax::DayMonthYear) => "20-Dec-2024 10:00:49 (Tomcat)".into(),
            (_, Syntax::Ctime) => "[Fri Dec 20 10:00:46 2024] (dmesg -T, Apache error log)".into(),
            (Locate::Json(key), _) => format!("JSON \"{key}\""),
            (Locate::Logfmt(key), _) => format!("logfmt {key}="),
            (_, Syntax::Pattern(p)) => format!("pattern '{}'", p.text()),
            (_, Syntax::Iso) => "ISO 8601".into(),
        };
        let wrap = match self.wrap {
            Wrap::None => "",
            Wrap::Kubectl => "kubectl --prefix, ",
            Wrap::Compose => "docker compose, ",
        };
        format!("{wrap}{what}")
    }

    /// The reading at the format's place in `line`, if it has one.
    pub fn parse(&self, line: &[u8]) -> Option<WallTime> {
        self.parse_cached(line, &mut MinuteCache::default())
    }

    /// [`parse`](Self::parse), reusing the date arithmetic of the last minute seen.
    #[inline]
    pub fn parse_cached(&self, line: &[u8], cache: &mut MinuteCache) -> Option<WallTime> {
        let line = self.unwrap_line(line)?;
        self.read(line, cache).map(|(t, _)| t)
    }

    /// The level of a timestamped `line`, in the source's level syntax.
    pub fn level(&self, line: &[u8]) -> Level {
        let Some(content) = self.unwrap_line(line) else {
            return Level::Unknown;
        };
        let content = match self.at {
            Locate::Cri => cri_content(content).unwrap_or(content),
            _ => content,
        };
        let after_time = match self.levels {
            LevelSyntax::Redis => self
                .read(content, &mut MinuteCache::default())
                .map_or(0, |(_, end)| end),
            _ => 0,
        };
        self.levels.read(content, after_time)
    }

    /// Byte length of the timestamp text at the start of `line` (for
    /// renderers that dim or strip it); 0 when unknown.
    pub fn prefix_len(&self, line: &[u8]) -> usize {
        match (self.wrap, self.at, &self.syntax) {
            (Wrap::None, Locate::Bracket, Syntax::Iso) => {
                parse_iso_prefix(line.get(1..).unwrap_or(&[]))
                    .map(|(_, used)| used + 2)
                    .unwrap_or(0)
            }
            (Wrap::None, Locate::Start, Syntax::Iso) => {
                parse_iso_prefix(line).map(|(_, used)| used).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// `line` without its wrap; `None` when the wrap is missing.
    #[inline]
    fn unwrap_line<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        match self.wrap {
            Wrap::None => Some(line),
            Wrap::Kubectl => kubectl_content(line),
            Wrap::Compose => compose_content(line),
        }
    }

    /// The time in a line's content and where it ends (0 when not known).
    #[inline]
    fn read(&self, line: &[u8], cache: &mut MinuteCache) -> Option<(WallTime, usize)> {
        match self.at {
            Locate::Bracket => {
                if line.first() != Some(&b'[') {
                    return None;
                }
                let (t, used) = self.read_syntax(&line[1..], cache)?;
                matches!(line.get(1 + used), Some(b']' | b':')).then_some((t, used + 2))
            }
            Locate::Start => self.read_syntax(line, cache),
            Locate::Json(key) => json::time_of(line, key, cache).map(|t| (t, 0)),
            Locate::Logfmt(key) => {
                let value = logfmt::value_of(&line[..line.len().min(640)], key)?;
                json::read_time(json::Value::Str(value), cache).map(|t| (t, 0))
            }
            Locate::Cri => {
                let (t, used) = self.read_syntax(line, cache)?;
                cri_content(line)?;
                Some((t, used))
            }
            Locate::Priority => {
                let skip = priority_len(line).unwrap_or(0);
                let (t, used) = self.read_syntax(&line[skip..], cache)?;
                Some((t, skip + used))
            }
            Locate::Rfc5424 => {
                let skip = priority_len(line)?;
                let version = line[skip..]
                    .iter()
                    .take(3)
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if version == 0 || line.get(skip + version) != Some(&b' ') {
                    return None;
                }
                let at = skip + version + 1;
                let (t, used) = self.read_syntax(&line[at..], cache)?;
                Some((t, at + used))
            }
            Locate::AfterField => {
                let space = memchr::memchr(b' ', &line[..line.len().min(64)])?;
                let mut at = space;
                while line.get(at) == Some(&b' ') {
                    at += 1;
                }
                if line.get(at) == Some(&b'[') {
                    at += 1;
                }
                let (t, used) = self.read_syntax(&line[at..], cache)?;
                Some((t, at + used))
            }
            Locate::FirstBracket => {
                let head = &line[..line.len().min(320)];
                let mut from = 0;
                while let Some(open) = memchr::memchr(b'[', &head[from..]) {
                    let at = from + open + 1;
                    if let Some((t, used)) = self.read_syntax(&head[at..], cache) {
                        if head.get(at + used) == Some(&b']') {
                            return Some((t, at + used + 1));
                        }
                    }
                    from = at;
                }
                None
            }
        }
    }

    /// The time written in this format's syntax at the start of `b`.
    #[inline]
    fn read_syntax(&self, b: &[u8], cache: &mut MinuteCache) -> Option<(WallTime, usize)> {
        let reading = |r: Option<(Reading, usize)>| {
            let (r, used) = r?;
            Some((r.wall(self.year)?, used))
        };
        match &self.syntax {
            Syntax::Iso => parse_iso_prefix_cached(b, cache),
            Syntax::Clf => reading(text::clf(b)),
            Syntax::Syslog => reading(text::bsd(b)),
            Syntax::Ctime => reading(text::ctime(b)),
            Syntax::Slash => reading(text::slash(b, false)),
            Syntax::ShortSlash => reading(text::slash(b, true)),
            Syntax::Klog => reading(text::klog(b)),
            Syntax::DayMonthYear => reading(text::day_month_year(b)),
            Syntax::Pattern(p) => p.parse(b, self.year).map(|t| (t, 0)),
        }
    }
}

/// The length of syslog's `<PRI>` at the start of `line`.
fn priority_len(line: &[u8]) -> Option<usize> {
    if line.first() != Some(&b'<') {
        return None;
    }
    let digits = line[1..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    (digits > 0 && line.get(1 + digits) == Some(&b'>')).then_some(digits + 2)
}

/// What follows a CRI line's header (`<time> stdout F `), if it has one.
fn cri_content(line: &[u8]) -> Option<&[u8]> {
    let space = memchr::memchr(b' ', &line[..line.len().min(48)])?;
    let rest = &line[space + 1..];
    let rest = rest
        .strip_prefix(b"stdout ")
        .or_else(|| rest.strip_prefix(b"stderr "))?;
    match rest {
        [b'P' | b'F', b' ', content @ ..] => Some(content),
        [b'P' | b'F'] => Some(&[]),
        _ => None,
    }
}

/// What follows `kubectl logs --prefix`'s `[pod/name/container] `.
fn kubectl_content(line: &[u8]) -> Option<&[u8]> {
    if !line.starts_with(b"[pod/") {
        return None;
    }
    let close = memchr::memmem::find(&line[..line.len().min(320)], b"] ")?;
    Some(&line[close + 2..])
}

/// What follows `docker compose logs`'s `name  | `.
fn compose_content(line: &[u8]) -> Option<&[u8]> {
    let name = line
        .iter()
        .take(96)
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        .count();
    if name == 0 {
        return None;
    }
    let spaces = line[name..].iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return None;
    }
    let rest = &line[name + spaces..];
    match rest {
        [b'|', b' ', content @ ..] => Some(content),
        [b'|'] => Some(&[]),
        _ => None,
    }
}

/// A source's format plus the zone for naive readings: turns a line into the
/// time part of its order key.
#[derive(Clone, Debug)]
pub struct TsParser {
    format: Option<TsFormat>,
    /// The format's shape when it is one of the common ones, read without
    /// going through the general dispatch (the print path's hot loop).
    fast: Fast,
    /// CRI: a line may continue the one before it.
    joins: bool,
    clock: ZoneClock,
    cache: MinuteCache,
}

/// The shapes [`TsParser`] reads directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fast {
    /// No timestamps.
    Untimed,
    /// `[ISO…]` at the start: Airflow 2 and its neighbours.
    Bracket,
    /// ISO 8601 at the start.
    IsoStart,
    /// JSON lines under `"timestamp"` (Airflow 3).
    JsonTimestamp,
    /// Anything else, through [`TsFormat::parse_cached`].
    General,
}

impl Fast {
    fn of(format: Option<&TsFormat>) -> Fast {
        let Some(f) = format else {
            return Fast::Untimed;
        };
        match (f.wrap, f.at, &f.syntax) {
            (Wrap::None, Locate::Bracket, Syntax::Iso) => Fast::Bracket,
            (Wrap::None, Locate::Start, Syntax::Iso) => Fast::IsoStart,
            (Wrap::None, Locate::Json("timestamp"), _) => Fast::JsonTimestamp,
            _ => Fast::General,
        }
    }
}

/// How many bytes of a line the timestamp and level parsers look at.
pub const LINE_HEAD: usize = 640;

impl TsParser {
    /// A parser for `format`; `None` means the source has no timestamps.
    pub fn new(format: Option<TsFormat>, clock: ZoneClock) -> Self {
        Self {
            fast: Fast::of(format.as_ref()),
            joins: format.as_ref().is_some_and(|f| f.at == Locate::Cri),
            format,
            clock,
            cache: MinuteCache::default(),
        }
    }

    /// The format in use, if any.
    pub fn format(&self) -> Option<&TsFormat> {
        self.format.as_ref()
    }

    /// The zone of naive readings.
    pub fn clock(&self) -> &ZoneClock {
        &self.clock
    }

    /// UTC nanoseconds of the line's timestamp, or `None` for a line without
    /// one (a continuation line).
    #[inline]
    pub fn parse(&mut self, line: &[u8]) -> Option<Nanos> {
        let t = match self.fast {
            Fast::Bracket => {
                if line.first() != Some(&b'[') {
                    return None;
                }
                let (t, used) = parse_iso_prefix_cached(&line[1..], &mut self.cache)?;
                if !matches!(line.get(1 + used), Some(b']' | b':')) {
                    return None;
                }
                t
            }
            Fast::IsoStart => parse_iso_prefix_cached(line, &mut self.cache)?.0,
            Fast::JsonTimestamp => match json::airflow3_time(line, &mut self.cache) {
                Some(t) => t,
                None => json::time_of(line, "timestamp", &mut self.cache)?,
            },
            Fast::General => self.format.as_ref()?.parse_cached(line, &mut self.cache)?,
            Fast::Untimed => return None,
        };
        Some(self.clock.to_utc(t))
    }

    /// Whether a line may continue the one before it (CRI's `P` lines): the
    /// record reader then asks [`LineHead::partial`] of the line before a
    /// timestamped one.
    #[inline]
    pub fn joins_partial_lines(&self) -> bool {
        self.joins
    }

    /// The time and (when `want_level`) the level of `line`, peeking as much
    /// of it as the format needs: its head, and for a JSON line whose time
    /// is written last (Docker's json-file), its end.
    #[inline]
    pub fn read_line(
        &mut self,
        lines: &mut BlockReader,
        line: &Line,
        want_level: bool,
    ) -> io::Result<LineHead> {
        let len = line.len() as usize;
        let head = lines.peek(line.start, len.min(LINE_HEAD))?;
        let ts = self.parse(head);
        if matches!(self.fast, Fast::Bracket | Fast::IsoStart) || ts.is_some() && !want_level {
            // The common case: nothing more to read of the line.
            let level = match (&self.format, ts.is_some() && want_level) {
                (Some(format), true) => format.level(head),
                _ => Level::Unknown,
            };
            let partial = ts.is_some() && self.joins_partial_lines() && cri_is_partial(head);
            return Ok(LineHead { ts, level, partial });
        }
        let partial = ts.is_some() && self.joins_partial_lines() && cri_is_partial(head);
        let json_key = match self.format.as_ref().map(|f| f.at) {
            Some(Locate::Json(key)) if ts.is_none() && len > LINE_HEAD => key,
            _ => {
                let level = match (&self.format, ts.is_some() && want_level) {
                    (Some(format), true) => format.level(head),
                    _ => Level::Unknown,
                };
                return Ok(LineHead { ts, level, partial });
            }
        };
        // A JSON line longer than the head, its key not in it: more of its
        // head (half a probe block, so a probe reads it in one go), then
        // its end.
        let head = lines.peek(line.start, len.min(JSON_HEAD))?;
        let mut ts = self.parse(head);
        let mut level = match (&self.format, want_level) {
            (Some(format), true) => format.level(head),
            _ => Level::Unknown,
        };
        if ts.is_none() && len > JSON_HEAD {
            let tail = lines.peek(line.end - JSON_TAIL as u64, JSON_TAIL)?;
            if let Some(t) = json::time_at_end(tail, json_key, &mut self.cache) {
                ts = Some(self.clock.to_utc(t));
            }
        }
        if ts.is_none() {
            level = Level::Unknown;
        }
        Ok(LineHead { ts, level, partial })
    }
}

/// What a line's head says.
#[derive(Clone, Copy, Debug)]
pub struct LineHead {
    /// UTC nanoseconds of its timestamp; `None` for a continuation line.
    pub ts: Option<Nanos>,
    pub level: Level,
    /// A CRI `P` line: its logical line goes on in the next line.
    pub partial: bool,
}

/// Whether a CRI line is a partial one (`<time> stdout P …`).
fn cri_is_partial(line: &[u8]) -> bool {
    let Some(space) = memchr::memchr(b' ', &line[..line.len().min(48)]) else {
        return false;
    };
    matches!(
        &line[space + 1..],
        [
            b's',
            b't',
            b'd',
            b'o' | b'e',
            b'u' | b'r',
            b't' | b'r',
            b' ',
            b'P',
            ..
        ]
    )
}

#[cfg(test)]
mod tests;
