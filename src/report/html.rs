//! One self-contained HTML page for a report: every table and chart inline,
//! no scripts, no external styles or fonts, so the file can be mailed or
//! attached to a CI run and opened anywhere.

use std::fmt::Write as _;

use crate::engine::QueryResult;
use crate::output::cell;

/// Rows shown per table; the data files keep them all.
const MAX_ROWS: usize = 500;

/// One query's part of the report.
pub struct Section<'a> {
    pub name: &'a str,
    pub query: &'a str,
    pub outcome: Outcome<'a>,
    pub seconds: f64,
}

pub enum Outcome<'a> {
    Rows { result: &'a QueryResult, chart: Option<&'a str> },
    Failed(&'a str),
}

pub fn page(title: &str, generated: &str, sections: &[Section]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">{} · {} queries</p>\n",
        escape(title),
        escape(title),
        escape(generated),
        sections.len()
    );
    h.push_str("<nav><ol>\n");
    // Anchors by position: names may differ only in case or script.
    for (i, s) in sections.iter().enumerate() {
        let _ = writeln!(h, "<li><a href=\"#q{}\">{}</a></li>", i + 1, escape(s.name));
    }
    h.push_str("</ol></nav>\n");
    for (i, s) in sections.iter().enumerate() {
        section(&mut h, i + 1, s);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn section(h: &mut String, number: usize, s: &Section) {
    let _ = write!(
        h,
        "<section id=\"q{number}\">\n<h2>{}</h2>\n<details><summary>query</summary><pre>{}</pre></details>\n",
        escape(s.name),
        escape(s.query.trim())
    );
    match &s.outcome {
        Outcome::Failed(e) => {
            let _ = writeln!(h, "<pre class=\"error\">{}</pre>", escape(e));
        }
        Outcome::Rows { result, chart } => {
            if let Some(svg) = chart {
                // The SVG document's XML prolog is not valid inside HTML.
                let body = svg.find("<svg").map_or(*svg, |i| &svg[i..]);
                let _ = writeln!(h, "<figure>{body}</figure>");
            }
            table(h, result);
        }
    }
    let _ = writeln!(h, "<p class=\"meta\">{:.3} s</p>\n</section>", s.seconds);
}

fn table(h: &mut String, r: &QueryResult) {
    let total = r.num_rows();
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for f in r.schema.fields() {
        let _ = write!(h, "<th>{}</th>", escape(f.name()));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut shown = 0;
    'rows: for b in &r.batches {
        for i in 0..b.num_rows() {
            if shown == MAX_ROWS {
                break 'rows;
            }
            h.push_str("<tr>");
            for c in b.columns() {
                let numeric = c.data_type().is_numeric();
                let class = if numeric { " class=\"n\"" } else { "" };
                let _ = write!(h, "<td{class}>{}</td>", escape(&cell::text(c.as_ref(), i)));
            }
            h.push_str("</tr>\n");
            shown += 1;
        }
    }
    h.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"meta\">{total} row{}{}</p>",
        if total == 1 { "" } else { "s" },
        if shown < total { format!(", first {shown} shown") } else { String::new() }
    );
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328}\
h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}\
.meta{color:#656d76;font-size:.85rem}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.85rem}\
pre.error{background:#ffebe9;color:#82071e}.scroll{overflow-x:auto}\
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top;white-space:pre-wrap}\
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}figure svg{max-width:100%;height:auto}";
