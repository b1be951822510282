//! The tables a query can name, resolved before planning (DataFusion's
//! table lookups are async; planning is not).

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::TableProvider;

#[derive(Default, Clone)]
pub struct Catalog {
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tables.keys()).finish()
    }
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, provider: Arc<dyn TableProvider>) {
        self.tables.insert(name.into(), provider);
    }

    pub fn has_table(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The table named exactly `name`. DataFusion contexts with identifier
    /// normalisation store `Traffic` as `traffic`, so a single match that
    /// differs only in case is accepted too.
    pub fn get(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        if let Some(t) = self.tables.get(name) {
            return Some(Arc::clone(t));
        }
        let mut folded = self.tables.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
        match (folded.next(), folded.next()) {
            (Some((_, t)), None) => Some(Arc::clone(t)),
            _ => None,
        }
    }

    /// Table names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Names matching a `*` wildcard pattern such as `Container*`.
    pub fn matching(&self, pattern: &str) -> Vec<String> {
        self.tables.keys().filter(|n| crate::plan::naming::wildcard_match(pattern, n)).cloned().collect()
    }
}
