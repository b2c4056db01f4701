//! The `&` prompt: what is typed becomes a pattern filter, a field filter
//! or a `[filters]` set of the config (`&@NAME`); Tab completes a field
//! name, or the value after `name=` / `name~`, from what has been seen —
//! the fields of the records on screen, and the `logger` and level values
//! the overview counted. No list of everything is kept: the screen and the
//! facets are bounded.

use std::collections::BTreeSet;

use crate::record::fields;
use crate::search::expr::OPERATORS;

use super::App;
use crate::engine::{Command, PatternKind};

/// Where the word being completed starts, and whether it is a value (the
/// field it belongs to) or a field name.
fn word_being_typed(input: &str) -> (usize, Option<&str>) {
    let start = input
        .rfind(|c: char| c.is_whitespace() || c == '(')
        .map_or(0, |i| i + 1);
    let word = &input[start..];
    for op in OPERATORS {
        if let Some(at) = word.find(op) {
            let name = &word[..at];
            return (start + at + op.len(), Some(name));
        }
    }
    (start, None)
}

impl App {
    /// Enter in the `&` prompt.
    pub(super) fn submit_filter(&mut self, text: String, pattern: PatternKind) -> Vec<Command> {
        let (exclude, body) = match text.strip_prefix('!') {
            Some(hidden) if !hidden.is_empty() => (true, hidden),
            _ => (false, text.as_str()),
        };
        if let Some(name) = body.strip_prefix('@') {
            // A `[filters]` set of the config, by name.
            return match self.named_filters.get(name) {
                Some(expr) => vec![Command::AddFilter {
                    pattern: expr.clone(),
                    kind: PatternKind::Regex,
                    exclude,
                }],
                None => {
                    let known: Vec<&str> = self.named_filters.keys().map(String::as_str).collect();
                    self.note = Some(match known.is_empty() {
                        true => format!("&@{name}: the config file has no [filters]"),
                        false => format!(
                            "&@{name}: no such filter (the config has {})",
                            known.join(", ")
                        ),
                    });
                    Vec::new()
                }
            };
        }
        self.filter_command(text, pattern)
    }

    /// `&pattern`, `&!pattern`, `&field=value`.
    fn filter_command(&self, text: String, pattern: PatternKind) -> Vec<Command> {
        match text.strip_prefix('!') {
            Some(hidden) if !hidden.is_empty() => vec![Command::AddFilter {
                pattern: hidden.to_string(),
                kind: pattern,
                exclude: true,
            }],
            _ => vec![Command::AddFilter {
                pattern: text,
                kind: pattern,
                exclude: false,
            }],
        }
    }

    /// Completes the filter being typed as far as the candidates agree;
    /// the input, and a few candidates to show when several fit.
    pub(super) fn complete_filter(&self, input: &str) -> (String, Vec<String>) {
        let (start, field) = word_being_typed(input);
        let typed = input[start..].trim_start_matches('"');
        let candidates = self.seen(field);
        let fitting: Vec<&String> = candidates.iter().filter(|c| c.starts_with(typed)).collect();
        let Some(first) = fitting.first() else {
            return (input.to_string(), Vec::new());
        };
        let mut common = first.len();
        for other in &fitting[1..] {
            common = first
                .bytes()
                .zip(other.bytes())
                .take(common)
                .take_while(|(a, b)| a == b)
                .count();
        }
        while !first.is_char_boundary(common) {
            common -= 1;
        }
        let value = &first[..common];
        let quote = field.is_some() && value.contains(|c: char| c.is_whitespace() || c == ')');
        let completed = if quote {
            format!("{}\"{}", &input[..start], value.replace('"', "\\\""))
        } else {
            format!("{}{}", &input[..start], value)
        };
        let shown = if fitting.len() > 1 {
            fitting.iter().take(8).map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        (completed, shown)
    }

    /// Field names (`field` `None`) or the values of `field` seen: on
    /// screen, and for `logger` and `level` in the facets.
    fn seen(&self, field: Option<&str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        for line in self.frame.lines.iter().filter(|l| l.first) {
            fields::for_each(&line.text, |f| match field {
                None => {
                    seen.insert(f.name());
                }
                Some(name) if f.is_named(name) => {
                    seen.insert(fields::text(f.value).into_owned());
                }
                Some(_) => {}
            });
        }
        match field {
            None => {
                seen.insert("level".into());
                if self
                    .frame
                    .facets
                    .as_ref()
                    .is_some_and(|f| !f.loggers.is_empty())
                {
                    seen.insert("logger".into());
                }
            }
            Some(name) => {
                let facets = self.facet_rows();
                seen.extend(
                    facets
                        .into_iter()
                        .filter(|f| f.field == name && f.value != "-")
                        .map(|f| f.value.to_lowercase()),
                );
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_being_typed_is_a_name_or_a_fields_value() {
        assert_eq!(word_being_typed("log"), (0, None));
        assert_eq!(word_being_typed("logger=ta"), (7, Some("logger")));
        assert_eq!(word_being_typed("a=1 and (lev"), (9, None));
        assert_eq!(word_being_typed("not level>=wa"), (11, Some("level")));
        assert_eq!(word_being_typed("x~"), (2, Some("x")));
    }
}
