//! Question endpoints: the organizer makes, changes and removes a meeting's registration
//! questions; the meeting's view lists them for everyone, so a client can draw the form.

use super::store;
use super::{QuestionDraft, QuestionForm, QuestionView};
use crate::accounts::Organizer;
use crate::db::now;
use crate::error::AppResult;
use crate::meetings;
use crate::patch::Patch;
use crate::values::Language;
use crate::web::api_doc::{MeetingAccess, MeetingWrite, SlugPath};
use crate::web::slug_or_404;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/questions",
        web::post().to(create_question),
    )
    .route(
        "/api/v1/meetings/{slug}/questions/{code}",
        web::patch().to(update_question),
    )
    .route(
        "/api/v1/meetings/{slug}/questions/{code}",
        web::delete().to(delete_question),
    );
}

/// `{slug}` and a question's `{code}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SlugAndQuestionPath {
    /// The meeting slug
    pub slug: String,
    /// The question code
    pub code: String,
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/questions",
    tag = "organizer", summary = "Add a registration question",
    params(SlugPath), request_body = QuestionForm,
    responses((status = 201, description = "Created", body = QuestionView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn create_question(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<QuestionForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let draft = QuestionDraft::parse(&form)?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let question = store::create(conn, &meeting, &draft, &who.account_id, now())?;
            Ok(QuestionView::new(&question, Language::En))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    patch, path = "/api/v1/meetings/{slug}/questions/{code}",
    tag = "organizer", summary = "Change a question (its code stays)",
    params(SlugAndQuestionPath), request_body = QuestionForm,
    responses((status = 200, description = "Changed", body = QuestionView), MeetingWrite),
    security(("organizer" = []))
)]
pub(crate) async fn update_question(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
    patch: crate::web::body::Body<Patch>,
) -> AppResult<HttpResponse> {
    let (slug, code) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let patch = patch.into_inner();
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let question = store::update(conn, &meeting, &code, patch, &who.account_id, now())?;
            Ok(QuestionView::new(&question, Language::En))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/questions/{code}",
    tag = "organizer", summary = "Remove a question (answers to it are no longer shown)",
    params(SlugAndQuestionPath),
    responses((status = 204, description = "Removed"), MeetingAccess),
    security(("organizer" = []))
)]
pub(crate) async fn delete_question(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, code) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::delete(conn, &meeting, &code, &who.account_id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
