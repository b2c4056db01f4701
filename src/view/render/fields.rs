//! The fields pane (`P`): a box over the log with one row a field — name,
//! then value — where the record is, and its exception's frames. Values
//! go through the log's escaping (control characters as `^X`, SGR
//! dropped), so a value with escape sequences draws as text.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::view::app::{App, FieldsPane, RowKind};
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
    let first = pane.selected.saturating_sub(rows.saturating_sub(1));
    let name_width = pane
        .rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(NAME_MAX);
    let chosen = app.theme.get("focus");
    let name_style = app.theme.get("help").add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    for (i, row) in pane.rows.iter().enumerate().skip(first).take(rows) {
        let style = if i == pane.selected {
            chosen
        } else {
            Style::default()
        };
        let value_style = match row.kind {
            RowKind::Place => Style::default().add_modifier(Modifier::DIM),
            RowKind::Field => Style::default(),
            RowKind::Frame => app.theme.get("error"),
        };
        // A traceback's line takes the whole width, indented as Python
        // prints it.
        let name_cols = match row.kind {
            RowKind::Frame => 0,
            _ => name_width + 1,
        };
        let name: String = escaped(&row.name, NAME_MAX);
        let room = inner_width.saturating_sub(name_cols + 1);
        let name = match row.kind {
            RowKind::Frame => " ".to_string(),
            _ => format!(" {name:<name_width$} "),
        };
        lines.push(Line::from(vec![
            Span::styled(name, name_style.patch(style)),
            Span::styled(escaped(&row.value, room), value_style.patch(style)),
        ]));
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

/// `text` as the log pane would draw it, at most `cols` columns.
fn escaped(value: &str, cols: usize) -> String {
    let plain = Style::default();
    text::display(value.as_bytes(), plain, plain, cols)
        .into_iter()
        .map(|piece| piece.text)
        .collect()
}
