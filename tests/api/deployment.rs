//! The deployment in `deploy/`, started as a person would copy it: nginx with
//! `deploy/nginx/convene.conf` (only its ports changed) in front of two `convene` processes on
//! one PostgreSQL, with `CONVENE_TRUSTED_PROXIES` set. Through nginx: registrations racing for
//! the last seats across both instances fill them exactly; one instance killed mid-load loses
//! nothing acknowledged, and nginx sends the rest to the other; rate limits key on the client's
//! address that nginx passes on, not on nginx's, nor on what a client claims.

use crate::support::process::{handle, ServerProcess};
use crate::support::{Backend, SmtpSink, TestApp, TestDb};
use futures::future::join_all;
use serde_json::json;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// nginx running `deploy/nginx/convene.conf`, stopped when dropped.
struct Nginx {
    child: Child,
    address: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The deployment's site file with the test's ports, inside the smallest main configuration
/// that runs it unprivileged in `dir`.
async fn start_nginx(program: &Path, dir: &Path, instances: [&str; 2]) -> Nginx {
    let site = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx/convene.conf"
    ))
    .unwrap();
    let port = free_port();
    let port_of = |address: &str| address.trim_start_matches("http://").to_owned();
    let changed = site
        .replace("127.0.0.1:8081", &port_of(instances[0]))
        .replace("127.0.0.1:8082", &port_of(instances[1]))
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    assert_ne!(
        changed, site,
        "the deployment's ports are where the test expects"
    );
    std::fs::write(dir.join("convene.conf"), changed).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             include {d}/convene.conf;\n}}\n"
        ),
    )
    .unwrap();
    let child = Command::new(program)
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let address = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{address}/readyz"))
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "nginx never answered: {log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Nginx { child, address }
}

/// A client whose requests leave from `ip` (any 127.x.y.z is this machine's loopback), as a
/// separate person's device would reach nginx.
fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// The `n`th of many distinct client addresses.
fn address_number(n: usize) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        10 + (n / 62_500) as u8,
        (n / 250 % 250) as u8,
        (n % 250 + 1) as u8,
    )
}

async fn register(client: &reqwest::Client, base: &str, slug: &str, email: &str) -> u16 {
    client
        .post(format!("{base}/api/v1/meetings/{slug}/registrations"))
        .json(&TestApp::registration_body(email))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// How many requests to `route` this instance answered, from its own metrics.
async fn served(instance: &str, route: &str) -> f64 {
    let text = reqwest::get(format!("{instance}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("convene_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[actix_web::test]
async fn two_instances_behind_nginx_fill_seats_exactly_survive_a_kill_and_limit_by_client() {
    if crate::support::postgres_admin_url().is_none() {
        return;
    }
    let nginx_program = match crate::support::tools::nginx() {
        Ok(program) => program,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("nginx is required under CI=true and cannot be had: {why}")
        }
        Err(why) => {
            eprintln!("\n!!! nginx cannot be had ({why}): the deployment test is SKIPPED.\n!!! apt-get install nginx; CI=true makes this fail.\n");
            return;
        }
    };
    let smtp = SmtpSink::start();
    let work = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres);
    let settings = [
        ("CONVENE_TRUSTED_PROXIES", "127.0.0.1"),
        ("CONVENE_RATE_LIMIT_PER_MINUTE", "5"),
        ("CONVENE_REGISTRATIONS_PER_CLIENT", "0"),
    ];
    let first =
        ServerProcess::start_with(db.url(), smtp.port, work.path(), "warn", &settings).await;
    let mut second =
        ServerProcess::start_with(db.url(), smtp.port, work.path(), "warn", &settings).await;
    let nginx = start_nginx(
        &nginx_program,
        work.path(),
        [first.address.as_str(), second.address.as_str()],
    )
    .await;
    let base = nginx.address.clone();
    let app = handle(db, smtp.clone(), &base);
    let organizer = app.organizer().await;

    // 1. Thirty people confirm at once for twelve seats, each from their own address, through
    // both instances: twelve confirmed, eighteen waiting.
    let slug = app.meeting(&organizer, json!({"capacity": 12})).await;
    let emails: Vec<String> = (0..30).map(|i| format!("seat{i:02}@example.org")).collect();
    for (i, email) in emails.iter().enumerate() {
        let status = register(&client_from(address_number(i)), &base, &slug, email).await;
        assert_eq!(status, 202, "{email}");
    }
    let mut tokens = Vec::new();
    for email in &emails {
        tokens.push(smtp.wait_for(email, 1).await[0].confirm_token());
    }
    let confirms = tokens.iter().enumerate().map(|(i, token)| {
        let client = client_from(address_number(100 + i));
        let url = format!("{base}/api/v1/registrations/confirm");
        async move {
            client
                .post(url)
                .json(&json!({"token": token}))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    let statuses = join_all(confirms).await;
    let confirmed = statuses.iter().filter(|s| *s == "confirmed").count();
    let waiting = statuses.iter().filter(|s| *s == "waitlisted").count();
    assert_eq!((confirmed, waiting), (12, 18), "{statuses:?}");
    let stored = app
        .registrations(&organizer, &slug, "status=confirmed")
        .await;
    assert_eq!(
        stored.len(),
        12,
        "exactly the capacity, in the database too"
    );
    for instance in [&first.address, &second.address] {
        let answered = served(instance, "/api/v1/registrations/confirm").await;
        assert!(answered > 0.0, "{instance} took part in the race");
    }

    // 2. Rate limits follow the client's address that nginx passes on: one address is held
    // back (five a minute on each instance), another is not, and a claimed X-Forwarded-For
    // changes nothing.
    let open = app.meeting(&organizer, json!({"capacity": null})).await;
    let busy = client_from(Ipv4Addr::new(127, 9, 0, 1));
    let mut answers = Vec::new();
    for i in 0..15 {
        let status = busy
            .post(format!("{base}/api/v1/meetings/{open}/registrations"))
            .header("X-Forwarded-For", format!("198.51.100.{i}"))
            .json(&TestApp::registration_body(&format!("busy{i}@example.org")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        answers.push(status);
    }
    let accepted = answers.iter().filter(|s| **s == 202).count();
    let held = answers.iter().filter(|s| **s == 429).count();
    assert!(
        accepted <= 10 && held >= 5 && accepted + held == 15,
        "{answers:?}"
    );
    let other = client_from(Ipv4Addr::new(127, 9, 0, 2));
    assert_eq!(
        register(&other, &base, &open, "other@example.org").await,
        202
    );

    // 3. One instance killed under load: every acknowledged registration is stored, and the
    // requests after the kill are answered by the other.
    let answers: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (answers, stop, base, open) =
                (answers.clone(), stop.clone(), base.clone(), open.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let n = 1_000 + w * 10_000 + i;
                    let email = format!("load{n}@example.org");
                    let status =
                        register(&client_from(address_number(n)), &base, &open, &email).await;
                    answers.lock().unwrap().push((email, status));
                    i += 1;
                }
            })
        })
        .collect();
    let count = |answers: &Mutex<Vec<(String, u16)>>| answers.lock().unwrap().len();
    while count(&answers) < 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    second.kill();
    let at_kill = count(&answers);
    while count(&answers) < at_kill + 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    join_all(workers).await;
    let answers = answers.lock().unwrap().clone();
    let acknowledged: Vec<&String> = answers
        .iter()
        .filter(|(_, s)| *s == 202)
        .map(|(e, _)| e)
        .collect();
    let after_kill = &answers[at_kill + 10..];
    assert!(
        after_kill.iter().all(|(_, s)| *s == 202),
        "after the kill, nginx sends everything to the other instance: {:?}",
        after_kill
            .iter()
            .filter(|(_, s)| *s != 202)
            .collect::<Vec<_>>()
    );
    let stored: HashSet<String> = app
        .registrations(&organizer, &open, "")
        .await
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    for email in &acknowledged {
        assert!(
            stored.contains(*email),
            "{email} was acknowledged and is stored"
        );
    }
    eprintln!(
        "\n[deployment] race 12/30 seats exact; rate limit {accepted} accepted, {held} held; \
         kill: {} answers, {} acknowledged, {} answered otherwise\n",
        answers.len(),
        acknowledged.len(),
        answers.len() - acknowledged.len()
    );
    drop(nginx);
}
