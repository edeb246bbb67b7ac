//! A CSV file of invitations, read whole before anything is sent: every bad line is named
//! (`lines[N].column`, N the line in the file, the header being line 1), and one bad line
//! refuses the file. Commas, semicolons (a spreadsheet in Spanish saves those) and tabs
//! (what pasting from a spreadsheet gives) separate the columns.

use super::{InvitationForm, NewInvitation};
use crate::error::{AppError, Checks, FieldError, Problem};
use crate::registrations::model::OrganizationForm;

/// The largest file taken.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most invitations one file sends.
pub const MAX_LINES: usize = 5_000;
/// The columns a file may have, in any order; `email` is required.
pub const COLUMNS: [&str; 7] = [
    "email",
    "full_name",
    "organization",
    "organization_kind",
    "country",
    "category",
    "language",
];
/// At most this many problems are listed; a file with more is wrong throughout.
const MAX_PROBLEMS: usize = 1_000;

fn file_problem(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(field, Problem::new(code, message))
}

/// Reads the file into invitations with their line numbers, or says what is wrong with it.
pub fn parse(bytes: &[u8]) -> Result<Vec<(usize, NewInvitation)>, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_problem(
            "file",
            "not_utf8",
            "the file is not UTF-8 text: save it as \"CSV UTF-8\"",
        )
    })?;
    if text.lines().filter(|line| !line.trim().is_empty()).count() > MAX_LINES + 1 {
        return Err(AppError::PayloadTooLarge);
    }
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [b'\t', b';', b',']
        .into_iter()
        .find(|d| first.as_bytes().contains(d))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => columns(&header)?,
        Some(Err(_)) => {
            return Err(file_problem(
                "header",
                "invalid",
                "the first line cannot be read",
            ))
        }
        None => return Err(file_problem("file", "empty", "the file is empty")),
    };
    let mut checks = Checks::default();
    let mut problems = 0;
    let mut lines = Vec::new();
    let mut lines_of = LineNumbers::new(text);
    for record in records {
        let Ok(record) = record else {
            return Err(file_problem("file", "invalid", "the file is not CSV"));
        };
        let line = lines_of.line(&record);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let before = checks.len();
        if let Some(new) = line_of(&header, &record, line, &mut checks) {
            lines.push((line, new));
        }
        problems += checks.len() - before;
        if problems >= MAX_PROBLEMS {
            break;
        }
    }
    if !checks.is_clean() {
        return Err(checks.into_error());
    }
    if lines.is_empty() {
        return Err(file_problem(
            "file",
            "empty",
            "the file has a header and no invitations",
        ));
    }
    Ok(lines)
}

/// Lines counted in the text itself: the reader's own count passes over blank lines, and a
/// person looks for the line their spreadsheet or editor numbers.
struct LineNumbers<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: usize,
}

impl<'a> LineNumbers<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    /// The line a record starts on (records come in order).
    fn line(&mut self, record: &csv::StringRecord) -> usize {
        let mut start = record
            .position()
            .map_or(self.counted_to, |p| p.byte() as usize);
        // A record's position may fall on the blank lines before it.
        while matches!(self.text.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        let start = start.max(self.counted_to).min(self.text.len());
        self.line += self.text[self.counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.counted_to = start;
        self.line
    }
}

/// The header's columns, each known and given once, `email` among them.
fn columns(header: &csv::StringRecord) -> Result<Vec<&'static str>, AppError> {
    let mut columns = Vec::new();
    for name in header.iter() {
        let name = name.trim().to_lowercase();
        let Some(known) = COLUMNS.iter().find(|c| **c == name) else {
            return Err(file_problem(
                "header",
                "unknown_column",
                format!(
                    "unknown column \"{}\"; the columns are {}",
                    name.chars().take(40).collect::<String>(),
                    COLUMNS.join(", ")
                ),
            ));
        };
        if columns.contains(known) {
            return Err(file_problem(
                "header",
                "duplicate_column",
                format!("the column {known} is given twice"),
            ));
        }
        columns.push(*known);
    }
    if !columns.contains(&"email") {
        return Err(file_problem(
            "header",
            "missing_column",
            format!(
                "the first line must name the columns, email among them: {}",
                COLUMNS.join(",")
            ),
        ));
    }
    Ok(columns)
}

/// One line as an invitation, its problems named `lines[N].<column>`.
fn line_of(
    header: &[&'static str],
    record: &csv::StringRecord,
    line: usize,
    checks: &mut Checks,
) -> Option<NewInvitation> {
    if record.len() > header.len() {
        checks.add(
            &format!("lines[{line}]"),
            Problem::new(
                "columns",
                format!(
                    "{} values where the header names {}",
                    record.len(),
                    header.len()
                ),
            ),
        );
        return None;
    }
    let value = |column: &str| {
        header
            .iter()
            .position(|c| *c == column)
            .and_then(|i| record.get(i))
            .map(str::to_owned)
    };
    let form = InvitationForm {
        email: value("email"),
        full_name: value("full_name"),
        organization: Some(OrganizationForm {
            name: value("organization"),
            kind: value("organization_kind"),
            country: value("country"),
        }),
        category: value("category"),
        language: value("language"),
    };
    let mut own = Checks::default();
    let new = NewInvitation::check(&form, &mut own);
    for FieldError {
        field,
        code,
        message,
        ..
    } in own.into_errors()
    {
        let column = match field.as_deref().unwrap_or_default() {
            "organization.name" => "organization",
            "organization.kind" => "organization_kind",
            "organization.country" => "country",
            other => other,
        };
        checks.add(
            &format!("lines[{line}].{column}"),
            Problem::new(code, message),
        );
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(result: Result<Vec<(usize, NewInvitation)>, AppError>) -> Vec<String> {
        match result {
            Err(AppError::Invalid(errors)) => errors
                .into_iter()
                .map(|e| format!("{}:{}", e.field.unwrap_or_default(), e.code))
                .collect(),
            Err(other) => vec![format!("{other:?}")],
            Ok(lines) => vec![format!("{} lines", lines.len())],
        }
    }

    #[test]
    fn a_good_file_reads_with_its_line_numbers() {
        let file =
            "\u{FEFF}email,full_name,organization,organization_kind,country,category,language\n\
            ana@example.org,Ana Pérez,\"Centro Hub, Tapachula\",information_hub,MX,delegate,es\n\
            \n\
            berta@example.org,,,,,,\n";
        let lines = parse(file.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0, 2);
        assert_eq!(
            lines[0].1.organization_name.as_deref(),
            Some("Centro Hub, Tapachula")
        );
        assert_eq!(lines[1].0, 4, "the blank line is counted, not read");
        assert!(lines[1].1.category.is_none());
    }

    #[test]
    fn semicolons_and_tabs_separate_too() {
        for file in [
            "Email;Category\nana@example.org;delegate\n",
            "email\tcategory\nana@example.org\tdelegate\n",
        ] {
            let lines = parse(file.as_bytes()).unwrap();
            assert_eq!(
                lines[0].1.category.as_ref().map(|c| c.as_str()),
                Some("delegate")
            );
        }
    }

    #[test]
    fn each_bad_line_is_named_with_its_column() {
        let file = "email,organization_kind,country,language\n\
            ana@example.org,information_hub,MX,es\n\
            not-an-address,club,XX,fr\n\
            berta@example.org,ngo,GT,es,extra\n";
        assert_eq!(
            fields(parse(file.as_bytes())),
            [
                "lines[3].email:invalid",
                "lines[3].organization_kind:invalid",
                "lines[3].country:invalid",
                "lines[3].language:invalid",
                "lines[4]:columns"
            ]
        );
    }

    #[test]
    fn a_file_that_is_no_list_says_why() {
        assert_eq!(fields(parse(b"")), ["file:empty"]);
        assert_eq!(fields(parse(b"email,category\n")), ["file:empty"]);
        assert_eq!(
            fields(parse(b"name,category\nx,y\n")),
            ["header:unknown_column"]
        );
        assert_eq!(
            fields(parse(b"full_name,category\nx,y\n")),
            ["header:missing_column"]
        );
        assert_eq!(
            fields(parse(b"email,email\nx,y\n")),
            ["header:duplicate_column"]
        );
        assert_eq!(
            fields(parse(b"email\n\xFFana@example.org\n")),
            ["file:not_utf8"]
        );
        let long = format!("email\n{}", "a@example.org\n".repeat(MAX_LINES + 1));
        assert_eq!(fields(parse(long.as_bytes())), ["PayloadTooLarge"]);
        let at_limit = format!("email\n{}", "a@example.org\n".repeat(MAX_LINES));
        assert_eq!(
            fields(parse(at_limit.as_bytes())),
            [format!("{MAX_LINES} lines")]
        );
    }
}
