//! The fields pane (`P`): a box over the log with one row a field — name,
//! then value — where the record is, and its exception's frames. Values
//! go through the log's escaping (control characters as `^X`, SGR
//! dropped), so a value with escape sequences draws as text.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::view::app::{App, FieldRow, FieldsPane, RowKind};
use crate::view::text;

/// The widest a name column gets; longer names are cut.
const NAME_MAX: usize = 24;

pub fn draw(frame: &mut Frame, app: &App, area: Rect, pane: &FieldsPane) {
    let width = area.width.saturating_sub(2).min(200);
    if width < 20 || area.height < 5 {
        return;
    }
    let inner_width = width.saturating_sub(2) as usize;
    let rows = (area.height as usize).saturating_sub(3);
    let name_width = pane
        .rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(NAME_MAX);
    let chosen = app.theme.get("focus");
    let name_style = app.theme.get("help").add_modifier(Modifier::BOLD);
    // The chosen row is shown whole (up to half the box): a long value or
    // frame is what one opens the pane to read. The others take a line
    // each, a cut one ending in `…`.
    let most = (rows / 2).max(1);
    let chosen_lines = pane.rows.get(pane.selected).map_or(1, |row| {
        value_lines(row, name_width, inner_width, most).len()
    });
    let first = pane
        .selected
        .saturating_sub(rows.saturating_sub(chosen_lines));
    let mut lines = Vec::new();
    for (i, row) in pane.rows.iter().enumerate().skip(first) {
        let is_chosen = i == pane.selected;
        let style = if is_chosen { chosen } else { Style::default() };
        let value_style = match row.kind {
            RowKind::Place => Style::default().add_modifier(Modifier::DIM),
            RowKind::Field => Style::default(),
            RowKind::Frame => app.theme.get("error"),
        };
        let values = value_lines(
            row,
            name_width,
            inner_width,
            if is_chosen { most } else { 1 },
        );
        if lines.len() + values.len() > rows {
            break;
        }
        for (n, value) in values.into_iter().enumerate() {
            // A traceback's line takes the whole width, indented as Python
            // prints it; a value's next lines start under its first.
            let name = match row.kind {
                RowKind::Frame => " ".to_string(),
                _ if n > 0 => " ".repeat(name_width + 2),
                _ => format!(" {:<name_width$} ", escaped(&row.name, NAME_MAX)),
            };
            lines.push(Line::from(vec![
                Span::styled(name, name_style.patch(style)),
                Span::styled(value, value_style.patch(style)),
            ]));
        }
    }
    lines.push(Line::from(format!(
        " {} of {}: j/k choose, y copies the value, Y the raw record, Esc closes",
        pane.selected + 1,
        pane.rows.len()
    )));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect::new(area.x + (area.width - width) / 2, area.y, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(
            " fields of {} @ {} ",
            escaped(&pane.record.tag, 40),
            pane.record.offset
        ))),
        popup,
    );
}

/// `row`'s value in lines of the room beside its name, at most `most`
/// of them; the last ends in `…` when the value goes on.
fn value_lines(row: &FieldRow, name_width: usize, inner_width: usize, most: usize) -> Vec<String> {
    let name_cols = match row.kind {
        RowKind::Frame => 0,
        _ => name_width + 1,
    };
    let room = inner_width.saturating_sub(name_cols + 1).max(1);
    let plain = Style::default();
    let pieces = text::display(row.value.as_bytes(), plain, plain, usize::MAX);
    let total = text::width(&pieces);
    let mut lines = Vec::new();
    let mut col = 0;
    while lines.len() < most {
        let last = lines.len() + 1 == most;
        if last && total - col > room {
            let cut: String = spans_text(text::slice(&pieces, col, room - 1));
            lines.push(format!("{cut}…"));
            break;
        }
        lines.push(spans_text(text::slice(&pieces, col, room)));
        col += room;
        if col >= total {
            break;
        }
    }
    lines
}

fn spans_text(spans: Vec<Span<'static>>) -> String {
    spans
        .into_iter()
        .map(|span| span.content.into_owned())
        .collect()
}

/// `text` as the log pane would draw it, at most `cols` columns.
fn escaped(value: &str, cols: usize) -> String {
    let plain = Style::default();
    text::display(value.as_bytes(), plain, plain, cols)
        .into_iter()
        .map(|piece| piece.text)
        .collect()
}
