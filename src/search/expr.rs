//! Filters on a record's fields (`--where`, the viewer's `&` prompt, the
//! config's `[filters]`): `logger=task.stdout`, `level>=warning`,
//! `filename~hooks`, `not logger~dag_processing`, joined by `and` and `or`
//! (`and` binds tighter; parentheses group).
//!
//! ```text
//! expr  := term ("or" term)*
//! term  := unary ("and" unary)*
//! unary := "not" unary | "(" expr ")" | NAME OP VALUE
//! OP    := = != ~ !~ >= > <= <
//! VALUE := a word, or "quoted" (\" and \\ inside)
//! ```
//!
//! `=` compares the text (`level` as a level: `level=warn` holds for
//! `WARNING`); `~` is a regex, smart case as in `/`; `<`, `>` compare
//! levels for `level`, numbers when both sides are, else text. A record
//! without the field fails `=`, `~` and comparisons and passes `!=`, `!~`
//! and `not`. A record without a readable `level` passes `level>=…`, as
//! it passes `--level`: a line nobody can grade is no less important.

use std::fmt;

use super::matcher::{Matcher, PatternKind};
use crate::problem::Problem;
use crate::record::fields::{self, text};
use crate::record::Level;

/// A parsed filter expression.
#[derive(Clone, Debug)]
pub struct FieldFilter {
    root: Node,
    /// As typed, for the status bar.
    source: String,
}

#[derive(Clone, Debug)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Test(Test),
}

#[derive(Clone, Debug)]
struct Test {
    field: String,
    op: Op,
    value: String,
    /// `~` and `!~`.
    pattern: Option<Matcher>,
    /// The value read as a level, for `level`.
    level: Option<Level>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Match,
    NoMatch,
    Ge,
    Gt,
    Le,
    Lt,
}

/// The operators, longest first (what the `&` prompt's completion looks for).
pub const OPERATORS: [&str; 8] = ["!=", "!~", ">=", "<=", "=", "~", ">", "<"];

const OPS: [(&str, Op); 8] = [
    ("!=", Op::Ne),
    ("!~", Op::NoMatch),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("=", Op::Eq),
    ("~", Op::Match),
    (">", Op::Gt),
    ("<", Op::Lt),
];

/// What every syntax error's tip shows.
const EXAMPLE: &str =
    "write FIELD OP VALUE (OP: = != ~ !~ >= > <= <), joined by and/or/not, e.g. logger=task.stdout and level>=warning";

impl FieldFilter {
    /// Parses `text`; a mistake is one [`Problem`] that says where and
    /// gives an example.
    pub fn parse(text: &str) -> Result<Self, Problem> {
        let tokens = lex(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let root = parser.or()?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(Problem::new(format!(
                "'{}' where 'and', 'or' or the end was expected in '{text}'",
                token.shown()
            ))
            .with_tip(EXAMPLE));
        }
        Ok(Self {
            root,
            source: text.trim().to_string(),
        })
    }

    /// Whether `text` is written as a field filter rather than a pattern:
    /// it starts with `not `, `(`, or a field name and an operator. What a
    /// `&` prompt uses to tell the two apart (`a\=b` is then a pattern).
    pub fn looks_like(text: &str) -> bool {
        let text = text.trim_start();
        if text.starts_with("not ") || text.starts_with('(') {
            return true;
        }
        let name = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
        name > 0 && {
            let rest = text[name..].trim_start();
            OPS.iter().any(|(op, _)| rest.starts_with(op))
        }
    }

    /// Whether a record with these bytes (and this level, read by its
    /// source's level syntax) is kept.
    pub fn accepts(&self, record: &[u8], level: Level) -> bool {
        self.root.holds(record, level)
    }

    /// Whether it asks for `level` (print mode then reads levels).
    pub fn uses_level(&self) -> bool {
        self.root.any_test(&mut |t| t.field == "level")
    }

    /// The field names it tests.
    pub fn field_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.root.any_test(&mut |t| {
            names.push(t.field.clone());
            false
        });
        names
    }
}

impl fmt::Display for FieldFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Node {
    fn holds(&self, record: &[u8], level: Level) -> bool {
        match self {
            Node::Or(nodes) => nodes.iter().any(|n| n.holds(record, level)),
            Node::And(nodes) => nodes.iter().all(|n| n.holds(record, level)),
            Node::Not(node) => !node.holds(record, level),
            Node::Test(test) => test.holds(record, level),
        }
    }

    fn any_test(&self, f: &mut impl FnMut(&Test) -> bool) -> bool {
        match self {
            Node::Or(nodes) | Node::And(nodes) => nodes.iter().any(|n| n.any_test(f)),
            Node::Not(node) => node.any_test(f),
            Node::Test(test) => f(test),
        }
    }
}

impl Test {
    fn holds(&self, record: &[u8], level: Level) -> bool {
        let value = fields::value_of(record, &self.field);
        if self.field == "level" {
            if let Some(wanted) = self.level {
                let have = fields::level_of(record, level);
                return self.compare_levels(have, wanted);
            }
        }
        let Some(value) = value else {
            return matches!(self.op, Op::Ne | Op::NoMatch);
        };
        let mut have = text(value);
        if self.field == "level" && crate::record::level::is_task_stderr(record) {
            // Graded by its text, as `level=` and `--level` grade it, not
            // by the ERROR Airflow writes on every stderr line.
            have = match level {
                Level::Unknown => "".into(),
                graded => graded.name().to_ascii_lowercase().into(),
            };
        }
        match self.op {
            Op::Eq => have == self.value,
            Op::Ne => have != self.value,
            Op::Match => self
                .pattern
                .as_ref()
                .is_some_and(|m| m.is_match(have.as_bytes())),
            Op::NoMatch => !self
                .pattern
                .as_ref()
                .is_some_and(|m| m.is_match(have.as_bytes())),
            Op::Ge | Op::Gt | Op::Le | Op::Lt => {
                let order = match (have.trim().parse::<f64>(), self.value.parse::<f64>()) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => Some(have.as_ref().cmp(self.value.as_str())),
                };
                order.is_some_and(|o| match self.op {
                    Op::Ge => o.is_ge(),
                    Op::Gt => o.is_gt(),
                    Op::Le => o.is_le(),
                    _ => o.is_lt(),
                })
            }
        }
    }

    fn compare_levels(&self, have: Level, wanted: Level) -> bool {
        // Unknown passes a minimum (as `--level`), and only a minimum.
        match self.op {
            Op::Eq => have == wanted,
            Op::Ne => have != wanted,
            Op::Ge => have.passes(wanted),
            Op::Gt => have == Level::Unknown || have > wanted,
            Op::Le => have != Level::Unknown && have <= wanted,
            Op::Lt => have != Level::Unknown && have < wanted,
            // A pattern on `level` is matched as text (no `self.level`).
            Op::Match | Op::NoMatch => false,
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-')
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Op(Op),
    /// A value: a bare word or a quoted string.
    Word(String),
    Open,
    Close,
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Name(s) | Token::Word(s) => s.clone(),
            Token::Op(op) => OPS
                .iter()
                .find(|(_, o)| o == op)
                .map_or("?", |(s, _)| s)
                .to_string(),
            Token::Open => "(".into(),
            Token::Close => ")".into(),
        }
    }
}

/// Words, operators, parentheses; a value after an operator runs to the
/// next space or `)` unless quoted.
fn lex(text: &str) -> Result<Vec<Token>, Problem> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let after_op = matches!(tokens.last(), Some(Token::Op(_)));
        if after_op {
            tokens.push(Token::Word(value(text, i, &mut chars)?));
            continue;
        }
        match c {
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            _ => {
                if let Some((op_text, op)) = OPS.iter().find(|(s, _)| text[i..].starts_with(s)) {
                    for _ in 0..op_text.len() {
                        chars.next();
                    }
                    tokens.push(Token::Op(*op));
                    continue;
                }
                let mut end = i;
                while let Some(&(j, c)) = chars.peek() {
                    if !is_name_char(c) {
                        break;
                    }
                    end = j + c.len_utf8();
                    chars.next();
                }
                if end == i {
                    return Err(Problem::new(format!(
                        "unexpected '{c}' in '{text}' at column {}",
                        i + 1
                    ))
                    .with_tip(EXAMPLE));
                }
                tokens.push(Token::Name(text[i..end].to_string()));
            }
        }
    }
    Ok(tokens)
}

/// A value starting at byte `i`: quoted, or a word up to a space or `)`.
fn value(
    text: &str,
    i: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices>,
) -> Result<String, Problem> {
    let mut out = String::new();
    if text[i..].starts_with('"') {
        chars.next();
        loop {
            match chars.next() {
                Some((_, '"')) => return Ok(out),
                Some((_, '\\')) => match chars.next() {
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                Some((_, c)) => out.push(c),
                None => break,
            }
        }
        return Err(
            Problem::new(format!("a quote opened at column {} is not closed", i + 1))
                .with_tip("end the value with \": event=\"DAG bundles loaded\""),
        );
    }
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() || c == ')' {
            break;
        }
        out.push(c);
        chars.next();
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Name(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Node, Problem> {
        let mut nodes = vec![self.and()?];
        while self.peek_word("or") {
            self.at += 1;
            nodes.push(self.and()?);
        }
        Ok(if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::Or(nodes)
        })
    }

    fn and(&mut self) -> Result<Node, Problem> {
        let mut nodes = vec![self.unary()?];
        while self.peek_word("and") {
            self.at += 1;
            nodes.push(self.unary()?);
        }
        Ok(if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::And(nodes)
        })
    }

    fn unary(&mut self) -> Result<Node, Problem> {
        if self.peek_word("not") && !matches!(self.tokens.get(self.at + 1), Some(Token::Op(_))) {
            self.at += 1;
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err(Problem::new("a '(' is not closed").with_tip("add the ')'"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Name(field)) => {
                self.at += 1;
                let Some(Token::Op(op)) = self.tokens.get(self.at).cloned() else {
                    return Err(
                        Problem::new(format!("'{field}' is not followed by an operator")).with_tip(
                            format!(
                                "{EXAMPLE}; to filter on text, leave out the operator (&{field})"
                            ),
                        ),
                    );
                };
                self.at += 1;
                let Some(Token::Word(value)) = self.tokens.get(self.at).cloned() else {
                    return Err(
                        Problem::new(format!("'{field}' has no value to compare with")).with_tip(
                            "quote an empty or spaced value: event=\"\" or event=\"a b\"",
                        ),
                    );
                };
                self.at += 1;
                test(field, op, value).map(Node::Test)
            }
            Some(other) => Err(Problem::new(format!(
                "'{}' where a field name was expected",
                other.shown()
            ))
            .with_tip(EXAMPLE)),
            None => Err(
                Problem::new("the filter ends where a field test was expected").with_tip(EXAMPLE),
            ),
        }
    }
}

fn test(field: String, op: Op, value: String) -> Result<Test, Problem> {
    let pattern = match op {
        Op::Match | Op::NoMatch => Some(Matcher::new(&value, PatternKind::Regex).map_err(|e| {
            Problem::new(format!("'{field}~{value}': {e}"))
                .with_tip("~ takes a regex: escape . * ( [ with \\ to mean them as text")
        })?),
        _ => None,
    };
    let level = if field == "level" && pattern.is_none() {
        Some(Level::from_word(value.as_bytes()).ok_or_else(|| {
            Problem::new(format!("'{value}' is not a level"))
                .with_tip("use debug, info, warning, error or critical")
        })?)
    } else {
        None
    };
    Ok(Test {
        field,
        op,
        value,
        pattern,
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(logger: &str, level: &str, filename: &str) -> String {
        format!(
            r#"{{"timestamp":"2026-12-07T04:07:52Z","level":"{level}","event":"e","logger":"{logger}","filename":"{filename}","lineno":12}}"#
        )
    }

    #[test]
    fn an_airflow3_stderr_lines_level_text_is_the_level_its_text_names() {
        let warning = r#"{"timestamp":"2026-12-07T04:07:52Z","level":"error","event":"x.py:3: UserWarning: w","logger":"task.stderr"}"#;
        let filter = |f: &str| FieldFilter::parse(f).expect("parses");
        // The record's level as its source's syntax graded it.
        let graded = Level::Warning;
        assert!(filter("level~warn").accepts(warning.as_bytes(), graded));
        assert!(!filter("level~err").accepts(warning.as_bytes(), graded));
        assert!(filter("level!~err").accepts(warning.as_bytes(), graded));
        let plain = r#"{"timestamp":"2026-12-07T04:07:52Z","level":"error","event":"stderr: slow","logger":"task.stderr"}"#;
        assert!(!filter("level~err").accepts(plain.as_bytes(), Level::Unknown));
        let logged = rec("task", "error", "f.py");
        assert!(filter("level~err").accepts(logged.as_bytes(), Level::Unknown));
    }

    fn keeps(expr: &str, record: &str) -> bool {
        FieldFilter::parse(expr)
            .unwrap_or_else(|p| panic!("{expr}: {}", p.one_line()))
            .accepts(record.as_bytes(), Level::Unknown)
    }

    #[test]
    fn the_issues_examples() {
        let stdout = rec("task.stdout", "info", "");
        let hook = rec("airflow.task.hooks.http", "warning", "hooks/http.py");
        let dag = rec("airflow.dag_processing.bundles", "info", "manager.py");
        assert!(keeps("logger=task.stdout", &stdout));
        assert!(!keeps("logger=task.stdout", &hook));
        assert!(keeps("level>=warning", &hook));
        assert!(!keeps("level>=warning", &stdout));
        assert!(keeps("filename~hooks", &hook));
        assert!(!keeps("filename~hooks", &dag));
        assert!(!keeps("not logger~dag_processing", &dag));
        assert!(keeps("not logger~dag_processing", &stdout));
        assert!(keeps("logger=task.stdout or level>=warning", &hook));
        assert!(!keeps("logger=task.stdout and level>=warning", &hook));
        // `and` binds tighter than `or`; parentheses group.
        assert!(keeps("logger=x and level=info or filename~hooks", &hook));
        assert!(!keeps("logger=x and (level=info or filename~hooks)", &hook));
    }

    #[test]
    fn levels_compare_as_levels_and_unknown_passes_a_minimum_only() {
        let warn = rec("t", "WARN", "");
        assert!(keeps("level=warning", &warn));
        assert!(keeps("level<error", &warn));
        assert!(!keeps("level>warning", &warn));
        // No level field: the source's level is used; unknown passes >=.
        let plain = r#"{"event":"x"}"#;
        assert!(keeps("level>=error", plain));
        assert!(!keeps("level=error", plain));
        let f = FieldFilter::parse("level>=error").unwrap();
        assert!(!f.accepts(plain.as_bytes(), Level::Info));
        assert!(f.accepts(plain.as_bytes(), Level::Critical));
        assert!(f.uses_level());
    }

    #[test]
    fn missing_fields_numbers_quotes_and_negations() {
        let r = rec("task", "info", "a.py");
        assert!(!keeps("nope=1", &r));
        assert!(keeps("nope!=1", &r));
        assert!(keeps("nope!~x", &r));
        assert!(keeps("lineno>9", &r), "numbers compare as numbers");
        assert!(!keeps("lineno>100", &r));
        assert!(keeps(r#"event="e""#, &r));
        let spaced = r#"{"event":"DAG bundles loaded","logger":"x"}"#;
        assert!(keeps(r#"event="DAG bundles loaded""#, spaced));
        assert!(keeps(
            r#"not event="DAG bundles loaded" or logger=x"#,
            spaced
        ));
        assert!(!keeps(r#"not event="DAG bundles loaded""#, spaced));
        // Smart case, as `/`.
        assert!(keeps("event~dag", spaced));
        assert!(!keeps("event~Dag", spaced));
        // A field named like a keyword still works.
        assert!(keeps("not=1", r#"{"not":"1"}"#));
    }

    #[test]
    fn airflow2_and_logfmt_records_are_filtered_by_the_same_names() {
        let a2 = "[2024-12-20T10:00:00.004+0000] {s3.py:117} WARNING - Poking\n";
        assert!(keeps("filename=s3.py and level>=warning", a2));
        assert!(keeps("lineno=117", a2));
        let lf = "time=2024-01-01T00:00:00Z level=error component=db msg=\"x y\"";
        assert!(keeps("component=db and level>=error", lf));
        assert!(keeps(r#"msg="x y""#, lf));
    }

    #[test]
    fn mistakes_say_where_and_give_a_tip() {
        for (bad, says) in [
            ("logger", "not followed by an operator"),
            ("logger=", "has no value"),
            ("logger=x and", "ends where a field test"),
            ("logger=x y", "'y' where 'and', 'or'"),
            ("(logger=x", "not closed"),
            (r#"event="x"#, "quote opened at column 7"),
            ("level>=loud", "'loud' is not a level"),
            ("filename~(", "filename~("),
            ("= x", "where a field name"),
            ("logger=x #", "unexpected '#'"),
        ] {
            let problem = FieldFilter::parse(bad).expect_err(bad);
            assert!(problem.what().contains(says), "{bad}: {}", problem.what());
            assert!(problem.tip().is_some(), "{bad} has a tip");
        }
    }

    #[test]
    fn filters_are_told_from_patterns() {
        for yes in [
            "logger=task",
            "level >= warning",
            "not logger~x",
            "(a=1)",
            "a.b!=c",
        ] {
            assert!(FieldFilter::looks_like(yes), "{yes}");
        }
        for no in ["error", "Task failed", "a\\=b", "=x", "not", "  "] {
            assert!(!FieldFilter::looks_like(no), "{no}");
        }
    }
}
