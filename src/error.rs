//! The library's error type. Each variant maps to one process exit code, so
//! every interface (CLI, check, report) reports failures the same way.

use crate::diag::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem in a query: it does not parse, does not plan, or fails to run.
    #[error("{0}")]
    Query(Box<Diagnostic>),
    /// Reading or writing files: a missing workspace, an unreadable log.
    #[error("{0}")]
    Io(String),
    /// Command-line usage that cannot be carried out.
    #[error("{0}")]
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn query(d: Diagnostic) -> Self {
        Error::Query(Box::new(d))
    }

    pub fn io(msg: impl Into<String>) -> Self {
        Error::Io(msg.into())
    }

    /// Exit codes shared by every kqlog command: 2 query, 3 input/IO, 64 usage.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Query(_) => 2,
            Error::Io(_) => 3,
            Error::Usage(_) => 64,
        }
    }

    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::Query(d) => Some(d),
            _ => None,
        }
    }

    /// The message as a user should see it, with the query's caret for
    /// query errors.
    pub fn render(&self, source: &str, origin: &str) -> String {
        match self {
            Error::Query(d) => crate::diag::render(d, source, origin),
            Error::Io(m) => format!("error: {m}"),
            Error::Usage(m) => format!("error: {m}"),
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::query(d)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}
