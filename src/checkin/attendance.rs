//! Who came, per day: the counts in the stats, and `attendance.csv` for the donor's report
//! (one row a person, a column a day).

use super::meeting_days;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::exports::{Cell, Column, Export, Reader};
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{attendances, check_ins, organizations, registrations};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Attendance in the stats: arrivals per day, and the people who came on any day by
/// organisation kind and by country.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttendanceCounts {
    /// Arrivals by the meeting's local date: `{"2027-05-29": 87}`.
    pub by_day: BTreeMap<String, i64>,
    pub by_organization_kind: HashMap<String, i64>,
    pub by_country: HashMap<String, i64>,
}

/// How many people: a person arrives once a day, and may come on several.
fn people() -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql("count(DISTINCT attendances.registration_id)")
}

pub fn counts(conn: &mut DbConn, meeting_id: &str) -> AppResult<AttendanceCounts> {
    let by_day = attendances::table
        .filter(attendances::meeting_id.eq(meeting_id))
        .group_by(attendances::day)
        .select((attendances::day, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let came = attendances::table
        .inner_join(registrations::table.on(registrations::id.eq(attendances::registration_id)))
        .inner_join(organizations::table.on(organizations::id.eq(registrations::organization_id)))
        .filter(attendances::meeting_id.eq(meeting_id));
    let by_organization_kind = came
        .group_by(organizations::kind)
        .select((organizations::kind, people()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let by_country = came
        .group_by(registrations::country)
        .select((registrations::country, people()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(AttendanceCounts {
        by_day,
        by_organization_kind,
        by_country,
    })
}

const PERSON_COLUMNS: [Column; 6] = [
    Column::new("id", 38.0, "Id", "Id"),
    Column::new("full_name", 30.0, "Name", "Nombre"),
    Column::new("organization", 34.0, "Organisation", "Organización"),
    Column::new(
        "organization_kind",
        20.0,
        "Kind of organisation",
        "Tipo de organización",
    ),
    Column::new("country", 10.0, "Country", "País"),
    Column::new("category", 14.0, "Category", "Categoría"),
];

type PersonRow = (String, String, String, String, String, Option<String>);

/// Everyone confirmed, and anyone who came (even if cancelled since), with their arrival
/// time on each of the meeting's days; by name.
pub fn export(meeting: &Meeting, reader: Reader) -> Export {
    let days = meeting_days(meeting);
    let mut columns = PERSON_COLUMNS.to_vec();
    columns.extend(days.iter().map(|day| Column {
        name: Cow::Owned(day.to_string()),
        width: 14.0,
        en: Cow::Owned(crate::i18n::day_heading(*day, crate::values::Language::En)),
        es: Cow::Owned(crate::i18n::day_heading(*day, crate::values::Language::Es)),
    }));
    let for_rows = meeting.clone();
    Export {
        slug: meeting.slug.clone(),
        what: "attendance",
        sheet: "Attendance",
        columns,
        reader,
        rows: Box::new(move |conn, sink| {
            let meeting = for_rows;
            let arrivals: Vec<(String, String, NaiveDateTime)> = attendances::table
                .filter(attendances::meeting_id.eq(&meeting.id))
                .select((
                    attendances::registration_id,
                    attendances::day,
                    attendances::arrived_at,
                ))
                .load(conn)?;
            let mut arrived: HashMap<(String, String), NaiveDateTime> = HashMap::new();
            for (id, day, at) in arrivals {
                arrived.insert((id, day), at);
            }
            let people: Vec<PersonRow> = registrations::table
                .inner_join(organizations::table)
                .filter(registrations::meeting_id.eq(&meeting.id))
                .filter(
                    registrations::status
                        .eq(RegistrationStatus::Confirmed.as_str())
                        .or(registrations::id.eq_any(
                            attendances::table
                                .filter(attendances::meeting_id.eq(&meeting.id))
                                .select(attendances::registration_id),
                        )),
                )
                .order((registrations::full_name.asc(), registrations::id.asc()))
                .select((
                    registrations::id,
                    registrations::full_name,
                    organizations::name,
                    organizations::kind,
                    registrations::country,
                    registrations::category,
                ))
                .load(conn)?;
            for (id, name, organization, kind, country, category) in people {
                let mut cells = vec![
                    Cell::Value(id.clone()),
                    Cell::Text(name),
                    Cell::Text(organization),
                    Cell::Value(kind),
                    Cell::Value(country),
                    Cell::Value(category.unwrap_or_default()),
                ];
                for day in &days {
                    cells.push(match arrived.get(&(id.clone(), day.to_string())) {
                        Some(at) => arrival_cell(&meeting, *at, reader),
                        None => Cell::Value(String::new()),
                    });
                }
                if !sink(cells)? {
                    break;
                }
            }
            Ok(())
        }),
    }
}

/// An arrival: its local time for a program, a date and time a spreadsheet knows for a person.
fn arrival_cell(meeting: &Meeting, at: NaiveDateTime, reader: Reader) -> Cell {
    match reader {
        Reader::Program => Cell::Value(meeting.rfc3339(at)),
        Reader::Person(_) => Cell::When(meeting.local(at).naive_local()),
    }
}

/// The days one person arrived on.
pub fn days_attended(conn: &mut DbConn, registration_id: &str) -> AppResult<Vec<NaiveDate>> {
    let days: Vec<String> = attendances::table
        .filter(attendances::registration_id.eq(registration_id))
        .order(attendances::day.asc())
        .select(attendances::day)
        .load(conn)?;
    Ok(days.iter().filter_map(|day| day.parse().ok()).collect())
}

/// Forgets a registration's scans and arrivals (the registration is being deleted).
pub fn forget(conn: &mut DbConn, registration_id: &str) -> AppResult<()> {
    diesel::delete(attendances::table.filter(attendances::registration_id.eq(registration_id)))
        .execute(conn)?;
    diesel::delete(check_ins::table.filter(check_ins::registration_id.eq(registration_id)))
        .execute(conn)?;
    Ok(())
}

/// Forgets a meeting's scans and arrivals (its personal data is purged; the counts per day
/// are kept with the meeting's anonymous counts).
pub fn forget_meeting(conn: &mut DbConn, meeting_id: &str) -> AppResult<()> {
    diesel::delete(attendances::table.filter(attendances::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    diesel::delete(check_ins::table.filter(check_ins::meeting_id.eq(meeting_id))).execute(conn)?;
    Ok(())
}

/// The people who came on any day, by name: (registration, name, organisation).
pub fn attended(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<(String, String, String)>> {
    Ok(registrations::table
        .inner_join(organizations::table)
        .filter(registrations::meeting_id.eq(meeting_id))
        .filter(
            registrations::id.eq_any(
                attendances::table
                    .filter(attendances::meeting_id.eq(meeting_id))
                    .select(attendances::registration_id),
            ),
        )
        .order((registrations::full_name.asc(), registrations::id.asc()))
        .select((
            registrations::id,
            registrations::full_name,
            organizations::name,
        ))
        .load(conn)?)
}
