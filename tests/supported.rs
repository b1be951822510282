//! Keeps `grammar/SUPPORTED.md` true: every function kqlog registers is
//! listed there and is called by at least one logic test; every operator
//! kqlog runs is listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn logic_text() -> String {
    let mut out = String::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logic")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

fn supported_md() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/SUPPORTED.md")).unwrap()
}

#[test]
fn every_function_is_documented_and_tested() {
    let doc = supported_md();
    let tests = logic_text();
    let mut undocumented = Vec::new();
    let mut untested = Vec::new();
    let mut names: Vec<&str> = kqlog::functions::names().collect();
    names.sort();
    for n in names {
        if !doc.contains(&format!("`{n}`")) {
            undocumented.push(n);
        }
        let called = tests
            .match_indices(&format!("{n}("))
            .any(|(at, _)| !tests[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !called {
            untested.push(n);
        }
    }
    assert!(undocumented.is_empty(), "functions missing from SUPPORTED.md: {undocumented:?}");
    assert!(untested.is_empty(), "functions no logic test calls: {untested:?}");
}

/// The "planned" cell of the table row that names `op` in its first cell.
fn planned_cell(doc: &str, op: &str) -> Option<String> {
    doc.lines().filter(|l| l.starts_with('|')).find_map(|l| {
        let cells: Vec<&str> = l.split(" | ").collect();
        let first = cells.first()?;
        if first.contains(&format!("`{op}`")) && cells.len() > 2 { Some(cells[2].trim().to_string()) } else { None }
    })
}

#[test]
fn every_operator_is_documented() {
    let doc = supported_md();
    for op in kqlog::syntax::tabular::OPERATORS {
        let cell = planned_cell(&doc, op);
        assert_eq!(cell.as_deref(), Some("✅"), "operator `{op}` must have a planned ✅ row in SUPPORTED.md");
    }
    for op in kqlog::syntax::tabular::UNSUPPORTED_OPERATORS {
        let cell = planned_cell(&doc, op);
        assert_eq!(cell.as_deref(), Some("⛔"), "operator `{op}` must have a refused ⛔ row in SUPPORTED.md");
    }
}

#[test]
fn every_operator_is_in_the_grammar() {
    let ebnf = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/kql.ebnf")).unwrap();
    for op in kqlog::syntax::tabular::OPERATORS.iter().chain(kqlog::syntax::tabular::UNSUPPORTED_OPERATORS) {
        assert!(ebnf.contains(&format!("\"{op}\"")), "operator `{op}` missing from grammar/kql.ebnf");
    }
}
