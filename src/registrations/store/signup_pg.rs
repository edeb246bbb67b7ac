//! A public registration on PostgreSQL in one statement: the function `convene_register`
//! (migration `2026-12-13-000001_register_in_one_statement`) runs what `signup::register` runs
//! on SQLite, statement for statement, inside the database. Every value is decided here first
//! (ids, the check-in code, the search text, the emails' payloads, the webhook plan) and
//! passed as one JSON argument, so the function decides nothing the Rust code does not.
//!
//! Before: about twelve round trips (the transaction, the attempt count, the address, the
//! organisation, the insert, the audit entry, the webhooks, the email). Now one, or three with
//! travel (which seals in Rust: a transaction around the call and the travel row).

use super::*;
use crate::checkin::CheckinCode;
use crate::db::timestamp_text as text;
use crate::db::DirectPg;
use crate::webhooks::store::{Change, Planned};
use diesel::sql_types::{Nullable, Text, Timestamp};

/// What `convene_register` answers.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Registered,
    /// The address was registered: its link went out again (at most once an hour).
    Known,
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    oldest_attempt: Option<NaiveDateTime>,
}

/// An email's kind and payload as the outbox stores them.
#[derive(serde::Serialize)]
struct Mail {
    kind: &'static str,
    payload: String,
}

impl Mail {
    fn of(mail: &ParticipantMail) -> AppResult<Self> {
        Ok(Self {
            kind: mail.kind(),
            payload: serde_json::to_string(mail).map_err(anyhow::Error::from)?,
        })
    }
}

/// The function's argument. Timestamps are text, to the microsecond, as diesel binds them.
#[derive(serde::Serialize)]
struct Call<'a> {
    now: String,
    meeting_id: &'a str,
    /// The client's digest and limit, when the guard is on.
    client_key: Option<String>,
    attempt_limit: Option<i64>,
    attempts_since: String,
    attempt_id: String,
    email: &'a str,
    email_key: String,
    /// The statuses whose address may register again (set aside, not overwritten).
    again: Vec<&'static str>,
    resend_before: String,
    org_id: String,
    org_name: &'a str,
    org_key: String,
    org_kind: &'a str,
    org_country: &'a str,
    id: String,
    category: &'a str,
    checkin_code: String,
    full_name: &'a str,
    job_title: Option<&'a str>,
    country: &'a str,
    language: &'a str,
    dietary: Option<&'a str>,
    accessibility: Option<&'a str>,
    interpretation: Option<&'a str>,
    press_listing: bool,
    search_text: String,
    answers: String,
    pending_status: &'static str,
    outbox_status: &'static str,
    outbox_id: String,
    audit_id: String,
    audit_actor: String,
    audit_action: &'static str,
    confirm_mail: Mail,
    known_mail: Mail,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<Planned>,
}

impl<'a> Call<'a> {
    fn new(
        to: &'a Destination,
        new: &'a NewRegistration,
        client: &ClientGuard,
        now: NaiveDateTime,
    ) -> AppResult<Self> {
        let id = new_id();
        let action = "registration.created";
        let hook = Planned::of(
            &Change {
                action,
                meeting_id: Some(&to.meeting_id),
                subject_id: Some(&id),
                detail: Status::PendingEmail.as_str(),
            },
            now,
        );
        let (client_key, attempt_limit) = match (client.key_for(&to.meeting_id), client.limit) {
            (Some(key), Some(limit)) => (Some(key), Some(limit)),
            _ => (None, None),
        };
        Ok(Self {
            now: text(now),
            meeting_id: &to.meeting_id,
            client_key,
            attempt_limit,
            attempts_since: text(now - ATTEMPT_WINDOW),
            attempt_id: new_id(),
            email: new.email.as_str(),
            email_key: new.email.key(),
            again: Status::ALL
                .into_iter()
                .filter(|status| status.can_register_again())
                .map(Status::as_str)
                .collect(),
            resend_before: text(now - LINK_RESEND_INTERVAL),
            org_id: new_id(),
            org_name: &new.organization.name,
            org_key: new.organization.key(),
            org_kind: new.organization.kind.as_str(),
            org_country: new.organization.country.as_str(),
            audit_actor: Actor::Participant(&id).label(),
            id,
            category: &to.category,
            checkin_code: CheckinCode::generate().as_str().to_owned(),
            full_name: new.full_name.as_str(),
            job_title: new.job_title.as_deref(),
            country: new.country.as_str(),
            language: new.language.as_str(),
            dietary: new.dietary.as_deref(),
            accessibility: new.accessibility.as_deref(),
            interpretation: new.interpretation.as_deref(),
            press_listing: new.consent_press_listing,
            search_text: new.search_text(),
            answers: new.answers.to_stored(),
            pending_status: Status::PendingEmail.as_str(),
            outbox_status: outbox::PENDING,
            outbox_id: new_id(),
            audit_id: new_id(),
            audit_action: action,
            confirm_mail: Mail::of(&ParticipantMail::ConfirmAddress)?,
            known_mail: Mail::of(&ParticipantMail::AlreadyRegistered)?,
            hook,
        })
    }

    fn run(&self, conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Outcome> {
        let DbConn::Postgres(pg) = conn else {
            unreachable!("convene_register is PostgreSQL's")
        };
        let argument = serde_json::to_string(self).map_err(anyhow::Error::from)?;
        let answer: Answer = crate::db::JsonCall {
            head: HEAD,
            argument,
        }
        .get_result(pg)?;
        answer.outcome(now)
    }

    /// `run` from the request's own thread (`DirectPg`).
    async fn run_direct(&self, direct: &DirectPg, now: NaiveDateTime) -> AppResult<Outcome> {
        let argument = serde_json::to_string(self).map_err(anyhow::Error::from)?;
        let row = direct.call_json(HEAD, &argument).await?;
        let answer = Answer {
            outcome: row.try_get(0).map_err(AppError::from_postgres)?,
            oldest_attempt: row.try_get(1).map_err(AppError::from_postgres)?,
        };
        answer.outcome(now)
    }
}

/// The statement before its argument, the same for diesel and `DirectPg` (the bench's
/// `pgbench` script writes it out, around a clock it reads first).
const HEAD: &str = "SELECT outcome, oldest_attempt FROM convene_register(";

impl Answer {
    fn outcome(self, now: NaiveDateTime) -> AppResult<Outcome> {
        match (self.outcome.as_str(), self.oldest_attempt) {
            ("registered", _) => Ok(Outcome::Registered),
            ("known", _) => Ok(Outcome::Known),
            ("rate_limited", Some(oldest)) => Err(AppError::RateLimited {
                retry_after_secs: (oldest + ATTEMPT_WINDOW - now).num_seconds().max(1) as u64,
            }),
            (other, _) => Err(anyhow::anyhow!("convene_register answered {other}").into()),
        }
    }
}

/// The argument `convene_register` gets for this registration: for the benchmark's pgbench
/// ceiling, which sends the same statement.
pub fn postgres_argument(
    to: &Destination,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<String> {
    Ok(serde_json::to_string(&Call::new(to, new, client, now)?).map_err(anyhow::Error::from)?)
}

/// `signup::register` on PostgreSQL, from the request's own thread: for a registration
/// without travel, which is one statement.
pub(super) async fn register_direct(
    direct: &DirectPg,
    to: &Destination,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    debug_assert!(
        new.travel.is_none(),
        "travel seals in a transaction of ours"
    );
    Call::new(to, new, client, now)?
        .run_direct(direct, now)
        .await
        .map(drop)
}

/// `signup::register` on PostgreSQL.
pub(super) fn register(
    conn: &mut DbConn,
    to: &Destination,
    new: &NewRegistration,
    client: &ClientGuard,
    now: NaiveDateTime,
) -> AppResult<()> {
    let call = Call::new(to, new, client, now)?;
    let Some(travel) = &new.travel else {
        // One statement is its own transaction.
        return call.run(conn, now).map(drop);
    };
    conn.transaction(|conn| {
        if call.run(conn, now)? == Outcome::Registered {
            crate::travel::store::save(conn, &call.id, &to.meeting_id, travel, &new.sealer, now)?;
        }
        Ok(())
    })
}
