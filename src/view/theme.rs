//! Colours and text styles, from `assets/theme.txt`.

use std::collections::HashMap;

use ratatui::style::{Color, Modifier, Style};

const DEFAULT_THEME: &str = include_str!("../../assets/theme.txt");

/// Named styles for every element the view draws.
#[derive(Clone, Debug)]
pub struct Theme {
    styles: HashMap<String, Style>,
    sources: Vec<Style>,
    /// Colours are on (not under `NO_COLOR`): the colours a log line
    /// carries in its SGR sequences are shown too.
    pub colour: bool,
}

impl Theme {
    /// The built-in theme; without colours when `no_color` (the `NO_COLOR`
    /// convention) is set.
    pub fn load(no_color: bool) -> Self {
        Self::parse(DEFAULT_THEME, no_color)
    }

    /// Parses a theme text; unknown words are ignored, so an old theme file
    /// keeps working.
    pub fn parse(text: &str, no_color: bool) -> Self {
        let mut styles = HashMap::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else { continue };
            let mut style = Style::default();
            let mut colours = 0;
            for word in words {
                match word {
                    "bold" => style = style.add_modifier(Modifier::BOLD),
                    "dim" => style = style.add_modifier(Modifier::DIM),
                    "reverse" => style = style.add_modifier(Modifier::REVERSED),
                    "italic" => style = style.add_modifier(Modifier::ITALIC),
                    "underline" => style = style.add_modifier(Modifier::UNDERLINED),
                    colour => {
                        if let Some(c) = parse_color(colour) {
                            if !no_color {
                                style = if colours == 0 {
                                    style.fg(c)
                                } else {
                                    style.bg(c)
                                };
                            }
                            colours += 1;
                        }
                    }
                }
            }
            if no_color && name.starts_with("status") {
                // Without colours the status bar still stands out.
                style = style.add_modifier(Modifier::REVERSED);
            }
            if no_color && name == "focus" && style.add_modifier.is_empty() {
                // A background is all it has in colour; without, a line under it.
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            styles.insert(name.to_string(), style);
        }
        let sources = (1..=8)
            .map(|i| {
                styles
                    .get(&format!("source-{i}"))
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        Self {
            styles,
            sources,
            colour: !no_color,
        }
    }

    /// The built-in theme with `overrides` (element, style) from the config
    /// file on top.
    pub fn with_overrides(no_color: bool, overrides: &[(String, String)]) -> Self {
        let mut text = DEFAULT_THEME.to_string();
        for (element, style) in overrides {
            text.push_str(&format!("\n{element} {style}"));
        }
        Self::parse(&text, no_color)
    }

    /// The style of a named element (default style when the theme lacks it).
    pub fn get(&self, name: &str) -> Style {
        self.styles.get(name).copied().unwrap_or_default()
    }

    /// The colour of source `i`.
    pub fn source(&self, i: usize) -> Style {
        self.sources
            .get(i % self.sources.len().max(1))
            .copied()
            .unwrap_or_default()
    }
}

/// Whether `element = "style"` is a theme line logweave understands: an
/// element of `assets/theme.txt`, then colours (foreground, background) and
/// modifiers.
pub fn check(element: &str, style: &str) -> Result<(), String> {
    let known = DEFAULT_THEME
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .any(|name| name == element);
    if !known {
        return Err(format!(
            "no such element '{element}' (the elements are those of assets/theme.txt: error, warning, status, …)"
        ));
    }
    let mut colours = 0;
    for word in style.split_whitespace() {
        if ["bold", "dim", "reverse", "italic", "underline"].contains(&word) {
            continue;
        }
        if parse_color(word).is_none() {
            return Err(format!(
                "'{word}' is not a colour or modifier (black red green yellow blue magenta cyan white gray darkgray, light-*, default; bold dim reverse italic underline)"
            ));
        }
        colours += 1;
    }
    if colours > 2 {
        return Err("at most two colours: foreground and background".into());
    }
    Ok(())
}

fn parse_color(word: &str) -> Option<Color> {
    Some(match word {
        "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "darkgray" => Color::DarkGray,
        "white" => Color::White,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_modifiers_only() {
        let coloured = Theme::load(false);
        assert_eq!(coloured.get("error").fg, Some(Color::Red));
        let plain = Theme::load(true);
        assert_eq!(plain.get("error").fg, None);
        assert!(plain.get("critical").add_modifier.contains(Modifier::BOLD));
        assert!(plain
            .get("status")
            .add_modifier
            .contains(Modifier::REVERSED));
    }
}
