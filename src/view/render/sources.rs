//! The sources panel (`=`, less's file-information key, lnav's files
//! view): for each source its number, state and tag, where it is read from
//! (full path, or URL without credentials) and what it is; then its size,
//! records and time range once counted, whether it is in time order, which
//! sources it is a copy of one log with and what dedup left out of it, how
//! its times and levels are read, and its problem; when comparing with a
//! baseline, the templates that are new, vanished or changed a lot. `Space` hides or shows
//! the chosen one, `Enter` goes to its first record.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::engine::{count, describe_span, group, short_time, size, SourceCount, SourceInfo};
use crate::view::app::App;
use crate::view::text;

/// Lines each source takes in the panel.
pub const LINES_PER_SOURCE: usize = 3;

pub fn draw(frame: &mut Frame, app: &App, area: Rect, selected: usize) {
    let sources = &app.frame.sources;
    let facets = app.facet_rows();
    let width = area.width.saturating_sub(2).min(160);
    let height = area.height;
    if width < 10 || height < 4 {
        return;
    }
    let rows = (height as usize).saturating_sub(3);
    // Rows an entry takes: a source three, a facet one (the first facet
    // one more for the heading).
    let rows_of = |i: usize| match i.checked_sub(sources.len()) {
        None => LINES_PER_SOURCE,
        Some(0) => 2,
        Some(_) => 1,
    };
    // Whole entries fit; the chosen one is kept in sight.
    let mut first = selected;
    let mut used = rows_of(selected);
    while first > 0 && used + rows_of(first - 1) <= rows {
        first -= 1;
        used += rows_of(first);
    }
    let key = app.theme.get("help").add_modifier(Modifier::BOLD);
    let chosen = app.theme.get("focus");
    let mut lines = Vec::new();
    let mut i = first;
    while i < sources.len() + facets.len() && lines.len() + rows_of(i) <= rows {
        let style = if i == selected {
            chosen
        } else {
            Style::default()
        };
        match sources.get(i) {
            Some(source) => source_lines(app, i, source, style, key, &mut lines),
            None => {
                let at = i - sources.len();
                if at == 0 {
                    lines.push(Line::from(Span::styled(
                        facets_heading(app),
                        Style::default().add_modifier(Modifier::DIM),
                    )));
                }
                let facet = &facets[at];
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "   {} {:<6} ",
                            if facet.hidden { "○" } else { "●" },
                            facet.field
                        ),
                        style,
                    ),
                    Span::styled(shown(&facet.value), key.patch(style)),
                    Span::styled(
                        format!(
                            " {}{}",
                            group(facet.count),
                            if facet.hidden { " (hidden)" } else { "" }
                        ),
                        style,
                    ),
                ]));
            }
        }
        i += 1;
    }
    // Comparing with a baseline: what changed, in the rows left.
    if let Some(comparison) = &app.frame.comparison {
        let room = rows.saturating_sub(lines.len());
        for (i, line) in comparison.lines.iter().take(room).enumerate() {
            let style = if i == 0 { key } else { Style::default() };
            lines.push(Line::from(Span::styled(format!(" {}", shown(line)), style)));
        }
    }
    let total = sources.len() + facets.len();
    let footer = if selected < sources.len() {
        format!(
            " {} of {}: j/k choose, Space hides/shows, Enter goes to its first record, Esc closes",
            selected + 1,
            total
        )
    } else {
        format!(
            " {} of {}: j/k choose, Space or Enter hides/shows its records, Esc closes",
            selected + 1,
            total
        )
    };
    lines.push(Line::from(footer));
    let popup_height = (lines.len() as u16 + 2).min(height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y,
        width,
        popup_height,
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" {} sources ", group(sources.len() as u64)))),
        popup,
    );
}

/// The three lines of source `i`.
fn source_lines(
    app: &App,
    i: usize,
    source: &SourceInfo,
    style: Style,
    key: Style,
    lines: &mut Vec<Line<'static>>,
) {
    let count = app.frame.counts.as_ref().and_then(|c| c.get(i));
    let state = match (source.enabled, source.error.is_some()) {
        (_, true) => "✗",
        (true, false) => "●",
        (false, false) => "○",
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" {:>3} {state} ", i + 1), style),
        Span::styled(shown(&source.tag), key.patch(style)),
        Span::styled(
            format!(
                " {} ({}{})",
                shown(&source.location),
                source.kind,
                if source.enabled { "" } else { ", hidden" }
            ),
            style,
        ),
    ]));
    lines.push(Line::from(Span::styled(
        format!("       {}", facts(app, i, source, count)),
        style,
    )));
    // How it is read, and what went wrong: in red when something did.
    let mut reading = vec![shown(&source.format)];
    reading.extend(source.problem().map(|p| shown(&p.one_line())));
    let problem = if source.problem().is_some() {
        app.theme.get("error")
    } else {
        Style::default().add_modifier(Modifier::DIM)
    };
    lines.push(Line::from(Span::styled(
        format!("       {}", reading.join(" · ")),
        problem.patch(style),
    )));
}

/// What the facets' counts are of: all records, or those read so far.
fn facets_heading(app: &App) -> String {
    let Some(facets) = &app.frame.facets else {
        return String::new();
    };
    let mut said = if facets.complete {
        format!(
            " levels and loggers of all {} records",
            group(facets.records)
        )
    } else {
        format!(
            " levels and loggers of the {} records read so far (counting…)",
            group(facets.records)
        )
    };
    if facets.other_loggers > 0 {
        said.push_str(&format!(
            "; {} records of other loggers (only {} are told apart)",
            group(facets.other_loggers),
            crate::overview::facets_max()
        ));
    }
    said
}

/// The second line of a source: size, records, times, order, which
/// sources it is a copy of and what dedup left out of it.
fn facts(app: &App, i: usize, source: &SourceInfo, counted: Option<&SourceCount>) -> String {
    let mut facts = vec![size(source.size)];
    match counted {
        Some(counted) => {
            facts.push(count(counted.records, "record"));
            if let (Some(first), Some(last)) = (counted.first, counted.last) {
                let zone = &app.frame.zone;
                facts.push(format!(
                    "{} – {}",
                    short_time(first, zone),
                    short_time(last, zone)
                ));
            }
            facts.push(if counted.late == 0 {
                "in time order".into()
            } else {
                format!(
                    "{} out of order by up to {}",
                    count(counted.late, "record"),
                    describe_span(counted.most_late)
                )
            });
        }
        None if app.frame.overview_progress.is_some() => facts.push("counting…".into()),
        None => {}
    }
    facts.extend(copies(app, i, source, counted.is_some()));
    facts.join(" · ")
}

/// Copies named in a source's facts; the rest as a count.
const NAMED_COPIES: usize = 3;

/// `copy of one log with local, s3: 1,204 records left out as copies of
/// local's`: the other sources of its copy group, and once `counted`, what
/// dedup left out of it. `None` for a source that is a copy of none.
fn copies(app: &App, i: usize, source: &SourceInfo, counted: bool) -> Option<String> {
    let copy_group = source.copy_group?;
    let others: Vec<&str> = app
        .frame
        .sources
        .iter()
        .enumerate()
        .filter(|&(j, other)| j != i && other.copy_group == Some(copy_group))
        .map(|(_, other)| other.tag.as_str())
        .collect();
    if others.is_empty() {
        return None;
    }
    let mut said = format!(
        "copy of one log with {}",
        others[..others.len().min(NAMED_COPIES)].join(", ")
    );
    if others.len() > NAMED_COPIES {
        said.push_str(&format!(
            " and {} more",
            group(others.len() as u64 - NAMED_COPIES as u64)
        ));
    }
    match &source.copies {
        Some(left_out) => said.push_str(&format!(": {left_out}")),
        None if counted => said.push_str(": none left out"),
        None => {}
    }
    Some(said)
}

/// Names and servers' words with the log's escaping: nothing reaches the
/// terminal raw.
fn shown(text: &str) -> String {
    let plain = Style::default();
    text::display(text.as_bytes(), plain, plain, usize::MAX)
        .into_iter()
        .map(|piece| piece.text)
        .collect()
}
