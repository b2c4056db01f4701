//! What the test servers run on, installed into `target/` the first time a
//! test needs it: two Python venvs (Airflow 3 with moto and Azure's SDK;
//! Airflow 2) and Azurite from npm. `.ci/run` installs them ahead; a first
//! `cargo test` does it here and says so on the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::root;

/// The test venv's Python, installed on first use (once per process).
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            venv(
                "target/test-venv",
                "tests/servers/requirements.txt",
                "Airflow 3, moto, Azure's SDK (about 550 MB)",
            )
        })
        .clone()
}

/// The Python of a venv with Airflow 2 (its webserver serves /api/v1),
/// installed on first use.
pub fn python_airflow2() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            venv(
                "target/test-venv-airflow2",
                "tests/servers/requirements-airflow2.txt",
                "Airflow 2.10.5 (about 280 MB)",
            )
        })
        .clone()
}

/// The Python of the venv at `dir` with `requirements` installed; installs
/// them when the venv's marker says otherwise.
fn venv(dir: &str, requirements: &str, what: &str) -> PathBuf {
    let venv = root().join(dir);
    let requirements = root().join(requirements);
    let wanted = std::fs::read_to_string(&requirements).expect("requirements file");
    let marker = venv.join("installed.txt");
    let python = venv.join("bin/python");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        // Several test binaries may get here at once: one installs.
        let lock = venv.with_extension("lock");
        let _guard = FileLock::take(&lock);
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
            let install = Installing::start(&format!("{what} with pip into {dir}"));
            run_installer(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv (Debian: apt install python3-venv)",
            );
            run_installer(
                Command::new(&python)
                    .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                    .arg("-r")
                    .arg(&requirements),
                &format!("pip install -r {}", requirements.display()),
            );
            std::fs::write(&marker, &wanted).expect("write the venv marker");
            install.done();
        }
    }
    python
}

/// Says on the terminal what a first test run installs, as it starts and
/// when it is done: cargo shows only "has been running for over 60
/// seconds" meanwhile. Written to the process's stderr itself, which the
/// test harness does not capture (it captures `eprintln!`).
struct Installing {
    what: String,
    start: Instant,
}

impl Installing {
    fn start(what: &str) -> Installing {
        let _ = writeln!(
            std::io::stderr(),
            "logweave tests: installing {what}; once, it takes minutes"
        );
        Installing {
            what: what.to_string(),
            start: Instant::now(),
        }
    }

    fn done(self) {
        let _ = writeln!(
            std::io::stderr(),
            "logweave tests: installed {} in {}s",
            self.what,
            self.start.elapsed().as_secs()
        );
    }
}

/// Runs one step of an install with its output kept (pip's and npm's
/// chatter is not the test run's), shown only if it fails.
fn run_installer(command: &mut Command, what: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An exclusive lock file held while it lives (`create_new` as the lock).
struct FileLock(PathBuf);

impl FileLock {
    fn take(path: &Path) -> FileLock {
        let start = Instant::now();
        let mut said = false;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => return FileLock(path.to_path_buf()),
                // A lock older than the install can take is left from a crash.
                Err(_) if start.elapsed() > Duration::from_secs(600) => {
                    let _ = std::fs::remove_file(path);
                }
                Err(_) => {
                    if !std::mem::replace(&mut said, true) {
                        let _ = writeln!(
                            std::io::stderr(),
                            "logweave tests: waiting for another test process to finish installing ({})",
                            path.display()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200))
                }
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Azurite, the Azure Blob emulator (npm, pinned here), installed into
/// `target/azurite` on first use.
pub const AZURITE: &str = "azurite@3.37.0";

pub fn azurite_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = root().join("target/azurite");
        let bin = dir.join("node_modules/.bin/azurite-blob");
        let marker = dir.join("installed.txt");
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(AZURITE) {
            std::fs::create_dir_all(&dir).expect("create target/azurite");
            let _guard = FileLock::take(&dir.with_extension("lock"));
            if std::fs::read_to_string(&marker).ok().as_deref() != Some(AZURITE) {
                let install = Installing::start(&format!(
                    "{AZURITE} with npm into target/azurite (about 360 MB)"
                ));
                run_installer(
                    Command::new("npm")
                        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
                        .arg(&dir)
                        .arg(AZURITE),
                    &format!("npm install {AZURITE} (is Node.js installed?)"),
                );
                std::fs::write(&marker, AZURITE).expect("write the azurite marker");
                install.done();
            }
        }
        bin
    })
    .clone()
}
