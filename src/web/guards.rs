//! Rules applied to every request and answer alike, so that no handler can forget them: a
//! deadline for the whole body, and `Cache-Control: no-store` on all but public reads.

use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{
    HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, TRANSFER_ENCODING,
};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The body must have arrived whole within `limit` of the request head, however slowly it
/// trickles: `client_request_timeout` covers only the head. Past it, reading the body fails
/// with a timeout, which the extractors answer with 408.
pub fn limit_body_time(req: &mut ServiceRequest, limit: Duration) {
    let headers = req.headers();
    if !headers.contains_key(CONTENT_LENGTH) && !headers.contains_key(TRANSFER_ENCODING) {
        return;
    }
    let inner = req.take_payload();
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        inner,
        sleep: Box::pin(tokio::time::sleep(limit)),
        expired: false,
    });
    req.set_payload(Payload::from(stream));
}

/// Whether reading a body failed because its deadline passed.
pub fn timed_out(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.expired = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// Marks an answer that anyone may cache as its handler says (with its `ETag`): it holds
/// nothing personal. Only the public reads carry it.
#[derive(Debug, Clone, Copy)]
struct PublicRead;

pub fn public_read(mut response: HttpResponse) -> HttpResponse {
    response.extensions_mut().insert(PublicRead);
    response
}

/// Everything else may hold personal data (a manage page, an export, a dashboard, an error
/// about someone's token): no cache, shared or private, may keep it. A request with a token
/// gets `no-store` even from a public route, whose answer may then differ.
pub fn no_store_unless_public<B>(response: &mut ServiceResponse<B>) {
    let anonymous = !response.request().headers().contains_key(AUTHORIZATION);
    if anonymous && response.response().extensions().contains::<PublicRead>() {
        return;
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
