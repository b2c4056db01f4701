//! The timeline strip: records per time bucket (coloured by the source with
//! most records there), errors, and where the screen is.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::view::app::{App, Mode};

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let Some(timeline) = app.frame.timeline.as_ref() else {
        let text = match app.frame.overview_progress {
            Some(p) => format!(" timeline: counting… {p}%"),
            None => " timeline: no timestamps".to_string(),
        };
        frame.render_widget(Paragraph::new(text), area);
        return;
    };
    let width = (area.width as usize).min(timeline.errors.len());
    let totals = &timeline.records[..width.min(timeline.records.len())];
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as u64;
    let here = app.here_column();
    let selected = match app.mode {
        Mode::Timeline { column } => Some(column),
        _ => None,
    };
    // Two rows of bars: 16 heights.
    let mut rows: [Vec<Span>; 2] = [Vec::new(), Vec::new()];
    for (c, &total) in totals.iter().enumerate() {
        let level = (total as u64 * 16).div_ceil(max) as usize;
        let mut style = theme.source(timeline.dominant.get(c).copied().unwrap_or(0));
        if selected == Some(c) {
            style = style.add_modifier(ratatui::style::Modifier::REVERSED);
        }
        let top = BARS[level.saturating_sub(8).min(8)];
        let bottom = BARS[level.min(8)];
        rows[0].push(Span::styled(top.to_string(), style));
        rows[1].push(Span::styled(bottom.to_string(), style));
    }
    // The row under the bars: where the screen is, marks, errors.
    let marks: Vec<(usize, char)> = app
        .frame
        .marks
        .iter()
        .filter_map(|m| Some((timeline.column_of(m.ts?), m.letter)))
        .collect();
    let mut error_spans = Vec::new();
    for c in 0..width {
        let mark = marks.iter().find(|(column, _)| *column == c);
        let span = match (here == Some(c), mark, timeline.errors[c]) {
            (true, _, _) => Span::styled("▲", theme.get("timeline-here")),
            (false, Some((_, letter)), _) => Span::styled(letter.to_string(), theme.get("mark")),
            (false, None, 0) => Span::raw(" "),
            (false, None, _) => Span::styled("!", theme.get("timeline-error")),
        };
        error_spans.push(span);
    }
    let start = crate::engine::short_time(timeline.start, &app.frame.zone);
    let end = crate::engine::short_time(timeline.end, &app.frame.zone);
    let pad = (area.width as usize).saturating_sub(start.len() + end.len());
    let axis = Line::from(format!("{start}{}{end}", " ".repeat(pad)));
    let [top, bottom] = rows;
    let lines = vec![
        Line::from(top),
        Line::from(bottom),
        Line::from(error_spans),
        axis,
    ];
    frame.render_widget(Paragraph::new(lines), area);
}
