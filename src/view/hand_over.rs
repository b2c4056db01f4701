//! Handing the terminal to another program and taking it back: a command
//! fed a range (`|`), the user's editor (`v`); and the clipboard (`y`),
//! which is written to the terminal directly.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::process::{Command as Process, Stdio};

use base64::Engine as _;

use super::app::{App, Run};
use super::terminal::TerminalGuard;
use super::text::clipboard_text;
use super::{pause_input, resume_input};
use crate::engine::{Command, Commands, Destination, EffectKind, Sink};

/// Runs `run` with the terminal handed over; what to say afterwards.
pub fn run(guard: &mut TerminalGuard, commands: &Commands, run: Run) -> String {
    match run {
        Run::Pipe { range, command } => with_terminal_handed_over(guard, || {
            let note = pipe(commands, range, &command);
            wait_for_enter(&note);
            note
        }),
    }
}

/// Acts on the engine's effect in the frame, once per effect; what to say.
pub fn act_on_effect(guard: &mut TerminalGuard, app: &mut App) -> io::Result<Option<String>> {
    let Some(effect) = app.frame.effect.clone() else {
        return Ok(None);
    };
    if effect.id == app.last_effect {
        return Ok(None);
    }
    app.last_effect = effect.id;
    Ok(Some(match &effect.kind {
        EffectKind::Copy { text, summary } => {
            copy_to_clipboard(guard.terminal.backend_mut(), text)?;
            summary.clone()
        }
        EffectKind::Edit { path, line } => {
            with_terminal_handed_over(guard, || open_in_editor(path, *line))
        }
        EffectKind::Fields(record) => {
            // Only onto the log: a key typed meanwhile may have opened
            // something else, which stays.
            if app.mode == super::app::Mode::Normal {
                app.open_fields(record.clone());
            }
            return Ok(None);
        }
    }))
}

/// OSC 52: the terminal (also through SSH, and tmux with `set-clipboard
/// on`) puts the base64 payload on the system clipboard. The text was made
/// terminal-safe first, so nothing in a log can become an escape here.
pub fn copy_to_clipboard(out: &mut impl Write, text: &[u8]) -> io::Result<()> {
    let safe = clipboard_text(text);
    let payload = base64::engine::general_purpose::STANDARD.encode(safe.as_bytes());
    write!(out, "\x1b]52;c;{payload}\x07")?;
    out.flush()
}

/// Ctrl-Z: gives the terminal back and stops, as the shell's job control
/// expects of any terminal program (raw mode turned Ctrl-Z into a key, so
/// the stop is asked for here); `fg` continues here, and the screen is
/// taken back and drawn whole. The whole process group stops, as the
/// terminal would stop it (`tail -f x | logweave -`).
pub fn suspend_to_shell(guard: &mut TerminalGuard) -> io::Result<()> {
    pause_input();
    guard.suspend();
    // Returns once continued. A process group with no shell to continue
    // it (orphaned) is not stopped by the kernel: then it just goes on.
    let stopped = rustix::process::kill_current_process_group(rustix::process::Signal::TSTP);
    let resumed = guard.resume();
    resume_input();
    stopped.map_err(io::Error::from)?;
    resumed
}

fn with_terminal_handed_over(guard: &mut TerminalGuard, f: impl FnOnce() -> String) -> String {
    pause_input();
    guard.suspend();
    let note = f();
    let resumed = guard.resume();
    resume_input();
    match resumed {
        Ok(()) => note,
        Err(e) => format!("{note}; the screen may need Ctrl-l: {e}"),
    }
}

/// `|`: `sh -c command` with the range on its stdin, written by the engine
/// as `--print` would; stdout and stderr are the terminal.
fn pipe(commands: &Commands, range: crate::engine::Range, command: &str) -> String {
    println!();
    let child = Process::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return format!("cannot run sh: {e}"),
    };
    if let Some(stdin) = child.stdin.take() {
        let _ = commands.send(Command::Export {
            range,
            destination: Destination::Pipe(Sink::new(stdin)),
            tags: false,
        });
    }
    match child.wait() {
        Ok(status) if status.success() => format!("!{command}: done"),
        Ok(status) => format!("!{command}: {status}"),
        Err(e) => format!("!{command}: {e}"),
    }
}

/// As `less` does after `|`: the output stays until the user has read it.
/// Enter returns, and so does Ctrl-C, which stops what runs everywhere else
/// in the viewer (issue 26): read raw, so that it is a key here, not the
/// signal that the cooked terminal would send and no read would see.
fn wait_for_enter(note: &str) {
    print!("\n[{note}] press Enter (or Ctrl-c) to return to logweave ");
    let _ = io::stdout().flush();
    // The terminal, also when stdin is a log piped in.
    let Ok(mut tty) = std::fs::File::open("/dev/tty") else {
        return;
    };
    if crossterm::terminal::enable_raw_mode().is_err() {
        let _ = io::BufReader::new(tty).read_line(&mut String::new());
        return;
    }
    let mut key = [0u8; 1];
    while let Ok(1) = tty.read(&mut key) {
        if matches!(key[0], b'\r' | b'\n' | 0x03) {
            break;
        }
    }
    let _ = crossterm::terminal::disable_raw_mode();
}

/// `v`: `$VISUAL`, else `$EDITOR`, else `vi`, at `+line`. The variable may
/// hold arguments (`code -w`), so the shell splits it; the path is passed
/// as an argument, never through the shell's parsing.
fn open_in_editor(path: &Path, line: u64) -> String {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let status = Process::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("logweave")
        .arg(format!("+{line}"))
        .arg(path)
        .status();
    match status {
        Ok(s) if s.success() => format!("back from {editor} ({}:{line})", path.display()),
        Ok(s) => format!("{editor} ended with {s}"),
        Err(e) => format!("cannot run {editor}: {e}"),
    }
}
