//! The state every request handler reaches: the database pools, the cache of public reads,
//! the rate limit and the email worker's wake-up. Nothing here is state another instance would
//! need: the database holds all of that.

use super::cache::RenderCache;
use super::RateLimiter;
use crate::config::host_of;
use crate::db::{DbConn, Pools};
use crate::error::AppResult;
use crate::registrations::signup_context::SignupContexts;
use actix_web::HttpRequest;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::Notify;

/// What every request handler can reach.
pub struct AppState {
    pub pools: Pools,
    /// Rendered public reads; every `write` invalidates them.
    pub public: RenderCache,
    /// What registrations read of their meeting, kept as long as rendered reads.
    pub signups: SignupContexts,
    pub base_url: String,
    /// Host part of the base URL, for calendar UIDs and Message-IDs.
    pub host: String,
    limiter: RateLimiter,
    registrations_per_client: u32,
    mail_wakeup: Arc<Notify>,
    /// Seals and opens passport numbers and dates of birth.
    pub sealer: crate::travel::sealed::Sealer,
    /// This server's Prometheus metrics.
    pub metrics: Arc<crate::operations::metrics::Metrics>,
    /// `CONVENE_WEBHOOK_ALLOW_PRIVATE`: webhooks may be registered on private addresses.
    pub webhook_allow_private: bool,
}

impl AppState {
    pub fn new(
        pools: Pools,
        public: RenderCache,
        base_url: String,
        limiter: RateLimiter,
        registrations_per_client: u32,
        mail_wakeup: Arc<Notify>,
        sealer: crate::travel::sealed::Sealer,
    ) -> Self {
        Self {
            pools,
            signups: SignupContexts::new(public.ttl()),
            public,
            host: host_of(&base_url),
            base_url,
            limiter,
            registrations_per_client,
            mail_wakeup,
            sealer,
            metrics: Arc::default(),
            webhook_allow_private: false,
        }
    }

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
        self.signups.invalidate();
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
        self.signups.invalidate();
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

    /// The address a request comes from, as the rate limit believes it (behind a trusted
    /// proxy, from `X-Forwarded-For`).
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.limiter.client(req)
    }

    /// Registrations accepted from one client in one meeting within an hour (0: no limit).
    pub fn registrations_per_client(&self) -> u32 {
        self.registrations_per_client
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
