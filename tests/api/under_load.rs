//! What keeps writes flat under load: counters that two connections never share, a claim of
//! due emails that reads only the rows it takes, however long the queue, and a batch of emails
//! whose contacts and links cost a few statements, however many emails; and an email worker
//! that stands aside while a burst of requests fills the database.

use crate::categories::{migrate_before, revert_last};
use crate::on_both_backends;
use crate::size::{kept_and_recounted, plan, sql, Recorder};
use crate::support::{Backend, TestDb};
use convene::db::{self, DbConn};
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(QueryableByName)]
struct Shard {
    #[diesel(sql_type = Integer)]
    shard: i32,
}

/// The shard this connection's changes count in (SQLite counts in shard 0): on PostgreSQL
/// the connection's own, from its process id.
fn own_shard(conn: &mut DbConn) -> i32 {
    let read = |conn: &mut DbConn, sql: &str| {
        diesel::sql_query(sql)
            .get_result::<Shard>(conn)
            .unwrap()
            .shard
    };
    match conn {
        DbConn::Postgres(_) => {
            let shard = read(conn, "SELECT counter_shard() AS shard");
            assert_eq!(shard, read(conn, "SELECT pg_backend_pid() & 63 AS shard"));
            shard
        }
        DbConn::Sqlite(_) => 0,
    }
}

#[derive(QueryableByName)]
struct ShardRow {
    #[diesel(sql_type = Text)]
    dimension: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Integer)]
    shard: i32,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every counter row of the meeting, by (dimension, key, shard).
fn shards(conn: &mut DbConn, meeting_id: &str) -> BTreeMap<(String, String, i32), i64> {
    diesel::sql_query(format!(
        "SELECT dimension, key, shard, n FROM meeting_counts WHERE meeting_id = '{meeting_id}'"
    ))
    .load::<ShardRow>(conn)
    .unwrap()
    .into_iter()
    .map(|r| ((r.dimension, r.key, r.shard), r.n))
    .collect()
}

/// What changed between two readings of the counter rows.
fn changed(
    before: &BTreeMap<(String, String, i32), i64>,
    after: &BTreeMap<(String, String, i32), i64>,
) -> BTreeMap<(String, String, i32), i64> {
    after
        .iter()
        .map(|(k, n)| (k.clone(), n - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, delta)| *delta != 0)
        .collect()
}

/// Moves some of the demo meeting's registrations and emails, statement by statement on two
/// connections: a change counted in on one connection is counted out on the other.
fn move_some(first: &mut DbConn, second: &mut DbConn, meeting_id: &str, round: usize) {
    let one_of = |status: &str, offset: usize| {
        format!(
            "SELECT id FROM registrations WHERE meeting_id = '{meeting_id}' AND status = '{status}'
             ORDER BY id LIMIT 1 OFFSET {offset}"
        )
    };
    sql(
        second,
        &format!(
            "UPDATE registrations SET status = 'cancelled' WHERE id IN ({})",
            one_of("confirmed", round)
        ),
    );
    sql(
        first,
        &format!(
            "UPDATE registrations SET status = 'waitlisted' WHERE id IN ({})",
            one_of("cancelled", 0)
        ),
    );
    sql(
        second,
        &format!(
            "INSERT INTO outbox (id, kind, meeting_id, recipient, payload, status, attempts,
             next_attempt_at, created_at)
         VALUES ('mail-{round}', 'confirmed', '{meeting_id}', 'x@example.org', '{{}}', 'pending', 0,
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
    );
    sql(
        first,
        &format!("UPDATE outbox SET status = 'sent' WHERE id = 'mail-{round}'"),
    );
}

on_both_backends!(counts_stay_exact_across_the_change_of_shards);
async fn counts_stay_exact_across_the_change_of_shards(backend: Backend) {
    let db = TestDb::new(backend);
    let mut first = db.connect();
    // Counted as the binary before this change counted: in shards by a hash of the row's id.
    migrate_before(&mut first, "20261215000001");
    convene::demo::seed(&mut first, db::now()).unwrap();
    let meeting_id: String = {
        use convene::schema::meetings;
        use diesel::{ExpressionMethods, QueryDsl};
        meetings::table
            .filter(meetings::slug.eq(convene::demo::MEETING_SLUG))
            .select(meetings::id)
            .first(&mut first)
            .unwrap()
    };
    let exact = |conn: &mut DbConn, when: &str| {
        let (kept, fresh) = kept_and_recounted(conn, &meeting_id);
        assert!(!fresh.is_empty(), "{when}: the demo has registrations");
        assert_eq!(kept, fresh, "{when}");
    };
    exact(&mut first, "before the upgrade");

    db::migrate(&mut first).unwrap();
    let mut second = db.connect();
    let before = shards(&mut first, &meeting_id);
    move_some(&mut first, &mut second, &meeting_id, 1);
    exact(&mut first, "after the upgrade, moved on two connections");
    let (one, other) = (own_shard(&mut first), own_shard(&mut second));
    let moved = changed(&before, &shards(&mut first, &meeting_id));
    // The busiest counters go by connection; those of confirmed people stay in shard 0.
    assert!(
        moved.keys().all(|(dimension, _, shard)| match dimension.as_str() {
            "status" | "category" | "email" => *shard == one || *shard == other,
            _ => *shard == 0,
        }),
        "every change lands in the shard of the connection that made it ({one}, {other}): {moved:?}"
    );
    assert!(moved.keys().any(|(d, _, _)| d == "status"), "{moved:?}");
    if one != other {
        // The email was queued on the second connection and sent on the first.
        let email =
            |status: &str, shard| moved.get(&("email".to_owned(), status.to_owned(), shard));
        assert_eq!(email("pending", other), Some(&1), "{moved:?}");
        assert_eq!(email("pending", one), Some(&-1), "{moved:?}");
        assert_eq!(email("sent", one), Some(&1), "{moved:?}");
    }

    // Back to the hashed shards (both new migrations' down.sql), moved again, and up again.
    revert_last(&mut first);
    revert_last(&mut first);
    let mut third = db.connect();
    move_some(&mut first, &mut third, &meeting_id, 2);
    exact(&mut first, "after the downgrade");
    db::migrate(&mut first).unwrap();
    let mut fourth = db.connect();
    move_some(&mut fourth, &mut third, &meeting_id, 3);
    exact(&mut first, "upgraded again");
}

on_both_backends!(a_claim_reads_the_rows_it_takes_however_long_the_queue);
async fn a_claim_reads_the_rows_it_takes_however_long_the_queue(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.connect();
    db::migrate(&mut conn).unwrap();
    // A queue after a burst: thousands of emails due at the same moment.
    let series = match conn {
        DbConn::Sqlite(_) => {
            "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c \
                              WHERE n < 20000) SELECT n FROM c)"
        }
        DbConn::Postgres(_) => "(SELECT generate_series(1, 20000) AS n)",
    };
    sql(
        &mut conn,
        &format!(
            "INSERT INTO outbox (id, kind, recipient, payload, status, attempts, next_attempt_at,
             created_at)
         SELECT 'mail-' || n, 'confirm_address', 'p' || n || '@example.org', '{{}}', 'pending', 0,
             '2026-12-01 10:00:00', '2026-12-01 10:00:00'
         FROM {series} g"
        ),
    );
    sql(&mut conn, "ANALYZE");
    let expected: Vec<String> = {
        use convene::schema::outbox;
        use diesel::QueryDsl;
        outbox::table
            .select(outbox::id)
            .order(outbox::id)
            .limit(50)
            .load(&mut conn)
            .unwrap()
    };
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    let claim =
        convene::email::outbox::claim(&mut conn, db::now(), chrono::Duration::minutes(5), 50)
            .unwrap();
    let taken: Vec<String> = claim.rows.into_iter().map(|row| row.id).collect();
    assert_eq!(taken, expected, "fifty, the first due and then by id");
    let reads = recorder.reads_of(&["outbox"]);
    assert_eq!(reads.len(), 1, "{reads:?}");
    let steps = plan(&mut conn, &reads[0]);
    assert!(
        !steps
            .iter()
            .any(|s| s.contains("TEMP B-TREE")
                || s.trim_start_matches([' ', '-', '>']).contains("Sort")),
        "the claim sorts the queue:\n{}\n{}",
        reads[0],
        steps.join("\n")
    );
}

/// The ids of the first `count` registrations of the demo, and their meeting.
fn demo_registrations(conn: &mut DbConn, count: i64) -> (Vec<String>, String) {
    use convene::schema::{meetings, registrations};
    use diesel::{ExpressionMethods, QueryDsl};
    let meeting: String = meetings::table
        .filter(meetings::slug.eq(convene::demo::MEETING_SLUG))
        .select(meetings::id)
        .first(conn)
        .unwrap();
    let ids: Vec<String> = registrations::table
        .filter(registrations::meeting_id.eq(&meeting))
        .select(registrations::id)
        .order(registrations::id)
        .limit(count)
        .load(conn)
        .unwrap();
    assert_eq!(
        ids.len() as i64,
        count,
        "the demo has {count} registrations"
    );
    (ids, meeting)
}

on_both_backends!(a_batch_of_emails_stores_its_links_in_a_few_statements_as_one_by_one);
async fn a_batch_of_emails_stores_its_links_in_a_few_statements_as_one_by_one(backend: Backend) {
    use convene::accounts::tokens::{self, EmailLinks, NewLink, Presented, TokenKind};
    let db = TestDb::new(backend);
    let mut conn = db.connect();
    db::migrate(&mut conn).unwrap();
    convene::demo::seed(&mut conn, db::now()).unwrap();
    let now = db::now();
    let (ids, meeting) = demo_registrations(&mut conn, 12);
    let manage = |conn: &mut DbConn, id: &str, token: &str| {
        let links = vec![NewLink {
            token,
            kind: TokenKind::Manage,
            expires_at: None,
        }];
        tokens::replace_all(
            conn,
            &[EmailLinks {
                registration_id: id,
                meeting_id: &meeting,
                links,
            }],
            now,
        )
        .unwrap();
    };
    // Each registration's earlier email, with a link that the batch must revoke.
    let earlier: Vec<String> = ids.iter().map(|_| tokens::generate()).collect();
    for (id, token) in ids.iter().zip(&earlier) {
        manage(&mut conn, id, token);
    }
    let state =
        |conn: &mut DbConn, kind, token: &str| match tokens::presented(conn, kind, token, now)
            .unwrap()
        {
            Presented::Live(_) => "live",
            Presented::Spent => "revoked",
            Presented::Expired => "expired",
            Presented::Unknown => "unknown",
        };
    assert!(earlier
        .iter()
        .all(|t| state(&mut conn, TokenKind::Manage, t) == "live"));

    // The batch: one email to each, those to even ones with a confirm link too, and a second
    // email to the first registration at the end (as two emails of one claim).
    let new_manage: Vec<String> = ids.iter().map(|_| tokens::generate()).collect();
    let confirm: Vec<String> = ids.iter().map(|_| tokens::generate()).collect();
    let later = tokens::generate();
    let expires = now + chrono::Duration::days(2);
    let mut batch: Vec<EmailLinks> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut links = vec![NewLink {
                token: &new_manage[i],
                kind: TokenKind::Manage,
                expires_at: None,
            }];
            if i % 2 == 0 {
                links.push(NewLink {
                    token: &confirm[i],
                    kind: TokenKind::Confirm,
                    expires_at: Some(expires),
                });
            }
            EmailLinks {
                registration_id: id,
                meeting_id: &meeting,
                links,
            }
        })
        .collect();
    batch.push(EmailLinks {
        registration_id: &ids[0],
        meeting_id: &meeting,
        links: vec![NewLink {
            token: &later,
            kind: TokenKind::Manage,
            expires_at: None,
        }],
    });
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    conn.transaction(|conn| tokens::replace_all(conn, &batch, now))
        .unwrap();
    let sent: Vec<String> = recorder
        .sent()
        .into_iter()
        .filter(|sql| {
            !["BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"]
                .iter()
                .any(|w| sql.starts_with(w))
        })
        .collect();
    let inserts = sent.iter().filter(|sql| sql.starts_with("INSERT")).count();
    let others: Vec<&String> = sent
        .iter()
        .filter(|sql| !sql.starts_with("INSERT"))
        .collect();
    // The hold (PostgreSQL) and one revocation per kind, whatever the number of emails.
    let expected_others = if matches!(backend, Backend::Postgres) {
        3
    } else {
        2
    };
    assert_eq!(others.len(), expected_others, "{others:#?}");
    match backend {
        Backend::Postgres => assert_eq!(inserts, 1, "one insert for the batch"),
        // SQLite's writer is in the process: a row each costs no round trip.
        Backend::Sqlite => assert_eq!(inserts, ids.len() + ids.len() / 2 + 1),
    }

    // As if stored one by one: the earlier links revoked; of the first registration's two
    // emails, only the later one's manage link live; every other new link live.
    for token in &earlier {
        assert_eq!(state(&mut conn, TokenKind::Manage, token), "revoked");
    }
    assert_eq!(
        state(&mut conn, TokenKind::Manage, &new_manage[0]),
        "revoked"
    );
    assert_eq!(state(&mut conn, TokenKind::Manage, &later), "live");
    for (i, token) in new_manage.iter().enumerate().skip(1) {
        assert_eq!(state(&mut conn, TokenKind::Manage, token), "live", "{i}");
    }
    for (i, token) in confirm.iter().enumerate() {
        let expected = if i % 2 == 0 { "live" } else { "unknown" };
        assert_eq!(state(&mut conn, TokenKind::Confirm, token), expected, "{i}");
    }
    let row = tokens::find(&mut conn, TokenKind::Confirm, &confirm[0], now)
        .unwrap()
        .unwrap();
    assert_eq!(row.registration_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(row.expires_at, Some(expires));

    // The worker reads a batch's contacts at once: one read, every one found.
    let wanted: Vec<&str> = ids.iter().map(String::as_str).collect();
    recorder.sent();
    let contacts = convene::registrations::store::contacts(&mut conn, &wanted).unwrap();
    assert_eq!(recorder.sent().len(), 1);
    assert_eq!(contacts.len(), ids.len());
    for id in &ids {
        let (one, many) = (
            convene::registrations::store::contact(&mut conn, id).unwrap(),
            &contacts[id],
        );
        assert_eq!(
            (
                &many.email,
                &many.full_name,
                many.language,
                &many.checkin_code
            ),
            (&one.email, &one.full_name, one.language, &one.checkin_code)
        );
    }
}

on_both_backends!(the_worker_sends_a_claim_whose_later_email_to_one_person_has_the_live_link);
async fn the_worker_sends_a_claim_whose_later_email_to_one_person_has_the_live_link(
    backend: Backend,
) {
    use convene::accounts::tokens::{self, Presented, TokenKind};
    let db = TestDb::new(backend);
    let mut conn = demo_with_no_email_pending(&db);
    let (ids, meeting) = demo_registrations(&mut conn, 2);
    // Queued at one moment, so one claim takes them in this order (then by id).
    let now = db::now();
    for id in [&ids[0], &ids[1], &ids[0]] {
        enqueue_new_link(&mut conn, &meeting, id, now);
    }
    // (row, registration) in the claim's order.
    let queued: Vec<(String, String)> = {
        use convene::schema::outbox as table;
        use diesel::{ExpressionMethods, NullableExpressionMethods, QueryDsl};
        table::table
            .filter(table::status.eq("pending"))
            .order(table::id)
            .select((table::id, table::registration_id.assume_not_null()))
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(queued.len(), 3);

    let smtp = crate::support::SmtpSink::start();
    let worker = worker_on(&pools_of(&db), smtp.port, Default::default());
    assert_eq!(
        worker.deliver_due().await.unwrap(),
        3,
        "one claim, three emails"
    );
    let mails = smtp.wait_for_total(3).await;
    let token_of = |row: &str| {
        mails
            .iter()
            .find(|mail| mail.message_id.starts_with(row))
            .unwrap_or_else(|| panic!("no email for {row}: {mails:?}"))
            .manage_token()
    };
    let state = |conn: &mut DbConn, token: &str| match tokens::presented(
        conn,
        TokenKind::Manage,
        token,
        db::now(),
    )
    .unwrap()
    {
        Presented::Live(row) => Some(row.registration_id.unwrap()),
        Presented::Spent => None,
        other => panic!("{other:?}"),
    };
    // Of the first person's two emails, the later one's link replaced the earlier one's.
    for (i, (row, registration)) in queued.iter().enumerate() {
        let later = queued[i + 1..].iter().any(|(_, r)| r == registration);
        let expected = (!later).then(|| registration.clone());
        assert_eq!(state(&mut conn, &token_of(row)), expected, "email {i}");
    }
    assert_eq!(
        queued.iter().filter(|(_, r)| *r == ids[0]).count(),
        2,
        "two emails to the first person"
    );
}

/// The demo on `db`, its emails all sent: a connection to it.
fn demo_with_no_email_pending(db: &TestDb) -> DbConn {
    let mut conn = db.connect();
    db::migrate(&mut conn).unwrap();
    convene::demo::seed(&mut conn, db::now()).unwrap();
    sql(
        &mut conn,
        "UPDATE outbox SET status = 'sent' WHERE status = 'pending'",
    );
    conn
}

/// Queues a new-link email to registration `id` of `meeting`.
fn enqueue_new_link(conn: &mut DbConn, meeting: &str, id: &str, now: chrono::NaiveDateTime) {
    use convene::email::outbox::{self, ParticipantMail};
    let email = convene::registrations::store::contact(conn, id)
        .unwrap()
        .email;
    outbox::enqueue(conn, meeting, id, &email, &ParticipantMail::NewLink, now).unwrap();
}

fn pools_of(db: &TestDb) -> db::Pools {
    db::Pools::open(&db::DatabaseUrl::parse(db.url()).unwrap(), 4).unwrap()
}

/// An email worker on `pools` sending to the SMTP server on `port`.
fn worker_on(
    pools: &db::Pools,
    port: u16,
    settings: convene::config::WorkerSettings,
) -> convene::email::worker::Worker {
    convene::email::worker::Worker {
        pools: pools.clone(),
        transport: convene::email::transport::Transport::from_url(&format!(
            "smtp://127.0.0.1:{port}"
        ))
        .unwrap(),
        settings,
        from: "Convene <convene@example.org>".parse().unwrap(),
        base_url: "http://convene.test".into(),
        wakeup: Default::default(),
    }
}

/// Requests' reads that keep `pools` busy, `calls` at once, until the answer is dropped.
struct Burst(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Burst {
    fn start(pools: &db::Pools, calls: usize) -> Self {
        let going = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        for _ in 0..calls {
            let (pools, going) = (pools.clone(), going.clone());
            actix_web::rt::spawn(async move {
                while going.load(std::sync::atomic::Ordering::Relaxed) {
                    pools
                        .read(|_| {
                            std::thread::sleep(Duration::from_millis(20));
                            Ok(())
                        })
                        .await
                        .unwrap();
                }
            });
        }
        Self(going)
    }
}

impl Drop for Burst {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

on_both_backends!(the_email_worker_waits_out_a_burst_of_requests_but_not_forever);
async fn the_email_worker_waits_out_a_burst_of_requests_but_not_forever(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = demo_with_no_email_pending(&db);
    let (ids, meeting) = demo_registrations(&mut conn, 2);
    enqueue_new_link(&mut conn, &meeting, &ids[0], db::now());
    let smtp = crate::support::SmtpSink::start();
    let mut pools = pools_of(&db);
    // Full at two calls in flight, whatever this machine's cores; three leave the worker a
    // connection of the four.
    pools.load = std::sync::Arc::new(db::RequestLoad::full_at(2.0));
    let burst = Burst::start(&pools, 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let patient = convene::config::WorkerSettings {
        yield_to_requests: Duration::from_secs(60),
        ..Default::default()
    };
    let running = convene::email::worker::spawn(worker_on(&pools, smtp.port, patient)).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.all().is_empty(), "sent during the burst");
    drop(burst);
    smtp.wait_for_total(1).await;
    drop(running);

    // A burst that goes on: the email waits no longer than the worker's limit.
    enqueue_new_link(&mut conn, &meeting, &ids[1], db::now());
    let _burst = Burst::start(&pools, 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let from = pools.load.reading();
    let started = std::time::Instant::now();
    let limited = convene::config::WorkerSettings {
        yield_to_requests: Duration::from_millis(500),
        ..Default::default()
    };
    let _running = convene::email::worker::spawn(worker_on(&pools, smtp.port, limited)).unwrap();
    smtp.wait_for_total(2).await;
    // Well past the limit of half a second, but far short of forever (or of the other
    // worker's minute).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let mean = db::RequestLoad::mean(&from, &pools.load.reading());
    assert!(
        mean >= 2.0,
        "sent while the database was full: {mean:.2} calls in flight"
    );
}
