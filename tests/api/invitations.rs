//! Invitations: a link bound to its address (a forwarded one cannot register another), that
//! registers at once; revoked and used ones refused with nothing written; CSV imports all or
//! nothing with each bad line named; one reminder, however many instances run the job. Both
//! backends.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend, TestApp};
use serde_json::{json, Value};

/// A meeting whose delegates come by invitation only; answers its slug.
async fn invited_meeting(app: &TestApp, organizer: &str) -> String {
    let slug = app.meeting(organizer, json!({})).await;
    let delegate = app
        .post(
            &format!("/api/v1/meetings/{slug}/categories"),
            Some(organizer),
            json!({"code": "delegate", "name": "Delegate", "invitation_only": true, "capacity": 2}),
        )
        .await;
    assert_eq!(delegate.status, 201, "{}", delegate.text);
    slug
}

async fn invite(app: &TestApp, organizer: &str, slug: &str, email: &str) -> (u16, Value) {
    let answer = app
        .post(
            &format!("/api/v1/meetings/{slug}/invitations"),
            Some(organizer),
            json!({"email": email, "full_name": "Ana María Pérez", "category": "delegate",
                "organization": {"name": "Centro Hub Tapachula", "kind": "information_hub", "country": "MX"},
                "language": "es"}),
        )
        .await;
    (answer.status, answer.body)
}

/// The token of the latest invitation email to `email`.
async fn link_sent_to(app: &TestApp, email: &str, count: usize) -> String {
    let mails = app.smtp.wait_for(email, count).await;
    mails[count - 1].invitation_token()
}

fn body_with(token: &str, email: Option<&str>) -> Value {
    let mut body = TestApp::registration_body(email.unwrap_or("x@example.org"));
    if email.is_none() {
        body.as_object_mut().unwrap().remove("email");
    }
    body["invitation"] = json!(token);
    body
}

async fn invitations(app: &TestApp, organizer: &str, slug: &str) -> Vec<Value> {
    let list = app
        .get(
            &format!("/api/v1/meetings/{slug}/invitations"),
            Some(organizer),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"].as_array().unwrap().clone()
}

on_both_backends!(an_invitation_registers_its_own_address_once);
async fn an_invitation_registers_its_own_address_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = invited_meeting(&app, &organizer).await;

    let mut public = TestApp::registration_body("ana@example.org");
    public["category"] = json!("delegate");
    let refused = app.register(&slug, public).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (403, "invitation_required".to_owned())
    );

    let (status, sent) = invite(&app, &organizer, &slug, "Ana@Example.org").await;
    assert_eq!(
        (status, sent["status"].as_str()),
        (201, Some("sent")),
        "{sent}"
    );
    let mail = &app.smtp.wait_for("Ana@Example.org", 1).await[0];
    assert!(mail.subject.contains("Invitación"), "{}", mail.subject);
    assert!(
        !mail.text.contains("/manage/"),
        "no manage link before registering"
    );
    let token = mail.invitation_token();

    // Forwarded: another address cannot use it, and nothing is written.
    let forwarded = app
        .register(&slug, body_with(&token, Some("eve@example.org")))
        .await;
    assert_eq!(forwarded.status, 422, "{}", forwarded.text);
    assert_eq!(forwarded.field_errors(), ["email"]);
    assert_eq!(forwarded.body["errors"][0]["code"], "invitation_mismatch");
    assert!(app.registrations(&organizer, &slug, "").await.is_empty());

    // The address it was sent to, in any case, or left out: registered and decided at once.
    let registered = app.register(&slug, body_with(&token, None)).await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.body["status"], "confirmed");
    assert_eq!(registered.body["category"], "delegate");
    assert_eq!(registered.body["email"], "Ana@Example.org");
    let mails = app.smtp.wait_for("Ana@Example.org", 2).await;
    assert!(
        mails[1].text.contains("/manage/"),
        "the manage link, no confirm link"
    );
    assert!(!mails.iter().any(|m| m.text.contains("/confirm/")));

    let again = app.register(&slug, body_with(&token, None)).await;
    assert_eq!(
        (again.status, again.error_code()),
        (409, "invitation_used".to_owned())
    );
    let listed = invitations(&app, &organizer, &slug).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "registered");
    let (status, twice) = invite(&app, &organizer, &slug, "ana@example.org").await;
    assert_eq!(
        (status, twice["errors"][0]["code"].as_str()),
        (409, Some("already_registered"))
    );

    // Revoked, unknown, or for another meeting: a 422 on `invitation`, nothing written.
    let (_, bob) = invite(&app, &organizer, &slug, "bob@example.org").await;
    let (status, dup) = invite(&app, &organizer, &slug, "BOB@example.org").await;
    assert_eq!(
        (status, dup["errors"][0]["code"].as_str()),
        (409, Some("already_invited"))
    );
    let bob_token = link_sent_to(&app, "bob@example.org", 1).await;
    let id = bob["id"].as_str().unwrap();
    let revoked = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/meetings/{slug}/invitations/{id}"),
            Some(&organizer),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let with_revoked = app.register(&slug, body_with(&bob_token, None)).await;
    assert_eq!(with_revoked.field_errors(), ["invitation"]);
    assert_eq!(with_revoked.body["errors"][0]["code"], "revoked");
    let unknown = app.register(&slug, body_with(&"ab".repeat(32), None)).await;
    assert_eq!(unknown.body["errors"][0]["code"], "invalid");
    let other = app.meeting(&organizer, json!({})).await;
    let elsewhere = app.register(&other, body_with(&token, None)).await;
    assert_eq!(
        (
            elsewhere.field_errors(),
            elsewhere.body["errors"][0]["code"].as_str()
        ),
        (vec!["invitation".to_owned()], Some("invalid"))
    );
    let all = app.registrations(&organizer, &slug, "").await;
    assert_eq!(all.len(), 1, "only Ana");
    // Ana erases her registration: the invitation, which holds her address, goes with it.
    let manage = mails[1].manage_token();
    let erased = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&manage),
            None,
        )
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let left = invitations(&app, &organizer, &slug).await;
    assert!(
        left.iter().all(|i| i["email"] != "Ana@Example.org"),
        "{left:?}"
    );
    // Invited, but registered through the public form, then erased: the invitation goes too.
    invite(&app, &organizer, &slug, "Gil@Example.org").await;
    // Its email first, so that the next one read is the confirm link.
    link_sent_to(&app, "Gil@Example.org", 1).await;
    let mut public = TestApp::registration_body("gil@example.org");
    public["category"] = json!("participant");
    let confirm = app.register_and_read_token(&slug, public).await;
    app.confirm(&confirm).await;
    let gil = app.smtp.wait_for("gil@example.org", 3).await;
    let manage = gil
        .iter()
        .rev()
        .find(|m| m.text.contains("/manage/"))
        .unwrap()
        .manage_token();
    let erased = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/registration",
            Some(&manage),
            None,
        )
        .await;
    assert_eq!(erased.status, 204);
    let left = invitations(&app, &organizer, &slug).await;
    assert!(
        left.iter().all(|i| i["email"] != "Gil@Example.org"),
        "{left:?}"
    );
    let stranger = app.organizer().await;
    assert_eq!(
        app.get(
            &format!("/api/v1/meetings/{slug}/invitations"),
            Some(&stranger)
        )
        .await
        .status,
        403
    );
}

on_both_backends!(a_resent_invitation_has_a_new_link_and_the_old_one_stops);
async fn a_resent_invitation_has_a_new_link_and_the_old_one_stops(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = invited_meeting(&app, &organizer).await;
    let (_, sent) = invite(&app, &organizer, &slug, "carla@example.org").await;
    let first = link_sent_to(&app, "carla@example.org", 1).await;
    let id = sent["id"].as_str().unwrap();
    let resent = app
        .post(
            &format!("/api/v1/meetings/{slug}/invitations/{id}/resend"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(resent.status, 202, "{}", resent.text);
    let second = link_sent_to(&app, "carla@example.org", 2).await;
    assert_ne!(first, second);
    let old = app.register(&slug, body_with(&first, None)).await;
    assert_eq!(old.body["errors"][0]["code"], "invalid", "{}", old.text);
    let new = app.register(&slug, body_with(&second, None)).await;
    assert_eq!(new.status, 201, "{}", new.text);
}

async fn post_csv(app: &TestApp, organizer: &str, slug: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(format!(
            "{}/api/v1/meetings/{slug}/invitations.csv",
            app.address
        ))
        .bearer_auth(organizer)
        .header("Content-Type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn csv_of(lines: impl Iterator<Item = String>) -> Vec<u8> {
    let mut file =
        "email,full_name,organization,organization_kind,country,category,language\n".to_owned();
    for line in lines {
        file.push_str(&line);
        file.push('\n');
    }
    file.into_bytes()
}

on_both_backends!(a_csv_with_one_bad_line_among_500_is_refused_whole);
async fn a_csv_with_one_bad_line_among_500_is_refused_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = invited_meeting(&app, &organizer).await;
    let line = |i: usize| {
        format!("hub{i:03}@example.org,Persona {i},Centro {i},information_hub,GT,delegate,es")
    };
    // Line 251 of the file (the header is line 1) has no address.
    let bad = csv_of((1..=500).map(|i| match i {
        250 => "not an address,Persona,Centro,information_hub,GT,delegate,es".to_owned(),
        _ => line(i),
    }));
    let (status, refused) = post_csv(&app, &organizer, &slug, bad).await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<_> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, [json!("lines[251].email")]);
    let unknown_category = csv_of((1..=3).map(|i| match i {
        2 => "x@example.org,X,Centro,civil_society,GT,ghosts,es".to_owned(),
        _ => line(i),
    }));
    let (status, refused) = post_csv(&app, &organizer, &slug, unknown_category).await;
    assert_eq!(
        (status, refused["errors"][0]["field"].clone()),
        (422, json!("lines[3].category"))
    );
    assert!(
        invitations(&app, &organizer, &slug).await.is_empty(),
        "nothing imported"
    );
    assert!(app.smtp.all().is_empty(), "nothing sent");

    // Good: one address already invited, one given twice in the file.
    invite(&app, &organizer, &slug, "hub002@example.org").await;
    let good = csv_of((1..=5).map(line).chain([line(3)]));
    let (status, imported) = post_csv(&app, &organizer, &slug, good).await;
    assert_eq!(status, 201, "{imported}");
    assert_eq!(imported["created"], 4);
    assert_eq!(
        imported["skipped"],
        json!([{"line": 3, "email": "hub002@example.org", "code": "already_invited"},
               {"line": 7, "email": "hub003@example.org", "code": "duplicate_in_file"}])
    );
    assert_eq!(invitations(&app, &organizer, &slug).await.len(), 5);
    app.smtp.wait_for_total(5).await;

    for (body, field) in [
        (
            b"email,category\n\xFF\xFEx@example.org,delegate\n".to_vec(),
            "file",
        ),
        (b"".to_vec(), "file"),
        (b"email,category\n".to_vec(), "file"),
        (
            b"correo,category\nx@example.org,delegate\n".to_vec(),
            "header",
        ),
    ] {
        let (status, refused) = post_csv(&app, &organizer, &slug, body).await;
        assert_eq!(
            (status, refused["errors"][0]["field"].clone()),
            (422, json!(field)),
            "{refused}"
        );
    }
    let too_many = csv_of((1..=5001).map(line));
    let (status, refused) = post_csv(&app, &organizer, &slug, too_many).await;
    assert_eq!(
        (status, refused["errors"][0]["code"].as_str()),
        (413, Some("too_large"))
    );
    let too_big = csv_of((1..=4000).map(|i| format!("{},{}", line(i), "x".repeat(600))));
    assert!(too_big.len() > 2 * 1024 * 1024);
    let (status, refused) = post_csv(&app, &organizer, &slug, too_big).await;
    assert_eq!(
        (status, refused["errors"][0]["code"].as_str()),
        (413, Some("too_large"))
    );
    // Someone else's meeting: refused before the file is read.
    let stranger = app.organizer().await;
    let (status, _) = post_csv(&app, &stranger, &slug, b"not,a,list".to_vec()).await;
    assert_eq!(status, 403);
    assert_eq!(invitations(&app, &organizer, &slug).await.len(), 5);
}

on_both_backends!(an_unused_invitation_is_reminded_once_by_any_number_of_instances);
async fn an_unused_invitation_is_reminded_once_by_any_number_of_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = invited_meeting(&app, &organizer).await;
    let set = app
        .patch(
            &format!("/api/v1/meetings/{slug}"),
            Some(&organizer),
            json!({"invitation_reminder_days": 3}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["invitation_reminder_days"], 3);
    let public = app.get(&format!("/api/v1/meetings/{slug}"), None).await;
    assert!(
        public.body.get("invitation_reminder_days").is_none(),
        "organizers only"
    );
    invite(&app, &organizer, &slug, "dora@example.org").await;
    invite(&app, &organizer, &slug, "eli@example.org").await;
    let first = link_sent_to(&app, "dora@example.org", 1).await;
    link_sent_to(&app, "eli@example.org", 1).await;
    // Eli registers; Dora does not.
    let used = app
        .register(
            &slug,
            body_with(&link_sent_to(&app, "eli@example.org", 1).await, None),
        )
        .await;
    assert_eq!(used.status, 201, "{}", used.text);

    // The job as instances run it, each on its own connection. On SQLite one that finds the
    // database busy gives up for this round (and tries again at the next), never twice.
    // Sent four days ago, as far as the job can tell.
    {
        use diesel::prelude::*;
        let mut conn = app.db.connect();
        diesel::sql_query("UPDATE invitations SET sent_at = sent_at - INTERVAL '4 days'")
            .execute(&mut conn)
            .or_else(|_| {
                diesel::sql_query("UPDATE invitations SET sent_at = datetime(sent_at, '-4 days')")
                    .execute(&mut conn)
            })
            .unwrap();
    }
    let now = convene::db::now();
    let remind = |at| {
        let mut conn = app.db.connect();
        std::thread::spawn(move || {
            convene::invitations::store::remind_due(&mut conn, at).map_err(|e| e.to_string())
        })
    };
    assert_eq!(
        remind(now - chrono::TimeDelta::days(2)).join().unwrap(),
        Ok(0),
        "not yet"
    );
    let later = now;
    // Rounds of three at once, as the worker's rounds come: a round in which every instance
    // found SQLite busy (the app's own worker writing, on a loaded machine) reminds no one, and
    // the next tries again. One more round after the reminder shows it is never sent twice.
    let round = || {
        let runs: Vec<_> = (0..3).map(|_| remind(later)).collect();
        runs.into_iter()
            .map(|run| run.join().unwrap())
            .collect::<Vec<_>>()
    };
    let busy = |outcome: &Result<usize, String>| {
        backend == Backend::Sqlite && outcome.as_ref().is_err_and(|e| e == "service unavailable")
    };
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let this = round();
        let all_busy = this.iter().all(busy);
        outcomes.extend(this);
        if !all_busy {
            break;
        }
    }
    outcomes.extend(round());
    assert!(
        outcomes.iter().all(|o| o.is_ok() || busy(o)),
        "only SQLite's busy writer may turn a round away: {outcomes:?}"
    );
    let reminded: usize = outcomes.iter().flatten().sum();
    assert_eq!(reminded, 1, "one reminder, for Dora alone: {outcomes:?}");
    let mails = app.smtp.wait_for("dora@example.org", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.smtp.to("dora@example.org").len(),
        2,
        "one reminder email"
    );
    assert!(
        mails[1].subject.contains("Recordatorio"),
        "{}",
        mails[1].subject
    );
    let listed = invitations(&app, &organizer, &slug).await;
    let dora = listed
        .iter()
        .find(|i| i["email"] == "dora@example.org")
        .unwrap();
    assert!(dora["reminded_at"].is_string());
    assert_eq!(
        remind(later + chrono::TimeDelta::days(5)).join().unwrap(),
        Ok(0),
        "once only"
    );
    let old = app.register(&slug, body_with(&first, None)).await;
    assert_eq!(
        old.body["errors"][0]["code"], "invalid",
        "the reminder's link replaced it"
    );
    let fresh = app
        .register(&slug, body_with(&mails[1].invitation_token(), None))
        .await;
    assert_eq!(fresh.status, 201, "{}", fresh.text);
}

on_both_backends!(the_invitation_page_fills_in_what_it_knows_and_fixes_the_address);
async fn the_invitation_page_fills_in_what_it_knows_and_fixes_the_address(backend: Backend) {
    use crate::support::html::{assert_sound, fetch, form_values, post_form};
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = invited_meeting(&app, &organizer).await;
    let question = app
        .post(
            &format!("/api/v1/meetings/{slug}/questions"),
            Some(&organizer),
            json!({"code": "arrival", "label": "Arrival date", "kind": "date", "required": true,
                "categories": ["delegate"], "translations": {"es": {"label": "Fecha de llegada"}}}),
        )
        .await;
    assert_eq!(question.status, 201, "{}", question.text);
    invite(&app, &organizer, &slug, "flor@example.org").await;
    let token = link_sent_to(&app, "flor@example.org", 1).await;

    let page = fetch(&app, &format!("/i/{token}"), Some("en")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_sound(&page, "invitation page");
    assert!(
        page.body.contains("lang=\"es\""),
        "in the invited person's language"
    );
    assert!(page.body.contains("flor@example.org") && page.body.contains("Delegate"));
    assert!(
        page.body.contains("Fecha de llegada"),
        "the delegates' question"
    );
    let values = form_values(&page, &format!("/i/{token}"));
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(value("full_name").as_deref(), Some("Ana María Pérez"));
    assert_eq!(
        value("organization_name").as_deref(),
        Some("Centro Hub Tapachula")
    );
    assert!(
        value("email").is_none(),
        "the address is fixed, not a field"
    );

    let mut fields: Vec<(String, String)> = values
        .into_iter()
        .filter(|(name, _)| name != "consent_data_processing")
        .collect();
    fields.push(("consent_data_processing".into(), "on".into()));
    let borrowed = |fields: &[(String, String)]| -> Vec<(String, String)> { fields.to_vec() };
    let send = |fields: Vec<(String, String)>| {
        let app = &app;
        let path = format!("/i/{token}");
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            post_form(app, &path, &pairs).await
        }
    };
    let refused = send(borrowed(&fields)).await;
    assert_eq!(refused.status, 422, "the required question");
    assert!(refused.body.contains("answers_arrival-error"));
    assert!(app.registrations(&organizer, &slug, "").await.is_empty());
    fields.push(("answers_arrival".into(), "2030-05-28".into()));
    let done = send(borrowed(&fields)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let listed = app.registrations(&organizer, &slug, "").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["email"], "flor@example.org");
    assert_eq!(listed[0]["status"], "confirmed");
    assert_eq!(listed[0]["answers"], json!({"arrival": "2030-05-28"}));
    let again = fetch(&app, &format!("/i/{token}"), None).await;
    assert_eq!(again.status, 404);
    assert!(again.body.contains("ya se usó"), "said plainly, in Spanish");
    let unknown = fetch(&app, &format!("/i/{}", "0".repeat(64)), None).await;
    assert_eq!(unknown.status, 404);
}
