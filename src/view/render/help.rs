//! The help screen (`F1`, `H`, or Enter on an empty `?` or `/` prompt):
//! every key, from the keymap itself, then each source with how its times
//! and levels are read; it scrolls when the screen is shorter than the
//! list, and any other key closes it.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::view::app::App;

/// Lines after the keymap's own: keys that are not actions.
const EXTRA: [&str; 5] = [
    " N before a key          a count, as in less: 100g line 100, 50% half-way, 10j, 5n, 3x",
    " mouse                   wheel scrolls; click a line to focus it, the timeline to jump",
    " prompts                 ↑↓ history; Tab completes a file name; Ctrl-r literal",
    " after s, |, Y           a mark letter: mark..focus; . the focused record; % all shown",
    " ✂ ending a line         shown to its first 64 KiB; s. saves the record whole",
];

/// How much of the help a screen area shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    /// Lines of the help.
    pub total: usize,
    /// Lines the popup shows at once.
    pub shown: usize,
}

impl Extent {
    /// The furthest the help scrolls: its last line at the popup's bottom.
    pub fn max_scroll(self) -> usize {
        self.total.saturating_sub(self.shown)
    }
}

/// The help's extent in `area` (what the keys that scroll it go by).
pub fn extent(app: &App, area: Rect) -> Extent {
    let total = lines(app).len();
    Extent {
        total,
        shown: popup_height(total, area).saturating_sub(3) as usize,
    }
}

/// The popup's rows: the lines, its border and footer, at most the area.
fn popup_height(total: usize, area: Rect) -> u16 {
    (total.min(usize::from(u16::MAX - 3)) as u16 + 3).min(area.height)
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect, scroll: usize) {
    let lines = lines(app);
    let total = lines.len();
    let height = popup_height(total, area);
    let shown = height.saturating_sub(3) as usize;
    let scroll = scroll.min(total.saturating_sub(shown));
    let footer = if shown < total {
        format!(
            " j/k, Space/b, g/G scroll ({}–{} of {total}); any other key closes",
            scroll + 1,
            (scroll + shown).min(total)
        )
    } else {
        " any key closes this help".to_string()
    };
    let mut visible: Vec<Line> = lines.into_iter().skip(scroll).take(shown).collect();
    visible.push(Line::from(footer));
    let width = 90.min(area.width);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(visible).block(Block::bordered().title(" logweave keys ")),
        popup,
    );
}

/// Every line of the help, unscrolled.
fn lines(app: &App) -> Vec<Line<'static>> {
    let key_style = app.theme.get("help").add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = app
        .keymap
        .listing()
        .iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(format!(" {:<24}", keys.join(" ")), key_style),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    lines.extend(EXTRA.iter().map(|l| Line::from(*l)));
    // How each source's times and levels are read (what the sniffing found).
    if !app.frame.sources.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(" sources", key_style)));
        for (i, source) in app.frame.sources.iter().enumerate() {
            let format = crate::view::text::display(
                source.format.as_bytes(),
                Default::default(),
                Default::default(),
                usize::MAX,
            )
            .into_iter()
            .map(|piece| piece.text)
            .collect::<String>();
            lines.push(Line::from(format!(
                " {} {:<10} {format}",
                i + 1,
                source.tag
            )));
            if let Some(copies) = &source.copies {
                lines.push(Line::from(format!("   {:<10} {copies}", "")));
            }
        }
    }
    lines.push(Line::from(""));
    lines
}
