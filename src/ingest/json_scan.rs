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

/// Appends the body of the JSON string that `s` starts with (just after
/// its opening quote) to `out`, unescaped, and returns where its closing
/// quote is; None when it is not valid JSON or has a `\u` escape (the
/// parser decides those). One pass: finding the end, checking for control
/// characters and copying are the same walk.
pub fn unescape_string(s: &str, out: &mut String) -> Option<usize> {
    let b = s.as_bytes();
    // The last block is padded with spaces, which are not special.
    let mut pad = [b' '; BLOCK];
    // Bytes from `start` up to the next special byte are plain and not yet
    // copied.
    let (mut start, mut i) = (0, 0);
    loop {
        let block = match b.get(i..i + BLOCK) {
            Some(block) => block,
            None => {
                let rest = b.get(i..).filter(|r| !r.is_empty())?;
                pad[..rest.len()].copy_from_slice(rest);
                pad[rest.len()..].fill(b' ');
                &pad[..]
            }
        };
        let mut specials = special_bytes(block);
        while specials != 0 {
            let p = i + specials.trailing_zeros() as usize;
            // Specials are ASCII, so `start` and `p` fall on character
            // boundaries.
            out.push_str(&s[start..p]);
            match b[p] {
                b'"' => return Some(p),
                b'\\' => {}
                _ => return None,
            }
            out.push(match b.get(p + 1)? {
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                _ => return None,
            });
            start = p + 2;
            // The escaped byte is text, whatever it is.
            let used = start - i;
            specials = if used >= BLOCK { 0 } else { specials & (u32::MAX << used) };
        }
        i = (i + BLOCK).max(start);
    }
}

const BLOCK: usize = 32;

/// Bit k set when `block[k]` is a quote, a backslash or a control
/// character; a fixed-size loop, which compiles to vector compares.
fn special_bytes(block: &[u8]) -> u32 {
    let mut mask = 0;
    for (k, &x) in block.iter().take(BLOCK).enumerate() {
        mask |= u32::from((x == b'"') | (x == b'\\') | (x < 0x20)) << k;
    }
    mask
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

    /// Any string written as JSON reads back as itself, ending at its
    /// closing quote, wherever its escapes fall in the scanned blocks.
    #[test]
    fn json_strings_unescape_to_what_was_written() {
        let alphabet = ['a', 'é', '"', '\\', '/', '\n', '\t', '\r', '\u{8}', '\u{c}', ' ', '日'];
        let mut seed = 7u64;
        let mut pick = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            alphabet[(seed >> 33) as usize % alphabet.len()]
        };
        for len in 0..100 {
            for _ in 0..20 {
                let text: String = (0..len).map(|_| pick()).collect();
                let json = serde_json::to_string(&text).unwrap();
                let body = &json[1..];
                let mut out = String::from("kept");
                assert_eq!(unescape_string(&format!("{body},\"stream\""), &mut out), Some(body.len() - 1), "{json}");
                assert_eq!(out, format!("kept{text}"));
            }
        }
        let long = "y".repeat(31);
        for bad in ["no end", "ends in \\", "ctl \u{1} x\"", "\\u0041\"", "\\x\"", &format!("{long}\\"), &long] {
            assert_eq!(unescape_string(bad, &mut String::new()), None, "{bad}");
        }
    }
}
