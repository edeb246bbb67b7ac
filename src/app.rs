//! The application: shared state, the HTTP server with every domain's routes, the email worker.

use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbConn, Pools};
use crate::email::transport::Transport;
use crate::email::worker::{host_of, Worker};
use crate::error::{AppError, AppResult, FieldError};
use crate::registrations::model::ClientGuard;
use crate::web::cache::RenderCache;
use crate::web::RateLimiter;
use crate::{accounts, agenda, meetings, press, registrations};
use actix_web::dev::Service;
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use futures_util::future::Either;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// No scripts at all, styles from our one stylesheet, forms only to ourselves, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every request handler can reach. Nothing here is state another instance would need:
/// the database holds all of that.
pub struct AppState {
    pub pools: Pools,
    /// Rendered public reads; every `write` invalidates them.
    pub public: RenderCache,
    pub base_url: String,
    /// Host part of the base URL, for calendar UIDs and Message-IDs.
    pub host: String,
    limiter: RateLimiter,
    registrations_per_client: u32,
    mail_wakeup: Arc<Notify>,
}

impl AppState {
    pub async fn read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.pools.read(work).await
    }

    /// A write; afterwards no public read rendered before it is served again.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let result = self.pools.write(work).await;
        self.public.invalidate();
        result
    }

    /// A write that deletes personal data (`Pools::erase`); like `write`, it drops rendered
    /// public reads.
    pub async fn erase<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let result = self.pools.erase(work).await;
        self.public.invalidate();
        result
    }

    /// A write that changes nothing a public read shows, such as a new registration (pending
    /// until confirmed, it holds no seat): rendered reads stay valid.
    pub async fn write_unseen<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.pools.write(work).await
    }

    /// Applies the per-address limit of public writing endpoints.
    pub fn rate_limit(&self, req: &HttpRequest) -> AppResult<()> {
        self.limiter.check(req)
    }

    /// The client a registration comes from, for the bound on its registrations per meeting.
    pub fn client_guard(&self, req: &HttpRequest) -> ClientGuard {
        ClientGuard::new(self.limiter.client(req), self.registrations_per_client)
    }

    /// Whether the site is served over https: cookies are then `Secure`.
    pub fn secure(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// Tells this instance's email worker that new mail is waiting (others poll).
    pub fn wake_mailer(&self) {
        self.mail_wakeup.notify_one();
    }
}

pub struct Server {
    server: actix_web::dev::Server,
    port: u16,
    pub base_url: String,
    /// The email worker runs as long as this is kept.
    mailer: Option<crate::email::worker::Running>,
}

impl Server {
    /// Opens the database, runs the migrations, binds the address and starts the email worker.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let max = settings.max_connections;
        let pools = {
            let url = url.clone();
            web::block(move || Pools::open(&url, max)).await??
        };
        pools
            .write_apart(|conn| {
                db::migrate(conn).map_err(AppError::Unexpected)?;
                crate::registrations::store::rekey_organizations(conn).map(|_| ())
            })
            .await
            .context("cannot migrate the database")?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let base_url = settings
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let transport = Transport::from_url(&settings.mail_url)?;
        let from = settings.mail_from.parse().with_context(|| {
            format!("CONVENE_MAIL_FROM is not a mailbox: {}", settings.mail_from)
        })?;
        tracing::info!(
            http.address = %address,
            db.backend = %url.describe(),
            mail.transport = transport.describe(),
            "convene is listening"
        );
        let mail_wakeup = Arc::new(Notify::new());
        let state = web::Data::new(AppState {
            pools: pools.clone(),
            public: RenderCache::new(settings.public_cache_ttl),
            host: host_of(&base_url),
            base_url: base_url.clone(),
            limiter: RateLimiter::new(
                settings.rate_limit_per_minute,
                settings.trusted_proxies.clone(),
            ),
            registrations_per_client: settings.registrations_per_client,
            mail_wakeup: mail_wakeup.clone(),
        });
        let mailer = if settings.run_worker {
            let worker = Worker {
                pools,
                transport,
                settings: settings.worker.clone(),
                from,
                base_url: base_url.clone(),
                wakeup: mail_wakeup,
            };
            Some(crate::email::worker::spawn(worker)?)
        } else {
            None
        };
        let body_limit = settings.body_limit;
        let body_timeout = settings.request_body_timeout;
        let https = base_url.starts_with("https://");
        let server = HttpServer::new(move || {
            let mut headers = middleware::DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                .add(("X-Frame-Options", "DENY"))
                // Page addresses can hold tokens: never pass them on to another site.
                .add(("Referrer-Policy", "no-referrer"));
            if https {
                // Served over https: browsers must never fall back to http for a year.
                headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
            }
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(query_config())
                .app_data(form_config())
                .wrap(headers)
                .wrap_fn(move |mut req, srv| {
                    crate::web::guards::limit_body_time(&mut req, body_timeout);
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        crate::web::guards::no_store_unless_public(&mut response);
                        Ok(response)
                    }
                })
                .wrap_fn(|req, srv| {
                    // Only when the line will be written: finding the pattern walks the routes
                    // again, a cost the cached public reads would feel.
                    if !tracing::enabled!(tracing::Level::INFO) {
                        return Either::Left(srv.call(req));
                    }
                    // Log the route pattern, never the path: paths can hold tokens.
                    let started = Instant::now();
                    let method = req.method().clone();
                    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                    let response = srv.call(req);
                    Either::Right(async move {
                        let response = response.await?;
                        tracing::info!(
                            http.method = %method,
                            http.route = %route,
                            http.status = response.status().as_u16(),
                            http.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                            "request"
                        );
                        Ok(response)
                    })
                })
                // The router tries routes in this order: the public reads, the busiest, first.
                .configure(meetings::configure)
                .configure(agenda::configure)
                .configure(meetings::pages::configure)
                .route(
                    "/api/v1/openapi.json",
                    web::get().to(crate::openapi::openapi_json),
                )
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .configure(accounts::configure)
                .configure(registrations::configure)
                .configure(press::configure)
                .configure(registrations::pages::configure)
                .configure(press::pages::configure)
                .configure(accounts::pages::configure)
                .configure(meetings::dashboard::configure)
                .configure(registrations::dashboard::configure)
                .configure(agenda::dashboard::configure)
                .configure(press::dashboard::configure)
                .route(
                    "/static/convene.css",
                    web::get().to(crate::web::page::stylesheet),
                )
                .default_service(web::to(not_found))
        })
        .client_request_timeout(settings.client_request_timeout)
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(30))
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Self {
            server,
            port: address.port(),
            base_url,
            mailer,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run(self) -> std::io::Result<()> {
        let _mailer = self.mailer;
        self.server.await
    }
}

fn malformed(message: String) -> AppError {
    AppError::Invalid(vec![FieldError {
        field: None,
        code: "malformed",
        message,
        session: None,
    }])
}

/// HTML forms: a body past its deadline answers 408 like the JSON API; other problems keep
/// actix's answers (400, 413).
fn form_config() -> web::FormConfig {
    web::FormConfig::default().error_handler(|error, _req| match &error {
        actix_web::error::UrlencodedError::Payload(p) if crate::web::guards::timed_out(p) => {
            AppError::RequestTimeout.into()
        }
        _ => error.into(),
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _req| malformed(format!("bad query: {error}")).into())
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "The process is up", responses((status = 200, description = "Up", body = crate::openapi::Health)))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Ready when the database answers within a second.
#[utoipa::path(get, path = "/readyz", tag = "operations", summary = "The database answers", responses((status = 200, description = "Ready", body = crate::openapi::Health), (status = 503, description = "The database does not answer", body = crate::openapi::Health)))]
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pools.read.clone();
    let ready = web::block(move || {
        pool.get_timeout(Duration::from_secs(1))
            .map(|mut conn| db::ping(&mut conn))
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if ready {
        HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "database unreachable"}))
    }
}

/// Unknown addresses: a JSON error under the API, a page elsewhere.
async fn not_found(req: HttpRequest) -> AppResult<HttpResponse> {
    if let Some(allow) = crate::openapi::allowed_methods(req.path()) {
        if !allow.split(", ").any(|m| m == req.method().as_str()) {
            return Err(AppError::MethodNotAllowed(allow));
        }
    }
    if req.path().starts_with("/api/") || req.path() == "/healthz" || req.path() == "/readyz" {
        Err(AppError::NotFound)
    } else {
        let ctx = crate::web::page::PageContext::new(&req);
        Ok(crate::web::page::error_page(&ctx, &AppError::NotFound))
    }
}
