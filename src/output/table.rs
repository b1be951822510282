//! An aligned grid for people, fitted to the terminal's width: every row
//! stays on one line, and cells too wide for their column's share of the
//! width end in an ellipsis.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};

use crate::engine::QueryResult;
use crate::output::cell;

/// Longest cell shown before truncation with an ellipsis.
const MAX_CELL: usize = 120;
/// Narrowest a squeezed column gets.
const MIN_COLUMN: usize = 6;

fn shorten(s: &str, max: usize) -> String {
    let s = s.replace('\n', "⏎");
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Column widths that fit `width`: narrow columns keep their width, wide
/// ones share what is left equally ("water filling").
fn fit(natural: &[usize], width: usize) -> Vec<usize> {
    // Each column costs its text plus a space on each side and a border.
    let overhead = 3 * natural.len() + 1;
    let mut budget = width.saturating_sub(overhead);
    let mut out = natural.to_vec();
    if natural.iter().sum::<usize>() <= budget {
        return out;
    }
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by_key(|&i| natural[i]);
    let mut left = natural.len();
    for i in order {
        let share = (budget / left.max(1)).max(MIN_COLUMN);
        out[i] = natural[i].min(share);
        budget = budget.saturating_sub(out[i]);
        left -= 1;
    }
    out
}

pub fn write(r: &QueryResult, width: Option<u16>, out: &mut dyn Write) -> std::io::Result<()> {
    let headers: Vec<String> = r.schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for b in &r.batches {
        for i in 0..b.num_rows() {
            rows.push(b.columns().iter().map(|c| shorten(&cell::text(c.as_ref(), i), MAX_CELL)).collect());
        }
    }
    let widths: Vec<usize> = match width {
        Some(w) => {
            let natural: Vec<usize> = (0..headers.len())
                .map(|c| {
                    rows.iter()
                        .map(|r| r[c].chars().count())
                        .chain(std::iter::once(headers[c].chars().count()))
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            fit(&natural, usize::from(w))
        }
        None => vec![MAX_CELL; headers.len()],
    };
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(headers.iter().zip(&widths).map(|(h, w)| shorten(h, *w)));
    for row in rows {
        t.add_row(row.iter().zip(&widths).map(|(c, w)| shorten(c, *w)));
    }
    // Numbers line up on their last digit, as in every results grid.
    for (k, f) in r.schema.fields().iter().enumerate() {
        let numeric = f.data_type().is_numeric() || matches!(f.data_type(), arrow::datatypes::DataType::Duration(_));
        if numeric && let Some(c) = t.column_mut(k) {
            c.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    writeln!(out, "{t}")
}

#[cfg(test)]
mod tests {
    use super::fit;
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn numbers_align_right() -> Result<(), Box<dyn std::error::Error>> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Name", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec!["a", "bb"])), Arc::new(Int64Array::from(vec![5, 12]))],
        )?;
        let result = crate::engine::QueryResult { schema, batches: vec![batch], render: None };
        let mut out = Vec::new();
        super::write(&result, None, &mut out)?;
        let text = String::from_utf8(out)?;
        assert!(text.contains("│ a    ┆  5 │") && text.contains("│ bb   ┆ 12 │"), "{text}");
        Ok(())
    }

    #[test]
    fn narrow_columns_keep_their_width() {
        assert_eq!(fit(&[5, 10], 80), vec![5, 10]);
        let w = fit(&[4, 100, 100], 80);
        assert_eq!(w[0], 4);
        assert!(w[1] + w[2] + 4 + 10 <= 80, "{w:?}");
        assert_eq!(w[1], w[2]);
    }
}
