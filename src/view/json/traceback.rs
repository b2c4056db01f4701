//! `error_detail` as Python itself prints the exception
//! (`traceback.format_exception`), the innermost first.
//!
//! `error_detail` is what structlog's `ExceptionDictTransformer` makes of
//! an exception (Airflow's task SDK logs through it, and its supervisor
//! renames `exception` to `error_detail`): a list of stacks, the raised
//! exception first and each next one its `__cause__` (`is_cause`) or its
//! `__context__`. A stack has `exc_type`, `exc_value`, `exc_notes`,
//! `syntax_error`, `frames` (`filename`, `lineno`, `name`) and, for an
//! exception group (`is_group`), `exceptions`: one such list per member.
//! The Airflow UI lists the stacks outer first without saying how they
//! are linked; Python prints the chain from the first exception raised to
//! the last, each after the sentence that says how it came from the one
//! before, and that is the order a reader of a traceback expects.
//!
//! What cannot be the same: structlog keeps no source lines and no
//! module of the type (`ValueError`, never `mymod.MyError`), and Python
//! shows at most 15 members of a group where every member is kept here.

use serde_json::{Map, Value};

/// Python's sentences between chained exceptions (`traceback.py`), with
/// the blank lines around them.
const CAUSE: &str = "\nThe above exception was the direct cause of the following exception:\n";
const CONTEXT: &str = "\nDuring handling of the above exception, another exception occurred:\n";

/// The lines Python prints for `error_detail`'s list of stacks.
pub fn lines(stacks: &[Value]) -> Vec<String> {
    let mut printer = Printer::default();
    printer.chain(stacks);
    printer.out
}

/// Python's `_ExceptionPrintContext`: how deep inside exception groups the
/// printer stands, which sets each line's indent and margin.
#[derive(Default)]
struct Printer {
    /// Exception groups around what is printed (0: outside any).
    depth: usize,
    /// The last member of a group is being printed: the group's closing
    /// line is still owed (a member that is a group itself may close it).
    need_close: bool,
    out: Vec<String>,
}

impl Printer {
    fn indent(&self) -> String {
        " ".repeat(2 * self.depth)
    }

    /// Each line of `text`, indented for the depth and, inside a group,
    /// behind its margin (`+` on a top-level group's first line, else `|`).
    fn emit(&mut self, text: &str, margin: char) {
        let mut prefix = self.indent();
        if self.depth > 0 {
            prefix.push(margin);
            prefix.push(' ');
        }
        for line in text.split('\n') {
            self.out.push(format!("{prefix}{line}"));
        }
    }

    /// A chain, the raised exception first in `stacks`: printed from the
    /// last of them (the first raised), each next after its sentence.
    fn chain(&mut self, stacks: &[Value]) {
        let stacks: Vec<&Map<String, Value>> = stacks.iter().filter_map(Value::as_object).collect();
        for (i, stack) in stacks.iter().enumerate().rev() {
            if let Some(earlier) = stacks.get(i + 1) {
                // The earlier exception is this one's cause or context.
                let is_cause = earlier.get("is_cause").and_then(Value::as_bool) == Some(true);
                self.emit(if is_cause { CAUSE } else { CONTEXT }, '|');
            }
            self.exception(stack);
        }
    }

    /// One exception: its frames, its last lines and, for a group, its
    /// members, each in a numbered box.
    fn exception(&mut self, stack: &Map<String, Value>) {
        let frames = stack
            .get("frames")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if stack.get("is_group").and_then(Value::as_bool) != Some(true) {
            if !frames.is_empty() {
                self.emit("Traceback (most recent call last):", '|');
                self.frames(frames);
            }
            self.exception_only(stack);
            return;
        }
        let members: Vec<&Vec<Value>> = stack
            .get("exceptions")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(Value::as_array).collect())
            .unwrap_or_default();
        let top = self.depth == 0;
        if top {
            self.depth += 1;
        }
        if !frames.is_empty() {
            let margin = if top { '+' } else { '|' };
            self.emit("Exception Group Traceback (most recent call last):", margin);
            self.frames(frames);
        }
        self.exception_only(stack);
        self.need_close = false;
        for (i, member) in members.iter().enumerate() {
            let last = i + 1 == members.len();
            if last {
                self.need_close = true;
            }
            let corner = if i == 0 { "+-" } else { "  " };
            let title = format!(
                "{}{corner}+---------------- {} ----------------",
                self.indent(),
                i + 1
            );
            self.out.push(title);
            self.depth += 1;
            self.chain(member);
            if last && self.need_close {
                let close = format!("{}+------------------------------------", self.indent());
                self.out.push(close);
                self.need_close = false;
            }
            self.depth -= 1;
        }
        if top {
            self.depth = 0;
        }
    }

    /// `  File "…", line N, in name` for each frame.
    fn frames(&mut self, frames: &[Value]) {
        for frame in frames.iter().filter_map(Value::as_object) {
            let file = frame.get("filename").and_then(Value::as_str).unwrap_or("?");
            let name = frame.get("name").and_then(Value::as_str).unwrap_or("?");
            let line = frame.get("lineno").map_or_else(|| "?".into(), python_str);
            if file.is_empty() && line == "-1" {
                // structlog's stand-in for the middle of a stack too long
                // to keep ("Skipped frames: N"), in Python's brackets.
                self.emit(&format!("  [{name}]"), '|');
            } else {
                self.emit(&format!("  File \"{file}\", line {line}, in {name}"), '|');
            }
        }
    }

    /// Python's `format_exception_only`: a `SyntaxError`'s place and
    /// caret, `Type: message` (the type alone for an empty message), and
    /// the exception's notes.
    fn exception_only(&mut self, stack: &Map<String, Value>) {
        let exc_type = stack.get("exc_type").map_or_else(|| "?".into(), python_str);
        let mut message = stack.get("exc_value").map(python_str).unwrap_or_default();
        if let Some(syntax) = stack.get("syntax_error").and_then(Value::as_object) {
            self.syntax_error(syntax);
            message = syntax
                .get("msg")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .unwrap_or("<no detail available>")
                .to_string();
        }
        if message.is_empty() {
            self.emit(&exc_type, '|');
        } else {
            self.emit(&format!("{exc_type}: {message}"), '|');
        }
        let notes = stack.get("exc_notes").and_then(Value::as_array);
        for note in notes.into_iter().flatten() {
            self.emit(&python_str(note), '|');
        }
    }

    /// Where a `SyntaxError` is: its file and line, the code, and a caret
    /// under the column (structlog keeps the start column only).
    fn syntax_error(&mut self, syntax: &Map<String, Value>) {
        let file = syntax.get("filename").map(python_str).unwrap_or_default();
        let line = syntax.get("lineno").map(python_str).unwrap_or_default();
        self.emit(&format!("  File \"{file}\", line {line}"), '|');
        let code = syntax.get("line").and_then(Value::as_str).unwrap_or("");
        let code = code.trim_end_matches('\n');
        let stripped = code.trim_start_matches([' ', '\n', '\x0c']);
        if stripped.is_empty() {
            return;
        }
        self.emit(&format!("    {stripped}"), '|');
        let spaces = code.chars().count() - stripped.chars().count();
        let offset = syntax.get("offset").and_then(Value::as_i64).unwrap_or(0);
        let Ok(column) = usize::try_from(offset - 1 - spaces as i64) else {
            return;
        };
        // Whitespace before the caret as in the code (a tab stays a tab).
        let before: String = stripped
            .chars()
            .take(column)
            .map(|c| if c.is_whitespace() { c } else { ' ' })
            .collect();
        self.emit(&format!("    {before}^"), '|');
    }
}

/// A value as Python's `str` shows it: a string as it is, `None` for null.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}
