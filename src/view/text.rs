//! Log bytes to terminal cells, safely.
//!
//! Nothing from a log line reaches the terminal raw: control characters and
//! escape sequences are shown as visible `^[`-style text, invalid UTF-8 as
//! U+FFFD, tabs expand to 8-column stops, and wide characters (CJK, emoji)
//! take their two columns (unicode-width), so columns stay aligned.

use ratatui::style::Style;
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

/// Turns `bytes` into display pieces, at most `max_cols` columns of them
/// (the caller never needs more than the screen shows).
pub fn display(bytes: &[u8], style: Style, control: Style, max_cols: usize) -> Vec<Piece> {
    display_marked(bytes, style, control, max_cols, &[], style)
}

/// [`display`], with the byte ranges `marks` (search hits, ascending) drawn
/// in `mark` style.
pub fn display_marked(
    bytes: &[u8],
    style: Style,
    control: Style,
    max_cols: usize,
    marks: &[(usize, usize)],
    mark: Style,
) -> Vec<Piece> {
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
        for c in chunk.valid().chars() {
            if col >= max_cols {
                break 'chunks;
            }
            let at = offset;
            offset += c.len_utf8();
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
                '\u{80}'..='\u{9f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' => {
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

    #[test]
    fn controls_are_visible_never_raw() {
        assert_eq!(plain(b"\x1b[31mred\x1b[0m"), "^[[31mred^[[0m");
        assert_eq!(plain(b"a\0b\x07c\x7f"), "a^@b^Gc^?");
        assert_eq!(plain("x\u{9b}y\u{202e}z".as_bytes()), "x<U+009B>y<U+202E>z");
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
