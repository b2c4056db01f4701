//! The log pane: tagged, levelled, sanitised lines; wrapped or scrolled
//! sideways; Airflow 3 JSON rendered as text.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engine::{count, FrameLine, Level, Matcher, RowMeasure};
use crate::view::app::App;
use crate::view::json::{self, Fields};
use crate::view::text::{self, Piece};
use crate::view::theme::Theme;

/// Marker before a record kept in file order although it is out of time
/// order by more than the reorder window.
const LATE_MARKER: &str = "late ";

/// In the gutter, on a record whose template the baseline never had.
const NEW_MARKER: &str = "+";

/// Marker before a line cut at the display cap.
const CUT_MARKER: &str = "✂ ";

/// Columns of the mark gutter, shown while there are marks or a baseline
/// to compare with: a mark's letter, then `+` on a new record.
const GUTTER: usize = 2;

/// Draws the pane.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let pane = layout(app, area);
    frame.render_widget(Paragraph::new(pane.rows), area);
}

/// How the pane counts a line's rows, for the engine: the same
/// [`display_rows`] and [`wrap`] as [`draw`], at the pane's text width.
pub fn measure(app: &App, area: Rect) -> PaneRows {
    PaneRows {
        theme: app.theme.clone(),
        json: app.frame.sources.iter().map(|s| s.json).collect(),
        raw_json: app.raw_json,
        fields: app.fields,
        wrap: app.wrap,
        text_width: text_width(app, area),
    }
}

/// The rows a line takes in the pane: what the engine moves the screen by.
#[derive(Clone, Debug)]
pub struct PaneRows {
    theme: Theme,
    /// Which sources are JSON (rendered unless `raw_json`).
    json: Vec<bool>,
    raw_json: bool,
    fields: Fields,
    wrap: bool,
    text_width: usize,
}

impl PaneRows {
    /// Whether the pane in `area` counts rows as this measure does: asked
    /// after every key (a 100 KB paste typed as keys is 100,000 of them),
    /// so it allocates nothing.
    pub fn measures_as(&self, app: &App, area: Rect) -> bool {
        (self.raw_json, self.fields, self.wrap, self.text_width)
            == (app.raw_json, app.fields, app.wrap, text_width(app, area))
            && self
                .json
                .iter()
                .copied()
                .eq(app.frame.sources.iter().map(|s| s.json))
    }
}

impl RowMeasure for PaneRows {
    fn drawn(&self, text: &[u8]) -> Option<Vec<String>> {
        if self.raw_json || !self.json.iter().any(|&json| json) {
            return None;
        }
        let lines = json::render(text, self.fields)?;
        Some(lines.into_iter().map(|line| line.text).collect())
    }

    fn rows(&self, line: &FrameLine) -> usize {
        let json = self.json.get(line.source).copied().unwrap_or(false);
        let rendered = json && !self.raw_json;
        if !self.wrap && !rendered && line.fold.is_none() {
            // One row, whatever the line holds: no need to look.
            return 1;
        }
        let paint = Paint {
            theme: &self.theme,
            highlight: None,
            json,
            raw_json: self.raw_json,
            fields: self.fields,
        };
        display_rows(&paint, line, usize::MAX)
            .iter()
            .map(|pieces| {
                if self.wrap {
                    wrap(pieces, self.text_width).len()
                } else {
                    1
                }
            })
            .sum::<usize>()
            .max(1)
    }
}

/// What drawing a line's text needs besides the line.
struct Paint<'a> {
    theme: &'a Theme,
    /// The search whose hits are marked.
    highlight: Option<&'a Matcher>,
    /// The line's source is JSON.
    json: bool,
    raw_json: bool,
    fields: Fields,
}

/// The log line (an index into the frame's lines) shown on screen row
/// `row` of `area`: what a click there means.
pub fn line_at_row(app: &App, area: Rect, row: usize) -> Option<usize> {
    layout(app, area).line_of_row.get(row).copied()
}

/// The pane as laid out.
struct Pane {
    rows: Vec<Line<'static>>,
    /// The log line each row shows.
    line_of_row: Vec<usize>,
}

/// Columns of a line's text: the pane less the mark gutter and the tags.
fn text_width(app: &App, area: Rect) -> usize {
    let tag_width = if app.tags { tag_width(app) } else { 0 };
    (area.width as usize)
        .saturating_sub(tag_width + gutter(app))
        .max(1)
}

fn gutter(app: &App) -> usize {
    if app.frame.marks.is_empty() && app.frame.comparison.is_none() {
        0
    } else {
        GUTTER
    }
}

/// The screen rows of the pane and which log line each shows; the first
/// line's first `frame.skip` rows are above the pane.
fn layout(app: &App, area: Rect) -> Pane {
    let rows = area.height as usize;
    let width = area.width as usize;
    let gutter = gutter(app);
    let tag_width = if app.tags { tag_width(app) } else { 0 };
    let text_width = text_width(app, area);
    let mut out: Vec<Line> = Vec::with_capacity(rows);
    let mut line_of_row = Vec::with_capacity(rows);
    let mut skip = app.frame.skip;
    let mut focus_style = app.theme.get("focus");
    if focus_style.fg == Some(ratatui::style::Color::Reset) {
        // "default" here means the line keeps its own colour.
        focus_style.fg = None;
    }
    for (index, line) in app.frame.lines.iter().enumerate() {
        if out.len() >= rows {
            break;
        }
        let focused = app.frame.focus == Some(index);
        let tag = tag_span(app, line, tag_width);
        let max_cols = if app.wrap {
            text_width.saturating_mul(rows + skip)
        } else {
            app.hscroll + text_width
        };
        let paint = Paint {
            theme: &app.theme,
            highlight: app.frame.highlight.as_deref(),
            json: app.frame.sources.get(line.source).is_some_and(|s| s.json),
            raw_json: app.raw_json,
            fields: app.fields,
        };
        let displays = display_rows(&paint, line, max_cols);
        for (i, pieces) in displays.iter().enumerate() {
            let chunks = if app.wrap {
                wrap(pieces, text_width)
            } else {
                vec![(app.hscroll, text_width)]
            };
            for (j, (from, cols)) in chunks.into_iter().enumerate() {
                if out.len() >= rows {
                    break;
                }
                if skip > 0 {
                    // Above the pane.
                    skip -= 1;
                    continue;
                }
                let mut spans = Vec::new();
                if gutter > 0 {
                    let first_row = i == 0 && j == 0;
                    spans.push(match line.mark.filter(|_| first_row) {
                        Some(letter) => Span::styled(letter.to_string(), app.theme.get("mark")),
                        None => Span::raw(" "),
                    });
                    spans.push(if line.new && first_row {
                        Span::styled(NEW_MARKER, app.theme.get("new-marker"))
                    } else {
                        Span::raw(" ".repeat(GUTTER - 1))
                    });
                }
                if tag_width > 0 {
                    spans.push(if i == 0 && j == 0 {
                        tag.clone()
                    } else {
                        Span::raw(" ".repeat(tag_width))
                    });
                }
                spans.extend(text::slice(pieces, from, cols));
                let mut row = Line::from(spans);
                if focused {
                    // Over the line's own colours, to the right edge.
                    let used = row.width();
                    if used < width {
                        row.spans.push(Span::raw(" ".repeat(width - used)));
                    }
                    // Spans with a background of their own (a search hit,
                    // a control character) keep it; "default" gives way.
                    for span in &mut row.spans {
                        if matches!(span.style.bg, None | Some(ratatui::style::Color::Reset)) {
                            span.style.bg = focus_style.bg;
                        }
                    }
                    // Its modifiers (underline under NO_COLOR) on the whole row.
                    row = row.patch_style(
                        ratatui::style::Style::default().add_modifier(focus_style.add_modifier),
                    );
                }
                out.push(row);
                line_of_row.push(index);
            }
        }
        // Rows above the pane are of the first line only.
        skip = 0;
    }
    Pane {
        rows: out,
        line_of_row,
    }
}

/// The display lines of one log line: itself, or its JSON rendering.
fn display_rows(paint: &Paint, line: &FrameLine, max_cols: usize) -> Vec<Vec<Piece>> {
    let theme = paint.theme;
    let control = theme.get("control");
    let base = line_style(theme, line);
    let hit = theme.get("search-hit");
    // Only what can show is looked at: a column takes at most 4 bytes
    // (and a match running past the edge is marked up to it).
    let shown_bytes = max_cols.saturating_mul(4).saturating_add(1024);
    let marks = |bytes: &[u8]| {
        paint
            .highlight
            .map(|m| m.highlights(&bytes[..bytes.len().min(shown_bytes)]))
            .unwrap_or_default()
    };
    let sgr = if theme.colour {
        text::Sgr::Colour
    } else {
        text::Sgr::Strip
    };
    let mut pieces = Vec::new();
    if let Some(fold) = &line.fold {
        // Before any rendering: a group looks the same raw, rendered or wrapped.
        let style = theme.get("fold");
        let marker = |text: String| Piece {
            width: unicode_width::UnicodeWidthStr::width(text.as_str()),
            text,
            style,
        };
        if fold.folded {
            // The whole group is this one line, as in the Airflow UI; its
            // name is the log's text, escaped like the rest of it.
            let mut row = vec![marker("▸ ".into())];
            let name = fold.name.as_bytes();
            row.extend(text::display_marked(
                name,
                style,
                control,
                max_cols,
                &marks(name),
                hit,
                sgr,
            ));
            row.push(marker(format!(" ({})", count(fold.lines, "line"))));
            return vec![row];
        }
        pieces.push(marker(match fold.no_end_within {
            Some(_) if fold.no_end_yet => "▾ (no end yet: not folded) ".to_string(),
            Some(reach) => format!("▾ (no end within {} MiB: not folded) ", reach >> 20),
            None => "▾ ".to_string(),
        }));
    }
    if line.late {
        pieces.push(Piece {
            text: LATE_MARKER.to_string(),
            width: 5,
            style: theme.get("late-marker"),
        });
    }
    if paint.json && !paint.raw_json {
        if let Some(rendered) = json::render(&line.text, paint.fields) {
            let detail = level_style(theme, line.level.max(Level::Error));
            // The markers before it go on its first row; hits are marked
            // where they show in the rendering.
            let mut first = Some(pieces);
            return rendered
                .iter()
                .map(|row| {
                    let style = if row.traceback { detail } else { base };
                    let mut shown = first.take().unwrap_or_default();
                    shown.extend(text::display_marked(
                        row.text.as_bytes(),
                        style,
                        control,
                        max_cols,
                        &marks(row.text.as_bytes()),
                        hit,
                        sgr,
                    ));
                    shown
                })
                .collect();
        }
    }
    if line.cut {
        pieces.push(Piece {
            text: CUT_MARKER.to_string(),
            width: 2,
            style: theme.get("cut-marker"),
        });
    }
    pieces.extend(text::display_marked(
        &line.text,
        base,
        control,
        max_cols,
        &marks(&line.text),
        hit,
        sgr,
    ));
    vec![pieces]
}

fn line_style(theme: &Theme, line: &FrameLine) -> Style {
    let text = &line.text;
    if memchr::memmem::find(text, b"::group::").is_some()
        || memchr::memmem::find(text, b"::endgroup::").is_some()
    {
        return theme.get("group-marker");
    }
    match line.level {
        Level::Debug if !line.first => theme.get("continuation"),
        level => level_style(theme, level),
    }
}

fn level_style(theme: &Theme, level: Level) -> Style {
    match level {
        Level::Critical => theme.get("critical"),
        Level::Error => theme.get("error"),
        Level::Warning => theme.get("warning"),
        Level::Debug => theme.get("debug"),
        Level::Info | Level::Unknown => Style::default(),
    }
}

/// `(skip, columns)` for each screen row of a wrapped line.
fn wrap(pieces: &[Piece], width: usize) -> Vec<(usize, usize)> {
    let total = text::width(pieces).max(1);
    (0..total.div_ceil(width))
        .map(|row| (row * width, width))
        .collect()
}

fn tag_width(app: &App) -> usize {
    app.frame
        .sources
        .iter()
        .map(|s| s.tag.chars().count())
        .max()
        .unwrap_or(0)
        .min(TAG_MAX)
        .min(usize::from(app.size.0) / 3)
        + 1
}

/// The widest tag column: a longer tag loses its middle.
const TAG_MAX: usize = 24;

fn tag_span(app: &App, line: &FrameLine, width: usize) -> Span<'static> {
    let tag = app
        .frame
        .sources
        .get(line.source)
        .map(|s| s.tag.as_str())
        .unwrap_or("?");
    let shown = elide_tag(tag, width.saturating_sub(1));
    Span::styled(
        format!("{shown:<w$}", w = width),
        app.theme.source(line.source),
    )
}

/// A tag in `room` characters. A tag is the shortest path suffix that
/// tells its source from the others, so its first part is the one that
/// differs: a path that does not fit keeps that part whole and drops the
/// rest (`task_id=big/…`, not `task_id=big…ttempt=1.log` beside
/// `task_id=liv…ttempt=1.log`); anything else loses its middle.
fn elide_tag(tag: &str, room: usize) -> String {
    if tag.chars().count() > room {
        if let Some((first, _)) = tag.split_once('/').filter(|(first, _)| !first.is_empty()) {
            if first.chars().count() + 2 <= room {
                return format!("{first}/…");
            }
        }
    }
    elide_middle(tag, room)
}

/// `text` in `room` characters: whole if it fits, else its start and end
/// around `…` (a path suffix differs at its start, a file name at its end).
fn elide_middle(text: &str, room: usize) -> String {
    let count = text.chars().count();
    if count <= room {
        return text.to_string();
    }
    if room < 3 {
        return text.chars().take(room).collect();
    }
    let head = (room - 1) / 2;
    let tail = room - 1 - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod tests {
    use super::elide_tag;

    #[test]
    fn a_tag_too_long_keeps_the_part_that_tells_it_apart() {
        assert_eq!(elide_tag("task_id=big/attempt=1.log", 24), "task_id=big/…");
        assert_eq!(elide_tag("map_index=1/attempt=1.log", 24), "map_index=1/…");
        assert_eq!(
            elide_tag("remote/attempt=1.log", 24),
            "remote/attempt=1.log"
        );
        assert_eq!(
            elide_tag("attempt=1.log.trigger.42.log", 24),
            "attempt=1.l…igger.42.log"
        );
        assert_eq!(
            elide_tag("a_very_long_folder_name_here/x.log", 12),
            "a_ver…/x.log"
        );
    }
}
