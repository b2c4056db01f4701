//! The status bar: where you are, what is shown, what is going on.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engine::group;
use crate::engine::PatternKind;
use crate::view::app::{App, Mode, PromptKind};
use crate::view::text;

/// Draws the status bar, or the `:` prompt in its place.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let status = theme.get("status");
    if let Mode::Prompt(p) = &app.mode {
        let prompt = format!("{}{}", p.kind.label(), p.input);
        let pattern = match p.pattern {
            PatternKind::Regex => "regex",
            PatternKind::Literal => "literal",
        };
        let hint = match p.kind {
            PromptKind::Goto => {
                "  time (10:15, 2024-12-20 10:15:30), +5m/-1h, 50% or line — Enter, Esc".to_string()
            }
            PromptKind::Search { forward } if p.input.is_empty() => format!(
                "  [{pattern}, Ctrl-r toggles] search {} — Enter alone: help, Esc: cancel",
                if forward { "down" } else { "up" }
            ),
            PromptKind::Search { .. } => {
                format!("  [{pattern}, Ctrl-r toggles] ↑↓ history — Enter, Esc")
            }
            PromptKind::Filter => {
                format!("  [{pattern}] only matching; !pat hides; empty clears — Enter, Esc")
            }
            PromptKind::Save { .. } => format!(
                "  [tags {}, Ctrl-t toggles] Tab completes — Enter, Esc",
                if p.tags { "on" } else { "off" }
            ),
            PromptKind::Pipe { .. } => {
                "  a shell command (jq ., grep -c ERROR, less) — Enter, Esc".into()
            }
        };
        // What was typed goes through the same escaping as log lines (a
        // pasted bidi override or escape shows as text), and a prompt wider
        // than the bar shows its end, where the cursor is.
        let style = theme.get("prompt");
        let pieces = text::display(prompt.as_bytes(), style, style, usize::MAX);
        let typed = text::width(&pieces);
        let room = usize::from(area.width.saturating_sub(1));
        let mut spans = if typed <= room {
            text::slice(&pieces, 0, typed)
        } else if room < 2 {
            Vec::new()
        } else {
            let mut tail = vec![Span::styled("…", style)];
            tail.extend(text::slice(&pieces, typed + 1 - room, room - 1));
            tail
        };
        spans.push(Span::styled(
            hint,
            theme.get("status-dim").remove_modifier(Modifier::REVERSED),
        ));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        let x = area.x + typed.min(room) as u16;
        frame.set_cursor_position((x, area.y));
        return;
    }
    if app.frame.generation == 0 {
        // No frame from the engine yet.
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(" starting…", status))),
            area,
        );
        return;
    }
    let asking = match &app.mode {
        Mode::Normal if app.count.is_some() => app.count.map(|n| {
            format!("{n}: then g line, % share, j/k lines, n/N hits, x source (Esc drops it)")
        }),
        Mode::Pending(pending) => Some(pending.question().to_string()),
        Mode::Confirm { path, .. } => Some(format!(
            "{} exists: overwrite it? y / any other key keeps it",
            path.display()
        )),
        _ => None,
    };
    let note = asking
        .or_else(|| app.frame.busy.clone())
        .or_else(|| app.note.clone())
        .or_else(|| app.frame.message.clone())
        .or_else(|| app.frame.search.clone())
        .or_else(|| app.frame.activity.clone())
        .or_else(|| first_error(app));
    let right = match &note {
        // Messages quote file names, patterns and servers' words: shown
        // with the log's escaping, so none of them reaches the terminal raw.
        Some(note) => Span::styled(format!(" {} ", escaped(note)), theme.get("message")),
        None => match app.keymap.help_key() {
            Some(key) => Span::styled(format!(" {key} help "), status),
            None => Span::raw(""),
        },
    };
    // A message always wins the room it needs: the source list is
    // compacted, then counted, then the line count goes, before anything
    // that says where you are. Without one, the help key takes little.
    let width = area.width as usize;
    let need = if note.is_some() {
        right.width()
    } else {
        right.width().min(width / 2)
    };
    let mut narrowest: Option<Vec<Span>> = None;
    for (sources, with_lines) in [
        (Sources::Each, true),
        (Sources::Compact, true),
        (Sources::Counted, true),
        (Sources::Compact, false),
        (Sources::Counted, false),
        (Sources::Omitted, false),
    ] {
        // Each source takes two columns at least: thousands never fit.
        // Only a message is worth the place; the help key is not.
        if sources == Sources::Omitted && note.is_none() {
            continue;
        }
        let listed = matches!(sources, Sources::Each | Sources::Compact);
        if listed && app.frame.sources.len() * 2 > width {
            continue;
        }
        let candidate = left_part(app, sources, with_lines);
        if spans_width(&candidate) + need <= width {
            narrowest = Some(candidate);
            break;
        }
        if narrowest
            .as_ref()
            .is_none_or(|n| spans_width(&candidate) < spans_width(n))
        {
            narrowest = Some(candidate);
        }
    }
    let mut left = narrowest.unwrap_or_default();
    let room = width.saturating_sub(spans_width(&left));
    let right = if right.width() > room {
        let text: String = right.content.chars().take(room).collect();
        Span::styled(text, right.style)
    } else {
        right
    };
    let fill = room.saturating_sub(right.width());
    left.push(Span::styled(" ".repeat(fill), status));
    left.push(right);
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}

/// `text` as the log pane would show it, control characters visible:
/// messages quote file names, patterns and servers' words.
fn escaped(text: &str) -> String {
    let plain = ratatui::style::Style::default();
    text::display(text.as_bytes(), plain, plain, usize::MAX)
        .into_iter()
        .map(|piece| piece.text)
        .collect()
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// How the status bar shows the sources.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sources {
    /// `1●local 2○remote (hidden)`.
    Each,
    /// `1●2○`.
    Compact,
    /// `5,001 sources (2 hidden) =`: `=` lists them.
    Counted,
    /// Not at all, nor the line number: a long message takes the room.
    Omitted,
}

fn left_part(app: &App, sources: Sources, with_lines: bool) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let status = theme.get("status");
    let f = &app.frame;
    let mut left = vec![Span::styled(
        format!(" {} ", f.top_time.as_deref().unwrap_or("--")),
        status.add_modifier(Modifier::BOLD),
    )];
    let position = if f.at_end {
        "END".to_string()
    } else if f.at_start {
        "TOP".to_string()
    } else {
        format!("{:.0}%", f.percent.floor())
    };
    left.push(Span::styled(format!("{position} "), status));
    let omitted = sources == Sources::Omitted;
    match (f.line_number, f.overview_progress) {
        _ if omitted => {}
        (Some((line, total)), _) if with_lines => left.push(Span::styled(
            format!(
                "line {} of {}{} ",
                group(line),
                group(total),
                // Hidden sources' and filtered-out lines are not counted.
                if f.lines_of_shown { " shown" } else { "" }
            ),
            status,
        )),
        (Some((line, _)), _) => left.push(Span::styled(format!("line {} ", group(line)), status)),
        (None, Some(progress)) if with_lines => left.push(Span::styled(
            format!("counting… {progress}% "),
            theme.get("status-dim"),
        )),
        _ => {}
    }
    if app.wrap {
        left.push(Span::styled("wrap ", status));
    }
    match f.follow {
        // Nothing more can come: not following, whatever the mode says.
        Some(_) if f.follow_finished => left.push(Span::styled("ENDED ", theme.get("status-dim"))),
        Some(true) => left.push(Span::styled("FOLLOW ", theme.get("message"))),
        Some(false) => left.push(Span::styled("paused ", theme.get("status-dim"))),
        None => {}
    }
    // Filters hide lines: said even when a long message takes the room.
    if !f.filters.is_empty() {
        left.push(Span::styled(
            format!("{} ", escaped(&f.filters.join(" "))),
            theme.get("message"),
        ));
    }
    if omitted {
        return left;
    }
    if let Some(compared) = &f.comparison {
        // Said as long as the comparison is on: `+` goes to them.
        left.push(Span::styled(
            format!("+{} new ", group(compared.new_records)),
            theme.get("message"),
        ));
    }
    if sources == Sources::Counted {
        left.push(sources_counted(app));
        return left;
    }
    let compact = sources == Sources::Compact;
    for (i, source) in f.sources.iter().enumerate() {
        let (mark, style) = if source.error.is_some() {
            ("✗", status.fg(theme.get("error").fg.unwrap_or_default()))
        } else if source.warning.is_some() {
            ("!", status.fg(theme.get("error").fg.unwrap_or_default()))
        } else if source.enabled {
            ("●", theme.source(i).bg(status.bg.unwrap_or_default()))
        } else {
            ("○", theme.get("status-dim"))
        };
        let style = if theme.source(i).fg.is_none() {
            status
        } else {
            style
        };
        let label = match (compact, source.enabled || source.error.is_some()) {
            (true, _) => format!("{}{mark}", i + 1),
            (false, true) => format!("{}{mark}{} ", i + 1, source.tag),
            (false, false) => format!("{}{mark}{} (hidden) ", i + 1, source.tag),
        };
        left.push(Span::styled(label, style));
    }
    if compact && !f.sources.is_empty() {
        left.push(Span::styled(" ", status));
    }
    left
}

/// The sources as a count, the hidden and failed ones counted too, and
/// the key that lists them.
fn sources_counted(app: &App) -> Span<'static> {
    let sources = &app.frame.sources;
    let failed = sources.iter().filter(|s| s.error.is_some()).count();
    let hidden = sources
        .iter()
        .filter(|s| !s.enabled && s.error.is_none())
        .count();
    let mut text = format!(
        "{} source{}",
        group(sources.len() as u64),
        if sources.len() == 1 { "" } else { "s" }
    );
    let mut said = Vec::new();
    if hidden > 0 {
        said.push(format!("{} hidden", group(hidden as u64)));
    }
    if failed > 0 {
        said.push(format!("{} failed", group(failed as u64)));
    }
    if !said.is_empty() {
        text.push_str(&format!(" ({})", said.join(", ")));
    }
    let style = if failed > 0 {
        let theme = &app.theme;
        theme
            .get("status")
            .fg(theme.get("error").fg.unwrap_or_default())
    } else {
        app.theme.get("status")
    };
    Span::styled(format!("{text} {}", panel_key(app)), style)
}

/// The key that opens the sources panel, for the status bar to name.
fn panel_key(app: &App) -> String {
    app.keymap
        .listing()
        .iter()
        .find(|(action, _)| *action == crate::view::keymap::Action::Sources)
        .and_then(|(_, keys)| keys.first().cloned())
        .map(|key| format!("{key} "))
        .unwrap_or_default()
}

/// The error of the first unreadable source (else the first warning: a
/// retry, a download or archive that stopped part-way), to keep it in sight.
fn first_error(app: &App) -> Option<String> {
    let sources = &app.frame.sources;
    sources
        .iter()
        .find(|s| s.error.is_some())
        .or_else(|| sources.iter().find(|s| s.warning.is_some()))
        .and_then(|s| s.problem())
        .map(|p| p.one_line())
}

#[cfg(test)]
mod tests {
    use crate::engine::group;

    #[test]
    fn thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(8_670_000), "8,670,000");
    }
}
