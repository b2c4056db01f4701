//! The `?` help screen: every key, from the keymap itself.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::view::app::App;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let mut lines: Vec<Line> = app
        .keymap
        .listing()
        .iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<24}", keys.join(" ")),
                    app.theme
                        .get("help")
                        .add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    lines.push(Line::from(" 1-9                     hide/show source N"));
    lines.push(Line::from(
        " mouse wheel             scroll; click the timeline to jump",
    ));
    lines.push(Line::from(""));
    lines.push(Line::from(" any key closes this help"));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 72.min(area.width);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" logweave keys ")),
        popup,
    );
}
