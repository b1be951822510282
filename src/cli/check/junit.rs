//! JUnit XML, in the dialect GitHub, GitLab, Jenkins and Azure Pipelines
//! read: one `<testsuite>` per check file, one `<testcase>` per assertion.

use std::fmt::Write as _;
use std::time::Duration;

use kqlog::output::Format;

use super::report::{CaseRun, Run, Status, SuiteRun, details};

/// Characters XML 1.0 allows; anything else (most control characters) is
/// dropped, since no escape can represent it.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes element text.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A bare CR would be read back as LF.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value: parsers turn literal tabs and line breaks
/// in attributes into spaces, so those become character references.
pub fn attr(s: &str) -> String {
    text(s).replace('\t', "&#9;").replace('\n', "&#10;")
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The whole report.
pub fn write(run: &Run) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = run.suites.iter().map(|s| s.cases.len()).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"kqlog check\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\">",
        run.count(Status::Fail),
        run.count(Status::Error),
        seconds(run.duration)
    );
    for suite in &run.suites {
        write_suite(&mut out, suite);
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_suite(out: &mut String, suite: &SuiteRun) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\">",
        attr(&format!("kqlog check: {}", suite.label)),
        suite.cases.len(),
        suite.count(Status::Fail),
        suite.count(Status::Error),
        seconds(suite.duration())
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"workspace\" value=\"{}\"/>\n    </properties>",
        attr(&suite.workspace)
    );
    for case in &suite.cases {
        write_case(out, suite, case);
    }
    out.push_str("  </testsuite>\n");
}

fn write_case(out: &mut String, suite: &SuiteRun, case: &CaseRun) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&case.assertion.name),
        attr(&suite.class_name),
        seconds(case.duration)
    );
    if let Some(f) = &suite.file {
        let _ = write!(out, " file=\"{}\"", attr(f));
    }
    let body = format!("query: {}\n{}", case.assertion.query.trim(), details(case, Format::Table, None));
    match case.status {
        Status::Pass => out.push_str("/>\n"),
        Status::Fail => {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(&case.summary()),
                case.assertion.expectation.kind(),
                text(&body)
            );
        }
        Status::Warn => {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                text(&format!("warning (does not fail the run): {}\n{body}", case.summary()))
            );
        }
        Status::Error => {
            let kind = case.error.as_ref().map_or("query", |e| e.kind);
            let _ = writeln!(
                out,
                ">\n      <error message=\"{}\" type=\"{kind}\">{}</error>\n    </testcase>",
                attr(&case.summary()),
                text(&body)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(text("a & b < c > d \"e\" 'f'"), "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;");
        assert_eq!(text("bell\u{7}null\u{0}esc\u{1b}[31m\u{FFFE}ok"), "bellnullesc[31mok");
        assert_eq!(text("line\r\nnext\ttab"), "line&#13;\nnext\ttab");
        assert_eq!(attr("two\nlines\tand\u{1}"), "two&#10;lines&#9;and");
        assert_eq!(text("日本 🎉"), "日本 🎉");
    }

    #[test]
    fn counts_failures_errors_and_warnings() {
        use crate::cli::check::report::CaseError;
        use crate::cli::check::spec::{Assertion, Expectation, Offending, Severity, Verdict};

        let assertion = |name: &str, severity| Assertion {
            name: name.into(),
            query: "ContainerLog | where LogEntry has \"panic\"".into(),
            expectation: Expectation::Empty,
            severity,
            line: Some(3),
        };
        let verdict = |passed| Verdict {
            passed,
            found: if passed { "no rows".into() } else { "1 row".into() },
            row_count: usize::from(!passed),
            value: None,
            offending: Offending::None,
        };
        let ms = Duration::from_millis(5);
        let broken = CaseError {
            exit_code: 2,
            kind: "query",
            message: "error[KQL201]: unknown column `Computr`".into(),
            rendered: "error[KQL201]: unknown column `Computr`\n --> query:1:22".into(),
        };
        let cases = vec![
            CaseRun::new(assertion("quiet", Severity::Error), ms, Ok(verdict(true))),
            CaseRun::new(assertion("no <panics> & \"crashes\"", Severity::Error), ms, Ok(verdict(false))),
            CaseRun::new(assertion("soft", Severity::Warning), ms, Ok(verdict(false))),
            CaseRun::new(assertion("broken", Severity::Warning), ms, Err(broken)),
        ];
        let suite = SuiteRun {
            label: "ci/logs.toml".into(),
            file: Some("ci/logs.toml".into()),
            class_name: "kqlog.logs".into(),
            workspace: "ws".into(),
            cases,
        };
        let run = Run { suites: vec![suite], ingest: None, duration: ms * 4 };
        let xml = write(&run);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("4"));
        let ts = root.children().find(|n| n.has_tag_name("testsuite")).unwrap();
        assert_eq!(ts.attribute("name"), Some("kqlog check: ci/logs.toml"));
        assert_eq!(ts.attribute("failures"), Some("1"));
        assert_eq!(ts.attribute("errors"), Some("1"));
        let cases: Vec<_> = ts.children().filter(|n| n.has_tag_name("testcase")).collect();
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[1].attribute("name"), Some("no <panics> & \"crashes\""));
        assert_eq!(cases[1].attribute("classname"), Some("kqlog.logs"));
        let failure = cases[1].children().find(|n| n.has_tag_name("failure")).unwrap();
        assert_eq!(failure.attribute("message"), Some("expected no rows, found 1 row"));
        assert!(failure.text().unwrap().contains("LogEntry has \"panic\""));
        assert!(cases[2].children().any(|n| n.has_tag_name("system-out")));
        assert!(!cases[2].children().any(|n| n.has_tag_name("failure")));
        let error = cases[3].children().find(|n| n.has_tag_name("error")).unwrap();
        assert!(error.text().unwrap().contains("--> query:1:22"));
    }
}
