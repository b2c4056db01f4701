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
    // Narrow terminals: compact the source list, then drop the line count,
    // before anything that says where you are.
    let width = area.width as usize;
    let mut left = Vec::new();
    for (compact, with_lines) in [(false, true), (true, true), (true, false)] {
        left = left_part(app, compact, with_lines);
        if spans_width(&left) + right.width().min(width / 2) <= width {
            break;
        }
    }
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

fn left_part(app: &App, compact: bool, with_lines: bool) -> Vec<Span<'static>> {
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
    match (f.line_number, f.overview_progress) {
        (Some((line, total)), _) if with_lines => left.push(Span::styled(
            format!("line {} of {} ", group(line), group(total)),
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
        Some(true) => left.push(Span::styled("FOLLOW ", theme.get("message"))),
        Some(false) => left.push(Span::styled("paused ", theme.get("status-dim"))),
        None => {}
    }
    if !f.filters.is_empty() {
        left.push(Span::styled(
            format!("{} ", escaped(&f.filters.join(" "))),
            theme.get("message"),
        ));
    }
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
