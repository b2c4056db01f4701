//! The `logweave` binary: parses the command line, dispatches to the
//! library's `run` module, and turns what it returns into an exit status
//! (0: every source read; 1: some failed, the rest shown; 2: usage, config,
//! or nothing readable).

use std::io;
use std::process::ExitCode;

use clap::Parser;

use logweave::cli::{docs, Cli, Command};
use logweave::config::Config;
use logweave::run::{self, Outcome, RunError, Settings};
use logweave::source::{describe_io_error, remote};

/// One glibc malloc arena for the whole process. Remote reads allocate
/// their 4 MiB runs on the I/O runtime's threads and free them on the
/// reader's, and with an arena per thread the freed memory stayed mapped:
/// `--print` of an 834 MB object peaked at 54 MB, 46–49 MB with one arena
/// (and ran no slower; BENCHMARKS.md). Nothing here allocates in a loop
/// across threads, so the arena's lock is not contended.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any
    // thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> ExitCode {
    one_malloc_arena();
    let cli = Cli::parse();
    // A folder may hold thousands of logs; beyond the limit the descriptor
    // pool closes and reopens files, but the higher the limit, the rarer.
    logweave::source::descriptors::raise_open_file_limit();
    let result = dispatch(cli);
    report_fetch_stats();
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            eprintln!("{}", e.for_stderr());
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<Outcome, RunError> {
    match cli.command {
        Some(Command::Gen(args)) => run::demo::generate(&args),
        Some(Command::Completions(args)) => {
            docs::completions(args.shell, &mut io::stdout().lock());
            Ok(Outcome::Complete)
        }
        Some(Command::Man(args)) => docs::write_man_pages(&args.out)
            .map(|_| Outcome::Complete)
            .map_err(|e| {
                RunError::Failed(format!("cannot write man pages: {}", describe_io_error(&e)))
            }),
        command => {
            let config = Config::load(cli.config.as_deref())?;
            for warning in &config.warnings {
                eprintln!(
                    "logweave: warning: {}",
                    logweave::escape::printable(warning)
                );
            }
            match command {
                // Options given before a subcommand count as given after it.
                Some(Command::Demo(mut args)) => {
                    args.open.inherit(cli.open);
                    run::demo::demo(*args, &config)
                }
                Some(Command::Airflow(mut args)) => {
                    args.open.inherit(cli.open);
                    run::airflow::run(&args, &config)
                }
                Some(Command::Compare(mut args)) => {
                    args.open.inherit(cli.open);
                    run::compare::run(&args, &config)
                }
                _ => run::open(Settings::resolve(&cli.open, &config)?, None),
            }
        }
    }
}

/// With `LOGWEAVE_FETCH_STATS=FILE`, writes what remote sources fetched
/// (`requests=N bytes=M`) to FILE at exit, for benchmarks.
fn report_fetch_stats() {
    if let Some(file) = std::env::var_os("LOGWEAVE_FETCH_STATS") {
        let stats = remote::fetch_stats();
        let line = format!("requests={} bytes={}\n", stats.requests, stats.bytes);
        if let Err(e) = std::fs::write(&file, line) {
            eprintln!(
                "logweave: cannot write LOGWEAVE_FETCH_STATS: {}",
                describe_io_error(&e)
            );
        }
    }
}
