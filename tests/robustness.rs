//! No input may panic kqlog: every prefix and many random mutations of the
//! logic-test queries must parse and plan to a result or an error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use kqlog::engine::{Engine, QueryOptions};

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logic")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let mut lines = text.lines();
            while let Some(l) = lines.next() {
                if l.starts_with("query") || l.starts_with("table ") {
                    let mut q = String::new();
                    for body in lines.by_ref() {
                        if body == "----" || body.trim().is_empty() {
                            break;
                        }
                        q.push_str(body);
                        q.push('\n');
                    }
                    out.push(q);
                }
            }
        }
    }
    out.sort();
    out
}

/// A small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "|",
    ",",
    ";",
    "\"",
    "'",
    "@",
    "=",
    "==",
    "!",
    "~",
    "*",
    ".",
    "..",
    "-",
    "+",
    "/",
    "//",
    "`",
    "\\",
    "\n",
    " ",
    "datetime(",
    "dynamic(",
    "by",
    "on",
    "let",
    "summarize",
    "where",
    "1d",
    "0x",
    "1e",
    "é",
    "🦀",
    "\u{0}",
    "$left",
    "kind=",
    "hint.",
    "```",
    "h'",
];

fn mutate(q: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = q.chars().collect();
    let mut out: Vec<char> = chars.clone();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 => {
                let piece: Vec<char> = PIECES[rng.below(PIECES.len())].chars().collect();
                out.splice(at..at, piece);
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at.min(end)..end);
            }
            _ => {
                let from = rng.below(chars.len().max(1));
                let to = (from + rng.below(12)).min(chars.len());
                let chunk: Vec<char> = chars[from..to].to_vec();
                out.splice(at..at, chunk);
            }
        }
    }
    out.into_iter().collect()
}

fn check(engine: &Engine, rt: &tokio::runtime::Runtime, q: &str) {
    let opts = QueryOptions::default();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if kqlog::syntax::parse(q).is_ok() {
            let _ = rt.block_on(engine.plan(q, &opts));
        }
    }));
    assert!(outcome.is_ok(), "kqlog panicked on this query:\n{q:?}");
}

#[test]
fn prefixes_never_panic() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let engine = Engine::new();
    for q in corpus() {
        let mut cut: Vec<usize> = q.char_indices().map(|(i, _)| i).collect();
        cut.push(q.len());
        for end in cut {
            check(&engine, &rt, &q[..end]);
        }
    }
}

#[test]
fn mutations_never_panic() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let engine = Engine::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for q in corpus() {
        for _ in 0..30 {
            check(&engine, &rt, &mutate(&q, &mut rng));
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let outcome = catch_unwind(|| kqlog::syntax::parse(&text).map(|q| q.to_string()));
        assert!(outcome.is_ok(), "parser panicked on {text:?}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("print {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let err = kqlog::syntax::parse(&deep).unwrap_err();
    assert!(err.to_diagnostic(&deep).code == "KQL102", "{:?}", err);
    let calls = format!("print {}1{}", "abs(".repeat(5_000), ")".repeat(5_000));
    assert!(kqlog::syntax::parse(&calls).is_err());
    let deep_json = format!("print dynamic({}1{})", "[".repeat(10_000), "]".repeat(10_000));
    assert!(kqlog::syntax::parse(&deep_json).is_err());
}

#[test]
fn long_or_chains_run() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let engine = Engine::new();
    let terms: Vec<String> = (0..2_000).map(|k| format!("x == {k}")).collect();
    let q = format!("range x from 1 to 3 step 1 | where {} | count", terms.join(" or "));
    let r = rt.block_on(engine.query(&q, &QueryOptions::default())).unwrap();
    assert_eq!(r.num_rows(), 1);
}

#[test]
fn long_arithmetic_chains_are_refused() {
    let sum = format!("print x = {}", vec!["1"; 2_000].join(" + "));
    let err = kqlog::syntax::parse(&sum).unwrap_err();
    assert_eq!(err.to_diagnostic(&sum).code, "KQL102");
}
