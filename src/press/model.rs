//! Press types and their parsing (no I/O).

use crate::error::{AppError, Checks, Problem};
use crate::exports::{Cell, Column, Reader};
use crate::meetings::model::parse_time;
use crate::values::required_name;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

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

/// A new press token as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Agencia EFE", "expires_at": "2030-06-30T00:00:00Z"}))]
pub struct PressTokenForm {
    pub label: Option<String>,
    pub expires_at: Option<String>,
}

pub struct NewPressToken {
    pub label: String,
    pub expires_at: NaiveDateTime,
}

/// How long a press token lives when no expiry is given, and at most.
pub const DEFAULT_DAYS: i64 = 30;
pub const MAX_DAYS: i64 = 366;

impl NewPressToken {
    pub fn parse(form: &PressTokenForm, now: NaiveDateTime) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let label = checks.field("label", required_name(form.label.as_deref(), 100));
        let expires_at = checks.field(
            "expires_at",
            parse_time(form.expires_at.as_deref()).and_then(|at| {
                let at = at.unwrap_or(now + chrono::Duration::days(DEFAULT_DAYS));
                if at <= now {
                    Err(Problem::new("in_the_past", "must be in the future"))
                } else if at > now + chrono::Duration::days(MAX_DAYS) {
                    Err(Problem::new("too_far", "must be within a year"))
                } else {
                    Ok(at)
                }
            }),
        );
        match (label, expires_at) {
            (Some(label), Some(expires_at)) if checks.is_clean() => Ok(Self { label, expires_at }),
            _ => Err(checks.into_error()),
        }
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

    #[test]
    fn press_tokens_expire_within_a_year() {
        let now = crate::db::now();
        let form = |expires: Option<&str>| PressTokenForm {
            label: Some("El País".into()),
            expires_at: expires.map(str::to_owned),
        };
        assert_eq!(
            NewPressToken::parse(&form(None), now).unwrap().expires_at,
            now + chrono::Duration::days(30)
        );
        assert!(NewPressToken::parse(&form(Some("2000-01-01T00:00:00Z")), now).is_err());
        assert!(NewPressToken::parse(&form(Some("2999-01-01T00:00:00Z")), now).is_err());
        let Err(AppError::Invalid(errors)) = NewPressToken::parse(
            &PressTokenForm {
                label: None,
                expires_at: Some("soon".into()),
            },
            now,
        ) else {
            panic!()
        };
        assert_eq!(errors.len(), 2);
    }
}
