//! A string column builder for columns that repeat a few values: the
//! container's id, image and name on every line of its log, the stream,
//! the level. Each row costs one comparison and one key instead of a copy
//! of the text, the batch carries the column as a dictionary array, and
//! the Parquet writer writes a row group whose column holds one value
//! once instead of once per row (see `parquet_out`). A column that shows
//! more distinct values in a batch than a small dictionary should hold
//! turns into a plain string builder for the rest of that batch.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayBuilder, ArrayRef, DictionaryArray, GenericByteBuilder, GenericStringArray, Int32Array, OffsetSizeTrait,
};
use arrow::datatypes::{GenericStringType, Int32Type};

/// Distinct values a batch may show before the column goes plain: enough
/// for levels and streams, few enough that a linear search stays cheap.
const MAX_VALUES: usize = 16;

pub struct FewValues<O: OffsetSizeTrait> {
    values: Vec<String>,
    keys: Vec<i32>,
    /// Rows whose value is null (only dynamic columns have them).
    nulls: Vec<usize>,
    last: Option<i32>,
    /// Keys of values pushed as `&'static str` (streams, levels), by the
    /// text's address and length: the same text pushed again is known
    /// without comparing bytes. Static text is never freed, so its address
    /// cannot come to hold other text.
    static_keys: Vec<((usize, usize), i32)>,
    /// Set once the batch has too many distinct values.
    plain: Option<GenericByteBuilder<GenericStringType<O>>>,
    /// Size of the last plain batch, to pre-size the next one.
    plain_hint: (usize, usize),
}

impl<O: OffsetSizeTrait> Default for FewValues<O> {
    fn default() -> Self {
        FewValues {
            values: Vec::new(),
            keys: Vec::new(),
            nulls: Vec::new(),
            last: None,
            static_keys: Vec::new(),
            plain: None,
            plain_hint: (0, 0),
        }
    }
}

impl<O: OffsetSizeTrait> FewValues<O> {
    pub fn rows(&self) -> usize {
        match &self.plain {
            Some(b) => b.len(),
            None => self.keys.len(),
        }
    }

    /// `push` for text that lives as long as the program.
    pub fn push_static(&mut self, value: &'static str) -> usize {
        let at = (value.as_ptr() as usize, value.len());
        if let Some(&(_, k)) = self.static_keys.iter().find(|(a, _)| *a == at) {
            self.keys.push(k);
            self.last = Some(k);
            return 4;
        }
        let bytes = self.push(Some(value));
        // `last` is now this value's key, unless the column went plain.
        if self.plain.is_none()
            && let Some(k) = self.last
        {
            self.static_keys.push((at, k));
        }
        bytes
    }

    /// Appends a row; returns the bytes it adds to the batch.
    pub fn push(&mut self, value: Option<&str>) -> usize {
        if let Some(b) = &mut self.plain {
            b.append_option(value);
            return value.map_or(0, str::len) + size_of::<O>();
        }
        let Some(s) = value else {
            self.nulls.push(self.keys.len());
            self.keys.push(0);
            return 4;
        };
        if let Some(k) = self.last
            && same(&self.values[k as usize], s)
        {
            self.keys.push(k);
            return 4;
        }
        let key = match self.values.iter().position(|v| same(v, s)) {
            Some(k) => k,
            None if self.values.len() < MAX_VALUES => {
                self.values.push(s.to_string());
                self.values.len() - 1
            }
            None => {
                self.go_plain().append_value(s);
                return s.len() + size_of::<O>();
            }
        };
        self.last = Some(key as i32);
        self.keys.push(key as i32);
        4
    }

    /// Copies the rows so far into a plain builder, which takes the rest.
    fn go_plain(&mut self) -> &mut GenericByteBuilder<GenericStringType<O>> {
        let (rows, bytes) = self.plain_hint;
        let mut b = GenericByteBuilder::with_capacity(rows.max(self.keys.len()), bytes);
        let mut nulls = self.nulls.iter().peekable();
        for (row, &k) in self.keys.iter().enumerate() {
            if nulls.next_if_eq(&&row).is_some() {
                b.append_null();
            } else {
                b.append_value(&self.values[k as usize]);
            }
        }
        self.reset_dictionary();
        self.plain.insert(b)
    }

    fn reset_dictionary(&mut self) {
        self.values.clear();
        self.keys.clear();
        self.nulls.clear();
        self.last = None;
        self.static_keys.clear();
    }

    /// The column so far (a dictionary array, or a plain string array once
    /// it went plain); the builder starts again empty.
    pub fn finish(&mut self) -> ArrayRef {
        if let Some(mut b) = self.plain.take() {
            self.plain_hint = (b.len(), b.values_slice().len());
            return Arc::new(b.finish());
        }
        let rows = self.keys.len();
        let mut keys = std::mem::replace(&mut self.keys, Vec::with_capacity(rows));
        let keys = if self.nulls.is_empty() {
            Int32Array::from(keys)
        } else {
            let mut valid = vec![true; keys.len()];
            for &n in &self.nulls {
                valid[n] = false;
            }
            // A null key's value is never read; keep it in range anyway.
            keys.iter_mut().zip(&valid).filter(|(_, v)| !**v).for_each(|(k, _)| *k = 0);
            Int32Array::new(keys.into(), Some(valid.into()))
        };
        let values: GenericStringArray<O> = self.values.iter().map(Some).collect();
        self.reset_dictionary();
        // Keys index `values` by construction.
        Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(values)))
    }
}

/// String equality that never calls `memcmp` for short strings: an empty
/// `String` points nowhere, and glibc's AVX-512 `memcmp` does a masked load
/// from that address even for length 0, which measured slow enough here to
/// make a whole ingest 2.6× slower.
#[inline]
fn same(a: &str, b: &str) -> bool {
    // Short values (streams, levels) compared byte by byte, which also
    // avoids the call.
    a.len() == b.len() && (if a.len() <= 16 { a.bytes().zip(b.bytes()).all(|(x, y)| x == y) } else { a == b })
}

/// The one value every row of `column` holds, when it is a dictionary
/// array whose rows all use the same key (or are all null: `Some(None)`).
pub fn single_value(column: &ArrayRef) -> Option<Option<String>> {
    let dict = column.as_any().downcast_ref::<DictionaryArray<Int32Type>>()?;
    let keys = dict.keys();
    if keys.is_empty() {
        return None;
    }
    if keys.null_count() == keys.len() {
        return Some(None);
    }
    if keys.null_count() > 0 {
        return None;
    }
    let values = dict.values();
    // A dictionary of one value (what a run of one container gives) needs
    // no look at its keys: they are all valid, so all 0.
    let first = keys.value(0);
    if values.len() > 1 && !keys.values().iter().all(|&k| k == first) {
        return None;
    }
    let text = arrow::array::cast::AsArray::as_string_opt::<i32>(values.as_ref())
        .map(|a| a.value(first as usize).to_string())
        .or_else(|| {
            arrow::array::cast::AsArray::as_string_opt::<i64>(values.as_ref())
                .map(|a| a.value(first as usize).to_string())
        })?;
    Some(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::compute::cast;
    use arrow::datatypes::DataType;

    fn plain(a: &ArrayRef) -> Vec<Option<String>> {
        let a = cast(a, &DataType::Utf8).unwrap();
        a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn repeated_values_stay_a_dictionary_of_one() {
        let mut b = FewValues::<i32>::default();
        for _ in 0..5 {
            b.push(Some("c0ffee"));
        }
        let a = b.finish();
        assert!(matches!(a.data_type(), DataType::Dictionary(..)));
        assert_eq!(single_value(&a), Some(Some("c0ffee".to_string())));
        assert_eq!(plain(&a), vec![Some("c0ffee".to_string()); 5]);
    }

    /// Static and borrowed text, nulls and a column going plain mix and
    /// still give each row its own value.
    #[test]
    fn static_text_known_by_address_keeps_its_rows() {
        let mut b = FewValues::<i32>::default();
        let owned = String::from("stderr");
        let mut expected = Vec::new();
        for i in 0..40 {
            let v = match i % 5 {
                0 | 1 => Some("stdout"),
                2 => Some("stderr"),
                3 => Some(owned.as_str()),
                _ => None,
            };
            match v {
                Some("stdout") => b.push_static("stdout"),
                Some("stderr") if i % 5 == 2 => b.push_static("stderr"),
                v => b.push(v),
            };
            expected.push(v.map(str::to_string));
        }
        assert_eq!(plain(&b.finish()), expected);
        // Past the dictionary's limit the column goes plain, and static text
        // pushed afterwards still lands in it.
        let mut expected = Vec::new();
        for i in 0..=MAX_VALUES {
            let v = format!("v{i}");
            b.push(Some(&v));
            expected.push(Some(v));
        }
        b.push_static("stdout");
        b.push_static("stdout");
        expected.extend([Some("stdout".to_string()), Some("stdout".to_string())]);
        assert_eq!(plain(&b.finish()), expected);
    }

    #[test]
    fn two_values_and_nulls_keep_their_rows() {
        let mut b = FewValues::<i64>::default();
        for v in [Some("out"), None, Some("err"), Some("out")] {
            b.push(v);
        }
        let a = b.finish();
        assert_eq!(single_value(&a), None);
        assert_eq!(plain(&a), vec![Some("out".into()), None, Some("err".into()), Some("out".into())]);
        let mut b = FewValues::<i64>::default();
        b.push(None);
        b.push(None);
        assert_eq!(single_value(&b.finish()), Some(None));
    }

    #[test]
    fn many_values_go_plain_and_the_next_batch_starts_over() {
        let mut b = FewValues::<i32>::default();
        let rows: Vec<Option<String>> =
            (0..40).map(|i| if i == 7 { None } else { Some(format!("line {}", i % 20)) }).collect();
        for r in &rows {
            b.push(r.as_deref());
        }
        let a = b.finish();
        assert_eq!(a.data_type(), &DataType::Utf8);
        assert_eq!(plain(&a), rows);
        b.push(Some("again"));
        let a = b.finish();
        assert!(matches!(a.data_type(), DataType::Dictionary(..)));
        assert_eq!(a.len(), 1);
    }
}
