//! A workspace is a folder of tables: `<ws>/<Table>/*.parquet` or
//! `<ws>/<Table>.parquet`. Entries starting with `_` or `.` are not tables
//! (kqlog keeps its own files in `<ws>/_kqlog/`).

use std::path::{Path, PathBuf};

use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::SessionContext;

use crate::error::{Error, Result};

/// Where a workspace comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// Named by `-w` or `$KQLOG_WORKSPACE`: it must exist.
    Named(PathBuf),
    /// The default `./kqlog-data`: absent means "no tables".
    Default(PathBuf),
}

pub const ENV: &str = "KQLOG_WORKSPACE";
pub const DEFAULT_DIR: &str = "kqlog-data";

/// `-w DIR`, else `$KQLOG_WORKSPACE`, else `./kqlog-data`.
pub fn locate(flag: Option<&Path>) -> Location {
    if let Some(p) = flag {
        return Location::Named(p.to_path_buf());
    }
    match std::env::var_os(ENV) {
        Some(v) if !v.is_empty() => Location::Named(PathBuf::from(v)),
        _ => Location::Default(PathBuf::from(DEFAULT_DIR)),
    }
}

/// The directory to open, or `None` for an empty workspace.
pub fn resolve(loc: &Location) -> Result<Option<PathBuf>> {
    match loc {
        Location::Named(p) => {
            if p.is_dir() {
                Ok(Some(p.clone()))
            } else {
                Err(Error::io(format!("workspace `{}` does not exist (or is not a folder)", p.display())))
            }
        }
        Location::Default(p) => Ok(p.is_dir().then(|| p.clone())),
    }
}

/// A table found in a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    pub name: String,
    pub path: PathBuf,
    pub is_dir: bool,
}

/// Lists a workspace's tables, sorted by name.
pub fn tables(dir: &Path) -> Result<Vec<TableEntry>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("cannot read workspace `{}`: {e}", dir.display())))?;
    let mut out: Vec<TableEntry> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("cannot read workspace `{}`: {e}", dir.display())))?;
        let file_name = entry.file_name().to_string_lossy().to_string();
        if file_name.starts_with('_') || file_name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let (name, is_dir) = if path.is_dir() {
            if !has_parquet(&path) {
                continue;
            }
            (file_name, true)
        } else if let Some(stem) = file_name.strip_suffix(".parquet") {
            (stem.to_string(), false)
        } else {
            continue;
        };
        if let Some(other) = out.iter().find(|t| t.name == name) {
            return Err(Error::io(format!(
                "table `{name}` is in the workspace twice: `{}` and `{}`; remove one",
                other.path.display(),
                path.display()
            )));
        }
        out.push(TableEntry { name, path, is_dir });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn has_parquet(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().any(|e| e.path().extension().is_some_and(|x| x == "parquet")))
        .unwrap_or(false)
}

/// Registers every table of `dir` on `ctx`.
pub async fn register(ctx: &SessionContext, dir: &Path) -> Result<()> {
    for t in tables(dir)? {
        let mut url =
            t.path.canonicalize().map_err(|e| Error::io(format!("{}: {e}", t.path.display())))?.display().to_string();
        if t.is_dir && !url.ends_with('/') {
            url.push('/');
        }
        let table_url = ListingTableUrl::parse(&url).map_err(|e| Error::io(format!("{url}: {e}")))?;
        let state = ctx.state();
        // kqlog's Parquet reading: the embedded Arrow schema (it marks
        // `dynamic` columns) and no Utf8View (it would erase that mark).
        let format = ParquetFormat::default()
            .with_options(state.table_options().parquet.clone())
            .with_skip_metadata(false)
            .with_force_view_types(false);
        let options = ListingOptions::new(std::sync::Arc::new(format)).with_file_extension(".parquet");
        let schema = options.infer_schema(&state, &table_url).await.map_err(|e| {
            Error::io(format!("cannot read the Parquet schema of `{}`: {}", t.name, e.strip_backtrace()))
        })?;
        let config = ListingTableConfig::new(table_url).with_listing_options(options).with_schema(schema);
        let table = ListingTable::try_new(config).map_err(|e| Error::io(format!("table `{}`: {e}", t.name)))?;
        ctx.register_table(datafusion::common::TableReference::bare(t.name.as_str()), std::sync::Arc::new(table))
            .map_err(|e| Error::io(format!("table `{}`: {e}", t.name)))?;
    }
    Ok(())
}
