//! What a search or filter pattern matches: a regex by default, a literal on
//! request; smart case (an all-lower-case pattern ignores case).

use regex::bytes::{Regex, RegexBuilder};

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
}

#[derive(Clone, Debug)]
enum Engine {
    /// Case-sensitive literal: memchr's SIMD substring search.
    Literal(Box<memchr::memmem::Finder<'static>>),
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
            (PatternKind::Literal, true) => Engine::Regex(build(&regex::escape(text), true)?),
            (PatternKind::Regex, _) => Engine::Regex(build(text, ignore_case)?),
        };
        Ok(Self {
            text: text.to_string(),
            kind,
            ignore_case,
            engine,
        })
    }

    /// The pattern as typed.
    pub fn text(&self) -> &str {
        &self.text
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
        match &self.engine {
            Engine::Literal(finder) => finder.find(haystack).is_some(),
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

fn build(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(ignore_case)
        // A log line is the unit: `.` and classes never run into the next line.
        .multi_line(true)
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
    fn invalid_regex_says_why() {
        let err = Matcher::new("a(b", PatternKind::Regex).expect_err("unbalanced");
        assert!(err.starts_with("invalid regex"), "{err}");
        assert!(Matcher::new("a(b", PatternKind::Literal).is_ok());
    }
}
