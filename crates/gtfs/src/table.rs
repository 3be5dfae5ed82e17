//! A tolerant reader for one GTFS CSV file: UTF-8 byte-order mark, spaces around headers and
//! values, CRLF, quoted fields, unknown columns, short rows and invalid UTF-8 are all accepted.

use crate::GtfsError;
use timetable::Warnings;

/// One parsed file.
#[derive(Debug)]
pub struct Table {
    /// File name (`stops.txt`).
    pub file: &'static str,
    /// Feed id, for messages.
    pub feed: String,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

/// A column position (absent columns read as empty).
#[derive(Debug, Clone, Copy)]
pub struct Col {
    idx: Option<usize>,
    /// Column name.
    pub name: &'static str,
}

/// One row and its line number.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// 1-based line number (the header is line 1).
    pub line: u64,
    rec: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The trimmed value, `None` when the column is absent or the value empty.
    #[inline]
    pub fn get(&self, c: Col) -> Option<&'a str> {
        let v = self.rec.get(c.idx?)?.trim();
        (!v.is_empty()).then_some(v)
    }
}

impl Table {
    /// Parses `bytes`; invalid UTF-8 is replaced and counted as a warning.
    pub fn parse(
        feed: &str,
        file: &'static str,
        bytes: &[u8],
        warnings: &mut Warnings,
    ) -> Result<Table, GtfsError> {
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                warnings.push("invalid_utf8", || {
                    format!("{feed}/{file}: bytes that are not UTF-8 were replaced by �")
                });
                String::from_utf8_lossy(bytes)
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let err = |e: csv::Error| GtfsError::File {
            feed: feed.to_string(),
            file,
            message: format!("not readable as CSV: {e}"),
        };
        let headers: Vec<String> = rdr
            .headers()
            .map_err(err)?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    if rec.iter().all(|f| f.trim().is_empty()) {
                        continue; // blank line
                    }
                    rows.push((line, std::mem::take(&mut rec)));
                }
                Ok(false) => break,
                Err(e) => return Err(err(e)),
            }
        }
        Ok(Table {
            file,
            feed: feed.to_string(),
            headers,
            rows,
        })
    }

    /// A column that may be absent.
    pub fn col(&self, name: &'static str) -> Col {
        Col {
            idx: self.headers.iter().position(|h| h == name),
            name,
        }
    }

    /// A column the file must have.
    pub fn required(&self, name: &'static str) -> Result<Col, GtfsError> {
        let c = self.col(name);
        if c.idx.is_none() {
            return Err(GtfsError::File {
                feed: self.feed.clone(),
                file: self.file,
                message: format!(
                    "the header has no `{name}` column (found: {})",
                    self.headers.join(", ")
                ),
            });
        }
        Ok(c)
    }

    /// Rows in file order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, rec)| Row { line: *line, rec })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A fatal error about one field of one row.
    pub fn field_error(&self, row: Row<'_>, c: Col, message: impl Into<String>) -> GtfsError {
        GtfsError::Field {
            feed: self.feed.clone(),
            file: self.file,
            line: row.line,
            field: c.name,
            message: message.into(),
        }
    }

    /// A required value, or a fatal error naming file, line and field.
    pub fn need<'a>(&self, row: Row<'a>, c: Col) -> Result<&'a str, GtfsError> {
        row.get(c)
            .ok_or_else(|| self.field_error(row, c, "is empty but required"))
    }

    /// `file line N` prefix for warnings.
    pub fn at(&self, row: Row<'_>) -> String {
        format!("{}/{} line {}", self.feed, self.file, row.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_bom_spaces_crlf_quotes_and_unknown_columns() {
        let src = "\u{feff} stop_id , Stop_Name ,extra\r\n 1 , \"Plaza, de Armas\" ,x\r\n\r\n2,Innominada\r\n";
        let mut w = Warnings::default();
        let t = Table::parse("f", "stops.txt", src.as_bytes(), &mut w).unwrap();
        let (id, name, missing) = (
            t.required("stop_id").unwrap(),
            t.col("stop_name"),
            t.col("stop_desc"),
        );
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(id), Some("1"));
        assert_eq!(rows[0].get(name), Some("Plaza, de Armas"));
        assert_eq!(rows[1].get(name), Some("Innominada"));
        assert_eq!(rows[1].get(missing), None);
        assert_eq!(rows[1].line, 4);
        assert!(w.is_empty());
        assert!(t.required("stop_lat").is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let mut w = Warnings::default();
        let t = Table::parse("f", "stops.txt", b"stop_id,stop_name\n1,Caf\xe9\n", &mut w).unwrap();
        assert_eq!(w.count("invalid_utf8"), 1);
        let name = t.col("stop_name");
        assert_eq!(t.rows().next().unwrap().get(name), Some("Caf\u{fffd}"));
    }
}
