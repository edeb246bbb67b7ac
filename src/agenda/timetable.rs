//! The programme as people read it: a timetable per day in the meeting's zone. Sessions that
//! run at the same time form a band, side by side by room on a desktop and stacked on a phone;
//! a long session (an exhibition, a registration desk open all day) is listed above the day's
//! bands rather than merging the whole day into one.

use super::store::AgendaItem;
use crate::i18n::Catalogue;
use crate::meetings::Meeting;
use crate::web::page::PageContext;
use maud::{html, Markup};

/// A session this long or longer runs "through the day": it is listed above the day's bands,
/// since everything else overlaps it.
const THROUGH_THE_DAY: chrono::TimeDelta = chrono::TimeDelta::hours(4);

pub fn session_kind_label(t: &Catalogue, kind: &str) -> &'static str {
    match kind {
        "plenary" => t.kind_plenary,
        "panel" => t.kind_panel,
        "workshop" => t.kind_workshop,
        "break" => t.kind_break,
        "networking" => t.kind_networking,
        _ => t.kind_other,
    }
}

fn session_language(t: &Catalogue, language: &str) -> &'static str {
    match language {
        "en" => t.session_language_en,
        "es" => t.session_language_es,
        _ => t.session_language_both,
    }
}

/// A day's sessions in time order, gathered into bands of sessions that overlap in time: a
/// band is what runs in parallel, its rooms side by side on a wide screen and stacked on a
/// phone.
fn bands<'a>(sessions: &[&'a AgendaItem]) -> Vec<Vec<&'a AgendaItem>> {
    let mut sorted = sessions.to_vec();
    sorted.sort_by(|a, b| {
        (a.session.starts_at, a.room.as_ref().map(|r| &r.name))
            .cmp(&(b.session.starts_at, b.room.as_ref().map(|r| &r.name)))
    });
    let mut bands: Vec<(chrono::NaiveDateTime, Vec<&AgendaItem>)> = Vec::new();
    for item in sorted {
        match bands.last_mut() {
            Some((ends, band)) if item.session.starts_at < *ends => {
                *ends = (*ends).max(item.session.ends_at);
                band.push(item);
            }
            _ => bands.push((item.session.ends_at, vec![item])),
        }
    }
    bands.into_iter().map(|(_, band)| band).collect()
}

/// A band's sessions by room, rooms in name order, each room's sessions in time order: the
/// columns of the timetable. A session without a room has a column of its own, after the
/// rooms: two of them at the same time are not one after the other in one place.
fn tracks<'a>(band: &[&'a AgendaItem]) -> Vec<Vec<&'a AgendaItem>> {
    let mut tracks: Vec<(&str, Vec<&AgendaItem>)> = Vec::new();
    let mut roomless: Vec<Vec<&AgendaItem>> = Vec::new();
    for item in band {
        let Some(room) = item.room.as_ref().map(|r| r.name.as_str()) else {
            roomless.push(vec![item]);
            continue;
        };
        match tracks.iter_mut().find(|(name, _)| *name == room) {
            Some((_, track)) => track.push(item),
            None => tracks.push((room, vec![item])),
        }
    }
    tracks.sort_by(|a, b| a.0.cmp(b.0));
    tracks
        .into_iter()
        .map(|(_, track)| track)
        .chain(roomless)
        .collect()
}

/// The programme as a timetable: each day in time order, parallel sessions side by side, each
/// session with its time, room, people and marks.
pub fn agenda_markup(meeting: &Meeting, items: &[AgendaItem], ctx: &PageContext) -> Markup {
    let t = ctx.t();
    html! {
        @if items.is_empty() { p { (t.no_sessions) } }
        @for (day, long, timed) in days(meeting, items) {
            section.day {
                h3 { (crate::i18n::day_heading(day, ctx.lang)) }
                @if !long.is_empty() {
                    div.through-day {
                        p.muted { (t.through_the_day) }
                        @for item in &long { (session_markup(meeting, item, ctx)) }
                    }
                }
                @for band in bands(timed.as_slice()) {
                    div.band {
                        @for track in tracks(&band) {
                            div.track {
                                @for item in track { (session_markup(meeting, item, ctx)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The programme's days in order, each with its long sessions (on every day they cover) and
/// the sessions that start on it.
type Day<'a> = (chrono::NaiveDate, Vec<&'a AgendaItem>, Vec<&'a AgendaItem>);

fn days<'a>(meeting: &Meeting, items: &'a [AgendaItem]) -> Vec<Day<'a>> {
    fn day_of<'d, 'a>(days: &'d mut Vec<Day<'a>>, date: chrono::NaiveDate) -> &'d mut Day<'a> {
        let index = match days.iter().position(|(d, _, _)| *d == date) {
            Some(index) => index,
            None => {
                days.push((date, Vec::new(), Vec::new()));
                days.len() - 1
            }
        };
        &mut days[index]
    }
    let mut days: Vec<Day<'a>> = Vec::new();
    for item in items {
        let starts = meeting.local(item.session.starts_at).date_naive();
        if item.session.ends_at - item.session.starts_at < THROUGH_THE_DAY {
            day_of(&mut days, starts).2.push(item);
            continue;
        }
        // An end at midnight closes the day before.
        let last =
            (meeting.local(item.session.ends_at) - chrono::TimeDelta::seconds(1)).date_naive();
        for date in starts
            .iter_days()
            .take_while(|date| *date <= last.max(starts))
        {
            day_of(&mut days, date).1.push(item);
        }
    }
    days.sort_by_key(|(day, _, _)| *day);
    days
}

fn session_markup(meeting: &Meeting, item: &AgendaItem, ctx: &PageContext) -> Markup {
    let t = ctx.t();
    let session = &item.session;
    html! {
        div class={ "session kind-" (session.kind) } {
            div {
                @let (starts, ends) = (meeting.local(session.starts_at), meeting.local(session.ends_at));
                span.time {
                    (starts.format("%H:%M")) "–" (ends.format("%H:%M"))
                    @match (ends.date_naive() - starts.date_naive()).num_days() {
                        0 => {},
                        1 => { " " (t.next_day) },
                        _ => { " (" (crate::i18n::day_heading(ends.date_naive(), ctx.lang)) ")" },
                    }
                }
                " · " (session_kind_label(t, &session.kind))
            }
            @if let Some(room) = &item.room { div.room { (room.name) } }
            strong { (session.title_in(ctx.lang)) }
            @let description = session.description_in(ctx.lang);
            @if !description.is_empty() { p { (description) } }
            @if session.kind != "break" {
                div.muted {
                    (session_language(t, &session.language))
                    @if session.interpretation { " · " span.badge { (t.interpretation_mark) } }
                }
            }
            @if !item.speakers.is_empty() {
                ul {
                    @for speaker in &item.speakers {
                        li {
                            (speaker.name)
                            @if let Some(organization) = &speaker.organization { " (" (organization) ")" }
                            " — " (t.speaker_role(&speaker.role))
                        }
                    }
                }
            }
        }
    }
}
