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
    // Lower-cased on the stack: this runs for words of every log line.
    let mut buf = [0u8; 13];
    let lower = buf.get_mut(..w.len())?;
    lower.copy_from_slice(w.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"crit" | b"critical" | b"fatal" | b"panic" | b"emerg" | b"emergency" | b"alert" => "CRITICAL",
        b"err" | b"error" | b"eror" | b"severe" => "ERROR",
        b"warn" | b"warning" => "WARNING",
        b"info" | b"information" | b"informational" | b"notice" => "INFO",
        b"debug" | b"dbug" | b"verbose" | b"fine" => "DEBUG",
        b"trace" | b"trce" | b"finest" => "TRACE",
        _ => return None,
    })
}

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
}
