//! Text rendering of a [`Diagnostic`] against its query text. No colour,
//! no trailing spaces: the output is stable enough to compare in tests.

use std::fmt::Write;

use crate::diag::Diagnostic;
use crate::syntax::span::{floor_char_boundary, line_col};

/// Renders a diagnostic; `origin` names the text (`query`, a file name).
pub fn render(d: &Diagnostic, source: &str, origin: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "error[{}]: {}", d.code, d.message);
    if let Some(span) = d.span {
        let (line, col) = line_col(source, span.start);
        let _ = writeln!(out, " --> {origin}:{line}:{col}");
        snippet(&mut out, source, span.start, span.end, d.label_text());
    }
    for (span, text) in d.notes() {
        let (line, col) = line_col(source, span.start);
        let _ = writeln!(out, "  = note: {text} ({origin}:{line}:{col})");
    }
    if let Some(h) = d.help_text() {
        let _ = writeln!(out, "  = help: {h}");
    }
    out.trim_end().to_string()
}

fn snippet(out: &mut String, source: &str, start: usize, end: usize, label: Option<&str>) {
    let start = floor_char_boundary(source, start);
    let (line_no, col) = line_col(source, start);
    let line_start = source[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |p| start + p);
    let text: String =
        source[line_start..line_end].trim_end_matches('\r').chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
    let width = line_no.to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line_no} | {}", text.trim_end());
    let end = floor_char_boundary(source, end.min(line_end).max(start));
    let carets = source[start..end].chars().count().max(1);
    let mut marker = format!("{}{}", " ".repeat(col - 1), "^".repeat(carets));
    if let Some(l) = label {
        marker.push(' ');
        marker.push_str(l);
    }
    let _ = writeln!(out, "{pad} | {}", marker.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::span::Span;

    #[test]
    fn caret_under_the_span() {
        let src = "T\n| where Computr == \"x\"";
        let d = Diagnostic::new("KQL201", "unknown column `Computr`")
            .at(Span::new(10, 17))
            .label("not in `T`")
            .help("did you mean `Computer`?");
        let text = render(&d, src, "query");
        assert_eq!(
            text,
            "error[KQL201]: unknown column `Computr`\n --> query:2:9\n  |\n2 | | where Computr == \"x\"\n  |         ^^^^^^^ not in `T`\n  = help: did you mean `Computer`?"
        );
    }
}
