//! Questions in storage.

use super::{Question, QuestionDraft, QuestionView, Questionnaire};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult, Problem};
use crate::meetings::Meeting;
use crate::schema::questions;
use crate::values::Language;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A meeting's questions, in the form's order.
pub fn of_meeting(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<Question>> {
    Ok(questions::table
        .filter(questions::meeting_id.eq(meeting_id))
        .order((
            questions::position.asc(),
            questions::created_at.asc(),
            questions::id.asc(),
        ))
        .select(Question::as_select())
        .load(conn)?)
}

pub fn by_code(conn: &mut DbConn, meeting_id: &str, code: &str) -> AppResult<Question> {
    questions::table
        .filter(questions::meeting_id.eq(meeting_id))
        .filter(questions::code.eq(code))
        .select(Question::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// What a registration in the meeting is asked.
pub fn questionnaire(conn: &mut DbConn, meeting_id: &str) -> AppResult<Questionnaire> {
    let questions = of_meeting(conn, meeting_id)?;
    let categories = crate::meetings::categories::store::of_meeting(conn, meeting_id)?;
    let mut public = categories
        .iter()
        .filter(|category| !category.invitation_only);
    let default_category = match (public.next(), public.next()) {
        (Some(only), None) => Some(only.code.clone()),
        _ => None,
    };
    Ok(Questionnaire {
        questions,
        default_category,
        categories,
    })
}

pub fn views(
    conn: &mut DbConn,
    meeting_id: &str,
    language: Language,
) -> AppResult<Vec<QuestionView>> {
    Ok(of_meeting(conn, meeting_id)?
        .iter()
        .map(|question| QuestionView::new(question, language))
        .collect())
}

/// The categories a question names must be the meeting's.
fn check_categories(conn: &mut DbConn, meeting: &Meeting, draft: &QuestionDraft) -> AppResult<()> {
    let Some(codes) = &draft.categories else {
        return Ok(());
    };
    let known = crate::meetings::categories::store::of_meeting(conn, &meeting.id)?;
    match codes
        .iter()
        .find(|code| !known.iter().any(|c| c.code == code.as_str()))
    {
        Some(code) => Err(AppError::invalid(
            "categories",
            Problem::new(
                "invalid",
                format!("{} is not a category of this meeting", code.as_str()),
            ),
        )),
        None => Ok(()),
    }
}

pub fn create(
    conn: &mut DbConn,
    meeting: &Meeting,
    draft: &QuestionDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Question> {
    conn.transaction(|conn| {
        check_categories(conn, meeting, draft)?;
        // Under the lock: two organizers adding the same code get one 409, not an error.
        crate::meetings::store::lock(conn, &meeting.id)?;
        let taken = questions::table
            .filter(questions::meeting_id.eq(&meeting.id))
            .filter(questions::code.eq(draft.code.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        if taken > 0 {
            return Err(AppError::conflict(
                "question_exists",
                "this meeting already has a question with that code",
            ));
        }
        let last: Option<i32> = questions::table
            .filter(questions::meeting_id.eq(&meeting.id))
            .select(diesel::dsl::max(questions::position))
            .first(conn)?;
        let id = new_id();
        diesel::insert_into(questions::table)
            .values((
                questions::id.eq(&id),
                questions::meeting_id.eq(&meeting.id),
                questions::code.eq(draft.code.as_str()),
                questions::created_at.eq(now),
                questions::position.eq(draft.position.unwrap_or(last.unwrap_or(0) + 1)),
                values(draft),
            ))
            .execute(conn)?;
        record(conn, meeting, &id, "question.created", account_id, now)?;
        by_code(conn, &meeting.id, draft.code.as_str())
    })
}

/// Changes a question; its code stays. Answers already given stay as they were: a changed
/// question shows them as given.
pub fn update(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &str,
    patch: crate::patch::Patch,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Question> {
    conn.transaction(|conn| {
        crate::meetings::store::lock(conn, &meeting.id)?;
        let current = by_code(conn, &meeting.id, code)?;
        let draft = QuestionDraft::parse(&patch.over(&current.to_form())?)?;
        if draft.code.as_str() != code {
            return Err(AppError::invalid(
                "code",
                Problem::new("immutable", "a question's code never changes"),
            ));
        }
        check_categories(conn, meeting, &draft)?;
        diesel::update(questions::table.find(&current.id))
            .set((
                values(&draft),
                questions::position.eq(draft.position.unwrap_or(current.position)),
            ))
            .execute(conn)?;
        record(
            conn,
            meeting,
            &current.id,
            "question.updated",
            account_id,
            now,
        )?;
        by_code(conn, &meeting.id, code)
    })
}

/// Removes a question. Answers given to it are no longer shown or exported.
pub fn delete(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let question = by_code(conn, &meeting.id, code)?;
        diesel::delete(questions::table.find(&question.id)).execute(conn)?;
        record(
            conn,
            meeting,
            &question.id,
            "question.deleted",
            account_id,
            now,
        )
    })
}

#[allow(clippy::type_complexity)]
fn values(
    draft: &QuestionDraft,
) -> (
    diesel::dsl::Eq<questions::label, &str>,
    diesel::dsl::Eq<questions::translations, String>,
    diesel::dsl::Eq<questions::kind, &'static str>,
    diesel::dsl::Eq<questions::options, String>,
    diesel::dsl::Eq<questions::required, bool>,
    diesel::dsl::Eq<questions::categories, Option<String>>,
) {
    let json = |value: serde_json::Result<String>| value.unwrap_or_default();
    (
        questions::label.eq(draft.label.as_str()),
        questions::translations.eq(json(serde_json::to_string(&draft.translations))),
        questions::kind.eq(draft.kind.as_str()),
        questions::options.eq(json(serde_json::to_string(&draft.options))),
        questions::required.eq(draft.required),
        questions::categories.eq(draft.categories.as_ref().map(|codes| {
            let codes: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
            json(serde_json::to_string(&codes))
        })),
    )
}

fn record(
    conn: &mut DbConn,
    meeting: &Meeting,
    question_id: &str,
    action: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::record(
        conn,
        audit::NewEntry {
            actor: &Actor::Account(account_id),
            action,
            meeting_id: Some(&meeting.id),
            subject_id: Some(question_id),
            detail: "",
        },
        now,
    )
}
