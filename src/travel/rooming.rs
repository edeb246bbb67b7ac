//! The hotel's rooming list: who needs a room, from which night to which, with their dietary
//! and accessibility needs. Confirmed participants who asked for a hotel, by arrival.

use crate::exports::{Cell, Column, Export, Reader};
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{organizations, registrations, travel_requests};
use chrono::NaiveDate;
use diesel::prelude::*;

const COLUMNS: [Column; 8] = [
    Column::new("full_name", 30.0, "Name", "Nombre"),
    Column::new("organization", 40.0, "Organisation", "Organización"),
    Column::new("country", 10.0, "Country", "País"),
    Column::new("arrival_date", 14.0, "Arrival", "Llegada"),
    Column::new("departure_date", 14.0, "Departure", "Salida"),
    Column::new("nights", 8.0, "Nights", "Noches"),
    Column::new("dietary", 30.0, "Dietary needs", "Alimentación"),
    Column::new("accessibility", 30.0, "Accessibility", "Accesibilidad"),
];

type RoomRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Nights between two stored dates: none when either is missing or they are out of order.
pub fn nights(arrival: Option<&str>, departure: Option<&str>) -> Option<i64> {
    let date = |text: Option<&str>| NaiveDate::parse_from_str(text?, "%Y-%m-%d").ok();
    let (arrives, leaves) = (date(arrival)?, date(departure)?);
    let nights = (leaves - arrives).num_days();
    (nights >= 0).then_some(nights)
}

pub fn export(meeting: &Meeting, reader: Reader) -> Export {
    let meeting_id = meeting.id.clone();
    Export {
        slug: meeting.slug.clone(),
        what: "rooming-list",
        sheet: "Rooming list",
        columns: COLUMNS.to_vec(),
        reader,
        rows: Box::new(move |conn, sink| {
            let people: Vec<RoomRow> = travel_requests::table
                .inner_join(registrations::table.inner_join(organizations::table))
                .filter(travel_requests::meeting_id.eq(&meeting_id))
                .filter(travel_requests::hotel_needed.eq(true))
                .filter(registrations::status.eq(RegistrationStatus::Confirmed.as_str()))
                .order((
                    travel_requests::arrival_date.asc(),
                    registrations::full_name.asc(),
                    registrations::id.asc(),
                ))
                .select((
                    registrations::full_name,
                    organizations::name,
                    registrations::country,
                    travel_requests::arrival_date,
                    travel_requests::departure_date,
                    registrations::dietary,
                    registrations::accessibility,
                ))
                .load(conn)?;
            for (name, organization, country, arrival, departure, dietary, access) in people {
                let nights = nights(arrival.as_deref(), departure.as_deref());
                let cells = vec![
                    Cell::Text(name),
                    Cell::Text(organization),
                    Cell::Value(country),
                    Cell::Value(arrival.unwrap_or_default()),
                    Cell::Value(departure.unwrap_or_default()),
                    Cell::Value(nights.map(|n| n.to_string()).unwrap_or_default()),
                    Cell::Text(dietary.unwrap_or_default()),
                    Cell::Text(access.unwrap_or_default()),
                ];
                if !sink(cells)? {
                    break;
                }
            }
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nights_are_counted_between_the_dates_across_months() {
        assert_eq!(
            super::nights(Some("2030-05-28"), Some("2030-05-31")),
            Some(3)
        );
        assert_eq!(
            super::nights(Some("2030-05-30"), Some("2030-06-02")),
            Some(3)
        );
        assert_eq!(
            super::nights(Some("2030-05-29"), Some("2030-05-29")),
            Some(0)
        );
        assert_eq!(super::nights(Some("2030-05-29"), None), None);
        assert_eq!(super::nights(Some("2030-05-31"), Some("2030-05-29")), None);
    }
}
