//! Log bytes to terminal cells, safely.
//!
//! Nothing from a log line reaches the terminal raw: control characters and
//! escape sequences are shown as visible `^[`-style text, invalid UTF-8 as
//! U+FFFD, tabs expand to 8-column stops, and wide characters (CJK, emoji)
//! take their two columns (unicode-width), so columns stay aligned.
//!
//! The one exception is what a task printed in colour (dbt, pytest, rich,
//! click): SGR sequences (`ESC [ … m`) become the style of the text after
//! them — never bytes for the terminal — or vanish under `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

const TAB_STOP: usize = 8;

/// One styled run of display text with its width in columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub text: String,
    pub width: usize,
    pub style: Style,
}

/// What to do with the SGR (colour) sequences of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sgr {
    /// Show them as the colours and attributes they name.
    Colour,
    /// Drop them (`NO_COLOR`): the text reads as the task meant it.
    Strip,
    /// Show them as visible text, like any other escape sequence.
    Visible,
}

/// Log bytes as text for the clipboard: what the screen shows, with lines
/// and tabs kept, colours dropped, and every other control character in the
/// visible form the viewer uses — so pasting it into a shell or another
/// terminal can never run an escape sequence.
pub fn clipboard_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        for (j, cell) in line.split(|&b| b == b'\t').enumerate() {
            if j > 0 {
                out.push('\t');
            }
            let plain = Style::default();
            for piece in display_marked(cell, plain, plain, usize::MAX, &[], plain, Sgr::Strip) {
                out.push_str(&piece.text);
            }
        }
    }
    out
}

/// Turns `bytes` into display pieces, at most `max_cols` columns of them
/// (the caller never needs more than the screen shows).
pub fn display(bytes: &[u8], style: Style, control: Style, max_cols: usize) -> Vec<Piece> {
    display_marked(bytes, style, control, max_cols, &[], style, Sgr::Visible)
}

/// [`display`], with the byte ranges `marks` (search hits, ascending) drawn
/// in `mark` style and SGR sequences handled as `sgr` says.
pub fn display_marked(
    bytes: &[u8],
    base: Style,
    control: Style,
    max_cols: usize,
    marks: &[(usize, usize)],
    mark: Style,
    sgr: Sgr,
) -> Vec<Piece> {
    let mut style = base;
    let mut pieces: Vec<Piece> = Vec::new();
    let mut col = 0;
    let push =
        |pieces: &mut Vec<Piece>, s: &str, width: usize, style: Style| match pieces.last_mut() {
            Some(last) if last.style == style => {
                last.text.push_str(s);
                last.width += width;
            }
            _ => pieces.push(Piece {
                text: s.to_string(),
                width,
                style,
            }),
        };
    let mut marks = marks.iter().peekable();
    let mut styled = |at: usize, base: Style| {
        while marks.peek().is_some_and(|&&(_, end)| end <= at) {
            marks.next();
        }
        match marks.peek() {
            Some(&&(start, end)) if start <= at && at < end => base.patch(mark),
            _ => base,
        }
    };
    let mut buf = [0u8; 4];
    let mut offset = 0;
    'chunks: for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let mut chars = valid.char_indices();
        while let Some((i, c)) = chars.next() {
            if col >= max_cols {
                break 'chunks;
            }
            let at = offset;
            offset += c.len_utf8();
            if c == '\x1b' && sgr != Sgr::Visible {
                if let Some(len) = sgr_len(&valid.as_bytes()[i..]) {
                    if sgr == Sgr::Colour {
                        style = apply_sgr(style, base, &valid[i + 2..i + len - 1]);
                    }
                    // The rest of the sequence is one byte per char (ASCII).
                    for _ in 1..len {
                        chars.next();
                    }
                    offset += len - 1;
                    continue;
                }
            }
            match c {
                '\t' => {
                    let n = TAB_STOP - col % TAB_STOP;
                    push(&mut pieces, &" ".repeat(n), n, styled(at, style));
                    col += n;
                }
                '\u{0}'..='\u{1f}' | '\u{7f}' => {
                    let shown = [b'^', (c as u8) ^ 0x40];
                    let shown = std::str::from_utf8(&shown).unwrap_or("^?");
                    push(&mut pieces, shown, 2, styled(at, control));
                    col += 2;
                }
                c if ('\u{80}'..='\u{9f}').contains(&c) || crate::escape::reorders_or_hides(c) => {
                    // C1 controls and bidi/zero-width format characters: they
                    // can reorder or hide text on screen, so they are named.
                    let shown = format!("<U+{:04X}>", c as u32);
                    let width = shown.len();
                    push(&mut pieces, &shown, width, styled(at, control));
                    col += width;
                }
                c => {
                    let width = c.width().unwrap_or(0);
                    push(
                        &mut pieces,
                        c.encode_utf8(&mut buf),
                        width,
                        styled(at, style),
                    );
                    col += width;
                }
            }
        }
        // Each invalid byte sequence shows as one U+FFFD.
        if !chunk.invalid().is_empty() {
            if col >= max_cols {
                break;
            }
            let at = offset;
            offset += chunk.invalid().len();
            push(&mut pieces, "\u{fffd}", 1, styled(at, style));
            col += 1;
        }
    }
    pieces
}

/// The length of the SGR sequence `ESC [ params m` at the start of
/// `bytes`, if one is there (params: digits, `;` and `:`).
fn sgr_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) != Some(&b'[') {
        return None;
    }
    let params = bytes[2..]
        .iter()
        .take(64)
        .take_while(|b| b.is_ascii_digit() || **b == b';' || **b == b':')
        .count();
    (bytes.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

/// `style` after the SGR parameters `params` (`1;31`, `38;5;208`,
/// `38;2;255;128;0`); `0` (or nothing) goes back to `base`.
fn apply_sgr(mut style: Style, base: Style, params: &str) -> Style {
    let numbers: Vec<u16> = params
        .split([';', ':'])
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let mut it = numbers.iter().copied();
    while let Some(n) = it.next() {
        style = match n {
            0 => base,
            1 => style.add_modifier(Modifier::BOLD),
            2 => style.add_modifier(Modifier::DIM),
            3 => style.add_modifier(Modifier::ITALIC),
            4 => style.add_modifier(Modifier::UNDERLINED),
            7 => style.add_modifier(Modifier::REVERSED),
            9 => style.add_modifier(Modifier::CROSSED_OUT),
            22 => style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style.remove_modifier(Modifier::ITALIC),
            24 => style.remove_modifier(Modifier::UNDERLINED),
            27 => style.remove_modifier(Modifier::REVERSED),
            29 => style.remove_modifier(Modifier::CROSSED_OUT),
            30..=37 => style.fg(Color::Indexed((n - 30) as u8)),
            90..=97 => style.fg(Color::Indexed((n - 90 + 8) as u8)),
            40..=47 => style.bg(Color::Indexed((n - 40) as u8)),
            100..=107 => style.bg(Color::Indexed((n - 100 + 8) as u8)),
            39 => style.fg(base.fg.unwrap_or(Color::Reset)),
            49 => style.bg(base.bg.unwrap_or(Color::Reset)),
            38 | 48 => {
                let colour = match it.next() {
                    Some(5) => it.next().map(|i| Color::Indexed(i.min(255) as u8)),
                    Some(2) => {
                        let mut channel = || it.next().map(|v| v.min(255) as u8);
                        match (channel(), channel(), channel()) {
                            (Some(r), Some(g), Some(b)) => Some(Color::Rgb(r, g, b)),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match (colour, n) {
                    (Some(c), 38) => style.fg(c),
                    (Some(c), _) => style.bg(c),
                    (None, _) => style,
                }
            }
            _ => style,
        };
    }
    style
}

/// Columns `[skip, skip + width)` of `pieces` as spans. A wide character cut
/// by either edge becomes spaces, never half a glyph.
pub fn slice(pieces: &[Piece], skip: usize, width: usize) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut col = 0;
    let end = skip + width;
    for piece in pieces {
        if col >= end {
            break;
        }
        if col + piece.width <= skip {
            col += piece.width;
            continue;
        }
        let mut text = String::new();
        for c in piece.text.chars() {
            let w = c.width().unwrap_or(0);
            if col >= end {
                break;
            }
            if col < skip {
                if col + w > skip {
                    text.push_str(&" ".repeat(col + w - skip));
                }
            } else if col + w > end {
                text.push_str(&" ".repeat(end - col));
            } else {
                text.push(c);
            }
            col += w;
        }
        if !text.is_empty() {
            spans.push(Span::styled(text, piece.style));
        }
    }
    spans
}

/// Total width of `pieces`.
pub fn width(pieces: &[Piece]) -> usize {
    pieces.iter().map(|p| p.width).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    fn plain(bytes: &[u8]) -> String {
        display(bytes, Style::default(), Style::default(), usize::MAX)
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    fn coloured(bytes: &[u8], sgr: Sgr) -> Vec<Piece> {
        display_marked(
            bytes,
            Style::default(),
            Style::default(),
            80,
            &[],
            Style::default(),
            sgr,
        )
    }

    #[test]
    fn sgr_sequences_become_styles_and_nothing_else_does() {
        let pieces = coloured(
            b"a\x1b[1;31mred\x1b[0m b\x1b[38;5;208mo\x1b[38;2;1;2;3mx",
            Sgr::Colour,
        );
        let text: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(text, "ared box");
        assert_eq!(pieces[1].text, "red");
        assert_eq!(pieces[1].style.fg, Some(Color::Indexed(1)));
        assert!(pieces[1].style.add_modifier.contains(Modifier::BOLD));
        assert_eq!(pieces[2].text, " b");
        assert_eq!(pieces[2].style, Style::default(), "0 resets");
        assert_eq!(pieces[3].style.fg, Some(Color::Indexed(208)));
        assert_eq!(pieces[4].style.fg, Some(Color::Rgb(1, 2, 3)));
        // Other sequences stay visible and inert, also in colour mode.
        let other: String = coloured(b"\x1b]0;title\x07\x1b[2J\x1b[31", Sgr::Colour)
            .iter()
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(other, "^[]0;title^G^[[2J^[[31");
        // NO_COLOR: dropped; the old behaviour: visible.
        let stripped: String = coloured(b"\x1b[31mred\x1b[0m", Sgr::Strip)
            .iter()
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(stripped, "red");
        assert_eq!(plain(b"\x1b[31mred\x1b[0m"), "^[[31mred^[[0m");
    }

    #[test]
    fn marks_still_follow_bytes_past_colour_sequences() {
        let mark = Style::default().add_modifier(Modifier::REVERSED);
        let text = b"\x1b[32mok\x1b[0m hit";
        let pieces = display_marked(
            text,
            Style::default(),
            Style::default(),
            80,
            &[(12, 15)],
            mark,
            Sgr::Colour,
        );
        let marked: String = pieces
            .iter()
            .filter(|p| p.style == mark)
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(marked, "hit");
    }

    #[test]
    fn controls_are_visible_never_raw() {
        assert_eq!(plain(b"\x1b[31mred\x1b[0m"), "^[[31mred^[[0m");
        assert_eq!(plain(b"a\0b\x07c\x7f"), "a^@b^Gc^?");
        assert_eq!(plain("x\u{9b}y\u{202e}z".as_bytes()), "x<U+009B>y<U+202E>z");
        assert_eq!(plain("a\u{61c}b".as_bytes()), "a<U+061C>b");
        assert_eq!(plain(b"bad \xff\xfe!"), "bad \u{fffd}\u{fffd}!");
        let styled = display(
            b"\x1b",
            Style::default(),
            Style::default().add_modifier(Modifier::REVERSED),
            80,
        );
        assert_eq!(styled[0].style.add_modifier, Modifier::REVERSED);
    }

    #[test]
    fn tabs_and_wide_characters_keep_columns() {
        assert_eq!(plain(b"a\tb"), "a       b");
        assert_eq!(plain(b"abcdefgh\tx"), "abcdefgh        x");
        let pieces = display("日本語x".as_bytes(), Style::default(), Style::default(), 80);
        assert_eq!(width(&pieces), 7);
        let cut: String = slice(&pieces, 1, 4)
            .into_iter()
            .map(|s| s.content.into_owned())
            .collect();
        assert_eq!(cut, " 本 ", "half a wide glyph becomes a space");
        let accent = display(
            "e\u{301}x".as_bytes(),
            Style::default(),
            Style::default(),
            80,
        );
        assert_eq!(width(&accent), 2, "combining marks take no column");
    }

    #[test]
    fn slicing_keeps_styles() {
        let red = Style::default().fg(Color::Red);
        let mut pieces = display(b"hello ", Style::default(), red, 80);
        pieces.extend(display(b"world", red, red, 80));
        let spans = slice(&pieces, 3, 5);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].content, "lo ");
        assert_eq!(spans[1].content, "wo");
        assert_eq!(spans[1].style, red);
    }

    #[test]
    fn marks_follow_bytes_through_wide_and_invalid_text() {
        let mark = Style::default().add_modifier(Modifier::REVERSED);
        let text = "日本 \x1b err".as_bytes();
        let at = 9; // "err"
        let pieces = display_marked(
            text,
            Style::default(),
            Style::default(),
            80,
            &[(at, at + 3)],
            mark,
            Sgr::Visible,
        );
        let marked: String = pieces
            .iter()
            .filter(|p| p.style == mark)
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(marked, "err");
        let invalid = display_marked(
            b"\xff hit",
            Style::default(),
            Style::default(),
            80,
            &[(2, 5)],
            mark,
            Sgr::Visible,
        );
        let marked: String = invalid
            .iter()
            .filter(|p| p.style == mark)
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(marked, "hit");
    }

    #[test]
    fn stops_at_the_columns_needed() {
        let long = vec![b'x'; 100_000];
        assert_eq!(
            width(&display(&long, Style::default(), Style::default(), 120)),
            120
        );
    }
}
