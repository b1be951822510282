//! Dot-commands: `.help`, `.tables`, `.schema`, `.format`, `.save`, ….

use std::path::PathBuf;

use kqlog::output::Format;
use kqlog::{Error, output};

use super::Session;

pub const DOT_COMMANDS: &[(&str, &str)] = &[
    (".help", "this list"),
    (".tables", "the workspace's tables and their row counts"),
    (".schema", "[TABLE]  columns and Kusto types of one table, or of all"),
    (".explain", "QUERY  the canonical KQL and the DataFusion plans"),
    (".format", "table|csv|json|ndjson|markdown  how results print"),
    (".timing", "on|off  row count and elapsed time after each result"),
    (".now", "DATETIME|off  pin now() and ago() (off: the wall clock)"),
    (".workspace", "DIR  open another workspace"),
    (".ingest", "PATH…  ingest logs into the current workspace"),
    (".save", "FILE [csv|json|ndjson|parquet]  write the last result"),
    (".read", "FILE.kql  run the query in a file"),
    (".quit", "leave (Ctrl-D does too)"),
];

/// What the loop should do after a command.
pub enum Next {
    Continue,
    /// Run this query text.
    Run(String),
    /// The workspace changed: completion caches are stale.
    Reload,
    Quit,
}

pub fn run(session: &mut Session, line: &str) -> Result<Next, Error> {
    let line = line.trim();
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    match cmd {
        ".help" | ".h" | ".?" => {
            println!("Type a KQL query; Enter runs it once it is complete (a trailing `|`, an open bracket or");
            println!("a `let …;` waiting for its query continues on the next line; a blank line runs it).");
            println!("Tab completes tables, columns, operators and functions. Ctrl-C cancels a running query.");
            println!();
            for (c, help) in DOT_COMMANDS {
                println!("  {c:<11} {help}");
            }
        }
        ".quit" | ".exit" | ".q" => return Ok(Next::Quit),
        ".tables" => {
            if session.tables.is_empty() {
                println!("no tables (ingest logs with `.ingest PATH`)");
            }
            for (t, _) in session.tables.clone() {
                let rows = session
                    .run_query(&format!("['{t}'] | count"))
                    .ok()
                    .and_then(|r| r.batches.first().map(|b| output::cell::text(b.column(0).as_ref(), 0)))
                    .unwrap_or_default();
                println!("  {t:<28} {rows:>10} rows");
            }
        }
        ".schema" => {
            let wanted: Vec<(String, Vec<(String, String)>)> =
                session.schemas().into_iter().filter(|(t, _)| arg.is_empty() || t.eq_ignore_ascii_case(arg)).collect();
            if wanted.is_empty() {
                return Err(Error::Usage(format!("no table `{arg}` (see `.tables`)")));
            }
            for (t, cols) in wanted {
                println!("{t}");
                for (c, ty) in cols {
                    println!("  {c:<32} {ty}");
                }
            }
        }
        ".explain" => {
            if arg.is_empty() {
                return Err(Error::Usage("`.explain QUERY`".into()));
            }
            match session.explain(arg) {
                Ok(text) => print!("{text}"),
                Err(e) => eprintln!("{}", e.render(arg, "query")),
            }
        }
        ".format" => match Format::parse(arg) {
            Some(f) => {
                session.format = f;
                println!("results print as {}", f.name());
            }
            None => {
                return Err(Error::Usage(format!(
                    "`.format {arg}`: use table, csv, json, ndjson or markdown (now {})",
                    session.format.name()
                )));
            }
        },
        ".timing" => match arg {
            "on" => session.timing = true,
            "off" => session.timing = false,
            _ => return Err(Error::Usage("`.timing on` or `.timing off`".into())),
        },
        ".now" => {
            if arg.is_empty() || arg == "off" {
                session.now = None;
                println!("now() follows the wall clock");
            } else {
                let t = kqlog::types::time::parse_datetime(arg)
                    .ok_or_else(|| Error::Usage(format!("`{arg}` is not a datetime (e.g. 2026-11-03T12:00:00Z)")))?;
                session.now = Some(t);
                println!("now() is {}", kqlog::types::format::datetime(t));
            }
        }
        ".workspace" => {
            if arg.is_empty() {
                match &session.workspace {
                    Some(w) => println!("{}", w.display()),
                    None => println!("no workspace"),
                }
                return Ok(Next::Continue);
            }
            session.open(Some(PathBuf::from(arg)))?;
            session.demo = false;
            println!("opened {} ({} tables)", arg, session.tables.len());
            return Ok(Next::Reload);
        }
        ".ingest" => {
            if arg.is_empty() {
                return Err(Error::Usage("`.ingest PATH…`".into()));
            }
            // Never into the demo: its rows would mix with the user's, and
            // the next version's demo would drop them.
            let ws = match &session.workspace {
                Some(w) if !session.demo => w.clone(),
                _ => PathBuf::from(kqlog::engine::workspace::DEFAULT_DIR),
            };
            let paths: Vec<PathBuf> = arg.split_whitespace().map(PathBuf::from).collect();
            // On a thread of its own, so that Ctrl-C (which the session
            // catches) can ask it to stop at its next check.
            let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let opts = kqlog::ingest::Options { cancel: Some(cancel.clone()), ..Default::default() };
            let target = ws.clone();
            let ingest = std::thread::spawn(move || kqlog::ingest::run(&paths, &target, opts, &mut |_| {}));
            let watcher = session.rt.spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let outcome = ingest.join();
            watcher.abort();
            let stats = outcome.map_err(|_| Error::io("the ingest stopped unexpectedly"))??;
            let rows: u64 = stats.rows.values().sum();
            println!("ingested {rows} rows into {} ({} rejected)", ws.display(), stats.rejected);
            session.open(Some(ws))?;
            session.demo = false;
            return Ok(Next::Reload);
        }
        ".save" => {
            let mut parts = arg.split_whitespace();
            let Some(file) = parts.next() else {
                return Err(Error::Usage("`.save FILE [csv|json|ndjson|parquet]`".into()));
            };
            let Some(result) = &session.last else {
                return Err(Error::Usage("no result to save yet".into()));
            };
            let kind = parts.next().map(str::to_string).unwrap_or_else(|| {
                std::path::Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("csv").to_string()
            });
            let bytes = if kind == "parquet" {
                output::parquet::to_bytes(result)?
            } else {
                let f = Format::parse(&kind).filter(|f| *f != Format::Table).ok_or_else(|| {
                    Error::Usage(format!("cannot save as `{kind}`: use csv, json, ndjson, markdown or parquet"))
                })?;
                let mut buf = Vec::new();
                output::write(result, f, None, &mut buf).map_err(|e| Error::io(e.to_string()))?;
                buf
            };
            std::fs::write(file, bytes).map_err(|e| Error::io(format!("cannot write `{file}`: {e}")))?;
            println!("saved {} rows to {file}", result.num_rows());
        }
        ".read" => {
            if arg.is_empty() {
                return Err(Error::Usage("`.read FILE.kql`".into()));
            }
            let text = std::fs::read_to_string(arg).map_err(|e| Error::io(format!("cannot read `{arg}`: {e}")))?;
            return Ok(Next::Run(text));
        }
        other => {
            let names: Vec<&str> = DOT_COMMANDS.iter().map(|(c, _)| *c).collect();
            let hint = kqlog::diag::suggest::closest(other, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(Error::Usage(format!("unknown command `{other}`{hint}; `.help` lists them")));
        }
    }
    Ok(Next::Continue)
}
