//! The terminal: raw mode, alternate screen, mouse and bracketed paste in
//! (a paste arrives as one event, not as keys to obey); all of it out again
//! on every way out — normal exit, error, panic, SIGTERM/SIGINT/SIGHUP.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// Whether the terminal is currently taken over (restoring twice is harmless,
/// but restoring a terminal we never touched would print stray escapes).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Owns the terminal while the view runs; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Takes over the terminal and installs a panic hook that gives it back
    /// before the panic message is printed.
    pub fn enter() -> io::Result<Self> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(
            stdout,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        ) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Self { terminal })
    }
}

impl TerminalGuard {
    /// Hands the terminal to another program (`|`, `v`): main screen,
    /// cooked mode, cursor shown.
    pub fn suspend(&mut self) {
        restore();
    }

    /// Takes the terminal back after [`suspend`](Self::suspend) and
    /// redraws all of it.
    pub fn resume(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        // The alternate screen comes back blank. A blank draw tells ratatui
        // so (its clear() would ask the terminal where the cursor is, and
        // wait for an answer some terminals never give), and the next draw
        // then paints everything.
        self.terminal
            .draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))?;
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: main screen, cooked mode, cursor, no mouse.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut stdout = io::stdout();
        let _ = execute!(
            stdout,
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = stdout.flush();
    }
}
