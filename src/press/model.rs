//! Press types and their parsing (no I/O).

use crate::error::Problem;
use crate::exports::{Cell, Column, Reader};
use diesel::prelude::*;
use serde::Serialize;

/// The five fields the press may see. Nothing else about a participant leaves through press
/// access: the query selects only these.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Attendee {
    #[serde(skip)]
    pub id: String,
    pub full_name: String,
    pub organization: String,
    pub organization_kind: String,
    pub country: String,
    pub job_title: Option<String>,
}

pub const ATTENDEE_COLUMNS: [Column; 5] = [
    Column::new("full_name", 30.0, "Full name", "Nombre completo"),
    Column::new("organization", 45.0, "Organisation", "Organización"),
    Column::new(
        "organization_kind",
        18.0,
        "Kind of organisation",
        "Tipo de organización",
    ),
    Column::new("country", 14.0, "Country", "País"),
    Column::new("job_title", 30.0, "Job title", "Cargo"),
];

impl Attendee {
    /// The row of the press files, in codes for a program or in names for a person.
    pub fn cells(self, reader: Reader) -> Vec<Cell> {
        let (kind, country) = match reader {
            Reader::Program => (self.organization_kind, self.country),
            Reader::Person(language) => (
                crate::i18n::catalogue(language)
                    .kind_of_organization(&self.organization_kind)
                    .to_owned(),
                crate::i18n::countries::name(&self.country, language).to_owned(),
            ),
        };
        vec![
            Cell::Text(self.full_name),
            Cell::Text(self.organization),
            Cell::Value(kind),
            Cell::Value(country),
            Cell::Text(self.job_title.unwrap_or_default()),
        ]
    }
}

/// Where a page of attendees starts: after this (name, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeCursor {
    pub full_name: String,
    pub id: String,
}

impl AttendeeCursor {
    pub fn after(attendee: &Attendee) -> Self {
        Self {
            full_name: attendee.full_name.clone(),
            id: attendee.id.clone(),
        }
    }
    /// Opaque to clients: hex of `name \n id`.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}\n{}", self.full_name, self.id))
    }
    pub fn decode(raw: &str) -> Result<Self, Problem> {
        let invalid = || Problem::new("invalid", "not a cursor from this list");
        let bytes = hex::decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (full_name, id) = text.split_once('\n').ok_or_else(invalid)?;
        Ok(Self {
            full_name: full_name.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// The formats press downloads come in, as recorded in the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Summary,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Summary => "summary",
        }
    }
}

impl From<crate::exports::FileFormat> for Format {
    fn from(file: crate::exports::FileFormat) -> Self {
        match file {
            crate::exports::FileFormat::Csv => Self::Csv,
            crate::exports::FileFormat::Xlsx => Self::Xlsx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = AttendeeCursor {
            full_name: "Ana Peña".into(),
            id: "01-x".into(),
        };
        assert_eq!(AttendeeCursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(AttendeeCursor::decode("zz").is_err());
        assert!(AttendeeCursor::decode(&hex::encode("no newline")).is_err());
    }
}
