//! Picking a source's format from its first lines: a container prefix that
//! most lines carry, then the candidate that reads a time on the most lines
//! (ties go to the more specific, earlier candidate; formats that write a
//! year before those that do not), then the level syntax that reads a level
//! on the most of its timed lines.

use super::{json, logfmt, Locate, Syntax, TsFormat, Wrap};
use crate::record::level::{all_syntaxes, sniff_syntax, LevelSyntax};
use crate::record::timestamp::MinuteCache;

/// The text candidates, most specific first.
fn text_candidates() -> Vec<TsFormat> {
    let f = |at, syntax| TsFormat::new(Wrap::None, at, syntax, LevelSyntax::Words);
    let mut all = vec![
        f(Locate::Bracket, Syntax::Iso),
        f(Locate::Cri, Syntax::Iso),
        f(Locate::Rfc5424, Syntax::Iso),
        f(Locate::Start, Syntax::Iso),
        f(Locate::AfterField, Syntax::Iso),
        f(Locate::Start, Syntax::Slash),
        f(Locate::Start, Syntax::ShortSlash),
        f(Locate::Start, Syntax::DayMonthYear),
        f(Locate::AfterField, Syntax::DayMonthYear),
        f(Locate::Bracket, Syntax::Ctime),
        f(Locate::Start, Syntax::Ctime),
        f(Locate::FirstBracket, Syntax::Clf),
    ];
    all.extend(
        logfmt::TIME_KEYS
            .iter()
            .map(|&key| f(Locate::Logfmt(key), Syntax::Iso)),
    );
    all.push(f(Locate::Priority, Syntax::Syslog));
    all.push(f(Locate::Start, Syntax::Klog));
    all
}

/// How many lines must carry a wrap for it to be taken: half of the
/// non-empty ones.
fn wrap_of(lines: &[&[u8]]) -> Wrap {
    let non_empty = lines.iter().filter(|l| !l.is_empty()).count();
    for wrap in [Wrap::Kubectl, Wrap::Compose] {
        let probe = TsFormat::iso().wrapped(wrap);
        let wrapped = lines
            .iter()
            .filter(|l| probe.unwrap_line(l).is_some())
            .count();
        if non_empty > 0 && wrapped * 2 >= non_empty {
            return wrap;
        }
    }
    Wrap::None
}

/// How many timed lines the level syntax is picked from: enough to see
/// which syntax a source writes, few enough to cost little per source.
const LEVEL_SAMPLE: usize = 100;

/// The index of the first line any candidate reads a time in (where a long
/// preamble ends), if any.
pub fn first_timed_line(lines: &[&[u8]]) -> Option<usize> {
    let candidates = text_candidates();
    let mut cache = MinuteCache::default();
    lines.iter().position(|line| {
        let content = TsFormat::iso()
            .wrapped(Wrap::Kubectl)
            .unwrap_line(line)
            .or_else(|| TsFormat::iso().wrapped(Wrap::Compose).unwrap_line(line))
            .unwrap_or(line);
        if content.trim_ascii_start().first() == Some(&b'{') {
            return json::walk(content, |key, value| {
                json::TIME_KEYS.iter().any(|k| k.as_bytes() == key)
                    && json::read_time(value, &mut cache).is_some()
            });
        }
        candidates
            .iter()
            .any(|format| format.read(content, &mut cache).is_some())
    })
}

/// Picks the format that reads a time on the most of the sample lines;
/// `None` when no candidate reads any.
pub fn sniff<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<TsFormat> {
    let lines: Vec<&[u8]> = lines.into_iter().collect();
    let wrap = wrap_of(&lines);
    let contents: Vec<&[u8]> = lines
        .iter()
        .filter_map(|l| match wrap {
            Wrap::None => Some(*l),
            _ => TsFormat::iso().wrapped(wrap).unwrap_line(l),
        })
        .collect();
    let candidates = text_candidates();
    let mut json_hits = [0usize; json::TIME_KEYS.len()];
    let mut cache = MinuteCache::default();
    let mut text_lines = Vec::with_capacity(contents.len());
    for line in &contents {
        if line.trim_ascii_start().first() == Some(&b'{') {
            json::walk(line, |key, value| {
                if let Some(k) = json::TIME_KEYS.iter().position(|k| k.as_bytes() == key) {
                    if json::read_time(value, &mut cache).is_some() {
                        json_hits[k] += 1;
                    }
                }
                false
            });
        } else {
            text_lines.push(*line);
        }
    }
    // Candidate by candidate, most preferred first: one that can no longer
    // beat the best so far (ties go to the earlier) stops reading.
    let mut best_text: Option<(usize, usize)> = None;
    for (c, format) in candidates.iter().enumerate() {
        let to_beat = best_text.map_or(0, |(_, hits)| hits);
        let mut hits = 0;
        for (i, line) in text_lines.iter().enumerate() {
            if hits + (text_lines.len() - i) <= to_beat {
                break;
            }
            if format.read(line, &mut cache).is_some() {
                hits += 1;
            }
        }
        if hits > to_beat {
            best_text = Some((c, hits));
        }
    }
    let best_json = best(&json_hits);
    let format = match (best_text, best_json) {
        (Some((_, th)), Some((j, jh))) if jh > th => json_format(j),
        (Some((t, _)), _) => candidates[t].clone(),
        (None, Some((j, _))) => json_format(j),
        (None, None) => return None,
    }
    .wrapped(wrap);
    let timed: Vec<(&[u8], usize)> = contents
        .iter()
        .filter_map(|line| {
            let (_, end) = format.read(line, &mut cache)?;
            let content = match format.at {
                Locate::Cri => super::cri_content(line).unwrap_or(line),
                _ => line,
            };
            Some((content, end))
        })
        .take(LEVEL_SAMPLE)
        .collect();
    let levels = match format.at {
        Locate::Json(_) => {
            let mut json_syntaxes: Vec<LevelSyntax> = all_syntaxes()
                .into_iter()
                .filter(|s| matches!(s, LevelSyntax::Json(_)))
                .collect();
            json_syntaxes.push(LevelSyntax::Words);
            sniff_syntax(&json_syntaxes, timed)
        }
        // Redis's mark (`.` `-` `*` `#` after the time) only where Redis
        // writes it, after its `pid:role` and day-month-year time: a ` - `
        // after the time is also Python's cookbook format's separator
        // (`%(asctime)s - %(name)s - %(levelname)s`), where taking it for
        // Redis's debug mark made every record DEBUG and `--level INFO`
        // hid the whole file; pip's `--log` writes ` * ` there for its
        // progress.
        Locate::AfterField if format.syntax == Syntax::DayMonthYear => {
            sniff_syntax(&all_syntaxes(), timed)
        }
        _ => {
            let syntaxes: Vec<LevelSyntax> = all_syntaxes()
                .into_iter()
                .filter(|s| *s != LevelSyntax::Redis)
                .collect();
            sniff_syntax(&syntaxes, timed)
        }
    };
    Some(format.with_levels(levels))
}

fn json_format(key: usize) -> TsFormat {
    let key = json::TIME_KEYS[key];
    TsFormat::new(
        Wrap::None,
        Locate::Json(key),
        Syntax::Iso,
        LevelSyntax::Json("level"),
    )
}

/// The index with the most hits (the earliest among equals), if any hit.
fn best(hits: &[usize]) -> Option<(usize, usize)> {
    hits.iter()
        .enumerate()
        .filter(|(_, &h)| h > 0)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, &h)| (i, h))
}
