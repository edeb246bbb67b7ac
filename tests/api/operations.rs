//! What an operator watches: `/metrics` read by a real Prometheus parser, its families, and
//! counts that follow what happens (a registration, a check-in), under route patterns only.

use crate::checkin::{confirmed, desk_token, ongoing_meeting};
use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Prometheus's own parser (its Python client's), reading a scrape: each family's name, type
/// and help, and each sample as `{"name", "labels", "value"}`.
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({"name": family.name, "type": family.type, "help": family.documentation,
        "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]})
print(json.dumps(families))
"#;

/// A scrape as Prometheus read it.
struct Scrape {
    families: Vec<Value>,
}

impl Scrape {
    fn family(&self, name: &str) -> Option<&Value> {
        self.families.iter().find(|f| f["name"] == name)
    }

    /// The value of the sample `name` whose labels include `labels`, if present.
    fn sample(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.families
            .iter()
            .flat_map(|f| f["samples"].as_array().unwrap())
            .filter(|s| s["name"] == name)
            .find(|s| labels.iter().all(|(k, v)| s["labels"][k] == *v))
            .map(|s| s["value"].as_f64().unwrap())
    }
}

/// The Python that parses, or a loud skip when it cannot be had; under `CI=true` a failure.
fn parser() -> Option<std::path::PathBuf> {
    match crate::support::tools::prometheus_python() {
        Ok(python) => Some(python),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("prometheus_client is required under CI=true and cannot be had: {why}")
        }
        Err(why) => {
            eprintln!(
                "\n!!! prometheus_client cannot be had ({why}): the metrics test is SKIPPED.\n\
                 !!! pip install prometheus-client; CI=true makes this fail.\n"
            );
            None
        }
    }
}

/// `/metrics` as Prometheus reads it, and its text.
async fn scrape(app: &TestApp, python: &Path) -> (Scrape, String) {
    let answer = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let kind = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = answer.text().await.unwrap();
    let mut child = std::process::Command::new(python)
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "Prometheus's parser refuses the scrape: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let families = serde_json::from_slice(&output.stdout).unwrap();
    (Scrape { families }, text)
}

/// Scrapes until the sample `name` with `labels` reads `wanted` (the database's numbers are
/// read at most once a second); fails after ten seconds.
async fn until(
    app: &TestApp,
    python: &Path,
    name: &str,
    labels: &[(&str, &str)],
    wanted: f64,
) -> Scrape {
    let started = Instant::now();
    loop {
        let (scrape, _) = scrape(app, python).await;
        let now = scrape.sample(name, labels);
        if now == Some(wanted) {
            return scrape;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name} {labels:?} reads {now:?}, not {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

on_both_backends!(metrics_parse_and_follow_registrations_and_check_ins);
async fn metrics_parse_and_follow_registrations_and_check_ins(backend: Backend) {
    let Some(python) = parser() else { return };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = ongoing_meeting(&app, &organizer).await;
    let (first, _) = scrape(&app, &python).await;
    for (family, kind) in [
        ("convene_http_requests", "counter"),
        ("convene_http_request_duration_seconds", "histogram"),
        ("convene_registrations", "gauge"),
        ("convene_outbox_messages", "gauge"),
        ("convene_outbox_oldest_pending_age_seconds", "gauge"),
        ("convene_db_pool_connections", "gauge"),
        ("convene_checkins", "counter"),
        ("convene_webhook_deliveries", "gauge"),
    ] {
        let found = first
            .family(family)
            .unwrap_or_else(|| panic!("{family} is there"));
        assert_eq!(found["type"], kind, "{family}");
        assert!(
            !found["help"].as_str().unwrap().is_empty(),
            "{family} is described"
        );
    }
    for status in ["pending", "sent", "dead"] {
        let labels = [("status", status)];
        assert!(first.sample("convene_outbox_messages", &labels).is_some());
    }
    let idle = [("pool", "read"), ("state", "idle")];
    assert!(first.sample("convene_db_pool_connections", &idle).is_some());
    let confirmed_ones = [("status", "confirmed")];
    assert_eq!(
        first.sample("convene_registrations", &confirmed_ones),
        Some(0.0),
        "nobody is confirmed yet"
    );

    // A registration confirmed moves the confirmed count, on every scrape after it.
    let person = confirmed(&app, &slug, "ana@example.org", "Ana Pérez").await;
    let manage = person["manage_token"].as_str().unwrap().to_owned();
    app.client
        .get(format!("{}/manage/{manage}", app.address))
        .send()
        .await
        .unwrap();
    let scraped = until(&app, &python, "convene_registrations", &confirmed_ones, 1.0).await;
    let registered = [
        ("route", "/api/v1/meetings/{slug}/registrations"),
        ("method", "POST"),
        ("status", "202"),
    ];
    assert_eq!(
        scraped.sample("convene_http_requests_total", &registered),
        Some(1.0)
    );
    assert_eq!(
        scraped.sample("convene_http_request_duration_seconds_count", &registered),
        Some(1.0),
        "its latency is in the histogram"
    );
    let page = [("route", "/manage/{token}"), ("status", "200")];
    assert_eq!(
        scraped.sample("convene_http_requests_total", &page),
        Some(1.0)
    );
    let (_, text) = scrape(&app, &python).await;
    assert!(
        !text.contains(&manage) && !text.contains(&slug),
        "no token or slug in the metrics"
    );

    // A check-in counts once, though the desk scans twice.
    let desk = desk_token(&app, &organizer, &slug, "Entrada").await;
    let desk = desk["token"].as_str().unwrap();
    for nonce in ["first-scan-0001", "second-scan-002"] {
        let answer = app
            .post(
                "/api/v1/desk/check-ins",
                Some(desk),
                json!({"code": person["checkin_code"], "nonce": nonce}),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let (after, _) = scrape(&app, &python).await;
    let online = [("source", "online")];
    assert_eq!(after.sample("convene_checkins_total", &online), Some(1.0));
}
