//! logfmt (`time=… level=info msg="…"`, go-kit's `ts=`, logrus's
//! `time="…"`): the value of one key.

/// Keys a time is looked for under, in order of preference.
pub const TIME_KEYS: [&str; 4] = ["time", "ts", "timestamp", "t"];

/// The value of `key=` at the start of the line or after a space, without
/// its quotes (escapes as written).
pub fn value_of<'a>(line: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let key = key.as_bytes();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&line[from..], key) {
        let at = from + found;
        let eq = at + key.len();
        if (at == 0 || line[at - 1] == b' ') && line.get(eq) == Some(&b'=') {
            let rest = &line[eq + 1..];
            return Some(match rest.first() {
                Some(b'"') => {
                    let body = &rest[1..];
                    let mut i = 0;
                    loop {
                        match body.get(i) {
                            None => break body,
                            Some(b'\\') => i += 2,
                            Some(b'"') => break &body[..i],
                            Some(_) => i += 1,
                        }
                    }
                }
                _ => {
                    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
                    &rest[..end]
                }
            });
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_plain_and_quoted() {
        let line = br#"time="2024-12-20T10:00:37Z" level=error msg="a b" sometime=x"#;
        assert_eq!(value_of(line, "time"), Some(&b"2024-12-20T10:00:37Z"[..]));
        assert_eq!(value_of(line, "level"), Some(&b"error"[..]));
        assert_eq!(value_of(line, "msg"), Some(&b"a b"[..]));
        assert_eq!(value_of(b"ts=1.5 caller=x.go:1", "ts"), Some(&b"1.5"[..]));
        assert_eq!(value_of(b"uptime=5", "time"), None);
    }
}
