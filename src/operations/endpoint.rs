//! The `/metrics` endpoint: this instance's counts, and the database's numbers read at most
//! once a second (the last ones kept while the database is away).

use super::metrics::snapshot;
use crate::error::AppResult;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

#[utoipa::path(
    get, path = "/metrics",
    tag = "operations", summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String))
)]
pub async fn metrics(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let metrics = state.metrics.clone();
    if metrics.claim_read() {
        // While the database is away the page still answers, with this instance's own counts
        // (and the database's last numbers): that is when an operator looks.
        match state.read(snapshot).await {
            Ok(snapshot) => metrics.set_snapshot(&snapshot),
            Err(error) => {
                tracing::warn!(error.cause = %error, "metrics: the database's numbers cannot be read")
            }
        }
    }
    metrics.set_pool("read", &state.pools.read);
    metrics.set_pool("write", &state.pools.write);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render()?))
}
