//! A report script: queries separated by blank lines, as Kusto Explorer
//! reads a tab. A blank line inside a string, a bracket or a multi-line
//! ``` string does not split. A `// name: X` comment names the block's
//! output; a block of statements only (`let`, `set`, `declare`) is a
//! prelude that applies to every later query.

use crate::syntax;

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The output name: from `// name:`, else `query-N` (N counts queries).
    pub name: String,
    /// The block's own text.
    pub text: String,
    /// 1-based line of the block's first line in the script.
    pub line: usize,
    pub kind: BlockKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Statements for every later query.
    Prelude,
    Query,
}

/// Splits a script into blocks. A block that does not parse is a query (so
/// that running it reports the syntax error where it is).
pub fn split(script: &str) -> Vec<Block> {
    // Editors on Windows start files with a byte-order mark.
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let mut blocks: Vec<Block> = Vec::new();
    let mut queries = 0;
    for (line, text) in chunks(script) {
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with("//")) {
            continue;
        }
        let kind = match syntax::parse(&text) {
            Ok(q) if q.body.is_none() => BlockKind::Prelude,
            _ => BlockKind::Query,
        };
        let named = text.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix("//")?.trim_start();
            let name = rest.strip_prefix("name:")?.trim();
            (!name.is_empty()).then(|| file_safe(name))
        });
        let name = match kind {
            BlockKind::Prelude => named.unwrap_or_default(),
            BlockKind::Query => {
                queries += 1;
                let name = named.unwrap_or_else(|| format!("query-{queries}"));
                unique(name, &blocks)
            }
        };
        blocks.push(Block { name, text, line, kind });
    }
    blocks
}

/// `name`, or `name-2`, `name-3`… when an earlier query has it (ignoring
/// case, as some file systems do): each result needs a file of its own.
fn unique(name: String, earlier: &[Block]) -> String {
    let taken = |n: &str| earlier.iter().any(|b| b.kind == BlockKind::Query && b.name.eq_ignore_ascii_case(n));
    if !taken(&name) {
        return name;
    }
    (2..).map(|i| format!("{name}-{i}")).find(|n| !taken(n)).unwrap_or(name)
}

/// A name usable as a file name on every system.
fn file_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect()
}

/// Text runs between blank lines that are outside strings and brackets,
/// with the line each starts on.
fn chunks(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    let mut scan = Scanner::default();
    for (i, line) in script.lines().enumerate() {
        if line.trim().is_empty() && scan.at_top() {
            if !current.trim().is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            start = i + 2;
            continue;
        }
        if current.is_empty() {
            start = i + 1;
        }
        scan.feed(line);
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        if scan.at_top() {
            out.push((start, current));
        } else {
            // A bracket or ``` left open: only that block is broken. Split
            // the rest on every blank line so the queries after it still run.
            let mut first = start;
            let mut piece = String::new();
            for (i, l) in current.lines().enumerate() {
                if l.trim().is_empty() {
                    if !piece.trim().is_empty() {
                        out.push((first, std::mem::take(&mut piece)));
                    }
                    piece.clear();
                    first = start + i + 1;
                    continue;
                }
                piece.push_str(l);
                piece.push('\n');
            }
            if !piece.trim().is_empty() {
                out.push((first, piece));
            }
        }
    }
    out
}

/// Tracks whether the text so far leaves a string or bracket open.
#[derive(Default)]
struct Scanner {
    depth: i32,
    /// Inside a ``` string, which spans lines.
    fence: bool,
}

impl Scanner {
    fn at_top(&self) -> bool {
        self.depth <= 0 && !self.fence
    }

    fn feed(&mut self, line: &str) {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if self.fence {
                if b[i..].starts_with(b"```") {
                    self.fence = false;
                    i += 3;
                } else {
                    i += 1;
                }
                continue;
            }
            match b[i] {
                b'`' if b[i..].starts_with(b"```") => {
                    self.fence = true;
                    i += 3;
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => return,
                q @ (b'"' | b'\'') => {
                    // Verbatim strings (@"…") have no escapes.
                    let verbatim = i > 0 && b[i - 1] == b'@';
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if b[i] == b'\\' && !verbatim { 2 } else { 1 };
                    }
                }
                b'(' | b'[' | b'{' => self.depth += 1,
                // A stray closer must not leave later blocks "inside" nothing.
                b')' | b']' | b'}' => self.depth = (self.depth - 1).max(0),
                _ => {}
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_split_outside_brackets_and_fences() {
        let script = "// name: errors\nContainerLog\n| where LogEntry has \"error\"\n\n\
                      let t = datatable(a:long) [\n1,\n\n2];\nt\n\nprint s = ```x\n\ny```\n";
        let blocks = split(script);
        let names: Vec<_> = blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["errors", "query-2", "query-3"]);
        assert_eq!(blocks[1].line, 5);
        assert!(blocks[1].text.contains("\n\n2];"));
        assert!(blocks[2].text.contains("```x\n\ny```"));
    }

    #[test]
    fn a_broken_block_does_not_swallow_the_next_ones() {
        let blocks = split("T | where (a > 1\n\nT | count\n\nT | take 5\n\n// name: last\nT | take 1\n");
        let texts: Vec<_> = blocks.iter().map(|b| b.text.trim()).collect();
        assert_eq!(texts, ["T | where (a > 1", "T | count", "T | take 5", "// name: last\nT | take 1"]);
        assert_eq!(blocks[3].line, 7);
        assert_eq!(blocks[3].name, "last");
    }

    #[test]
    fn names_are_unique_and_a_bom_is_ignored() {
        let blocks = split("\u{feff}// name: errors\nT\n\n// name: Errors\nT\n\n// name: query-3\nT\n\nT\n");
        let names: Vec<_> = blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["errors", "Errors-2", "query-3", "query-4"]);
    }

    #[test]
    fn statement_blocks_are_preludes() {
        let blocks =
            split("let since = 1h;\nset query_now = datetime(2026-11-03);\n\n// name: recent logs\nT | count\n");
        assert_eq!(blocks[0].kind, BlockKind::Prelude);
        assert_eq!(blocks[1].kind, BlockKind::Query);
        assert_eq!(blocks[1].name, "recent-logs");
    }
}
