//! What from a log, a file name or a server may not reach a terminal as it
//! is. The viewer draws such characters visibly (`view::text`); messages on
//! stderr, `--tag` prefixes and tags write them as Rust escapes
//! ([`printable`]). Both use [`reorders_or_hides`] for the characters that
//! are not control characters but still change what the screen shows.

use std::borrow::Cow;

/// Bidirectional and zero-width format characters: they reorder or hide
/// the text around them on screen (U+061C was found by the `terminal` fuzz
/// target).
pub fn reorders_or_hides(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` as it may be written to a terminal or a line-based stream:
/// control characters (newlines too) and [`reorders_or_hides`] characters,
/// which a file name or a server's words may hold, are written as Rust
/// escapes (`\n`, `\u{1b}`), so a message stays one line and can never
/// set a title, move the cursor or reorder what follows.
pub fn printable(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() || reorders_or_hides(c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_become_escapes_and_the_rest_stays() {
        assert_eq!(printable("plain 日本 é"), "plain 日本 é");
        assert_eq!(
            printable("a\nb\x1b]0;t\x07 \u{202e}x \u{9b}"),
            "a\\nb\\u{1b}]0;t\\u{7} \\u{202e}x \\u{9b}"
        );
    }
}
