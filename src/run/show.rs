//! The three modes over opened sources: print (stdout), print-follow
//! (`--print -f`) and the viewer.

use std::io;
use std::sync::Arc;

use super::compare::{learn, Baseline};
use super::sources::{
    file_name, layout_note, merge_options, open_layouts, settle, timing_note, Failure, Gathered,
    OpenedSource,
};
use super::{Arrivals, Outcome, RunError, Settings};
use crate::compare::{Comparison, OnlyNew};
use crate::engine::{self, Engine, SourceInfo};
use crate::merge::{Merge, RecordPredicate};
use crate::print::{print_merge, PrintOptions};
use crate::record::timestamp::{format_utc, Nanos};
use crate::source::{describe_io_error, short_tags, Problem};
use crate::window::Window;

/// Settles, reports and opens what was gathered, then runs the mode the
/// settings ask for.
pub(super) fn show(
    settings: Settings,
    gathered: Gathered,
    baseline: Option<Baseline>,
) -> Result<Outcome, RunError> {
    let Gathered {
        mut entries,
        errors,
        arrivals,
    } = gathered;
    let interactive = settings.interactive;
    // A comparison counts every record of the sources: streams (stdin, a
    // compressed file) are read to their end first, as in print mode.
    let whole = !settings.follow && (!interactive || baseline.is_some());
    let mut broken = settle(&mut entries, whole);
    // A print reads once: sources that joined while the streams were read
    // to their end (a try's file read from the worker it ran on, since the
    // API server could not) are printed with them.
    if whole && !interactive {
        if let Some(joined) = &arrivals {
            let mut joined: Vec<_> = joined.try_iter().collect();
            broken.extend(settle(&mut joined, true));
            entries.extend(joined);
        }
        for note in entries
            .iter()
            .filter_map(|e| e.health.as_ref()?.take_note())
        {
            eprintln!("logweave: {}", crate::escape::printable(&note));
        }
    }
    let mut failures = Vec::new();
    let mut notices = Vec::new();
    for e in &errors {
        if !interactive {
            eprintln!("{}", e.for_stderr());
        }
        if e.is_failure() {
            failures.push(Failure {
                path: e.path().to_string(),
                problem: e.problem(),
            });
        } else {
            notices.push(e.to_string());
        }
    }
    if !interactive {
        for Failure { path, problem } in &broken {
            say(problem.clone().about(path, &format!("'{path}'")));
        }
    }
    if settings.follow {
        // A source that cannot grow here is said, not silently left.
        for entry in &entries {
            let Some(why) = entry.read_once else { continue };
            let said = format!("{}: {why}", crate::escape::printable(&entry.label));
            match &entry.health {
                Some(health) => health.note(said),
                None => eprintln!("logweave: {said}"),
            }
        }
    }
    if settings.follow && !interactive {
        return follow_print(settings, entries, arrivals);
    }
    // Levels are sniffed when something shows or filters by them.
    let want_levels = interactive || settings.filter.as_ref().is_some_and(|f| f.uses_levels());
    let (opened, unreadable) = open_layouts(entries, &settings.time, want_levels);
    for Failure { path, problem } in &unreadable {
        if !interactive {
            say(problem
                .clone()
                .map_what(|what| format!("cannot read '{path}': {what}")));
        }
    }
    failures.extend(unreadable);
    // A source without timestamps is shown first, unmerged: said, never
    // silent, and before what is said of years (the status bar may cut it).
    let untimed_first = opened
        .iter()
        .filter(|s| !s.layout.is_timed())
        .chain(opened.iter().filter(|s| s.layout.is_timed()));
    for source in untimed_first {
        if let Some(note) = timing_note(source) {
            if interactive {
                notices.push(note.one_line());
            } else {
                say(note);
            }
        }
    }
    if opened.is_empty() {
        if interactive {
            for Failure { path, problem } in &failures {
                say(problem
                    .clone()
                    .map_what(|what| format!("cannot open '{path}': {what}")));
            }
        }
        return Err(RunError::Usage(
            "nothing to show: no source could be read".into(),
        ));
    }
    let comparison = match baseline {
        Some(baseline) => Some(learn(&settings, baseline, &opened, &mut notices)?),
        None => None,
    };
    if let Some(summary) = comparison.as_ref().map(|c| c.summary()) {
        if interactive {
            notices.push(summary.one_line());
        } else {
            eprintln!(
                "logweave: {}",
                crate::escape::printable(&summary.one_line())
            );
            for line in summary.lines(SUMMARY_LINES) {
                eprintln!("logweave:   {}", crate::escape::printable(&line));
            }
        }
    }
    if interactive {
        return view(settings, opened, failures, notices, arrivals, comparison);
    }
    let outcome = print(&settings, opened, comparison)?;
    Ok(if failures.is_empty() && broken.is_empty() {
        outcome
    } else {
        Outcome::Partial
    })
}

/// Templates of each kind the summary lists on stderr.
const SUMMARY_LINES: usize = 10;

fn print_options(settings: &Settings, tags: Option<Vec<String>>, threads: usize) -> PrintOptions {
    let filter = settings.filter.clone();
    PrintOptions {
        since: settings.since,
        until: settings.until,
        tags,
        threads,
        prefilter: filter
            .as_ref()
            .map(|f| f.includes.clone())
            .unwrap_or_default(),
        filter: filter.map(|f| Arc::new(f) as Arc<dyn RecordPredicate>),
    }
}

/// `--print -f`: prints the merge, then what the sources gain, until
/// every source has ended for good (exit 0, or 1 if one reports a problem).
fn follow_print(
    settings: Settings,
    entries: Vec<crate::source::SourceEntry>,
    arrivals: Option<Arrivals>,
) -> Result<Outcome, RunError> {
    if entries.is_empty() {
        return Err(RunError::Usage(
            "nothing to follow: no source could be opened".into(),
        ));
    }
    // What is there to begin with is sniffed once here to say what cannot
    // be merged and which sources are copies; each round sniffs again (a
    // source may gain its times).
    let mut first_looks = Vec::new();
    for entry in entries.iter().filter(|e| e.follow.is_some()) {
        let time = settings.time.for_source(&entry.path);
        let layout = crate::record::RecordLayout::open(entry.source.clone(), &time, false).ok();
        if let Some(layout) = &layout {
            if let Some(note) = layout_note(layout, &entry.label, &entry.path.display().to_string())
            {
                say(note);
            }
        }
        first_looks.push((layout, entry.copy_of.as_deref()));
    }
    // Sources that cannot be read yet are copies of none.
    let readable: Vec<usize> = (0..first_looks.len())
        .filter(|&i| first_looks[i].0.is_some())
        .collect();
    let layouts: Vec<&crate::record::RecordLayout> =
        first_looks.iter().filter_map(|(l, _)| l.as_ref()).collect();
    let known: Vec<Option<&str>> = readable.iter().map(|&i| first_looks[i].1).collect();
    let found = merge_options(settings.dedup, &layouts, &known);
    // By followed file (the follower's index), as each round merges them.
    let mut by_file = vec![None; first_looks.len()];
    for (k, &i) in readable.iter().enumerate() {
        by_file[i] = found.dedup.group_of(k);
    }
    let merge = match found.dedup {
        crate::merge::Dedup::Groups(_) => crate::merge::MergeOptions {
            dedup: crate::merge::Dedup::Groups(by_file.into()),
        },
        other => crate::merge::MergeOptions { dedup: other },
    };

    let options = print_options(&settings, settings.tag.then(Vec::new), 1);
    let watched: Vec<(String, Arc<crate::source::Health>)> = entries
        .iter()
        .filter_map(|e| Some((e.label.clone(), e.health.clone()?)))
        .collect();
    // `--tag` names each source as print mode does: by its opener's tag.
    let targets = entries
        .into_iter()
        .filter_map(|e| {
            let name = e.tag.unwrap_or(e.label);
            Some((e.follow?, crate::escape::printable(&name).into_owned()))
        })
        .collect();
    let followed = crate::follow::Followed {
        targets,
        watched,
        folders: settings.folders(),
        arrivals,
    };
    match crate::follow::follow_print(
        followed,
        &settings.time,
        merge,
        &options,
        io::stdout().lock(),
    ) {
        Ok(true) => Ok(Outcome::Complete),
        Ok(false) => Ok(Outcome::Partial),
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::Complete),
        Err(e) => Err(RunError::Failed(format!(
            "follow: {}",
            describe_io_error(&e)
        ))),
    }
}

/// Print mode: the merge to stdout; sources that failed on the way are said
/// at the end, with the time after which their records are missing.
fn print(
    settings: &Settings,
    opened: Vec<OpenedSource>,
    comparison: Option<Arc<Comparison>>,
) -> Result<Outcome, RunError> {
    // `--tag` prefixes lines with the tags the viewer shows.
    let tags = settings.tag.then(|| tags_of(&opened, &[]));
    let mut options = print_options(settings, tags, settings.threads);
    if let Some(comparison) = comparison.filter(|_| settings.only_new) {
        options.filter = Some(Arc::new(OnlyNew {
            comparison,
            formats: opened.iter().map(|s| s.layout.format().cloned()).collect(),
            filter: options.filter.take(),
        }));
    }
    let merge_options = {
        let layouts: Vec<_> = opened.iter().map(|s| &s.layout).collect();
        let known: Vec<_> = opened.iter().map(|s| s.copy_of.as_deref()).collect();
        merge_options(settings.dedup, &layouts, &known)
    };
    let names: Vec<String> = opened
        .iter()
        .map(|s| crate::escape::printable(s.name()).into_owned())
        .collect();
    let mut layouts = Vec::with_capacity(opened.len());
    let mut watched = Vec::with_capacity(opened.len());
    for source in opened {
        layouts.push(source.layout);
        watched.push((source.health, source.shown));
    }
    let ranged = settings.since.is_some() || settings.until.is_some();
    let span_layouts = ranged.then(|| layouts.clone());
    let stats = match print_merge(layouts, merge_options, &options, io::stdout().lock()) {
        Ok(stats) => stats,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::Complete),
        Err(e) => {
            return Err(RunError::Failed(format!(
                "read error: {}",
                describe_io_error(&e)
            )))
        }
    };
    // An empty range says what the logs hold instead: a mistyped hour
    // looks like a quiet log otherwise.
    if let Some(layouts) = span_layouts.filter(|_| stats.records == 0) {
        eprintln!(
            "logweave: {}",
            empty_range_note(
                layouts,
                settings.since,
                settings.until,
                settings.filter.is_some()
            )
        );
    }
    // Records a clock stepping back put out of time order, said once.
    for (i, late) in stats.late.iter().enumerate() {
        if late.records > 0 {
            let label = watched.get(i).map_or("?", |(_, label)| label.as_str());
            eprintln!(
                "logweave: {}: {}",
                crate::escape::printable(label),
                crate::record::order::describe_late(
                    late.records,
                    late.most,
                    settings.time.reorder_window
                )
            );
        }
    }
    // Records shown once because another source holds them too.
    // (10,000 copies of one log must not make 10,000 lines.)
    let copied = stats.copies.pairs();
    let said = copied.len().min(crate::merge::copies::SAID_PAIRS);
    for copied in &copied[..said] {
        let name = |i: usize| names.get(i).map_or("?", String::as_str);
        eprintln!(
            "logweave: {}: {}; {}",
            name(copied.source),
            crate::merge::copies::describe(copied.records, name(copied.copy_of)),
            crate::merge::copies::SHOW_ALL
        );
    }
    if let Some(rest) = crate::merge::copies::describe_rest(&copied[said..]) {
        eprintln!("logweave: {rest}; {}", crate::merge::copies::SHOW_ALL);
    }
    // Lines longer than the patterns look at: kept or dropped on their
    // first part, which is said rather than left silent.
    if let Some(note) = settings.filter.as_ref().and_then(|f| f.cut_lines_note()) {
        say(Problem::new(format!("--grep/--grep-v: {note}")).with_tip(
            "such a line is kept or dropped by what its first part holds; `grep` on the file sees all of it",
        ));
    }
    // Sources whose reads failed after retries, said once at the end.
    let mut outcome = Outcome::Complete;
    for (i, (health, label)) in watched.iter().enumerate() {
        let Some(problem) = health.as_ref().and_then(|h| h.problem()) else {
            continue;
        };
        outcome = Outcome::Partial;
        let problem = problem.about(label, &format!("'{label}'"));
        match stats.dropped.iter().find(|d| d.source == i) {
            Some(dropped) => {
                let from = dropped.after.map_or_else(
                    || "from its start".to_string(),
                    |t| format!("after {}", format_utc(t)),
                );
                say(problem.map_what(|what| {
                    format!("{what}; its records {from} are missing from the output")
                }));
            }
            None => say(problem),
        }
    }
    Ok(outcome)
}

/// What to say when `--since`/`--until` printed nothing: the range, and
/// the times the logs' records run from and to.
fn empty_range_note(
    layouts: Vec<crate::record::RecordLayout>,
    since: Option<Nanos>,
    until: Option<Nanos>,
    filtered: bool,
) -> String {
    let range = match (since, until) {
        (Some(a), Some(b)) => format!("from {} to before {}", format_utc(a), format_utc(b)),
        (Some(a), None) => format!("at {} or later", format_utc(a)),
        (None, Some(b)) => format!("before {}", format_utc(b)),
        (None, None) => String::new(),
    };
    let which = if filtered {
        " that the filters keep"
    } else {
        ""
    };
    let mut merge = crate::merge::Merge::new(layouts, crate::merge::MergeOptions::default());
    merge.seek_start();
    let first = merge.next_record().ok().flatten().and_then(|r| r.record.ts);
    let last = merge
        .seek_end()
        .ok()
        .and_then(|()| merge.prev_record().ok().flatten())
        .and_then(|r| r.record.ts);
    match (first, last) {
        (Some(first), Some(last)) => format!(
            "no record{which} {range}; the logs' records run from {} to {}",
            format_utc(first),
            format_utc(last)
        ),
        _ => format!("no record{which} {range}"),
    }
}

/// Each source's tag, the same in the viewer and in `--tag` output: the
/// one its opener chose (Airflow discovery's `local`, `s3`, `trigger.42`),
/// else the shortest suffix of its path (or URL) that tells it from the
/// others (those that failed to open, `failed`, included and tagged after
/// them). Escaped: a name's newline would split the line it prefixes.
fn tags_of(opened: &[OpenedSource], failed: &[String]) -> Vec<String> {
    let redact = crate::source::remote::redact;
    // A path names a file; stdin, an API's log or a store's stream are
    // named by their label.
    let named = |s: &OpenedSource| {
        if s.shown.ends_with(&s.label) {
            redact(&s.shown)
        } else {
            s.label.clone()
        }
    };
    let mut paths: Vec<String> = opened.iter().map(named).collect();
    paths.extend(failed.iter().map(|p| redact(p)));
    let mut tags = short_tags(&paths);
    for (tag, source) in tags.iter_mut().zip(opened) {
        if let Some(chosen) = &source.tag {
            tag.clone_from(chosen);
        }
    }
    tags.into_iter()
        .map(|tag| crate::escape::printable(&tag).into_owned())
        .collect()
}

/// Where a source is read from, for the sources panel: the full path of a
/// local file, else its path or URL as given, credentials removed.
fn location_of(source: &OpenedSource) -> String {
    let local = source.follow.as_ref().and_then(|f| f.local_file());
    match local.and_then(|f| std::fs::canonicalize(&f).ok().or(Some(f))) {
        Some(path) => path.display().to_string(),
        None => crate::source::remote::redact(&source.shown),
    }
}

/// What a source is, for the sources panel.
fn kind_of(source: &OpenedSource) -> &'static str {
    let shown = source.shown.as_str();
    let compressed = [".gz", ".zst"].iter().any(|ext| shown.ends_with(ext));
    if shown == "-" {
        "stdin"
    } else if source.tag.as_deref() == Some("api") {
        "Airflow API"
    } else if crate::source::cloudwatch::is_cloudwatch_url(shown) || shown.starts_with("arn:") {
        "CloudWatch stream"
    } else if crate::source::remote::is_url(shown) {
        if compressed {
            "remote object, compressed"
        } else {
            "remote object"
        }
    } else if source.layout.source().is_remote() {
        "remote"
    } else if compressed {
        "compressed file"
    } else if source
        .follow
        .as_ref()
        .is_some_and(|f| f.local_file().is_some())
    {
        "file"
    } else {
        "stream (pipe, device or store)"
    }
}

/// Writes a problem to stderr, its tip on a line of its own.
fn say(problem: Problem) {
    eprintln!("{}", problem.for_stderr());
}

/// The viewer: an engine thread over the merge, the view on this one.
fn view(
    settings: Settings,
    opened: Vec<OpenedSource>,
    failures: Vec<Failure>,
    notices: Vec<String>,
    arrivals: Option<Arrivals>,
    comparison: Option<Arc<Comparison>>,
) -> Result<Outcome, RunError> {
    let failed: Vec<String> = failures.iter().map(|f| f.path.clone()).collect();
    let tags = tags_of(&opened, &failed);
    let mut infos: Vec<SourceInfo> = opened
        .iter()
        .zip(&tags)
        .map(|(source, tag)| SourceInfo {
            label: source.label.clone(),
            tag: tag.clone(),
            location: location_of(source),
            kind: kind_of(source).into(),
            size: source.layout.len(),
            json: engine::is_json(source.layout.format()),
            format: source.layout.describe(),
            file: source.follow.as_ref().and_then(|f| f.local_file()),
            enabled: true,
            error: None,
            warning: None,
            copies: None,
            copy_group: None,
        })
        .collect();
    for (failure, tag) in failures.iter().zip(&tags[opened.len()..]) {
        infos.push(SourceInfo {
            label: file_name(&failure.path),
            tag: tag.clone(),
            location: crate::source::remote::redact(&failure.path),
            kind: "not opened".into(),
            size: 0,
            json: false,
            format: String::new(),
            file: None,
            enabled: false,
            error: Some(failure.problem.clone()),
            warning: None,
            copies: None,
            copy_group: None,
        });
    }
    let merge_options = {
        let layouts: Vec<_> = opened.iter().map(|s| &s.layout).collect();
        let known: Vec<_> = opened.iter().map(|s| s.copy_of.as_deref()).collect();
        merge_options(settings.dedup, &layouts, &known)
    };
    let mut layouts = Vec::with_capacity(opened.len());
    let mut follow_targets = Vec::with_capacity(opened.len());
    let mut healths = Vec::with_capacity(opened.len());
    for source in opened {
        layouts.push(source.layout);
        follow_targets.push(source.follow);
        healths.push(source.health);
    }
    let clock = settings.time.clock.clone();
    let folders = settings.folders();
    let mut merge = Merge::new(layouts, merge_options);
    // `--since`/`--until` bound what the viewer shows, as they bound print.
    merge.set_bounds(settings.since, settings.until);
    let window = Window::new(merge);
    let overview = engine::start_overview(&window, &[]);
    let (frames_tx, frames_rx) = tokio::sync::watch::channel(Arc::new(engine::Frame::default()));
    let inbox = engine::Inbox::new();
    let commands = inbox.commands();
    let engine = Engine::new(window, infos, clock, overview)
        .watching_health(healths)
        .displaying(settings.display_zone.clone())
        .filtered(settings.filter)
        .comparing(comparison)
        .saying((!notices.is_empty()).then(|| notices.join("; ")))
        .starting_at(settings.since)
        .following(
            follow_targets,
            settings.time,
            settings.follow,
            folders,
            arrivals,
        );
    std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || {
            engine.run(
                inbox,
                Box::new(move |frame| {
                    let _ = frames_tx.send(frame);
                }),
            )
        })
        .map_err(|e| RunError::Failed(format!("cannot start: {e}")))?;
    crate::view::run(frames_rx, commands, settings.view)
        .map_err(|e| RunError::Failed(format!("terminal error: {e}")))?;
    Ok(Outcome::Complete)
}
