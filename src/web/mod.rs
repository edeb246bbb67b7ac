//! Pieces every HTTP surface shares: client addresses behind proxies, rate limits, paging,
//! ETags, the HTML shell, and the parts of the OpenAPI annotations that recur (`api_doc`).

pub mod api_doc;
pub mod body;
pub mod cache;
pub mod confirm;
pub mod dashboard;
pub mod forms;
pub mod guards;
pub mod health;
pub mod notice;
pub mod page;
pub mod paths;
pub mod state;

use crate::error::{AppError, Problem};
use crate::values::Slug;
use actix_web::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// The address a request comes from. `X-Forwarded-For` is believed only from a trusted proxy,
/// and then read from the right, skipping further trusted proxies.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// Requests per minute per address on public writing endpoints. In memory, per instance: a
/// brake on abuse, not an account of it.
pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Vec<IpAddr>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, trusted: Vec<IpAddr>) -> Self {
        let limiter =
            NonZeroU32::new(per_minute).map(|n| governor::RateLimiter::keyed(Quota::per_minute(n)));
        Self { limiter, trusted }
    }

    /// The address the request comes from, as this limiter believes it.
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        client_ip(req, &self.trusted)
    }

    pub fn check(&self, req: &HttpRequest) -> Result<(), AppError> {
        let (Some(limiter), Some(ip)) = (&self.limiter, client_ip(req, &self.trusted)) else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })?;
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

/// A page of a list as the API answers it; `next_cursor` is null on the last page.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A page request: how many, after which item.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub cursor: Option<String>,
}

/// `?limit=&cursor=` of a list ordered by id, as sent.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PagingParams {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PagingParams {
    /// Both checked, each bad one named.
    pub fn parse(&self) -> Result<PageRequest, AppError> {
        let mut checks = crate::error::Checks::default();
        let limit = checks.field("limit", page_limit(self.limit.as_deref()));
        let cursor = checks.field("cursor", id_cursor(self.cursor.as_deref()));
        match (limit, cursor) {
            (Some(limit), Some(cursor)) => Ok(PageRequest { limit, cursor }),
            _ => Err(checks.into_error()),
        }
    }
}

/// `?cursor=` of a list ordered by id: empty for the first page, else an id the list gave out.
pub fn id_cursor(raw: Option<&str>) -> Result<Option<String>, Problem> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => uuid::Uuid::parse_str(text)
            .map(|id| Some(id.hyphenated().to_string()))
            .map_err(|_| Problem::new("invalid", "not a cursor from this list")),
    }
}

/// `?limit=`: 100 unless given, at most 1000. Given empty, it is refused like any other
/// non-number: the document says it is an integer.
pub fn page_limit(raw: Option<&str>) -> Result<i64, Problem> {
    match raw {
        None => Ok(100),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(Problem::new(
                "out_of_range",
                "must be a whole number from 1 to 1000",
            )),
        },
    }
}

/// A public read with an `ETag` made from its body: a client that already has this version
/// (`If-None-Match`) gets `304` and no body.
pub fn cached(req: &HttpRequest, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let body = actix_web::web::Bytes::from(body);
    let etag = etag_of(&body);
    respond_cached(req, content_type, etag, body)
}

/// The strong `ETag` of a body.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let tag = format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32]);
    HeaderValue::from_str(&tag).expect("quoted hex is a valid header value")
}

/// `body` with its `ETag`, or `304` when the client already has that version.
pub fn respond_cached(
    req: &HttpRequest,
    content_type: &'static str,
    etag: HeaderValue,
    body: actix_web::web::Bytes,
) -> HttpResponse {
    let tag = etag.as_bytes();
    let known = req
        .headers()
        .get_all(IF_NONE_MATCH)
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(|candidate| {
            let candidate = candidate.trim_ascii();
            candidate.strip_prefix(b"W/").unwrap_or(candidate)
        })
        .any(|candidate| candidate == tag || candidate == b"*");
    let mut response = if known {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    if known {
        response.finish()
    } else {
        response
            .insert_header((CONTENT_TYPE, HeaderValue::from_static(content_type)))
            .body(body)
    }
}

/// A slug from the path; anything that cannot be a slug names no meeting.
pub fn slug_or_404(raw: &str) -> Result<Slug, AppError> {
    Slug::parse(Some(raw)).map_err(|_| AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "1.2.3.4, 10.0.0.1"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[proxy]), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(client_ip(&req, &[]), Some(proxy));
        let spoofed = TestRequest::default()
            .peer_addr("5.6.7.8:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "1.2.3.4"))
            .to_http_request();
        assert_eq!(
            client_ip(&spoofed, &[proxy]),
            Some("5.6.7.8".parse().unwrap())
        );
    }

    #[test]
    fn page_limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 100);
        assert_eq!(page_limit(Some("1000")).unwrap(), 1000);
        assert!(page_limit(Some("1001")).is_err());
        assert!(page_limit(Some("0")).is_err());
        assert!(page_limit(Some("ten")).is_err());
        assert!(
            page_limit(Some("")).is_err(),
            "an empty limit is not a number"
        );
    }
}
