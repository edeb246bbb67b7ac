//! Public reads (a meeting, its agenda, its page) rendered once and served from memory.
//!
//! An entry serves until this instance writes anything a public page shows (every write through
//! `AppState::write` moves the generation on) or until it is `ttl` old, which bounds how long a
//! change made by another instance on the same database takes to show here.

use super::{etag_of, respond_cached};
use crate::error::AppResult;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// More keys than this and expired entries are swept out; keys come only from meetings that
/// exist, times the languages and kinds of read.
const SWEEP_ABOVE: usize = 4096;

#[derive(Clone)]
struct Rendered {
    body: Bytes,
    etag: String,
    made: Instant,
    generation: u64,
}

pub struct RenderCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Rendered>>,
}

impl RenderCache {
    /// A `ttl` of zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Something public may have changed: nothing rendered before now is served again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The rendered body under `key`, rendering it with `render` when there is no fresh one;
    /// answered with its `ETag`, or `304` when the client has it.
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
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(hit) = self.fresh(&key, generation) {
            return Ok(respond_cached(req, content_type, &hit.etag, hit.body));
        }
        let body = Bytes::from(render().await?);
        let etag = etag_of(&body);
        if !self.ttl.is_zero() {
            self.keep(
                key,
                Rendered {
                    body: body.clone(),
                    etag: etag.clone(),
                    made: Instant::now(),
                    generation,
                },
            );
        }
        Ok(respond_cached(req, content_type, &etag, body))
    }

    fn fresh(&self, key: &str, generation: u64) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|hit| hit.generation == generation && hit.made.elapsed() < self.ttl)
            .cloned()
    }

    fn keep(&self, key: String, rendered: Rendered) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_ABOVE {
            let (ttl, generation) = (self.ttl, self.generation.load(Ordering::SeqCst));
            entries.retain(|_, r| r.generation == generation && r.made.elapsed() < ttl);
        }
        if entries.len() < SWEEP_ABOVE {
            entries.insert(key, rendered);
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
}
