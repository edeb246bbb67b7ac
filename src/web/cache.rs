//! Public reads (a meeting, its agenda, its page) rendered once and served from memory.
//!
//! An entry serves until this instance writes anything a public page shows (every write through
//! `AppState::write` moves the generation on) or until it is `ttl` old, which bounds how long a
//! change made by another instance on the same database takes to show here.

use super::guards::public_read;
use super::{etag_of, respond_cached};
use crate::error::AppResult;
use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// More keys than this and expired entries are swept out; keys come only from meetings that
/// exist, times the languages and kinds of read.
const SWEEP_ABOVE: usize = 4096;

#[derive(Clone)]
struct Rendered {
    body: Bytes,
    /// Made once, cloned cheaply into every response.
    etag: HeaderValue,
    made: Instant,
    generation: u64,
}

/// One key's render, and the gate its renderers pass one at a time.
#[derive(Default)]
struct Slot {
    rendered: Option<Rendered>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

pub struct RenderCache {
    ttl: Duration,
    generation: AtomicU64,
    slots: Mutex<HashMap<String, Slot>>,
}

/// A fresh render, or the gate to pass before rendering one.
enum Lookup {
    Hit(Rendered),
    Miss(Arc<tokio::sync::Mutex<()>>),
}

impl RenderCache {
    /// A `ttl` of zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// How long a render is served.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Something public may have changed: nothing rendered before now is served again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The rendered body under `key`, rendering it with `render` when there is no fresh one;
    /// answered with its `ETag`, or `304` when the client has it, and marked public (cacheable).
    ///
    /// One request at a time renders a key: when an entry expires under load, the others wait
    /// for that render instead of all reading the database at once.
    pub async fn serve<F, Fut>(
        &self,
        req: &HttpRequest,
        key: String,
        content_type: &'static str,
        render: F,
    ) -> AppResult<HttpResponse>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Vec<u8>>>,
    {
        let gate = match self.lookup(&key) {
            Lookup::Hit(hit) => {
                return Ok(public_read(respond_cached(
                    req,
                    content_type,
                    hit.etag,
                    hit.body,
                )))
            }
            Lookup::Miss(gate) => gate,
        };
        let _rendering = gate.lock().await;
        if let Lookup::Hit(hit) = self.lookup(&key) {
            return Ok(public_read(respond_cached(
                req,
                content_type,
                hit.etag,
                hit.body,
            )));
        }
        // Read before rendering: a write during the render makes this render stale at once.
        let generation = self.generation.load(Ordering::SeqCst);
        let body = Bytes::from(render().await?);
        let etag = etag_of(&body);
        self.keep(
            key,
            Rendered {
                body: body.clone(),
                etag: etag.clone(),
                made: Instant::now(),
                generation,
            },
        );
        Ok(public_read(respond_cached(req, content_type, etag, body)))
    }

    fn lookup(&self, key: &str) -> Lookup {
        if self.ttl.is_zero() {
            return Lookup::Miss(Arc::default());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get(key) {
            return match &slot.rendered {
                Some(hit) if hit.generation == generation && hit.made.elapsed() < self.ttl => {
                    Lookup::Hit(hit.clone())
                }
                _ => Lookup::Miss(slot.gate.clone()),
            };
        }
        if slots.len() >= SWEEP_ABOVE {
            let ttl = self.ttl;
            slots.retain(|_, slot| {
                Arc::strong_count(&slot.gate) > 1
                    || slot
                        .rendered
                        .as_ref()
                        .is_some_and(|r| r.generation == generation && r.made.elapsed() < ttl)
            });
        }
        if slots.len() >= SWEEP_ABOVE {
            return Lookup::Miss(Arc::default());
        }
        Lookup::Miss(slots.entry(key.to_owned()).or_default().gate.clone())
    }

    fn keep(&self, key: String, rendered: Rendered) {
        if self.ttl.is_zero() {
            return;
        }
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get_mut(&key) {
            slot.rendered = Some(rendered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use std::sync::atomic::AtomicUsize;

    async fn body_of(cache: &RenderCache, renders: &AtomicUsize, text: &str) -> String {
        let req = TestRequest::default().to_http_request();
        let response = cache
            .serve(&req, "k".into(), "text/plain", || async {
                renders.fetch_add(1, Ordering::SeqCst);
                Ok(text.as_bytes().to_vec())
            })
            .await
            .unwrap();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[actix_web::test]
    async fn serves_until_invalidated_or_old() {
        let cache = RenderCache::new(Duration::from_millis(200));
        let renders = AtomicUsize::new(0);
        assert_eq!(body_of(&cache, &renders, "one").await, "one");
        assert_eq!(body_of(&cache, &renders, "two").await, "one", "kept");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        cache.invalidate();
        assert_eq!(body_of(&cache, &renders, "three").await, "three");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(body_of(&cache, &renders, "four").await, "four", "too old");
        assert_eq!(renders.load(Ordering::SeqCst), 3);

        let off = RenderCache::new(Duration::ZERO);
        assert_eq!(body_of(&off, &renders, "a").await, "a");
        assert_eq!(body_of(&off, &renders, "b").await, "b");
    }

    #[actix_web::test]
    async fn one_request_renders_while_the_others_wait_for_it() {
        let cache = RenderCache::new(Duration::from_secs(60));
        let renders = AtomicUsize::new(0);
        let slow_render = || async {
            renders.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok(b"rendered".to_vec())
        };
        let req = TestRequest::default().to_http_request();
        let readers = (0..16).map(|_| cache.serve(&req, "k".into(), "text/plain", slow_render));
        let answers = futures_util::future::join_all(readers).await;
        assert!(answers
            .iter()
            .all(|a| a.as_ref().is_ok_and(|r| r.status() == 200)));
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }
}
