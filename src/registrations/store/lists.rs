//! The organizer's lists and counts.

use super::*;

/// A page of the organizer's list, in registration order, and the cursor of the next page.
pub fn list(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    limit: i64,
    after: Option<&str>,
) -> AppResult<(Vec<RegistrationView>, Option<String>)> {
    let mut query = registrations::table
        .inner_join(organizations::table)
        .filter(super::search::in_meeting(
            conn,
            &meeting.id,
            filter.q.as_deref(),
        ))
        .select((Registration::as_select(), Organization::as_select()))
        .order(registrations::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(registrations::status.eq(status.as_str()));
    }
    if let Some(kind) = filter.organization_kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(registrations::country.eq(country.as_str().to_owned()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(super::search::containing(conn, q));
    }
    if let Some(after) = after {
        query = query.filter(registrations::id.gt(after.to_owned()));
    }
    let mut rows: Vec<(Registration, Organization)> = query.load(conn)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(r, _)| r.id.clone())
    } else {
        None
    };
    let waiting: Vec<i64> = rows
        .iter()
        .filter(|(r, _)| r.status() == Status::Waitlisted)
        .filter_map(|(r, _)| r.queue_ticket)
        .collect();
    let positions = waitlist_positions(conn, &meeting.id, &waiting)?;
    let views = rows
        .into_iter()
        .map(|(registration, organization)| {
            let position = registration
                .queue_ticket
                .filter(|_| registration.status() == Status::Waitlisted)
                .and_then(|ticket| positions.get(&ticket).copied());
            RegistrationView::new(meeting, registration, organization, position)
        })
        .collect();
    Ok((views, next))
}

/// The places on the waiting list (1 for the head) of these tickets, by ticket. Tickets are
/// unique in a meeting and number the list, so this reads only the list between the page's
/// lowest and highest ticket, on the queue-order index, plus a count below it: a page costs
/// what it shows, not what the meeting holds.
pub(super) fn waitlist_positions(
    conn: &mut DbConn,
    meeting_id: &str,
    tickets: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    let (Some(&lowest), Some(&highest)) = (tickets.iter().min(), tickets.iter().max()) else {
        return Ok(HashMap::new());
    };
    let waiting = || {
        registrations::table
            .filter(registrations::meeting_id.eq(meeting_id))
            .filter(registrations::status.eq(Status::Waitlisted.as_str()))
    };
    let ahead: i64 = waiting()
        .filter(registrations::queue_ticket.lt(lowest))
        .count()
        .get_result(conn)?;
    let span: Vec<Option<i64>> = waiting()
        .filter(registrations::queue_ticket.between(lowest, highest))
        .order(registrations::queue_ticket.asc())
        .select(registrations::queue_ticket)
        .load(conn)?;
    Ok(span.into_iter().flatten().zip(ahead + 1..).collect())
}

/// Counts for the organizer.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Stats {
    pub seats_left: Option<i64>,
    pub by_status: HashMap<String, i64>,
    pub by_organization_kind: HashMap<String, i64>,
    pub by_country: HashMap<String, i64>,
    pub emails: HashMap<String, i64>,
    /// The same counts as the press sees them: confirmed participants who agreed to be listed.
    pub press: crate::press::store::PressSummary,
}

/// Counts by status; organisation kinds and countries count confirmed participants. They come
/// from the counts the database keeps (`meetings::counts`), so they cost the same at any size.
pub fn stats(conn: &mut DbConn, meeting: &Meeting) -> AppResult<Stats> {
    // A purged meeting has only the anonymous counts kept at purge time.
    if let Some(kept) = meeting
        .purged_counts
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
    {
        return Ok(kept);
    }
    use crate::meetings::counts::{self, Dimension};
    let by_status: HashMap<String, i64> = counts::by_key(conn, &meeting.id, Dimension::Status)?
        .into_iter()
        .collect();
    let mut by_organization_kind = HashMap::new();
    for (_, kind, n) in counts::by_organization(conn, &meeting.id, Dimension::Organization)? {
        *by_organization_kind.entry(kind).or_insert(0) += n;
    }
    let by_country = counts::by_key(conn, &meeting.id, Dimension::Country)?
        .into_iter()
        .collect();
    let mut emails: HashMap<String, i64> = [outbox::PENDING, outbox::SENT, outbox::DEAD]
        .into_iter()
        .map(|status| (status.to_owned(), 0))
        .collect();
    emails.extend(counts::by_key(conn, &meeting.id, Dimension::Email)?);
    let taken = by_status
        .get(Status::Confirmed.as_str())
        .copied()
        .unwrap_or(0);
    Ok(Stats {
        seats_left: meeting.capacity.map(|capacity| (capacity - taken).max(0)),
        by_status,
        by_organization_kind,
        by_country,
        emails,
        press: crate::press::store::summary(conn, &meeting.id)?,
    })
}
