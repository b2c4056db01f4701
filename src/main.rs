//! The `logweave` binary: parses arguments and wires the library together.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;

use logweave::cli::{Cli, Command, GenArgs, OpenArgs};
use logweave::gen::{self, GenSpec};
use logweave::merge::MergeOptions;
use logweave::print::{print_merge, PrintOptions};
use logweave::record::format::TsFormat;
use logweave::record::timestamp::{parse_user_time, Zone, ZoneClock};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{describe_io_error, open_all};

/// Exit status when some sources failed but others were shown.
const EXIT_PARTIAL: u8 = 1;
/// Exit status for usage errors and when nothing could be read.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Gen(args)) => run_gen(&args),
        None => run_open(&cli.open),
    }
}

fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("logweave: {message}");
    ExitCode::from(code)
}

fn run_gen(args: &GenArgs) -> ExitCode {
    let spec = GenSpec {
        out: args.out.clone(),
        size: args.size,
        format: args.format,
        seed: args.seed,
    };
    match gen::generate(&spec) {
        Ok(files) => {
            for file in files {
                eprintln!("wrote {} ({} bytes)", file.path.display(), file.bytes);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(
            format_args!(
                "cannot write to '{}': {}",
                args.out.display(),
                describe_io_error(&e)
            ),
            EXIT_PARTIAL,
        ),
    }
}

fn run_open(args: &OpenArgs) -> ExitCode {
    if args.sources.is_empty() {
        return fail(
            "no sources given (try 'logweave --help', or 'logweave gen --out /tmp/attempt' for sample logs)",
            EXIT_USAGE,
        );
    }
    let zone = match Zone::parse(&args.tz) {
        Ok(zone) => zone,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let mut clock = ZoneClock::new(zone);
    let mut parse_time = |s: &Option<String>| {
        s.as_deref()
            .map(|s| parse_user_time(s, &mut clock))
            .transpose()
    };
    let (since, until) = match (parse_time(&args.since), parse_time(&args.until)) {
        (Ok(since), Ok(until)) => (since, until),
        (Err(e), _) | (_, Err(e)) => return fail(e, EXIT_USAGE),
    };
    let time = TimeOptions {
        format: args.ts_format.clone().map(TsFormat::Strftime),
        clock,
    };

    let (entries, open_errors) = open_all(&args.sources);
    let mut failed = !open_errors.is_empty();
    for e in &open_errors {
        eprintln!("logweave: {e}");
    }
    let mut layouts = Vec::new();
    let mut tags = Vec::new();
    for entry in entries {
        match RecordLayout::open(entry.source, &time, false) {
            Ok(layout) => {
                layouts.push(layout);
                tags.push(entry.label);
            }
            Err(e) => {
                failed = true;
                eprintln!(
                    "logweave: cannot read '{}': {}",
                    entry.path.display(),
                    describe_io_error(&e)
                );
            }
        }
    }
    if layouts.is_empty() {
        return fail("nothing to show: no source could be read", EXIT_USAGE);
    }

    // Until the viewer lands, a terminal gets the printed merge too.
    let _interactive = !args.print && io::stdout().is_terminal();
    let merge_options = MergeOptions {
        dedup: !args.no_dedup,
    };
    let options = PrintOptions {
        since,
        until,
        tags: args.tag.then_some(tags),
        threads: args.threads,
    };
    match print_merge(layouts, merge_options, &options, io::stdout().lock()) {
        Ok(_) => {}
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            return fail(
                format_args!("read error: {}", describe_io_error(&e)),
                EXIT_PARTIAL,
            )
        }
    }
    if failed {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}
