//! `render` results as SVG charts, drawn with plotters.
//!
//! The data model is Kusto's: an x column, y columns, and series columns
//! whose combined values split the rows into series. Properties `xcolumn`,
//! `ycolumns` and `series` name them; otherwise the x column is the first
//! datetime (timechart) or the first column (other charts), y columns are
//! the numeric columns, series columns the remaining strings. A
//! `make-series` result (arrays in cells) gives one series per row and y
//! column. Text is written as SVG `<text>` in a generic font family, so no
//! font files are needed to draw or to view the chart.

use std::collections::HashMap;
use std::fmt::Write as _;

use arrow::array::Array;
use plotters::prelude::*;

use crate::engine::QueryResult;
use crate::functions::convert::{Value, value_at};
use crate::plan::RenderSpec;
use crate::types::{KType, format};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 480;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Line,
    Area,
    Scatter,
    Column,
    Bar,
    Pie,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stacking {
    None,
    Stacked,
    Percent,
}

/// One named series: `(x, y)` points; for category charts x is the
/// category's index.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    pub kind: Kind,
    pub title: String,
    pub xtitle: String,
    pub ytitle: String,
    stacking: Stacking,
    /// Set when x holds datetimes (seconds since the epoch).
    pub x_is_time: bool,
    /// Category labels for column, bar and pie charts.
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// The chart `render` asks for, or `None` when it asks for a table or a
/// card (nothing to draw). Errors name what is missing from the result.
pub fn chart_of(result: &QueryResult) -> Result<Option<Chart>, String> {
    let Some(spec) = &result.render else { return Ok(None) };
    let (kind, mut stacking) = match spec.chart.as_str() {
        "table" | "card" => return Ok(None),
        "timechart" | "linechart" | "anomalychart" => (Kind::Line, Stacking::None),
        "areachart" => (Kind::Area, Stacking::None),
        "stackedareachart" => (Kind::Area, Stacking::Stacked),
        "scatterchart" => (Kind::Scatter, Stacking::None),
        "columnchart" => (Kind::Column, Stacking::Stacked),
        "barchart" => (Kind::Bar, Stacking::Stacked),
        "piechart" => (Kind::Pie, Stacking::None),
        other => return Err(format!("`render {other}` is not drawn by kqlog (the rows are still written)")),
    };
    match prop(spec, "kind") {
        Some("unstacked") => stacking = Stacking::None,
        Some("stacked") => stacking = Stacking::Stacked,
        Some("stacked100") => stacking = Stacking::Percent,
        _ => {}
    }
    let table = Table::of(result);
    let mut chart = Chart {
        kind,
        title: prop(spec, "title").unwrap_or_default().to_string(),
        xtitle: String::new(),
        ytitle: prop(spec, "ytitle").unwrap_or_default().to_string(),
        stacking,
        x_is_time: false,
        categories: Vec::new(),
        series: Vec::new(),
    };
    let roles = Roles::pick(&table, spec, kind)?;
    chart.xtitle = prop(spec, "xtitle").map_or_else(|| table.names[roles.x].clone(), str::to_string);
    if chart.ytitle.is_empty() && roles.y.len() == 1 {
        chart.ytitle = table.names[roles.y[0]].clone();
    }
    match kind {
        Kind::Line | Kind::Area | Kind::Scatter if table.is_series(roles.x) => series_rows(&table, &roles, &mut chart)?,
        Kind::Line | Kind::Area | Kind::Scatter => numeric_x(&table, &roles, &mut chart)?,
        Kind::Column | Kind::Bar | Kind::Pie => categories(&table, &roles, &mut chart),
    }
    Ok(Some(chart))
}

fn prop<'a>(spec: &'a RenderSpec, name: &str) -> Option<&'a str> {
    spec.properties.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The result as columns of values, with their Kusto types.
struct Table {
    names: Vec<String>,
    types: Vec<KType>,
    rows: Vec<Vec<Cell>>,
}

/// One value as the chart reads it.
struct Cell {
    text: String,
    number: Option<f64>,
    /// JSON text of a dynamic value.
    dynamic: Option<String>,
}

impl Cell {
    fn of(a: &dyn Array, i: usize) -> Cell {
        let v = value_at(a, i).unwrap_or(Value::Null);
        let dynamic = if let Value::Dynamic(j) = v { Some(j.to_string()) } else { None };
        Cell { number: number(&v), dynamic, text: crate::output::cell::value_text(v) }
    }
}

impl Table {
    fn of(r: &QueryResult) -> Table {
        let names = r.schema.fields().iter().map(|f| f.name().clone()).collect();
        let types = r.schema.fields().iter().map(|f| KType::of_arrow(f.data_type()).unwrap_or(KType::String)).collect();
        let mut rows = Vec::new();
        for b in &r.batches {
            for i in 0..b.num_rows() {
                rows.push(b.columns().iter().map(|c| Cell::of(c.as_ref(), i)).collect());
            }
        }
        Table { names, types, rows }
    }

    fn index(&self, name: &str) -> Result<usize, String> {
        let name = name.trim();
        self.names.iter().position(|n| n == name).ok_or_else(|| format!("render: no column `{name}` in the result"))
    }

    /// A dynamic column holding arrays (a `make-series` result).
    fn is_series(&self, c: usize) -> bool {
        self.types[c] == KType::Dynamic
            && self.rows.iter().any(|r| r[c].dynamic.as_ref().is_some_and(|j| j.trim_start().starts_with('[')))
    }

    /// A `make-series` axis: arrays of datetimes.
    fn is_time_series(&self, c: usize) -> bool {
        self.is_series(c)
            && self.rows.iter().any(|r| {
                let first =
                    r[c].dynamic.as_deref().and_then(|j| serde_json::from_str::<Vec<serde_json::Value>>(j).ok());
                first
                    .and_then(|a| a.first().and_then(|v| v.as_str().map(str::to_string)))
                    .is_some_and(|s| crate::types::time::parse_datetime(&s).is_some())
            })
    }

    fn is_numeric(&self, c: usize) -> bool {
        self.types[c].is_numeric() || self.types[c] == KType::TimeSpan
    }
}

/// A value on a numeric axis: datetimes in seconds, timespans in seconds.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Long(x) => Some(*x as f64),
        Value::Real(x) if x.is_finite() => Some(*x),
        Value::Decimal(x, s) => Some(*x as f64 / 10f64.powi(i32::from(*s))),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::DateTime(ns) | Value::TimeSpan(ns) => Some(*ns as f64 / 1e9),
        Value::Str(s) | Value::Dynamic(s) => json_number(&serde_json::from_str(s).ok()?),
        _ => None,
    }
}

fn json_number(j: &serde_json::Value) -> Option<f64> {
    match j {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => crate::types::time::parse_datetime(s).map(|ns| ns as f64 / 1e9),
        _ => None,
    }
}

/// Which columns play which part.
struct Roles {
    x: usize,
    y: Vec<usize>,
    series: Vec<usize>,
}

impl Roles {
    fn pick(t: &Table, spec: &RenderSpec, kind: Kind) -> Result<Roles, String> {
        if t.names.is_empty() {
            return Err("render: the result has no columns".into());
        }
        let list = |p: &str| -> Result<Option<Vec<usize>>, String> {
            prop(spec, p).map(|v| v.split(',').map(|n| t.index(n)).collect()).transpose()
        };
        let all: Vec<usize> = (0..t.names.len()).collect();
        let x = match prop(spec, "xcolumn") {
            Some(n) => t.index(n)?,
            None if matches!(kind, Kind::Column | Kind::Bar | Kind::Pie) => 0,
            None => all
                .iter()
                .copied()
                .find(|&c| t.types[c] == KType::DateTime)
                .or_else(|| all.iter().copied().find(|&c| t.is_time_series(c)))
                .or_else(|| all.iter().copied().find(|&c| t.is_series(c)))
                .or_else(|| all.iter().copied().find(|&c| t.is_numeric(c)))
                .unwrap_or(0),
        };
        let array_cells = t.is_series(x);
        let y = match list("ycolumns")? {
            Some(y) => y,
            None => all
                .iter()
                .copied()
                .filter(|&c| c != x && if array_cells { t.is_series(c) } else { t.is_numeric(c) })
                .collect(),
        };
        let series = match list("series")? {
            Some(s) => s,
            // Kusto splits series by the remaining string columns only.
            None => all
                .iter()
                .copied()
                .filter(|&c| c != x && !y.contains(&c) && matches!(t.types[c], KType::String | KType::Guid))
                .collect(),
        };
        if y.is_empty() {
            return Err(format!("render {}: no numeric column to draw (columns: {})", spec.chart, t.names.join(", ")));
        }
        Ok(Roles { x, y, series })
    }

    fn series_name(&self, t: &Table, row: &[Cell], y: usize) -> String {
        let key: Vec<&str> = self.series.iter().map(|&c| row[c].text.as_str()).collect();
        match (key.is_empty(), self.y.len() > 1) {
            (true, _) => t.names[y].clone(),
            (false, false) => key.join(", "),
            (false, true) => format!("{}:{}", key.join(", "), t.names[y]),
        }
    }
}

/// Rows of (x, y…) points, split into series.
fn numeric_x(t: &Table, roles: &Roles, chart: &mut Chart) -> Result<(), String> {
    chart.x_is_time = t.types[roles.x] == KType::DateTime;
    let mut order: Vec<String> = Vec::new();
    let mut points: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
    for row in &t.rows {
        let Some(x) = row[roles.x].number else { continue };
        for &y in &roles.y {
            let Some(v) = row[y].number else { continue };
            let name = roles.series_name(t, row, y);
            if !points.contains_key(&name) {
                order.push(name.clone());
            }
            points.entry(name).or_default().push((x, v));
        }
    }
    for name in order {
        let mut p = points.remove(&name).unwrap_or_default();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart.series.push(Series { name, points: p });
    }
    Ok(())
}

/// `make-series` rows: x and y cells hold arrays of the same length.
fn series_rows(t: &Table, roles: &Roles, chart: &mut Chart) -> Result<(), String> {
    let array = |c: &Cell| -> Vec<serde_json::Value> {
        match c.dynamic.as_deref().map(serde_json::from_str) {
            Some(Ok(serde_json::Value::Array(a))) => a,
            _ => Vec::new(),
        }
    };
    for row in &t.rows {
        let xs = array(&row[roles.x]);
        chart.x_is_time |= xs.iter().any(|v| v.is_string());
        for &y in &roles.y {
            let ys = array(&row[y]);
            let points =
                xs.iter().zip(&ys).filter_map(|(x, y)| Some((json_number(x)?, json_number(y)?))).collect::<Vec<_>>();
            chart.series.push(Series { name: roles.series_name(t, row, y), points });
        }
    }
    Ok(())
}

/// Column, bar and pie charts: the x column's values are categories.
/// A series' points, and where each category's point is among them.
type SeriesPoints = (Vec<(f64, f64)>, HashMap<usize, usize>);

fn categories(t: &Table, roles: &Roles, chart: &mut Chart) {
    let mut index: HashMap<String, usize> = HashMap::new();
    // Sort keys of the categories when x holds datetimes or numbers.
    let ordered = t.types[roles.x] == KType::DateTime || t.is_numeric(roles.x);
    let mut keys: Vec<f64> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut values: HashMap<String, SeriesPoints> = HashMap::new();
    for row in &t.rows {
        let cell = &row[roles.x];
        let next = index.len();
        let at = *index.entry(cell.text.clone()).or_insert_with(|| {
            chart.categories.push(if t.types[roles.x] == KType::DateTime {
                short_time(&cell.text)
            } else {
                cell.text.clone()
            });
            keys.push(cell.number.unwrap_or(f64::INFINITY));
            next
        });
        for &y in &roles.y {
            let Some(v) = row[y].number else { continue };
            let name = roles.series_name(t, row, y);
            if !values.contains_key(&name) {
                order.push(name.clone());
            }
            let (points, slot) = values.entry(name).or_default();
            match slot.get(&at) {
                Some(&k) => points[k].1 += v,
                None => {
                    slot.insert(at, points.len());
                    points.push((at as f64, v));
                }
            }
        }
    }
    if ordered {
        // Summaries come in hash order: put times and numbers in order.
        let mut by_key: Vec<usize> = (0..keys.len()).collect();
        by_key.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
        let mut rank = vec![0; keys.len()];
        for (r, &i) in by_key.iter().enumerate() {
            rank[i] = r;
        }
        chart.categories = by_key.iter().map(|&i| chart.categories[i].clone()).collect();
        for (points, _) in values.values_mut() {
            for p in points.iter_mut() {
                p.0 = rank[p.0 as usize] as f64;
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
    }
    for name in order {
        let points = values.remove(&name).map(|v| v.0).unwrap_or_default();
        chart.series.push(Series { name, points });
    }
}

/// `2026-11-03T09:00:00.0000000Z` as `2026-11-03 09:00` (seconds when set).
fn short_time(text: &str) -> String {
    let Some((date, time)) = text.split_once('T') else { return text.to_string() };
    let time = time.trim_end_matches('Z');
    let time = time.split('.').next().unwrap_or(time);
    let time = time.strip_suffix(":00").unwrap_or(time);
    format!("{date} {time}")
}

/// Draws the chart as a standalone SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &root).map_err(|e| format!("drawing the chart: {e}"))?;
        root.present().map_err(|e| format!("drawing the chart: {e}"))?;
    }
    Ok(out)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn color(i: usize) -> RGBColor {
    // Tableau 10: distinguishable, and readable on white.
    const COLORS: [(u8, u8, u8); 10] = [
        (78, 121, 167),
        (242, 142, 43),
        (225, 87, 89),
        (118, 183, 178),
        (89, 161, 79),
        (237, 201, 72),
        (176, 122, 161),
        (255, 157, 167),
        (156, 117, 95),
        (186, 176, 172),
    ];
    let (r, g, b) = COLORS[i % COLORS.len()];
    RGBColor(r, g, b)
}

fn draw(chart: &Chart, root: &Area) -> DrawResult {
    root.fill(&WHITE)?;
    let root = if chart.title.is_empty() { root.clone() } else { root.titled(&chart.title, ("sans-serif", 22))? };
    if chart.series.iter().all(|s| s.points.is_empty()) {
        root.draw(&Text::new("no data", ((WIDTH / 2) as i32 - 30, (HEIGHT / 2) as i32), ("sans-serif", 18)))?;
        return Ok(());
    }
    match chart.kind {
        Kind::Pie => pie(chart, &root),
        Kind::Column | Kind::Bar => bars(chart, &root),
        Kind::Line | Kind::Area | Kind::Scatter => lines(chart, &root),
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if lo == hi {
        return (lo - 1.0, hi + 1.0);
    }
    (lo, hi)
}

/// Stacked values: each series' y added to the ones drawn before it at the
/// same x; `Percent` scales every x to 100.
fn stacked(chart: &Chart) -> Vec<Vec<(f64, f64, f64)>> {
    let mut base: HashMap<u64, f64> = HashMap::new();
    let mut totals: HashMap<u64, f64> = HashMap::new();
    for s in &chart.series {
        for (x, y) in &s.points {
            *totals.entry(x.to_bits()).or_default() += y;
        }
    }
    chart
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .map(|&(x, y)| {
                    let y = match chart.stacking {
                        Stacking::Percent => {
                            let t = totals[&x.to_bits()];
                            if t == 0.0 { 0.0 } else { y / t * 100.0 }
                        }
                        _ => y,
                    };
                    match chart.stacking {
                        Stacking::None => (x, 0.0, y),
                        _ => {
                            let b = base.entry(x.to_bits()).or_default();
                            let from = *b;
                            *b += y;
                            (x, from, from + y)
                        }
                    }
                })
                .collect()
        })
        .collect()
}

fn x_label(chart: &Chart, span: f64) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| {
        if chart.x_is_time {
            let text = format::datetime((*v * 1e9) as i64);
            if span <= 2.0 * 86_400.0 { text[11..16].to_string() } else { text[5..10].to_string() }
        } else {
            format::real(*v)
        }
    }
}

fn lines(chart: &Chart, root: &Area) -> DrawResult {
    let stacks = stacked(chart);
    let (x0, x1) = bounds(chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = bounds(stacks.iter().flatten().flat_map(|p| [p.1, p.2]));
    let y0 = if chart.kind == Kind::Area { y0.min(0.0) } else { y0 };
    let pad = (y1 - y0) * 0.05;
    let mut cc = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, (y0 - if y0 == 0.0 { 0.0 } else { pad })..(y1 + pad))?;
    let formatter = x_label(chart, x1 - x0);
    cc.configure_mesh()
        .x_desc(chart.xtitle.as_str())
        .y_desc(chart.ytitle.as_str())
        .x_label_formatter(&formatter)
        .y_label_formatter(&|v| format::real(*v))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (s, points)) in chart.series.iter().zip(&stacks).enumerate() {
        let c = color(i);
        let annotated = match chart.kind {
            Kind::Scatter => cc.draw_series(points.iter().map(|&(x, _, y)| Circle::new((x, y), 3, c.filled())))?,
            Kind::Area => {
                let upper: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.2)).collect();
                let lower: Vec<(f64, f64)> = points.iter().rev().map(|p| (p.0, p.1)).collect();
                let outline: Vec<(f64, f64)> = upper.iter().copied().chain(lower).collect();
                cc.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.35))))?;
                cc.draw_series(LineSeries::new(upper, c.stroke_width(2)))?
            }
            _ => {
                // Markers keep short series (a single point) visible.
                if points.len() < 50 {
                    cc.draw_series(points.iter().map(|&(x, _, y)| Circle::new((x, y), 3, c.filled())))?;
                }
                cc.draw_series(LineSeries::new(points.iter().map(|&(x, _, y)| (x, y)), c.stroke_width(2)))?
            }
        };
        annotated
            .label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
    }
    legend(&mut cc, chart)
}

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    cc: &mut ChartContext<'a, DB, CT>,
    chart: &Chart,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if chart.series.len() > 1 || chart.series.first().is_some_and(|s| s.name != chart.ytitle) {
        cc.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 14))
            .draw()?;
    }
    Ok(())
}

fn bars(chart: &Chart, root: &Area) -> DrawResult {
    let n = chart.categories.len().max(1);
    let stacks = stacked(chart);
    let (lo, hi) = bounds(stacks.iter().flatten().flat_map(|p| [p.1, p.2]).chain([0.0]));
    let groups = if chart.stacking == Stacking::None { chart.series.len().max(1) } else { 1 };
    let width = 0.8 / groups as f64;
    let categories = &chart.categories;
    let name = move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-9 && i >= 0.0 {
            categories.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let value_range = lo..hi * 1.05;
    let category_range = -0.5..(n as f64 - 0.5);
    let horizontal = chart.kind == Kind::Bar;
    let mut builder = ChartBuilder::on(root);
    builder.margin(12).x_label_area_size(40).y_label_area_size(if horizontal { 140 } else { 70 });
    let mut cc = if horizontal {
        builder.build_cartesian_2d(value_range, category_range)?
    } else {
        builder.build_cartesian_2d(category_range, value_range)?
    };
    let mut mesh = cc.configure_mesh();
    mesh.light_line_style(WHITE.mix(0.0));
    if horizontal {
        mesh.y_labels(n).y_label_formatter(&name).x_label_formatter(&|v| format::real(*v));
        mesh.y_desc(chart.xtitle.as_str()).x_desc(chart.ytitle.as_str());
    } else {
        mesh.x_labels(n).x_label_formatter(&name).y_label_formatter(&|v| format::real(*v));
        mesh.x_desc(chart.xtitle.as_str()).y_desc(chart.ytitle.as_str());
    }
    mesh.draw()?;
    for (i, (s, points)) in chart.series.iter().zip(&stacks).enumerate() {
        let c = color(i);
        let offset = if groups == 1 { -0.4 } else { -0.4 + width * i as f64 };
        let rects = points.iter().map(move |&(x, from, to)| {
            let (a, b) = (x + offset, x + offset + width);
            let corners = if horizontal { [(from, a), (to, b)] } else { [(a, from), (b, to)] };
            Rectangle::new(corners, c.filled())
        });
        cc.draw_series(rects)?
            .label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
    }
    legend(&mut cc, chart)
}

fn pie(chart: &Chart, root: &Area) -> DrawResult {
    let Some(s) = chart.series.first() else { return Ok(()) };
    let (w, h) = root.dim_in_pixel();
    let center = ((w / 2) as i32 - 80, (h / 2) as i32);
    let radius = f64::from(h.min(w)) * 0.38;
    let mut sizes = Vec::new();
    let mut labels = Vec::new();
    let mut colors = Vec::new();
    for (i, &(at, v)) in s.points.iter().enumerate() {
        if v <= 0.0 {
            continue;
        }
        sizes.push(v);
        labels.push(chart.categories.get(at as usize).cloned().unwrap_or_default());
        colors.push(color(i));
    }
    let mut p = Pie::new(&center, &radius, &sizes, &colors, &labels);
    p.label_style(("sans-serif", 14).into_font().color(&BLACK));
    p.percentages(("sans-serif", 12).into_font().color(&WHITE));
    root.draw(&p)?;
    Ok(())
}

/// The series names and point counts, for a one-line description.
pub fn describe(chart: &Chart) -> String {
    let mut s = String::new();
    for (i, series) in chart.series.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{} ({} points)", series.name, series.points.len());
    }
    s
}
