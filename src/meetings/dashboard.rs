//! The organizer's meetings: the list, creating and editing one, and its summary with charts.

use super::model::{MeetingDraft, MeetingForm, Translation};
use super::{store, Meeting};
use crate::db::now;
use crate::error::{AppError, Checks, FieldError, Problem};
use crate::i18n::{countries, Catalogue};
use crate::registrations::pages::country_options;
use crate::values::{Language, Slug};
use crate::web::confirm::{done_at, Done};
use crate::web::dashboard::{bar_chart, meeting_page, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, filled, Field, FormState};
use crate::web::page::{layout, respond, OnPage, PageContext, PageError, PageResult};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use maud::{html, Markup};
use std::collections::{BTreeMap, HashMap};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizer", web::get().to(my_meetings))
        .route("/organizer/meetings/new", web::get().to(new_meeting_form))
        .route("/organizer/meetings/new", web::post().to(create_meeting))
        .route("/organizer/m/{slug}", web::get().to(summary))
        .route("/organizer/m/{slug}/edit", web::get().to(edit_meeting_form))
        .route("/organizer/m/{slug}/edit", web::post().to(update_meeting));
}

type Fields = web::Form<HashMap<String, String>>;

pub fn meeting_status_label(t: &Catalogue, status: &str) -> &'static str {
    match status {
        "published" => t.meeting_published,
        "closed" => t.meeting_closed,
        "cancelled" => t.meeting_cancelled,
        _ => t.meeting_draft,
    }
}

/// A `datetime-local` value ("2030-05-29T09:00") in the zone, as RFC 3339.
pub fn local_to_rfc3339(value: &str, zone: Tz) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Some(zone.from_local_datetime(&naive).earliest()?.to_rfc3339())
}

/// A stored time as a `datetime-local` value in the meeting's zone.
pub fn to_local_input(meeting: &Meeting, at: NaiveDateTime) -> String {
    meeting.local(at).format("%Y-%m-%dT%H:%M").to_string()
}

fn number(value: Option<&String>, field: &str, checks: &mut Checks) -> Option<i64> {
    let text = value.map(|v| v.trim()).filter(|v| !v.is_empty())?;
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            checks.add(field, Problem::new("invalid", "must be a whole number"));
            None
        }
    }
}

/// The form's fields for Spanish and English titles and descriptions, read back by
/// [`translations_from`].
pub(crate) fn translation_fields(t: &Catalogue, form: &FormState) -> Markup {
    html! {
        (Field::new("title_es", t.title_es).hint(t.title_es_hint).input(form))
        (Field::new("description_es", t.description_es).textarea(form))
        (Field::new("title_en", t.title_en).hint(t.title_en_hint).input(form))
        (Field::new("description_en", t.description_en).textarea(form))
    }
}

/// The form's `title_es`, `description_es`, `title_en` and `description_en` as the API's
/// `translations` (blank ones are dropped when the draft is parsed).
pub(crate) fn translations_from(values: &HashMap<String, String>) -> BTreeMap<String, Translation> {
    Language::ALL
        .iter()
        .map(|language| {
            let code = language.as_str();
            let text = Translation {
                title: filled(values, &format!("title_{code}")),
                description: filled(values, &format!("description_{code}")),
                city: filled(values, &format!("city_{code}")),
            };
            (code.to_owned(), text)
        })
        .collect()
}

/// The dashboard form as the API's meeting body; times are local to the chosen zone.
fn meeting_form(values: &HashMap<String, String>) -> (MeetingForm, Vec<FieldError>) {
    let get = |name: &str| filled(values, name);
    let zone: Tz = get("timezone")
        .and_then(|z| z.parse().ok())
        .unwrap_or(Tz::UTC);
    let mut checks = Checks::default();
    let mut time = |name: &str| match get(name) {
        None => None,
        Some(value) => match local_to_rfc3339(&value, zone) {
            Some(at) => Some(at),
            None => {
                checks.add(name, Problem::new("invalid", "not a date and time"));
                None
            }
        },
    };
    let (starts_at, ends_at) = (time("starts_at"), time("ends_at"));
    let (opens, closes) = (
        time("registration_opens_at"),
        time("registration_closes_at"),
    );
    let capacity = number(values.get("capacity"), "capacity", &mut checks);
    let per_org = number(
        values.get("per_organization_limit"),
        "per_organization_limit",
        &mut checks,
    );
    let threshold = number(
        values.get("approval_threshold"),
        "approval_threshold",
        &mut checks,
    );
    let reminder = number(
        values.get("invitation_reminder_days"),
        "invitation_reminder_days",
        &mut checks,
    );
    let form = MeetingForm {
        // Left empty, the address is made from the title ("Taller Ñandú 2030" → "taller-nandu-2030").
        slug: get("slug").or_else(|| get("title").and_then(|title| Slug::suggest(&title))),
        title: get("title"),
        description: get("description"),
        venue: get("venue"),
        address: get("address"),
        city: get("city"),
        country: get("country"),
        timezone: get("timezone"),
        starts_at,
        ends_at,
        registration_opens_at: opens,
        registration_closes_at: closes,
        capacity,
        per_organization_limit: per_org,
        approval_threshold: threshold,
        requires_approval: Some(values.get("requires_approval").is_some_and(|v| v == "on")),
        languages: Some(vec!["es".into(), "en".into()]),
        status: get("status"),
        translations: Some(translations_from(values)),
        contact_email: get("contact_email"),
        invitation_reminder_days: reminder,
        signatory_name: get("signatory_name"),
        signatory_title: get("signatory_title"),
        travel_support: Some(values.get("travel_support").is_some_and(|v| v == "on")),
        visa_letters: Some(values.get("visa_letters").is_some_and(|v| v == "on")),
    };
    match checks.into_error() {
        AppError::Invalid(errors) => (form, errors),
        _ => (form, Vec::new()),
    }
}

/// Checks the whole form: problems found reading it, and those of the meeting, all at once.
fn parse_meeting(values: &HashMap<String, String>) -> Result<MeetingDraft, Vec<FieldError>> {
    let (form, mut errors) = meeting_form(values);
    match MeetingDraft::parse(&form) {
        Ok(draft) if errors.is_empty() => Ok(draft),
        Ok(_) => Err(errors),
        Err(AppError::Invalid(more)) => {
            let known: Vec<Option<String>> = errors.iter().map(|e| e.field.clone()).collect();
            errors.extend(more.into_iter().filter(|e| !known.contains(&e.field)));
            Err(errors)
        }
        Err(_) => Err(errors),
    }
}

fn meeting_values(meeting: &Meeting) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut put = |k: &str, v: String| {
        values.insert(k.to_owned(), v);
    };
    put("slug", meeting.slug.clone());
    put("title", meeting.title.clone());
    put("description", meeting.description.clone());
    put("venue", meeting.venue.clone());
    put("address", meeting.address.clone());
    put("city", meeting.city.clone());
    if let Some(contact) = &meeting.contact_email {
        put("contact_email", contact.clone());
    }
    if let Some(days) = meeting.invitation_reminder_days {
        put("invitation_reminder_days", days.to_string());
    }
    for (name, value) in [
        ("signatory_name", &meeting.signatory_name),
        ("signatory_title", &meeting.signatory_title),
    ] {
        if let Some(value) = value {
            put(name, value.clone());
        }
    }
    put("country", meeting.country.clone());
    put("timezone", meeting.timezone.clone());
    put("starts_at", to_local_input(meeting, meeting.starts_at));
    put("ends_at", to_local_input(meeting, meeting.ends_at));
    if let Some(at) = meeting.registration_opens_at {
        put("registration_opens_at", to_local_input(meeting, at));
    }
    if let Some(at) = meeting.registration_closes_at {
        put("registration_closes_at", to_local_input(meeting, at));
    }
    if let Some(n) = meeting.capacity {
        put("capacity", n.to_string());
    }
    if let Some(n) = meeting.per_organization_limit {
        put("per_organization_limit", n.to_string());
    }
    if let Some(n) = meeting.approval_threshold {
        put("approval_threshold", n.to_string());
    }
    for (name, on) in [
        ("requires_approval", meeting.requires_approval),
        ("travel_support", meeting.travel_support),
        ("visa_letters", meeting.visa_letters),
    ] {
        if on {
            put(name, "on".into());
        }
    }
    put("status", meeting.status.clone());
    for (language, text) in meeting.translations() {
        if let Some(title) = text.title {
            put(&format!("title_{}", language.as_str()), title);
        }
        if let Some(description) = text.description {
            put(&format!("description_{}", language.as_str()), description);
        }
        if let Some(city) = text.city {
            put(&format!("city_{}", language.as_str()), city);
        }
    }
    values
}

fn meeting_fields(t: &Catalogue, ctx: &PageContext, form: &FormState) -> Markup {
    let statuses = [
        ("draft", t.meeting_draft),
        ("published", t.meeting_published),
        ("closed", t.meeting_closed),
        ("cancelled", t.meeting_cancelled),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()));
    let zones: Vec<(String, String)> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|z| z.name().contains('/') && !z.name().starts_with("Etc/"))
        .map(|z| (z.name().to_owned(), z.name().replace('_', " ")))
        .collect();
    html! {
        fieldset {
            legend { (t.title) }
            (Field::new("title", t.title).hint(t.title_hint).required().input(form))
            (Field::new("slug", t.slug).hint(t.slug_hint).input(form))
            (Field::new("description", t.description).textarea(form))
            (translation_fields(t, form))
        }
        fieldset {
            legend { (t.where_) }
            (Field::new("venue", t.venue).input(form))
            (Field::new("address", t.street_address).hint(t.street_address_hint).input(form))
            (Field::new("city", t.city).hint(t.city_hint).input(form))
            (Field::new("city_es", t.city_es).input(form))
            (Field::new("city_en", t.city_en).input(form))
            (Field::new("country", t.meeting_country).required().select(form, t.choose, &country_options(ctx.lang)))
        }
        fieldset {
            legend { (t.when) }
            (Field::new("timezone", t.timezone).required().select(form, t.choose, &zones))
            p.muted { (t.local_times_hint) }
            (Field::new("starts_at", t.starts).kind("datetime-local").required().input(form))
            (Field::new("ends_at", t.ends).kind("datetime-local").required().input(form))
            (Field::new("registration_opens_at", t.registration_opens).kind("datetime-local").input(form))
            (Field::new("registration_closes_at", t.registration_closes).kind("datetime-local").input(form))
        }
        fieldset {
            legend { (t.registrations) }
            (Field::new("capacity", t.capacity).kind("number").hint(t.no_limit_hint).input(form))
            (Field::new("per_organization_limit", t.per_organization_limit).kind("number").hint(t.no_limit_hint).input(form))
            (checkbox(form, "requires_approval", t.requires_approval, false))
            (Field::new("approval_threshold", t.approval_threshold).kind("number").hint(t.approval_threshold_hint).input(form))
            (Field::new("contact_email", t.contact_email).kind("email").hint(t.contact_email_hint).input(form))
            (Field::new("invitation_reminder_days", t.invitation_reminder_days).kind("number").hint(t.invitation_reminder_hint).input(form))
            (Field::new("status", t.meeting_status).required().select(form, t.choose, &statuses))
        }
        fieldset {
            legend { (t.certificate_heading) }
            (Field::new("signatory_name", t.signatory_name).hint(t.signatory_name_hint).input(form))
            (Field::new("signatory_title", t.signatory_title).input(form))
        }
        fieldset {
            legend { (t.travel.heading) }
            (checkbox(form, "travel_support", t.travel.travel_support, false))
            (checkbox(form, "visa_letters", t.travel.visa_letters, false))
            p.hint { (t.travel.visa_letters_hint) }
        }
    }
}

async fn my_meetings(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
) -> PageResult {
    let account = current.account_id.clone();
    let result = state.read(move |conn| store::organized_list(conn, &account)).await.map(|meetings| {
        let t = ctx.t();
        respond(&ctx, StatusCode::OK, layout(&ctx, t.your_meetings, html! {
            h1 { (t.your_meetings) }
            p { a.button href="/organizer/meetings/new" { (t.new_meeting) } }
            @if meetings.is_empty() { p { (t.empty_list) } }
            ul {
                @for meeting in &meetings {
                    li {
                        a href={ "/organizer/m/" (meeting.slug) } { (meeting.title_in(ctx.lang)) }
                        " · " (crate::meetings::pages::when(meeting, ctx.lang))
                        " · " span.badge { (meeting_status_label(ctx.t(), &meeting.status)) }
                    }
                }
            }
        }))
    });
    result.on_page(&ctx)
}

fn meeting_form_page(
    ctx: &PageContext,
    csrf: Markup,
    action: &str,
    heading: &str,
    form: &FormState,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    respond(
        ctx,
        status,
        layout(
            ctx,
            heading,
            html! {
                p { a href="/organizer" { (t.your_meetings) } }
                h1 { (heading) }
                (error_summary(form, t))
                form method="post" action=(action) novalidate {
                    (csrf)
                    (meeting_fields(t, ctx, form))
                    button type="submit" { (t.save) }
                }
            },
        ),
    )
}

async fn new_meeting_form(Dashboard { current, ctx }: Dashboard) -> HttpResponse {
    let mut form = FormState::default();
    form.values
        .insert("timezone".into(), "America/Mexico_City".into());
    form.values.insert("status".into(), "draft".into());
    meeting_form_page(
        &ctx,
        current.field(),
        "/organizer/meetings/new",
        ctx.t().new_meeting,
        &form,
        StatusCode::OK,
    )
}

fn input_name(field: &str) -> String {
    match field {
        "translations" => "title_es".to_owned(),
        other => other.to_owned(),
    }
}

async fn create_meeting(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    current.check(&values).on_page(&ctx)?;
    let t = ctx.t();
    let draft = match parse_meeting(&values) {
        Ok(draft) => draft,
        Err(errors) => {
            let form = FormState::new(values).with_errors(&errors, t, input_name);
            return Ok(meeting_form_page(
                &ctx,
                current.field(),
                "/organizer/meetings/new",
                t.new_meeting,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let account = current.account_id.clone();
    match state
        .write(move |conn| store::create(conn, &draft, &account, now()))
        .await
    {
        Ok(meeting) => Ok(done_at(
            &format!("/organizer/m/{}", meeting.slug),
            Done::Created,
        )),
        Err(AppError::Conflict {
            code: "slug_taken", ..
        }) => {
            let mut form = FormState::new(values);
            form.errors.insert("slug".into(), t.error_slug_taken);
            Ok(meeting_form_page(
                &ctx,
                current.field(),
                "/organizer/meetings/new",
                t.new_meeting,
                &form,
                StatusCode::CONFLICT,
            ))
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}

/// The meeting, if the logged-in organizer organizes it.
pub async fn organized(
    state: &AppState,
    slug: &str,
    account_id: &str,
) -> Result<Meeting, AppError> {
    let slug = slug_or_404(slug)?;
    let account = account_id.to_owned();
    state
        .read(move |conn| store::organized_by(conn, &slug, &account))
        .await
}

async fn summary(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let for_stats = meeting.clone();
        let stats = state.read(move |conn| crate::registrations::store::stats(conn, &for_stats)).await?;
        let t = ctx.t();
        let mut by_status: Vec<(String, i64)> = stats.by_status.iter().map(|(s, n)| (t.status_for_organizer(s).to_owned(), *n)).collect();
        by_status.sort_by_key(|row| std::cmp::Reverse(row.1));
        let mut by_kind: Vec<(String, i64)> = stats.by_organization_kind.iter().map(|(k, n)| (t.kind_of_organization(k).to_owned(), *n)).collect();
        by_kind.sort_by_key(|row| std::cmp::Reverse(row.1));
        let mut by_country: Vec<(String, i64)> = stats.by_country.iter().map(|(c, n)| (countries::name(c, ctx.lang).to_owned(), *n)).collect();
        by_country.sort_by_key(|row| std::cmp::Reverse(row.1));
        let base = format!("/organizer/m/{}", meeting.slug);
        Ok(meeting_page(&ctx, &meeting, Tab::Summary, StatusCode::OK, html! {
            p {
                (crate::meetings::pages::when(&meeting, ctx.lang)) " · " span.badge { (meeting_status_label(ctx.t(), &meeting.status)) }
                " · " a href={ "/m/" (meeting.slug) } { "/m/" (meeting.slug) }
            }
            @if let Some(left) = stats.seats_left { p { (crate::i18n::counted(left, t.seats_left)) } }
            p.muted {
                (t.emails_pending) ": " (stats.emails.get("pending").copied().unwrap_or(0))
                " · " (t.emails_dead) ": " (stats.emails.get("dead").copied().unwrap_or(0))
            }
            div.charts {
                (bar_chart(t.by_status, t.empty_list, &by_status))
                (bar_chart(t.by_kind, t.empty_list, &by_kind))
                (bar_chart(t.by_country, t.empty_list, &by_country))
            }
            h2 { (t.exports) }
            p {
                a.button.secondary href={ (base) "/registrations.csv?lang=" (ctx.lang.as_str()) } { (t.download_csv) } " "
                a.button.secondary href={ (base) "/registrations.xlsx?lang=" (ctx.lang.as_str()) } { (t.download_xlsx) }
            }
        }))
    }
    .await;
    result.on_page(&ctx)
}

async fn edit_meeting_form(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = organized(&state, &slug, &current.account_id)
        .await
        .map(|meeting| {
            let form = FormState::new(meeting_values(&meeting));
            edit_page(&ctx, &current.field(), &meeting, &form, StatusCode::OK)
        });
    result.on_page(&ctx)
}

fn edit_page(
    ctx: &PageContext,
    csrf: &Markup,
    meeting: &Meeting,
    form: &FormState,
    status: StatusCode,
) -> HttpResponse {
    let t = ctx.t();
    meeting_page(
        ctx,
        meeting,
        Tab::Edit,
        status,
        html! {
            (error_summary(form, t))
            form method="post" action={ "/organizer/m/" (meeting.slug) "/edit" } novalidate {
                (csrf)
                (meeting_fields(t, ctx, form))
                button type="submit" { (t.save) }
            }
        },
    )
}

async fn update_meeting(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    let values = fields.into_inner();
    current.check(&values).on_page(&ctx)?;
    let meeting = organized(&state, &slug, &current.account_id)
        .await
        .on_page(&ctx)?;
    let t = ctx.t();
    let draft = match parse_meeting(&values) {
        Ok(draft) => draft,
        Err(errors) => {
            let form = FormState::new(values).with_errors(&errors, t, input_name);
            return Ok(edit_page(
                &ctx,
                &current.field(),
                &meeting,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    // Cancelling a meeting stops its registration and says so on its page: asked first.
    let cancelling = draft.status == super::model::MeetingStatus::Cancelled
        && meeting.status() != super::model::MeetingStatus::Cancelled;
    if cancelling && !crate::web::confirm::confirmed(&values) {
        let question = crate::web::confirm::Question {
            question: crate::i18n::fill(
                t.confirm_cancel_meeting,
                &[("meeting", &meeting.title_in(ctx.lang))],
            ),
            consequence: t.cancel_meeting_consequence,
            yes: t.cancel_meeting_yes,
            action: format!("/organizer/m/{}/edit", meeting.slug),
            back: &format!("/organizer/m/{}/edit", meeting.slug),
        };
        return Ok(question.ask(&ctx, &meeting, Tab::Edit, &values));
    }
    let (account, id) = (current.account_id.clone(), meeting.id.clone());
    match state
        .write(move |conn| {
            store::update(
                conn,
                &id,
                &draft,
                &account,
                now(),
                crate::registrations::store::seat_waiting_list,
            )
        })
        .await
    {
        Ok(updated) => {
            state.wake_mailer();
            Ok(done_at(
                &format!("/organizer/m/{}", updated.slug),
                Done::Saved,
            ))
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}
