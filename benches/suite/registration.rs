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
        for c in LEVELS {
            let load = repeat(&mut |r| {
                bare_registrations(&db.url, c, options.seconds, &format!("b{c}r{r}"))
            });
            bare.insert(c, load.rps);
            rows.push(load_row(backend, "ceiling: registration, no HTTP", c, load));
        }
        for c in LEVELS {
            // pgbench and HTTP take turns, run by run: this machine's speed drifts by a third
            // within minutes, and a ratio of runs far apart would measure the drift. Which goes
            // first alternates, so that an after-effect of one run (autovacuum, a checkpoint)
            // does not always fall on the same side.
            let postgres = backend == Backend::Postgres;
            let (mut ceilings, mut loads) = (Vec::new(), Vec::new());
            for r in 0..options.runs {
                let ceiling_first = r % 2 == 0;
                if postgres && ceiling_first {
                    ceilings.push(pgbench(&db, c, options.seconds, work.path()));
                }
                set_aside_pending_emails(&db);
                let server = Server::start_binary(options.binary.as_deref(), &db.url, smtp.port);
                let watch = cpu::Watch::start(Some(server.pid()), &db);
                let load = wrk(
                    &server.base,
                    c,
                    options.seconds,
                    "register",
                    &["bench-open".into(), format!("h{c}r{r}")],
                    &[],
                );
                loads.push(Load {
                    cpu: Some(watch.stop()),
                    ..load
                });
                drop(server);
                if postgres && !ceiling_first {
                    ceilings.push(pgbench(&db, c, options.seconds, work.path()));
                }
            }
            let mut detail = cpu_detail(&median_load(loads.clone()), "wrk");
            if postgres {
                detail = format!("{}; {detail}", of_pgbench(&loads, &ceilings));
                let ran: Vec<Load> = ceilings.iter().flatten().copied().collect();
                if !ran.is_empty() {
                    let ceiling = median_load(ran);
                    rows.push(Row {
                        p99_ms: None,
                        detail: cpu_detail(&ceiling, "pgbench"),
                        ..load_row(
                            backend,
                            "ceiling: pgbench, the same statements (p50 = mean)",
                            c,
                            ceiling,
                        )
                    });
                }
            }
            let load = median_load(loads);
            rows.push(Row {
                of_ceiling: Some(load.rps / bare[&c]),
                detail,
                ..load_row(backend, "POST registration", c, load)
            });
        }
        let server = Server::start_binary(options.binary.as_deref(), &db.url, smtp.port);
        rows.push(Row {
            backend: format!("{backend:?}").to_lowercase(),
            what: format!("outbox to a local SMTP server ({OUTBOX_EMAILS} emails)"),
            detail: outbox_drain(&db, &smtp, &server),
            ..Row::default()
        });
    }
    rows
}

/// `84% of pgbench (runs in turn: 90%, 79%, 84%)`: the HTTP run's successful registrations
/// a second over pgbench's, in each pair of runs taken in turn, and their median (a pair whose
/// pgbench failed is left out).
fn of_pgbench(loads: &[Load], ceilings: &[Option<Load>]) -> String {
    let ratios: Vec<f64> = loads
        .iter()
        .zip(ceilings)
        .filter_map(|(load, ceiling)| {
            let ceiling = ceiling.filter(|ceiling| ceiling.rps > 0.0)?;
            let answered = load.requests.saturating_sub(load.errors) as f64;
            let registered = load.rps * answered / load.requests.max(1) as f64;
            Some(registered / ceiling.rps * 100.0)
        })
        .collect();
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = match sorted.len() {
        0 => return "pgbench failed".into(),
        n if n % 2 == 1 => sorted[middle],
        _ => (sorted[middle - 1] + sorted[middle]) / 2.0,
    };
    if ratios.len() == 1 {
        return format!("{median:.0}% of pgbench");
    }
    let runs: Vec<String> = ratios.iter().map(|r| format!("{r:.0}%")).collect();
    format!(
        "{median:.0}% of pgbench (runs in turn: {})",
        runs.join(", ")
    )
}

/// Where the median run's CPU went, per registration.
fn cpu_detail(load: &Load, generator: &str) -> String {
    load.cpu
        .map(|cpu| cpu.describe(load.rps, generator))
        .unwrap_or_default()
}
