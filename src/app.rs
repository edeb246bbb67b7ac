//! The application assembled: the HTTP server with every domain's routes and the middleware,
//! and the email worker.

use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbConn, Pools};
use crate::email::transport::Transport;
use crate::email::worker::Worker;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::cache::RenderCache;
use crate::web::health;
use crate::web::state::AppState;
use crate::web::RateLimiter;
use crate::{accounts, agenda, meetings, press, registrations};
use actix_web::dev::Service;
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// No scripts at all, styles from our one stylesheet, forms only to ourselves, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub struct Server {
    server: actix_web::dev::Server,
    port: u16,
    pub base_url: String,
    /// The email worker runs as long as this is kept.
    mailer: Option<crate::email::worker::Running>,
    /// The webhook worker, likewise.
    webhooks: Option<crate::webhooks::worker::Running>,
}

impl Server {
    /// Opens the database, runs the migrations, binds the address and starts the email worker.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let pools = open_database(&url, settings.max_connections).await?;
        let sealer = data_key(&pools, &url, settings.data_key.clone()).await?;
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
        let mut state = AppState::new(
            pools.clone(),
            RenderCache::new(settings.public_cache_ttl),
            base_url.clone(),
            RateLimiter::new(
                settings.rate_limit_per_minute,
                settings.trusted_proxies.clone(),
            ),
            settings.registrations_per_client,
            mail_wakeup.clone(),
            sealer,
        );
        state.webhook_allow_private = settings.webhook_allow_private;
        let state = web::Data::new(state);
        let webhooks = if settings.run_worker {
            let worker = crate::webhooks::worker::Worker {
                pools: pools.clone(),
                settings: settings.worker.clone(),
                allow_private: settings.webhook_allow_private,
            };
            Some(crate::webhooks::worker::spawn(worker)?)
        } else {
            None
        };
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
        let https = base_url.starts_with("https://");
        let server = serve_http(listener, &settings, state, https)?;
        Ok(Self {
            server,
            port: address.port(),
            base_url,
            mailer,
            webhooks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run(self) -> std::io::Result<()> {
        let _mailer = self.mailer;
        let _webhooks = self.webhooks;
        self.server.await
    }
}

/// Brings a database up to date, at every start of the server or the CLI: the migrations, then
/// what a migration cannot do because it needs Rust: organisations re-keyed by the current rule
/// (`rekey_organizations`), search keys folded where a migration emptied them
/// (`refold_search_text`).
pub fn bring_up_to_date(conn: &mut DbConn) -> AppResult<()> {
    db::migrate(conn).map_err(AppError::Unexpected)?;
    crate::registrations::store::rekey_organizations(conn)?;
    crate::registrations::store::refold_search_text(conn).map(|_| ())
}

/// Opens the pools and brings the database up to date ([`bring_up_to_date`]).
async fn open_database(url: &DatabaseUrl, max: u32) -> anyhow::Result<Pools> {
    let pools = {
        let url = url.clone();
        web::block(move || Pools::open(&url, max)).await??
    };
    pools
        .write_apart(bring_up_to_date)
        .await
        .context("cannot migrate the database")?;
    Ok(pools)
}

/// The key that seals passport numbers and dates of birth ([`crate::travel::sealed::load`]),
/// with where it came from in the log.
async fn data_key(
    pools: &Pools,
    url: &DatabaseUrl,
    given: Option<crate::config::KeyText>,
) -> anyhow::Result<crate::travel::sealed::Sealer> {
    use crate::travel::sealed::{load, KeySource};
    let database = match url {
        DatabaseUrl::Sqlite(path) => Some(std::path::PathBuf::from(path)),
        DatabaseUrl::Postgres(_) => None,
    };
    let loaded = pools
        .write_apart(move |conn| {
            load(
                conn,
                database.as_deref(),
                given.as_ref().map(|k| k.0.as_str()),
            )
            .map_err(AppError::Unexpected)
        })
        .await;
    let (sealer, source) = match loaded {
        Ok(loaded) => loaded,
        Err(AppError::Unexpected(error)) => return Err(error),
        Err(other) => anyhow::bail!("cannot read the data key: {other}"),
    };
    match source {
        KeySource::Environment => tracing::info!("data key: from CONVENE_DATA_KEY"),
        KeySource::File(path) => tracing::info!(key.file = %path.display(), "data key: from its file"),
        KeySource::Made(path) => tracing::warn!(
            key.file = %path.display(),
            "data key: made one in this file; back it up with the database (without it, passport details for visa letters cannot be read)"
        ),
        KeySource::Ephemeral => tracing::info!("data key: one for this process (in-memory database)"),
        KeySource::None => tracing::warn!(
            "data key: none (CONVENE_DATA_KEY is not set), so passport details for visa letters cannot be stored"
        ),
    }
    Ok(sealer)
}

/// The HTTP server on `listener`: the shared state and extractor settings, the headers and
/// guards every response passes, the request log, and the routes.
fn serve_http(
    listener: TcpListener,
    settings: &Settings,
    state: web::Data<AppState>,
    https: bool,
) -> anyhow::Result<actix_web::dev::Server> {
    let body_limit = settings.body_limit;
    let body_timeout = settings.request_body_timeout;
    let server = HttpServer::new(move || {
        let metrics = state.metrics.clone();
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
            .wrap_fn(move |req, srv| {
                // Counted and logged under the route pattern, never the path: paths can hold
                // tokens.
                let started = Instant::now();
                let method = req.method().clone();
                let route = metrics.pattern(req.request());
                let response = srv.call(req);
                let metrics = metrics.clone();
                async move {
                    let response = response.await?;
                    let status = response.status().as_u16();
                    let elapsed = started.elapsed();
                    metrics.request(&route, method.as_str(), status, elapsed);
                    tracing::info!(
                        http.method = %method,
                        http.route = %route,
                        http.status = status,
                        http.elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                        "request"
                    );
                    Ok(response)
                }
            })
            .configure(routes)
            .default_service(web::to(not_found))
    })
    .client_request_timeout(settings.client_request_timeout)
    .client_disconnect_timeout(Duration::from_secs(2))
    .keep_alive(Duration::from_secs(30))
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}

/// Every domain's routes, the API document, health and the stylesheet.
fn routes(cfg: &mut web::ServiceConfig) {
    // The router tries routes in this order, a regex for each pattern with a `{…}`: the
    // sign-up (the busiest write, and the one a rush of participants makes), then the public
    // reads, the busiest, first. A pattern moved up must not shadow one below it.
    cfg.configure(registrations::routes::configure_signup)
        .configure(registrations::pages::configure_signup)
        .configure(meetings::configure)
        .configure(meetings::categories::routes::configure)
        .configure(meetings::questions::routes::configure)
        .configure(crate::invitations::routes::configure)
        .configure(crate::delegations::routes::configure)
        .configure(crate::delegations::focal::configure)
        .configure(crate::checkin::routes::configure)
        .configure(crate::travel::routes::configure)
        .configure(crate::webhooks::routes::configure)
        .configure(crate::webhooks::dashboard::configure)
        .configure(crate::travel::verify::configure)
        .configure(crate::travel::dashboard::configure)
        .configure(crate::checkin::files::configure)
        .configure(crate::checkin::pages::configure)
        .configure(crate::checkin::dashboard::configure)
        .configure(crate::delegations::pages::configure)
        .configure(crate::invitations::dashboard::configure)
        .configure(crate::delegations::dashboard::configure)
        .configure(meetings::categories::dashboard::configure)
        .configure(meetings::questions::dashboard::configure)
        .configure(agenda::configure)
        .configure(meetings::pages::configure)
        .route(
            "/api/v1/openapi.json",
            web::get().to(crate::openapi::openapi_json),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route(
            "/metrics",
            web::get().to(crate::operations::endpoint::metrics),
        )
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
        );
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

/// Unknown addresses: a JSON error under the API, a page elsewhere.
async fn not_found(req: HttpRequest) -> AppResult<HttpResponse> {
    if let Some(allow) = crate::openapi::allowed_methods(req.path()) {
        if !allow.split(", ").any(|m| m == req.method().as_str()) {
            return Err(AppError::MethodNotAllowed(allow));
        }
    }
    let operations = ["/healthz", "/readyz", "/metrics"];
    if req.path().starts_with("/api/") || operations.contains(&req.path()) {
        Err(AppError::NotFound)
    } else {
        let ctx = crate::web::page::PageContext::new(&req);
        let page = crate::web::page::PageError::new(&ctx, AppError::NotFound);
        Ok(actix_web::ResponseError::error_response(&page))
    }
}
