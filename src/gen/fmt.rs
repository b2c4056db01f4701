//! Writing numbers, times and JSON strings into a line, without allocating.

use crate::record::timestamp::days_from_civil;

/// Formats date-times, reusing the text of the last second formatted (most
/// records share their second with the one before).
pub struct DateTimes {
    second: i64,
    text: Vec<u8>,
}

impl DateTimes {
    pub fn new() -> Self {
        Self {
            second: i64::MIN,
            text: Vec::new(),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS` (with `sep` between date and time) of the
    /// second holding `us` (µs since the epoch).
    pub fn push(&mut self, out: &mut Vec<u8>, us: i64, sep: u8) {
        let secs = us.div_euclid(1_000_000);
        if self.second != secs {
            let days = secs.div_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let sod = secs.rem_euclid(86_400) as u64;
            let text = &mut self.text;
            text.clear();
            push_padded(text, y as u64, 4);
            text.push(b'-');
            push_padded(text, m as u64, 2);
            text.push(b'-');
            push_padded(text, d as u64, 2);
            text.push(sep);
            push_padded(text, sod / 3600, 2);
            text.push(b':');
            push_padded(text, sod / 60 % 60, 2);
            text.push(b':');
            push_padded(text, sod % 60, 2);
            self.second = secs;
        }
        out.extend_from_slice(&self.text);
    }

    /// Airflow 3's `2024-12-20T10:00:00.123456Z`.
    pub fn push_micros_z(&mut self, out: &mut Vec<u8>, us: i64) {
        self.push(out, us, b'T');
        out.push(b'.');
        push_padded(out, us.rem_euclid(1_000_000) as u64, 6);
        out.push(b'Z');
    }
}

/// 2024-12-20T10:00:00Z in microseconds: where every generated attempt starts.
pub fn base_micros() -> i64 {
    (days_from_civil(2024, 12, 20) * 86_400 + 10 * 3_600) * 1_000_000
}

/// A JSON string's content, escaped as msgspec (Airflow 3) writes it:
/// UTF-8 as is, quotes, backslashes and control characters escaped.
pub fn push_json_escaped(out: &mut Vec<u8>, mut s: &[u8]) {
    while let Some(at) = s.iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\') {
        out.extend_from_slice(&s[..at]);
        let c = s[at];
        s = &s[at + 1..];
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                push_hex_digit(out, c >> 4);
                push_hex_digit(out, c & 0xf);
            }
            _ => out.push(c),
        }
    }
    out.extend_from_slice(s);
}

fn push_hex_digit(out: &mut Vec<u8>, d: u8) {
    out.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
}

/// Inverse of `days_from_civil`.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn push_num(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

pub fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = n;
    for i in (20 - width..20).rev() {
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits[20 - width..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 10_957, 20_077, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn padding() {
        let mut v = Vec::new();
        push_padded(&mut v, 7, 3);
        push_num(&mut v, 1234);
        assert_eq!(v, b"0071234");
    }

    #[test]
    fn json_escapes_what_msgspec_escapes() {
        let mut v = Vec::new();
        push_json_escaped(&mut v, "a\"b\\c\nd\te\u{1}é✓".as_bytes());
        assert_eq!(v, "a\\\"b\\\\c\\nd\\te\\u0001é✓".as_bytes());
    }

    #[test]
    fn micros_with_z() {
        let mut v = Vec::new();
        DateTimes::new().push_micros_z(&mut v, base_micros() + 1_000_042);
        assert_eq!(v, b"2024-12-20T10:00:01.000042Z");
    }
}
