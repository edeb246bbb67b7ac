//! Categories in storage. Their seats are read from the kept counts
//! (`category/<code>/<status>`), like the meeting's.

use super::{Category, CategoryDraft, CategoryView};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult, Problem};
use crate::meetings::counts::{self, Dimension};
use crate::meetings::store::AfterUpdate;
use crate::meetings::Meeting;
use crate::schema::{categories, registrations};
use crate::values::Code;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// A meeting's categories, in the order they were made.
pub fn of_meeting(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<Category>> {
    Ok(categories::table
        .filter(categories::meeting_id.eq(meeting_id))
        .order((
            categories::position.asc(),
            categories::created_at.asc(),
            categories::id.asc(),
        ))
        .select(Category::as_select())
        .load(conn)?)
}

/// The meeting's category names in `language`, by code.
pub fn names(
    conn: &mut DbConn,
    meeting_id: &str,
    language: crate::values::Language,
) -> AppResult<HashMap<String, String>> {
    Ok(of_meeting(conn, meeting_id)?
        .into_iter()
        .map(|category| {
            let name = category.name_in(language);
            (category.code, name)
        })
        .collect())
}

pub fn by_code(conn: &mut DbConn, meeting_id: &str, code: &str) -> AppResult<Category> {
    categories::table
        .filter(categories::meeting_id.eq(meeting_id))
        .filter(categories::code.eq(code))
        .select(Category::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The category a registration goes into: the one asked for, or the meeting's only category
/// open to the public. One that is invitation-only needs an invitation.
pub fn for_registration(
    conn: &mut DbConn,
    meeting: &Meeting,
    asked: Option<&Code>,
) -> AppResult<Category> {
    choose(&of_meeting(conn, &meeting.id)?, asked).cloned()
}

/// `for_registration` over categories already read.
pub fn choose<'a>(all: &'a [Category], asked: Option<&Code>) -> AppResult<&'a Category> {
    let category = match asked {
        Some(code) => all
            .iter()
            .find(|category| category.code == code.as_str())
            .ok_or_else(|| {
                AppError::invalid(
                    "category",
                    Problem::new("invalid", "not a category of this meeting"),
                )
            })?,
        None => {
            let mut open = all.iter().filter(|category| !category.invitation_only);
            match (open.next(), open.next()) {
                (Some(only), None) => only,
                (None, _) => return Err(invitation_required()),
                _ => {
                    return Err(AppError::invalid(
                        "category",
                        Problem::new("required", "choose one of the meeting's categories"),
                    ))
                }
            }
        }
    };
    if category.invitation_only {
        return Err(invitation_required());
    }
    Ok(category)
}

fn invitation_required() -> AppError {
    AppError::Refused {
        code: "invitation_required",
        message: "this category takes registrations through an invitation only".to_owned(),
    }
}

/// Seats taken in one category: its confirmed registrations, from the kept counts (exact under
/// the meeting lock, which every change to a confirmed seat takes), and the seats set aside in
/// it for delegations.
pub fn seats_taken_in(conn: &mut DbConn, meeting_id: &str, code: &str) -> AppResult<i64> {
    let key = format!("{code}/confirmed");
    let confirmed: i64 =
        counts::of_meetings(conn, &[meeting_id.to_owned()], Dimension::Category, &key)?
            .values()
            .sum();
    let reserved = crate::meetings::store::reserved_in(conn, meeting_id)?;
    Ok(confirmed + reserved.by_category.get(code).copied().unwrap_or(0))
}

/// Adds one seat to a full category: the organizer's choice to seat someone beyond it. Call it
/// under the meeting lock.
pub fn add_seat(conn: &mut DbConn, meeting_id: &str, code: &str) -> AppResult<()> {
    diesel::update(
        categories::table
            .filter(categories::meeting_id.eq(meeting_id))
            .filter(categories::code.eq(code))
            .filter(categories::capacity.is_not_null()),
    )
    .set(categories::capacity.eq(categories::capacity + 1))
    .execute(conn)?;
    Ok(())
}

/// A meeting's categories with their seats left, as its view lists them.
pub fn views(
    conn: &mut DbConn,
    meeting: &Meeting,
    meeting_seats_left: Option<i64>,
    language: crate::values::Language,
) -> AppResult<Vec<CategoryView>> {
    let confirmed = seats_taken_by_category(conn, &meeting.id)?;
    Ok(of_meeting(conn, &meeting.id)?
        .iter()
        .map(|category| {
            let seated = confirmed.get(&category.code).copied().unwrap_or(0);
            CategoryView::new(category, seated, meeting_seats_left, language)
        })
        .collect())
}

/// Seats taken by category code: confirmed, and set aside for delegations.
pub fn seats_taken_by_category(
    conn: &mut DbConn,
    meeting_id: &str,
) -> AppResult<HashMap<String, i64>> {
    let mut taken: HashMap<String, i64> = counts::by_key(conn, meeting_id, Dimension::Category)?
        .into_iter()
        .filter_map(|(key, n)| {
            let (code, status) = key.rsplit_once('/')?;
            (status == "confirmed").then(|| (code.to_owned(), n))
        })
        .collect();
    for (code, aside) in crate::meetings::store::reserved_in(conn, meeting_id)?.by_category {
        *taken.entry(code).or_default() += aside;
    }
    Ok(taken)
}

/// Counts by category code and status, from the kept counts (the stats).
pub fn counts_by_category(
    conn: &mut DbConn,
    meeting_id: &str,
) -> AppResult<HashMap<String, HashMap<String, i64>>> {
    let mut by_category: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (key, n) in counts::by_key(conn, meeting_id, Dimension::Category)? {
        if let Some((code, status)) = key.rsplit_once('/') {
            by_category
                .entry(code.to_owned())
                .or_default()
                .insert(status.to_owned(), n);
        }
    }
    Ok(by_category)
}

pub fn create(
    conn: &mut DbConn,
    meeting: &Meeting,
    draft: &CategoryDraft,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<Category> {
    conn.transaction(|conn| {
        // Under the lock: two organizers adding the same code get one 409, not an error.
        crate::meetings::store::lock(conn, &meeting.id)?;
        let taken = categories::table
            .filter(categories::meeting_id.eq(&meeting.id))
            .filter(categories::code.eq(draft.code.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        if taken > 0 {
            return Err(AppError::conflict(
                "category_exists",
                "this meeting already has a category with that code",
            ));
        }
        let position: Option<i32> = categories::table
            .filter(categories::meeting_id.eq(&meeting.id))
            .select(diesel::dsl::max(categories::position))
            .first(conn)?;
        let id = new_id();
        diesel::insert_into(categories::table)
            .values((
                categories::id.eq(&id),
                categories::meeting_id.eq(&meeting.id),
                categories::code.eq(draft.code.as_str()),
                categories::created_at.eq(now),
                categories::position.eq(position.unwrap_or(0) + 1),
                values(draft),
            ))
            .execute(conn)?;
        record(conn, meeting, &id, "category.created", account_id, now)?;
        by_code(conn, &meeting.id, draft.code.as_str())
    })
}

/// Changes a category: the fields sent laid over it as it is under the meeting lock (two
/// changes at once do not overwrite each other), checked like a new one; its code stays.
/// Raised seats go to the waiting list (`after`) in the same transaction.
pub fn update(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &str,
    patch: crate::patch::Patch,
    account_id: &str,
    now: NaiveDateTime,
    after: AfterUpdate,
) -> AppResult<Category> {
    conn.transaction(|conn| {
        crate::meetings::store::lock(conn, &meeting.id)?;
        let category = by_code(conn, &meeting.id, code)?;
        let draft = &CategoryDraft::parse(&patch.over(&category.to_form())?)?;
        if draft.code.as_str() != code {
            return Err(AppError::invalid(
                "code",
                Problem::new("immutable", "a category's code never changes"),
            ));
        }
        // The meeting as it is under the lock: its limits bound the seats given below.
        let meeting = &crate::meetings::store::by_id(conn, &meeting.id)?;
        diesel::update(categories::table.find(&category.id))
            .set(values(draft))
            .execute(conn)?;
        if category.press_accreditation && !draft.press_accreditation {
            revoke_press_links(conn, meeting, code, now)?;
        }
        record(
            conn,
            meeting,
            &category.id,
            "category.updated",
            account_id,
            now,
        )?;
        after(conn, meeting, &Actor::Account(account_id), now)?;
        by_code(conn, &meeting.id, code)
    })
}

/// A category that no longer accredits the press: its journalists' press links stop.
fn revoke_press_links(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    use crate::schema::tokens;
    let in_category = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::category.eq(code))
        .select(registrations::id.nullable());
    diesel::update(
        tokens::table
            .filter(tokens::kind.eq(crate::accounts::tokens::TokenKind::Press.as_str()))
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::registration_id.eq_any(in_category)),
    )
    .set(tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Removes a category no registration is in, unless it is the meeting's last.
pub fn delete(
    conn: &mut DbConn,
    meeting: &Meeting,
    code: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    conn.transaction(|conn| {
        // Under the lock, so no seat in it is decided meanwhile (a registration racing in meets
        // the foreign key on PostgreSQL).
        crate::meetings::store::lock(conn, &meeting.id)?;
        let category = by_code(conn, &meeting.id, code)?;
        let used = registrations::table
            .filter(registrations::meeting_id.eq(&meeting.id))
            .filter(registrations::category.eq(code))
            .select(registrations::id)
            .first::<String>(conn)
            .optional()?
            .is_some()
            || promised(conn, &meeting.id, code)?;
        let others = categories::table
            .filter(categories::meeting_id.eq(&meeting.id))
            .filter(categories::id.ne(&category.id))
            .count()
            .get_result::<i64>(conn)?;
        if used || others == 0 {
            return Err(AppError::conflict(
                "category_in_use",
                "registrations are in this category, or it is the meeting's only one",
            ));
        }
        diesel::delete(categories::table.find(&category.id)).execute(conn)?;
        record(
            conn,
            meeting,
            &category.id,
            "category.deleted",
            account_id,
            now,
        )
    })
}

/// Whether an invitation not revoked, or a delegation, names the category: they register
/// into it later.
fn promised(conn: &mut DbConn, meeting_id: &str, code: &str) -> AppResult<bool> {
    use crate::schema::{delegations, invitations};
    let invited = invitations::table
        .filter(invitations::meeting_id.eq(meeting_id))
        .filter(invitations::category.eq(code))
        .filter(invitations::status.ne("revoked"))
        .select(invitations::id)
        .first::<String>(conn)
        .optional()?;
    let delegated = delegations::table
        .filter(delegations::meeting_id.eq(meeting_id))
        .filter(delegations::category.eq(code))
        .select(delegations::id)
        .first::<String>(conn)
        .optional()?;
    Ok(invited.is_some() || delegated.is_some())
}

#[allow(clippy::type_complexity)]
fn values(
    draft: &CategoryDraft,
) -> (
    diesel::dsl::Eq<categories::name, &str>,
    diesel::dsl::Eq<categories::translations, String>,
    diesel::dsl::Eq<categories::capacity, Option<i64>>,
    diesel::dsl::Eq<categories::requires_approval, bool>,
    diesel::dsl::Eq<categories::invitation_only, bool>,
    diesel::dsl::Eq<categories::press_accreditation, bool>,
) {
    (
        categories::name.eq(draft.name.as_str()),
        categories::translations.eq(serde_json::to_string(&draft.translations).unwrap_or_default()),
        categories::capacity.eq(draft.capacity),
        categories::requires_approval.eq(draft.requires_approval),
        categories::invitation_only.eq(draft.invitation_only),
        categories::press_accreditation.eq(draft.press_accreditation),
    )
}

fn record(
    conn: &mut DbConn,
    meeting: &Meeting,
    category_id: &str,
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
            subject_id: Some(category_id),
            detail: "",
        },
        now,
    )
}
