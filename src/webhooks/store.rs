//! Webhooks and their deliveries in the database: registered, listed and removed by the
//! organizer; deliveries queued with the change they tell of, claimed by a worker, recorded.

use super::{DeliveryView, Event, NewWebhook, WebhookView};
use crate::db::{new_id, DbConn};
use crate::error::{AppError, AppResult};
use crate::registrations::model::RegistrationStatus;
use crate::schema::{webhook_deliveries, webhooks};
use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

/// How many deliveries a webhook's view lists.
const SHOWN: i64 = 10;
/// How many webhooks a meeting may have: each change writes a delivery for each.
const LIMIT: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: String,
    pub meeting_id: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
}

/// Registers a webhook; answers it with its secret (made here, shown once).
pub fn create(
    conn: &mut DbConn,
    meeting_id: &str,
    new: &NewWebhook,
    now: NaiveDateTime,
) -> AppResult<Webhook> {
    let existing: i64 = webhooks::table
        .filter(webhooks::meeting_id.eq(meeting_id))
        .count()
        .get_result(conn)?;
    if existing >= LIMIT {
        return Err(AppError::conflict(
            "webhook_limit",
            "a meeting has at most 20 webhooks: remove one first",
        ));
    }
    let webhook = Webhook {
        id: new_id(),
        meeting_id: meeting_id.to_owned(),
        url: new.url.to_string(),
        events: new
            .events
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        secret: format!("whsec_{}", crate::accounts::tokens::generate()),
        created_at: now,
        disabled_at: None,
    };
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(&webhook.id),
            webhooks::meeting_id.eq(&webhook.meeting_id),
            webhooks::url.eq(&webhook.url),
            webhooks::events.eq(&webhook.events),
            webhooks::secret.eq(&webhook.secret),
            webhooks::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(webhook)
}

/// The meeting's webhooks, each with its last deliveries.
pub fn list(
    conn: &mut DbConn,
    meeting_id: &str,
    rfc3339: impl Fn(NaiveDateTime) -> String,
) -> AppResult<Vec<WebhookView>> {
    let hooks: Vec<Webhook> = webhooks::table
        .filter(webhooks::meeting_id.eq(meeting_id))
        .order(webhooks::created_at.asc())
        .select(Webhook::as_select())
        .load(conn)?;
    hooks
        .into_iter()
        .map(|hook| {
            let deliveries = recent(conn, &hook.id)?
                .into_iter()
                .map(|d| DeliveryView {
                    id: d.id,
                    event: d.event,
                    status: d.status,
                    attempts: d.attempts,
                    last_status: d.last_status,
                    last_error: d.last_error,
                    created_at: rfc3339(d.created_at),
                    delivered_at: d.delivered_at.map(&rfc3339),
                })
                .collect();
            Ok(view(hook, deliveries, &rfc3339))
        })
        .collect()
}

pub fn view(
    hook: Webhook,
    deliveries: Vec<DeliveryView>,
    rfc3339: impl Fn(NaiveDateTime) -> String,
) -> WebhookView {
    WebhookView {
        events: hook.events.split(' ').map(str::to_owned).collect(),
        id: hook.id,
        url: hook.url,
        created_at: rfc3339(hook.created_at),
        disabled_at: hook.disabled_at.map(rfc3339),
        deliveries,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

fn recent(conn: &mut DbConn, webhook_id: &str) -> AppResult<Vec<Delivery>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::seq.desc())
        .limit(SHOWN)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Removes a webhook of the meeting, with its deliveries.
pub fn delete(conn: &mut DbConn, meeting_id: &str, id: &str) -> AppResult<()> {
    let hook = webhooks::table
        .filter(webhooks::id.eq(id))
        .filter(webhooks::meeting_id.eq(meeting_id))
        .select(webhooks::id);
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq_any(hook)))
        .execute(conn)?;
    let gone = diesel::delete(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::meeting_id.eq(meeting_id)),
    )
    .execute(conn)?;
    if gone == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A change as the audit log records it.
pub struct Change<'a> {
    pub action: &'a str,
    pub meeting_id: Option<&'a str>,
    pub subject_id: Option<&'a str>,
    pub detail: &'a str,
}

/// Queues the delivery of an audited change to every webhook of its meeting that wants it,
/// in the change's own transaction and in one statement (which inserts nothing when the
/// meeting has no webhook). The payload names what changed by id and status, never personal
/// data: a receiver reads the rest through the API with its organizer token.
pub fn queue(conn: &mut DbConn, change: &Change<'_>, now: NaiveDateTime) -> AppResult<()> {
    let (Some(planned), Some(meeting_id)) = (Planned::of(change, now), change.meeting_id) else {
        return Ok(());
    };
    let Planned {
        event,
        payload,
        wanted,
        prefix,
        status,
    } = planned;
    macro_rules! insert {
        ($conn:expr) => {{
            let rows = webhooks::table
                .filter(webhooks::meeting_id.eq(meeting_id))
                .filter(webhooks::disabled_at.is_null())
                .filter(
                    diesel::dsl::sql::<diesel::sql_types::Text>("' ' || events || ' '")
                        .like(&wanted),
                )
                .select((
                    prefix
                        .as_str()
                        .into_sql::<diesel::sql_types::Text>()
                        .concat(webhooks::id),
                    webhooks::id,
                    webhooks::meeting_id,
                    change
                        .subject_id
                        .into_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(),
                    event.into_sql::<diesel::sql_types::Text>(),
                    payload.as_str().into_sql::<diesel::sql_types::Text>(),
                    status.into_sql::<diesel::sql_types::Text>(),
                    0.into_sql::<diesel::sql_types::Integer>(),
                    now.into_sql::<diesel::sql_types::Timestamp>(),
                    now.into_sql::<diesel::sql_types::Timestamp>(),
                ));
            diesel::insert_into(webhook_deliveries::table)
                .values(rows)
                .into_columns((
                    webhook_deliveries::id,
                    webhook_deliveries::webhook_id,
                    webhook_deliveries::meeting_id,
                    webhook_deliveries::subject_id,
                    webhook_deliveries::event,
                    webhook_deliveries::payload,
                    webhook_deliveries::status,
                    webhook_deliveries::attempts,
                    webhook_deliveries::next_attempt_at,
                    webhook_deliveries::created_at,
                ))
                .execute($conn)
        }};
    }
    crate::on_each_backend!(conn, each => insert!(each))?;
    Ok(())
}

/// The deliveries a change queues, before the webhooks that want it are known: PostgreSQL's
/// registration function (`registrations::store::signup_pg`) writes them from this too.
#[derive(Debug, serde::Serialize)]
pub struct Planned {
    pub event: &'static str,
    pub payload: String,
    /// A `LIKE` pattern over `' ' || events || ' '`: the webhooks that want the event.
    pub wanted: String,
    /// Each delivery's id is this, then its webhook's: unique, without a function the two
    /// databases would spell differently.
    pub prefix: String,
    pub status: &'static str,
}

impl Planned {
    /// None when the change is no event, or belongs to no meeting.
    pub fn of(change: &Change<'_>, now: NaiveDateTime) -> Option<Self> {
        let event = Event::of_action(change.action)?;
        change.meeting_id?;
        Some(Self {
            event: event.as_str(),
            payload: payload(event, change, now),
            wanted: format!("% {} %", event.as_str()),
            prefix: format!("{}.", new_id()),
            status: PENDING,
        })
    }
}

/// What a delivery says, before its own id is added to it: the event, when, the meeting, and
/// the registration (or session) by id with its status where it has one.
fn payload(event: Event, entry: &Change<'_>, now: NaiveDateTime) -> String {
    let status = match event {
        // A public sign-up is created waiting for its address; an invited one says so, and
        // its status follows in the next event.
        Event::RegistrationCreated => {
            Some(entry.detail).filter(|d| RegistrationStatus::from_code(d).is_some())
        }
        Event::RegistrationConfirmed => Some("confirmed"),
        Event::RegistrationWaitlisted => Some("waitlisted"),
        Event::RegistrationCancelled => Some("cancelled"),
        Event::RegistrationCheckedIn => Some("confirmed"),
        Event::AgendaChanged => None,
    };
    let mut body = serde_json::json!({
        "event": event.as_str(),
        "created_at": now.and_utc().to_rfc3339(),
        "meeting_id": entry.meeting_id,
    });
    match (event, status) {
        (Event::AgendaChanged, _) => body["change"] = serde_json::json!(entry.action),
        (_, Some(status)) => {
            body["registration"] = serde_json::json!({"id": entry.subject_id, "status": status});
        }
        (_, None) => body["registration"] = serde_json::json!({"id": entry.subject_id}),
    }
    body.to_string()
}

/// A delivery claimed for sending, with where it goes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Claims up to `batch` due deliveries for `lease`, none of the `busy` webhooks. A delivery
/// waits while an earlier one of the same webhook and registration is pending, so each
/// registration's events arrive in order, retries included.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease: chrono::Duration,
    batch: i64,
    busy: &[String],
) -> AppResult<Vec<Claimed>> {
    let earlier = diesel::alias!(webhook_deliveries as earlier);
    conn.transaction(|conn| {
        // Only the deliveries are locked: a registration queuing a delivery holds its
        // webhook's row (key share) until it commits, and must not wait on a claim.
        let enabled = webhooks::table
            .filter(webhooks::disabled_at.is_null())
            .select(webhooks::id);
        macro_rules! due {
            () => {
                webhook_deliveries::table
                    .filter(webhook_deliveries::status.eq(PENDING))
                    .filter(webhook_deliveries::next_attempt_at.le(now))
                    .filter(webhook_deliveries::webhook_id.eq_any(enabled))
                    .filter(webhook_deliveries::webhook_id.ne_all(busy))
                    .filter(not(exists(
                        earlier
                            .filter(
                                earlier
                                    .field(webhook_deliveries::webhook_id)
                                    .eq(webhook_deliveries::webhook_id),
                            )
                            .filter(
                                earlier
                                    .field(webhook_deliveries::subject_id)
                                    .eq(webhook_deliveries::subject_id),
                            )
                            .filter(earlier.field(webhook_deliveries::status).eq(PENDING))
                            .filter(
                                earlier
                                    .field(webhook_deliveries::seq)
                                    .lt(webhook_deliveries::seq),
                            ),
                    )))
                    .order(webhook_deliveries::seq.asc())
                    .limit(batch)
                    .select(Delivery::as_select())
            };
        }
        let deliveries: Vec<Delivery> = match conn {
            DbConn::Postgres(pg) => due!().for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(sqlite) => due!().load(sqlite)?,
        };
        let rows = with_targets(conn, deliveries)?;
        if !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|(d, ..)| d.id.as_str()).collect();
            diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
                .set((
                    webhook_deliveries::next_attempt_at.eq(now + lease),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                ))
                .execute(conn)?;
        }
        Ok(rows
            .into_iter()
            .map(|(delivery, url, secret)| Claimed {
                delivery: Delivery {
                    attempts: delivery.attempts + 1,
                    ..delivery
                },
                url,
                secret,
            })
            .collect())
    })
}

/// Each delivery with its webhook's address and secret.
fn with_targets(
    conn: &mut DbConn,
    deliveries: Vec<Delivery>,
) -> AppResult<Vec<(Delivery, String, String)>> {
    let hook_ids: Vec<&str> = deliveries.iter().map(|d| d.webhook_id.as_str()).collect();
    let targets: std::collections::HashMap<String, (String, String)> = webhooks::table
        .filter(webhooks::id.eq_any(&hook_ids))
        .select((webhooks::id, webhooks::url, webhooks::secret))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, url, secret)| (id, (url, secret)))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|d| {
            let (url, secret) = targets.get(&d.webhook_id)?.clone();
            Some((d, url, secret))
        })
        .collect())
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered(u16),
    /// 410 Gone: the receiver asks for nothing more; the webhook is turned off.
    Gone,
    /// Anything else: retried later, or dead once the attempts are used up.
    Failed { status: Option<u16>, error: String },
}

/// Records an attempt's outcome.
pub fn record(
    conn: &mut DbConn,
    claimed: &Claimed,
    outcome: &Outcome,
    retry_in: Option<chrono::Duration>,
    now: NaiveDateTime,
) -> AppResult<()> {
    // Only while this worker still holds the claim: a send that outlived its lease was taken
    // over, and what the other worker recorded stands.
    let delivery = webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(&claimed.delivery.id))
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::attempts.eq(claimed.delivery.attempts));
    match outcome {
        Outcome::Delivered(status) => diesel::update(delivery)
            .set((
                webhook_deliveries::status.eq(SENT),
                webhook_deliveries::last_status.eq(i32::from(*status)),
                webhook_deliveries::last_error.eq(None::<String>),
                webhook_deliveries::delivered_at.eq(now),
            ))
            .execute(conn)?,
        Outcome::Gone => {
            let held = diesel::update(delivery)
                .set(webhook_deliveries::last_status.eq(410))
                .execute(conn)?;
            if held == 0 {
                return Ok(());
            }
            diesel::update(webhooks::table.find(&claimed.delivery.webhook_id))
                .set(webhooks::disabled_at.eq(now))
                .execute(conn)?;
            diesel::update(
                webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(&claimed.delivery.webhook_id))
                    .filter(webhook_deliveries::status.eq(PENDING)),
            )
            .set((
                webhook_deliveries::status.eq(DEAD),
                webhook_deliveries::last_status.eq(410),
            ))
            .execute(conn)?
        }
        Outcome::Failed { status, error } => diesel::update(delivery)
            .set((
                webhook_deliveries::status.eq(if retry_in.is_some() { PENDING } else { DEAD }),
                webhook_deliveries::next_attempt_at.eq(now + retry_in.unwrap_or_default()),
                webhook_deliveries::last_status.eq(status.map(i32::from)),
                webhook_deliveries::last_error.eq(error.chars().take(300).collect::<String>()),
            ))
            .execute(conn)?,
    };
    Ok(())
}
