//! `kqlog query` and `kqlog explain`.

use std::io::{Read, Write};

use kqlog::engine::{Engine, QueryOptions, workspace};
use kqlog::{Error, output};

use super::{QueryArgs, default_format, runtime};

/// Reads the query text from the argument, a file, or standard input.
pub fn query_text(a: &QueryArgs) -> Result<String, Error> {
    match (&a.file, a.query.as_deref()) {
        (Some(f), _) => {
            std::fs::read_to_string(f).map_err(|e| Error::io(format!("cannot read `{}`: {e}", f.display())))
        }
        (None, Some("-")) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io(format!("cannot read standard input: {e}")))?;
            Ok(s)
        }
        (None, Some(q)) => Ok(q.to_string()),
        (None, None) => Err(Error::Usage("give a query, `-f FILE.kql`, or `-` to read standard input".into())),
    }
}

pub fn options(a: &QueryArgs) -> Result<QueryOptions, Error> {
    super::query_options(a.now.as_deref(), &a.set)
}

pub async fn open_engine(dir: Option<&std::path::Path>) -> Result<Engine, Error> {
    let loc = workspace::locate(dir);
    match workspace::resolve(&loc)? {
        Some(d) => Engine::open(&d).await,
        None => Ok(Engine::new()),
    }
}

/// Runs `query` (or `explain`); on error returns the query text with it,
/// for the caret rendering.
pub fn run(a: &QueryArgs, explain: bool) -> Result<u8, (Error, String)> {
    let text = query_text(a).map_err(|e| (e, String::new()))?;
    let fail = |e: Error| (e, text.clone());
    let opts = options(a).map_err(fail)?;
    let rt = runtime().map_err(fail)?;
    rt.block_on(async {
        let engine = open_engine(a.workspace.as_deref()).await?;
        if explain {
            let (query, planned) = engine.plan(&text, &opts).await?;
            let state = engine.context().state();
            let optimized = state.optimize(&planned.plan).map_err(kqlog::engine::run_error)?;
            let mut out = String::new();
            out.push_str("== KQL ==\n");
            out.push_str(&query.to_string());
            out.push_str("\n\n== Logical plan ==\n");
            out.push_str(&planned.plan.display_indent().to_string());
            out.push_str("\n\n== Optimized plan ==\n");
            out.push_str(&optimized.display_indent().to_string());
            out.push('\n');
            return write_text(a, &out).map(|()| 0);
        }
        let result = engine.query(&text, &opts).await?;
        let format = a.format.unwrap_or_else(|| default_format(a.output.is_some()));
        let mut buf = Vec::new();
        let width = super::terminal_width();
        output::write(&result, format, width, &mut buf).map_err(|e| Error::io(e.to_string()))?;
        write_bytes(a, &buf)?;
        Ok(0)
    })
    .map_err(fail)
}

fn write_text(a: &QueryArgs, s: &str) -> Result<(), Error> {
    write_bytes(a, s.as_bytes())
}

fn write_bytes(a: &QueryArgs, bytes: &[u8]) -> Result<(), Error> {
    match &a.output {
        Some(p) => std::fs::write(p, bytes).map_err(|e| Error::io(format!("cannot write `{}`: {e}", p.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(bytes).and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::io(e.to_string())),
            }
        }
    }
}
