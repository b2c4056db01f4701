//! The list of marks `'` shows while it waits for a letter.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::view::app::App;
use crate::view::text;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let marks = &app.frame.marks;
    let width = area.width.min(100);
    let inner = width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(marks.len() + 1);
    for mark in marks {
        let tag = app
            .frame
            .sources
            .get(mark.source)
            .map_or("?", |s| s.tag.as_str());
        let time = mark.time.as_deref().unwrap_or("(no time)");
        let head = format!(" {}  {time}  {tag}  ", mark.letter);
        let room = inner.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
        let pieces = text::display_marked(
            &mark.preview,
            ratatui::style::Style::default(),
            app.theme.get("control"),
            room,
            &[],
            ratatui::style::Style::default(),
            text::Sgr::Strip,
        );
        let mut spans = vec![Span::styled(
            head,
            app.theme.get("help").add_modifier(Modifier::BOLD),
        )];
        spans.extend(text::slice(&pieces, 0, room));
        lines.push(Line::from(spans));
    }
    if marks.is_empty() {
        lines.push(Line::from(
            " no marks yet: m + a letter marks the focused record",
        ));
    }
    lines.push(Line::from(
        " ' back to where the last jump started   ^ start   $ end",
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + area.height.saturating_sub(height),
        width,
        height,
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" marks ")),
        popup,
    );
}
