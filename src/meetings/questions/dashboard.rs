//! The dashboard's questions tab: the registration form's own questions in order, a form to
//! add or change one (its options one per line), and removing one.

use super::{store, Kind, LabelText, OptionForm, Question, QuestionDraft, QuestionForm};
use crate::accounts::pages::OrganizerSession;
use crate::db::now;
use crate::error::AppError;
use crate::i18n::Catalogue;
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::values::Language;
use crate::web::confirm::{self, done_at, Done};
use crate::web::dashboard::{meeting_page, Dashboard, Tab};
use crate::web::forms::{checkbox, error_summary, required_note, Field, FormState};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use std::collections::{BTreeMap, HashMap};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizer/m/{slug}/questions",
        web::get().to(questions_tab),
    )
    .route("/organizer/m/{slug}/questions", web::post().to(save))
    .route(
        "/organizer/m/{slug}/questions/{code}",
        web::get().to(edit_page),
    )
    .route(
        "/organizer/m/{slug}/questions/{code}",
        web::post().to(save_existing),
    )
    .route(
        "/organizer/m/{slug}/questions/{code}/remove",
        web::post().to(remove),
    );
}

type Fields = web::Form<HashMap<String, String>>;

/// A kind of question in words.
fn kind_name(t: &Catalogue, kind: Kind) -> &'static str {
    match kind {
        Kind::Text => t.kind_text,
        Kind::LongText => t.kind_long_text,
        Kind::YesNo => t.kind_yes_no,
        Kind::Choice => t.kind_choice,
        Kind::MultiChoice => t.kind_multi_choice,
        Kind::Date => t.kind_date,
        Kind::Number => t.kind_number,
        Kind::Country => t.kind_country,
    }
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    current: &OrganizerSession,
    meeting: &Meeting,
    form: &FormState,
    editing: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (id, language) = (meeting.id.clone(), ctx.lang);
    let (questions, categories) = state
        .read(move |conn| {
            let questions = store::of_meeting(conn, &id)?;
            let names = crate::meetings::categories::store::of_meeting(conn, &id)?
                .into_iter()
                .map(|c| {
                    let name = c.name_in(language);
                    (c.code, name)
                })
                .collect::<Vec<_>>();
            Ok((questions, names))
        })
        .await?;
    let t = ctx.t();
    let base = format!("/organizer/m/{}/questions", meeting.slug);
    let csrf = current.field();
    Ok(meeting_page(
        ctx,
        meeting,
        Tab::Questions,
        status,
        html! {
            @if editing.is_none() {
                h2 { (t.questions_tab) }
                p.muted { (t.questions_hint) }
                @if questions.is_empty() { p { (t.empty_list) } }
                @else {
                    ol.questions { @for q in &questions { (item(ctx, &base, &csrf, &categories, q)) } }
                }
            }
            (question_form(ctx, form, &base, &csrf, &categories, editing))
        },
    ))
}

/// One question in the list: label, kind, who is asked, options, and its actions.
fn item(
    ctx: &PageContext,
    base: &str,
    csrf: &Markup,
    categories: &[(String, String)],
    q: &Question,
) -> Markup {
    let t = ctx.t();
    let asked_of = match q.categories() {
        None => t.everyone.to_owned(),
        Some(codes) => codes
            .iter()
            .map(|code| {
                categories
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or(code.as_str(), |(_, name)| name.as_str())
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    html! {
        li {
            strong { (q.label_in(ctx.lang)) }
            @if q.required { " " span.badge { (t.required_badge) } }
            br;
            span.muted { (kind_name(t, q.kind())) " · " (asked_of) }
            @let options = q.options();
            @if !options.is_empty() {
                br; span.muted { (options.iter().map(|o| o.label_in(ctx.lang)).collect::<Vec<_>>().join(" · ")) }
            }
            div.actions {
                a.button.small.secondary href={ (base) "/" (q.code) } aria-label={ (t.edit) ": " (q.label) } { (t.edit) }
                " "
                form.inline method="post" action={ (base) "/" (q.code) "/remove" } {
                    (csrf.clone())
                    button.small.secondary type="submit" aria-label={ (t.delete) ": " (q.label) } { (t.delete) }
                }
            }
        }
    }
}

/// The form that adds a question, or changes the one being edited.
fn question_form(
    ctx: &PageContext,
    form: &FormState,
    base: &str,
    csrf: &Markup,
    categories: &[(String, String)],
    editing: Option<&str>,
) -> Markup {
    let t = ctx.t();
    let kinds: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_name(t, *k).to_owned()))
        .collect();
    html! {
    h2 { @if editing.is_some() { (t.edit_question) } @else { (t.add_question) } }
    (error_summary(form, t))
    (required_note(t))
    form method="post" action={ (base) @if let Some(code) = editing { "/" (code) } } novalidate {
        (csrf.clone())
        @if editing.is_none() {
            (Field::new("code", t.code).required().hint(t.code_hint).input(form))
        }
        (Field::new("label", t.label).required().input(form))
        (Field::new("label_es", t.label_es).input(form))
        (Field::new("kind", t.kind).required().select(form, t.choose, &kinds))
        (Field::new("options", t.options_field).hint(t.options_hint).textarea(form))
        (checkbox(form, "required", t.answer_required, false))
        fieldset {
            legend { (t.asked_of) }
            p.muted { (t.asked_of_hint) }
            @for (code, name) in categories {
                (checkbox(form, &format!("category_{code}"), name, false))
            }
        }
        (Field::new("position", t.position).kind("number").input(form))
        button type="submit" { (t.save) }
        @if editing.is_some() { " " a.button.secondary href=(base) { (t.go_back) } }
    }
    }
}

/// Options as the organizer writes them, one per line: `code: English label | etiqueta`.
fn options_of(text: &str) -> Vec<OptionForm> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (code, labels) = line.split_once(':').unwrap_or((line, line));
            let (en, es) = labels.split_once('|').unwrap_or((labels, ""));
            let mut translations = BTreeMap::new();
            if !es.trim().is_empty() {
                let label = Some(es.trim().to_owned());
                translations.insert("es".to_owned(), LabelText { label });
            }
            OptionForm {
                code: Some(code.trim().to_owned()),
                label: Some(en.trim().to_owned()),
                translations: Some(translations),
            }
        })
        .collect()
}

/// The options of a question as the form writes them.
fn options_text(question: &Question) -> String {
    question
        .options()
        .iter()
        .map(|choice| {
            match choice
                .translations
                .get(&Language::Es)
                .and_then(|t| t.label.as_deref())
            {
                Some(es) => format!("{}: {} | {es}", choice.code, choice.label),
                None => format!("{}: {}", choice.code, choice.label),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn form_of(values: &HashMap<String, String>, code: Option<&str>) -> QuestionForm {
    let get = |name: &str| values.get(name).cloned().filter(|v| !v.trim().is_empty());
    let mut translations = BTreeMap::new();
    if let Some(label) = get("label_es") {
        translations.insert("es".to_owned(), LabelText { label: Some(label) });
    }
    let mut categories: Vec<String> = values
        .iter()
        .filter(|(name, value)| name.starts_with("category_") && value.as_str() == "on")
        .map(|(name, _)| name["category_".len()..].to_owned())
        .collect();
    categories.sort();
    QuestionForm {
        code: code.map(str::to_owned).or_else(|| get("code")),
        label: get("label"),
        translations: Some(translations),
        kind: get("kind"),
        options: Some(options_of(&get("options").unwrap_or_default())),
        required: Some(values.get("required").is_some_and(|v| v == "on")),
        categories: (!categories.is_empty()).then_some(categories),
        position: get("position").map(|p| p.trim().parse().unwrap_or(-1)),
    }
}

async fn questions_tab(
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
            None,
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
        let q = state
            .read(move |conn| store::by_code(conn, &id, &lookup))
            .await?;
        let mut values = HashMap::from([
            ("label".to_owned(), q.label.clone()),
            ("kind".to_owned(), q.kind.clone()),
            ("options".to_owned(), options_text(&q)),
            ("position".to_owned(), q.position.to_string()),
        ]);
        if let Some(label) = q.translations().remove(&Language::Es).and_then(|t| t.label) {
            values.insert("label_es".to_owned(), label);
        }
        if q.required {
            values.insert("required".to_owned(), "on".to_owned());
        }
        for code in q.categories().unwrap_or_default() {
            values.insert(format!("category_{code}"), "on".to_owned());
        }
        let form = FormState::new(values);
        render(
            &state,
            &ctx,
            &current,
            &meeting,
            &form,
            Some(&code),
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
    save_question(
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
    save_question(state, dashboard, slug, Some(code), fields.into_inner()).await
}

async fn save_question(
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
                        let draft = QuestionDraft::parse(&form)?;
                        store::create(conn, &for_store, &draft, &account, at).map(|_| ())
                    }
                    Some(code) => {
                        let patch = crate::patch::Patch::of(&form, &[])?;
                        store::update(conn, &for_store, &code, patch, &account, at).map(|_| ())
                    }
                }
            })
            .await;
        let base = format!("/organizer/m/{}/questions", meeting.slug);
        let t = ctx.t();
        match saved {
            Ok(()) => Ok(done_at(&base, Done::Saved)),
            Err(AppError::Invalid(errors)) => {
                let rename = |field: &str| match field {
                    "translations" => "label_es".to_owned(),
                    "categories" => "code".to_owned(),
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
                    code.as_deref(),
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
                    code.as_deref(),
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
        let base = format!("/organizer/m/{}/questions", meeting.slug);
        let t = ctx.t();
        if !confirm::confirmed(&fields) {
            return Ok(confirm::Question {
                question: crate::i18n::fill(t.confirm_remove_question, &[("code", &code)]),
                consequence: t.remove_question_consequence,
                yes: t.delete,
                action: format!("{base}/{code}/remove"),
                back: &base,
            }
            .ask(&ctx, &meeting, Tab::Questions, &fields));
        }
        let (for_store, account) = (meeting.clone(), current.account_id.clone());
        state
            .write(move |conn| store::delete(conn, &for_store, &code, &account, now()))
            .await?;
        Ok(done_at(&base, Done::Deleted))
    }
    .await;
    result.on_page(&ctx)
}
