//! One delivery over HTTP: the body with its own id, signed as
//! `Convene-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, posted to an address checked
//! again at the moment of sending (a name may resolve elsewhere since it was registered), with
//! no redirect followed and a time limit.

use super::address;
use super::store::Outcome;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole attempt may take, the name's lookup included.
pub const ATTEMPT_LIMIT: Duration = Duration::from_secs(15);
/// How much of a failed answer is read.
const ANSWER_KEPT: usize = 4096;

/// The body sent: the payload with the delivery's id in it, so a receiver deduplicates on
/// signed data. The same bytes at every attempt.
pub fn body(delivery_id: &str, payload: &str) -> String {
    let mut body: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(payload).unwrap_or_default();
    body.insert("id".into(), delivery_id.into());
    serde_json::Value::Object(body).to_string()
}

/// The `Convene-Signature` header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// What is sent, and where.
pub struct Sending<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub delivery_id: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
    pub allow_private: bool,
}

/// Sends one delivery and says what became of it.
pub async fn send(sending: Sending<'_>) -> Outcome {
    let failed = |error: String| Outcome::Failed {
        status: None,
        error,
    };
    let Ok(url) = url::Url::parse(sending.url) else {
        return failed("the address no longer parses".into());
    };
    let Some(host) = url.host_str().map(str::to_owned) else {
        return failed("the address has no host".into());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses = match tokio::net::lookup_host((lookup.as_str(), port)).await {
        Ok(found) => found.collect::<Vec<_>>(),
        Err(error) => return failed(format!("the host's name does not resolve: {error}")),
    };
    let addresses = if sending.allow_private {
        addresses
    } else {
        match address::allowed(addresses) {
            Ok(addresses) => addresses,
            Err(why) => return failed(why.into()),
        }
    };
    // The connection goes to the addresses just checked, whatever the name says next.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name again, past the check above.
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .resolve_to_addrs(&host, &addresses)
        .build();
    let client = match client {
        Ok(client) => client,
        Err(error) => return failed(format!("no HTTP client: {error}")),
    };
    let body = body(sending.delivery_id, sending.payload);
    let timestamp = chrono::Utc::now().timestamp();
    let answer = client
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "User-Agent",
            concat!("Convene-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("Convene-Delivery", sending.delivery_id)
        .header("Convene-Event", sending.event)
        .header(
            "Convene-Signature",
            signature(sending.secret, timestamp, &body),
        )
        .body(body)
        .send()
        .await;
    match answer {
        Ok(answer) if answer.status().is_success() => Outcome::Delivered(answer.status().as_u16()),
        Ok(answer) if answer.status() == reqwest::StatusCode::GONE => Outcome::Gone,
        Ok(answer) => {
            let status = answer.status().as_u16();
            Outcome::Failed {
                status: Some(status),
                error: start_of(answer).await,
            }
        }
        Err(error) => failed(error.without_url().to_string()),
    }
}

/// The start of a failed answer: a receiver may send an endless one.
async fn start_of(mut answer: reqwest::Response) -> String {
    let mut start = Vec::new();
    while start.len() < ANSWER_KEPT {
        match answer.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    start.truncate(ANSWER_KEPT);
    String::from_utf8_lossy(&start).chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_carries_its_id_and_the_signature_covers_time_and_body() {
        let sent = body("d1", r#"{"event":"registration.confirmed"}"#);
        assert_eq!(sent, r#"{"event":"registration.confirmed","id":"d1"}"#);
        let signed = signature("whsec_x", 1_700_000_000, &sent);
        assert!(signed.starts_with("t=1700000000,v1="));
        assert_eq!(signed.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(signed, signature("whsec_x", 1_700_000_001, &sent));
        assert_ne!(signed, signature("whsec_y", 1_700_000_000, &sent));
    }
}
