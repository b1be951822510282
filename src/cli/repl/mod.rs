//! `kqlog repl` (and plain `kqlog` on a terminal): an interactive session
//! with history, completion, multi-line queries, cancellation and
//! dot-commands.

mod commands;
mod demo;
mod helper;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use clap::Args;
use rustyline::error::ReadlineError;
use rustyline::{CompletionType, Config, Editor};

use kqlog::engine::{Engine, QueryOptions, workspace};
use kqlog::output::Format;
use kqlog::{Error, QueryResult, output};

use commands::Next;
use helper::KqlHelper;

#[derive(Args, Debug, Clone, Default)]
pub struct ReplArgs {
    /// Workspace folder (default: $KQLOG_WORKSPACE, else ./kqlog-data, else the bundled demo workspace).
    #[arg(short, long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Pin now() and ago() to this datetime.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
}

/// The state a session carries between inputs.
pub struct Session {
    pub rt: tokio::runtime::Runtime,
    pub engine: Engine,
    pub workspace: Option<PathBuf>,
    /// Table names with their columns, for `.schema` and completion.
    pub tables: Vec<(String, Vec<String>)>,
    pub format: Format,
    pub timing: bool,
    pub now: Option<i64>,
    pub last: Option<QueryResult>,
    /// The open workspace is the bundled demo: `.ingest` starts a real one.
    pub demo: bool,
}

impl Session {
    pub fn options(&self) -> QueryOptions {
        QueryOptions { now: self.now, ..Default::default() }
    }

    /// Opens `dir` (or an empty workspace for `None`).
    pub fn open(&mut self, dir: Option<PathBuf>) -> Result<(), Error> {
        let engine = match &dir {
            Some(d) => {
                if !d.is_dir() {
                    return Err(Error::io(format!("workspace `{}` does not exist", d.display())));
                }
                self.rt.block_on(Engine::open(d))?
            }
            None => Engine::new(),
        };
        self.engine = engine;
        self.workspace = dir;
        self.tables = self.schemas().into_iter().map(|(t, c)| (t, c.into_iter().map(|(n, _)| n).collect())).collect();
        Ok(())
    }

    /// Every table's columns with their Kusto types.
    pub fn schemas(&self) -> Vec<(String, Vec<(String, String)>)> {
        let Some(dir) = &self.workspace else { return Vec::new() };
        let Ok(entries) = workspace::tables(dir) else { return Vec::new() };
        let mut out = Vec::new();
        for t in entries {
            let q = format!("['{}'] | getschema | project ColumnName, ColumnType", t.name);
            let cols = match self.run_query(&q) {
                Ok(r) => {
                    let mut cols = Vec::new();
                    for b in &r.batches {
                        for i in 0..b.num_rows() {
                            cols.push((
                                output::cell::text(b.column(0).as_ref(), i),
                                output::cell::text(b.column(1).as_ref(), i),
                            ));
                        }
                    }
                    cols
                }
                Err(_) => Vec::new(),
            };
            out.push((t.name, cols));
        }
        out
    }

    pub fn run_query(&self, text: &str) -> Result<QueryResult, Error> {
        self.rt.block_on(self.engine.query(text, &self.options()))
    }

    pub fn explain(&self, text: &str) -> Result<String, Error> {
        self.rt.block_on(async {
            let (query, planned) = self.engine.plan(text, &self.options()).await?;
            let optimized = self.engine.context().state().optimize(&planned.plan).map_err(kqlog::engine::run_error)?;
            Ok(format!(
                "== KQL ==\n{query}\n\n== Logical plan ==\n{}\n\n== Optimized plan ==\n{}\n",
                planned.plan.display_indent(),
                optimized.display_indent()
            ))
        })
    }

    /// Runs a query until it finishes or Ctrl-C cancels it (`None`).
    fn run_cancellable(&self, text: &str) -> Option<Result<QueryResult, Error>> {
        let opts = self.options();
        self.rt.block_on(async {
            tokio::select! {
                r = self.engine.query(text, &opts) => Some(r),
                _ = tokio::signal::ctrl_c() => None,
            }
        })
    }
}

fn history_file() -> Option<PathBuf> {
    let dir = dirs::data_dir()?.join("kqlog");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history.txt"))
}

pub fn run(a: &ReplArgs) -> Result<u8, (Error, String)> {
    let fail = |e: Error| (e, String::new());
    let now = match &a.now {
        Some(t) => Some(kqlog::types::time::parse_datetime(t).ok_or_else(|| {
            fail(Error::Usage(format!("--now: `{t}` is not a datetime (e.g. 2026-11-03T12:00:00Z)")))
        })?),
        None => None,
    };
    let rt = super::runtime().map_err(fail)?;
    let mut demo = false;
    let dir = match workspace::resolve(&workspace::locate(a.workspace.as_deref())).map_err(fail)? {
        Some(d) => Some(d),
        None => match demo::workspace() {
            Ok(d) => {
                demo = true;
                println!("No workspace here: opened the demo workspace of sample container logs bundled with kqlog");
                println!("({}). Use `.workspace DIR`, `-w DIR` or `.ingest PATH` for your own logs.", d.display());
                Some(d)
            }
            // A session without tables still runs `print`, `datatable`, `range`.
            Err(e) => {
                eprintln!("No workspace here, and the demo workspace could not be set up: {}", e.render("", ""));
                eprintln!("Use `.workspace DIR`, `-w DIR` or `.ingest PATH` for your logs.");
                None
            }
        },
    };
    let mut session = Session {
        rt,
        engine: Engine::new(),
        workspace: None,
        tables: Vec::new(),
        format: Format::Table,
        timing: true,
        now,
        last: None,
        demo,
    };
    session.open(dir).map_err(fail)?;
    let session = Rc::new(RefCell::new(session));
    let config = Config::builder().completion_type(CompletionType::List).auto_add_history(false).build();
    let mut rl: Editor<KqlHelper, rustyline::history::FileHistory> =
        Editor::with_config(config).map_err(|e| fail(Error::io(format!("cannot start the line editor: {e}"))))?;
    rl.set_helper(Some(KqlHelper::new(Rc::clone(&session))));
    let history = history_file();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    {
        let s = session.borrow();
        println!(
            "kqlog {} — {} tables. `.help` for commands, Ctrl-D to leave.",
            env!("CARGO_PKG_VERSION"),
            s.tables.len()
        );
    }
    loop {
        let input = match rl.readline("kql> ") {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        };
        let text = input.trim();
        if text.is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(text);
        if let Some(h) = &history {
            let _ = rl.save_history(h);
        }
        let query = if text.starts_with('.') {
            let next = commands::run(&mut session.borrow_mut(), text);
            match next {
                Ok(Next::Continue) => continue,
                Ok(Next::Quit) => break,
                Ok(Next::Reload) => {
                    if let Some(h) = rl.helper_mut() {
                        h.reset();
                    }
                    continue;
                }
                Ok(Next::Run(q)) => q,
                Err(e) => {
                    eprintln!("{}", e.render(text, "command"));
                    continue;
                }
            }
        } else {
            text.to_string()
        };
        let width = rl.dimensions().map(|(w, _)| w);
        let height = rl.dimensions().map(|(_, h)| usize::from(h));
        execute(&mut session.borrow_mut(), &query, width, height);
    }
    Ok(0)
}

/// Runs one query and shows its result (or its error, or "cancelled").
fn execute(session: &mut Session, query: &str, width: Option<u16>, height: Option<usize>) {
    let started = Instant::now();
    let result = match session.run_cancellable(query) {
        None => {
            eprintln!("cancelled");
            return;
        }
        Some(Err(e)) => {
            eprintln!("{}", e.render(query, "query"));
            return;
        }
        Some(Ok(r)) => r,
    };
    let elapsed = started.elapsed();
    let mut buf = Vec::new();
    let width = if session.format == Format::Table { width } else { None };
    if let Err(e) = output::write(&result, session.format, width, &mut buf) {
        eprintln!("error: {e}");
        return;
    }
    match kqlog::report::chart_svg(&result) {
        Ok(Some(svg)) => match save_chart(&svg) {
            Ok(path) => buf.extend_from_slice(format!("chart: {}\n", path.display()).as_bytes()),
            Err(e) => buf.extend_from_slice(format!("chart not saved: {e}\n").as_bytes()),
        },
        Ok(None) => {}
        Err(why) => buf.extend_from_slice(format!("{why}\n").as_bytes()),
    }
    if session.timing {
        let rows = result.num_rows();
        let s = if rows == 1 { "" } else { "s" };
        buf.extend_from_slice(format!("{rows} row{s} in {:.3} s\n", elapsed.as_secs_f64()).as_bytes());
    }
    show(&buf, height);
    session.last = Some(result);
}

/// Writes a chart where the user can open it: the terminal cannot show it.
fn save_chart(svg: &str) -> std::io::Result<std::path::PathBuf> {
    let dir = dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("kqlog").join("charts");
    std::fs::create_dir_all(&dir)?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let path = dir.join(format!("chart-{stamp}.svg"));
    std::fs::write(&path, svg)?;
    Ok(path)
}

/// Prints `text`, through a pager when it is taller than the terminal.
fn show(text: &[u8], height: Option<usize>) {
    let lines = text.iter().filter(|b| **b == b'\n').count();
    let tall = height.is_some_and(|h| lines + 2 > h);
    if tall && std::io::stdout().is_terminal() {
        let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "less -FRSX".into());
        let mut parts = pager.split_whitespace();
        if let Some(cmd) = parts.next() {
            let child = std::process::Command::new(cmd).args(parts).stdin(std::process::Stdio::piped()).spawn();
            if let Ok(mut child) = child {
                if let Some(mut stdin) = child.stdin.take() {
                    let _ = stdin.write_all(text);
                }
                let _ = child.wait();
                return;
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text);
    let _ = out.flush();
}
