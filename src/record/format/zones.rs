//! Zone abbreviations written after a time (`10:00:00 CET`, `PDT`): the
//! common ones, each read as the fixed offset it names. An abbreviation that
//! is not listed is not a zone: the reading stays naive (`--tz` applies).
//!
//! Three abbreviations name more than one zone; the one logs mostly mean is
//! taken, and the README says so: `CST` is US Central (−06:00, not China),
//! `IST` is India (+05:30, not Israel or Ireland), `BST` is British Summer
//! Time (+01:00, not Bangladesh).

const H: i32 = 3600;

/// Seconds east of UTC of the abbreviation `name` (upper case), if known.
pub fn abbreviation(name: &[u8]) -> Option<i32> {
    Some(match name {
        b"UTC" | b"GMT" | b"UT" | b"Z" | b"WET" => 0,
        b"BST" | b"WEST" | b"CET" | b"MET" | b"WAT" => H,
        b"CEST" | b"MEST" | b"EET" | b"SAST" | b"CAT" => 2 * H,
        b"EEST" | b"MSK" | b"EAT" => 3 * H,
        b"GST" => 4 * H,
        b"PKT" => 5 * H,
        b"IST" => 5 * H + 30 * 60,
        b"NPT" => 5 * H + 45 * 60,
        b"ICT" | b"WIB" => 7 * H,
        b"SGT" | b"HKT" | b"PHT" | b"AWST" | b"WITA" => 8 * H,
        b"JST" | b"KST" | b"WIT" => 9 * H,
        b"ACST" => 9 * H + 30 * 60,
        b"AEST" => 10 * H,
        b"ACDT" => 10 * H + 30 * 60,
        b"AEDT" => 11 * H,
        b"NZST" => 12 * H,
        b"NZDT" => 13 * H,
        b"HST" => -10 * H,
        b"AKST" => -9 * H,
        b"AKDT" | b"PST" => -8 * H,
        b"PDT" | b"MST" => -7 * H,
        b"MDT" | b"CST" => -6 * H,
        b"CDT" | b"EST" => -5 * H,
        b"EDT" | b"AST" => -4 * H,
        b"ADT" | b"BRT" | b"ART" => -3 * H,
        b"NST" => -(3 * H + 30 * 60),
        b"NDT" => -(2 * H + 30 * 60),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_abbreviations_and_not_words() {
        assert_eq!(abbreviation(b"CET"), Some(3600));
        assert_eq!(abbreviation(b"PDT"), Some(-7 * 3600));
        assert_eq!(abbreviation(b"IST"), Some(5 * 3600 + 1800));
        assert_eq!(abbreviation(b"UTC"), Some(0));
        for word in [&b"INFO"[..], b"ERROR", b"WARN", b"DEBUG", b"GET", b"POST"] {
            assert_eq!(abbreviation(word), None, "{word:?}");
        }
    }
}
