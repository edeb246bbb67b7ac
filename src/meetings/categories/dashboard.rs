//! The dashboard's categories tab: each category with its seats and rules, a form to add one
//! or change one, and removing one no registration is in.

use super::{store, CategoryDraft, CategoryForm, CategoryText, CategoryView};
use crate::accounts::pages::OrganizerSession;
use crate::db::now;
use crate::error::AppError;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, required_note, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;
use std::collections::{BTreeMap, HashMap};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizer/m/{slug}/categories",
        web::get().to(categories_tab),
    )
    .route("/organizer/m/{slug}/categories", web::post().to(save))
    .route(
        "/organizer/m/{slug}/categories/{code}",
        web::get().to(edit_page),
    )
    .route(
        "/organizer/m/{slug}/categories/{code}",
        web::post().to(save_existing),
    )
    .route(
        "/organizer/m/{slug}/categories/{code}/remove",
        web::post().to(remove),
    );
}

type Fields = web::Form<HashMap<String, String>>;

async fn render(
    state: &AppState,
    ctx: &PageContext,
    current: &OrganizerSession,
    meeting: &Meeting,
    form: &FormState,
    (editing, notice): (Option<&str>, Option<&str>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (for_read, language) = (meeting.clone(), ctx.lang);
    let categories: Vec<CategoryView> = state
        .read(move |conn| {
            let taken = crate::meetings::store::seats_taken(conn, &for_read.id)?;
            store::views(conn, &for_read, for_read.seats_left(taken), language)
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/categories", meeting.slug);
    let csrf = current.field();
    let yes_no = |value: bool| t.yes_no(value);
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Categories,
        status,
        html! {
            @if let Some(notice) = notice { div.notice.bad role="alert" { p { (notice) } } }
            @if editing.is_none() {
                h2 { (t.categories_tab) }
                div.table-wrap {
                    table.cards {
                        thead { tr {
                            th { (t.name) } th { (t.capacity) } th { (t.seats_left_heading) }
                            th { (t.requires_approval) } th { (t.invitation_only) } th { (t.press_accreditation) } th { "" }
                        } }
                        tbody { @for c in &categories {
                            tr {
                                td { strong { (c.name) } br; span.muted { (c.code) } }
                                td data-label=(t.capacity) { @match c.capacity { Some(n) => (n), None => (t.no_limit) } }
                                td data-label=(t.seats_left_heading) { @match c.seats_left { Some(n) => (n), None => (t.no_limit) } }
                                td data-label=(t.requires_approval) { (yes_no(c.requires_approval)) }
                                td data-label=(t.invitation_only) { (yes_no(c.invitation_only)) }
                                td data-label=(t.press_accreditation) { (yes_no(c.press_accreditation)) }
                                td {
                                    a.button.small.secondary href={ (base) "/" (c.code) } aria-label={ (t.edit) ": " (c.name) } { (t.edit) }
                                    " "
                                    form.inline method="post" action={ (base) "/" (c.code) "/remove" } {
                                        (csrf.clone())
                                        button.small.secondary type="submit" aria-label={ (t.delete) ": " (c.name) } { (t.delete) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
            h2 { @if editing.is_some() { (t.edit_category) } @else { (t.add_category) } }
            (error_summary(form, t))
            (required_note(t))
            form method="post" action={ (base) @if let Some(code) = editing { "/" (code) } } novalidate {
                (csrf.clone())
                @if editing.is_none() {
                    (Field::new("code", t.code).required().hint(t.code_hint).input(form))
                }
                (Field::new("name", t.name).required().input(form))
                (Field::new("name_es", t.name_es).input(form))
                (Field::new("capacity", t.capacity).kind("number").hint(t.no_limit_hint).input(form))
                (checkbox(form, "requires_approval", t.requires_approval, false))
                (checkbox(form, "invitation_only", t.invitation_only, false))
                (checkbox(form, "press_accreditation", t.press_accreditation, false))
                button type="submit" { (t.save) }
                @if editing.is_some() { " " a.button.secondary href=(base) { (t.go_back) } }
            }
        },
    ))
}

fn form_of(values: &HashMap<String, String>, code: Option<&str>) -> CategoryForm {
    let get = |name: &str| values.get(name).cloned().filter(|v| !v.trim().is_empty());
    let ticked = |name: &str| Some(values.get(name).is_some_and(|v| v == "on"));
    let mut translations = BTreeMap::new();
    if let Some(name) = get("name_es") {
        translations.insert("es".to_owned(), CategoryText { name: Some(name) });
    }
    CategoryForm {
        code: code.map(str::to_owned).or_else(|| get("code")),
        name: get("name"),
        translations: Some(translations),
        capacity: get("capacity").map(|n| n.trim().parse().unwrap_or(0)),
        requires_approval: ticked("requires_approval"),
        invitation_only: ticked("invitation_only"),
        press_accreditation: ticked("press_accreditation"),
    }
}

async fn categories_tab(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
) -> PageResult {
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = FormState::default();
        render(
            &state,
            &ctx,
            &current,
            &meeting,
            &form,
            (None, None),
            StatusCode::OK,
        )
        .await
    }
    .await;
    result.on_page(&ctx)
}

async fn edit_page(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, code) = path.into_inner();
    let result = async {
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let (id, lookup) = (meeting.id.clone(), code.clone());
        let category = state
            .read(move |conn| store::by_code(conn, &id, &lookup))
            .await?;
        let mut values = HashMap::new();
        values.insert("name".to_owned(), category.name.clone());
        if let Some(name) = category
            .translations()
            .remove(&crate::values::Language::Es)
            .and_then(|text| text.name)
        {
            values.insert("name_es".to_owned(), name);
        }
        if let Some(n) = category.capacity {
            values.insert("capacity".to_owned(), n.to_string());
        }
        for (name, on) in [
            ("requires_approval", category.requires_approval),
            ("invitation_only", category.invitation_only),
            ("press_accreditation", category.press_accreditation),
        ] {
            if on {
                values.insert(name.to_owned(), "on".to_owned());
            }
        }
        let form = FormState::new(values);
        render(
            &state,
            &ctx,
            &current,
            &meeting,
            &form,
            (Some(&code), None),
            StatusCode::OK,
        )
        .await
    }
    .await;
    result.on_page(&ctx)
}

async fn save(
    state: web::Data<AppState>,
    dashboard: Dashboard,
    slug: web::Path<String>,
    fields: Fields,
) -> PageResult {
    save_category(
        state,
        dashboard,
        slug.into_inner(),
        None,
        fields.into_inner(),
    )
    .await
}

async fn save_existing(
    state: web::Data<AppState>,
    dashboard: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, code) = path.into_inner();
    save_category(state, dashboard, slug, Some(code), fields.into_inner()).await
}

async fn save_category(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: String,
    code: Option<String>,
    values: HashMap<String, String>,
) -> PageResult {
    let result = async {
        current.check(&values)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let form = form_of(&values, code.as_deref());
        let (for_store, account, existing) =
            (meeting.clone(), current.account_id.clone(), code.clone());
        let saved = state
            .write(move |conn| {
                let at = now();
                match existing {
                    None => {
                        let draft = CategoryDraft::parse(&form)?;
                        store::create(conn, &for_store, &draft, &account, at).map(|_| ())
                    }
                    Some(code) => {
                        let after = crate::registrations::store::seat_waiting_list;
                        let patch = crate::patch::Patch::of(&form, &[])?;
                        store::update(conn, &for_store, &code, patch, &account, at, after)
                            .map(|_| ())
                    }
                }
            })
            .await;
        let base = format!("/organizer/m/{}/categories", meeting.slug);
        let t = ctx.t();
        match saved {
            Ok(()) => {
                state.wake_mailer();
                Ok(done_at(&base, Done::Saved))
            }
            Err(AppError::Invalid(errors)) => {
                let rename = |field: &str| match field {
                    "translations" => "name_es".to_owned(),
                    other => other.to_owned(),
                };
                let form = FormState::new(values.clone()).with_errors(&errors, t, rename);
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    &form,
                    (code.as_deref(), None),
                    status,
                )
                .await
            }
            Err(AppError::Conflict { .. }) => {
                let mut form = FormState::new(values.clone());
                form.errors.insert("code".into(), t.code_taken);
                let status = StatusCode::CONFLICT;
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    &form,
                    (code.as_deref(), None),
                    status,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}

async fn remove(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    let (slug, code) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let base = format!("/organizer/m/{}/categories", meeting.slug);
        let t = ctx.t();
        if !confirm::confirmed(&fields) {
            return Ok(confirm::Question {
                question: crate::i18n::fill(t.confirm_remove_category, &[("code", &code)]),
                consequence: t.remove_category_consequence,
                yes: t.delete,
                action: format!("{base}/{code}/remove"),
                back: &base,
            }
            .ask(&ctx, &meeting, Tab::Categories, &fields));
        }
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        let removed = state
            .write(move |conn| store::delete(conn, &for_store, &code, &account, now()))
            .await;
        match removed {
            Ok(()) => Ok(done_at(&base, Done::Deleted)),
            Err(AppError::Conflict { .. }) => {
                let form = FormState::default();
                let status = StatusCode::CONFLICT;
                let said = Some(t.category_in_use);
                render(
                    &state,
                    &ctx,
                    &current,
                    &meeting,
                    &form,
                    (None, said),
                    status,
                )
                .await
            }
            Err(error) => Err(error),
        }
    }
    .await;
    result.on_page(&ctx)
}
