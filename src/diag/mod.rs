//! Diagnostics: one shape for every error a user can cause in a query,
//! rendered with `line:column`, the source line and a caret.

pub mod codes;
mod render;
pub mod suggest;

pub use render::render;

use crate::syntax::span::Span;

/// A problem in a query, located in its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    /// Where; `None` when the problem has no single place (e.g. at run time).
    pub span: Option<Span>,
    /// Label, notes and help; boxed to keep `Result<_, Diagnostic>` small.
    detail: Option<Box<Detail>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Detail {
    /// A short text under the caret.
    label: Option<String>,
    /// Secondary places ("`(` opened here").
    notes: Vec<(Span, String)>,
    help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { code, message: message.into(), span: None, detail: None }
    }

    fn detail_mut(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Box::default)
    }

    pub fn label_text(&self) -> Option<&str> {
        self.detail.as_ref().and_then(|d| d.label.as_deref())
    }

    pub fn help_text(&self) -> Option<&str> {
        self.detail.as_ref().and_then(|d| d.help.as_deref())
    }

    pub fn notes(&self) -> &[(Span, String)] {
        self.detail.as_ref().map_or(&[], |d| d.notes.as_slice())
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.detail_mut().label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.detail_mut().help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.detail_mut().help = help;
        }
        self
    }

    pub fn note(mut self, span: Span, text: impl Into<String>) -> Self {
        self.detail_mut().notes.push((span, text.into()));
        self
    }

    /// True for "valid KQL that kqlog does not run yet".
    pub fn is_unsupported(&self) -> bool {
        self.code.starts_with("KQL3")
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}
