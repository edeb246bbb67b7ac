//! The organizer's decisions on registrations: one at a time from the table, the waiting list
//! and a person's page, or on a selection of the table; each destructive one asked first.

use super::super::model::{Registration, RegistrationStatus, RegistrationView};
use super::super::store::{self, Decision};
use crate::audit::Actor;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{fill, Catalogue};
use crate::meetings::dashboard::organized;
use crate::meetings::Meeting;
use crate::web::confirm::{self, Done};
use crate::web::dashboard::{Dashboard, Tab};
use crate::web::page::{OnPage, PageContext, PageResult};
use crate::web::state::AppState;
use actix_web::web;
use std::collections::HashMap;

/// At most this many registrations in one bulk action: a few pages of the table.
const BULK_MOST: usize = 500;

/// What the organizer asked, as one action on one registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Approve,
    Reject,
    CheckIn,
    Cancel,
    Promote,
}

impl Action {
    const ALL: [Self; 5] = [
        Self::Approve,
        Self::Reject,
        Self::CheckIn,
        Self::Cancel,
        Self::Promote,
    ];

    /// Its segment of the path (`…/registrations/{id}/check-in`) and its value in the bulk form.
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::CheckIn => "check-in",
            Self::Cancel => "cancel",
            Self::Promote => "promote",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.code() == code)
    }

    /// Its button for someone of `status`: cancelling someone who waits takes them off the list.
    pub(super) fn label(self, t: &Catalogue, status: &str) -> &'static str {
        match self {
            Self::Approve => t.approve,
            Self::Reject => t.reject,
            Self::CheckIn => t.check_in,
            Self::Promote => t.promote,
            Self::Cancel if status == RegistrationStatus::Waitlisted.as_str() => {
                t.remove_from_waitlist
            }
            Self::Cancel => t.cancel,
        }
    }

    /// What a person's status allows.
    pub(super) fn allowed(r: &RegistrationView) -> Vec<Self> {
        match r.status.as_str() {
            "pending_approval" => vec![Self::Approve, Self::Reject, Self::Cancel],
            "confirmed" if r.checked_in_at.is_none() => vec![Self::CheckIn, Self::Cancel],
            "waitlisted" => vec![Self::Promote, Self::Cancel],
            "confirmed" | "pending_email" => vec![Self::Cancel],
            _ => vec![],
        }
    }

    fn done(self) -> Done {
        match self {
            Self::Approve => Done::Approved,
            Self::Reject => Done::Rejected,
            Self::CheckIn => Done::CheckedIn,
            Self::Cancel => Done::Cancelled,
            Self::Promote => Done::Promoted,
        }
    }

    /// Whether the organizer is asked first: what cannot be undone, or costs a seat.
    fn asks_first(self) -> bool {
        !matches!(self, Self::Approve | Self::CheckIn)
    }

    fn apply(self, conn: &mut DbConn, meeting: &Meeting, id: &str, account: &str) -> AppResult<()> {
        let decision = match self {
            Self::Approve => Decision::Approve,
            Self::Reject => Decision::Reject,
            Self::CheckIn => Decision::CheckIn,
            Self::Promote => return store::promote(conn, meeting, id, account, now()).map(|_| ()),
            Self::Cancel => {
                let slug = crate::web::slug_or_404(&meeting.slug)?;
                let actor = Actor::Account(account);
                return store::cancel(conn, id, Some(&slug), &actor, now()).map(|_| ());
            }
        };
        store::decide(conn, meeting, id, decision, account, now()).map(|_| ())
    }
}

/// Back to where the decision was taken (the table, the waiting list, a person's page), within
/// this meeting's dashboard.
fn back_within(fields: &HashMap<String, String>, meeting: &Meeting) -> String {
    let dashboard = format!("/organizer/m/{}", meeting.slug);
    fields
        .get("back")
        .and_then(|back| crate::web::paths::local_location_under(back, &dashboard))
        .unwrap_or_else(|| format!("{dashboard}/registrations"))
}

pub(super) async fn decide(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    path: web::Path<(String, String, String)>,
    fields: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (slug, id, action) = path.into_inner();
    let result = async {
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let action = Action::parse(&action).ok_or(AppError::NotFound)?;
        let back = back_within(&fields, &meeting);
        if action.asks_first() && !confirm::confirmed(&fields) {
            let for_read = meeting.id.clone();
            let (person, seated) = state
                .read(move |conn| {
                    let person = store::by_id(conn, &id)?;
                    Ok((
                        person,
                        crate::meetings::store::seats_taken(conn, &for_read)?,
                    ))
                })
                .await?;
            if person.meeting_id != meeting.id {
                return Err(AppError::NotFound);
            }
            let full = meeting.capacity.is_some_and(|capacity| seated >= capacity);
            return Ok(question(&ctx, &meeting, &person, action, full, &back).ask(
                &ctx,
                &meeting,
                Tab::Registrations,
                &fields,
            ));
        }
        let account = current.account_id.clone();
        let for_decision = meeting.clone();
        state
            .write(move |conn| action.apply(conn, &for_decision, &id, &account))
            .await?;
        state.wake_mailer();
        Ok(confirm::done_at(&back, action.done()))
    }
    .await;
    result.on_page(&ctx)
}

/// The question before an action on one person, saying what follows for them.
fn question<'a>(
    ctx: &PageContext,
    meeting: &Meeting,
    person: &Registration,
    action: Action,
    full: bool,
    back: &'a str,
) -> confirm::Question<'a> {
    let t = ctx.t();
    let status = person.status.as_str();
    let (question, consequence, yes) = match action {
        Action::Reject => (
            t.confirm_reject_registration,
            t.reject_registration_consequence,
            t.reject,
        ),
        Action::Promote if full => (t.confirm_promote, t.promote_full_consequence, t.promote),
        Action::Promote => (t.confirm_promote, t.promote_consequence, t.promote),
        _ if status == RegistrationStatus::Waitlisted.as_str() => (
            t.confirm_cancel_registration,
            t.leave_waitlist_consequence,
            t.remove_from_waitlist,
        ),
        // No seat held yet: nobody moves up.
        _ if status != RegistrationStatus::Confirmed.as_str() => (
            t.confirm_cancel_registration,
            t.cancel_pending_consequence,
            t.cancel,
        ),
        _ => (
            t.confirm_cancel_registration,
            t.cancel_registration_consequence,
            t.cancel,
        ),
    };
    confirm::Question {
        question: fill(question, &[("name", &person.full_name)]),
        consequence,
        yes,
        action: format!(
            "/organizer/m/{}/registrations/{}/{}",
            meeting.slug,
            person.id,
            action.code()
        ),
        back,
    }
}

/// One action on the registrations ticked in the table (`id`, repeated; or `ids`, comma
/// separated, once the question was asked). Each is decided on its own, as if clicked in its
/// row: those whose status does not allow it are skipped and counted.
pub(super) async fn bulk(
    state: web::Data<AppState>,
    Dashboard { current, ctx }: Dashboard,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult {
    let result = async {
        let (fields, ids) = selection(form.into_inner());
        current.check(&fields)?;
        let meeting = organized(&state, &slug, &current.account_id).await?;
        let back = back_within(&fields, &meeting);
        let action = fields
            .get("action")
            .and_then(|code| Action::parse(code))
            .filter(|action| matches!(action, Action::Approve | Action::CheckIn | Action::Cancel))
            .ok_or(AppError::NotFound)?;
        if ids.is_empty() {
            return Ok(confirm::done_at(&back, Done::NothingSelected));
        }
        if !confirm::confirmed(&fields) {
            let t = ctx.t();
            let (question, consequence, yes) = match action {
                Action::Approve => (
                    t.confirm_bulk_approve,
                    t.bulk_approve_consequence,
                    t.approve,
                ),
                Action::CheckIn => (
                    t.confirm_bulk_check_in,
                    t.bulk_check_in_consequence,
                    t.check_in,
                ),
                _ => (t.confirm_bulk_cancel, t.bulk_cancel_consequence, t.cancel),
            };
            let mut kept = fields.clone();
            kept.insert("ids".to_owned(), ids.join(","));
            let question = confirm::Question {
                question: crate::i18n::counted(ids.len() as i64, question),
                consequence,
                yes,
                action: format!("/organizer/m/{}/registrations/bulk", meeting.slug),
                back: &back,
            };
            return Ok(question.ask(&ctx, &meeting, Tab::Registrations, &kept));
        }
        let account = current.account_id.clone();
        let for_decision = meeting.clone();
        let ticked = ids.len() as u32;
        let skipped = state
            .write(move |conn| {
                let mut skipped = 0;
                for id in &ids {
                    match action.apply(conn, &for_decision, id, &account) {
                        Ok(()) => {}
                        // Decided meanwhile, or not in this meeting: as a row would answer.
                        Err(AppError::Conflict { .. } | AppError::NotFound) => skipped += 1,
                        Err(error) => return Err(error),
                    }
                }
                Ok(skipped)
            })
            .await?;
        state.wake_mailer();
        if skipped == ticked {
            return Ok(confirm::done_at(&back, Done::NoneApplied));
        }
        Ok(confirm::done_skipping(&back, action.done(), skipped))
    }
    .await;
    result.on_page(&ctx)
}

/// The form's single fields, and the ids selected: well-formed, each once, at most
/// [`BULK_MOST`], in registration order (ids are time-ordered), so approvals seat the earliest
/// first.
fn selection(pairs: Vec<(String, String)>) -> (HashMap<String, String>, Vec<String>) {
    let mut ids: Vec<String> = Vec::new();
    let mut fields = HashMap::new();
    for (name, value) in pairs {
        match name.as_str() {
            "id" => ids.push(value),
            "ids" => ids.extend(value.split(',').map(str::to_owned)),
            _ => {
                fields.insert(name, value);
            }
        }
    }
    let mut ids: Vec<String> = ids
        .iter()
        .filter_map(|id| crate::web::id_cursor(Some(id)).ok().flatten())
        .collect();
    ids.sort();
    ids.dedup();
    ids.truncate(BULK_MOST);
    (fields, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_keeps_well_formed_ids_once() {
        let id = "0190f2a0-0000-7000-8000-000000000001".to_owned();
        let (fields, ids) = selection(vec![
            ("csrf".into(), "x".into()),
            ("id".into(), id.clone()),
            ("ids".into(), format!("{id},'; drop table")),
        ]);
        assert_eq!(ids, vec![id]);
        assert_eq!(fields.get("csrf").map(String::as_str), Some("x"));
    }
}
