//! The certificate of attendance: one A4 page in the participant's language, with the
//! meeting's title, place and dates, the days the desk saw them, and the signatory set on the
//! meeting. Only for someone who came, once the meeting has started.

use super::pdf::{self, Face};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::i18n::{catalogue, counted, day_heading, fill};
use crate::meetings::Meeting;
use crate::schema::{organizations, registrations};
use crate::values::Language;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// What a certificate says about its holder.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub registration_id: String,
    pub full_name: String,
    pub organization: String,
    pub language: Language,
    pub days: Vec<NaiveDate>,
}

/// A person's certificate, if they came: 409 `not_attended` before the meeting starts or for
/// someone the desk never saw.
pub fn of(
    conn: &mut DbConn,
    meeting: &Meeting,
    registration_id: &str,
    now: NaiveDateTime,
) -> AppResult<Certificate> {
    let (full_name, organization, language): (String, String, String) = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::id.eq(registration_id))
        .filter(registrations::meeting_id.eq(&meeting.id))
        .select((
            registrations::full_name,
            organizations::name,
            registrations::language,
        ))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let days = super::attendance::days_attended(conn, registration_id)?;
    if days.is_empty() || now < meeting.starts_at {
        return Err(AppError::conflict(
            "not_attended",
            "a certificate of attendance is made once the person was checked in at the meeting",
        ));
    }
    Ok(Certificate {
        registration_id: registration_id.to_owned(),
        full_name,
        organization,
        language: Language::from_code(&language).unwrap_or_default(),
        days,
    })
}

/// A date as the reader writes it: "29 May 2030", "29 de mayo de 2030".
pub(crate) fn date(day: NaiveDate, language: Language) -> String {
    let t = catalogue(language);
    fill(
        t.date_only,
        &[
            ("day", &day.day().to_string()),
            ("month", t.months[day.month0() as usize]),
            ("year", &day.year().to_string()),
        ],
    )
}

/// Lines centred one under the other from `y`; answers the baseline after the last.
fn paragraph(
    surface: &mut krilla::surface::Surface<'_>,
    face: &Face,
    text: &str,
    size: f32,
    max_lines: usize,
    y: f32,
) -> f32 {
    let width = pdf::A4.0 - 2.0 * MARGIN;
    let (size, lines) = pdf::fit(face, &pdf::printable(text), width, size, max_lines);
    let mut y = y;
    for line in &lines {
        pdf::centred(surface, face, size, pdf::A4.0 / 2.0, y, line);
        y += size * 1.35;
    }
    y
}

const MARGIN: f32 = 72.0;

pub fn render(
    meeting: &Meeting,
    certificate: &Certificate,
    signatory: (Option<&str>, Option<&str>),
    issued: NaiveDate,
) -> anyhow::Result<Vec<u8>> {
    let language = certificate.language;
    let t = catalogue(language);
    let title = meeting.title_in(language);
    let mut document = pdf::document(&format!("{} · {title}", t.certificate_heading));
    let mut page = document.start_page_with(pdf::a4());
    let mut surface = page.surface();
    let (regular, bold) = (Face::regular(), Face::bold());
    let mut y = heading(&mut surface, t.certificate_heading);
    let (start, end) = (meeting.starts_at, meeting.ends_at);
    let held = fill(
        t.certificate_held,
        &[
            ("place", &meeting.place(language)),
            ("start", &date(meeting.local(start).date_naive(), language)),
            ("end", &date(meeting.local(end).date_naive(), language)),
        ],
    );
    let of = [("organization", certificate.organization.as_str())];
    // Each block: its face, its text, its largest size, its most lines, the space above it.
    let blocks = [
        (regular, t.certificate_certifies.to_owned(), 12.0, 2, 50.0),
        (bold, certificate.full_name.clone(), 28.0, 2, 26.0),
        (
            regular,
            fill(t.certificate_of_organization, &of),
            13.0,
            2,
            4.0,
        ),
        (regular, t.certificate_attended.to_owned(), 12.0, 1, 24.0),
        (bold, title, 16.0, 3, 10.0),
        (regular, held, 12.0, 3, 10.0),
        (
            regular,
            counted(certificate.days.len() as i64, t.certificate_days),
            12.0,
            1,
            4.0,
        ),
    ];
    surface.set_fill(Some(pdf::fill(0)));
    for (face, text, size, lines, gap) in blocks {
        y = paragraph(&mut surface, face, &text, size, lines, y + gap);
    }
    y += 6.0;
    for day in &certificate.days {
        y = paragraph(&mut surface, bold, &day_heading(*day, language), 12.0, 1, y);
    }

    closing(&mut surface, meeting, certificate, signatory, issued);
    surface.finish();
    page.finish();
    pdf::finish(document)
}

/// The date of issue, the signature line and the reference at the foot of the page.
fn closing(
    surface: &mut krilla::surface::Surface<'_>,
    meeting: &Meeting,
    certificate: &Certificate,
    signatory: (Option<&str>, Option<&str>),
    issued: NaiveDate,
) {
    let language = certificate.language;
    let t = catalogue(language);
    let (regular, bold) = (Face::regular(), Face::bold());
    let centre = pdf::A4.0 / 2.0;
    let issued = fill(t.certificate_issued, &[("date", &date(issued, language))]);
    paragraph(surface, regular, &issued, 11.0, 1, 640.0);
    pdf::line(
        surface,
        (centre - 110.0, 712.0),
        (centre + 110.0, 712.0),
        0.6,
    );
    let name = signatory.0.unwrap_or(t.certificate_organizers);
    let after = paragraph(surface, bold, name, 12.0, 1, 728.0);
    if let Some(role) = signatory.1 {
        paragraph(surface, regular, role, 11.0, 2, after);
    }
    surface.set_fill(Some(pdf::fill(110)));
    let reference = fill(
        t.certificate_reference,
        &[(
            "reference",
            &format!("{}/{}", meeting.slug, certificate.registration_id),
        )],
    );
    paragraph(surface, regular, &reference, 7.5, 1, pdf::A4.1 - 40.0);
}

/// The document's name at the head of the page, underlined; answers the baseline under it.
fn heading(surface: &mut krilla::surface::Surface<'_>, text: &str) -> f32 {
    let centre = pdf::A4.0 / 2.0;
    surface.set_fill(Some(pdf::fill(90)));
    let y = paragraph(
        surface,
        Face::regular(),
        &text.to_uppercase(),
        13.0,
        1,
        130.0,
    );
    pdf::line(
        surface,
        (centre - 60.0, y - 4.0),
        (centre + 60.0, y - 4.0),
        0.6,
    );
    y
}
