//! The interactive viewer (ratatui + crossterm on a tokio event loop).
//!
//! The view draws frames the engine publishes and turns keys into engine
//! commands. It never reads a source; it imports only the engine's types.
//! Renders are coalesced: all input that is ready is handled before one draw.

pub mod app;
pub mod json;
pub mod keymap;
pub mod render;
pub mod terminal;
pub mod text;
pub mod theme;

use std::io;
use std::sync::Arc;

use crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::{mpsc, watch};

use crate::engine::{Command, Commands, Frame};
use app::App;
use keymap::Keymap;
use terminal::TerminalGuard;
use theme::Theme;

/// View settings from the command line, environment and config file.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    /// `NO_COLOR` is set.
    pub no_color: bool,
    /// Theme lines from the config file, over the built-in theme.
    pub theme: Vec<(String, String)>,
    /// Key bindings from the config file, over the built-in keymap.
    pub keys: Vec<(String, String)>,
}

/// Runs the viewer until the user quits or a signal ends it.
pub fn run(
    frames: watch::Receiver<Arc<Frame>>,
    commands: Commands,
    options: ViewOptions,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut guard = TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop(&mut guard, frames, &commands, options));
    let _ = commands.send(Command::Quit);
    drop(guard);
    result
}

async fn event_loop(
    guard: &mut TerminalGuard,
    mut frames: watch::Receiver<Arc<Frame>>,
    commands: &Commands,
    options: ViewOptions,
) -> io::Result<()> {
    let size = guard.terminal.size()?;
    let mut app = App::new(
        Keymap::load().with_overrides(&options.keys),
        Theme::with_overrides(options.no_color, &options.theme),
        (size.width, size.height),
    );
    let send = |list: Vec<Command>| {
        for command in list {
            let _ = commands.send(command);
        }
    };
    send(vec![app.resize_command()]);

    // crossterm's reader blocks: it gets a thread, and hands events over.
    let (input_tx, mut input) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || loop {
            match event::read() {
                Ok(ev) => {
                    if input_tx.send(ev).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        })?;

    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;

    loop {
        // Every wake-up below is input or a new frame: both are drawn.
        guard.terminal.draw(|f| render::draw(f, &app))?;
        tokio::select! {
            ev = input.recv() => {
                let Some(ev) = ev else { return Ok(()) };
                let mut pending = vec![ev];
                // Coalesce: everything already typed, then one draw.
                while let Ok(more) = input.try_recv() {
                    pending.push(more);
                }
                for ev in pending {
                    let list = match ev {
                        Event::Key(key) if key.kind != KeyEventKind::Release => app.on_key(key),
                        Event::Mouse(mouse) => app.on_mouse(mouse),
                        Event::Resize(w, h) => {
                            guard.terminal.autoresize()?;
                            app.on_resize(w, h)
                        }
                        _ => Vec::new(),
                    };
                    send(list);
                    if app.quit {
                        return Ok(());
                    }
                }
            }
            changed = frames.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                app.frame = frames.borrow_and_update().clone();
            }
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        }
    }
}
