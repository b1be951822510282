//! The core of Kusto's `reduce` operator: log patterns.
//!
//! Kusto does not publish its algorithm (its documentation only cites
//! Vaarandi's SLCT), so kqlog uses its own deterministic one:
//!
//! 1. A line is cut into *terms* (runs of letters, digits and `_`, or of the
//!    characters outside `characters=` when given) and the *separator* runs
//!    between them, which are kept so that a pattern reproduces the line's
//!    shape. A GUID is always one term.
//! 2. Lines are grouped by *shape*: the same number of terms and the same
//!    separators in the same places.
//! 3. A term that looks like a value (starts with a digit, has more digits
//!    than letters, is a GUID or 8+ hex digits) always becomes `*`.
//! 4. Within a group of `n` lines, a term position where the lines show at
//!    least `clamp(⌈threshold × n⌉, 2, 100)` distinct terms is a field: `*`.
//!    Otherwise, if the position still varies, the group splits by its term
//!    there (the position with the fewest distinct terms first) and each part
//!    is examined again on its own (fields stay fields). A position that is
//!    the same on every line of a part keeps its term.
//! 5. Parts whose patterns render the same are one row; `Count` is their
//!    number of lines and `Representative` the first of them in input order.
//!    A pattern of a single line, or made only of `*`, counts under `others`.
//!
//! A smaller threshold makes more `*` and fewer, coarser patterns; a larger one
//! keeps more terms, as in Kusto.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, LargeStringArray, ListArray, StringArray, UInt64Array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{
    AccumulatorArgs, PartitionEvaluatorArgs, StateFieldsArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use serde_json::Value as Json;

/// The `Pattern` of the row that gathers the lines no pattern holds.
pub const OTHERS: &str = "others";

/// Lines kept to build patterns from; later lines are only counted into the
/// patterns they match (or `others`), so the memory stays bounded.
pub const MAX_LINES: usize = 1_000_000;

/// Distinct shapes of lines beyond [`MAX_LINES`] remembered by the aggregate;
/// further lines of new shapes are counted as `others` straight away.
pub const MAX_OVERFLOW_SHAPES: usize = 100_000;

/// However small a threshold makes it, a position with this many distinct
/// terms is a field: otherwise a large input would split into one pattern per
/// user name or pod.
const FIELD_DISTINCT_CAP: usize = 100;

/// A pattern must stand for at least this many lines.
const MIN_COUNT: u64 = 2;

pub const DEFAULT_THRESHOLD: f64 = 0.1;

#[derive(Debug, Clone, PartialEq)]
pub struct ReduceOptions {
    /// In `[0, 1]`: how many distinct terms (as a fraction of a group's
    /// lines) make a position a field.
    pub threshold: f64,
    /// The characters that separate terms (whitespace always does); `None`
    /// for every character but letters, digits and `_`.
    pub characters: Option<String>,
}

impl Default for ReduceOptions {
    fn default() -> Self {
        ReduceOptions { threshold: DEFAULT_THRESHOLD, characters: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternRow {
    pub pattern: String,
    pub count: u64,
    pub representative: String,
}

/// `reduce by`: the patterns of `lines`, by `Count` descending then
/// `Pattern`, with the `others` row (empty `Representative`) last. Patterns
/// are built from the first [`MAX_LINES`] lines; later lines only add to the
/// counts.
pub fn reduce_lines(lines: &[&str], opts: &ReduceOptions) -> Vec<PatternRow> {
    let (head, tail) = lines.split_at(lines.len().min(MAX_LINES));
    let mut model = PatternModel::build(head, opts);
    for line in tail {
        model.add(line, 1);
    }
    model.rows()
}

/// `reduce kind=source by`: the `Pattern` of each line (the pattern's text,
/// or `others`), the same as [`reduce_lines`] would count it under.
pub fn line_patterns(lines: &[&str], opts: &ReduceOptions) -> Vec<String> {
    let (head, tail) = lines.split_at(lines.len().min(MAX_LINES));
    let mut model = PatternModel::build(head, opts);
    for line in tail {
        model.add(line, 1);
    }
    lines.iter().map(|l| model.pattern_of(l).to_string()).collect()
}

/// Which characters separate terms.
#[derive(Debug, Clone)]
struct Splitter {
    set: Option<Vec<char>>,
}

/// A line cut up: `seps[i]` precedes `terms[i]` and the last separator run
/// ends the line, so `seps.len() == terms.len() + 1` (runs may be empty).
struct Tokens<'a> {
    terms: Vec<&'a str>,
    seps: Vec<&'a str>,
}

impl Splitter {
    fn new(opts: &ReduceOptions) -> Splitter {
        Splitter { set: opts.characters.as_ref().map(|s| s.chars().collect()) }
    }

    fn is_sep(&self, c: char) -> bool {
        match &self.set {
            None => !(c.is_alphanumeric() || c == '_'),
            Some(set) => c.is_whitespace() || set.contains(&c),
        }
    }

    /// The end of the run starting at `from` of separators (`sep`) or terms.
    fn run_end(&self, line: &str, from: usize, sep: bool) -> usize {
        line[from..].char_indices().find(|&(_, c)| self.is_sep(c) != sep).map_or(line.len(), |(i, _)| from + i)
    }

    fn tokenize<'a>(&self, line: &'a str) -> Tokens<'a> {
        let mut terms = Vec::new();
        let mut seps = Vec::new();
        let mut pos = 0;
        loop {
            let start = self.run_end(line, pos, true);
            seps.push(&line[pos..start]);
            if start == line.len() {
                break;
            }
            // A GUID's dashes would otherwise cut it into five terms, some of
            // which can look like words.
            let rest = &line.as_bytes()[start..];
            let end = if rest.len() >= 36
                && is_guid(&rest[..36])
                && line[start + 36..].chars().next().is_none_or(|c| self.is_sep(c))
            {
                start + 36
            } else {
                self.run_end(line, start, false)
            };
            terms.push(&line[start..end]);
            pos = end;
        }
        Tokens { terms, seps }
    }
}

fn is_guid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// Numbers, times, addresses, ids: terms that differ from line to line by
/// nature, so they never name a pattern even when a group has one line.
fn is_value_like(t: &str) -> bool {
    let b = t.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) || is_guid(b) {
        return true;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    digits > letters || (b.len() >= 8 && b.iter().all(u8::is_ascii_hexdigit))
}

/// Separators joining two `*` into one when they are a single character
/// (`10.0.0.4`, `2024-03-01`, `10:00:01`): `*` already stands for any text.
/// Whitespace is kept so that a pattern keeps its words.
fn joins(sep: &str) -> bool {
    let mut c = sep.chars();
    matches!((c.next(), c.next()), (Some(ch), None) if !ch.is_whitespace())
}

/// How many distinct terms make a position of a group of `n` lines a field.
fn field_distinct(n: usize, threshold: f64) -> usize {
    // The epsilon keeps 0.1 × 30 at 3 despite binary floating point.
    let t = (threshold * n as f64 - 1e-9).ceil();
    if t.is_nan() || t < 2.0 { 2 } else { (t as usize).clamp(2, FIELD_DISTINCT_CAP) }
}

fn shape_key(seps: &[&str]) -> String {
    let mut key = String::new();
    for s in seps {
        key.push_str(&s.len().to_string());
        key.push(':');
        key.push_str(s);
    }
    key
}

/// What a pattern holds at a term position.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Lit(String),
    /// Any value-like term.
    Value,
    /// Any term.
    Any,
}

impl Slot {
    fn accepts(&self, term: &str) -> bool {
        match self {
            Slot::Lit(s) => s == term,
            Slot::Value => is_value_like(term),
            Slot::Any => true,
        }
    }
}

/// A shape's decision tree: a line goes down the splits by its terms and
/// ends at the leaf whose pattern it belongs to.
#[derive(Debug)]
enum Node {
    Split { pos: usize, children: HashMap<String, usize>, value_child: Option<usize> },
    Leaf { slots: Vec<Slot>, row: usize },
}

#[derive(Debug)]
struct RowAcc {
    pattern: String,
    count: u64,
    /// Index of the representative line, to keep the first one when parts merge.
    first: usize,
    representative: String,
}

impl RowAcc {
    fn is_others(&self) -> bool {
        self.count < MIN_COUNT
            || (self.pattern.contains('*') && self.pattern.chars().all(|c| c == '*' || c.is_whitespace()))
    }
}

/// The patterns of a set of lines, able to tell which pattern a line belongs
/// to (for `kind=source` and for lines beyond [`MAX_LINES`]).
#[derive(Debug)]
pub struct PatternModel {
    splitter: Splitter,
    shapes: HashMap<String, Vec<Node>>,
    rows: Vec<RowAcc>,
    /// Lines counted as `others` without a row (see [`PatternModel::add_others`]).
    others: u64,
}

/// A position's state while its group is being split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Fixed(u32),
    Any,
}

/// Interned id of every value-like term.
const VALUE: u32 = 0;

impl PatternModel {
    pub fn build(lines: &[&str], opts: &ReduceOptions) -> PatternModel {
        let threshold = if opts.threshold.is_nan() { DEFAULT_THRESHOLD } else { opts.threshold.clamp(0.0, 1.0) };
        let splitter = Splitter::new(opts);
        let mut model = PatternModel { splitter, shapes: HashMap::new(), rows: Vec::new(), others: 0 };
        let mut row_of: HashMap<String, usize> = HashMap::new();

        // Shapes in order of first appearance, each with its lines.
        let mut shape_ids: HashMap<String, usize> = HashMap::new();
        let mut shapes: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let key = shape_key(&model.splitter.tokenize(line).seps);
            match shape_ids.get(&key) {
                Some(&s) => shapes[s].1.push(i),
                None => {
                    shape_ids.insert(key.clone(), shapes.len());
                    shapes.push((key, vec![i]));
                }
            }
        }
        drop(shape_ids);

        for (key, members) in shapes {
            let nodes = model.build_shape(lines, &members, threshold, &mut row_of);
            model.shapes.insert(key, nodes);
        }
        model
    }

    /// Splits one shape's lines (indexes into `lines`) into patterns.
    fn build_shape(
        &mut self,
        lines: &[&str],
        members: &[usize],
        threshold: f64,
        row_of: &mut HashMap<String, usize>,
    ) -> Vec<Node> {
        let Some(&first) = members.first() else { return Vec::new() };
        let seps = self.splitter.tokenize(lines[first]).seps;
        let k = seps.len().saturating_sub(1);

        // Term ids, row-major: ids[r * k + p] is term p of members[r].
        let mut names: Vec<&str> = vec!["*"];
        let mut interner: HashMap<&str, u32> = HashMap::new();
        let mut ids: Vec<u32> = Vec::with_capacity(members.len() * k);
        for &m in members {
            for term in self.splitter.tokenize(lines[m]).terms {
                let id = if is_value_like(term) {
                    VALUE
                } else {
                    *interner.entry(term).or_insert_with(|| {
                        names.push(term);
                        (names.len() - 1) as u32
                    })
                };
                ids.push(id);
            }
        }
        drop(interner);

        let mut nodes: Vec<Node> = vec![Node::Leaf { slots: Vec::new(), row: usize::MAX }];
        let mut stamp: Vec<usize> = vec![0; names.len()];
        let mut clock = 0usize;
        // (node index, rows of `ids` in input order, position states)
        let mut work: Vec<(usize, Vec<usize>, Vec<State>)> =
            vec![(0, (0..members.len()).collect(), vec![State::Open; k])];
        while let Some((node, rows, mut states)) = work.pop() {
            let need = field_distinct(rows.len(), threshold);
            let mut split: Option<(usize, usize)> = None;
            for (p, state) in states.iter_mut().enumerate() {
                if *state != State::Open {
                    continue;
                }
                clock += 1;
                let mut distinct = 0;
                for &r in &rows {
                    let id = ids[r * k + p] as usize;
                    if stamp[id] != clock {
                        stamp[id] = clock;
                        distinct += 1;
                        if distinct >= need {
                            break;
                        }
                    }
                }
                if distinct <= 1 {
                    *state = State::Fixed(rows.first().map_or(VALUE, |&r| ids[r * k + p]));
                } else if distinct >= need {
                    *state = State::Any;
                } else if split.is_none_or(|(d, _)| distinct < d) {
                    split = Some((distinct, p));
                }
            }

            if let Some((_, pos)) = split {
                let mut parts: Vec<(u32, Vec<usize>)> = Vec::new();
                let mut part_of: HashMap<u32, usize> = HashMap::new();
                for &r in &rows {
                    let id = ids[r * k + pos];
                    match part_of.get(&id) {
                        Some(&i) => parts[i].1.push(r),
                        None => {
                            part_of.insert(id, parts.len());
                            parts.push((id, vec![r]));
                        }
                    }
                }
                let mut children = HashMap::new();
                let mut value_child = None;
                for (id, part) in parts {
                    let child = nodes.len();
                    nodes.push(Node::Leaf { slots: Vec::new(), row: usize::MAX });
                    if id == VALUE {
                        value_child = Some(child);
                    } else {
                        children.insert(names[id as usize].to_string(), child);
                    }
                    let mut child_states = states.clone();
                    child_states[pos] = State::Fixed(id);
                    work.push((child, part, child_states));
                }
                nodes[node] = Node::Split { pos, children, value_child };
                continue;
            }

            let slots: Vec<Slot> = states
                .iter()
                .map(|s| match *s {
                    State::Fixed(VALUE) => Slot::Value,
                    State::Any | State::Open => Slot::Any,
                    State::Fixed(id) => Slot::Lit(names[id as usize].to_string()),
                })
                .collect();
            let pattern = render(&seps, &slots);
            let line = rows.first().map_or(first, |&r| members[r]);
            let row = match row_of.get(&pattern) {
                Some(&i) => i,
                None => {
                    row_of.insert(pattern.clone(), self.rows.len());
                    self.rows.push(RowAcc { pattern, count: 0, first: line, representative: lines[line].to_string() });
                    self.rows.len() - 1
                }
            };
            let acc = &mut self.rows[row];
            acc.count += rows.len() as u64;
            if line < acc.first {
                acc.first = line;
                acc.representative = lines[line].to_string();
            }
            nodes[node] = Node::Leaf { slots, row };
        }
        nodes
    }

    /// The row a line belongs to, if any.
    fn find(&self, line: &str) -> Option<usize> {
        let t = self.splitter.tokenize(line);
        let nodes = self.shapes.get(&shape_key(&t.seps))?;
        let mut at = 0;
        loop {
            match nodes.get(at)? {
                Node::Split { pos, children, value_child } => {
                    let term = t.terms.get(*pos)?;
                    at = if is_value_like(term) { (*value_child)? } else { *children.get(*term)? };
                }
                Node::Leaf { slots, row } => {
                    let fits = slots.len() == t.terms.len() && slots.iter().zip(&t.terms).all(|(s, t)| s.accepts(t));
                    return fits.then_some(*row);
                }
            }
        }
    }

    /// Counts `count` more lines like `line` into the pattern that holds it,
    /// or into `others` (lines beyond the ones the model was built from).
    pub fn add(&mut self, line: &str, count: u64) {
        match self.find(line).and_then(|r| self.rows.get_mut(r)) {
            Some(row) => row.count += count,
            None => self.others += count,
        }
    }

    /// Counts lines as `others` without looking at them.
    pub fn add_others(&mut self, count: u64) {
        self.others += count;
    }

    /// The `Pattern` of a line: its pattern's text, or `others`. Meant for
    /// after every [`PatternModel::add`], since a pattern of one line is `others`.
    pub fn pattern_of(&self, line: &str) -> &str {
        match self.find(line).and_then(|r| self.rows.get(r)) {
            Some(row) if !row.is_others() => &row.pattern,
            _ => OTHERS,
        }
    }

    /// The rows of `reduce`, as [`reduce_lines`] describes them.
    pub fn rows(&self) -> Vec<PatternRow> {
        let mut others = self.others;
        let mut out: Vec<PatternRow> = Vec::new();
        for r in &self.rows {
            if r.is_others() {
                others += r.count;
            } else {
                out.push(PatternRow {
                    pattern: r.pattern.clone(),
                    count: r.count,
                    representative: r.representative.clone(),
                });
            }
        }
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.pattern.cmp(&b.pattern)));
        if others > 0 {
            out.push(PatternRow { pattern: OTHERS.to_string(), count: others, representative: String::new() });
        }
        out
    }
}

fn render(seps: &[&str], slots: &[Slot]) -> String {
    let mut out = String::new();
    let mut prev_wild = false;
    for (i, slot) in slots.iter().enumerate() {
        let sep = seps.get(i).copied().unwrap_or("");
        let wild = !matches!(slot, Slot::Lit(_));
        if wild && prev_wild && joins(sep) {
            continue;
        }
        out.push_str(sep);
        match slot {
            Slot::Lit(s) => out.push_str(s),
            Slot::Value | Slot::Any => out.push('*'),
        }
        prev_wild = wild;
    }
    out.push_str(seps.get(slots.len()).copied().unwrap_or(""));
    out
}

/// The rows as a `dynamic` array of `{"Pattern", "Count", "Representative"}`.
pub fn rows_to_json(rows: &[PatternRow]) -> String {
    let items = rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("Pattern".to_string(), Json::String(r.pattern.clone()));
            m.insert("Count".to_string(), Json::from(r.count));
            m.insert("Representative".to_string(), Json::String(r.representative.clone()));
            Json::Object(m)
        })
        .collect();
    Json::Array(items).to_string()
}

// ---------------------------------------------------------------------------
// DataFusion functions

fn literal(exprs: &[Arc<dyn PhysicalExpr>], n: usize) -> Option<Option<&ScalarValue>> {
    let e = exprs.get(n)?;
    Some(e.downcast_ref::<Literal>().map(|l| l.value()))
}

/// Reads `threshold` and `characters` from constant arguments 1 and 2.
fn options(exprs: &[Arc<dyn PhysicalExpr>], name: &str) -> Result<ReduceOptions> {
    let mut opts = ReduceOptions::default();
    match literal(exprs, 1) {
        None => {}
        Some(Some(v)) if v.is_null() => {}
        Some(Some(ScalarValue::Float64(Some(v)))) => opts.threshold = *v,
        Some(Some(ScalarValue::Float32(Some(v)))) => opts.threshold = f64::from(*v),
        Some(Some(ScalarValue::Int64(Some(v)))) => opts.threshold = *v as f64,
        Some(Some(ScalarValue::Int32(Some(v)))) => opts.threshold = f64::from(*v),
        Some(Some(ScalarValue::Decimal128(Some(v), _, s))) => opts.threshold = *v as f64 / 10f64.powi(i32::from(*s)),
        Some(_) => return exec_err!("{name}: the threshold must be a constant number"),
    }
    if !(0.0..=1.0).contains(&opts.threshold) {
        return exec_err!("{name}: the threshold must be between 0 and 1, not {}", opts.threshold);
    }
    match literal(exprs, 2) {
        None => {}
        Some(Some(v)) if v.is_null() => {}
        Some(Some(ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)))) => {
            opts.characters = Some(s.clone());
        }
        Some(_) => return exec_err!("{name}: the characters must be a constant string"),
    }
    Ok(opts)
}

/// The text argument as `Utf8`, whatever string type it arrives in.
fn texts(values: &[ArrayRef]) -> Result<ArrayRef> {
    match values.first() {
        Some(a) if a.data_type() == &DataType::Utf8 => Ok(Arc::clone(a)),
        Some(a) => Ok(arrow::compute::cast(a, &DataType::Utf8)?),
        None => exec_err!("reduce needs the text to reduce"),
    }
}

fn list_field(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

fn list_scalar(values: ArrayRef) -> ScalarValue {
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
}

/// `__kql_reduce(text [, threshold [, characters]])`: the patterns of the
/// non-null texts as a `dynamic` array of `{"Pattern", "Count",
/// "Representative"}` (see [`reduce_lines`]). The threshold and characters
/// must be constants.
///
/// Memory: the first [`MAX_LINES`] texts (per accumulator, so per partial
/// aggregation) are kept and build the patterns.
/// Later ones are remembered once per shape (same separators, same terms but
/// value-like ones; at most [`MAX_OVERFLOW_SHAPES`] shapes) with a count, and
/// at the end counted into the pattern their shape matches, or `others`.
/// Texts of shapes beyond that cap count as `others` directly.
#[derive(Debug)]
pub struct Reduce {
    signature: Signature,
}

impl PartialEq for Reduce {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Reduce {}
impl Hash for Reduce {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "__kql_reduce".hash(state);
    }
}

impl AggregateUDFImpl for Reduce {
    fn name(&self) -> &str {
        "__kql_reduce"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::LargeUtf8)
    }
    fn is_nullable(&self) -> bool {
        false
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let opts = options(args.exprs, "reduce")?;
        Ok(Box::new(ReduceAcc {
            splitter: Splitter::new(&opts),
            opts,
            lines: Vec::new(),
            bytes: 0,
            overflow: HashMap::new(),
            dropped: 0,
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format!("{}_lines", args.name), list_field(DataType::LargeUtf8), true)),
            Arc::new(Field::new(format!("{}_extra_lines", args.name), list_field(DataType::LargeUtf8), true)),
            Arc::new(Field::new(format!("{}_extra_counts", args.name), list_field(DataType::UInt64), true)),
            Arc::new(Field::new(format!("{}_dropped", args.name), DataType::UInt64, true)),
        ])
    }
}

#[derive(Debug)]
struct ReduceAcc {
    opts: ReduceOptions,
    splitter: Splitter,
    lines: Vec<String>,
    bytes: usize,
    /// Lines beyond [`MAX_LINES`]: shape key → (first such line, count).
    overflow: HashMap<String, (String, u64)>,
    /// Lines beyond [`MAX_LINES`] of shapes beyond [`MAX_OVERFLOW_SHAPES`].
    dropped: u64,
}

impl ReduceAcc {
    fn push(&mut self, line: &str) {
        if self.lines.len() < MAX_LINES {
            self.bytes += line.len();
            self.lines.push(line.to_string());
        } else {
            self.push_overflow(line, 1);
        }
    }

    fn push_overflow(&mut self, line: &str, count: u64) {
        // Lines alike but for their value-like terms fall under the same
        // pattern, so one of them stands for all.
        let t = self.splitter.tokenize(line);
        let mut key = shape_key(&t.seps);
        for term in &t.terms {
            if is_value_like(term) {
                key.push('\0');
            } else {
                key.push_str(&term.len().to_string());
                key.push(':');
                key.push_str(term);
            }
        }
        if let Some(e) = self.overflow.get_mut(&key) {
            e.1 += count;
        } else if self.overflow.len() < MAX_OVERFLOW_SHAPES {
            self.bytes += key.len() + line.len();
            self.overflow.insert(key, (line.to_string(), count));
        } else {
            self.dropped += count;
        }
    }

    fn model(&self) -> PatternModel {
        let lines: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        let mut model = PatternModel::build(&lines, &self.opts);
        for (line, count) in self.overflow.values() {
            model.add(line, *count);
        }
        model.add_others(self.dropped);
        model
    }
}

impl Accumulator for ReduceAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let a = texts(values)?;
        let s = a.as_string::<i32>();
        for i in 0..s.len() {
            if !s.is_null(i) {
                self.push(s.value(i));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some(rows_to_json(&self.model().rows()))))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.bytes
            + self.lines.capacity() * std::mem::size_of::<String>()
            + self.overflow.len() * (2 * std::mem::size_of::<String>() + 16)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // Large strings: a million kept lines can pass the 2 GiB of `Utf8` offsets.
        let lines = LargeStringArray::from_iter_values(self.lines.iter());
        let extra_lines = LargeStringArray::from_iter_values(self.overflow.values().map(|(l, _)| l));
        let extra_counts = UInt64Array::from_iter_values(self.overflow.values().map(|(_, c)| *c));
        Ok(vec![
            list_scalar(Arc::new(lines)),
            list_scalar(Arc::new(extra_lines)),
            list_scalar(Arc::new(extra_counts)),
            ScalarValue::UInt64(Some(self.dropped)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [lines, extra_lines, extra_counts, dropped] = states else {
            return exec_err!("reduce: unexpected partial state");
        };
        let (lines, extra_lines, extra_counts) =
            (lines.as_list::<i32>(), extra_lines.as_list::<i32>(), extra_counts.as_list::<i32>());
        let dropped = dropped.as_primitive::<arrow::datatypes::UInt64Type>();
        for i in 0..lines.len() {
            if !lines.is_null(i) {
                let v = lines.value(i);
                let v = v.as_string::<i64>();
                for j in 0..v.len() {
                    if !v.is_null(j) {
                        self.push(v.value(j));
                    }
                }
            }
            if !extra_lines.is_null(i) && !extra_counts.is_null(i) {
                let (l, c) = (extra_lines.value(i), extra_counts.value(i));
                let (l, c) = (l.as_string::<i64>(), c.as_primitive::<arrow::datatypes::UInt64Type>());
                for j in 0..l.len().min(c.len()) {
                    if !l.is_null(j) {
                        self.push_overflow(l.value(j), c.value(j));
                    }
                }
            }
            if !dropped.is_null(i) {
                self.dropped += dropped.value(i);
            }
        }
        Ok(())
    }
}

pub static REDUCE: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(Reduce { signature: Signature::variadic_any(Volatility::Immutable) }))
});

/// `__kql_reduce_source(text [, threshold [, characters]]) OVER ()`: for
/// `reduce kind=source`, each row's `Pattern` (a string: the pattern's text
/// or `others`; null for a null text), computed over the whole window
/// partition as [`line_patterns`] does.
#[derive(Debug)]
pub struct ReduceSource {
    signature: Signature,
}

impl PartialEq for ReduceSource {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for ReduceSource {}
impl Hash for ReduceSource {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "__kql_reduce_source".hash(state);
    }
}

impl WindowUDFImpl for ReduceSource {
    fn name(&self) -> &str {
        "__kql_reduce_source"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn partition_evaluator(&self, args: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(ReduceSourceEval { opts: options(args.input_exprs(), "reduce kind=source")? }))
    }
    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(args.name(), DataType::Utf8, true)))
    }
}

#[derive(Debug)]
struct ReduceSourceEval {
    opts: ReduceOptions,
}

impl PartitionEvaluator for ReduceSourceEval {
    fn evaluate_all(&mut self, values: &[ArrayRef], _num_rows: usize) -> Result<ArrayRef> {
        let a = texts(values)?;
        let s = a.as_string::<i32>();
        let lines: Vec<&str> = s.iter().flatten().collect();
        let (head, tail) = lines.split_at(lines.len().min(MAX_LINES));
        let mut model = PatternModel::build(head, &self.opts);
        for line in tail {
            model.add(line, 1);
        }
        let patterns: Vec<Option<&str>> = s.iter().map(|l| l.map(|l| model.pattern_of(l))).collect();
        if patterns.iter().flatten().map(|p| p.len()).sum::<usize>() > i32::MAX as usize {
            return exec_err!("reduce kind=source: the patterns of this many rows do not fit in one string column");
        }
        Ok(Arc::new(StringArray::from(patterns)))
    }
}

pub static REDUCE_SOURCE: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| {
    Arc::new(WindowUDF::new_from_impl(ReduceSource { signature: Signature::variadic_any(Volatility::Immutable) }))
});

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(lines: &[String], opts: &ReduceOptions) -> Vec<PatternRow> {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        reduce_lines(&refs, opts)
    }

    fn row(pattern: &str, count: u64, representative: &str) -> PatternRow {
        PatternRow { pattern: pattern.to_string(), count, representative: representative.to_string() }
    }

    fn others(count: u64) -> PatternRow {
        row(OTHERS, count, "")
    }

    fn with(threshold: f64, characters: Option<&str>) -> ReduceOptions {
        ReduceOptions { threshold, characters: characters.map(str::to_string) }
    }

    /// 30 `GET /api/orders/{id}`, 12 `GET /api/customers/{id}`, 8 `POST
    /// /api/orders/{id}/items`, from different clients at different times.
    fn iis_lines() -> Vec<String> {
        (0..50u32)
            .map(|i| {
                let (method, uri, status) = match i % 5 {
                    0 => ("POST", format!("/api/orders/{}/items", 5000 + i), 201),
                    1 | 3 if i < 31 => ("GET", format!("/api/customers/{}", 77 + i * 3), 200),
                    _ => ("GET", format!("/api/orders/{}", 1234 + i * 7), 200),
                };
                format!(
                    "2024-03-01 10:{:02}:{:02} 10.0.0.4 {method} {uri} - 80 - 10.1.{}.{} Mozilla/5.0 {status} 0 0 {}",
                    i / 6,
                    (i * 7) % 60,
                    i % 4,
                    i + 2,
                    (i * 37) % 500 + 1
                )
            })
            .collect()
    }

    #[test]
    fn iis_lines_reduce_to_their_routes() {
        let lines = iis_lines();
        let counts = |prefix: &str| lines.iter().filter(|l| l.contains(prefix)).count() as u64;
        let (orders, customers, items) = (counts("GET /api/orders/"), counts("GET /api/customers/"), counts("POST"));
        assert_eq!(orders + customers + items, 50);
        let first = |needle: &str| lines.iter().find(|l| l.contains(needle)).cloned().unwrap_or_default();
        let mut want = vec![
            row("* * * GET /api/orders/* - * - * Mozilla/* * * * *", orders, &first("GET /api/orders/")),
            row("* * * GET /api/customers/* - * - * Mozilla/* * * * *", customers, &first("GET /api/customers/")),
            row("* * * POST /api/orders/*/items - * - * Mozilla/* * * * *", items, &first("POST")),
        ];
        want.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.pattern.cmp(&b.pattern)));
        assert_eq!(reduce(&lines, &ReduceOptions::default()), want);
    }

    #[test]
    fn tokens_keep_the_line_shape() {
        let s = Splitter::new(&ReduceOptions::default());
        let t = s.tokenize("GET /api/orders/1234 -");
        assert_eq!(t.terms, ["GET", "api", "orders", "1234"]);
        assert_eq!(t.seps, ["", " /", "/", "/", " -"]);
        let t = s.tokenize("id=3f2a9c1e-bcde-4e2a-9f3c-1a2b3c4d5e6f}");
        assert_eq!(t.terms, ["id", "3f2a9c1e-bcde-4e2a-9f3c-1a2b3c4d5e6f"]);
        let t = s.tokenize("");
        assert!(t.terms.is_empty());
        assert_eq!(t.seps, [""]);
        let s = Splitter::new(&with(0.1, Some("Z")));
        assert_eq!(s.tokenize("fooZ1 bar-baz").terms, ["foo", "1", "bar-baz"]);
    }

    #[test]
    fn value_like_terms() {
        for t in ["42", "0x1F", "01T10", "000Z", "I0301", "x64", "deadbeef", "3f2a9c1e-bcde-4e2a-9f3c-1a2b3c4d5e6f"] {
            assert!(is_value_like(t), "{t}");
        }
        for t in ["GET", "Int32", "Win64", "v1", "sha256", "x2kqp", "beef", "fooZ1", "Zürich"] {
            assert!(!is_value_like(t), "{t}");
        }
    }

    fn logmonitor(level: &str, id: u32, minute: u32, message: &str) -> String {
        format!(
            "<Source>EventLog</Source><Time>2024-03-01T10:{minute:02}:{:02}.000Z</Time><LogEntry><Channel>System\
             </Channel><Level>{level}</Level><EventId>{id}</EventId><Message>{message}</Message></LogEntry>",
            (minute * 13) % 60
        )
    }

    const SERVICES: [&str; 3] = ["Print Spooler", "Windows Update", "Windows Search"];

    fn logmonitor_lines() -> Vec<String> {
        let mut lines = Vec::new();
        for i in 0..28u32 {
            let svc = SERVICES[(i % 3) as usize];
            lines.push(if i % 7 < 3 {
                let msg =
                    format!("The {svc} service terminated unexpectedly.  It has done this {} time(s).", i / 3 + 1);
                logmonitor("Error", 7031, i, &msg)
            } else {
                let state = if i % 2 == 0 { "running" } else { "stopped" };
                logmonitor("Information", 7036, i, &format!("The {svc} service entered the {state} state."))
            });
        }
        lines
    }

    #[test]
    fn logmonitor_events_reduce_to_their_messages() {
        let lines = logmonitor_lines();
        let rows = reduce(&lines, &ReduceOptions::default());
        let frame = |level: &str, msg: &str| {
            format!(
                "<Source>EventLog</Source><Time>*</Time><LogEntry><Channel>System</Channel><Level>{level}</Level>\
                 <EventId>*</EventId><Message>{msg}</Message></LogEntry>"
            )
        };
        assert_eq!(
            rows,
            [
                row(&frame("Information", "The * * service entered the * state."), 16, &lines[3]),
                row(
                    &frame("Error", "The * * service terminated unexpectedly.  It has done this * time(s)."),
                    12,
                    &lines[0]
                ),
            ]
        );
    }

    #[test]
    fn a_larger_threshold_keeps_more_terms() {
        let lines = logmonitor_lines();
        let rows = reduce(&lines, &with(0.5, None));
        let pats: Vec<&str> = rows.iter().map(|r| r.pattern.as_str()).collect();
        // Services and states now name their own patterns; only times and ids stay `*`.
        assert!(pats.iter().any(|p| p.contains("The Windows Update service entered the running state.")), "{pats:?}");
        assert!(
            pats.iter().any(|p| p.contains("The Print Spooler service terminated unexpectedly.  It has done this"))
        );
        assert!(rows.len() > 2);
        assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 28);
        // Every pattern stands for at least two lines; the rest is `others`.
        assert!(rows.iter().all(|r| r.count >= 2 || r.pattern == OTHERS));
    }

    fn dotnet_lines() -> Vec<String> {
        let mut lines = Vec::new();
        for i in 0..6 {
            lines.push(format!(
                "System.InvalidOperationException: Sequence contains no elements at Orders.Api.Get(Int32 id) in \
                 /src/Orders.cs:line {}",
                42 + i % 2
            ));
            if i < 5 {
                lines.push(
                    "System.NullReferenceException: Object reference not set to an instance of an object. at \
                     Orders.Api.Post(OrderDto dto) in /src/Orders.cs:line 88"
                        .to_string(),
                );
            }
        }
        lines.push(
            "System.TimeoutException: The operation has timed out after 00:00:30 at Orders.Db.Query(String sql)".into(),
        );
        lines
    }

    #[test]
    fn exceptions_reduce_and_a_lone_one_is_others() {
        let lines = dotnet_lines();
        assert_eq!(
            reduce(&lines, &ReduceOptions::default()),
            [
                row(
                    "System.InvalidOperationException: Sequence contains no elements at Orders.Api.Get(Int32 id) in \
                     /src/Orders.cs:line *",
                    6,
                    &lines[0]
                ),
                row(
                    "System.NullReferenceException: Object reference not set to an instance of an object. at \
                     Orders.Api.Post(OrderDto dto) in /src/Orders.cs:line *",
                    5,
                    &lines[1]
                ),
                others(1),
            ]
        );
    }

    fn kubernetes_lines() -> Vec<String> {
        let suffixes = ["x2kqp", "b7wzt", "mq9rd", "tt4lc", "zp8vw", "hh2nf", "c5jxk", "qw7pe"];
        let mut lines = Vec::new();
        for i in 0..24u32 {
            lines.push(if i % 3 == 0 {
                let sfx = suffixes[(i / 3) as usize];
                format!(
                    "I0301 10:00:{:02}.{:06}       1 controller.go:{}] \"Successfully synced\" \
                     key=\"default/orders-api-7d9f8b6c5-{sfx}\"",
                    i,
                    i * 1000 + 7,
                    100 + i
                )
            } else {
                format!(
                    "10.244.{}.{} - - [01/Mar/2024:10:00:{:02} +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \
                     \"kube-probe/1.29\"",
                    i % 2,
                    i + 1,
                    i
                )
            });
        }
        lines
    }

    #[test]
    fn kubernetes_and_nginx_lines() {
        let lines = kubernetes_lines();
        assert_eq!(
            reduce(&lines, &ReduceOptions::default()),
            [
                row("* - - [*/Mar/* +*] \"GET /healthz HTTP/*\" * * \"-\" \"kube-probe/*\"", 16, &lines[1]),
                row("* *       * controller.go:*] \"Successfully synced\" key=\"default/orders-api-*\"", 8, &lines[0]),
            ]
        );
    }

    #[test]
    fn kusto_characters_examples() {
        // `range x from 1 to 10 step 1 | project str = strcat("foo", "Z", tostring(x)) | reduce by str`
        let lines: Vec<String> = (1..=10).map(|x| format!("fooZ{x}")).collect();
        assert_eq!(reduce(&lines, &ReduceOptions::default()), [others(10)]);
        assert_eq!(reduce(&lines, &with(0.1, Some("Z"))), [row("fooZ*", 10, "fooZ1")]);
    }

    #[test]
    fn kusto_threshold_examples() {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
        let lines: Vec<String> = (0..1000).map(|i| format!("MachineLearningX{}", words[(i * 7) % 10])).collect();
        // A small threshold: the varying term is a field.
        assert_eq!(reduce(&lines, &with(0.001, Some("X"))), [row("MachineLearningX*", 1000, &lines[0])]);
        // A large one: each value keeps its own pattern.
        let rows = reduce(&lines, &with(0.9, Some("X")));
        assert_eq!(rows.len(), 10);
        assert!(rows.iter().all(|r| r.count == 100 && r.pattern == r.representative), "{rows:?}");
        assert_eq!(rows[0], row("MachineLearningXalpha", 100, "MachineLearningXalpha"));
    }

    #[test]
    fn a_field_needs_enough_distinct_terms() {
        assert_eq!(field_distinct(10, 0.1), 2);
        assert_eq!(field_distinct(30, 0.1), 3);
        assert_eq!(field_distinct(50, 0.1), 5);
        assert_eq!(field_distinct(1_000_000, 0.1), FIELD_DISTINCT_CAP);
        assert_eq!(field_distinct(1000, 0.0), 2);
        // Two levels over 50 lines are not a field: the group splits.
        let lines: Vec<String> = (0..50)
            .map(|i| format!("level={} user=u{} done", if i % 2 == 0 { "warn" } else { "error" }, i % 3))
            .collect();
        assert_eq!(
            reduce(&lines, &ReduceOptions::default()),
            [row("level=error user=* done", 25, &lines[1]), row("level=warn user=* done", 25, &lines[0])]
        );
    }

    #[test]
    fn mixed_input_line_patterns_agree_with_counts() {
        let mut lines = iis_lines();
        lines.extend(logmonitor_lines());
        lines.extend(dotnet_lines());
        lines.extend(kubernetes_lines());
        lines.push(String::new());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let rows = reduce_lines(&refs, &ReduceOptions::default());
        let per_line = line_patterns(&refs, &ReduceOptions::default());
        assert_eq!(per_line.len(), lines.len());
        for r in &rows {
            let n = per_line.iter().filter(|p| **p == r.pattern).count() as u64;
            assert_eq!(n, r.count, "{}", r.pattern);
        }
        assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), lines.len() as u64);
        assert_eq!(rows.last().map(|r| r.pattern.as_str()), Some(OTHERS));
        // Representatives come first in input order.
        for r in rows.iter().filter(|r| r.pattern != OTHERS) {
            let first = per_line.iter().position(|p| *p == r.pattern);
            assert_eq!(first.map(|i| lines[i].as_str()), Some(r.representative.as_str()));
        }
    }

    #[test]
    fn lines_beyond_the_model_count_into_their_patterns() {
        let lines = dotnet_lines();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let mut model = PatternModel::build(&refs, &ReduceOptions::default());
        model.add(
            "System.InvalidOperationException: Sequence contains no elements at Orders.Api.Get(Int32 id) in \
             /src/Orders.cs:line 977",
            3,
        );
        model.add("something else entirely", 2);
        // The lone timeout now has company and becomes a pattern.
        model.add(
            "System.TimeoutException: The operation has timed out after 00:01:00 at Orders.Db.Query(String sql)",
            1,
        );
        model.add_others(4);
        let rows = model.rows();
        assert_eq!(
            rows.iter().map(|r| (r.count, r.pattern == OTHERS)).collect::<Vec<_>>(),
            [(9, false), (5, false), (2, false), (6, true)]
        );
        assert_eq!(
            model.pattern_of(
                "System.TimeoutException: The operation has timed out after 1:2:3 at Orders.Db.Query(String sql)"
            ),
            "System.TimeoutException: The operation has timed out after * at Orders.Db.Query(String sql)"
        );
        assert_eq!(model.pattern_of("something else entirely"), OTHERS);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(reduce_lines(&[], &ReduceOptions::default()).is_empty());
        assert_eq!(reduce_lines(&["", "", ""], &ReduceOptions::default()), [row("", 3, "")]);
        assert_eq!(reduce_lines(&["12", "13 14"], &ReduceOptions::default()), [others(2)]);
        assert_eq!(
            reduce_lines(&["Zürich ok", "Zürich ok"], &with(f64::NAN, None)),
            [row("Zürich ok", 2, "Zürich ok")]
        );
        assert_eq!(reduce_lines(&["---", "---"], &ReduceOptions::default()), [row("---", 2, "---")]);
    }

    // --- DataFusion functions ---

    fn lit(v: ScalarValue) -> Arc<dyn PhysicalExpr> {
        Arc::new(Literal::new(v))
    }

    fn acc(opts: ReduceOptions) -> ReduceAcc {
        ReduceAcc {
            splitter: Splitter::new(&opts),
            opts,
            lines: Vec::new(),
            bytes: 0,
            overflow: HashMap::new(),
            dropped: 0,
        }
    }

    fn batch(lines: &[String]) -> Vec<ArrayRef> {
        vec![Arc::new(StringArray::from_iter_values(lines.iter()))]
    }

    fn parse(v: ScalarValue) -> Vec<(String, u64, String)> {
        let ScalarValue::LargeUtf8(Some(s)) = v else { return Vec::new() };
        let Ok(Json::Array(items)) = serde_json::from_str::<Json>(&s) else { return Vec::new() };
        items
            .iter()
            .map(|o| {
                let text = |k: &str| o.get(k).and_then(Json::as_str).unwrap_or("?").to_string();
                (text("Pattern"), o.get("Count").and_then(Json::as_u64).unwrap_or(0), text("Representative"))
            })
            .collect()
    }

    #[test]
    fn options_come_from_constant_arguments() -> Result<()> {
        let text = lit(ScalarValue::Utf8(None));
        assert_eq!(options(&[Arc::clone(&text)], "reduce")?, ReduceOptions::default());
        let o = options(
            &[Arc::clone(&text), lit(ScalarValue::Float64(Some(0.5))), lit(ScalarValue::Utf8(Some("X".into())))],
            "reduce",
        )?;
        assert_eq!(o, with(0.5, Some("X")));
        assert!(options(&[Arc::clone(&text), lit(ScalarValue::Float64(Some(2.0)))], "reduce").is_err());
        assert!(options(&[Arc::clone(&text), lit(ScalarValue::Utf8(Some("x".into())))], "reduce").is_err());
        Ok(())
    }

    #[test]
    fn aggregate_returns_dynamic_rows() -> Result<()> {
        let lines = dotnet_lines();
        let mut a = acc(ReduceOptions::default());
        a.update_batch(&batch(&lines))?;
        let rows = parse(a.evaluate()?);
        let want: Vec<(String, u64, String)> = reduce(&lines, &ReduceOptions::default())
            .into_iter()
            .map(|r| (r.pattern, r.count, r.representative))
            .collect();
        assert_eq!(rows, want);
        assert_eq!(rows.len(), 3);
        Ok(())
    }

    #[test]
    fn partial_states_merge() -> Result<()> {
        let mut lines = kubernetes_lines();
        lines.extend(dotnet_lines());
        let (left, right) = lines.split_at(20);
        let mut whole = acc(ReduceOptions::default());
        whole.update_batch(&batch(&lines))?;

        let mut a = acc(ReduceOptions::default());
        a.update_batch(&batch(left))?;
        let mut b = acc(ReduceOptions::default());
        b.update_batch(&batch(right))?;
        b.push_overflow(
            "System.NullReferenceException: Object reference not set to an instance of an object. at \
             Orders.Api.Post(OrderDto dto) in /src/Orders.cs:line 99",
            7,
        );
        b.dropped = 3;
        let state = b.state()?;
        let types: Vec<DataType> = state.iter().map(ScalarValue::data_type).collect();
        assert_eq!(
            types,
            [
                list_field(DataType::LargeUtf8),
                list_field(DataType::LargeUtf8),
                list_field(DataType::UInt64),
                DataType::UInt64
            ]
        );
        let state: Vec<ArrayRef> = state.iter().map(|s| s.to_array()).collect::<Result<_>>()?;
        a.merge_batch(&state)?;

        let merged = parse(a.evaluate()?);
        let mut expect = parse(whole.evaluate()?);
        for r in &mut expect {
            if r.0.starts_with("System.NullReferenceException") {
                r.1 += 7;
            }
            if r.0 == OTHERS {
                r.1 += 3;
            }
        }
        expect.sort_by(|x, y| (x.0 == OTHERS).cmp(&(y.0 == OTHERS)).then(y.1.cmp(&x.1)).then(x.0.cmp(&y.0)));
        assert_eq!(merged, expect);
        Ok(())
    }

    #[test]
    fn lines_beyond_the_cap_are_kept_once_per_shape() {
        let mut a = acc(ReduceOptions::default());
        for i in 0..5 {
            a.push_overflow(&format!("GET /api/orders/{i} took {}ms", i * 10), 1);
        }
        a.push_overflow("GET /api/customers/1 took 5ms", 2);
        assert_eq!(a.overflow.len(), 2);
        assert_eq!(a.overflow.values().map(|(_, c)| *c).sum::<u64>(), 7);
    }

    #[test]
    fn source_window_gives_each_row_its_pattern() -> Result<()> {
        let mut lines = dotnet_lines();
        lines.insert(2, String::new());
        let mut values: Vec<Option<&str>> = lines.iter().map(|l| Some(l.as_str())).collect();
        values.push(None);
        let arr: ArrayRef = Arc::new(StringArray::from(values));
        let mut eval = ReduceSourceEval { opts: ReduceOptions::default() };
        let out = eval.evaluate_all(&[arr], lines.len() + 1)?;
        let out = out.as_string::<i32>();
        assert_eq!(out.len(), lines.len() + 1);
        assert!(out.value(0).ends_with("/src/Orders.cs:line *"));
        assert_eq!(out.value(2), OTHERS);
        assert_eq!(out.value(lines.len() - 1), OTHERS);
        assert!(out.is_null(lines.len()));
        Ok(())
    }
}
