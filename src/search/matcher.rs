//! What a search or filter pattern matches: a regex by default, a literal on
//! request; smart case (an all-lower-case pattern ignores case).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use regex::bytes::{Regex, RegexBuilder};

/// Bytes of a line a search or filter matches: a longer line is matched on
/// its first part only, which the matcher counts and the viewer's status
/// bar and print mode's stderr say. A line held to match it costs as much
/// memory, once per worker.
pub const LINE_MATCH_CAP: usize = 16 * 1024 * 1024;

/// How the pattern text is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PatternKind {
    #[default]
    Regex,
    Literal,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Matcher {
    text: String,
    kind: PatternKind,
    ignore_case: bool,
    engine: Engine,
    /// Lines longer than [`LINE_MATCH_CAP`] matched on their first part,
    /// shared by the matcher's clones.
    cut_lines: Arc<CutLines>,
    /// How the viewer draws a line whose text on screen is not its bytes
    /// (an Airflow 3 JSON record: `[time] ERROR - event source=…` and the
    /// traceback of its `error_detail`): a line matches when its bytes or
    /// its drawn text do.
    drawn: Option<Drawn>,
    /// With `drawn`: what a line's bytes hold if its drawing can match
    /// ([`Candidates`]); `None` when any line may.
    candidates: Option<Arc<Candidates>>,
}

/// What the bytes of a line whose drawing matches must hold, so that a scan
/// of the bytes finds the few lines worth drawing (drawing every line of an
/// 830 MB log took 4.9 s for a string found nowhere, 0.3 s scanning). The
/// drawing's words come from the bytes, but for the level's case and what
/// the drawing writes itself: each word of the pattern is in the bytes in
/// some case, or the bytes hold what makes the drawing write it (an
/// `error_detail` for a traceback's sentences, a `logger` for `source=`,
/// …). Only for a pattern whose words are all literal (a literal, or a
/// regex with no operator but `.`).
#[derive(Debug)]
pub struct Candidates {
    /// Per word of the pattern, the texts (any case) one of which the bytes
    /// hold.
    words: Vec<aho_corasick::AhoCorasick>,
    /// The word whose texts a scan looks for first: the most telling.
    lead: usize,
}

/// Words the JSON drawing writes itself, with the text in the bytes that
/// makes it write them.
const DRAWN_WORDS: &[(&str, &str)] = &[
    ("traceback (most recent call last)", "error_detail"),
    ("exception group traceback", "error_detail"),
    (
        "during handling of the above exception, another exception occurred",
        "error_detail",
    ),
    (
        "the above exception was the direct cause of the following exception",
        "error_detail",
    ),
    (
        "file line in sub exceptions no detail available",
        "error_detail",
    ),
    ("source", "logger"),
    ("loc", "filename"),
    ("none", "null"),
    ("true", "true"),
    ("false", "false"),
    ("stderr", "stderr"),
];

impl Candidates {
    /// For `text` (a pattern), or `None` when its words are not all
    /// literal or not ASCII.
    fn of(text: &str, kind: PatternKind) -> Option<Candidates> {
        let operators = |c: char| "\\^$*+?()[]{}|".contains(c);
        if !text.is_ascii() || (kind == PatternKind::Regex && text.contains(operators)) {
            return None;
        }
        let mut words = Vec::new();
        let mut longest = (0, 0);
        for word in text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_ascii_lowercase();
            let mut texts = vec![word.clone()];
            texts.extend(
                DRAWN_WORDS
                    .iter()
                    .filter(|(drawn, _)| drawn.contains(word.as_str()))
                    .map(|(_, because)| (*because).to_string()),
            );
            // `stderr` is drawn where the bytes say `stderr`: no other text
            // to look for, and a word of its own to lead with.
            texts.sort_unstable();
            texts.dedup();
            if word.len() <= 4 && word.bytes().all(|b| b.is_ascii_digit()) {
                // An exception group numbers its members.
                texts.push("error_detail".into());
            }
            // The lead: a word only the bytes write, the longest, a number
            // before letters, a level or a key of every record last (a
            // scan for `error` stops at every error record).
            let common = [
                "error",
                "info",
                "warning",
                "warn",
                "debug",
                "critical",
                "timestamp",
                "level",
                "event",
                "logger",
                "task",
            ]
            .contains(&word.as_str());
            let digits = word.bytes().any(|b| b.is_ascii_digit());
            let score = if texts.len() > 1 || common {
                1
            } else {
                word.len() + 2 + if digits { 8 } else { 0 }
            };
            if score > longest.1 {
                longest = (words.len(), score);
            }
            words.push(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&texts)
                    .ok()?,
            );
        }
        (!words.is_empty()).then_some(Candidates {
            words,
            lead: longest.0,
        })
    }

    /// Where in `haystack` from `at` the lead word's texts are next.
    fn next(&self, haystack: &[u8], at: usize) -> Option<usize> {
        self.words[self.lead]
            .find(aho_corasick::Input::new(haystack).range(at..))
            .map(|m| m.start())
    }

    /// Whether `line`'s bytes hold every word's texts.
    fn admit(&self, line: &[u8]) -> bool {
        self.words.iter().all(|word| word.is_match(line))
    }
}

/// The texts a line is drawn as, when they differ from its bytes (`None`:
/// drawn as it is). The viewer gives the search its drawing, so that what
/// is on screen is what is found (`/ERROR` on a line drawn `ERROR - …`
/// whose bytes say `"level":"error"`).
#[derive(Clone)]
pub struct Drawn(pub Arc<DrawFn>);

/// What [`Drawn`] calls: a line's bytes to the texts drawn for them.
pub type DrawFn = dyn Fn(&[u8]) -> Option<Vec<String>> + Send + Sync;

impl std::fmt::Debug for Drawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Drawn")
    }
}

/// The lines a matcher saw in part: their starts (so each counts once),
/// past [`CUT_LINES_KEPT`] a count; and at least how many a count made
/// apart saw.
#[derive(Debug, Default)]
struct CutLines {
    starts: std::sync::Mutex<std::collections::BTreeSet<u64>>,
    beyond: AtomicU64,
    at_least: AtomicU64,
}

/// Cut lines remembered by their start (lines over 16 MiB are few).
const CUT_LINES_KEPT: usize = 4096;

#[derive(Clone, Debug)]
enum Engine {
    /// Case-sensitive literal: memchr's SIMD substring search.
    Literal(Box<memchr::memmem::Finder<'static>>),
    /// ASCII literal, any case: Aho-Corasick, linear in the haystack
    /// whatever the pattern (a regex of a long case-folded literal can take
    /// the pattern's length times the line's).
    AsciiCaseless(Box<aho_corasick::AhoCorasick>),
    Regex(Regex),
}

/// Regexes are bounded so a pathological pattern fails to compile instead
/// of eating memory.
const REGEX_SIZE_LIMIT: usize = 64 * 1024 * 1024;

impl Matcher {
    /// Compiles `text`. Smart case: case is ignored unless the pattern has an
    /// upper-case letter.
    pub fn new(text: &str, kind: PatternKind) -> Result<Self, String> {
        if text.is_empty() {
            return Err("empty pattern".into());
        }
        let ignore_case = !text.chars().any(char::is_uppercase);
        let engine = match (kind, ignore_case) {
            (PatternKind::Literal, false) => Engine::Literal(Box::new(
                memchr::memmem::Finder::new(text.as_bytes()).into_owned(),
            )),
            (PatternKind::Literal, true) if text.is_ascii() => {
                Engine::AsciiCaseless(Box::new(caseless(text)?))
            }
            (PatternKind::Literal, true) => Engine::Regex(build(&regex::escape(text), true)?),
            (PatternKind::Regex, _) => Engine::Regex(build(text, ignore_case)?),
        };
        Ok(Self {
            text: text.to_string(),
            kind,
            ignore_case,
            engine,
            cut_lines: Arc::default(),
            drawn: None,
            candidates: None,
        })
    }

    /// The same pattern, also matching lines as `drawn` draws them.
    pub fn matching_drawn(mut self, drawn: Drawn) -> Self {
        self.drawn = Some(drawn);
        self.candidates = Candidates::of(&self.text, self.kind).map(Arc::new);
        self
    }

    /// The next place from `at` in `haystack` worth a look: a match of the
    /// bytes (`true`), or (matching as drawn) a place a line's drawing
    /// could match (`false`), which [`is_match`](Self::is_match) on its
    /// line then tells. `None`: no line from `at` on can match.
    pub fn find_candidate_at(&self, haystack: &[u8], at: usize) -> Option<(usize, bool)> {
        let raw = self.find_at(haystack, at).map(|(start, _)| (start, true));
        if self.drawn.is_none() {
            return raw;
        }
        let drawn = match &self.candidates {
            Some(candidates) => candidates.next(haystack, at),
            None => (at < haystack.len()).then_some(at),
        };
        match (raw, drawn) {
            (Some(raw), Some(drawn)) if drawn < raw.0 => Some((drawn, false)),
            (None, Some(drawn)) => Some((drawn, false)),
            (raw, _) => raw,
        }
    }

    /// Whether it also matches lines as drawn: a raw scan of the bytes
    /// cannot rule a line out, so searches walk the records instead.
    pub fn matches_drawn(&self) -> bool {
        self.drawn.is_some()
    }

    /// The line starting at byte `line_start` (of some source) is longer
    /// than [`LINE_MATCH_CAP`] and was matched on its first part. A line
    /// counts once however often it is matched: a search and its wrap
    /// around, a filter asked again as the screen moves (it said "3
    /// lines" of one line).
    pub fn note_cut_line(&self, line_start: u64) {
        let mut seen = self
            .cut_lines
            .starts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.len() < CUT_LINES_KEPT {
            seen.insert(line_start);
        } else if !seen.contains(&line_start) {
            self.cut_lines.beyond.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The same pattern with a count of cut lines of its own (a scan that
    /// sees lines the matcher also sees elsewhere).
    pub fn counting_apart(&self) -> Matcher {
        Matcher {
            cut_lines: Arc::default(),
            ..self.clone()
        }
    }

    /// At least `lines` lines were cut (a count made apart, of every line).
    pub fn note_cut_lines_at_least(&self, lines: u64) {
        self.cut_lines.at_least.fetch_max(lines, Ordering::Relaxed);
    }

    /// Lines matched on their first [`LINE_MATCH_CAP`] bytes only.
    pub fn cut_lines(&self) -> u64 {
        let cut = &self.cut_lines;
        let seen = cut
            .starts
            .lock()
            .map_or(0, |s| s.len() as u64)
            .saturating_add(cut.beyond.load(Ordering::Relaxed));
        seen.max(cut.at_least.load(Ordering::Relaxed))
    }

    /// What to say when lines were matched in part, if any were.
    pub fn cut_lines_note(&self) -> Option<String> {
        let n = self.cut_lines();
        (n > 0).then(|| {
            format!(
                "{n} line{} longer than {} MiB matched on its first {} MiB only",
                if n == 1 { "" } else { "s" },
                LINE_MATCH_CAP >> 20,
                LINE_MATCH_CAP >> 20
            )
        })
    }

    /// The pattern as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The pattern for messages: a pasted 100 KB pattern would push what
    /// the message says ("hit 3 of 12") off the status bar.
    pub fn shown(&self) -> std::borrow::Cow<'_, str> {
        const SHOWN: usize = 32;
        match self.text.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}…", &self.text[..cut]).into(),
            None => self.text.as_str().into(),
        }
    }

    /// [`find_all`](Self::find_all) for highlighting on screen, which must
    /// not hold up a draw: a regex's worst case is its size times the
    /// haystack's, so a long regex marks nothing in a long line (searching
    /// still finds it, in a job that can time out).
    pub fn highlights(&self, haystack: &[u8]) -> Vec<(usize, usize)> {
        const BUDGET: usize = 1 << 24;
        let costly = matches!(self.engine, Engine::Regex(_))
            && self.text.len().saturating_mul(haystack.len()) > BUDGET;
        if costly {
            return Vec::new();
        }
        self.find_all(haystack)
    }

    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    pub fn ignores_case(&self) -> bool {
        self.ignore_case
    }

    /// Whether `haystack` contains a match.
    #[inline]
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.is_raw_match(haystack)
            || self.drawn.as_ref().is_some_and(|drawn| {
                self.candidates.as_ref().is_none_or(|c| c.admit(haystack))
                    && (drawn.0)(haystack).is_some_and(|lines| {
                        lines.iter().any(|line| self.is_raw_match(line.as_bytes()))
                    })
            })
    }

    /// Whether the bytes themselves match.
    fn is_raw_match(&self, haystack: &[u8]) -> bool {
        match &self.engine {
            Engine::Literal(finder) => finder.find(haystack).is_some(),
            Engine::AsciiCaseless(ac) => ac.is_match(haystack),
            Engine::Regex(re) => re.is_match(haystack),
        }
    }

    /// The first match at or after `at`, as a byte range.
    #[inline]
    pub fn find_at(&self, haystack: &[u8], at: usize) -> Option<(usize, usize)> {
        match &self.engine {
            Engine::Literal(finder) => finder
                .find(&haystack[at.min(haystack.len())..])
                .map(|i| (at + i, at + i + finder.needle().len())),
            Engine::AsciiCaseless(ac) => ac
                .find(aho_corasick::Input::new(haystack).range(at.min(haystack.len())..))
                .map(|m| (m.start(), m.end())),
            Engine::Regex(re) => re.find_at(haystack, at).map(|m| (m.start(), m.end())),
        }
    }

    /// Every match in `haystack` (for highlighting), empty matches skipped.
    pub fn find_all(&self, haystack: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some((start, end)) = self.find_at(haystack, at) {
            if end > start {
                out.push((start, end));
                at = end;
            } else {
                at = start + 1;
            }
            if at > haystack.len() {
                break;
            }
        }
        out
    }
}

fn caseless(literal: &str) -> Result<aho_corasick::AhoCorasick, String> {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // Its DFA would take the pattern's length squared to build for a
        // repetitive one ("zzz…"): 38 s for 100 KB.
        .kind((literal.len() > 256).then_some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build([literal])
        .map_err(|e| format!("pattern too large: {e}"))
}

fn build(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(ignore_case)
        // A log line is the unit: `.` and classes never run into the next line.
        .multi_line(true)
        // `$` ends a CRLF line too: the block scan sees a line with its
        // `\r\n` where a record's lines are matched without them, and
        // both must find the same lines.
        .crlf(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(text) => format!(
                "invalid regex: {}",
                text.lines()
                    .last()
                    .unwrap_or("syntax error")
                    .trim_start_matches("error: ")
            ),
            other => format!("invalid regex: {other}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case() {
        let lower = Matcher::new("error", PatternKind::Regex).expect("compiles");
        assert!(lower.ignores_case());
        assert!(lower.is_match(b"an ERROR here"));
        let upper = Matcher::new("Error", PatternKind::Regex).expect("compiles");
        assert!(!upper.is_match(b"an ERROR here"));
        assert!(upper.is_match(b"an Error here"));
    }

    #[test]
    fn literal_and_regex() {
        let literal = Matcher::new("a.c[1]", PatternKind::Literal).expect("compiles");
        assert!(literal.is_match(b"xx a.c[1] yy"));
        assert!(!literal.is_match(b"abc1"));
        let regex = Matcher::new(r"batch \d+ of", PatternKind::Regex).expect("compiles");
        assert_eq!(
            regex.find_at(b"Processing batch 12 of 40", 0),
            Some((11, 22))
        );
        let caseless_literal = Matcher::new("timeout", PatternKind::Literal).expect("compiles");
        assert!(caseless_literal.is_match(b"TIMEOUT after 30s"));
    }

    #[test]
    fn all_matches_for_highlighting() {
        let m = Matcher::new("ab", PatternKind::Literal).expect("compiles");
        assert_eq!(m.find_all(b"ab_ab__ab"), vec![(0, 2), (3, 5), (7, 9)]);
        let empty = Matcher::new("x*", PatternKind::Regex).expect("compiles");
        assert_eq!(empty.find_all(b"axxb"), vec![(1, 3)]);
    }

    #[test]
    fn a_line_end_is_found_before_a_crlf_as_in_the_line_alone() {
        // The block scan sees `\r\n`; a record's line is matched without it.
        let m = Matcher::new("done$", PatternKind::Regex).expect("compiles");
        assert!(m.is_match(b"step 1 done\r\nstep 2\r\n"));
        assert!(m.is_match(b"step 1 done"));
    }

    #[test]
    fn invalid_regex_says_why() {
        let err = Matcher::new("a(b", PatternKind::Regex).expect_err("unbalanced");
        assert!(err.starts_with("invalid regex"), "{err}");
        assert!(Matcher::new("a(b", PatternKind::Literal).is_ok());
    }

    #[test]
    fn a_long_caseless_literal_is_found_in_linear_time() {
        // As a regex, 100 KB of "z" case-folded over a line of "z" took the
        // pattern's length times the line's (35 s in a release build).
        let needle = "z".repeat(100_000);
        let m = Matcher::new(&needle, PatternKind::Literal).expect("compiles");
        let mut line = b"x ".to_vec();
        line.extend(std::iter::repeat_n(b'Z', 150_000));
        assert_eq!(m.find_at(&line, 0), Some((2, 100_002)));
        assert_eq!(m.find_at(&line, 50_003), None);
    }

    proptest::proptest! {
        /// The Aho-Corasick literal finds what the case-folded regex finds,
        /// from any offset, in ASCII text.
        #[test]
        fn a_caseless_literal_matches_as_the_regex_would(
            needle in "[abAB.]{1,4}",
            haystack in "[abAB. ]{0,40}",
            at in 0usize..45,
        ) {
            let needle = needle.to_ascii_lowercase();
            let fast = Matcher::new(&needle, PatternKind::Literal).expect("compiles");
            let slow = build(&regex::escape(&needle), true).expect("compiles");
            let at = at.min(haystack.len());
            let expected = slow.find_at(haystack.as_bytes(), at).map(|m| (m.start(), m.end()));
            proptest::prop_assert_eq!(fast.find_at(haystack.as_bytes(), at), expected);
        }
    }
}
