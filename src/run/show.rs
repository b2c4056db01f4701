//! The three modes over opened sources: print (stdout), print-follow
//! (`--print -f`) and the viewer.

use std::io;
use std::sync::Arc;

use super::sources::{
    file_name, layout_note, open_layouts, settle, timing_note, Failure, Gathered, OpenedSource,
};
use super::{Outcome, RunError, Settings};
use crate::engine::{self, Engine, SourceInfo};
use crate::merge::{Merge, RecordPredicate};
use crate::print::{print_merge, PrintOptions};
use crate::record::timestamp::format_utc;
use crate::source::{describe_io_error, short_tags, Problem};
use crate::window::Window;

/// Settles, reports and opens what was gathered, then runs the mode the
/// settings ask for.
pub(super) fn show(settings: Settings, gathered: Gathered) -> Result<Outcome, RunError> {
    let Gathered {
        mut entries,
        errors,
    } = gathered;
    let interactive = settings.interactive;
    let broken = settle(&mut entries, !(settings.follow || interactive));
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
    if settings.follow && !interactive {
        return follow_print(settings, entries);
    }
    // Levels are sniffed when something shows or filters by them.
    let want_levels = interactive
        || settings
            .filter
            .as_ref()
            .is_some_and(|f| f.min_level.is_some());
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
    if interactive {
        return view(settings, opened, failures, notices);
    }
    let outcome = print(&settings, opened)?;
    Ok(if failures.is_empty() && broken.is_empty() {
        outcome
    } else {
        Outcome::Partial
    })
}

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

/// `--print -f`: prints the merge, then what the sources gain.
fn follow_print(
    settings: Settings,
    entries: Vec<crate::source::SourceEntry>,
) -> Result<Outcome, RunError> {
    if entries.is_empty() {
        return Err(RunError::Usage(
            "nothing to follow: no source could be opened".into(),
        ));
    }
    // What is there to begin with is sniffed once here to say what cannot
    // be merged; each round sniffs again (a source may gain its times).
    for entry in &entries {
        let time = settings.time.for_source(&entry.path);
        if let Ok(layout) = crate::record::RecordLayout::open(entry.source.clone(), &time, false) {
            if let Some(note) =
                layout_note(&layout, &entry.label, &entry.path.display().to_string())
            {
                say(note);
            }
        }
    }
    let options = print_options(&settings, settings.tag.then(Vec::new), 1);
    let watched: Vec<(String, Arc<crate::source::Health>)> = entries
        .iter()
        .filter_map(|e| Some((e.label.clone(), e.health.clone()?)))
        .collect();
    let targets = entries
        .into_iter()
        .filter_map(|e| Some((e.follow?, e.label)))
        .collect();
    match crate::follow::follow_print(
        targets,
        watched,
        settings.folders(),
        &settings.time,
        settings.merge,
        &options,
        io::stdout().lock(),
    ) {
        Ok(()) => Ok(Outcome::Complete),
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
fn print(settings: &Settings, opened: Vec<OpenedSource>) -> Result<Outcome, RunError> {
    // `--tag` prefixes lines with the short tag where the opener chose one.
    let tags = settings.tag.then(|| {
        opened
            .iter()
            .map(|s| {
                let tag = s.tag.as_deref().unwrap_or(&s.label);
                // A name's newline would split the line it prefixes.
                crate::escape::printable(tag).into_owned()
            })
            .collect()
    });
    let options = print_options(settings, tags, settings.threads);
    let mut layouts = Vec::with_capacity(opened.len());
    let mut watched = Vec::with_capacity(opened.len());
    for source in opened {
        layouts.push(source.layout);
        watched.push((source.health, source.shown));
    }
    let stats = match print_merge(layouts, settings.merge, &options, io::stdout().lock()) {
        Ok(stats) => stats,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::Complete),
        Err(e) => {
            return Err(RunError::Failed(format!(
                "read error: {}",
                describe_io_error(&e)
            )))
        }
    };
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
) -> Result<Outcome, RunError> {
    let mut labels: Vec<String> = opened.iter().map(|s| s.label.clone()).collect();
    labels.extend(failures.iter().map(|f| file_name(&f.path)));
    let mut tags = short_tags(&labels);
    for (tag, source) in tags.iter_mut().zip(&opened) {
        if let Some(chosen) = &source.tag {
            tag.clone_from(chosen);
        }
        *tag = crate::escape::printable(tag).into_owned();
    }
    let mut infos: Vec<SourceInfo> = opened
        .iter()
        .zip(&tags)
        .map(|(source, tag)| SourceInfo {
            label: source.label.clone(),
            tag: tag.clone(),
            json: engine::is_json(source.layout.format()),
            format: source.layout.describe(),
            file: source.follow.as_ref().and_then(|f| f.local_file()),
            enabled: true,
            error: None,
            warning: None,
        })
        .collect();
    for (failure, tag) in failures.iter().zip(&tags[opened.len()..]) {
        infos.push(SourceInfo {
            label: file_name(&failure.path),
            tag: tag.clone(),
            json: false,
            format: String::new(),
            file: None,
            enabled: false,
            error: Some(failure.problem.clone()),
            warning: None,
        });
    }
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
    let mut merge = Merge::new(layouts, settings.merge);
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
        .saying((!notices.is_empty()).then(|| notices.join("; ")))
        .starting_at(settings.since)
        .following(follow_targets, settings.time, settings.follow, folders);
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
