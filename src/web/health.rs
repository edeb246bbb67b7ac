//! Health for operators and load balancers: the process is up; the database answers.

use super::state::AppState;
use crate::db;
use actix_web::{web, HttpResponse};
use std::time::Duration;

/// What `/healthz` and `/readyz` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[utoipa::path(
    get, path = "/healthz",
    tag = "operations", summary = "The process is up",
    responses((status = 200, description = "Up", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Ready when the database answers within a second.
#[utoipa::path(
    get, path = "/readyz",
    tag = "operations", summary = "The database answers",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer", body = Health)
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pools.read.clone();
    let ready = web::block(move || {
        pool.get_timeout(Duration::from_secs(1))
            .map(|mut conn| db::ping(&mut conn))
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if ready {
        HttpResponse::Ok().json(Health { status: "ready" })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "database unreachable",
        })
    }
}
