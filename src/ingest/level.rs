//! ContainerLogV2's `LogLevel`: from a LogMonitor record's level, else a
//! JSON `level`/`severity` field, else a level keyword near the start of
//! the line (`ERROR …`, `[warn]`, `level=info`), else `UNKNOWN`.

/// Kusto's level names for Windows event levels as LogMonitor prints them.
pub fn from_windows(level: &str) -> &'static str {
    match level.trim().to_ascii_lowercase().as_str() {
        "critical" => "CRITICAL",
        "error" => "ERROR",
        "warning" => "WARNING",
        "information" | "informational" => "INFO",
        "verbose" => "DEBUG",
        _ => "UNKNOWN",
    }
}

/// A level word in any common spelling.
pub fn from_word(w: &str) -> Option<&'static str> {
    // This runs for words of every log line: the word, lower-cased, is
    // packed into one integer and compared with the level words packed the
    // same way, without calls to `memcpy` or `memcmp` for a few bytes.
    let w = w.as_bytes();
    // Most words are no level word: the length and first letter tell.
    if !(WORDS.shortest..=WORDS.longest).contains(&w.len()) || WORDS.first_letters & first_letter(w[0]) == 0 {
        return None;
    }
    let key = packed(w);
    LEVEL_WORDS.iter().find(|(k, _)| *k == key).map(|&(_, level)| level)
}

/// A word of at most 15 bytes as one integer: its bytes lower-cased, and
/// its length in the top byte.
const fn packed(w: &[u8]) -> u128 {
    let mut key = (w.len() as u128) << 120;
    let mut i = 0;
    while i < w.len() {
        key |= (w[i].to_ascii_lowercase() as u128) << (8 * i);
        i += 1;
    }
    key
}

/// One bit per letter from `a` (other bytes map somewhere in the 32 bits,
/// which only lets them through to the full comparison).
const fn first_letter(c: u8) -> u32 {
    1 << (c.to_ascii_lowercase().wrapping_sub(b'a') & 31)
}

/// What the level words have in common, to turn other words away early.
struct WordShape {
    shortest: usize,
    longest: usize,
    first_letters: u32,
}

const WORDS: WordShape = {
    let mut shape = WordShape { shortest: usize::MAX, longest: 0, first_letters: 0 };
    let mut i = 0;
    while i < LEVEL_WORDS.len() {
        let key = LEVEL_WORDS[i].0;
        let len = (key >> 120) as usize;
        if len < shape.shortest {
            shape.shortest = len;
        }
        if len > shape.longest {
            shape.longest = len;
        }
        shape.first_letters |= first_letter(key as u8);
        i += 1;
    }
    shape
};

const LEVEL_WORDS: [(u128, &str); 24] = [
    (packed(b"crit"), "CRITICAL"),
    (packed(b"critical"), "CRITICAL"),
    (packed(b"fatal"), "CRITICAL"),
    (packed(b"panic"), "CRITICAL"),
    (packed(b"emerg"), "CRITICAL"),
    (packed(b"emergency"), "CRITICAL"),
    (packed(b"alert"), "CRITICAL"),
    (packed(b"err"), "ERROR"),
    (packed(b"error"), "ERROR"),
    (packed(b"eror"), "ERROR"),
    (packed(b"severe"), "ERROR"),
    (packed(b"warn"), "WARNING"),
    (packed(b"warning"), "WARNING"),
    (packed(b"info"), "INFO"),
    (packed(b"information"), "INFO"),
    (packed(b"informational"), "INFO"),
    (packed(b"notice"), "INFO"),
    (packed(b"debug"), "DEBUG"),
    (packed(b"dbug"), "DEBUG"),
    (packed(b"verbose"), "DEBUG"),
    (packed(b"fine"), "DEBUG"),
    (packed(b"trace"), "TRACE"),
    (packed(b"trce"), "TRACE"),
    (packed(b"finest"), "TRACE"),
];

/// Numeric levels of bunyan/pino-style JSON logs.
pub fn from_number(n: i64) -> Option<&'static str> {
    Some(match n {
        60.. => "CRITICAL",
        50..=59 => "ERROR",
        40..=49 => "WARNING",
        30..=39 => "INFO",
        20..=29 => "DEBUG",
        10..=19 => "TRACE",
        _ => return None,
    })
}

/// A level keyword among the first words of a text line.
pub fn from_text(line: &str) -> Option<&'static str> {
    // A line of at most 80 bytes has at most 80 characters.
    let cut = if line.len() <= 80 { line.len() } else { line.char_indices().nth(80).map_or(line.len(), |(i, _)| i) };
    let head = &line[..cut];
    static LEVEL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("level="));
    if let Some(p) = LEVEL.find(head.as_bytes()) {
        let v = &head[p + 6..];
        let end = v.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(v.len());
        if let Some(l) = from_word(&v[..end]) {
            return Some(l);
        }
    }
    // The first four words (runs of ASCII letters), scanned as bytes: this
    // runs for every line that is not JSON.
    let b = head.as_bytes();
    let (mut i, mut words) = (0, 0);
    while words < 4 && i < b.len() {
        if !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        words += 1;
        let word = &head[start..i];
        // Only shouted, bracketed or leading keywords: `error:` inside a
        // sentence is not a level.
        let shouted = word.bytes().all(|c| c.is_ascii_uppercase());
        let bracketed = start > 0 && b[start - 1] == b'[' && b.get(i) == Some(&b']');
        if (shouted || bracketed || start == 0)
            && let Some(l) = from_word(word)
        {
            return Some(l);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords() {
        assert_eq!(from_text("ERROR Unhandled exception"), Some("ERROR"));
        assert_eq!(from_text("2026/11/03 10:00:00 [warn] slow"), Some("WARNING"));
        assert_eq!(from_text("ts=1 level=info msg=ok"), Some("INFO"));
        assert_eq!(from_text("Listening on :8080"), None);
        assert_eq!(from_text("the error rate rose"), None);
        assert_eq!(from_windows("Information"), "INFO");
    }

    #[test]
    fn level_words_in_any_case() {
        assert_eq!(from_word("Informational"), Some("INFO"));
        assert_eq!(from_word("WARN"), Some("WARNING"));
        assert_eq!(from_word("eRr"), Some("ERROR"));
        // A prefix, a longer word or a word with a NUL is not the level word.
        for w in ["in", "infos", "info\0", "informationally", ""] {
            assert_eq!(from_word(w), None, "{w:?}");
        }
    }
}
