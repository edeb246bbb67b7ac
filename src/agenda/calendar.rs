//! iCalendar output: the meeting and its sessions, in the reader's language. UIDs are stable,
//! so importing again updates the events instead of adding copies.

use super::store::AgendaItem;
use crate::meetings::model::joined;
use crate::meetings::Meeting;
use crate::values::Language;
use icalendar::{Calendar, Component, Event, EventLike};

/// Calendar text may not carry bare carriage returns; lines end in `\n` (escaped by the writer).
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn meeting_event(meeting: &Meeting, language: Language, host: &str) -> Event {
    Event::new()
        .uid(&format!("meeting-{}@{host}", meeting.id))
        // Stamped with the last change, not the time of the request, so that the same
        // programme gives the same file (and the same ETag).
        .timestamp(meeting.updated_at.and_utc())
        .summary(&clean(&meeting.title_in(language)))
        .description(&clean(&meeting.description_in(language)))
        .location(&clean(&meeting.place(language)))
        .starts(meeting.starts_at.and_utc())
        .ends(meeting.ends_at.and_utc())
        .done()
}

fn session_event(meeting: &Meeting, item: &AgendaItem, language: Language, host: &str) -> Event {
    let session = &item.session;
    let t = crate::i18n::catalogue(language);
    let mut description = session.description_in(language);
    for speaker in &item.speakers {
        let who = match &speaker.organization {
            Some(organization) => format!("{} ({organization})", speaker.name),
            None => speaker.name.clone(),
        };
        description.push_str(&format!("\n{}: {who}", t.speaker_role(&speaker.role)));
    }
    let room = item.room.as_ref().map(|r| r.name.as_str()).unwrap_or("");
    Event::new()
        .uid(&format!("session-{}@{host}", session.id))
        .timestamp(session.updated_at.and_utc())
        .summary(&clean(&session.title_in(language)))
        .description(clean(&description).trim())
        .location(&clean(&joined(&[room, &meeting.place(language)])))
        .starts(session.starts_at.and_utc())
        .ends(session.ends_at.and_utc())
        .done()
}

fn finish(events: Vec<Event>, name: &str) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name);
    calendar.append_property(("METHOD", "PUBLISH"));
    for event in events {
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// The meeting alone: one event.
pub fn meeting_ics(meeting: &Meeting, language: Language, host: &str) -> String {
    finish(
        vec![meeting_event(meeting, language, host)],
        &clean(&meeting.title_in(language)),
    )
}

/// The programme: one event per session.
pub fn agenda_ics(
    meeting: &Meeting,
    items: &[AgendaItem],
    language: Language,
    host: &str,
) -> String {
    let events = items
        .iter()
        .map(|item| session_event(meeting, item, language, host))
        .collect();
    finish(events, &clean(&meeting.title_in(language)))
}

/// A participant's calendar: the meeting and every session.
pub fn participant_ics(
    meeting: &Meeting,
    items: &[AgendaItem],
    language: Language,
    host: &str,
) -> String {
    let mut events = vec![meeting_event(meeting, language, host)];
    events.extend(
        items
            .iter()
            .map(|item| session_event(meeting, item, language, host)),
    );
    finish(events, &clean(&meeting.title_in(language)))
}

/// A participant's calendar as a download, named for its meeting (`mexico-2030.ics`), so that
/// files from two meetings do not overwrite each other. Slugs are letters, digits and dashes
/// only, safe in the header.
pub fn download(meeting_slug: &str, ics: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{meeting_slug}.ics\""),
        ))
        .body(ics)
}
