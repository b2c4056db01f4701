//! What went wrong with one source, said the same way on stderr and in the
//! status bar: what failed, since when, and what to check.
//!
//! A problem is made where the failure is understood (an HTTP status, an
//! OS error, a missing secret) and carries its tip from there; the places
//! that show it only choose the layout. hl's errors with their tips are the
//! model.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::time::SystemTime;

use crate::escape::printable;

/// One source's problem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Problem {
    what: String,
    tip: Option<Cow<'static, str>>,
    since: Option<SystemTime>,
}

impl Problem {
    /// A problem described by `what` (lower case, no final stop: it follows
    /// a colon).
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            tip: None,
            since: None,
        }
    }

    /// An OS error as `cat` would name it, with a tip where the fix is the
    /// user's to make.
    pub fn io(e: &io::Error) -> Self {
        let problem = Self::new(describe_io_error(e));
        match e.kind() {
            io::ErrorKind::PermissionDenied => {
                problem.with_tip("check that you may read the file and enter the folders above it")
            }
            _ => problem,
        }
    }

    /// What the user can check or do about it.
    pub fn with_tip(mut self, tip: impl Into<Cow<'static, str>>) -> Self {
        self.tip = Some(tip.into());
        self
    }

    /// Marks when the trouble began (background work: retries, a download).
    pub fn since(mut self, when: SystemTime) -> Self {
        self.since = Some(when);
        self
    }

    /// The same problem with `what` rewritten (a prefix, a suffix), its tip
    /// and start kept.
    pub fn map_what(mut self, f: impl FnOnce(String) -> String) -> Self {
        self.what = f(self.what);
        self
    }

    /// Names the source in front (`{shown}: {what}`) unless `what` starts
    /// with its label already (remote errors name their location).
    pub fn about(self, label: &str, shown: &str) -> Self {
        if self.what.starts_with(label) {
            self
        } else {
            self.map_what(|what| format!("{shown}: {what}"))
        }
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    pub fn tip(&self) -> Option<&str> {
        self.tip.as_deref()
    }

    pub fn started(&self) -> Option<SystemTime> {
        self.since
    }

    /// For stderr: `logweave: {what}`, and the tip on a line of its own.
    pub fn for_stderr(&self) -> String {
        match &self.tip {
            Some(tip) => format!(
                "logweave: {}\n  tip: {}",
                printable(&self.what),
                printable(tip)
            ),
            None => format!("logweave: {}", printable(&self.what)),
        }
    }

    /// For the status bar: one line, what matters first where it is cut
    /// short: what failed, the tip, then since when (local wall-clock time)
    /// for trouble that goes on.
    pub fn one_line(&self) -> String {
        let mut line = self.what.clone();
        if let Some(tip) = &self.tip {
            line.push_str(" — ");
            line.push_str(tip);
        }
        if let Some(since) = self.since {
            let local: chrono::DateTime<chrono::Local> = since.into();
            line.push_str(&format!(" (since {})", local.format("%H:%M:%S")));
        }
        line
    }
}

impl fmt::Display for Problem {
    /// What failed, without the tip.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// `std::io::Error`'s Display appends "(os error 2)"; users expect the plain
/// strerror text that `cat` prints.
pub fn describe_io_error(e: &io::Error) -> String {
    without_os_error(e.to_string())
}

/// `text` without the " (os error N)" that Rust appends to OS errors.
pub fn without_os_error(text: String) -> String {
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_like_cat_and_permission_errors_say_what_to_check() {
        let missing = Problem::io(&io::Error::from_raw_os_error(2));
        assert_eq!(missing.what(), "No such file or directory");
        assert_eq!(missing.tip(), None);
        let denied = Problem::io(&io::Error::from_raw_os_error(13));
        assert_eq!(denied.what(), "Permission denied");
        assert!(denied.tip().is_some_and(|t| t.contains("read the file")));
    }

    #[test]
    fn stderr_puts_the_tip_on_its_own_line_and_the_status_bar_on_one() {
        let problem = Problem::new("refused (403 Forbidden)").with_tip("check the key");
        assert_eq!(
            problem.for_stderr(),
            "logweave: refused (403 Forbidden)\n  tip: check the key"
        );
        assert_eq!(
            problem.one_line(),
            "refused (403 Forbidden) — check the key"
        );
        assert_eq!(problem.to_string(), "refused (403 Forbidden)");
        let since = problem.since(SystemTime::UNIX_EPOCH).one_line();
        assert!(
            since.starts_with("refused (403 Forbidden) — check the key (since "),
            "{since}"
        );
    }

    #[test]
    fn naming_the_source_once() {
        let problem = Problem::new("connection refused");
        assert_eq!(
            problem.clone().about("s3://b/k", "'s3://b/k'").what(),
            "'s3://b/k': connection refused"
        );
        let named = Problem::new("s3://b/k: connection refused");
        assert_eq!(
            named.about("s3://b/k", "'s3://b/k'").what(),
            "s3://b/k: connection refused"
        );
    }
}
