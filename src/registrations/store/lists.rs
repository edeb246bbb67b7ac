//! The organizer's lists and counts.

use super::search::{self, Condition, Finding};
use super::*;
use crate::meetings::categories::DEFAULT_CODE as DEFAULT_CATEGORY;

/// The organizer's list as one query, before paging: the registrations `filter` picks, with
/// their organisations, in registration order (the meeting's `(meeting_id, id)` index).
type Listing = diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::Select<
        diesel::helper_types::InnerJoin<registrations::table, organizations::table>,
        (
            diesel::helper_types::AsSelect<Registration, Multi>,
            diesel::helper_types::AsSelect<Organization, Multi>,
        ),
    >,
    Multi,
>;

type Multi = <DbConn as Connection>::Backend;

fn listing(meeting: &Meeting, filter: &ListFilter, finding: Finding) -> Listing {
    let mut query = registrations::table
        .inner_join(organizations::table)
        .select((Registration::as_select(), Organization::as_select()))
        .into_boxed();
    for condition in conditions(meeting, filter, finding) {
        query = query.filter(condition);
    }
    query.order(registrations::id.asc())
}

/// What `filter` asks of a row, as conditions on the list's join: the list, its count.
fn conditions(meeting: &Meeting, filter: &ListFilter, finding: Finding) -> Vec<Condition> {
    let mut conditions = vec![search::in_meeting(&meeting.id, finding)];
    if let Some(status) = filter.status {
        conditions.push(Box::new(registrations::status.eq(status.as_str())));
    }
    if let Some(kind) = filter.organization_kind {
        conditions.push(Box::new(organizations::kind.eq(kind.as_str())));
    }
    if let Some(country) = &filter.country {
        conditions.push(Box::new(
            registrations::country.eq(country.as_str().to_owned()),
        ));
    }
    if let Some(code) = &filter.category {
        conditions.push(Box::new(
            registrations::category
                .eq(code.as_str().to_owned())
                .assume_not_null(),
        ));
    }
    if let Some(q) = &filter.q {
        conditions.push(search::containing(q, finding));
    }
    conditions
}

/// How many rows a filter picks, as the table says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    /// More than this many: counting further would read the whole meeting.
    MoreThan(i64),
}

/// Counted exactly up to this many matches of a search or filter; beyond, "more than".
const COUNTED: i64 = 1000;

/// The number of registrations `filter` picks. By status alone it comes from the kept counts;
/// otherwise the matches are counted up to [`COUNTED`], so a count costs what a page costs.
pub fn count(conn: &mut DbConn, meeting: &Meeting, filter: &ListFilter) -> AppResult<Count> {
    use crate::meetings::counts::{self, Dimension};
    if filter.q.is_none() && filter.organization_kind.is_none() && filter.country.is_none() {
        let wanted = |status: &str| filter.status.is_none_or(|s| s.as_str() == status);
        let n = match &filter.category {
            None => counts::by_key(conn, &meeting.id, Dimension::Status)?
                .into_iter()
                .filter(|(status, _)| wanted(status))
                .map(|(_, n)| n)
                .sum(),
            // A category's counts are kept too, as `<code>/<status>`.
            Some(code) => counts::by_key(conn, &meeting.id, Dimension::Category)?
                .into_iter()
                .filter_map(|(key, n)| {
                    let (of, status) = key.rsplit_once('/')?;
                    (of == code.as_str() && wanted(status)).then_some(n)
                })
                .sum(),
        };
        return Ok(Count::Exact(n));
    }
    let matching = |finding: Finding| {
        let mut query = registrations::table
            .inner_join(organizations::table)
            .select(registrations::id)
            .into_boxed();
        for condition in conditions(meeting, filter, finding) {
            query = query.filter(condition);
        }
        query.limit(COUNTED + 1)
    };
    let finding = Finding::best(conn, filter.q.as_deref());
    if finding == Finding::Indexed {
        // As a page does: a broad search finds more than it counts among the meeting's first
        // rows, tested in order, before SQLite's index names every match.
        let bound = probe_bound(conn, meeting, None)?;
        let mut probe = matching(Finding::Tested);
        if let Some(bound) = &bound {
            probe = probe.filter(registrations::id.le(bound.clone()));
        }
        let found = probe.load::<String>(conn)?.len() as i64;
        // Past the count, or the probe saw the whole meeting: no need for the index.
        if found > COUNTED || bound.is_none() {
            return Ok(Count::exact_to(found));
        }
    }
    let found = matching(finding).load::<String>(conn)?.len() as i64;
    Ok(Count::exact_to(found))
}

impl Count {
    /// `found` rows, read with a limit of one past [`COUNTED`].
    fn exact_to(found: i64) -> Self {
        if found > COUNTED {
            Self::MoreThan(COUNTED)
        } else {
            Self::Exact(found)
        }
    }
}

/// Rows of the meeting, in order, that a search on SQLite tests itself before it asks the
/// trigram index. A broad search ("maria") fills its page among them without reading every
/// match the index holds (and sorting them); a narrow one pays this much more and goes on
/// through the index.
const SEARCH_PROBE: i64 = 2000;

/// The id of the last of the next [`SEARCH_PROBE`] rows of the meeting after `after`, in
/// order; none when fewer are left (the probe then sees the rest of the meeting).
fn probe_bound(
    conn: &mut DbConn,
    meeting: &Meeting,
    after: Option<&str>,
) -> AppResult<Option<String>> {
    let mut window = registrations::table
        .filter(registrations::meeting_id.eq(&meeting.id))
        .order(registrations::id.asc())
        .select(registrations::id)
        .offset(SEARCH_PROBE - 1)
        .limit(1)
        .into_boxed();
    if let Some(after) = after {
        window = window.filter(registrations::id.gt(after.to_owned()));
    }
    Ok(window.first(conn).optional()?)
}

/// The rows of a page (and one more, to tell whether another follows).
fn page_rows(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    order: Order,
    wanted: i64,
    after: Option<&str>,
) -> AppResult<Vec<(Registration, Organization)>> {
    if order != Order::Oldest {
        return reordered_rows(conn, meeting, filter, order, wanted, after);
    }
    let after_cursor = |query: Listing, after: Option<&str>| match after {
        Some(after) => query.filter(registrations::id.gt(after.to_owned())),
        None => query,
    };
    let finding = Finding::best(conn, filter.q.as_deref());
    if finding == Finding::Tested {
        let query = after_cursor(listing(meeting, filter, finding), after);
        return Ok(query.limit(wanted).load(conn)?);
    }
    // The probe: the next SEARCH_PROBE rows of the meeting, up to `bound`, tested in order.
    let bound = probe_bound(conn, meeting, after)?;
    let mut probe = after_cursor(listing(meeting, filter, Finding::Tested), after);
    if let Some(bound) = &bound {
        probe = probe.filter(registrations::id.le(bound.clone()));
    }
    let mut rows: Vec<(Registration, Organization)> = probe.limit(wanted).load(conn)?;
    if let (Some(bound), true) = (bound, (rows.len() as i64) < wanted) {
        let rest = after_cursor(listing(meeting, filter, finding), Some(&bound));
        rows.extend(rest.limit(wanted - rows.len() as i64).load(conn)?);
    }
    Ok(rows)
}

/// The rows of a page in an order other than registration order: newest first on the
/// meeting's id index read backwards, by name on its folded-key index. The cursor is the id of
/// the last row shown; by name, the page goes on after that row's key.
fn reordered_rows(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    order: Order,
    wanted: i64,
    after: Option<&str>,
) -> AppResult<Vec<(Registration, Organization)>> {
    let mut query = listing(meeting, filter, Finding::best(conn, filter.q.as_deref()));
    if order == Order::Newest {
        if let Some(after) = after {
            query = query.filter(registrations::id.lt(after.to_owned()));
        }
        return Ok(query
            .order(registrations::id.desc())
            .limit(wanted)
            .load(conn)?);
    }
    // The last row shown gives its key; if it was deleted meanwhile, the list starts again
    // rather than failing. (A name changed meanwhile moves the place the list goes on from.)
    let key: Option<String> = match after {
        Some(after) => registrations::table
            .find(after)
            .filter(registrations::meeting_id.eq(&meeting.id))
            .select(registrations::search_text)
            .first(conn)
            .optional()?,
        None => None,
    };
    if let (Some(after), Some(key)) = (after, key) {
        query = query.filter(
            registrations::search_text
                .gt(key.clone())
                .or(registrations::search_text
                    .eq(key)
                    .and(registrations::id.gt(after.to_owned()))),
        );
    }
    let by_name = (registrations::search_text.asc(), registrations::id.asc());
    Ok(query.order(by_name).limit(wanted).load(conn)?)
}

/// A page of the organizer's list, in `order`, and the cursor of the next page.
pub fn list(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    order: Order,
    limit: i64,
    after: Option<&str>,
) -> AppResult<(Vec<RegistrationView>, Option<String>)> {
    let mut rows = page_rows(conn, meeting, filter, order, limit + 1, after)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(r, _)| r.id.clone())
    } else {
        None
    };
    // Each category's list numbers its own places.
    let mut waiting: HashMap<String, Vec<i64>> = HashMap::new();
    for (registration, _) in rows
        .iter()
        .filter(|(r, _)| r.status() == Status::Waitlisted)
    {
        if let Some(ticket) = registration.queue_ticket {
            let code = registration.category_code().to_owned();
            waiting.entry(code).or_default().push(ticket);
        }
    }
    let mut positions = HashMap::new();
    for (category, tickets) in &waiting {
        positions.extend(waitlist_positions(conn, &meeting.id, category, tickets)?);
    }
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

/// Every registration `filter` picks, in registration order, handed to `each` as it is read:
/// one pass over the meeting's index, in constant memory (the exports). The waiting list's
/// tickets are read first, in queue order (8 bytes a person), so a place is a binary search.
pub fn each(
    conn: &mut DbConn,
    meeting: &Meeting,
    filter: &ListFilter,
    mut each: impl FnMut(RegistrationView) -> AppResult<bool>,
) -> AppResult<()> {
    // The queue and the rows from one snapshot, so that no place is off by a promotion made
    // between the two reads.
    conn.transaction(|conn| {
        if let DbConn::Postgres(_) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        let mut queues: HashMap<String, Vec<i64>> = HashMap::new();
        if filter
            .status
            .is_none_or(|status| status == Status::Waitlisted)
        {
            let waiting: Vec<(Option<String>, i64)> = registrations::table
                .filter(registrations::meeting_id.eq(&meeting.id))
                .filter(registrations::status.eq(Status::Waitlisted.as_str()))
                .filter(registrations::queue_ticket.is_not_null())
                .order(registrations::queue_ticket.asc())
                .select((
                    registrations::category,
                    registrations::queue_ticket.assume_not_null(),
                ))
                .load(conn)?;
            for (category, ticket) in waiting {
                let code = category.unwrap_or_else(|| DEFAULT_CATEGORY.to_owned());
                queues.entry(code).or_default().push(ticket);
            }
        }
        let query = listing(meeting, filter, Finding::best(conn, filter.q.as_deref()));
        crate::db::each_row(conn, query, |(registration, organization)| {
            let place = registration
                .queue_ticket
                .filter(|_| registration.status() == Status::Waitlisted)
                .and_then(|ticket| {
                    let queue = queues.get(registration.category_code())?;
                    queue.binary_search(&ticket).ok()
                })
                .map(|index| index as i64 + 1);
            each(RegistrationView::new(
                meeting,
                registration,
                organization,
                place,
            ))
        })
    })
}

/// The head of the waiting list, in queue order (the `(meeting_id, status, queue_ticket)`
/// index), each with its place: the dashboard's waiting-list tab.
pub fn waiting_list(
    conn: &mut DbConn,
    meeting: &Meeting,
    limit: i64,
) -> AppResult<Vec<RegistrationView>> {
    let rows: Vec<(Registration, Organization)> = registrations::table
        .inner_join(organizations::table)
        .filter(registrations::meeting_id.eq(&meeting.id))
        .filter(registrations::status.eq(Status::Waitlisted.as_str()))
        .order(registrations::queue_ticket.asc())
        .select((Registration::as_select(), Organization::as_select()))
        .limit(limit)
        .load(conn)?;
    // From the head, so each category's count of those ahead is whole.
    let mut places: HashMap<String, i64> = HashMap::new();
    Ok(rows
        .into_iter()
        .map(|(registration, organization)| {
            let place = places
                .entry(registration.category_code().to_owned())
                .or_default();
            *place += 1;
            let place = *place;
            RegistrationView::new(meeting, registration, organization, Some(place))
        })
        .collect())
}

/// The places on a category's waiting list (1 for its head) of these tickets, by ticket.
/// Tickets are unique in a meeting and number the list, so this reads only the list between
/// the page's lowest and highest ticket, on the queue-order index, plus a count below it: a
/// page costs what it shows, not what the meeting holds.
pub(super) fn waitlist_positions(
    conn: &mut DbConn,
    meeting_id: &str,
    category: &str,
    tickets: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    let (Some(&lowest), Some(&highest)) = (tickets.iter().min(), tickets.iter().max()) else {
        return Ok(HashMap::new());
    };
    let waiting = || {
        registrations::table
            .filter(registrations::meeting_id.eq(meeting_id))
            .filter(registrations::category.eq(category.to_owned()))
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

/// Who made a change in a person's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedBy {
    /// An organizer, by name (empty when the account is gone).
    Organizer(String),
    Participant,
    System,
}

/// One change in a person's history, oldest first: when, what (the audit action), by whom.
#[derive(Debug, Clone)]
pub struct Change {
    pub at: NaiveDateTime,
    pub action: String,
    pub by: ChangedBy,
}

/// One registration of `meeting` as the organizer sees it, and its history from the audit log
/// (the `(subject_id, at)` index).
pub fn with_history(
    conn: &mut DbConn,
    meeting: &Meeting,
    id: &str,
) -> AppResult<(RegistrationView, Vec<Change>)> {
    in_meeting(conn, meeting, id)?;
    let person = view(conn, id)?;
    let entries = audit::about(conn, id)?;
    let account_ids: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry.actor.strip_prefix("account:"))
        .collect();
    let names = crate::accounts::store::names(conn, &account_ids)?;
    let changes = entries
        .iter()
        .map(|entry| Change {
            at: entry.at,
            action: entry.action.clone(),
            by: match entry.actor.split_once(':') {
                Some(("account", id)) => {
                    ChangedBy::Organizer(names.get(id).cloned().unwrap_or_default())
                }
                Some(("participant", _)) => ChangedBy::Participant,
                _ => ChangedBy::System,
            },
        })
        .collect();
    Ok((person, changes))
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
    /// By category code: confirmed, waitlisted, and seats left in it (null: no limit).
    #[serde(default)]
    pub by_category: HashMap<String, CategoryCounts>,
    /// Arrivals by the meeting's local date: `{"2027-05-29": 87}`.
    #[serde(default)]
    pub attendance: std::collections::BTreeMap<String, i64>,
    /// People who came on any day, by organisation kind and by country.
    #[serde(default)]
    pub attended_by_organization_kind: HashMap<String, i64>,
    #[serde(default)]
    pub attended_by_country: HashMap<String, i64>,
}

/// One category's part of the stats.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CategoryCounts {
    pub confirmed: i64,
    pub waitlisted: i64,
    pub seats_left: Option<i64>,
}

fn category_counts(
    conn: &mut DbConn,
    meeting: &Meeting,
    meeting_seats_left: Option<i64>,
    reserved: &meetings::store::Reserved,
) -> AppResult<HashMap<String, CategoryCounts>> {
    use crate::meetings::categories::store as categories;
    let counts = categories::counts_by_category(conn, &meeting.id)?;
    Ok(categories::of_meeting(conn, &meeting.id)?
        .iter()
        .map(|category| {
            let of = counts.get(&category.code);
            let status = |s: Status| of.and_then(|m| m.get(s.as_str())).copied().unwrap_or(0);
            let confirmed = status(Status::Confirmed);
            let counts = CategoryCounts {
                confirmed,
                waitlisted: status(Status::Waitlisted),
                seats_left: category.seats_left(
                    confirmed
                        + reserved
                            .by_category
                            .get(&category.code)
                            .copied()
                            .unwrap_or(0),
                    meeting_seats_left,
                ),
            };
            (category.code.clone(), counts)
        })
        .collect())
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
    // Seats set aside for delegations are not left for anyone else.
    let reserved = meetings::store::reserved_in(conn, &meeting.id)?;
    let taken = by_status
        .get(Status::Confirmed.as_str())
        .copied()
        .unwrap_or(0)
        + reserved.total;
    let seats_left = meeting.seats_left(taken);
    let by_category = category_counts(conn, meeting, seats_left, &reserved)?;
    let attended = crate::checkin::attendance::counts(conn, &meeting.id)?;
    Ok(Stats {
        attendance: attended.by_day,
        attended_by_organization_kind: attended.by_organization_kind,
        attended_by_country: attended.by_country,
        by_category,
        seats_left,
        by_status,
        by_organization_kind,
        by_country,
        emails,
        press: crate::press::store::summary(conn, &meeting.id)?,
    })
}
