//! GitHub Actions: workflow-command annotations (`::error …`) and a
//! Markdown table appended to the job's step summary.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use kqlog::Error;
use kqlog::output::Format;

use super::report::{Run, Status, details, duration_text, one_line};

/// Whether the run is a GitHub Actions job step.
pub fn enabled() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Escapes a workflow command's message.
pub fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property (`title=`, `file=`), where `:` and
/// `,` would end the value.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` or `::warning` line per assertion that did not pass.
pub fn annotations(run: &Run) -> String {
    let mut out = String::new();
    for (suite, case) in run.cases() {
        let level = match case.status {
            Status::Pass => continue,
            Status::Warn => "warning",
            Status::Fail | Status::Error => "error",
        };
        let mut props = Vec::new();
        if let Some(f) = &suite.file {
            props.push(format!("file={}", property(f)));
            if let Some(l) = case.assertion.line {
                props.push(format!("line={l}"));
            }
        }
        let title = match case.status {
            Status::Error => format!("{} (query error)", one_line(&case.assertion.name)),
            _ => one_line(&case.assertion.name),
        };
        props.push(format!("title={}", property(&title)));
        let message = details(case, Format::Csv, None);
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), data(message.trim_end()));
    }
    out
}

/// Markdown for `$GITHUB_STEP_SUMMARY`: a table of every assertion, then the
/// details of those that did not pass.
pub fn step_summary(run: &Run) -> String {
    let mut out = String::from("### kqlog check\n\n");
    let _ = writeln!(out, "**{}**\n", run.summary());
    out.push_str("| Status | Assertion | File | Expected | Found | Time |\n|---|---|---|---|---|---|\n");
    for (suite, case) in run.cases() {
        let icon = match case.status {
            Status::Pass => "✅ pass",
            Status::Fail => "❌ fail",
            Status::Warn => "⚠️ warn",
            Status::Error => "💥 error",
        };
        let found = match (&case.verdict, &case.error) {
            (_, Some(e)) => e.message.clone(),
            (Some(v), None) => v.found.clone(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {icon} | {} | {} | {} | {} | {} |",
            cell(&case.assertion.name),
            cell(&suite.label),
            cell(&case.assertion.expectation.describe()),
            cell(&found),
            duration_text(case.duration)
        );
    }
    for (_, case) in run.cases().filter(|(_, c)| c.status != Status::Pass) {
        let d = details(case, Format::Csv, None);
        let _ = write!(
            out,
            "\n<details><summary>{} — {}</summary>\n\n```\n{}\n```\n\n</details>\n",
            html(&one_line(&case.assertion.name)),
            case.status.name(),
            d.replace("```", "` ` `")
        );
    }
    out
}

/// A Markdown table cell: no line breaks, no column separators, no markup.
fn cell(s: &str) -> String {
    html(s).replace('|', "\\|").replace("\r\n", "<br>").replace('\n', "<br>")
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Appends to the step summary file, which other steps write too.
pub fn append_summary(path: &Path, markdown: &str) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open the step summary `{}`: {e}", path.display())))?;
    f.write_all(markdown.as_bytes())
        .map_err(|e| Error::io(format!("cannot write the step summary `{}`: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(property("a: b, c%\n"), "a%3A b%2C c%25%0A");
        assert_eq!(cell("a|b\n<c>"), "a\\|b<br>&lt;c&gt;");
    }
}
