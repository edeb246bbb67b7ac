//! The visa letter as a PDF: one A4 page in the participant's language, for a wet signature,
//! with its reference as text and as a QR code of the page that checks it.

use super::letters::{grouped, Letter};
use crate::checkin::certificate::date;
use crate::checkin::pdf::{self, Face};
use crate::i18n::{catalogue, fill};
use crate::meetings::Meeting;
use chrono::NaiveDate;
use krilla::surface::Surface;

const MARGIN: f32 = 72.0;
const WIDTH: f32 = pdf::A4.0 - 2.0 * MARGIN;

/// Lines from the left margin at `y`, wrapped; answers the baseline after the last.
fn paragraph(surface: &mut Surface<'_>, face: &Face, text: &str, size: f32, y: f32) -> f32 {
    let mut y = y;
    for line in pdf::wrap(face, &pdf::printable(text), size, WIDTH) {
        pdf::text(surface, face, size, MARGIN, y, &line);
        y += size * 1.4;
    }
    y
}

/// A date stored as `YYYY-MM-DD`, as the reader writes it; as stored when it is not one.
fn stored_date(text: &str, language: crate::values::Language) -> String {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|day| date(day, language))
        .unwrap_or_else(|_| text.to_owned())
}

pub fn render(
    meeting: &Meeting,
    letter: &Letter,
    verify_url: &str,
    signatory: (Option<&str>, Option<&str>),
) -> anyhow::Result<Vec<u8>> {
    let language = letter.language;
    let t = catalogue(language);
    let l = &t.travel.letter;
    let title = meeting.title_in(language);
    let mut document = pdf::document(&format!("{} · {title}", l.title));
    let mut page = document.start_page_with(pdf::a4());
    let mut surface = page.surface();
    let (regular, bold) = (Face::regular(), Face::bold());
    surface.set_fill(Some(pdf::fill(0)));
    let issued = fill(
        l.issued,
        &[(
            "date",
            &date(meeting.local(letter.issued_at).date_naive(), language),
        )],
    );
    let mut y = paragraph(&mut surface, regular, &issued, 10.5, 90.0);
    y = paragraph(&mut surface, bold, &l.title.to_uppercase(), 14.0, y + 24.0);
    y = paragraph(&mut surface, regular, l.to_whom, 11.0, y + 14.0);
    y = paragraph(&mut surface, regular, l.invites, 11.0, y + 14.0);
    y = paragraph(&mut surface, bold, &letter.full_name, 15.0, y + 6.0);
    let of = fill(l.of_organization, &[("organization", &letter.organization)]);
    y = paragraph(&mut surface, regular, &of, 11.0, y);
    let nationality = format!(
        "{}: {}",
        l.nationality,
        crate::i18n::countries::name(&letter.nationality, language)
    );
    y = paragraph(&mut surface, regular, &nationality, 11.0, y + 8.0);
    let passport = format!(
        "{}: {} ({} {})",
        l.passport,
        letter.passport_number,
        l.expiry,
        stored_date(&letter.passport_expiry, language)
    );
    y = paragraph(&mut surface, regular, &passport, 11.0, y);
    y = paragraph(&mut surface, regular, l.to_attend, 11.0, y + 14.0);
    y = paragraph(&mut surface, bold, &title, 12.5, y + 2.0);
    let held = fill(
        l.held,
        &[
            ("place", &meeting.place(language)),
            (
                "start",
                &date(meeting.local(meeting.starts_at).date_naive(), language),
            ),
            (
                "end",
                &date(meeting.local(meeting.ends_at).date_naive(), language),
            ),
        ],
    );
    y = paragraph(&mut surface, regular, &held, 11.0, y);
    let pays = if letter.funded {
        l.funded
    } else {
        l.not_funded
    };
    y = paragraph(&mut surface, regular, pays, 11.0, y + 10.0);
    paragraph(&mut surface, regular, l.purpose, 11.0, y + 4.0);
    foot(&mut surface, letter, verify_url, signatory);
    surface.finish();
    page.finish();
    pdf::finish(document)
}

/// The signature line, the QR code of the verification page, and the reference under them.
fn foot(
    surface: &mut Surface<'_>,
    letter: &Letter,
    verify_url: &str,
    signatory: (Option<&str>, Option<&str>),
) {
    let l = &catalogue(letter.language).travel.letter;
    let (regular, bold) = (Face::regular(), Face::bold());
    pdf::line(surface, (MARGIN, 640.0), (MARGIN + 220.0, 640.0), 0.6);
    let name = signatory.0.unwrap_or(l.organizers);
    let after = paragraph(surface, bold, name, 11.5, 656.0);
    if let Some(role) = signatory.1 {
        paragraph(surface, regular, role, 10.5, after);
    }
    let side = 70.0;
    pdf::qr(surface, verify_url, pdf::A4.0 - MARGIN - side, 610.0, side);
    surface.set_fill(Some(pdf::fill(60)));
    let reference = fill(l.reference, &[("reference", &grouped(&letter.reference))]);
    let y = paragraph(surface, bold, &reference, 9.5, pdf::A4.1 - 70.0);
    let check = fill(l.verify_at, &[("url", verify_url)]);
    paragraph(surface, regular, &check, 8.5, y);
}
