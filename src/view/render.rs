//! Drawing a frame: pure functions of the app state onto a ratatui buffer,
//! so they are tested with `TestBackend` snapshots.

mod help;
mod log_pane;
mod status_bar;
mod timeline;

use ratatui::Frame;

use super::app::{App, Mode};

/// Draws everything. Returns nothing; records in `app.shown_lines` how many
/// log lines fit (a page, for paging in wrap mode).
pub fn draw(frame: &mut Frame, app: &mut App) {
    let areas = app.areas();
    if let Some(area) = areas.timeline {
        timeline::draw(frame, app, area);
    }
    app.shown_lines = log_pane::draw(frame, app, areas.pane);
    status_bar::draw(frame, app, areas.status);
    if app.mode == Mode::Help {
        help::draw(frame, app, areas.pane);
    }
}
