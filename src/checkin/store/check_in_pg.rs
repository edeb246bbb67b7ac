//! A scan at the desk on PostgreSQL in one statement: the function `convene_check_in`
//! (migration `2026-12-14-000001_check_in_in_one_statement`) runs what `check_in` runs on
//! SQLite, statement for statement, inside the database. Every value is decided here first
//! (the ids, the audit entry, the webhook plan) and passed as one JSON argument.
//!
//! Before: six round trips for a second scan (`BEGIN`, the person, the arrival, the scan, the
//! arrival read back, `COMMIT`), eight for an arrival (the registration, the audit entry and the
//! webhooks instead of the read). Now one; the desk's token is read before, as it was.

use super::*;
use crate::db::timestamp_text as text;
use crate::webhooks::store::{Change, Planned};
use diesel::sql_types::{Bool, Nullable, Text, Timestamp};

/// Stands for the person's id in the webhook payload, planned before the function finds them
/// by their code. Ids are UUIDs: they never hold an `@`.
const SUBJECT_PLACEHOLDER: &str = "@registration@";

/// The function's argument. Timestamps are text, to the microsecond, as diesel binds them.
#[derive(serde::Serialize)]
struct Call<'a> {
    meeting_id: &'a str,
    /// One of the two: a desk scans a code, an organizer checks a registration in.
    code: Option<&'a str>,
    registration_id: Option<&'a str>,
    nonce: &'a str,
    day: String,
    at: String,
    now: String,
    scan_id: String,
    source: &'static str,
    desk_token_id: Option<&'a str>,
    account_id: Option<&'a str>,
    confirmed_status: &'static str,
    audit_id: String,
    audit_actor: String,
    audit_action: &'static str,
    audit_detail: String,
    subject_placeholder: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<Planned>,
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Text>)]
    person_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    person_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    organization_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    person_country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    person_category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    person_code: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    arrived: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Bool>)]
    was_first: Option<bool>,
}

impl<'a> Call<'a> {
    fn new(
        meeting: &'a Meeting,
        scan: &'a CheckIn,
        source: &'a Source,
        now: NaiveDateTime,
    ) -> Self {
        let (code, registration_id) = match &scan.holder {
            Holder::Code(code) => (Some(code.as_str()), None),
            Holder::Registration(id) => (None, Some(id.as_str())),
        };
        let (desk_token_id, account_id) = source.who();
        let action = "registration.checked_in";
        let audit_detail = source.audit_detail(scan.day);
        let hook = Planned::of(
            &Change {
                action,
                meeting_id: Some(&meeting.id),
                subject_id: Some(SUBJECT_PLACEHOLDER),
                detail: &audit_detail,
            },
            now,
        );
        Self {
            meeting_id: &meeting.id,
            code,
            registration_id,
            nonce: &scan.nonce,
            day: scan.day.to_string(),
            at: text(scan.at),
            now: text(now),
            scan_id: new_id(),
            source: source.as_str(),
            desk_token_id,
            account_id,
            confirmed_status: RegistrationStatus::Confirmed.as_str(),
            audit_id: new_id(),
            audit_actor: source.actor().label(),
            audit_action: action,
            audit_detail,
            subject_placeholder: SUBJECT_PLACEHOLDER,
            hook,
        }
    }
}

/// `check_in` on PostgreSQL.
pub(super) fn check_in(
    conn: &mut DbConn,
    meeting: &Meeting,
    scan: &CheckIn,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<CheckInAnswer> {
    let DbConn::Postgres(pg) = conn else {
        unreachable!("convene_check_in is PostgreSQL's")
    };
    let argument = serde_json::to_string(&Call::new(meeting, scan, source, now))
        .map_err(anyhow::Error::from)?;
    let answer: Answer = crate::db::JsonCall {
        // Columns named: a prepared statement must keep its result's shape, even if a later
        // migration re-creates the function with more.
        head: "SELECT outcome, person_id, person_name, organization_name, person_country, \
               person_category, person_code, arrived, was_first FROM convene_check_in(",
        argument,
    }
    .get_result(pg)?;
    match answer.outcome.as_str() {
        "checked_in" => {
            let (Some(id), Some(full_name), Some(organization), Some(country), Some(first)) = (
                answer.person_id,
                answer.person_name,
                answer.organization_name,
                answer.person_country,
                answer.was_first,
            ) else {
                return Err(anyhow::anyhow!("convene_check_in answered no person").into());
            };
            let row = (
                id,
                full_name,
                organization,
                country,
                answer.person_category,
                answer.person_code,
                answer.arrived,
            );
            Ok(CheckInAnswer {
                registration: desk_participant(meeting, row),
                first,
            })
        }
        "not_found" => Err(AppError::NotFound),
        "not_confirmed" => Err(not_confirmed()),
        "nonce_taken" => Err(nonce_for_another()),
        other => Err(anyhow::anyhow!("convene_check_in answered {other}").into()),
    }
}
