//! File exports, read in one ordered pass: CSV streamed as it is read, XLSX written in
//! constant memory. Every cell a
//! person typed is written so that a spreadsheet shows it as text and never runs it.

use crate::db::{DbConn, Pools};
use crate::error::{AppError, AppResult};
use crate::values::Language;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom, Write};

/// Who reads an export. A program (the API's files) gets column keys, codes, ISO 8601 times
/// and `true`/`false`, the same in every language; a person (a download from a page) gets
/// headings, names and yes/no in the page's language, and times as dates a spreadsheet knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Program,
    Person(Language),
}

/// A column of an export: its key, its heading in each language, its width in a spreadsheet.
/// Most are fixed; a meeting's questions add columns of their own.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: Cow<'static, str>,
    pub width: f64,
    pub en: Cow<'static, str>,
    pub es: Cow<'static, str>,
}

impl Column {
    pub const fn new(name: &'static str, width: f64, en: &'static str, es: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            width,
            en: Cow::Borrowed(en),
            es: Cow::Borrowed(es),
        }
    }

    /// What the column is called for this reader.
    pub fn heading(&self, reader: Reader) -> &str {
        match reader {
            Reader::Program => &self.name,
            Reader::Person(Language::En) => &self.en,
            Reader::Person(Language::Es) => &self.es,
        }
    }
}

/// A cell: text someone typed (neutralised against formulas in CSV), a value Convene wrote
/// (ids, codes, names, numbers), or a local time for a person (a date in a spreadsheet).
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Value(String),
    When(NaiveDateTime),
}

/// How a time reads in a person's CSV: what spreadsheets take for a date and time.
const WHEN_IN_CSV: &str = "%Y-%m-%d %H:%M";

/// Where an export's rows go, in order. It answers `false` when the reader went away.
pub type Sink<'a> = dyn FnMut(Vec<Cell>) -> AppResult<bool> + 'a;

/// An export's rows: one ordered pass over the database (`db::each_row`), each row handed to
/// the sink as it is read.
pub type Rows = Box<dyn FnOnce(&mut DbConn, &mut Sink) -> AppResult<()> + Send>;

/// Rows per CSV chunk sent to the client.
const CSV_CHUNK: usize = 500;

/// A cell safe to open in a spreadsheet: text that would start a formula gets a leading `'`.
pub fn safe_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn csv_chunk(rows: &[Vec<Cell>]) -> AppResult<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| match cell {
                Cell::Text(text) => safe_cell(text),
                Cell::Value(value) => value.clone(),
                Cell::When(at) => at.format(WHEN_IN_CSV).to_string(),
            }))
            .map_err(anyhow::Error::from)?;
    }
    Ok(Bytes::from(
        writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    ))
}

fn attachment(content_type: &str, file_name: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header(("Cache-Control", "no-store"));
    response
}

/// UTF-8 CSV with a byte-order mark (so spreadsheet programs read accents right), RFC 4180
/// quoting. The one pass over the database writes it to a temporary file, which then goes out at
/// the reader's pace: a slow or stalled download holds no database read open (an open read keeps
/// SQLite from emptying its log after an erasure, and PostgreSQL from vacuuming), and memory
/// stays flat however long the list.
fn csv_response(
    pools: &Pools,
    columns: &[Column],
    reader: Reader,
    rows: Rows,
    file_name: &str,
) -> HttpResponse {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, AppError>>(4);
    let pool = pools.read.clone();
    let mut header = b"\xEF\xBB\xBF".to_vec();
    header.extend_from_slice(
        &csv_chunk(&[columns
            .iter()
            .map(|c| Cell::Value(c.heading(reader).to_owned()))
            .collect()])
        .unwrap_or_default(),
    );
    actix_web::rt::spawn(actix_web::web::block(move || {
        let produce = || -> AppResult<()> {
            let mut spool = spool_csv(&pool, &header, rows)?;
            let mut buffer = vec![0; 64 * 1024];
            loop {
                let read = spool.read(&mut buffer).map_err(anyhow::Error::from)?;
                if read == 0 {
                    return Ok(());
                }
                let chunk = Bytes::copy_from_slice(&buffer[..read]);
                if sender.blocking_send(Ok(chunk)).is_err() {
                    return Ok(()); // the client went away
                }
            }
        };
        if let Err(error) = produce() {
            tracing::error!(error.cause = %error, "export failed midway");
            let _ = sender.blocking_send(Err(error));
        }
    }));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((chunk.map_err(actix_web::Error::from), receiver))
    });
    attachment("text/csv; charset=utf-8", file_name).streaming(body)
}

/// Writes the whole CSV to an unnamed temporary file (gone when closed), the database
/// connection held only while the rows are read; answers the file, rewound.
fn spool_csv(pool: &crate::db::DbPool, header: &[u8], rows: Rows) -> AppResult<std::fs::File> {
    let io = |e: std::io::Error| AppError::from(anyhow::Error::from(e));
    let mut spool = tempfile::tempfile().map_err(io)?;
    {
        let mut out = std::io::BufWriter::new(&mut spool);
        out.write_all(header).map_err(io)?;
        let mut conn = pool.get()?;
        let mut chunk = Vec::with_capacity(CSV_CHUNK);
        rows(&mut conn, &mut |row| {
            chunk.push(row);
            if chunk.len() == CSV_CHUNK {
                out.write_all(&csv_chunk(&chunk)?).map_err(io)?;
                chunk.clear();
            }
            Ok(true)
        })?;
        out.write_all(&csv_chunk(&chunk)?).map_err(io)?;
        out.flush().map_err(io)?;
    }
    spool.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(spool)
}

/// An XLSX workbook: header row in bold and frozen, set column widths, every cell a string or
/// a date (never a formula). Rows go to a temporary file as they come (constant memory).
fn xlsx(
    conn: &mut DbConn,
    sheet: &str,
    columns: &[Column],
    reader: Reader,
    rows: Rows,
) -> AppResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| {
        AppError::Unexpected(anyhow::anyhow!("cannot write the XLSX file: {e}"))
    };
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let worksheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(fail)?;
    worksheet.set_name(sheet).map_err(fail)?;
    for (i, column) in columns.iter().enumerate() {
        let col = i as u16;
        worksheet
            .set_column_width(col, column.width)
            .map_err(fail)?;
        worksheet
            .write_string_with_format(0, col, column.heading(reader), &bold)
            .map_err(fail)?;
    }
    worksheet.set_freeze_panes(1, 0).map_err(fail)?;
    let mut row_number: u32 = 1;
    rows(conn, &mut |row| {
        for (i, cell) in row.into_iter().enumerate() {
            match cell {
                Cell::Text(text) | Cell::Value(text) if !text.is_empty() => {
                    worksheet
                        .write_string(row_number, i as u16, text)
                        .map_err(fail)?;
                }
                Cell::When(at) => {
                    worksheet
                        .write_datetime_with_format(row_number, i as u16, excel_time(at)?, &when)
                        .map_err(fail)?;
                }
                _ => {}
            }
        }
        row_number += 1;
        Ok(true)
    })?;
    workbook.save_to_buffer().map_err(fail)
}

fn excel_time(at: NaiveDateTime) -> AppResult<ExcelDateTime> {
    let year = u16::try_from(at.year()).map_err(|_| anyhow::anyhow!("a year before 0: {at}"))?;
    ExcelDateTime::from_ymd(year, at.month() as u8, at.day() as u8)
        .and_then(|day| day.and_hms(at.hour() as u16, at.minute() as u8, at.second()))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("a time Excel cannot hold: {e}")))
}

fn xlsx_response(bytes: Vec<u8>, file_name: &str) -> HttpResponse {
    attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name,
    )
    .body(bytes)
}

/// The two file formats every export comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// One export of a meeting's list: what it is called, its columns and its rows.
pub struct Export {
    /// The meeting's slug, which starts the file name.
    pub slug: String,
    /// What the list is, in the file name (`registrations`) and as the sheet's title.
    pub what: &'static str,
    pub sheet: &'static str,
    pub columns: Vec<Column>,
    /// Who it is for: headings and values follow.
    pub reader: Reader,
    pub rows: Rows,
}

impl Export {
    /// `<slug>-<what>-<today>.<extension>`: files from different days and meetings sort and
    /// never overwrite each other in a downloads folder.
    fn file_name(&self, format: FileFormat, today: chrono::NaiveDate) -> String {
        format!(
            "{}-{}-{}.{}",
            self.slug,
            self.what,
            today.format("%Y-%m-%d"),
            format.extension()
        )
    }

    /// The export as a download: CSV streamed as it is read, XLSX built on a read connection
    /// and then sent.
    pub async fn download(self, pools: &Pools, format: FileFormat) -> AppResult<HttpResponse> {
        let name = self.file_name(format, crate::db::now().date());
        match format {
            FileFormat::Csv => Ok(csv_response(
                pools,
                &self.columns,
                self.reader,
                self.rows,
                &name,
            )),
            FileFormat::Xlsx => {
                let Self {
                    sheet,
                    columns,
                    reader,
                    rows,
                    ..
                } = self;
                let bytes = pools
                    .read(move |conn| xlsx(conn, sheet, &columns, reader, rows))
                    .await?;
                Ok(xlsx_response(bytes, &name))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_for_its_meeting_list_and_day() {
        let export = Export {
            slug: "mexico-2026".into(),
            what: "registrations",
            sheet: "Registrations",
            columns: Vec::new(),
            reader: Reader::Program,
            rows: Box::new(|_, _| Ok(())),
        };
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            export.file_name(FileFormat::Xlsx, day),
            "mexico-2026-registrations-2026-12-02.xlsx"
        );
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(
            safe_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(safe_cell("+1-555"), "'+1-555");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("\tx"), "'\tx");
        assert_eq!(safe_cell("Peña"), "Peña");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        let chunk = csv_chunk(&[vec![
            Cell::Text("Pérez, \"Ana\"".into()),
            Cell::Value("MX".into()),
            Cell::Text("a\nb".into()),
        ]])
        .unwrap();
        assert_eq!(
            &chunk[..],
            "\"Pérez, \"\"Ana\"\"\",MX,\"a\nb\"\n".as_bytes()
        );
    }
}
