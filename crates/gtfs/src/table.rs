//! A tolerant reader for one GTFS CSV file: UTF-8 byte-order mark, spaces around headers and
//! values (also around quoted values, which the `csv` crate reads as unquoted), CRLF, quoted
//! fields with newlines, unknown columns, short rows and invalid UTF-8 are all accepted.

use crate::GtfsError;
use timetable::Warnings;

/// One parsed file: all values in one buffer, addressed by spans.
#[derive(Debug)]
pub struct Table {
    /// File name (`stops.txt`).
    pub file: &'static str,
    /// Feed id, for messages.
    pub feed: String,
    headers: Vec<String>,
    buf: String,
    spans: Vec<(u32, u32)>,
    rows: Vec<RowRef>,
}

#[derive(Debug, Clone, Copy)]
struct RowRef {
    line: u64,
    first: u32,
    len: u32,
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
    /// 1-based line number where the row starts (the header is line 1).
    pub line: u64,
    table: &'a Table,
    first: u32,
    len: u32,
}

impl<'a> Row<'a> {
    /// The trimmed value, `None` when the column is absent or the value empty.
    #[inline]
    pub fn get(&self, c: Col) -> Option<&'a str> {
        let i = c.idx?;
        if i >= self.len as usize {
            return None;
        }
        let (a, b) = self.table.spans[self.first as usize + i];
        let v = &self.table.buf[a as usize..b as usize];
        (!v.is_empty()).then_some(v)
    }
}

/// Splits CSV text into records of trimmed fields, leniently: spaces around quoted fields,
/// `""` escapes, newlines inside quotes, CRLF/LF/CR line ends, an unterminated quote at the end
/// of the file (read to the end). Calls `emit(line, fields)` per record.
/// Lines are numbered from `first_line`; returns the number of the line after the text.
fn scan(text: &str, first_line: u64, mut emit: impl FnMut(u64, &[String])) -> u64 {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = first_line;
    let mut fields: Vec<String> = Vec::new();
    let mut record_line = first_line;
    let is_space = |c: u8| c == b' ' || c == b'\t';
    while i <= b.len() {
        // Start of a field.
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let mut field = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut start = i;
            loop {
                if i >= b.len() {
                    field.push_str(&text[start..]);
                    break;
                }
                match b[i] {
                    b'"' if b.get(i + 1) == Some(&b'"') => {
                        field.push_str(&text[start..=i]);
                        i += 2;
                        start = i;
                    }
                    b'"' => {
                        field.push_str(&text[start..i]);
                        i += 1;
                        break;
                    }
                    b'\n' => {
                        line += 1;
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            // Anything between the closing quote and the separator is kept, leniently.
            let start = i;
            while i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                i += 1;
            }
            field.push_str(text[start..i].trim());
        } else {
            let start = i;
            while i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                i += 1;
            }
            field.push_str(text[start..i].trim());
        }
        fields.push(field);
        if i < b.len() && b[i] == b',' {
            i += 1;
            continue;
        }
        // End of record: a line end or the end of the text.
        if !(fields.len() == 1 && fields[0].is_empty()) {
            emit(record_line, &fields);
        }
        fields.clear();
        if i >= b.len() {
            break;
        }
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        i += 1;
        line += 1;
        record_line = line;
    }
    line
}

/// Where `bytes` can be cut so that the part before holds only whole records: just after
/// the last line end that is outside quotes, read with the scanner's own rules (a quote
/// opens a quoted field only at the start of a field). `None` if there is no such point.
fn last_record_end(bytes: &[u8]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        FieldStart,
        Plain,
        Quoted,
    }
    let mut st = St::FieldStart;
    let mut cut = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match st {
            St::FieldStart | St::Plain => match c {
                b'"' if st == St::FieldStart => st = St::Quoted,
                b' ' | b'\t' if st == St::FieldStart => {}
                b',' => st = St::FieldStart,
                b'\n' => {
                    st = St::FieldStart;
                    cut = Some(i + 1);
                }
                b'\r' => st = St::FieldStart,
                _ => st = St::Plain,
            },
            St::Quoted => {
                if c == b'"' {
                    match bytes.get(i + 1) {
                        // An escaped quote.
                        Some(b'"') => i += 1,
                        Some(_) => st = St::Plain,
                        // The chunk ends on a quote: we cannot tell yet.
                        None => return cut,
                    }
                }
            }
        }
        i += 1;
    }
    cut
}

/// Reading in chunks of this size keeps memory to the parsed values, not the file twice.
const CHUNK: usize = 1 << 20;

/// Why reading a file's bytes stopped (carried inside `std::io::Error` by the readers that
/// enforce the loader's limits).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LimitExceeded(pub String);

impl Table {
    /// Parses `bytes`; invalid UTF-8 is replaced and counted as a warning.
    pub fn parse(
        feed: &str,
        file: &'static str,
        bytes: &[u8],
        warnings: &mut Warnings,
    ) -> Result<Table, GtfsError> {
        Table::read(feed, file, &mut std::io::Cursor::new(bytes), warnings)
    }

    /// Reads a file from `input` in chunks, parsing as it goes: memory holds the values and
    /// one chunk, never the whole file, and grows only by fallible reservations, so a file
    /// too large for the memory left is an error naming it, not an aborted process.
    pub fn read(
        feed: &str,
        file: &'static str,
        input: &mut dyn std::io::Read,
        warnings: &mut Warnings,
    ) -> Result<Table, GtfsError> {
        let mut t = Table {
            file,
            feed: feed.to_string(),
            headers: Vec::new(),
            buf: String::new(),
            spans: Vec::new(),
            rows: Vec::new(),
        };
        let mut header_seen = false;
        let mut pending: Vec<u8> = Vec::new();
        let mut line = 1u64;
        let mut first = true;
        let mut eof = false;
        let mut invalid_utf8 = false;
        let mut oom: Option<usize> = None;
        while !eof {
            let n = std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut *input, CHUNK as u64),
                &mut pending,
            )
            .map_err(|e| t.read_error(&e))?;
            eof = n < CHUNK;
            let cut = if eof {
                pending.len()
            } else {
                match last_record_end(&pending) {
                    Some(c) => c,
                    None => continue,
                }
            };
            let mut segment = &pending[..cut];
            if first {
                segment = segment.strip_prefix(b"\xef\xbb\xbf").unwrap_or(segment);
                first = false;
            }
            let text = match std::str::from_utf8(segment) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => {
                    invalid_utf8 = true;
                    String::from_utf8_lossy(segment)
                }
            };
            if t.buf.try_reserve(text.len()).is_err() {
                return Err(t.out_of_memory(text.len()));
            }
            line = scan(&text, line, |line, fields| {
                if oom.is_some() {
                    return;
                }
                if !header_seen {
                    header_seen = true;
                    t.headers = fields
                        .iter()
                        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
                        .collect();
                    return;
                }
                if fields.iter().all(String::is_empty) {
                    return;
                }
                if t.spans.try_reserve(fields.len()).is_err() || t.rows.try_reserve(1).is_err() {
                    oom = Some(fields.len());
                    return;
                }
                let first = t.spans.len() as u32;
                for f in fields {
                    let a = t.buf.len() as u32;
                    t.buf.push_str(f);
                    t.spans.push((a, t.buf.len() as u32));
                }
                t.rows.push(RowRef {
                    line,
                    first,
                    len: fields.len() as u32,
                });
            });
            if let Some(n) = oom {
                return Err(t.out_of_memory(n * std::mem::size_of::<(u32, u32)>()));
            }
            if t.buf.len() > u32::MAX as usize / 2 {
                return Err(GtfsError::File {
                    feed: feed.to_string(),
                    file,
                    message: "is too large (over 2 GB of values)".into(),
                });
            }
            pending.drain(..cut);
        }
        if invalid_utf8 {
            warnings.push("invalid_utf8", || {
                format!("{feed}/{file}: bytes that are not UTF-8 were replaced by \u{fffd}")
            });
        }
        if !header_seen {
            return Err(GtfsError::File {
                feed: feed.to_string(),
                file,
                message: "is empty: it has no header line".into(),
            });
        }
        t.buf.shrink_to_fit();
        t.spans.shrink_to_fit();
        t.rows.shrink_to_fit();
        Ok(t)
    }

    fn read_error(&self, e: &std::io::Error) -> GtfsError {
        let message = match e.get_ref().and_then(|x| x.downcast_ref::<LimitExceeded>()) {
            Some(limit) => limit.0.clone(),
            None => format!("cannot be read: {e}"),
        };
        GtfsError::File {
            feed: self.feed.clone(),
            file: self.file,
            message,
        }
    }

    fn out_of_memory(&self, more: usize) -> GtfsError {
        GtfsError::File {
            feed: self.feed.clone(),
            file: self.file,
            message: format!(
                "does not fit in the memory left: {} MB of values read, {} more bytes could not be reserved",
                self.buf.len() >> 20,
                more
            ),
        }
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
        self.rows.iter().map(move |r| Row {
            line: r.line,
            table: self,
            first: r.first,
            len: r.len,
        })
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

    fn records(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        scan(text, 1, |l, f| out.push((l, f.to_vec())));
        out
    }

    #[test]
    fn scanner_handles_quotes_newlines_and_line_ends() {
        let r = records("a,b\r\n \"x, \"\"y\"\"\" , z\n\"multi\nline\",2\r3,\"open");
        assert_eq!(r[0], (1, vec!["a".to_string(), "b".to_string()]));
        assert_eq!(r[1], (2, vec!["x, \"y\"".to_string(), "z".to_string()]));
        assert_eq!(r[2], (3, vec!["multi\nline".to_string(), "2".to_string()]));
        assert_eq!(r[3], (5, vec!["3".to_string(), "open".to_string()]));
        assert_eq!(records(""), Vec::<(u64, Vec<String>)>::new());
        assert_eq!(records("a\n\n\nb\n").len(), 2);
        assert_eq!(records("a\n\n\nb\n")[1].0, 4);
    }

    /// Gives its bytes a few at a time, so records and quoted fields straddle reads.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn rows_of(t: &Table) -> Vec<(u64, Vec<String>)> {
        let cols: Vec<Col> = ["a", "b"].iter().map(|n| t.col(n)).collect();
        t.rows()
            .map(|r| {
                (
                    r.line,
                    cols.iter()
                        .map(|&c| r.get(c).unwrap_or("").to_string())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn reading_in_chunks_gives_what_reading_at_once_gives() {
        // Quoted newlines, escaped quotes, a quote inside a plain field, CRLF, a BOM, and a
        // multi-byte character: every chunk boundary must leave the records as they are.
        let mut text = String::from("\u{feff}a,b\r\n");
        for i in 0..40_000 {
            match i % 5 {
                0 => text.push_str(&format!("{i},\"multi\nline \"\"{i}\"\"\"\n")),
                1 => text.push_str(&format!("{i},pla\"in\r\n")),
                2 => text.push_str(&format!(" \"{i}, quoted\" ,ñandú\n")),
                3 => text.push('\n'),
                _ => text.push_str(&format!("{i},\"\"\n")),
            }
        }
        let mut w = Warnings::default();
        let whole = Table::parse("f", "stops.txt", text.as_bytes(), &mut w).unwrap();
        assert!(whole.len() > 30_000);
        for step in [1, 7, 4096, CHUNK - 1, CHUNK + 3] {
            let mut w = Warnings::default();
            let t = Table::read(
                "f",
                "stops.txt",
                &mut Trickle(text.as_bytes(), step),
                &mut w,
            )
            .unwrap();
            assert_eq!(rows_of(&t), rows_of(&whole), "reads of {step} bytes");
        }
        // Larger than a chunk in one quoted field, and no line end at all.
        let big = format!("a,b\n1,\"{}\"\n2,x", "y\n".repeat(CHUNK));
        let t = Table::parse("f", "stops.txt", big.as_bytes(), &mut w).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.rows().nth(1).unwrap().line, 3 + CHUNK as u64);
    }

    #[test]
    fn a_reader_that_fails_names_the_file() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other(LimitExceeded(
                    "is over the limit".into(),
                )))
            }
        }
        let mut w = Warnings::default();
        let e = Table::read("f", "stop_times.txt", &mut Broken, &mut w).unwrap_err();
        assert_eq!(e.to_string(), "f/stop_times.txt: is over the limit");
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
