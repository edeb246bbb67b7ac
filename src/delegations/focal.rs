//! The focal point's API, with the delegation's token (`Authorization: Bearer`): see the
//! delegation, nominate delegates, withdraw them. It reaches that delegation alone.

use super::store::{self, Nominee};
use super::Delegation;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::invitations::{InvitationForm, NewInvitation};
use crate::meetings;
use crate::web::api_doc::{BadBody, Conflict, Forbidden, NotFound, Unauthorized};
use crate::web::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/delegation", web::get().to(own_delegation))
        .route("/api/v1/delegation/nominations", web::post().to(nominate))
        .route(
            "/api/v1/delegation/nominations/{id}",
            web::delete().to(withdraw),
        );
}

/// A focal point, known by their delegation's token.
pub struct FocalPoint {
    pub delegation: Delegation,
}

impl FromRequest for FocalPoint {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = crate::accounts::routes::bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(AppError::Unauthenticated)?;
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            let delegation = state
                .read(move |conn| store::by_token(conn, &token))
                .await?
                .ok_or(AppError::Unauthenticated)?;
            Ok(Self { delegation })
        })
    }
}

/// A nominee as the focal point sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NominationView {
    pub id: String,
    pub full_name: String,
    pub email: String,
    /// `invited`, the registration's status (`confirmed`, `waitlisted`, `pending_approval`,
    /// `cancelled`…), or `withdrawn`.
    pub status: &'static str,
}

impl NominationView {
    fn new(nominee: &Nominee) -> Self {
        Self {
            id: nominee.invitation.id.clone(),
            full_name: nominee.invitation.full_name.clone(),
            email: nominee.invitation.email.clone(),
            status: nominee.status(),
        }
    }
}

/// The meeting as the focal point sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FocalMeeting {
    pub slug: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
}

/// The focal point's delegation, and its nominees.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FocalView {
    pub meeting: FocalMeeting,
    pub organization: super::OrganizationView,
    pub category: String,
    pub seats: i64,
    pub nomination_deadline: Option<String>,
    pub nominations_open: bool,
    pub nominations: Vec<NominationView>,
}

/// The delegation and its nominees as the focal point sees them, read in one go.
pub fn focal_view(conn: &mut crate::db::DbConn, delegation: &Delegation) -> AppResult<FocalView> {
    let meeting = meetings::store::by_id(conn, &delegation.meeting_id)?;
    let language = delegation.focal_language();
    let nominees = store::nominees(conn, &delegation.id)?;
    Ok(FocalView {
        meeting: FocalMeeting {
            slug: meeting.slug.clone(),
            title: meeting.title_in(language),
            starts_at: meeting.rfc3339(meeting.starts_at),
            ends_at: meeting.rfc3339(meeting.ends_at),
        },
        organization: super::OrganizationView {
            name: delegation.organization_name.clone(),
            kind: delegation.organization_kind.clone(),
            country: delegation.organization_country.clone(),
        },
        category: delegation.category.clone(),
        seats: delegation.seats,
        nomination_deadline: delegation.nomination_deadline.map(|at| meeting.rfc3339(at)),
        nominations_open: delegation.nominations_open(now()),
        nominations: nominees.iter().map(NominationView::new).collect(),
    })
}

#[utoipa::path(
    get, path = "/api/v1/delegation",
    tag = "focal point", summary = "The focal point's delegation and its nominees",
    responses((status = 200, description = "The delegation", body = FocalView), Unauthorized),
    security(("delegation" = []))
)]
pub(crate) async fn own_delegation(
    state: web::Data<AppState>,
    who: FocalPoint,
) -> AppResult<HttpResponse> {
    let view = state
        .read(move |conn| focal_view(conn, &who.delegation))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A nominee as the focal point names them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Luis Ajú", "email": "luis.aju@example.org", "language": "es"}))]
pub struct NominationForm {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

impl NominationForm {
    /// The invitation it sends (the delegation fills in organisation and category).
    /// A nominee is named: unlike an organizer's invitation, the name is required.
    pub fn invitation(&self) -> AppResult<NewInvitation> {
        let mut checks = crate::error::Checks::default();
        let form = InvitationForm {
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            language: self.language.clone(),
            ..Default::default()
        };
        let new = NewInvitation::check(&form, &mut checks);
        if self
            .full_name
            .as_deref()
            .is_none_or(|name| name.trim().is_empty())
        {
            checks.add("full_name", crate::error::Problem::required());
        }
        match new {
            Some(new) if checks.is_clean() => Ok(new),
            _ => Err(checks.into_error()),
        }
    }
}

#[utoipa::path(
    post, path = "/api/v1/delegation/nominations",
    tag = "focal point",
    summary = "Nominate a delegate (they get an invitation bound to their address)",
    request_body = NominationForm,
    responses(
        (status = 201, description = "Nominated and invited", body = NominationView),
        (status = 409, description = "delegation_full, nominations_closed, already_invited or already_registered"),
        Unauthorized, BadBody
    ),
    security(("delegation" = []))
)]
pub(crate) async fn nominate(
    state: web::Data<AppState>,
    who: FocalPoint,
    form: crate::web::body::Body<NominationForm>,
) -> AppResult<HttpResponse> {
    let new = form.invitation()?;
    let nominee = state
        .write(move |conn| {
            let invitation = store::nominate(conn, &who.delegation.id, &new, now())?;
            Ok(NominationView::new(&Nominee {
                invitation,
                registration: None,
            }))
        })
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::Created().json(nominee))
}

#[utoipa::path(
    delete, path = "/api/v1/delegation/nominations/{id}",
    tag = "focal point",
    summary = "Withdraw a nominee (their registration, if any, is cancelled; the seat returns)",
    params(("id" = String, Path, description = "The nomination's id")),
    responses(
        (status = 204, description = "Withdrawn"),
        Unauthorized, Forbidden, NotFound, Conflict
    ),
    security(("delegation" = []))
)]
pub(crate) async fn withdraw(
    state: web::Data<AppState>,
    who: FocalPoint,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = crate::web::id_cursor(Some(&id))
        .ok()
        .flatten()
        .ok_or(AppError::NotFound)?;
    state
        .write(move |conn| store::withdraw(conn, &who.delegation, &id, now()))
        .await?;
    state.wake_mailer();
    Ok(HttpResponse::NoContent().finish())
}
