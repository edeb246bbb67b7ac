//! `cargo bench --bench suite -- --registration`: a registration alone, quickly, at 1 and 8
//! connections: through HTTP, through the same code with no HTTP, and (PostgreSQL) pgbench
//! running the statements a registration sends; then the emails they send, a fresh batch timed
//! to a local SMTP server. `--binary PATH` serves another build of `convene` (an earlier
//! commit's release binary), for a side-by-side comparison on one day.

use super::*;

const LEVELS: [u32; 2] = [1, 8];

pub fn run_registration(options: &Options) -> Vec<Row> {
    let mut rows = Vec::new();
    for &backend in &options.backends {
        if backend == Backend::Postgres && PgConnection::establish(&postgres_admin()).is_err() {
            eprintln!("!!! PostgreSQL unreachable: its half is SKIPPED");
            continue;
        }
        eprintln!("== {backend:?}: registration");
        let work = tempfile::tempdir().unwrap();
        let smtp = SmtpCounter::start();
        let db = Database::create(backend, work.path(), "registration");
        {
            let mut conn = db.connect();
            db::migrate(&mut conn).unwrap();
            convene::demo::seed(&mut conn, db::now()).unwrap();
        }
        let server = Server::start_binary(options.binary.as_deref(), &db.url, smtp.port);
        let organizer = checkin::login(&server.base);
        for slug in ["bench-open", "bench-ceiling", "bench-list"] {
            create_meeting(&server.base, &organizer, slug);
        }
        drop(server);
        {
            // A database in use, with its planner's statistics, as the full suite prepares it:
            // on an empty one PostgreSQL plans for empty tables until autovacuum looks again.
            let mut conn = db.connect();
            seed_registrations(&mut conn, "bench-list", "list", 1, LIST_ROWS, "confirmed");
            sql(
                &mut conn,
                "UPDATE outbox SET status = 'sent' WHERE status = 'pending'",
            );
            settle(&mut conn);
        }
        let repeat = |f: &mut dyn FnMut(usize) -> Load| {
            median_load((0..options.runs).map(&mut *f).collect())
        };
        let mut bare = std::collections::HashMap::new();
        let mut pgbenched = std::collections::HashMap::new();
        for c in LEVELS {
            let load = repeat(&mut |r| {
                bare_registrations(&db.url, c, options.seconds, &format!("b{c}r{r}"))
            });
            bare.insert(c, load.rps);
            rows.push(load_row(backend, "ceiling: registration, no HTTP", c, load));
            if backend == Backend::Postgres {
                let load = repeat(&mut |_| {
                    pgbench(&db, c, options.seconds, work.path()).unwrap_or_default()
                });
                pgbenched.insert(c, load.rps);
                rows.push(Row {
                    p99_ms: None,
                    detail: cpu_detail(&load, "pgbench"),
                    ..load_row(
                        backend,
                        "ceiling: pgbench, the same statements (p50 = mean)",
                        c,
                        load,
                    )
                });
            }
        }
        let server = Server::start_binary(options.binary.as_deref(), &db.url, smtp.port);
        for c in LEVELS {
            let load = repeat(&mut |r| {
                set_aside_pending_emails(&db);
                let watch = cpu::Watch::start(Some(server.pid()), &db);
                let load = wrk(
                    &server.base,
                    c,
                    options.seconds,
                    "register",
                    &["bench-open".into(), format!("h{c}r{r}")],
                    &[],
                );
                Load {
                    cpu: Some(watch.stop()),
                    ..load
                }
            });
            let mut detail = cpu_detail(&load, "wrk");
            if let Some(ceiling) = pgbenched.get(&c).filter(|rps| **rps > 0.0) {
                detail = format!("{:.0}% of pgbench; {detail}", load.rps / ceiling * 100.0);
            }
            rows.push(Row {
                of_ceiling: Some(load.rps / bare[&c]),
                detail,
                ..load_row(backend, "POST registration", c, load)
            });
        }
        rows.push(Row {
            backend: format!("{backend:?}").to_lowercase(),
            what: format!("outbox to a local SMTP server ({OUTBOX_EMAILS} emails)"),
            detail: outbox_drain(&db, &smtp, &server),
            ..Row::default()
        });
    }
    rows
}

/// Where the median run's CPU went, per registration.
fn cpu_detail(load: &Load, generator: &str) -> String {
    load.cpu
        .map(|cpu| cpu.describe(load.rps, generator))
        .unwrap_or_default()
}
