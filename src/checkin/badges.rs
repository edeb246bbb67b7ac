//! Badges: eight a sheet of A4 (two columns of four, 90 × 62 mm), with cut marks in the
//! gutters. Each has the meeting, the name (large, shrunk or wrapped to fit, never cut), the
//! organisation, the country, the category and the QR code of the check-in code.

use super::pdf::{self, Face, MM};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Checks, Problem};
use crate::meetings::categories::Category;
use crate::meetings::Meeting;
use crate::registrations::model::RegistrationStatus;
use crate::schema::{organizations, registrations};
use crate::values::{Code, Language};
use diesel::prelude::*;
use krilla::surface::Surface;

const COLUMNS: usize = 2;
const ROWS: usize = 4;
const WIDTH: f32 = 90.0 * MM;
const HEIGHT: f32 = 62.0 * MM;
const GUTTER: f32 = 6.0 * MM;
const PAD: f32 = 4.0 * MM;
const QR_SIDE: f32 = 24.0 * MM;
/// The most ids one request may name.
const MAX_IDS: usize = 1000;

/// Whose badges: by status (confirmed unless said), category, or named one by one.
#[derive(Debug, Default, Clone)]
pub struct BadgeFilter {
    pub status: Option<RegistrationStatus>,
    pub category: Option<Code>,
    pub ids: Vec<String>,
}

impl BadgeFilter {
    /// `?status=&category=&id=&id=…`, every bad field named.
    pub fn parse(query: &str) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let mut filter = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "status" => {
                    filter.status = checks.field(
                        "status",
                        RegistrationStatus::from_code(&value)
                            .ok_or_else(|| Problem::new("invalid", "not a registration status")),
                    )
                }
                "category" => filter.category = checks.field("category", Code::parse(Some(&value))),
                "id" if filter.ids.len() < MAX_IDS => filter.ids.push(value.into_owned()),
                "id" => checks.add("id", Problem::new("too_many", "at most 1000 ids")),
                // The dashboard's language switch adds it to any page's address.
                "lang" => {}
                other => checks.add(other, Problem::new("unknown", "not a parameter of badges")),
            }
        }
        if checks.is_clean() {
            Ok(filter)
        } else {
            Err(checks.into_error())
        }
    }
}

/// One badge's text.
#[derive(Debug, Clone, Queryable)]
pub struct Badge {
    pub full_name: String,
    pub organization: String,
    pub country: String,
    pub category: Option<String>,
    pub checkin_code: Option<String>,
}

/// The badges a filter names, by name.
pub fn badges(conn: &mut DbConn, meeting: &Meeting, filter: &BadgeFilter) -> AppResult<Vec<Badge>> {
    let status = filter.status.unwrap_or(RegistrationStatus::Confirmed);
    let mut query = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(status.as_str()))
        .order((registrations::full_name.asc(), registrations::id.asc()))
        .select((
            registrations::full_name,
            organizations::name,
            registrations::country,
            registrations::category,
            registrations::checkin_code,
        ))
        .into_boxed();
    if let Some(category) = &filter.category {
        query = query.filter(registrations::category.eq(category.as_str().to_owned()));
    }
    if !filter.ids.is_empty() {
        query = query.filter(registrations::id.eq_any(filter.ids.clone()));
    }
    Ok(query.load(conn)?)
}

/// The sheets of badges, in the meeting's first language.
pub fn render(
    meeting: &Meeting,
    categories: &[Category],
    badges: &[Badge],
) -> anyhow::Result<Vec<u8>> {
    let language = meeting.languages().first().copied().unwrap_or_default();
    let title = pdf::printable(&meeting.title_in(language));
    let mut document = pdf::document(&format!("{title} · badges"));
    let left = (pdf::A4.0 - (COLUMNS as f32 * WIDTH + (COLUMNS - 1) as f32 * GUTTER)) / 2.0;
    let top = (pdf::A4.1 - (ROWS as f32 * HEIGHT + (ROWS - 1) as f32 * GUTTER)) / 2.0;
    for sheet in badges.chunks(COLUMNS * ROWS) {
        let mut page = document.start_page_with(pdf::a4());
        let mut surface = page.surface();
        for (i, badge) in sheet.iter().enumerate() {
            let x = left + (i % COLUMNS) as f32 * (WIDTH + GUTTER);
            let y = top + (i / COLUMNS) as f32 * (HEIGHT + GUTTER);
            cut_marks(&mut surface, x, y);
            let category = categories
                .iter()
                .find(|c| Some(c.code.as_str()) == badge.category.as_deref())
                .map(|c| c.name_in(language))
                .unwrap_or_default();
            draw(&mut surface, &title, badge, &category, language, x, y);
        }
        surface.finish();
        page.finish();
    }
    pdf::finish(document)
}

/// Short marks at each corner, in the gutter, where the guillotine cuts.
fn cut_marks(surface: &mut Surface<'_>, x: f32, y: f32) {
    let (gap, length) = (1.0 * MM, 2.5 * MM);
    for (cx, dx) in [(x, -1.0), (x + WIDTH, 1.0)] {
        for (cy, dy) in [(y, -1.0), (y + HEIGHT, 1.0)] {
            pdf::line(
                surface,
                (cx + dx * gap, cy),
                (cx + dx * (gap + length), cy),
                0.3,
            );
            pdf::line(
                surface,
                (cx, cy + dy * gap),
                (cx, cy + dy * (gap + length)),
                0.3,
            );
        }
    }
}

fn draw(
    surface: &mut Surface<'_>,
    title: &str,
    badge: &Badge,
    category: &str,
    language: Language,
    x: f32,
    y: f32,
) {
    let (regular, bold) = (Face::regular(), Face::bold());
    let inner = WIDTH - 2.0 * PAD;
    surface.set_fill(Some(pdf::fill(90)));
    let (size, lines) = pdf::fit(regular, title, inner, 7.5, 1);
    pdf::text(
        surface,
        regular,
        size,
        x + PAD,
        y + PAD + size,
        &lines.join(" "),
    );

    surface.set_fill(Some(pdf::fill(0)));
    let (size, lines) = pdf::fit(bold, &pdf::printable(&badge.full_name), inner, 22.0, 2);
    let mut baseline = y + PAD + 9.0 + size * 1.1;
    for line in &lines {
        pdf::text(surface, bold, size, x + PAD, baseline, line);
        baseline += size * 1.15;
    }

    let beside_qr = inner - QR_SIDE - PAD;
    let (size, lines) = pdf::fit(
        regular,
        &pdf::printable(&badge.organization),
        beside_qr,
        11.0,
        2,
    );
    baseline += 4.0;
    for line in &lines {
        pdf::text(surface, regular, size, x + PAD, baseline, line);
        baseline += size * 1.2;
    }
    surface.set_fill(Some(pdf::fill(70)));
    let country = crate::i18n::countries::name(&badge.country, language);
    let (size, lines) = pdf::fit(regular, country, beside_qr, 9.5, 1);
    pdf::text(
        surface,
        regular,
        size,
        x + PAD,
        baseline + 2.0,
        &lines.join(" "),
    );

    surface.set_fill(Some(pdf::fill(0)));
    let (size, lines) = pdf::fit(
        bold,
        &pdf::printable(&category.to_uppercase()),
        beside_qr,
        10.0,
        1,
    );
    pdf::text(
        surface,
        bold,
        size,
        x + PAD,
        y + HEIGHT - PAD,
        &lines.join(" "),
    );

    if let Some(code) = &badge.checkin_code {
        code_block(surface, code, x, y);
    }
}

/// The QR code in the bottom right corner, its code in small print under it.
fn code_block(surface: &mut Surface<'_>, code: &str, x: f32, y: f32) {
    let regular = Face::regular();
    let qr_x = x + WIDTH - PAD - QR_SIDE;
    let qr_y = y + HEIGHT - PAD - QR_SIDE - 7.0;
    pdf::qr(surface, code, qr_x, qr_y, QR_SIDE);
    surface.set_fill(Some(pdf::fill(70)));
    let grouped = super::CheckinCode::grouped(code);
    let (size, _) = pdf::fit(regular, &grouped, QR_SIDE + 2.0 * MM, 5.5, 1);
    pdf::centred(
        surface,
        regular,
        size,
        qr_x + QR_SIDE / 2.0,
        y + HEIGHT - PAD,
        &grouped,
    );
}
