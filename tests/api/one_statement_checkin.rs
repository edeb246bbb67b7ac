//! On PostgreSQL a scan at the desk is one statement, the function `convene_check_in`; on
//! SQLite it is the Rust code it mirrors. The same scans on both must answer the same and leave
//! the same rows: the scans, the arrivals, the registrations' first arrival, the audit log and
//! the webhook deliveries, for every path (an arrival, a second scan, a scan sent again, a
//! nonce of another person's scan, someone not confirmed, an unknown code, another meeting's
//! code, an undone arrival, an arrival on a later day, an organizer's check-in, someone
//! cancelled since).

use crate::one_statement::{lines, Line};
use crate::support::{postgres_admin_url, Backend, TestApp, TestDb};
use actix_web::ResponseError;
use chrono::{Duration, NaiveDateTime};
use convene::audit::Actor;
use convene::checkin::{self, store as desk, CheckIn, CheckinCode, Holder, Source};
use convene::db::{self, DbConn};
use convene::error::AppError;
use convene::meetings::{
    self,
    model::{MeetingDraft, MeetingForm},
    Meeting,
};
use convene::registrations::model::{ClientGuard, NewRegistration, RegistrationForm};
use convene::registrations::store;
use convene::schema::{attendances, audit_log, check_ins, registrations};
use convene::values::Slug;
use convene::webhooks::{NewWebhook, WebhookForm};
use diesel::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

/// A meeting under way at `now`, with a webhook that wants check-ins, and three people
/// registered: Ana and Luis confirmed, Eva not; and Olga, confirmed in another meeting. Answers the meeting and the organizer's id.
fn meeting_under_way(conn: &mut DbConn, now: NaiveDateTime) -> (Meeting, String) {
    db::migrate(conn).unwrap();
    convene::demo::seed(conn, now).unwrap();
    let organizer: String = diesel::sql_query(format!(
        "SELECT id AS line FROM accounts WHERE email = '{}'",
        convene::demo::ORGANIZER_EMAIL
    ))
    .get_result::<Line>(conn)
    .unwrap()
    .line;
    let at = |at: NaiveDateTime| at.and_utc().to_rfc3339();
    let form: MeetingForm = serde_json::from_value(json!({
        "slug": "desk-statement", "title": "Intercambio regional", "country": "MX",
        "timezone": "America/Mexico_City",
        "starts_at": at(now - Duration::days(1)), "ends_at": at(now + Duration::days(1)),
        "capacity": null, "languages": ["es", "en"], "status": "published"
    }))
    .unwrap();
    let draft = MeetingDraft::parse(&form).unwrap();
    let meeting = meetings::store::create(conn, &draft, &organizer, now).unwrap();
    let mut elsewhere = form.clone();
    elsewhere.slug = Some("desk-elsewhere".into());
    let elsewhere = MeetingDraft::parse(&elsewhere).unwrap();
    meetings::store::create(conn, &elsewhere, &organizer, now).unwrap();
    let hook: WebhookForm = serde_json::from_value(
        json!({"url": "http://127.0.0.1:9/hooks", "events": ["registration.checked_in"]}),
    )
    .unwrap();
    let hook = NewWebhook::parse(&hook, true).unwrap();
    convene::webhooks::store::create(conn, &meeting.id, &hook, now).unwrap();
    for (email, name) in [
        ("ana@example.org", "Ana Pérez"),
        ("luis@example.org", "Luis Gómez"),
        ("eva@example.org", "Eva Ruiz"),
        ("olga@example.org", "Olga Ramos"),
    ] {
        let mut body = TestApp::registration_body(email);
        body["full_name"] = json!(name);
        let form: RegistrationForm = serde_json::from_value(body).unwrap();
        let new = NewRegistration::parse(&form, &Default::default()).unwrap();
        // Olga registers for another meeting of the same organizer.
        let slug = if email.starts_with("olga") {
            "desk-elsewhere"
        } else {
            &meeting.slug
        };
        let slug = Slug::parse(Some(slug)).unwrap();
        store::register_by_slug(conn, &slug, &new, &ClientGuard::default(), now).unwrap();
    }
    diesel::sql_query(
        "UPDATE registrations SET status = 'confirmed' WHERE email <> 'eva@example.org'",
    )
    .execute(conn)
    .unwrap();
    (meeting, organizer)
}

fn column(conn: &mut DbConn, query: &str) -> String {
    diesel::sql_query(query)
        .get_result::<Line>(conn)
        .unwrap()
        .line
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = check_ins)]
struct ScanRow {
    nonce: String,
    registration_id: String,
    day: String,
    device_at: NaiveDateTime,
    received_at: NaiveDateTime,
    source: String,
    desk_token_id: Option<String>,
    account_id: Option<String>,
    first: bool,
    undone_at: Option<NaiveDateTime>,
}

/// What a scan answered, without the ids it made.
fn answer(result: Result<checkin::CheckInAnswer, AppError>) -> String {
    match result {
        Ok(answer) => format!(
            "{} of {} ({}, {}) code={} arrived {} first={}",
            answer.registration.full_name,
            answer.registration.organization,
            answer.registration.country,
            answer.registration.category,
            // The code is the person's own: only its length compares across databases.
            answer.registration.checkin_code.len(),
            answer.registration.checked_in_at.as_deref().unwrap_or("-"),
            answer.first
        ),
        Err(AppError::NotFound) => "404".into(),
        Err(AppError::Conflict { code, .. }) => format!("409 {code}"),
        Err(other) => {
            let fields: Vec<String> = other
                .field_errors()
                .iter()
                .map(|error| format!("{}:{}", error.field.as_deref().unwrap_or("-"), error.code))
                .collect();
            format!("{} {}", other.status_code().as_u16(), fields.join(","))
        }
    }
}

/// Runs the scans on one backend at `now`; answers what each answered and what was stored.
fn scans_on(
    backend: Backend,
    now: NaiveDateTime,
) -> (Vec<String>, BTreeMap<&'static str, Vec<String>>) {
    let test_db = TestDb::new(backend);
    let mut conn = test_db.connect();
    let (meeting, organizer) = meeting_under_way(&mut conn, now);
    let id_of = |conn: &mut DbConn, email: &str| {
        column(
            conn,
            &format!("SELECT id AS line FROM registrations WHERE email = '{email}'"),
        )
    };
    let code_of = |conn: &mut DbConn, email: &str| {
        let code = column(
            conn,
            &format!("SELECT checkin_code AS line FROM registrations WHERE email = '{email}'"),
        );
        Holder::Code(CheckinCode::parse(&code).unwrap())
    };
    let (ana, luis) = (
        id_of(&mut conn, "ana@example.org"),
        id_of(&mut conn, "luis@example.org"),
    );
    let desk_scan = Source::Desk {
        token_id: "desk-one".into(),
    };
    let batch = Source::Batch {
        token_id: "desk-two".into(),
    };
    let by_organizer = Source::Organizer {
        account_id: organizer.clone(),
    };
    let day = checkin::day_of(&meeting, now);
    let mut answers = Vec::new();
    let mut scan = |conn: &mut DbConn,
                    what: &str,
                    holder: Holder,
                    nonce: &str,
                    at: NaiveDateTime,
                    source: &Source| {
        let scan = CheckIn {
            holder,
            at,
            day: checkin::day_of(&meeting, at),
            nonce: nonce.into(),
        };
        answers.push(format!(
            "{what}: {}",
            answer(desk::check_in(conn, &meeting, &scan, source, now))
        ));
    };
    // Seen a little earlier, on the same day (a run just after midnight sees both at once).
    let earlier = Some(now - Duration::minutes(3))
        .filter(|at| checkin::day_of(&meeting, *at) == day)
        .unwrap_or(now);
    // A scan of the day before, sent late: a later arrival keeps the first day's time.
    let yesterday = [
        now - Duration::days(1) + Duration::seconds(1),
        now - Duration::days(1),
    ]
    .into_iter()
    .find(|at| checkin::day_of(&meeting, *at) != day)
    .unwrap();
    let ana_code = code_of(&mut conn, "ana@example.org");
    let olga_code = code_of(&mut conn, "olga@example.org");
    let (luis_code, eva_code) = (
        code_of(&mut conn, "luis@example.org"),
        code_of(&mut conn, "eva@example.org"),
    );
    scan(
        &mut conn,
        "Ana seen yesterday, sent late",
        ana_code.clone(),
        "nonce-ana-0",
        yesterday,
        &batch,
    );
    scan(
        &mut conn,
        "Ana arrives",
        ana_code.clone(),
        "nonce-ana-1",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "Ana again, another desk",
        ana_code.clone(),
        "nonce-ana-2",
        now,
        &batch,
    );
    scan(
        &mut conn,
        "Ana's first scan sent again",
        ana_code.clone(),
        "nonce-ana-1",
        now,
        &batch,
    );
    scan(
        &mut conn,
        "Ana, seen earlier offline",
        ana_code.clone(),
        "nonce-ana-3",
        earlier,
        &batch,
    );
    scan(
        &mut conn,
        "Luis under Ana's nonce",
        luis_code.clone(),
        "nonce-ana-1",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "Eva, not confirmed",
        eva_code,
        "nonce-eva-1",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "An unknown code",
        Holder::Code(CheckinCode::generate()),
        "nonce-unknown",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "Olga, of another meeting",
        olga_code,
        "nonce-olga-1",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "Luis by the organizer",
        Holder::Registration(luis.clone()),
        "nonce-luis-1",
        earlier,
        &by_organizer,
    );
    desk::undo(&mut conn, &meeting, &ana, day, &Actor::System, now).unwrap();
    scan(
        &mut conn,
        "Ana's first scan after the undo",
        ana_code.clone(),
        "nonce-ana-1",
        now,
        &desk_scan,
    );
    scan(
        &mut conn,
        "Ana arrives again",
        ana_code,
        "nonce-ana-4",
        now,
        &desk_scan,
    );
    store::cancel(&mut conn, &luis, None, &Actor::System, now).unwrap();
    scan(
        &mut conn,
        "Luis's scan sent again, cancelled since",
        Holder::Registration(luis.clone()),
        "nonce-luis-1",
        now,
        &by_organizer,
    );
    scan(
        &mut conn,
        "Luis, cancelled",
        luis_code,
        "nonce-luis-2",
        now,
        &desk_scan,
    );

    let mut ids: BTreeMap<String, String> =
        diesel::sql_query("SELECT id || ' ' || email AS line FROM registrations")
            .load::<Line>(&mut conn)
            .unwrap()
            .into_iter()
            .filter_map(|row| {
                let (id, email) = row.line.split_once(' ')?;
                Some((id.to_owned(), email.to_owned()))
            })
            .collect();
    ids.insert(organizer, "the organizer".into());
    ids.insert(meeting.id.clone(), "the meeting".into());
    let named = |id: &str| ids.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let time = |at: Option<NaiveDateTime>| at.map_or("-".to_owned(), |at| at.to_string());
    let sorted = |mut rows: Vec<String>| {
        rows.sort();
        rows
    };
    let mut stored = BTreeMap::new();
    let scans: Vec<ScanRow> = check_ins::table
        .filter(check_ins::meeting_id.eq(&meeting.id))
        .select(ScanRow::as_select())
        .load(&mut conn)
        .unwrap();
    stored.insert(
        "scans",
        sorted(
            scans
                .into_iter()
                .map(|s| {
                    format!(
                        "{} {} {} at {} got {} {} {} {} first={} undone={}",
                        s.nonce,
                        named(&s.registration_id),
                        s.day,
                        s.device_at,
                        s.received_at,
                        s.source,
                        s.desk_token_id.unwrap_or_default(),
                        named(&s.account_id.unwrap_or_default()),
                        s.first,
                        time(s.undone_at),
                    )
                })
                .collect(),
        ),
    );
    let arrivals: Vec<(String, String, NaiveDateTime, String)> = attendances::table
        .inner_join(check_ins::table.on(check_ins::id.eq(attendances::check_in_id)))
        .filter(attendances::meeting_id.eq(&meeting.id))
        .select((
            attendances::registration_id,
            attendances::day,
            attendances::arrived_at,
            check_ins::nonce,
        ))
        .load(&mut conn)
        .unwrap();
    stored.insert(
        "arrivals",
        sorted(
            arrivals
                .into_iter()
                .map(|(person, day, at, nonce)| {
                    format!("{} {day} at {at} by {nonce}", named(&person))
                })
                .collect(),
        ),
    );
    let people: Vec<(String, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        registrations::table
            .filter(registrations::meeting_id.eq(&meeting.id))
            .select((
                registrations::email,
                registrations::status,
                registrations::checked_in_at,
                registrations::updated_at,
            ))
            .load(&mut conn)
            .unwrap();
    stored.insert(
        "registrations",
        sorted(
            people
                .into_iter()
                .map(|(email, status, arrived, changed)| {
                    format!(
                        "{email} {status} checked in {} changed {}",
                        time(arrived),
                        time(changed)
                    )
                })
                .collect(),
        ),
    );
    let audit: Vec<(String, String, Option<String>, String, NaiveDateTime)> = audit_log::table
        .filter(audit_log::meeting_id.eq(&meeting.id))
        .filter(audit_log::action.like("%check%"))
        .select((
            audit_log::actor,
            audit_log::action,
            audit_log::subject_id,
            audit_log::detail,
            audit_log::at,
        ))
        .load(&mut conn)
        .unwrap();
    stored.insert(
        "audit",
        sorted(
            audit
                .into_iter()
                .map(|(actor, action, subject, detail, at)| {
                    let actor = ids
                        .iter()
                        .fold(actor, |actor, (id, name)| actor.replace(id, name));
                    format!(
                        "{actor} {action} {} {detail} at {at}",
                        named(&subject.unwrap_or_default())
                    )
                })
                .collect(),
        ),
    );
    stored.insert("webhook deliveries", lines(&mut conn, &format!(
        "SELECT event || ' ' || coalesce(subject_id, '-') || ' ' || payload || ' ' || status AS line \
         FROM webhook_deliveries WHERE meeting_id = '{}'", meeting.id), &ids));
    let ana = stored["registrations"]
        .iter()
        .find(|line| line.starts_with("ana@example.org"))
        .unwrap();
    assert!(
        ana.contains(&format!("checked in {yesterday} ")),
        "{backend:?}: her first arrival stays yesterday's: {ana}"
    );
    (answers, stored)
}

#[test]
fn postgres_checks_in_in_one_statement_leaving_what_sqlite_leaves() {
    if postgres_admin_url().is_none() {
        return;
    }
    let now = db::now();
    let (sqlite_answers, sqlite) = scans_on(Backend::Sqlite, now);
    let (postgres_answers, postgres) = scans_on(Backend::Postgres, now);
    assert_eq!(postgres_answers, sqlite_answers);
    for (table, rows) in &sqlite {
        assert_eq!(
            &postgres[table], rows,
            "{table}: PostgreSQL's rows, then SQLite's"
        );
    }
    // What the paths should answer and leave, not merely the same on both.
    let outcomes: Vec<&str> = sqlite_answers
        .iter()
        .map(|line| line.rsplit_once(' ').map_or("", |(_, last)| last))
        .collect();
    assert_eq!(
        outcomes,
        [
            "first=true",
            "first=true",
            "first=false",
            "first=true",
            "first=false",
            "nonce:taken",
            "not_confirmed",
            "404",
            "404",
            "first=true",
            "first=false",
            "first=true",
            "first=true",
            "not_confirmed"
        ],
        "{sqlite_answers:#?}"
    );
    assert_eq!(sqlite["scans"].len(), 6, "{:#?}", sqlite["scans"]);
    assert_eq!(
        sqlite["arrivals"].len(),
        3,
        "Ana yesterday, Ana again after the undo, and Luis: {:#?}",
        sqlite["arrivals"]
    );
    assert_eq!(
        sqlite["webhook deliveries"].len(),
        4,
        "{:#?}",
        sqlite["webhook deliveries"]
    );
    assert!(
        sqlite["webhook deliveries"]
            .iter()
            .all(|line| !line.contains("@registration@")),
        "{:#?}",
        sqlite["webhook deliveries"]
    );
}

/// On PostgreSQL the function is what checks in: without it, a scan fails.
#[test]
fn postgres_check_in_goes_through_convene_check_in() {
    if postgres_admin_url().is_none() {
        return;
    }
    let now = db::now();
    let test_db = TestDb::new(Backend::Postgres);
    let mut conn = test_db.connect();
    let (meeting, _) = meeting_under_way(&mut conn, now);
    let ana = column(
        &mut conn,
        "SELECT id AS line FROM registrations WHERE email = 'ana@example.org'",
    );
    let scan = |nonce: &str| CheckIn {
        holder: Holder::Registration(ana.clone()),
        at: now,
        day: checkin::day_of(&meeting, now),
        nonce: nonce.into(),
    };
    let desk_scan = Source::Desk {
        token_id: "desk-one".into(),
    };
    let first = desk::check_in(&mut conn, &meeting, &scan("nonce-1"), &desk_scan, now).unwrap();
    assert!(first.first);
    // An argument missing a value is refused by name, before any insert could fail on it.
    let refused = diesel::sql_query(
        "SELECT * FROM convene_check_in('{\"now\": \"2030-01-01 00:00:00\"}'::jsonb)",
    )
    .execute(&mut conn)
    .unwrap_err()
    .to_string();
    assert!(refused.contains("meeting_id is missing"), "{refused}");
    diesel::sql_query("DROP FUNCTION convene_check_in(jsonb)")
        .execute(&mut conn)
        .unwrap();
    let gone = desk::check_in(&mut conn, &meeting, &scan("nonce-2"), &desk_scan, now);
    let status = gone
        .map(|answer| answer.first)
        .map_err(|e| e.status_code().as_u16());
    assert_eq!(status, Err(500));
}
