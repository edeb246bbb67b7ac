//! The OpenAPI document of the JSON API, generated from the handlers' annotations and the
//! types they read and write, served at `/api/v1/openapi.json`.

use crate::accounts::handed_out::TokenForm;
use crate::accounts::handed_out::TokenView;
use crate::accounts::handed_out_routes::TokenCreated;
use crate::accounts::routes::LoginForm;
use crate::accounts::routes::TokenAnswer;
use crate::agenda::model::{Room, RoomForm, SessionForm, SessionView};
use crate::agenda::routes::Agenda;
use crate::error::ErrorBody;
use crate::meetings::model::MeetingForm;
use crate::meetings::view::MeetingView;
use crate::press::model::Attendee;
use crate::press::store::{PressSummary, UseEntry};
use crate::registrations::model::{RegistrationForm, RegistrationView};
use crate::registrations::routes::{Accepted, ConfirmBody, Confirmation};
use crate::registrations::store::Stats;
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            (
                "organizer",
                "an organizer API token from POST /api/v1/auth/token",
            ),
            (
                "participant",
                "the manage token from the participant's emails",
            ),
            ("press", "a press token of the meeting"),
            ("desk", "a check-in desk token of the meeting"),
            (
                "delegation",
                "the focal point's token from the link /d/{token} emailed to them",
            ),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// Every operation that reads a body may answer 408 when the body does not arrive whole in
/// time (`web::guards::limit_body_time`); added here once rather than in each annotation.
struct SlowBodies;

impl Modify for SlowBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, ResponseBuilder};
        let timeout = ResponseBuilder::new()
            .description("The body did not arrive in time")
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                if operation.request_body.is_some() {
                    operation
                        .responses
                        .responses
                        .insert("408".into(), timeout.clone().into());
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Convene API", version = "1", description = "Registration and agenda service for regional, multi-stakeholder meetings. Errors are always {\"errors\": [{\"field\", \"code\", \"message\"}]}."),
    paths(
        crate::web::health::healthz,
        crate::web::health::readyz,
        crate::operations::endpoint::metrics,
        crate::accounts::routes::create_token,
        crate::meetings::routes::list_meetings,
        crate::meetings::routes::create_meeting,
        crate::meetings::routes::show_meeting,
        crate::meetings::routes::update_meeting,
        crate::meetings::categories::routes::create_category,
        crate::meetings::categories::routes::update_category,
        crate::meetings::categories::routes::delete_category,
        crate::meetings::questions::routes::create_question,
        crate::meetings::questions::routes::update_question,
        crate::meetings::questions::routes::delete_question,
        crate::invitations::routes::create_invitation,
        crate::invitations::routes::import_invitations,
        crate::invitations::routes::list_invitations,
        crate::invitations::routes::revoke_invitation,
        crate::invitations::routes::resend_invitation,
        crate::delegations::routes::create_delegation,
        crate::delegations::routes::list_delegations,
        crate::delegations::routes::update_delegation,
        crate::delegations::routes::delete_delegation,
        crate::delegations::focal::own_delegation,
        crate::delegations::focal::nominate,
        crate::delegations::focal::withdraw,
        crate::registrations::routes::register,
        crate::registrations::routes::list_registrations,
        crate::registrations::routes::export_registrations,
        crate::registrations::routes::export_registrations_xlsx,
        crate::registrations::routes::decide_registration,
        crate::registrations::routes::meeting_stats,
        crate::registrations::routes::confirm_registration,
        crate::registrations::routes::own_registration,
        crate::registrations::routes::update_own_registration,
        crate::registrations::routes::delete_own_registration,
        crate::registrations::routes::cancel_own_registration,
        crate::registrations::routes::own_calendar,
        crate::press::routes::list_attendees,
        crate::press::routes::attendees_csv,
        crate::press::routes::attendees_xlsx,
        crate::press::routes::attendees_summary,
        crate::press::routes::create_press_token,
        crate::press::routes::list_press_tokens,
        crate::press::routes::revoke_press_token,
        crate::press::routes::press_log,
        crate::checkin::routes::create_desk_token,
        crate::checkin::routes::list_desk_tokens,
        crate::checkin::routes::revoke_desk_token,
        crate::checkin::routes::desk_list,
        crate::checkin::routes::check_in,
        crate::travel::routes::list_travel,
        crate::travel::routes::decide_funding,
        crate::travel::routes::book_travel,
        crate::travel::routes::issue_letter,
        crate::travel::routes::revoke_letter,
        crate::travel::routes::organizer_letter,
        crate::travel::routes::own_letter,
        crate::travel::routes::rooming_list_csv,
        crate::travel::routes::rooming_list_xlsx,
        crate::webhooks::routes::create_webhook,
        crate::webhooks::routes::list_webhooks,
        crate::webhooks::routes::delete_webhook,
        crate::checkin::routes::check_in_batch,
        crate::checkin::routes::undo,
        crate::checkin::files::attendance_csv,
        crate::checkin::files::badges_pdf,
        crate::checkin::files::own_certificate,
        crate::checkin::files::organizer_certificate,
        crate::agenda::routes::show_agenda,
        crate::agenda::routes::agenda_calendar,
        crate::agenda::routes::list_rooms,
        crate::agenda::routes::create_room,
        crate::agenda::routes::update_room,
        crate::agenda::routes::delete_room,
        crate::agenda::routes::create_session,
        crate::agenda::routes::update_session,
        crate::agenda::routes::delete_session,
        openapi_json,
    ),
    components(schemas(
        ErrorBody, Accepted, LoginForm, ConfirmBody, Confirmation, TokenAnswer, TokenCreated,
        Agenda, crate::web::health::Health,
        MeetingForm, MeetingView, RegistrationForm, RegistrationView, Stats, Attendee, PressSummary,
        TokenForm, TokenView, UseEntry, Room, RoomForm, SessionForm, SessionView,
        crate::checkin::CheckInForm, crate::checkin::CheckInAnswer, crate::checkin::DeskParticipant,
        crate::checkin::routes::DeskPage,
        crate::webhooks::WebhookForm, crate::webhooks::WebhookView, crate::webhooks::WebhookCreated,
        crate::webhooks::DeliveryView,
        crate::checkin::routes::BatchForm, crate::checkin::routes::BatchAnswer,
        crate::checkin::routes::BatchResult, crate::checkin::routes::UndoForm,
    )),
    modifiers(&BearerSchemes, &SlowBodies),
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json")
    )
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// The methods the document lists for a path (matched against its templates), as an `Allow`
/// header value; `None` for a path it does not know. A known path asked with another method is
/// answered 405 with this.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    static TEMPLATES: OnceLock<Vec<(Vec<String>, String)>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let Some(paths) = doc["paths"].as_object() else {
            return Vec::new();
        };
        paths
            .iter()
            .map(|(template, item)| {
                let methods = ["get", "put", "post", "delete", "patch"]
                    .into_iter()
                    .filter(|m| item.get(*m).is_some())
                    .map(str::to_ascii_uppercase)
                    .collect::<Vec<_>>()
                    .join(", ");
                (template.split('/').map(str::to_owned).collect(), methods)
            })
            .collect()
    });
    let segments: Vec<&str> = path.split('/').collect();
    templates
        .iter()
        .find(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                })
        })
        .map(|(_, methods)| methods.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route registered in a `routes.rs` (and the operations ones) is in the document,
    /// with its method: the document is generated, and this keeps it complete.
    #[test]
    fn every_api_route_is_documented() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let route = route_finder();
        let root = env!("CARGO_MANIFEST_DIR");
        let mut seen = 0;
        for file in ["accounts", "meetings", "registrations", "press", "agenda"]
            .map(|d| format!("{root}/src/{d}/routes.rs"))
            .into_iter()
            .chain([format!("{root}/src/app.rs")])
        {
            let source = std::fs::read_to_string(&file).unwrap();
            for (path, method) in route(&source) {
                if !(path.starts_with("/api/")
                    || ["/healthz", "/readyz", "/metrics"].contains(&path.as_str()))
                {
                    continue;
                }
                seen += 1;
                assert!(
                    paths.get(&path).and_then(|p| p.get(&method)).is_some(),
                    "{method} {path} is not in the OpenAPI document"
                );
            }
        }
        assert!(seen > 30, "the routes were found ({seen})");
        for scheme in ["organizer", "participant", "press"] {
            assert!(doc["components"]["securitySchemes"][scheme].is_object());
        }
    }

    #[test]
    fn known_paths_name_their_methods() {
        assert_eq!(allowed_methods("/api/v1/meetings"), Some("GET, POST"));
        assert_eq!(allowed_methods("/api/v1/meetings/abc"), Some("GET, PATCH"));
        assert_eq!(
            allowed_methods("/api/v1/meetings/abc/registrations/x/approve"),
            Some("POST")
        );
        assert_eq!(allowed_methods("/api/v1/meetings//rooms"), None);
        assert_eq!(allowed_methods("/api/v1/nothing"), None);
    }

    /// A tiny matcher for `.route("path", web::method()`, enough for rustfmt's layout.
    fn route_finder() -> impl Fn(&str) -> Vec<(String, String)> {
        |source: &str| {
            let mut found = Vec::new();
            let mut rest = source;
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + 7..];
                let trimmed = rest.trim_start();
                let Some(body) = trimmed.strip_prefix('"') else {
                    continue;
                };
                let Some(end) = body.find('"') else { continue };
                let path = body[..end].to_owned();
                let after = body[end + 1..]
                    .trim_start()
                    .trim_start_matches(',')
                    .trim_start();
                if let Some(method) = after
                    .strip_prefix("web::")
                    .and_then(|m| m.split('(').next())
                {
                    found.push((path, method.to_owned()));
                }
            }
            found
        }
    }
}
