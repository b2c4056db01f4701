//! Formats and zones for some sources only: `--ts-format 'pod*.log=%d/%b/%Y:%H:%M:%S %z'`,
//! `--tz 'syslog*=Europe/Berlin'`, and the config's `[[format]]` entries
//! (a glob, a pattern, a zone). Fixing one odd file leaves the Airflow log
//! beside it sniffed as before.

use std::path::Path;
use std::sync::Arc;

use super::pattern::Pattern;
use crate::record::timestamp::Zone;

/// Which sources a rule is for: a glob over the file name (`pod*.log`) or,
/// when it holds a `/`, over the path's end (`logs/*/app.log`). `*` and `?`
/// do not cross `/`; `[abc]`, `[a-z]` and `[!a]` are classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    pub fn new(text: &str) -> Self {
        Glob(text.to_string())
    }

    pub fn text(&self) -> &str {
        &self.0
    }

    /// Whether `path` (as given or found) is one of the sources meant.
    pub fn matches(&self, path: &Path) -> bool {
        let path = path.to_string_lossy();
        if !self.0.contains('/') {
            let name = path.rsplit('/').find(|p| !p.is_empty()).unwrap_or(&path);
            return glob_match(self.0.as_bytes(), name.as_bytes());
        }
        // The glob may name the path's end: try it at every `/`.
        std::iter::once(0)
            .chain(path.match_indices('/').map(|(i, _)| i + 1))
            .any(|at| glob_match(self.0.as_bytes(), &path.as_bytes()[at..]))
    }
}

fn glob_match(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    // Where the last `*` was and what it had taken, to back up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match glob.get(g) {
            Some(b'*') => {
                star = Some((g, t));
                g += 1;
                continue;
            }
            Some(b'?') if text[t] != b'/' => Some(g + 1),
            Some(b'[') => class(glob, g, text[t]),
            Some(&c) if c == text[t] => Some(g + 1),
            _ => None,
        };
        match step {
            Some(next) => {
                g = next;
                t += 1;
            }
            None => match star {
                Some((sg, st)) if text[st] != b'/' => {
                    star = Some((sg, st + 1));
                    g = sg + 1;
                    t = st + 1;
                }
                _ => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `glob[g] == '['`; where the
/// glob goes on after it, if `c` is in it.
fn class(glob: &[u8], g: usize, c: u8) -> Option<usize> {
    let mut i = g + 1;
    let negated = matches!(glob.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    loop {
        let &x = glob.get(i)?;
        if x == b']' && !first {
            break;
        }
        first = false;
        if glob.get(i + 1) == Some(&b'-') && glob.get(i + 2).is_some_and(|&y| y != b']') {
            found |= (x..=glob[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= x == c;
            i += 1;
        }
    }
    (found != negated && c != b'/').then_some(i + 1)
}

/// A format and/or zone for the sources a glob names (all sources without one).
#[derive(Clone, Debug)]
pub struct FormatRule {
    pub glob: Option<Glob>,
    pub pattern: Option<Arc<Pattern>>,
    pub zone: Option<Zone>,
}

impl FormatRule {
    /// Whether the rule is for the source at `path`.
    pub fn applies_to(&self, path: &Path) -> bool {
        self.glob.as_ref().is_none_or(|g| g.matches(path))
    }
}

/// Splits `GLOB=VALUE`. The part before the first `=` is a glob when it
/// has no `%` and no space and looks like a file name (holds `*`, `?`, `[`,
/// `.` or `/`); otherwise the whole text is the value (`*=…` gives a value
/// with `=` in it to every source).
pub fn split_glob(text: &str) -> (Option<Glob>, &str) {
    match text.split_once('=') {
        Some((glob, value))
            if !glob.is_empty()
                && !glob.contains(['%', ' '])
                && glob.contains(['*', '?', '[', '.', '/']) =>
        {
            (Some(Glob::new(glob)), value)
        }
        _ => (None, text),
    }
}

/// `--ts-format [GLOB=]PATTERN`.
pub fn parse_ts_format(text: &str) -> Result<FormatRule, String> {
    let (glob, pattern) = split_glob(text);
    Ok(FormatRule {
        glob,
        pattern: Some(Arc::new(Pattern::new(pattern)?)),
        zone: None,
    })
}

/// `--tz [GLOB=]ZONE`: zones never hold `=`, so any `=` splits.
pub fn parse_tz(text: &str) -> Result<(Option<Glob>, Zone), String> {
    match text.split_once('=') {
        Some((glob, zone)) => Ok((Some(Glob::new(glob)), Zone::parse(zone)?)),
        None => Ok((None, Zone::parse(text)?)),
    }
}

/// The pattern and zone for the source at `path`: the first rule with a
/// glob that matches it and says one, else the first rule without a glob.
pub fn for_path(rules: &[FormatRule], path: &Path) -> (Option<Arc<Pattern>>, Option<Zone>) {
    let ordered = rules
        .iter()
        .filter(|r| r.glob.is_some())
        .chain(rules.iter().filter(|r| r.glob.is_none()))
        .filter(|r| r.applies_to(path));
    let (mut pattern, mut zone) = (None, None);
    for rule in ordered {
        if pattern.is_none() {
            pattern.clone_from(&rule.pattern);
        }
        if zone.is_none() {
            zone.clone_from(&rule.zone);
        }
    }
    (pattern, zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = |glob: &str, path: &str| Glob::new(glob).matches(Path::new(path));
        assert!(g("pod*.log", "logs/pod-1.log"));
        assert!(g("pod*.log", "pod.log"));
        assert!(!g("pod*.log", "logs/pod-1.log.gz"));
        assert!(g("*.log", "/var/log/syslog.log"));
        assert!(g("logs/*/app.log", "/srv/logs/web/app.log"));
        assert!(!g("logs/*.log", "/srv/logs/web/app.log"), "* stops at /");
        assert!(g("attempt=?.log", "attempt=1.log"));
        assert!(g("node[0-9].log", "node7.log"));
        assert!(!g("node[!0-9].log", "node7.log"));
        assert!(g("syslog", "/var/log/syslog"));
    }

    #[test]
    fn glob_or_pattern() {
        assert_eq!(split_glob("pod*.log=%s").0, Some(Glob::new("pod*.log")));
        assert_eq!(
            split_glob("time=%Y-%m-%d %H:%M:%S"),
            (None, "time=%Y-%m-%d %H:%M:%S")
        );
        assert_eq!(split_glob("*=time=%s").1, "time=%s");
        assert!(
            parse_ts_format("pod*.log=").is_err(),
            "an empty pattern is refused"
        );
        let (glob, _) = parse_tz("syslog*=Europe/Berlin").expect("zone");
        assert_eq!(glob, Some(Glob::new("syslog*")));
        assert!(parse_tz("x.log=Mars/Olympus").is_err());
    }

    #[test]
    fn a_glob_beats_a_rule_for_every_source() {
        let every = parse_ts_format("%d/%m/%Y %H:%M:%S").expect("valid");
        let pods = parse_ts_format("pod*.log=%s").expect("valid");
        let rules = [every, pods];
        let (p, _) = for_path(&rules, Path::new("pod-1.log"));
        assert_eq!(p.expect("a pattern").text(), "%s");
        let (p, _) = for_path(&rules, Path::new("other.log"));
        assert_eq!(p.expect("a pattern").text(), "%d/%m/%Y %H:%M:%S");
    }
}
