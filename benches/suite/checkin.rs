//! `cargo bench --bench suite -- --checkin`: the days of the meeting. A check-in at the desk
//! under load (wrk at 1 and 8 connections, every request a scan with its own nonce, over 2,000
//! confirmed people), and the badges of 500 people rendered as one PDF: its time and the
//! server's memory above what it held before.

use super::*;

const PEOPLE: usize = 2_000;
const BADGES: usize = 500;

pub(super) fn login(base: &str) -> String {
    let login = client()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": convene::demo::ORGANIZER_EMAIL, "password": convene::demo::ORGANIZER_PASSWORD}))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

/// A meeting under way (yesterday to tomorrow), so that today's scans count.
fn ongoing_meeting(base: &str, organizer: &str, slug: &str) {
    let now = Utc::now();
    let body = json!({
        "slug": slug, "title": format!("Bench {slug}"), "country": "MX", "timezone": "America/Mexico_City",
        "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "ends_at": (now + chrono::Duration::days(1)).to_rfc3339(),
        "capacity": null, "languages": ["es", "en"], "status": "published"
    });
    let response = client()
        .post(format!("{base}/api/v1/meetings"))
        .bearer_auth(organizer)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// Gives the seeded registrations codes as the migration gives old rows; answers a meeting's.
fn give_codes(conn: &mut DbConn, slug: &str) -> Vec<String> {
    let code = match conn {
        DbConn::Sqlite(_) => "upper(hex(randomblob(16)))",
        DbConn::Postgres(_) => "upper(replace(gen_random_uuid()::text, '-', ''))",
    };
    sql(
        conn,
        &format!("UPDATE registrations SET checkin_code = {code} WHERE checkin_code IS NULL"),
    );
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        checkin_code: String,
    }
    diesel::sql_query(format!(
        "SELECT checkin_code FROM registrations WHERE meeting_id = (SELECT id FROM meetings WHERE slug = '{slug}')"
    ))
    .load::<Code>(conn)
    .unwrap()
    .into_iter()
    .map(|c| c.checkin_code)
    .collect()
}

pub fn run_checkin(backends: &[Backend], seconds: u64, runs: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for &backend in backends {
        if backend == Backend::Postgres && PgConnection::establish(&postgres_admin()).is_err() {
            eprintln!("!!! PostgreSQL unreachable: its half is SKIPPED");
            continue;
        }
        eprintln!("== {backend:?}: check-in");
        let work = tempfile::tempdir().unwrap();
        let smtp = SmtpCounter::start();
        let db = Database::create(backend, work.path(), "checkin");
        {
            let mut conn = db.connect();
            db::migrate(&mut conn).unwrap();
            convene::demo::seed(&mut conn, db::now()).unwrap();
        }
        let server = Server::start(&db.url, smtp.port);
        let organizer = login(&server.base);
        ongoing_meeting(&server.base, &organizer, "bench-desk");
        ongoing_meeting(&server.base, &organizer, "bench-badges");
        let codes = {
            let mut conn = db.connect();
            seed_registrations(&mut conn, "bench-desk", "desk", 1, PEOPLE, "confirmed");
            seed_registrations(&mut conn, "bench-badges", "badge", 2, BADGES, "confirmed");
            let codes = give_codes(&mut conn, "bench-desk");
            settle(&mut conn);
            codes
        };
        let codes_file = work.path().join("codes.txt");
        std::fs::write(&codes_file, codes.join("\n")).unwrap();
        let desk = client()
            .post(format!(
                "{}/api/v1/meetings/bench-desk/desk-tokens",
                server.base
            ))
            .bearer_auth(&organizer)
            .json(&json!({"label": "bench"}))
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();

        // Badges first, on a server that has done little yet: its memory then is the base.
        let renders: Vec<(f64, f64, usize, f64, f64)> = (0..runs.max(3))
            .map(|_| {
                download(
                    &server,
                    "/api/v1/meetings/bench-badges/badges.pdf",
                    &organizer,
                )
            })
            .collect();
        let seconds_taken = median(renders.iter().map(|r| r.1).collect());
        let extra = median(renders.iter().map(|r| (r.4 - r.3).max(0.0)).collect());
        let bytes = renders[0].2;
        rows.push(row(
            backend,
            &format!("badges PDF, {BADGES} people"),
            format!(
                "{seconds_taken:.2} s, {:.0} KB, +{extra:.1} MiB resident during the render",
                bytes as f64 / 1024.0
            ),
        ));

        for concurrency in [1, 8] {
            let loads: Vec<Load> = (0..runs)
                .map(|run| {
                    wrk(
                        &server.base,
                        concurrency,
                        seconds,
                        "checkin",
                        &[
                            codes_file.display().to_string(),
                            format!("c{concurrency}r{run}"),
                        ],
                        &[format!("Authorization: Bearer {desk}")],
                    )
                })
                .collect();
            rows.push(load_row(
                backend,
                "POST desk check-in",
                concurrency,
                median_load(loads),
            ));
        }
        drop(server);
    }
    rows
}
