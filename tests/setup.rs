//! Setting logweave up: the config file and its precedence (flag >
//! environment > file > default), its errors, shell completions in a real
//! bash, the man pages, `--version` — through the real binary.

#[path = "e2e/harness.rs"]
mod harness;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::{path, Tui};

/// A home of its own, so no developer's config or Airflow settings leak in.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the default config file (`$XDG_CONFIG_HOME/logweave/config.toml`).
    fn config(&self, text: &str) -> PathBuf {
        let file = self.path().join("xdg/logweave/config.toml");
        fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs::write(&file, text).expect("write config");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod");
        file
    }

    fn logweave(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_logweave"));
        cmd.env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("xdg"))
            .env("AIRFLOW_HOME", self.path().join("airflow"))
            .env("TZ", "UTC");
        for var in [
            "LOGWEAVE_CONFIG",
            "LOGWEAVE_TZ",
            "LOGWEAVE_THREADS",
            "LOGWEAVE_PROFILE",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
            "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW__WEBSERVER__SECRET_KEY",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two logs whose order depends on the zone of the naive one: at UTC the
/// naive 10:00 comes after 09:30Z; at +01:00 it is 09:00Z and comes first.
fn zone_sensitive_logs(dir: &Path) -> (PathBuf, PathBuf) {
    let naive = dir.join("naive.log");
    let utc = dir.join("utc.log");
    fs::write(&naive, "2024-12-20 10:00:00,000 naive\n").expect("write");
    fs::write(&utc, "2024-12-20T09:30:00Z utc\n").expect("write");
    (naive, utc)
}

fn first_line(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run logweave");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().next().unwrap_or_default().to_string()
}

#[test]
fn tz_comes_from_the_flag_then_the_environment_then_the_config_file_then_utc() {
    let home = Home::new();
    let (naive, utc) = zone_sensitive_logs(home.path());
    let sources = [path(&naive), path(&utc)];
    let print = |cmd: &mut Command| {
        cmd.arg("--print").args(sources);
        first_line(cmd)
    };
    // Default: UTC.
    assert!(print(&mut home.logweave()).ends_with("utc"));
    // The config file says +01:00.
    home.config("tz = \"+01:00\"\n");
    assert!(print(&mut home.logweave()).ends_with("naive"));
    // The environment beats the file.
    assert!(print(home.logweave().env("LOGWEAVE_TZ", "UTC")).ends_with("utc"));
    // The flag beats the environment.
    assert!(print(
        home.logweave()
            .env("LOGWEAVE_TZ", "UTC")
            .args(["--tz", "+01:00"])
    )
    .ends_with("naive"));
    // --config (and LOGWEAVE_CONFIG) name another file.
    let other = home.path().join("other.toml");
    fs::write(&other, "tz = \"UTC\"\n").expect("write");
    assert!(print(home.logweave().args(["--config", path(&other)])).ends_with("utc"));
    assert!(print(home.logweave().env("LOGWEAVE_CONFIG", &other)).ends_with("utc"));
}

/// An attempt's log under `base` with one line saying `which`.
fn attempt_in(base: &Path, which: &str) {
    let dir = base.join("dag_id=etl/run_id=r1/task_id=extract");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(
        dir.join("attempt=1.log"),
        format!("[2024-12-20T10:00:00.000+0000] {{x.py:1}} INFO - from the {which} folder\n"),
    )
    .expect("write");
}

#[test]
fn an_airflow_profile_fills_in_what_flags_and_the_environment_leave_open() {
    let home = Home::new();
    for which in ["profile", "env", "flag"] {
        attempt_in(&home.path().join(which), which);
    }
    let profile_dir = home.path().join("profile");
    home.config(&format!(
        "[airflow.prod]\nbase_log_folder = '{}'\n[airflow.qa]\n",
        profile_dir.display()
    ));
    let ids = [
        "--dag", "etl", "--run", "r1", "--task", "extract", "--print",
    ];
    let env_dir = home.path().join("env");
    let flag_dir = home.path().join("flag");
    let shown = |extra: &[&str], env: Option<&Path>| {
        let mut cmd = home.logweave();
        cmd.arg("airflow").args(ids).args(extra);
        if let Some(dir) = env {
            cmd.env("AIRFLOW__LOGGING__BASE_LOG_FOLDER", dir);
        }
        first_line(&mut cmd)
    };
    assert!(shown(&["--profile", "prod"], None).ends_with("from the profile folder"));
    // The environment beats the profile, the flag beats both.
    assert!(shown(&["--profile", "prod"], Some(&env_dir)).ends_with("from the env folder"));
    let flagged = ["--profile", "prod", "--base-log-folder", path(&flag_dir)];
    assert!(shown(&flagged, Some(&env_dir)).ends_with("from the flag folder"));
    // LOGWEAVE_PROFILE names it too.
    let mut cmd = home.logweave();
    cmd.arg("airflow").args(ids).env("LOGWEAVE_PROFILE", "prod");
    assert!(first_line(&mut cmd).ends_with("from the profile folder"));
    // A default profile in the file applies without --profile.
    home.config(&format!(
        "profile = \"prod\"\n[airflow.prod]\nbase_log_folder = '{}'\n",
        profile_dir.display()
    ));
    assert!(shown(&[], None).ends_with("from the profile folder"));
    // An unknown profile says which there are.
    let out = home
        .logweave()
        .args(["airflow", "--profile", "staging"])
        .args(ids)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no [airflow.staging] profile (it has prod)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failing_secret_command_is_a_clear_error() {
    let home = Home::new();
    attempt_in(&home.path().join("logs"), "profile");
    home.config(&format!(
        "[airflow.prod]\nbase_log_folder = '{}'\nsecret_key_command = 'exit 7'\n\
         log_server = 'http://127.0.0.1:9'\n",
        home.path().join("logs").display()
    ));
    let out = home
        .logweave()
        .args([
            "airflow",
            "--profile",
            "prod",
            "--dag",
            "etl",
            "--run",
            "r1",
        ])
        .args(["--task", "extract", "--try", "1", "--print"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[airflow.prod] secret_key_command `exit 7` failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_errors_name_the_file_line_and_key_and_exit_2() {
    let home = Home::new();
    let (naive, _) = zone_sensitive_logs(home.path());
    let file = home.config("threads = 2\n[keys]\nquit = \"q\"\nteleport = \"t\"\n");
    let out = home
        .logweave()
        .args(["--print", path(&naive)])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("logweave: config file {}:4: ", file.display())),
        "{err}"
    );
    assert!(err.contains("teleport"), "{err}");
    // A syntax error too.
    home.config("tz = \"UTC\"\nthreads = = 2\n");
    let err = stderr(
        &home
            .logweave()
            .args(["--print", path(&naive)])
            .output()
            .expect("run"),
    );
    assert!(err.contains("config.toml:2: "), "{err}");
    // A config file named but missing is an error; the default one missing is not.
    let out = home
        .logweave()
        .args([
            "--config",
            "/nonexistent/logweave.toml",
            "--print",
            path(&naive),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/logweave.toml"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&file).expect("rm");
    let out = home
        .logweave()
        .args(["--print", path(&naive)])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_secret_in_a_config_file_others_can_read_is_warned_about() {
    let home = Home::new();
    let (naive, _) = zone_sensitive_logs(home.path());
    let file = home.config("[airflow.prod]\nsecret_key = \"hunter2\"\n");
    let run = || {
        home.logweave()
            .args(["--print", path(&naive)])
            .output()
            .expect("run")
    };
    let quiet = run();
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "", "mode 600 is fine");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    let warned = run();
    assert!(warned.status.success(), "a warning, not an error");
    let err = stderr(&warned);
    assert!(err.contains("other users can read it: chmod 600"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the secret is never printed: {err}"
    );
}

#[test]
fn key_and_theme_overrides_reach_the_viewer() {
    let home = Home::new();
    let (naive, _) = zone_sensitive_logs(home.path());
    let file =
        home.config("[keys]\nquit = \"x\"\nend = \"q G\"\n[theme]\nstatus = \"red yellow\"\n");
    let mut tui = Tui::spawn_env(
        &["--config", path(&file), path(&naive)],
        10,
        80,
        &[("HOME", path(home.path()))],
    );
    tui.wait_ready();
    // The status bar takes the configured colours.
    let status_colours = tui.with_screen(|s| {
        let cell = s.cell(9, 1).expect("a status cell");
        (cell.fgcolor(), cell.bgcolor())
    });
    assert_eq!(
        status_colours,
        (vt100::Color::Idx(1), vt100::Color::Idx(3)),
        "red on yellow"
    );
    // `q` now goes to the end instead of quitting; `x` quits.
    tui.send("q");
    tui.wait_for("q to keep the viewer open", |t| t.status().contains("END"));
    tui.send("x");
    assert!(tui.wait_exit());
}

#[test]
fn bash_completion_is_valid_and_completes_subcommands_and_flags() {
    let home = Home::new();
    let out = home
        .logweave()
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let script = home.path().join("logweave.bash");
    fs::write(&script, &out.stdout).expect("write");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash -n");
    assert!(check.status.success(), "{}", stderr(&check));
    // Complete `logweave ai<TAB>` and `logweave airflow --pro<TAB>` in a real bash.
    let complete = |words: &str| -> String {
        let probe = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             _logweave logweave \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(probe)
            .output()
            .expect("bash");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert!(complete("logweave ai").lines().any(|w| w == "airflow"));
    assert!(complete("logweave airflow --pro")
        .lines()
        .any(|w| w == "--profile"));
    assert!(complete("logweave --t").lines().any(|w| w == "--tz"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = home
            .logweave()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
}

#[test]
fn the_committed_man_pages_are_what_the_code_generates_and_render_cleanly() {
    let home = Home::new();
    let out_dir = home.path().join("man");
    let out = home
        .logweave()
        .args(["man", "--out", path(&out_dir)])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/man");
    let mut names: Vec<_> = fs::read_dir(&out_dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    let mut committed_names: Vec<_> = fs::read_dir(&committed)
        .expect("list assets/man")
        .map(|e| e.expect("entry").file_name())
        .collect();
    committed_names.sort();
    assert_eq!(
        names, committed_names,
        "regenerate: cargo run -- man --out assets/man"
    );
    for name in &names {
        let generated = fs::read(out_dir.join(name)).expect("read");
        let kept = fs::read(committed.join(name)).expect("read");
        assert!(
            generated == kept,
            "assets/man/{} is stale: cargo run -- man --out assets/man",
            name.to_string_lossy()
        );
        // The wheel ships the same pages through links.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/wheel/data/share/man/man1")
            .join(name);
        assert_eq!(fs::read(&shipped).expect("wheel data link"), kept);
    }
    // man renders each page without a warning.
    for name in &names {
        let page = committed.join(name);
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .output()
            .expect("man is installed (.ci/run installs man-db)");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stderr(&out), "", "man warns about {}", page.display());
        assert!(stdout(&out).contains("logweave"));
    }
}

#[test]
fn version_names_the_commit() {
    let out = Home::new()
        .logweave()
        .arg("--version")
        .output()
        .expect("run");
    let text = stdout(&out);
    let re = regex::Regex::new(r"^logweave \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}|unknown)\)\n$")
        .expect("regex");
    assert!(re.is_match(&text), "{text:?}");
}

#[test]
fn short_help_fits_one_screen_and_points_to_the_long_one() {
    let home = Home::new();
    let short = stdout(&home.logweave().arg("-h").output().expect("run"));
    let long = stdout(&home.logweave().arg("--help").output().expect("run"));
    assert!(
        short.lines().count() <= 50,
        "{} lines:\n{short}",
        short.lines().count()
    );
    assert!(short.contains("'--help' all details"), "{short}");
    // The details are in the long one, grouped under headings.
    assert!(long.lines().count() > short.lines().count());
    for heading in ["Output:", "Time:", "Filters:", "Setup:"] {
        assert!(
            short.contains(heading) && long.contains(heading),
            "{heading}"
        );
    }
    assert!(long.contains("Applies to timestamps in the logs"));
}

#[test]
fn options_before_a_subcommand_count_as_given_after_it() {
    let home = Home::new();
    let cache = home.path().join("cache");
    let demo = |args: &[&str]| {
        let out = home
            .logweave()
            .env("XDG_CACHE_HOME", &cache)
            .args(args)
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let before = demo(&["--print", "--level", "ERROR", "demo", "--size", "1MB"]);
    let after = demo(&["demo", "--size", "1MB", "--print", "--level", "ERROR"]);
    assert!(!before.is_empty());
    assert_eq!(before, after);
    assert!(before.lines().all(|l| !l.contains("} INFO - ")), "filtered");
}
