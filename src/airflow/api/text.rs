//! Airflow 2's log answers: text, or the text of each host as a Python
//! list of `(host, text)` tuples, resumed at a character position; a poll
//! may end in the middle of a line, whose rest the next one brings.

/// Airflow 2's polls as whole lines. Its text never ends with a line
/// break (it joins lines with them), so the last line of a poll waits: the
/// next poll that brings more says whether it was whole (what comes starts
/// with a line break) or half written (what comes is its rest); one that
/// brings nothing lets it be shown, its line break added — and dropped
/// from the next text that starts with it.
#[derive(Debug, Default)]
pub struct TextLines {
    partial: String,
    /// A held line was shown with a line break of ours.
    ended: bool,
}

impl TextLines {
    /// The whole lines of what was held and `text`; the rest is held.
    pub fn take(&mut self, text: &str) -> Vec<u8> {
        let mut text = text;
        if self.ended && !text.is_empty() {
            text = text.strip_prefix('\n').unwrap_or(text);
            self.ended = false;
        }
        if text.is_empty() {
            // Nothing came after it: the held line is whole.
            return self.finish();
        }
        self.partial.push_str(text);
        match self.partial.rfind('\n') {
            Some(end) => {
                let rest = self.partial.split_off(end + 1);
                std::mem::replace(&mut self.partial, rest).into_bytes()
            }
            None => Vec::new(),
        }
    }

    /// What is held, as a line of its own.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut rest = std::mem::take(&mut self.partial).into_bytes();
        if !rest.is_empty() {
            rest.push(b'\n');
            self.ended = true;
        }
        rest
    }
}

/// An answer's `content` as text: Airflow 2's string, or the texts of its
/// `[('host', 'text'), …]` joined.
pub fn content_text(content: String) -> String {
    python_host_texts(&content).unwrap_or(content)
}

/// Airflow 2 answers with a token also once the log has ended; its signed
/// payload (`{"end_of_log": true, "log_pos": …}`) says so.
pub fn ends_the_log(token: &str) -> bool {
    super::shown::payload(token)
        .and_then(|v| v.get("end_of_log")?.as_bool())
        .unwrap_or(false)
}

/// The texts of Airflow 2's `[('host', 'text'), …]` (a Python list's repr),
/// joined; `None` if `content` is not one.
fn python_host_texts(content: &str) -> Option<String> {
    let mut rest = content.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let mut texts = String::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('(')?.trim_start();
        let (_host, after) = python_string(rest)?;
        rest = after.trim_start().strip_prefix(',')?.trim_start();
        let (text, after) = python_string(rest)?;
        texts.push_str(&text);
        rest = after.trim_start().strip_prefix(')')?.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(texts)
}

/// A Python string literal at the start of `s` (quoted with ' or "), with
/// its escapes undone, and what follows it.
fn python_string(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                match escaped {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'x' | 'u' | 'U' => {
                        let digits = match escaped {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..digits)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                }
            }
            c if c == quote => return Some((out, &s[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow_2_content_is_a_python_list_of_host_texts() {
        let content =
            r#"[('vm', ' INFO - ::group::x\n*** it\'s "here"\n\u00e9\x41'), ("w2", 'b\\c')]"#;
        assert_eq!(
            python_host_texts(content).as_deref(),
            Some(" INFO - ::group::x\n*** it's \"here\"\néAb\\c")
        );
        assert_eq!(python_host_texts("plain text"), None);
        assert_eq!(python_host_texts("[('unterminated"), None);
    }

    #[test]
    fn a_token_says_when_the_log_ended() {
        // itsdangerous payloads of Airflow 2.10's answers.
        assert!(ends_the_log(
            "eyJlbmRfb2ZfbG9nIjp0cnVlLCJsb2dfcG9zIjoxMjd9.UvR-P6j23Lh9HZZnhOcoaENnhJg"
        ));
        assert!(!ends_the_log(
            "eyJlbmRfb2ZfbG9nIjpmYWxzZSwibG9nX3BvcyI6MTkwfQ.lmxiRgvvz8A_vIY-mtrYNzHED7I"
        ));
        assert!(!ends_the_log("not a token"));
    }

    #[test]
    fn a_line_cut_between_polls_is_shown_whole_once_its_rest_comes() {
        let mut lines = TextLines::default();
        let mut take = |text: &str| String::from_utf8(lines.take(text)).unwrap();
        assert_eq!(take("[10:00] one\n[10:00] tw"), "[10:00] one\n");
        // Its rest: one line.
        assert_eq!(take("o\n[10:01] three"), "[10:00] two\n");
        // Nothing more came: the held line was whole.
        assert_eq!(take(""), "[10:01] three\n");
        assert_eq!(take(""), "");
        // The line break that joins it to the next is not shown again.
        assert_eq!(take("\n[10:02] four"), "");
        assert_eq!(take(""), "[10:02] four\n");
    }
}
