//! The config file: what a user sets once — default zone and threads,
//! theme and key overrides, named Airflow deployments.
//!
//! Precedence, for every setting: a flag, then the environment, then this
//! file, then the built-in default. The file is TOML:
//!
//! ```toml
//! tz = "Europe/Berlin"          # like --tz / LOGWEAVE_TZ
//! display_tz = "local"          # like --display-tz / LOGWEAVE_DISPLAY_TZ
//! threads = 2                   # like --threads / LOGWEAVE_THREADS
//! reorder_window = "5s"         # like --reorder-window / LOGWEAVE_REORDER_WINDOW
//! dedup = "copies"              # or "always" (--dedup), "never" (--no-dedup)
//! profile = "prod"              # the deployment `logweave airflow` uses by default
//!
//! [theme]                       # lines of assets/theme.txt: element = "style"
//! error = "lightred bold"
//!
//! [keys]                        # lines of assets/keymap.txt: action = "keys"
//! quit = "q C-c"
//!
//! [filters]                     # named filter sets: --where @quiet, &@quiet
//! quiet = 'not event~"DAG bundles loaded" and not logger~dag_processing'
//!
//! [[format]]                    # like --ts-format / --tz GLOB=…
//! glob = "pod*.log"
//! pattern = "%d/%b/%Y:%H:%M:%S %z"
//! tz = "Europe/Berlin"
//!
//! [airflow.prod]                # logweave airflow --profile prod
//! api = "https://airflow.example.com"          # read through the REST API, as
//! api_user = "jane"                            # --api / --api-user
//! base_log_folder = "/opt/airflow/logs"
//! remote = "s3://airflow-logs/prod"
//! log_server = "worker-1"
//! triggerer_log_server = "triggerer-1"
//! secret_key_env = "AIRFLOW_PROD_SECRET_KEY"   # or secret_key_command, or secret_key
//! elasticsearch = "https://es.internal:9200"   # or opensearch = "…" (credentials
//! index_patterns = "airflow-logs-*"            # from the environment only);
//! log_id_template = "{dag_id}-{task_id}-{run_id}-{map_index}-{try_number}"
//! log_format = "[%(asctime)s] %(levelname)s - %(message)s"   # JSON-mode documents
//! filter = "quiet"                             # a [filters] set on by default
//! ```
//!
//! Every error names the file and the line, and the key or the text there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// What went wrong with the config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file '{path}': {message}")]
    Unreadable { path: String, message: String },
    /// A syntax error, an unknown key or a value of the wrong type.
    #[error("config file {path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
    #[error("config file {path}: no [airflow.{name}] profile ({known})")]
    NoProfile {
        path: String,
        name: String,
        known: String,
    },
    #[error("config file {path}: [airflow.{profile}] {message}")]
    Secret {
        path: String,
        profile: String,
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    tz: Option<Spanned<String>>,
    display_tz: Option<Spanned<String>>,
    threads: Option<usize>,
    reorder_window: Option<Spanned<String>>,
    dedup: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    #[serde(default)]
    theme: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    keys: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    airflow: BTreeMap<String, AirflowProfile>,
    #[serde(default)]
    format: Vec<Spanned<RawFormat>>,
    #[serde(default)]
    filters: BTreeMap<String, Spanned<String>>,
}

/// A `[[format]]` entry: the timestamp pattern and/or zone of the sources a
/// glob names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormat {
    glob: String,
    pattern: Option<String>,
    tz: Option<String>,
}

/// A named Airflow deployment: what `logweave airflow --profile NAME`
/// fills in where no flag or environment variable says otherwise.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AirflowProfile {
    /// The Airflow UI's address, for reading logs through its REST API.
    pub api: Option<String>,
    /// The user name to log in to the API with (the password comes from
    /// AIRFLOW_API_PASSWORD or a prompt, never from this file).
    pub api_user: Option<String>,
    pub base_log_folder: Option<PathBuf>,
    pub remote: Option<String>,
    pub log_server: Option<String>,
    pub triggerer_log_server: Option<String>,
    /// The environment variable that holds the log server's secret key.
    pub secret_key_env: Option<String>,
    /// A command (run with `sh -c`) that prints the secret key, e.g.
    /// `pass show airflow/prod` or a cloud secret manager's CLI.
    pub secret_key_command: Option<String>,
    /// The secret key itself: the file must then be readable by its owner
    /// only (logweave warns otherwise).
    pub secret_key: Option<String>,
    // Elasticsearch/OpenSearch task handlers (issue 29): --elasticsearch,
    // --opensearch, --index-patterns, --log-id-template, --log-format.
    pub elasticsearch: Option<String>,
    pub opensearch: Option<String>,
    pub index_patterns: Option<String>,
    pub log_id_template: Option<String>,
    pub log_format: Option<String>,
    /// A `[filters]` set on by default under this profile (issue 30:
    /// hide Airflow's boilerplate); `--where ''` turns it off.
    pub filter: Option<String>,
}

/// The settings of a config file (empty when there is none).
#[derive(Debug, Default)]
pub struct Config {
    /// The file they came from, if any.
    pub path: Option<PathBuf>,
    /// Default for `--tz` (already checked to be a zone).
    pub tz: Option<String>,
    /// Default for `--display-tz` (already checked to be a zone).
    pub display_tz: Option<String>,
    pub threads: Option<usize>,
    /// Default for `--reorder-window` (already checked).
    pub reorder_window: Option<std::time::Duration>,
    /// Which sources dedup joins when neither `--dedup` nor `--no-dedup` is given.
    pub dedup: Option<crate::merge::copies::DedupMode>,
    /// Theme lines (`element`, `style`), after the built-in theme.
    pub theme: Vec<(String, String)>,
    /// Key bindings (`action`, `keys`) that replace the built-in ones.
    pub keys: Vec<(String, String)>,
    /// The profile `logweave airflow` uses without `--profile`.
    pub default_profile: Option<String>,
    profiles: BTreeMap<String, AirflowProfile>,
    /// Said on stderr once the file is read (a secret in a file others can read).
    pub warnings: Vec<String>,
    /// `[[format]]` entries: patterns and zones for some sources, checked.
    pub formats: Vec<crate::record::format::rules::FormatRule>,
    /// `[filters]`: named field filters (`--where @NAME`), each checked.
    pub filters: BTreeMap<String, String>,
}

impl Config {
    /// The file to read: `explicit` (`--config` or `LOGWEAVE_CONFIG`), else
    /// `$XDG_CONFIG_HOME/logweave/config.toml`, else
    /// `~/.config/logweave/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("logweave").join("config.toml"))
    }

    /// Reads the config file named by `explicit`, else the default one if
    /// it exists.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => match Self::default_path() {
                Some(path) if path.exists() => path,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Unreadable {
            path: path.display().to_string(),
            message: crate::source::describe_io_error(&e),
        })?;
        let mut config = Self::parse(&path, &text)?;
        if config.holds_a_secret() && readable_by_others(&path) {
            config.warnings.push(format!(
                "{} holds a secret key and other users can read it: chmod 600 '{}' \
                 (or use secret_key_env / secret_key_command)",
                path.display(),
                path.display()
            ));
        }
        Ok(config)
    }

    /// Parses `text`, the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
            let line = span.map_or(1, |span| line_of(text, span.start));
            let at = text.lines().nth(line - 1).unwrap_or("").trim();
            ConfigError::Invalid {
                path: shown.clone(),
                line,
                message: if message.contains(at) || at.is_empty() {
                    message
                } else {
                    format!("{message} (at `{at}`)")
                },
            }
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| invalid(e.span(), e.message().trim().to_string()))?;
        for (key, zone) in [("tz", &raw.tz), ("display_tz", &raw.display_tz)] {
            if let Some(zone) = zone {
                if let Err(e) = crate::record::timestamp::Zone::parse(zone.get_ref()) {
                    return Err(invalid(Some(zone.span()), format!("{key}: {e}")));
                }
            }
        }
        let reorder_window = match &raw.reorder_window {
            Some(window) => Some(
                crate::cli::parse_window(window.get_ref())
                    .map_err(|e| invalid(Some(window.span()), format!("reorder_window: {e}")))?,
            ),
            None => None,
        };
        let dedup = match &raw.dedup {
            Some(mode) => Some(
                mode.get_ref()
                    .parse()
                    .map_err(|e| invalid(Some(mode.span()), format!("dedup: {e}")))?,
            ),
            None => None,
        };
        for (element, style) in &raw.theme {
            crate::view::theme::check(element, style.get_ref())
                .map_err(|e| invalid(Some(style.span()), format!("theme.{element}: {e}")))?;
        }
        for (action, keys) in &raw.keys {
            crate::view::keymap::check(action, keys.get_ref())
                .map_err(|e| invalid(Some(keys.span()), format!("keys.{action}: {e}")))?;
        }
        let mut formats = Vec::new();
        for entry in &raw.format {
            let span = Some(entry.span());
            let entry = entry.get_ref();
            let pattern = entry
                .pattern
                .as_deref()
                .map(crate::record::format::Pattern::new)
                .transpose()
                .map_err(|e| invalid(span.clone(), format!("format.pattern: {e}")))?;
            let zone = entry
                .tz
                .as_deref()
                .map(crate::record::timestamp::Zone::parse)
                .transpose()
                .map_err(|e| invalid(span.clone(), format!("format.tz: {e}")))?;
            if pattern.is_none() && zone.is_none() {
                return Err(invalid(
                    span,
                    format!("format '{}': give a pattern, a tz or both", entry.glob),
                ));
            }
            formats.push(crate::record::format::rules::FormatRule {
                glob: Some(crate::record::format::rules::Glob::new(&entry.glob)),
                pattern: pattern.map(std::sync::Arc::new),
                zone,
            });
        }
        for (name, expr) in &raw.filters {
            crate::search::expr::FieldFilter::parse(expr.get_ref()).map_err(|p| {
                invalid(
                    Some(expr.span()),
                    format!("filters.{name}: {}", p.one_line()),
                )
            })?;
        }
        for (name, profile) in &raw.airflow {
            if let Some(filter) = &profile.filter {
                if !raw.filters.contains_key(filter) {
                    let at = text.find(&format!("[airflow.{name}]"));
                    return Err(invalid(
                        at.map(|at| at..at),
                        format!("airflow.{name}.filter: no '{filter}' in [filters]"),
                    ));
                }
            }
        }
        if let Some(profile) = &raw.profile {
            if !raw.airflow.contains_key(profile.get_ref()) {
                return Err(invalid(
                    Some(profile.span()),
                    format!("profile: no [airflow.{}] in this file", profile.get_ref()),
                ));
            }
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            tz: raw.tz.map(Spanned::into_inner),
            display_tz: raw.display_tz.map(Spanned::into_inner),
            threads: raw.threads,
            reorder_window,
            dedup,
            theme: pairs(raw.theme),
            keys: pairs(raw.keys),
            default_profile: raw.profile.map(Spanned::into_inner),
            profiles: raw.airflow,
            warnings: Vec::new(),
            formats,
            filters: raw
                .filters
                .into_iter()
                .map(|(k, v)| (k, v.into_inner()))
                .collect(),
        })
    }

    /// The profile `name` (or the default one when `name` is `None`); `None`
    /// when neither names one.
    pub fn profile(&self, name: Option<&str>) -> Result<Option<Profile<'_>>, ConfigError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(None);
        };
        match self.profiles.get_key_value(name) {
            Some((name, settings)) => Ok(Some(Profile {
                name,
                settings,
                file: self.path.as_deref().unwrap_or(Path::new("config.toml")),
            })),
            None => Err(ConfigError::NoProfile {
                path: self.shown_path(),
                name: name.to_string(),
                known: match self.profiles.keys().map(String::as_str).collect::<Vec<_>>() {
                    known if known.is_empty() => "it has none".to_string(),
                    known => format!("it has {}", known.join(", ")),
                },
            }),
        }
    }

    fn shown_path(&self) -> String {
        self.path.as_ref().map_or_else(
            || Self::default_path().map_or_else(|| "(none)".into(), |p| p.display().to_string()),
            |p| p.display().to_string(),
        )
    }

    fn holds_a_secret(&self) -> bool {
        self.profiles.values().any(|p| p.secret_key.is_some())
    }
}

/// One named deployment of a config file.
#[derive(Clone, Copy, Debug)]
pub struct Profile<'a> {
    pub name: &'a str,
    pub settings: &'a AirflowProfile,
    file: &'a Path,
}

impl Profile<'_> {
    /// The log server's secret key as the profile gives it: from the
    /// environment variable it names, the command it names, or the file.
    pub fn secret_key(&self) -> Result<Option<String>, ConfigError> {
        let fail = |message: String| ConfigError::Secret {
            path: self.file.display().to_string(),
            profile: self.name.to_string(),
            message,
        };
        let p = self.settings;
        if let Some(var) = &p.secret_key_env {
            return match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(Some(value)),
                _ => Err(fail(format!("secret_key_env: ${var} is not set"))),
            };
        }
        if let Some(command) = &p.secret_key_command {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(|e| fail(format!("secret_key_command: cannot run sh: {e}")))?;
            if !out.status.success() {
                return Err(fail(format!(
                    "secret_key_command `{command}` failed ({})",
                    out.status
                )));
            }
            let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if key.is_empty() {
                return Err(fail(format!(
                    "secret_key_command `{command}` printed nothing"
                )));
            }
            return Ok(Some(key));
        }
        Ok(p.secret_key.clone())
    }
}

fn pairs(map: BTreeMap<String, Spanned<String>>) -> Vec<(String, String)> {
    map.into_iter().map(|(k, v)| (k, v.into_inner())).collect()
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("config.toml"), text)
    }

    #[test]
    fn a_full_file_parses() {
        let config = parse(
            "tz = \"Europe/Berlin\"\nthreads = 2\nprofile = \"prod\"\ndedup = \"never\"\n\
             [theme]\nerror = \"red bold\"\n[keys]\nquit = \"x C-c\"\n\
             [airflow.prod]\nremote = \"s3://b/logs\"\nsecret_key_env = \"K\"\n",
        )
        .expect("valid");
        assert_eq!(config.tz.as_deref(), Some("Europe/Berlin"));
        assert_eq!(config.threads, Some(2));
        assert_eq!(config.dedup, Some(crate::merge::copies::DedupMode::Never));
        assert_eq!(config.theme, vec![("error".into(), "red bold".into())]);
        assert_eq!(config.keys, vec![("quit".into(), "x C-c".into())]);
        let profile = config.profile(None).expect("known").expect("default");
        assert_eq!(profile.name, "prod");
        assert_eq!(profile.settings.remote.as_deref(), Some("s3://b/logs"));
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let cases = [
            ("threads = 2\ntz = \"Mars/Olympus\"\n", 2, "tz"),
            ("threads = \"many\"\n", 1, "threads"),
            ("\n\nzone = \"UTC\"\n", 3, "zone"),
            ("[keys]\nquit = \"q\"\nfly = \"x\"\n", 3, "keys.fly"),
            ("[keys]\nquit = \"C-Whatever\"\n", 2, "keys.quit"),
            ("[theme]\nerror = \"reddish\"\n", 2, "theme.error"),
            (
                "[airflow.prod]\nremote = \"s3://x\"\nbase = \"/x\"\n",
                3,
                "base",
            ),
            ("profile = \"qa\"\n", 1, "profile"),
            ("\ndedup = \"sometimes\"\n", 2, "dedup"),
            ("tz = \"UTC\"\nthreads = [\n", 2, "threads"),
        ];
        for (text, line, key) in cases {
            let err = parse(text).expect_err(text).to_string();
            assert!(
                err.starts_with(&format!("config file config.toml:{line}: ")),
                "{text:?}: {err}"
            );
            assert!(err.contains(key), "{text:?} should name {key}: {err}");
        }
    }

    #[test]
    fn an_unknown_profile_lists_the_known_ones() {
        let config = parse("[airflow.prod]\n[airflow.qa]\n").expect("valid");
        let err = config.profile(Some("staging")).expect_err("unknown");
        assert!(err.to_string().contains("it has prod, qa"), "{err}");
        assert!(config.profile(None).expect("no default").is_none());
    }

    #[test]
    fn the_secret_comes_from_the_env_var_or_the_command_it_names() {
        let config = parse(
            "[airflow.cmd]\nsecret_key_command = \"echo s3cr3t\"\n\
             [airflow.bad]\nsecret_key_command = \"exit 3\"\n\
             [airflow.env]\nsecret_key_env = \"LOGWEAVE_TEST_UNSET_VARIABLE\"\n",
        )
        .expect("valid");
        let secret = |name| config.profile(Some(name)).expect("known").expect("some");
        assert_eq!(
            secret("cmd").secret_key().expect("runs").as_deref(),
            Some("s3cr3t")
        );
        let err = secret("bad").secret_key().expect_err("fails").to_string();
        assert!(err.contains("[airflow.bad] secret_key_command"), "{err}");
        let err = secret("env").secret_key().expect_err("unset").to_string();
        assert!(
            err.contains("LOGWEAVE_TEST_UNSET_VARIABLE is not set"),
            "{err}"
        );
    }
}
