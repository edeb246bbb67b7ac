//! Flat cost at size: the reads an organizer or a journalist waits on use an index that starts
//! with the meeting, never a scan of the table followed by a sort. The queries are the ones the
//! stores really send (recorded through diesel's instrumentation), explained by each database
//! on tables holding several meetings' worth of rows.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend};
use convene::db::DbConn;
use convene::registrations::model::{ListFilter, Order, RegistrationStatus};
use convene::registrations::store;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use std::sync::{Arc, Mutex};

const MEETINGS: usize = 8;
const PER_MEETING: usize = 2_500;

/// Every statement a connection sends, as SQL with its placeholders.
#[derive(Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            // With its binds: a cursor's plan is explained with them (see `plan_with`).
            self.0.lock().unwrap().push(query.to_string());
        }
    }
}

impl Recorder {
    /// The reads of `registrations` sent since the last call.
    fn registration_reads(&self) -> Vec<String> {
        self.reads_of(&["registrations"])
    }

    /// Every statement sent since the last call.
    pub(crate) fn sent(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// The reads of these tables sent since the last call (those of others are dropped).
    pub(crate) fn reads_of(&self, tables: &[&str]) -> Vec<String> {
        self.sent()
            .into_iter()
            .filter(|sql| sql.starts_with("SELECT") || sql.starts_with("DECLARE"))
            .filter(|sql| {
                // `FROM t`, or `FROM (t INNER JOIN …)` for a join.
                tables.iter().any(|table| {
                    ["FROM `{}`", "FROM (`{}`", "FROM \"{}\"", "FROM (\"{}\""]
                        .iter()
                        .any(|shape| sql.contains(&shape.replace("{}", table)))
                })
            })
            .collect()
    }
}

pub(crate) fn sql(conn: &mut DbConn, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {statement}"));
}

/// `PER_MEETING` registrations in each meeting, straight into the tables: a quarter of them on
/// the waiting list, numbered by their tickets.
fn fill(conn: &mut DbConn, meeting_ids: &[String]) {
    let series = match conn {
        DbConn::Sqlite(_) => format!(
            "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {PER_MEETING}) \
             SELECT n FROM c)"
        ),
        DbConn::Postgres(_) => format!("(SELECT generate_series(1, {PER_MEETING}) AS n)"),
    };
    let padded = match conn {
        DbConn::Sqlite(_) => "substr('000000000000' || n, -12, 12)",
        DbConn::Postgres(_) => "lpad(n::text, 12, '0')",
    };
    for (m, meeting_id) in meeting_ids.iter().enumerate() {
        sql(conn, &format!(
            "INSERT INTO organizations (id, name, name_key, kind, country, created_at)
             SELECT 'org-{m}-' || n, 'Centro {m} ' || n, 'centro {m} ' || n, 'information_hub', 'GT',
                    CURRENT_TIMESTAMP FROM {series} g WHERE n <= 40"
        ));
        sql(conn, &format!(
            "INSERT INTO registrations (id, meeting_id, email, email_key, full_name, organization_id,
                 job_title, country, language, consent_data_processing, consent_press_listing, status,
                 queue_ticket, search_text, created_at, status_changed_at, category)
             SELECT '00000000-0000-7000-800{m}-' || {padded}, '{meeting_id}', 'p{m}-' || n || '@example.org',
                 'p{m}-' || n || '@example.org', 'Participante ' || n, 'org-{m}-' || (n % 40 + 1),
                 'Enlace', 'GT', 'es', TRUE, n % 2 = 0,
                 CASE WHEN n % 4 = 0 THEN 'waitlisted' ELSE 'confirmed' END,
                 CASE WHEN n % 4 = 0 THEN n END,
                 'participante ' || n, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'participant'
             FROM {series} g"
        ));
    }
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The database's plan for `query`, one line a step. PostgreSQL plans it as a prepared
/// statement with a generic plan, so the placeholders need no values.
pub(crate) fn plan(conn: &mut DbConn, query: &str) -> Vec<String> {
    plan_with(conn, query, None)
}

/// The plan for `query` with these values (SQL literals) in its placeholders: PostgreSQL's plan
/// for a `LIKE` depends on the pattern, which a generic plan cannot know. SQLite's plan does
/// not depend on the values.
fn plan_with(conn: &mut DbConn, recorded: &str, values: Option<&[&str]>) -> Vec<String> {
    let (query, binds) = recorded
        .split_once(" -- binds: ")
        .unwrap_or((recorded, "[]"));
    if query.starts_with("DECLARE") {
        return cursor_plan(conn, query, binds);
    }
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
            .load::<SqlitePlanLine>(c)
            .unwrap_or_else(|e| panic!("{e}: {query}"))
            .into_iter()
            .map(|l| l.detail)
            .collect(),
        DbConn::Postgres(c) => {
            let params = match values {
                Some(values) => values.to_vec(),
                None => (1..)
                    .take_while(|n| query.contains(&format!("${n}")))
                    .map(|_| "NULL")
                    .collect::<Vec<_>>(),
            };
            let mode = match values {
                Some(_) => "force_custom_plan",
                None => "force_generic_plan",
            };
            diesel::sql_query(format!("SET plan_cache_mode = {mode}"))
                .execute(c)
                .unwrap();
            diesel::sql_query(format!("PREPARE planned AS {query}"))
                .execute(c)
                .unwrap_or_else(|e| panic!("{e}: {query}"));
            let execute = if params.is_empty() {
                "EXPLAIN EXECUTE planned".to_owned()
            } else {
                format!("EXPLAIN EXECUTE planned({})", params.join(", "))
            };
            let lines = diesel::sql_query(execute)
                .load::<PostgresPlanLine>(c)
                .unwrap();
            diesel::sql_query("DEALLOCATE planned").execute(c).unwrap();
            lines.into_iter().map(|l| l.line).collect()
        }
    }
}

/// The plan of a cursor (an export on PostgreSQL), which the planner makes for the first rows
/// (`cursor_tuple_fraction`), unlike a prepared query's: explained as declared, with the
/// recorded binds written in as literals (PREPARE cannot take a DECLARE).
fn cursor_plan(conn: &mut DbConn, query: &str, binds: &str) -> Vec<String> {
    let binds: Vec<serde_json::Value> =
        serde_json::from_str(binds).unwrap_or_else(|e| panic!("{e}: binds {binds}"));
    let mut sql = query.to_owned();
    // From the last, so that $1 does not take the start of $10.
    for (n, value) in binds.iter().enumerate().rev() {
        let literal = match value {
            serde_json::Value::String(text) => format!("'{}'", text.replace('\'', "''")),
            other => other.to_string(),
        };
        sql = sql.replace(&format!("${}", n + 1), &literal);
    }
    let DbConn::Postgres(c) = conn else {
        panic!("only PostgreSQL reads through a cursor: {query}")
    };
    c.transaction(|c| diesel::sql_query(format!("EXPLAIN {sql}")).load::<PostgresPlanLine>(c))
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// A plan step that reads the whole table or sorts what it read.
fn scans_or_sorts(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '-', '>']);
    line == "SCAN registrations"
        || line.starts_with("SCAN registrations USING")
        || line.starts_with("USE TEMP B-TREE FOR ORDER BY")
        || line.starts_with("Seq Scan on registrations")
        || line.starts_with("Sort")
        || line.starts_with("Incremental Sort")
}

fn assert_indexed(conn: &mut DbConn, what: &str, queries: Vec<String>) {
    assert!(!queries.is_empty(), "{what}: its reads were recorded");
    for query in queries {
        let steps = plan(conn, &query);
        assert!(
            !steps.iter().any(|s| scans_or_sorts(s)),
            "{what} scans or sorts the meeting:\n{query}\n{}",
            steps.join("\n")
        );
    }
}

on_both_backends!(the_organizer_list_and_its_exports_walk_an_index);
async fn the_organizer_list_and_its_exports_walk_an_index(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let mut slugs = Vec::new();
    for _ in 0..MEETINGS {
        slugs.push(app.meeting(&organizer, serde_json::json!({})).await);
    }
    let mut conn = app.db.connect();
    let ids: Vec<String> = slugs
        .iter()
        .map(|slug| {
            let slug = convene::values::Slug::parse(Some(slug)).unwrap();
            convene::meetings::store::by_slug(&mut conn, &slug)
                .unwrap()
                .id
        })
        .collect();
    fill(&mut conn, &ids);
    if let DbConn::Postgres(_) = conn {
        sql(&mut conn, "ANALYZE");
    }
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    let meeting = convene::meetings::store::by_id(&mut conn, &ids[3]).unwrap();

    let (first, next) = store::list(
        &mut conn,
        &meeting,
        &ListFilter::default(),
        Order::Oldest,
        100,
        None,
    )
    .unwrap();
    assert_eq!(first.len(), 100);
    assert_indexed(&mut conn, "the first page", recorder.registration_reads());

    let (second, _) = store::list(
        &mut conn,
        &meeting,
        &ListFilter::default(),
        Order::Oldest,
        100,
        next.as_deref(),
    )
    .unwrap();
    assert!(
        second[0].id > first[99].id,
        "pages follow each other in registration order"
    );
    assert_indexed(&mut conn, "the next page", recorder.registration_reads());

    let waiting = ListFilter {
        status: Some(RegistrationStatus::Waitlisted),
        ..ListFilter::default()
    };
    let (listed, _) = store::list(&mut conn, &meeting, &waiting, Order::Oldest, 100, None).unwrap();
    assert!(listed.iter().all(|r| r.status == "waitlisted"));
    assert_indexed(&mut conn, "a status filter", recorder.registration_reads());

    let stats = store::stats(&mut conn, &meeting).unwrap();
    assert_eq!(
        stats.by_status["confirmed"],
        (PER_MEETING - PER_MEETING / 4) as i64
    );
    assert_eq!(
        stats.press.attendees,
        (PER_MEETING / 2 - PER_MEETING / 4) as i64
    );
    assert_eq!(
        recorder.reads_of(&["registrations", "outbox"]),
        Vec::<String>::new(),
        "the stats and the press summary read the kept counts, not the meeting or its emails"
    );

    // A search reads the trigram index (`registrations_search` on both backends), then the
    // rows it names. On SQLite it first tests the next rows of the meeting in order (a bounded
    // probe, where a broad search fills its page) and asks the index for the rest.
    let search = ListFilter {
        q: Some("1234".into()),
        ..ListFilter::default()
    };
    let (found, _) = store::list(&mut conn, &meeting, &search, Order::Oldest, 100, None).unwrap();
    assert_eq!(found.len(), 1);
    let meeting_literal = format!("'{}'", meeting.id);
    let values = [meeting_literal.as_str(), "'%1234%'", "'\\'", "101"];
    let reads = recorder.registration_reads();
    if let DbConn::Sqlite(_) = conn {
        let indexed = reads.iter().filter(|q| q.contains("registrations_search"));
        assert_eq!(indexed.count(), 1, "one read asks the index: {reads:?}");
    }
    for query in reads {
        let sound = match conn {
            // SQLite (no statistics) reads the trigram index and fetches the rows it names,
            // rather than walking the meeting to test each row against the index's answer;
            // its probe reads a bounded stretch of the meeting's index.
            DbConn::Sqlite(_) if query.contains("registrations_search") => {
                let steps = plan(&mut conn, &query);
                steps.iter().any(|s| s.contains("registrations_search"))
                    && !steps
                        .iter()
                        .any(|s| s.contains("INDEX registrations_meeting"))
            }
            DbConn::Sqlite(_) => {
                let steps = plan(&mut conn, &query);
                query.contains("LIMIT") && !steps.iter().any(|s| scans_or_sorts(s))
            }
            // PostgreSQL weighs the trigram index against the meeting's rows by their
            // statistics: with a meeting this small it may read the meeting (the size bench
            // shows it takes the trigram index at 100,000), but never the whole table.
            DbConn::Postgres(_) => !plan_with(&mut conn, &query, Some(&values))
                .iter()
                .any(|s| s.contains("Seq Scan on registrations")),
        };
        assert!(sound, "the search reads an index:\n{query}");
    }

    // The export: one ordered pass (a cursor on PostgreSQL), in registration order.
    let mut exported: Vec<String> = Vec::new();
    let mut places: Vec<i64> = Vec::new();
    store::each(&mut conn, &meeting, &ListFilter::default(), |view| {
        exported.push(view.id);
        places.extend(view.waitlist_position);
        Ok(true)
    })
    .unwrap();
    assert_eq!(exported.len(), PER_MEETING);
    // Every fourth row waits, tickets in row order: the places count up from 1.
    let expected: Vec<i64> = (1..=(PER_MEETING / 4) as i64).collect();
    assert_eq!(places, expected, "each waiting row's place on the list");
    assert!(exported.is_sorted(), "the export is in registration order");
    let reads = recorder.registration_reads();
    assert_eq!(
        reads.iter().any(|q| q.starts_with("DECLARE")),
        matches!(conn, DbConn::Postgres(_)),
        "on PostgreSQL the export reads through a cursor, not page by page: {reads:?}"
    );
    assert_indexed(&mut conn, "the export", reads);

    // The press file: one ordered pass in name order, on the press list's index.
    let mut names: Vec<String> = Vec::new();
    convene::press::store::each_attendee(&mut conn, &meeting.id, |attendee| {
        names.push(attendee.full_name);
        Ok(true)
    })
    .unwrap();
    assert!(
        !names.is_empty() && names.is_sorted(),
        "the press file is in name order"
    );
    assert_indexed(&mut conn, "the press file", recorder.registration_reads());
}

on_both_backends!(a_search_pages_through_every_match_in_order);
async fn a_search_pages_through_every_match_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, serde_json::json!({})).await;
    let mut conn = app.db.connect();
    let id = convene::meetings::store::by_slug(
        &mut conn,
        &convene::values::Slug::parse(Some(&slug)).unwrap(),
    )
    .unwrap()
    .id;
    fill(&mut conn, std::slice::from_ref(&id));
    let meeting = convene::meetings::store::by_id(&mut conn, &id).unwrap();
    // "e 2" is in participants 2, 20-29, 200-299 and 2000-2499: matches on both sides of
    // SQLite's probe (the first 2,000 rows), so pages join the probe and the index.
    for status in [
        None,
        Some(convene::registrations::model::RegistrationStatus::Waitlisted),
    ] {
        let filter = ListFilter {
            q: Some("e 2".into()),
            status,
            ..ListFilter::default()
        };
        let expected: Vec<String> = diesel::sql_query(format!(
            "SELECT id FROM registrations WHERE meeting_id = '{id}' AND search_text LIKE '%e 2%' {} \
             ORDER BY id",
            if status.is_some() { "AND status = 'waitlisted'" } else { "" }
        ))
        .load::<IdRow>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect();
        let (mut cursor, mut seen) = (None::<String>, Vec::new());
        loop {
            let (page, next) = store::list(
                &mut conn,
                &meeting,
                &filter,
                Order::Oldest,
                100,
                cursor.as_deref(),
            )
            .unwrap();
            seen.extend(page.into_iter().map(|view| view.id));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert!(expected.len() > 100, "the search spans pages");
        assert_eq!(seen, expected, "every match once, in order ({status:?})");
        // The table's count: exact below 1,000 (on SQLite, through the probe and the index).
        assert_eq!(
            store::count(&mut conn, &meeting, &filter).unwrap(),
            store::Count::Exact(expected.len() as i64)
        );
    }
    // A search every row matches: "more than 1,000", found among the first rows.
    let everyone = ListFilter {
        q: Some("participante".into()),
        ..ListFilter::default()
    };
    assert_eq!(
        store::count(&mut conn, &meeting, &everyone).unwrap(),
        store::Count::MoreThan(1000)
    );
    let nobody = ListFilter {
        q: Some("zzzz".into()),
        ..ListFilter::default()
    };
    assert_eq!(
        store::count(&mut conn, &meeting, &nobody).unwrap(),
        store::Count::Exact(0)
    );
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

on_both_backends!(waiting_list_places_are_counted_for_the_page_alone);
async fn waiting_list_places_are_counted_for_the_page_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, serde_json::json!({})).await;
    let mut conn = app.db.connect();
    let id = convene::meetings::store::by_slug(
        &mut conn,
        &convene::values::Slug::parse(Some(&slug)).unwrap(),
    )
    .unwrap()
    .id;
    fill(&mut conn, std::slice::from_ref(&id));
    let meeting = convene::meetings::store::by_id(&mut conn, &id).unwrap();
    // Every page, walked: each waitlisted row's place is its rank among the waiting (every
    // fourth row, tickets in row order), whichever page it falls on.
    let (mut cursor, mut places) = (None, Vec::new());
    loop {
        let (page, next) = store::list(
            &mut conn,
            &meeting,
            &ListFilter::default(),
            Order::Oldest,
            37,
            cursor.as_deref(),
        )
        .unwrap();
        places.extend(page.iter().filter_map(|r| r.waitlist_position));
        if next.is_none() {
            break;
        }
        cursor = next;
    }
    let expected: Vec<i64> = (1..=(PER_MEETING / 4) as i64).collect();
    assert_eq!(places, expected);
    // And one registration's own view agrees with the list.
    let last = format!("00000000-0000-7000-8000-{PER_MEETING:012}");
    let view = store::view(&mut conn, &last).unwrap();
    assert_eq!(view.waitlist_position, Some((PER_MEETING / 4) as i64));
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CountRow {
    #[diesel(sql_type = Text)]
    dimension: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The counts as the database keeps them, and the same counted afresh from the rows.
pub(crate) fn kept_and_recounted(
    conn: &mut DbConn,
    meeting_id: &str,
) -> (Vec<CountRow>, Vec<CountRow>) {
    // Summed over shards; a count below zero (a change taken off twice) shows too.
    let kept = format!(
        "SELECT dimension, key, CAST(sum(n) AS BIGINT) AS n FROM meeting_counts
         WHERE meeting_id = '{meeting_id}' GROUP BY dimension, key HAVING sum(n) <> 0"
    );
    let confirmed =
        format!("FROM registrations WHERE meeting_id = '{meeting_id}' AND status = 'confirmed'");
    let fresh = format!(
        "SELECT 'status' AS dimension, status AS key, count(*) AS n FROM registrations
             WHERE meeting_id = '{meeting_id}' GROUP BY status
         UNION ALL SELECT 'org', organization_id, count(*) {confirmed} GROUP BY organization_id
         UNION ALL SELECT 'country', country, count(*) {confirmed} GROUP BY country
         UNION ALL SELECT 'press_org', organization_id, count(*) {confirmed}
             AND consent_press_listing GROUP BY organization_id
         UNION ALL SELECT 'press_country', country, count(*) {confirmed}
             AND consent_press_listing GROUP BY country
         UNION ALL SELECT 'email', status, count(*) FROM outbox
             WHERE meeting_id = '{meeting_id}' GROUP BY status
         UNION ALL SELECT 'category', category || '/' || status, count(*) FROM registrations
             WHERE meeting_id = '{meeting_id}' GROUP BY category, status"
    );
    // Both from one snapshot: the email worker may mark an email sent between two reads.
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        if let DbConn::Postgres(_) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(conn)?;
        }
        let mut load = |query: &str| {
            let mut rows = diesel::sql_query(query).load::<CountRow>(conn)?;
            rows.sort();
            Ok::<_, diesel::result::Error>(rows)
        };
        Ok((load(&kept)?, load(&fresh)?))
    })
    .unwrap()
}

on_both_backends!(kept_counts_never_drift_from_the_rows);
async fn kept_counts_never_drift_from_the_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, serde_json::json!({"capacity": 12}))
        .await;
    let countries = ["GT", "HN", "SV", "MX"];
    let people: Vec<(String, serde_json::Value)> = (0..24)
        .map(|i| {
            let email = format!("p{i}@example.org");
            let mut body = crate::support::TestApp::registration_body(&email);
            body["organization"]["name"] = format!("Centro de Información {}", i % 5).into();
            body["country"] = countries[i % 4].into();
            body["consent_press_listing"] = (i % 3 == 0).into();
            (email, body)
        })
        .collect();
    // Everyone registers and confirms at once: twelve take the seats, twelve wait.
    let tokens = futures::future::join_all(
        people
            .iter()
            .map(|(_, body)| app.register_and_read_token(&slug, body.clone())),
    )
    .await;
    futures::future::join_all(tokens.iter().map(|token| app.confirm(token))).await;
    let mut manage = Vec::new();
    for (email, _) in &people {
        manage.push(app.smtp.wait_for(email, 2).await[1].manage_token());
    }
    // Then, racing: some cancel (the waiting list moves up), some change organisation, country
    // or consent, some delete themselves.
    let app = &app;
    let changes = manage.iter().enumerate().map(|(i, token)| async move {
        let answer = match i % 6 {
            0 => app.post("/api/v1/registration/cancel", Some(token), serde_json::json!({})).await,
            1 => {
                let change = serde_json::json!({
                    "organization": {"name": "Mesa Regional", "kind": "civil_society", "country": "CR"},
                    "country": "CR", "consent_press_listing": true
                });
                app.patch("/api/v1/registration", Some(token), change).await
            }
            2 => app.call(reqwest::Method::DELETE, "/api/v1/registration", Some(token), None).await,
            3 => {
                let change = serde_json::json!({"consent_press_listing": false});
                app.patch("/api/v1/registration", Some(token), change).await
            }
            _ => app.get("/api/v1/registration", Some(token)).await,
        };
        assert!(answer.status < 300, "change {i}: {} {}", answer.status, answer.text);
    });
    futures::future::join_all(changes).await;

    let mut conn = app.db.connect();
    let meeting_id = convene::meetings::store::by_slug(
        &mut conn,
        &convene::values::Slug::parse(Some(&slug)).unwrap(),
    )
    .unwrap()
    .id;
    let (kept, fresh) = kept_and_recounted(&mut conn, &meeting_id);
    assert!(
        fresh.iter().any(|r| r.dimension == "press_org"),
        "the scenario lists some for the press"
    );
    assert!(
        fresh.iter().any(|r| r.key == "waitlisted")
            && fresh.iter().any(|r| r.key == "participant/waitlisted"),
        "and leaves some waiting"
    );
    assert_eq!(kept, fresh);
    // The organizer's stats and the press summary read what is kept.
    let stats = app.stats(&organizer, &slug).await;
    let confirmed = fresh
        .iter()
        .find(|r| r.dimension == "status" && r.key == "confirmed")
        .map_or(0, |r| r.n);
    assert_eq!(stats["by_status"]["confirmed"], confirmed);
    let listed: i64 = fresh
        .iter()
        .filter(|r| r.dimension == "press_org")
        .map(|r| r.n)
        .sum();
    assert_eq!(stats["press"]["attendees"], listed);
    assert_eq!(
        stats["by_country"]["CR"],
        fresh
            .iter()
            .find(|r| r.dimension == "country" && r.key == "CR")
            .map_or(0, |r| r.n)
    );
}

on_both_backends!(keys_emptied_by_the_upgrade_are_folded_again);
async fn keys_emptied_by_the_upgrade_are_folded_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, serde_json::json!({})).await;
    let mut body = crate::support::TestApp::registration_body("ana@example.org");
    body["full_name"] = "Ana Zúñiga".into();
    app.register(&slug, body).await;
    // What the migration that began folding leaves: every key empty.
    let mut conn = app.db.connect();
    sql(&mut conn, "UPDATE registrations SET search_text = ''");
    let search = "q=zuniga";
    assert!(
        app.registrations(&organizer, &slug, search)
            .await
            .is_empty(),
        "an empty key matches nothing"
    );
    assert_eq!(store::refold_search_text(&mut conn).unwrap(), 1);
    assert_eq!(app.registrations(&organizer, &slug, search).await.len(), 1);
    assert_eq!(store::refold_search_text(&mut conn).unwrap(), 0, "once");
}
