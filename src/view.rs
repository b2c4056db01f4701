//! The interactive viewer (ratatui + crossterm on a tokio event loop).
//!
//! The view draws frames the engine publishes and turns keys into engine
//! commands. It never reads a source; it imports only the engine's types.
//! Renders are coalesced: all input that is ready is handled before one draw.

pub mod app;
pub mod json;
pub mod keymap;
pub mod picker;
pub mod render;
pub mod terminal;
pub mod text;
pub mod theme;

mod hand_over;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

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
    /// The config's `[filters]`: `&@NAME` in the filter prompt.
    pub filters: std::collections::BTreeMap<String, String>,
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
    app.named_filters = options.filters.clone();
    send(vec![app.resize_command()]);
    send(app.rows_command().into_iter().collect());

    let mut input = input_events()?;
    let mut signals = Signals::new()?;

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
                        Event::Paste(text) => app.on_paste(&text),
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
                // A key or a resize may have changed how rows are counted.
                send(app.rows_command().into_iter().collect());
                if let Some((text, said)) = app.clipboard.take() {
                    hand_over::copy_to_clipboard(guard.terminal.backend_mut(), &text)?;
                    app.note = Some(said);
                }
                if let Some(run) = app.run.take() {
                    app.note = Some(hand_over::run(guard, commands, run));
                    signals.drain().await;
                }
                if std::mem::take(&mut app.suspend) {
                    hand_over::suspend_to_shell(guard)?;
                    // The terminal may have been resized meanwhile.
                    let size = guard.terminal.size()?;
                    send(app.on_resize(size.width, size.height));
                }
            }
            changed = frames.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                app.frame = frames.borrow_and_update().clone();
                // Other sources or marks may change the pane's text width.
                send(app.rows_command().into_iter().collect());
                if let Some(note) = hand_over::act_on_effect(guard, &mut app)? {
                    app.note = Some(note);
                    signals.drain().await;
                }
            }
            _ = signals.any() => return Ok(()),
        }
    }
}

/// Terminal input as a channel. crossterm's reader blocks, so it gets a
/// thread of its own — one for the whole process, since a reader left
/// blocked by the picker would swallow the viewer's first key. It hands
/// each event to the latest channel asked for, keeping what arrives while
/// there is none (between the picker and the viewer).
fn input_events() -> io::Result<mpsc::UnboundedReceiver<Event>> {
    static STARTED: AtomicBool = AtomicBool::new(false);
    let (sender, receiver) = mpsc::unbounded_channel();
    {
        let mut hub = input_hub();
        for event in hub.pending.drain(..) {
            let _ = sender.send(event);
        }
        hub.subscriber = Some(sender);
    }
    if !STARTED.swap(true, Ordering::SeqCst) {
        let spawned = std::thread::Builder::new().name("input".into()).spawn(|| {
            while let Some(event) = next_event() {
                let mut hub = input_hub();
                let event = match &hub.subscriber {
                    Some(sender) => match sender.send(event) {
                        Ok(()) => continue,
                        Err(unsent) => unsent.0,
                    },
                    None => event,
                };
                hub.subscriber = None;
                if hub.pending.len() < PENDING_MAX {
                    hub.pending.push(event);
                }
            }
        });
        if let Err(e) = spawned {
            STARTED.store(false, Ordering::SeqCst);
            return Err(e);
        }
    }
    Ok(receiver)
}

/// The next terminal event, or `None` when the terminal is gone. Waits
/// while input is paused, and polls rather than blocks in a read so that a
/// pause takes effect within [`INPUT_POLL`].
fn next_event() -> Option<Event> {
    loop {
        {
            let (gate, turned) = input_gate();
            let mut state = gate.lock().unwrap_or_else(|e| e.into_inner());
            if state.paused {
                state.parked = true;
                turned.notify_all();
                while state.paused {
                    state = turned.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.parked = false;
            }
        }
        match event::poll(INPUT_POLL) {
            Ok(true) => return event::read().ok(),
            Ok(false) => continue,
            Err(_) => return None,
        }
    }
}

/// How soon the input reader notices a pause. Not shorter: crossterm's
/// poll spins through the last fraction of a millisecond of each wait
/// (its timeout is cut to whole milliseconds), about 1 ms of CPU a wait,
/// and an idle viewer is to cost well under 1 % of a core.
const INPUT_POLL: Duration = Duration::from_millis(200);

#[derive(Default)]
struct GateState {
    paused: bool,
    /// The reader saw the pause and reads nothing until it ends.
    parked: bool,
}

fn input_gate() -> &'static (Mutex<GateState>, Condvar) {
    static GATE: (Mutex<GateState>, Condvar) = (
        Mutex::new(GateState {
            paused: false,
            parked: false,
        }),
        Condvar::new(),
    );
    &GATE
}

/// Stops reading the terminal (another program gets its keys) and waits
/// until the reader has stopped.
fn pause_input() {
    let (gate, turned) = input_gate();
    let mut state = gate.lock().unwrap_or_else(|e| e.into_inner());
    state.paused = true;
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while !state.parked {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            // No reader running (or it is gone): nothing to wait for.
            break;
        }
        state = turned
            .wait_timeout(state, left)
            .map(|(s, _)| s)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

/// Reads the terminal again.
fn resume_input() {
    let (gate, turned) = input_gate();
    gate.lock().unwrap_or_else(|e| e.into_inner()).paused = false;
    turned.notify_all();
}

/// Input kept while no one listens: a few keystrokes' worth.
const PENDING_MAX: usize = 256;

struct InputHub {
    subscriber: Option<mpsc::UnboundedSender<Event>>,
    pending: Vec<Event>,
}

fn input_hub() -> std::sync::MutexGuard<'static, InputHub> {
    static HUB: Mutex<InputHub> = Mutex::new(InputHub {
        subscriber: None,
        pending: Vec::new(),
    });
    HUB.lock().unwrap_or_else(|e| e.into_inner())
}

/// SIGTERM, SIGINT and SIGHUP: each ends the viewer or the picker like `q`,
/// so that the terminal is given back.
struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for any of them.
    async fn any(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }

    /// Forgets the ones that came while another program had the terminal
    /// (Ctrl-C there was meant for it).
    async fn drain(&mut self) {
        while tokio::time::timeout(Duration::from_millis(1), self.any())
            .await
            .is_ok()
        {}
    }
}
