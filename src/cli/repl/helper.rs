//! The line editor's helper: completion, highlighting, history hints and
//! the "is this query complete?" check that makes Enter continue a query
//! over several lines.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::Session;
use super::commands::DOT_COMMANDS;

pub struct KqlHelper {
    pub session: Rc<RefCell<Session>>,
    hinter: HistoryHinter,
    /// Columns of planned pipeline prefixes, so Tab does not re-plan.
    columns: RefCell<HashMap<String, Vec<String>>>,
}

impl KqlHelper {
    pub fn new(session: Rc<RefCell<Session>>) -> Self {
        KqlHelper { session, hinter: HistoryHinter::new(), columns: RefCell::new(HashMap::new()) }
    }

    /// Forgets planned prefixes (the workspace changed).
    pub fn reset(&self) {
        self.columns.borrow_mut().clear();
    }

    /// The columns produced by `prefix` (the pipeline before the cursor's
    /// operator), or every table's columns when it does not plan.
    fn columns_of(&self, prefix: &str) -> Vec<String> {
        if let Some(c) = self.columns.borrow().get(prefix) {
            return c.clone();
        }
        let session = self.session.borrow();
        let planned = session.rt.block_on(session.engine.plan(prefix, &session.options()));
        let cols: Vec<String> = match planned {
            Ok((_, p)) => p.plan.schema().fields().iter().map(|f| f.name().clone()).collect(),
            Err(_) => session.tables.iter().flat_map(|(_, c)| c.iter().cloned()).collect(),
        };
        drop(session);
        self.columns.borrow_mut().insert(prefix.to_string(), cols.clone());
        cols
    }
}

/// Words that may be completed after `|`.
fn operators() -> impl Iterator<Item = &'static str> {
    kqlog::syntax::tabular::OPERATORS.iter().copied()
}

const SOURCE_KEYWORDS: &[&str] =
    &["let", "set", "declare", "datatable", "print", "range", "union", "search", "find", "externaldata"];

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "by",
    "on",
    "with",
    "asc",
    "desc",
    "true",
    "false",
    "kind",
    "in",
    "has",
    "contains",
    "startswith",
    "endswith",
    "between",
    "nulls",
    "first",
    "last",
    "typeof",
    "to",
    "from",
    "step",
    "of",
];

/// Byte offset where the word ending at `pos` starts.
fn word_start(line: &str, pos: usize) -> usize {
    let before = &line[..pos];
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The text before the last `|` outside strings and brackets, if any.
fn pipeline_prefix(text: &str) -> Option<&str> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut last = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '|' if depth == 0 => last = Some(i),
                _ => {}
            },
        }
    }
    last.map(|i| &text[..i])
}

impl Completer for KqlHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = word_start(line, pos);
        let word = &line[start..pos];
        let before = line[..start].trim_end();
        let session = self.session.borrow();
        let tables: Vec<String> = session.tables.iter().map(|(t, _)| t.clone()).collect();
        drop(session);
        let mut pool: Vec<String> = Vec::new();
        let trimmed = line.trim_start();
        if trimmed.starts_with('.') {
            match before.split_whitespace().next() {
                None => pool.extend(DOT_COMMANDS.iter().map(|(c, _)| (*c).to_string())),
                Some(".schema") => pool.extend(tables),
                Some(".format") => pool.extend(["table", "csv", "json", "ndjson", "markdown"].map(String::from)),
                Some(".timing") => pool.extend(["on", "off"].map(String::from)),
                _ => {}
            }
        } else if before.ends_with('|') {
            pool.extend(operators().map(String::from));
        } else if pipeline_prefix(&line[..start]).is_none()
            && !before.contains('(')
            && before.split_whitespace().count() <= 1
        {
            // The source of a pipeline: a table, a `let` name or a keyword.
            pool.extend(tables);
            pool.extend(SOURCE_KEYWORDS.iter().map(|s| (*s).to_string()));
        } else {
            if let Some(prefix) = pipeline_prefix(&line[..start]) {
                pool.extend(self.columns_of(prefix));
            }
            // With nothing typed yet, offer the columns only, not every function.
            if !word.is_empty() || pool.is_empty() {
                pool.extend(kqlog::functions::names().map(String::from));
                pool.extend(KEYWORDS.iter().map(|s| (*s).to_string()));
            }
        }
        let lower = word.to_lowercase();
        let mut out: Vec<String> = pool.into_iter().filter(|c| c.to_lowercase().starts_with(&lower)).collect();
        out.sort();
        out.dedup();
        let pairs = out.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect();
        Ok((start, pairs))
    }
}

impl Hinter for KqlHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

const RESET: &str = "\x1b[0m";
const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";

/// Colours keywords, strings, numbers and comments.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 32);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        if c == '/' && chars.get(k + 1).is_some_and(|(_, n)| *n == '/') {
            let end = chars[k..].iter().find(|(_, ch)| *ch == '\n').map_or(line.len(), |(j, _)| *j);
            out.push_str(COMMENT);
            out.push_str(&line[i..end]);
            out.push_str(RESET);
            k = chars.iter().position(|(j, _)| *j >= end).unwrap_or(chars.len());
            continue;
        }
        if c == '"' || c == '\'' {
            let mut j = k + 1;
            while j < chars.len() && chars[j].1 != c {
                if chars[j].1 == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = chars.get(j + 1).map_or(line.len(), |(e, _)| *e);
            out.push_str(STRING);
            out.push_str(&line[i..end.min(line.len())]);
            out.push_str(RESET);
            k = j + 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = k;
            while j < chars.len() && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '.') {
                j += 1;
            }
            let end = chars.get(j).map_or(line.len(), |(e, _)| *e);
            out.push_str(NUMBER);
            out.push_str(&line[i..end]);
            out.push_str(RESET);
            k = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = k;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_' || chars[j].1 == '-') {
                j += 1;
            }
            // A trailing `-` belongs to arithmetic, not to the word.
            while j > k + 1 && chars[j - 1].1 == '-' {
                j -= 1;
            }
            let end = chars.get(j).map_or(line.len(), |(e, _)| *e);
            let w = &line[i..end];
            let is_kw = operators().any(|o| o == w) || KEYWORDS.contains(&w) || SOURCE_KEYWORDS.contains(&w);
            if is_kw {
                out.push_str(KEYWORD);
                out.push_str(w);
                out.push_str(RESET);
            } else {
                out.push_str(w);
            }
            k = j;
            continue;
        }
        out.push(c);
        k += 1;
    }
    out
}

impl Highlighter for KqlHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if line.starts_with('.') { Cow::Borrowed(line) } else { Cow::Owned(highlight(line)) }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("{COMMENT}{hint}{RESET}"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        true
    }
}

/// Whether Enter should run the input or continue it on a new line.
pub fn completeness(input: &str) -> ValidationResult {
    let trimmed = input.trim_end();
    // A blank line runs whatever is there; so does a dot-command.
    if trimmed.is_empty() || input.ends_with('\n') || trimmed.starts_with('.') {
        return ValidationResult::Valid(None);
    }
    match kqlog::syntax::parse(trimmed) {
        Ok(q) if q.body.is_none() && !q.statements.is_empty() => ValidationResult::Incomplete,
        Ok(_) => ValidationResult::Valid(None),
        // An error at the very end means the query is not finished yet (a
        // trailing `|`, an open bracket or string); elsewhere it is a
        // mistake to report.
        Err(e) if e.offset >= trimmed.len() => ValidationResult::Incomplete,
        Err(_) => ValidationResult::Valid(None),
    }
}

impl Validator for KqlHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(completeness(ctx.input()))
    }
}

impl Helper for KqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete(s: &str) -> bool {
        matches!(completeness(s), ValidationResult::Incomplete)
    }

    #[test]
    fn enter_continues_unfinished_queries() {
        assert!(incomplete("ContainerLog |"));
        assert!(incomplete("ContainerLog | where (a > 1"));
        assert!(incomplete("print \"abc"));
        assert!(incomplete("let x = 1;"));
        assert!(!incomplete("ContainerLog | count"));
        assert!(!incomplete("ContainerLog |\n"));
        assert!(!incomplete(".tables"));
        assert!(!incomplete("ContainerLog | wher x"));
    }

    #[test]
    fn prefix_is_the_pipeline_before_the_last_pipe() {
        assert_eq!(pipeline_prefix("T | where a | project "), Some("T | where a "));
        assert_eq!(pipeline_prefix("T | where s == \"a|b\""), Some("T "));
        assert_eq!(pipeline_prefix("T"), None);
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let h = highlight("T | where a == \"x\" and b > 10 // note");
        let plain: String = {
            let mut s = String::new();
            let mut esc = false;
            for c in h.chars() {
                if c == '\x1b' {
                    esc = true;
                } else if esc && c == 'm' {
                    esc = false;
                } else if !esc {
                    s.push(c);
                }
            }
            s
        };
        assert_eq!(plain, "T | where a == \"x\" and b > 10 // note");
        assert!(h.contains(KEYWORD));
        assert!(h.contains(STRING));
    }
}
