//! Invitation endpoints: the organizer sends (one, or a CSV file), lists, resends and revokes;
//! a registration carrying an invitation's token registers its address at once.

use super::{csv_import, refused, store, InvitationForm, InvitationView, NewInvitation};
use crate::accounts::Organizer;
use crate::audit::Actor;
use crate::db::now;
use crate::error::{AppError, AppResult, Checks, Problem};
use crate::meetings;
use crate::registrations::model::{NewRegistration, RegistrationForm, RegistrationView};
use crate::values::Slug;
use crate::web::api_doc::{
    BadFields, MeetingAccess, MeetingWrite, PagingQuery, SlugAndIdPath, SlugPath,
};
use crate::web::state::AppState;
use crate::web::{id_cursor, slug_or_404, Page, PageRequest, PagingParams};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/meetings/{slug}/invitations",
        web::post().to(create_invitation),
    )
    .route(
        "/api/v1/meetings/{slug}/invitations",
        web::get().to(list_invitations),
    )
    // The file is read to its own limit, above the API's: 5,000 lines fit in it.
    .route(
        "/api/v1/meetings/{slug}/invitations.csv",
        web::post().to(import_invitations),
    )
    .route(
        "/api/v1/meetings/{slug}/invitations/{id}",
        web::delete().to(revoke_invitation),
    )
    .route(
        "/api/v1/meetings/{slug}/invitations/{id}/resend",
        web::post().to(resend_invitation),
    );
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/invitations",
    tag = "organizer", summary = "Invite one address (emails it a link bound to it)",
    params(SlugPath), request_body = InvitationForm,
    responses(
        (status = 201, description = "Sent", body = InvitationView),
        (status = 409, description = "already_invited or already_registered"),
        MeetingWrite
    ),
    security(("organizer" = []))
)]
pub(crate) async fn create_invitation(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    form: crate::web::body::Body<InvitationForm>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let new = NewInvitation::parse(&form)?;
    let view = state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let sender = store::Sender::Organizer(&who.account_id);
            let invitation = store::create(conn, &meeting, &new, sender, now())?;
            Ok(InvitationView::new(&meeting, invitation))
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/invitations.csv",
    tag = "organizer",
    summary = "Invite from a CSV file (all or none; at most 5,000 lines and 2 MiB)",
    description = "Header `email,full_name,organization,organization_kind,country,category,language` \
        (any order; `email` required; comma, semicolon or tab). A bad line refuses the file, \
        named `lines[N].column` with N its line in the file (the header is line 1). Addresses \
        already invited or registered, or given twice, are reported in `skipped`.",
    params(SlugPath),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, description = "Sent", body = store::Imported),
        (status = 413, description = "Over 5,000 lines or 2 MiB"),
        MeetingWrite
    ),
    security(("organizer" = []))
)]
pub(crate) async fn import_invitations(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    // Whose meeting first: a stranger learns nothing of how the file would have read.
    let account = who.account_id.clone();
    let meeting = state
        .read(move |conn| meetings::store::organized_by(conn, &slug, &account))
        .await?;
    let lines = csv_import::parse(&read_file(body).await?)?;
    let imported = state
        .write(move |conn| store::import(conn, &meeting, &lines, &who.account_id, now()))
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(imported))
}

/// The file as sent, at most [`csv_import::MAX_BYTES`]: more is a 413 in the API's own shape.
async fn read_file(mut body: web::Payload) -> AppResult<web::BytesMut> {
    use futures_util::StreamExt;
    let mut file = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| {
            AppError::invalid(
                "file",
                Problem::new("malformed", "the file could not be read"),
            )
        })?;
        if file.len() + chunk.len() > csv_import::MAX_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        file.extend_from_slice(&chunk);
    }
    Ok(file)
}

#[utoipa::path(
    get, path = "/api/v1/meetings/{slug}/invitations",
    tag = "organizer", summary = "A meeting's invitations, in the order they were sent",
    params(SlugPath, PagingQuery),
    responses(
        (status = 200, description = "A page of invitations", body = Page<InvitationView>),
        MeetingAccess, BadFields
    ),
    security(("organizer" = []))
)]
pub(crate) async fn list_invitations(
    state: web::Data<AppState>,
    who: Organizer,
    slug: web::Path<String>,
    query: web::Query<PagingParams>,
) -> AppResult<HttpResponse> {
    let slug = slug_or_404(&slug)?;
    let PageRequest { limit, cursor } = query.parse()?;
    let page = state
        .read(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let (rows, next_cursor) = store::list(conn, &meeting.id, limit, cursor.as_deref())?;
            let items = rows
                .into_iter()
                .map(|row| InvitationView::new(&meeting, row))
                .collect();
            Ok(Page { items, next_cursor })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(
    delete, path = "/api/v1/meetings/{slug}/invitations/{id}",
    tag = "organizer", summary = "Revoke an unused invitation (its link stops)",
    params(SlugAndIdPath),
    responses(
        (status = 204, description = "Revoked"),
        (status = 409, description = "invitation_used"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn revoke_invitation(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let id = id_cursor(Some(&id))
        .ok()
        .flatten()
        .ok_or(AppError::NotFound)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            let actor = Actor::Account(&who.account_id);
            store::revoke(conn, &meeting, &id, &actor, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/meetings/{slug}/invitations/{id}/resend",
    tag = "organizer", summary = "Email an unused invitation again, with a new link",
    params(SlugAndIdPath),
    responses(
        (status = 202, description = "On its way"),
        (status = 409, description = "invitation_closed: used or revoked"),
        MeetingAccess
    ),
    security(("organizer" = []))
)]
pub(crate) async fn resend_invitation(
    state: web::Data<AppState>,
    who: Organizer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let slug = slug_or_404(&slug)?;
    let id = id_cursor(Some(&id))
        .ok()
        .flatten()
        .ok_or(AppError::NotFound)?;
    state
        .write(move |conn| {
            let meeting = meetings::store::organized_by(conn, &slug, &who.account_id)?;
            store::resend(conn, &meeting, &id, &who.account_id, now())
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Accepted().finish())
}

/// The registration form as an invitation fixes it: its address (one that differs is a 422
/// `invitation_mismatch` on `email`) and its category.
pub fn bind(form: &mut RegistrationForm, invitation: &super::Invitation) -> AppResult<()> {
    let mut checks = Checks::default();
    match form
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => form.email = Some(invitation.email.clone()),
        Some(email) if email.to_lowercase() == invitation.email_key => {}
        Some(_) => checks.add(
            "email",
            Problem::new(
                "invitation_mismatch",
                "an invitation registers the address it was sent to",
            ),
        ),
    }
    match form.category.as_deref() {
        Some(code) if code != invitation.category => checks.add(
            "category",
            Problem::new(
                "invitation_mismatch",
                "the invitation is for another category",
            ),
        ),
        _ => form.category = Some(invitation.category.clone()),
    }
    match checks.is_clean() {
        true => Ok(()),
        false => Err(checks.into_error()),
    }
}

/// Registers through the invitation whose token the body carries: 201 with the registration,
/// decided at once (the link proved the address), its manage link emailed.
pub(crate) async fn register_invited(
    state: &AppState,
    slug: Slug,
    mut form: RegistrationForm,
) -> AppResult<HttpResponse> {
    let token = form.invitation.take().unwrap_or_default();
    let (lookup, presented) = (slug.clone(), token.clone());
    let (invitation, questionnaire, travel) = state
        .read(move |conn| {
            let meeting = meetings::store::public_by_slug(conn, &lookup)?;
            let invitation = store::by_token(conn, &presented)?;
            if let Some(refusal) = refused(invitation.as_ref(), &meeting) {
                return Err(refusal);
            }
            let questionnaire = meetings::questions::store::questionnaire(conn, &meeting.id)?;
            let travel = crate::travel::TravelRules::of(&meeting, now().date());
            Ok((invitation.ok_or(AppError::NotFound)?, questionnaire, travel))
        })
        .await?;
    bind(&mut form, &invitation)?;
    let new = NewRegistration::parse_with_travel(&form, &questionnaire, &travel)?
        .sealed_by(&state.sealer);
    let view: RegistrationView = state
        .write(move |conn| {
            let meeting = meetings::store::public_by_slug(conn, &slug)?;
            let id = store::register(conn, &meeting, &token, &new, now())?;
            crate::registrations::store::view(conn, &id)
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(view))
}
