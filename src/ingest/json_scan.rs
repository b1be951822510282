//! Byte-level checks of JSON text for the fast paths that read the usual
//! log line shapes without a parser (`docker`, `message`): each says None
//! where the text is not what it expects, and the parser decides.

/// True when `b` holds a control character (which JSON strings may not);
/// written branch-free per block so that it vectorises.
pub fn has_control(b: &[u8]) -> bool {
    b.chunks(32).any(|c| c.iter().fold(false, |any, &x| any | (x < 0x20)))
}

/// The end (closing quote) of the JSON string whose body starts at
/// `from`, and whether it has escapes; None when it is not valid JSON.
pub fn string_end(b: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut i = from;
    let mut escaped = false;
    loop {
        let p = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if has_control(&b[i..p]) {
            return None;
        }
        if b[p] == b'"' {
            return Some((p, escaped));
        }
        escaped = true;
        i = match b.get(p + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => p + 2,
            b'u' if b.get(p + 2..p + 6)?.iter().all(u8::is_ascii_hexdigit) => p + 6,
            _ => return None,
        };
    }
}

/// The end of the JSON number starting at `from` (RFC 8259's grammar), and
/// whether it is an integer.
pub fn number_end(b: &[u8], from: usize) -> Option<(usize, bool)> {
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    let mut i = from + usize::from(b[from] == b'-');
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
        integer = false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
        integer = false;
    }
    Some((i, integer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(s: &str) -> Option<usize> {
        string_end(s.as_bytes(), 0).map(|(p, _)| p)
    }

    #[test]
    fn json_string_ends() {
        assert_eq!(end(r#"abc","stream""#), Some(3));
        assert_eq!(end(r#"a\"b" x"#), Some(4));
        assert_eq!(end(r#"a\\" x"#), Some(3));
        assert_eq!(end(&format!("{}\\u0041 ok\"", "x".repeat(70))), Some(79));
        assert_eq!(end("tab\there\""), None);
        assert_eq!(end(r#"no end"#), None);
        assert_eq!(end(r#"ends in \"#), None);
    }
}
