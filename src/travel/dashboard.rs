//! The organizer's travel tab: the requests (filtered), the rooming list, and a person's travel
//! page where the funding is decided, the booking recorded and the visa letter issued.

use super::store::{self, TravelEntry, TravelFilter, TravelView};
use super::{letters, Booking, BookingForm};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::i18n::{countries, Catalogue};
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::values::Language;
use crate::web::confirm::done_at;
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{filled, Field, FormState};
use crate::web::notice::Done;
use crate::web::page::{OnPage, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use maud::{html, Markup};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer/m/{slug}/travel", web::get().to(travel_tab))
        .route(
            "/organizer/m/{slug}/travel/{id}",
            web::get().to(person_page),
        )
        .route(
            "/organizer/m/{slug}/travel/{id}/{action}",
            web::post().to(person_action),
        )
        .route(
            "/organizer/m/{slug}/travel/{id}/visa-letter.pdf",
            web::get().to(letter_pdf),
        )
        .route(
            "/organizer/m/{slug}/rooming-list.{format}",
            web::get().to(rooming_list),
        );
}

type Fields = web::Form<HashMap<String, String>>;

/// The filters the tab offers: (query, label).
fn filters(t: &Catalogue) -> [(&'static str, &'static str); 6] {
    let tab = &t.travel.tab;
    [
        ("", tab.all),
        ("?funding=requested", tab.requested),
        ("?funding=undecided", tab.undecided),
        ("?funding=approved", tab.approved),
        ("?funding=declined", tab.declined),
        ("?visa_letter=true", tab.wants_letter),
    ]
}

fn funding(t: &Catalogue, travel: &TravelView) -> &'static str {
    let tab = &t.travel.tab;
    match travel.funding_decision.as_deref() {
        Some("approved") => tab.approved,
        Some("declined") => tab.declined,
        _ if travel.funding_requested => tab.undecided,
        _ => "",
    }
}

fn letter(t: &Catalogue, travel: &TravelView) -> &'static str {
    let tab = &t.travel.tab;
    match &travel.visa_letter {
        Some(letter) if letter.revoked_at.is_some() => tab.letter_revoked,
        Some(_) => tab.letter_issued,
        None if travel.visa_letter_requested => tab.letter_asked,
        None => "",
    }
}

/// Arrival and departure as the reader's language writes dates.
fn dates(travel: &TravelView, language: Language) -> String {
    let written = |day: &Option<String>| {
        day.as_deref().map(|day| match day.parse() {
            Ok(day) => crate::checkin::certificate::date(day, language),
            Err(_) => day.to_owned(),
        })
    };
    match (
        written(&travel.arrival_date),
        written(&travel.departure_date),
    ) {
        (Some(a), Some(d)) => format!("{a} – {d}"),
        (Some(a), None) => a,
        (None, Some(d)) => format!("– {d}"),
        (None, None) => String::new(),
    }
}

fn list(t: &Catalogue, lang: Language, base: &str, entries: &[TravelEntry]) -> Markup {
    let tab = &t.travel.tab;
    html! {
        @if entries.is_empty() { p { (tab.none) } }
        @else {
            div.table-wrap {
                table.cards {
                    thead { tr {
                        th { (t.full_name) } th { (tab.dates) } th { (tab.hotel) }
                        th { (tab.funding) } th { (tab.letter) }
                    } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td {
                                    a href={ (base) "/travel/" (entry.registration_id) } { strong { (entry.full_name) } }
                                    br; (entry.organization) " · " (countries::name(&entry.country, lang))
                                }
                                td data-label=(tab.dates) { (dates(&entry.travel, lang)) }
                                td data-label=(tab.hotel) { @if entry.travel.hotel_needed { (tab.yes) } }
                                td data-label=(tab.funding) { (funding(t, &entry.travel)) }
                                td data-label=(tab.letter) { (letter(t, &entry.travel)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct TabQuery {
    funding: Option<String>,
    visa_letter: Option<bool>,
}

async fn travel_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    query: web::Query<TabQuery>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let query = query.into_inner();
        let filter = TravelFilter {
            funding: query.funding,
            visa_letter: query.visa_letter,
        };
        let for_read = meeting.clone();
        let entries = state
            .read(move |conn| store::list(conn, &for_read, &filter))
            .await?;
        let t = ctx.t();
        let base = format!("/organizer/m/{}", meeting.slug);
        let content = html! {
            @if !meeting.travel_support && !meeting.visa_letters { p.notice { (t.travel.tab.off) } }
            p {
                a href={ (base) "/rooming-list.csv" } { (t.travel.tab.rooming_csv) } " · "
                a href={ (base) "/rooming-list.xlsx" } { (t.travel.tab.rooming_xlsx) }
            }
            nav.filters {
                @for (query, label) in filters(t) {
                    a href={ (base) "/travel" (query) } { (label) } " "
                }
            }
            (list(t, ctx.lang, &base, &entries))
        };
        Ok(meeting_page(
            &ctx,
            &meeting,
            Tab::Travel,
            StatusCode::OK,
            content,
        ))
    }
    .await;
    result.on_page(&ctx)
}

/// A person's travel: what they asked, the decision, the booking, and the letter.
fn person(
    t: &Catalogue,
    lang: Language,
    csrf: &Markup,
    base: &str,
    entry: &TravelEntry,
    form: &FormState,
) -> Markup {
    let tab = &t.travel.tab;
    let travel = &entry.travel;
    let action = |what: &str| format!("{base}/travel/{}/{what}", entry.registration_id);
    html! {
        h2 { (entry.full_name) }
        dl.facts {
            dt { (tab.dates) } dd { (dates(travel, lang)) }
            dt { (t.travel.form.departure_city) } dd { (travel.departure_city.clone().unwrap_or_default()) }
            dt { (tab.hotel) } dd { @if travel.hotel_needed { (tab.yes) } }
            dt { (tab.funding) } dd { (funding(t, travel)) }
            @if let Some(number) = &travel.passport_number {
                dt { (tab.passport) } dd { (number) " · " (travel.nationality.clone().unwrap_or_default()) }
            }
            dt { (tab.letter) } dd { (letter(t, travel)) }
        }
        @if travel.funding_requested {
            form method="post" action=(action("decide")) {
                (csrf.clone())
                (Field::new("note", t.travel.note).textarea(form))
                button type="submit" name="decision" value="approve" { (tab.approve) } " "
                button.secondary type="submit" name="decision" value="decline" { (tab.decline) }
            }
        }
        form method="post" action=(action("book")) {
            (csrf.clone())
            (Field::new("itinerary", t.travel.itinerary).textarea(form))
            (Field::new("hotel_booking", t.travel.hotel_booking).textarea(form))
            button type="submit" { (tab.save_booking) }
        }
        @if travel.visa_letter_requested {
            form method="post" action=(action("letter")) {
                (csrf.clone())
                button type="submit" { (tab.issue_letter) }
            }
            @if travel.visa_letter.as_ref().is_some_and(|l| l.revoked_at.is_none()) {
                p { a href=(action("visa-letter.pdf")) { (t.travel.form.download_letter) } }
                form method="post" action=(action("revoke-letter")) {
                    (csrf.clone())
                    button.secondary type="submit" { (tab.revoke_letter) }
                }
            }
        }
    }
}

async fn entry_of(state: &AppState, meeting: &Meeting, id: String) -> AppResult<TravelEntry> {
    let for_read = meeting.clone();
    let entries = state
        .read(move |conn| store::list(conn, &for_read, &TravelFilter::default()))
        .await?;
    entries
        .into_iter()
        .find(|entry| entry.registration_id == id)
        .ok_or(AppError::NotFound)
}

async fn person_page(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let entry = entry_of(&state, &meeting, id).await?;
        let mut values = HashMap::new();
        for (name, value) in [
            ("itinerary", &entry.travel.itinerary),
            ("hotel_booking", &entry.travel.hotel_booking),
            ("note", &entry.travel.decision_note),
        ] {
            if let Some(value) = value {
                values.insert(name.to_owned(), value.clone());
            }
        }
        let base = format!("/organizer/m/{}", meeting.slug);
        let content = person(
            ctx.t(),
            ctx.lang,
            &current.field(),
            &base,
            &entry,
            &FormState::new(values),
        );
        Ok(meeting_page(
            &ctx,
            &meeting,
            Tab::Travel,
            StatusCode::OK,
            content,
        ))
    }
    .await;
    result.on_page(&ctx)
}

async fn person_action(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, id, action) = path.into_inner();
    let values = fields.into_inner();
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (account, sealer, page) = (
            current.account_id.clone(),
            state.sealer.clone(),
            format!("/organizer/m/{}/travel/{id}", meeting.slug),
        );
        let note = filled(&values, "note");
        let booking = BookingForm {
            itinerary: filled(&values, "itinerary"),
            hotel_booking: filled(&values, "hotel_booking"),
        };
        let decision = values.get("decision").cloned();
        let done = state
            .write(move |conn| match action.as_str() {
                "decide" => {
                    let approve = match decision.as_deref() {
                        Some("approve") => true,
                        Some("decline") => false,
                        _ => return Err(AppError::NotFound),
                    };
                    store::decide(conn, &meeting, &id, approve, note, &account, now())?;
                    Ok(if approve {
                        Done::Approved
                    } else {
                        Done::Rejected
                    })
                }
                "book" => {
                    let booking = Booking::parse(&booking)?;
                    store::book(conn, &meeting, &id, &booking, &account, now())?;
                    Ok(Done::Saved)
                }
                "letter" => {
                    letters::issue(conn, &meeting, &id, &sealer, &account, now())?;
                    Ok(Done::Created)
                }
                "revoke-letter" => {
                    letters::revoke_by_organizer(conn, &meeting, &id, &account, now())?;
                    Ok(Done::Revoked)
                }
                _ => Err(AppError::NotFound),
            })
            .await?;
        state.wake_mailer();
        Ok(done_at(&page, done))
    }
    .await;
    result.on_page(&ctx)
}

async fn letter_pdf(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, id) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        super::routes::letter_pdf(&state, move |_| Ok(meeting), id).await
    }
    .await;
    result.on_page(&ctx)
}

/// The rooming list for a person: headings in the page's language.
async fn rooming_list(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, format) = path.into_inner();
    let result = async {
        let format = match format.as_str() {
            "csv" => crate::exports::FileFormat::Csv,
            "xlsx" => crate::exports::FileFormat::Xlsx,
            _ => return Err(AppError::NotFound),
        };
        let meeting = organized(&state, &slug, &current.account_id).await?;
        super::rooming::export(&meeting, crate::exports::Reader::Person(ctx.lang))
            .download(&state.pools, format)
            .await
    }
    .await;
    result.on_page(&ctx)
}
