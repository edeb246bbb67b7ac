//! Agenda types, their parsing and checks (no I/O).

use crate::error::{AppError, Checks, Problem};
use crate::meetings::model::{parse_time, parse_translations, Translation, Translations};
use crate::meetings::Meeting;
use crate::values::{optional_multiline, optional_name, required_line, required_name, Language};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
            fn parse(raw: Option<&str>, default: Option<Self>) -> Result<Self, Problem> {
                match raw.map(str::trim).filter(|s| !s.is_empty()) {
                    None => default.ok_or_else(Problem::required),
                    Some(code) => Self::from_code(code).ok_or_else(|| {
                        let known: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        Problem::new("invalid", format!("must be one of {}", known.join(", ")))
                    }),
                }
            }
        }
    };
}

code_enum!(
    /// What a session is.
    SessionKind { Plenary = "plenary", Panel = "panel", Workshop = "workshop", Break = "break", Networking = "networking", Other = "other" }
);
code_enum!(
    /// The language a session is held in.
    SessionLanguage { En = "en", Es = "es", Both = "both" }
);
code_enum!(
    /// What a person does at a session.
    SpeakerRole { Speaker = "speaker", Moderator = "moderator", Rapporteur = "rapporteur" }
);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Salón Tlatelolco", "capacity": 120}))]
pub struct RoomForm {
    pub name: Option<String>,
    pub capacity: Option<i64>,
}

pub struct NewRoom {
    pub name: String,
    pub capacity: Option<i64>,
}

impl NewRoom {
    pub fn parse(form: &RoomForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let name = checks.field("name", required_line(form.name.as_deref(), 100));
        let capacity = checks.field(
            "capacity",
            match form.capacity {
                None => Ok(None),
                Some(n) if (1..=100_000).contains(&n) => Ok(Some(n)),
                Some(_) => Err(Problem::new(
                    "out_of_range",
                    "must be between 1 and 100000, or null",
                )),
            },
        );
        match (name, capacity) {
            (Some(name), Some(capacity)) if checks.is_clean() => Ok(Self { name, capacity }),
            _ => Err(checks.into_error()),
        }
    }
}

/// A speaker as sent: a registration of the meeting, or a named guest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeakerForm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For a registered participant: named in the public agenda even when not listed for the
    /// press (the organizer has their agreement). Guests are always named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Registration(String),
    Guest {
        name: String,
        organization: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct NewSpeaker {
    pub person: Person,
    pub role: SpeakerRole,
    pub public: bool,
}

impl NewSpeaker {
    /// Who this is, for clash checks: one person may not be in two places at once.
    pub fn person_key(&self) -> String {
        match &self.person {
            Person::Registration(id) => format!("r:{id}"),
            Person::Guest { name, .. } => {
                format!(
                    "g:{}",
                    name.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                )
            }
        }
    }

    fn parse(form: &SpeakerForm) -> Result<Self, Problem> {
        let role = SpeakerRole::parse(form.role.as_deref(), Some(SpeakerRole::Speaker))?;
        let person = match form
            .registration_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) => Person::Registration(id.to_owned()),
            None => Person::Guest {
                name: required_name(form.name.as_deref(), 200).map_err(|p| match p.code {
                    "required" => Problem::new("required", "give a registration_id or a name"),
                    _ => p,
                })?,
                organization: optional_name(form.organization.as_deref(), 200)?,
            },
        };
        Ok(Self {
            public: form.public.unwrap_or(false),
            person,
            role,
        })
    }
}

/// A session as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Apertura", "kind": "plenary", "description": "Bienvenida y objetivos.",
    "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
    "language": "es", "interpretation": true,
    "speakers": [{"name": "Ana Pérez", "organization": "OIM", "role": "speaker"}],
    "translations": {"en": {"title": "Opening"}}}))]
pub struct SessionForm {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub room_id: Option<String>,
    pub language: Option<String>,
    pub interpretation: Option<bool>,
    pub position: Option<i32>,
    pub translations: Option<BTreeMap<String, Translation>>,
    pub speakers: Option<Vec<SpeakerForm>>,
}

#[derive(Debug, Clone)]
pub struct SessionDraft {
    pub title: String,
    pub description: String,
    pub kind: SessionKind,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub room_id: Option<String>,
    pub language: SessionLanguage,
    pub interpretation: bool,
    pub position: i32,
    pub translations: Translations,
    pub speakers: Vec<NewSpeaker>,
}

impl SessionDraft {
    /// Checks every field, and that the session lies inside the meeting; reports all at once.
    pub fn parse(form: &SessionForm, meeting: &Meeting) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let title = checks.field("title", required_line(form.title.as_deref(), 200));
        let description = checks.field(
            "description",
            optional_multiline(form.description.as_deref(), 5000),
        );
        let kind = checks.field(
            "kind",
            SessionKind::parse(form.kind.as_deref(), Some(SessionKind::Other)),
        );
        let starts_at = checks.field(
            "starts_at",
            parse_time(form.starts_at.as_deref()).and_then(|t| t.ok_or_else(Problem::required)),
        );
        let ends_at = checks.field(
            "ends_at",
            parse_time(form.ends_at.as_deref()).and_then(|t| t.ok_or_else(Problem::required)),
        );
        let language = checks.field(
            "language",
            SessionLanguage::parse(form.language.as_deref(), Some(SessionLanguage::Both)),
        );
        let translations = checks.field(
            "translations",
            parse_translations(form.translations.as_ref(), 200, 5000, false),
        );
        let position = form.position.unwrap_or(0);
        if !(0..=10_000).contains(&position) {
            checks.add(
                "position",
                Problem::new("out_of_range", "must be between 0 and 10000"),
            );
        }
        let speakers = parse_speakers(form.speakers.as_deref(), &mut checks);
        check_times_in_meeting(&mut checks, starts_at, ends_at, meeting);
        match (
            title,
            description,
            kind,
            starts_at,
            ends_at,
            language,
            translations,
        ) {
            (
                Some(title),
                Some(description),
                Some(kind),
                Some(starts_at),
                Some(ends_at),
                Some(language),
                Some(translations),
            ) if checks.is_clean() => Ok(Self {
                title,
                description: description.unwrap_or_default(),
                kind,
                starts_at,
                ends_at,
                room_id: form.room_id.clone().filter(|r| !r.trim().is_empty()),
                language,
                interpretation: form.interpretation.unwrap_or(false),
                position,
                translations,
                speakers,
            }),
            _ => Err(checks.into_error()),
        }
    }
}

/// The speakers as sent, each checked under `speakers[i]`, and at most 50 of them; those that
/// parsed, in order.
fn parse_speakers(forms: Option<&[SpeakerForm]>, checks: &mut Checks) -> Vec<NewSpeaker> {
    let mut speakers = Vec::new();
    for (i, speaker) in forms.into_iter().flatten().enumerate() {
        if let Some(speaker) = checks.field(&format!("speakers[{i}]"), NewSpeaker::parse(speaker)) {
            speakers.push(speaker);
        }
    }
    if speakers.len() > 50 {
        checks.add(
            "speakers",
            Problem::new("too_many", "at most 50 people per session"),
        );
    }
    speakers
}

/// The session lies within the meeting's dates and ends after it starts; checked once the
/// times themselves parsed.
fn check_times_in_meeting(
    checks: &mut Checks,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    meeting: &Meeting,
) {
    if let Some(start) = starts_at {
        if start < meeting.starts_at || start >= meeting.ends_at {
            checks.add(
                "starts_at",
                Problem::new("outside_meeting", "must lie within the meeting's dates"),
            );
        }
    }
    if let Some(end) = ends_at {
        if end > meeting.ends_at || end <= meeting.starts_at {
            checks.add(
                "ends_at",
                Problem::new("outside_meeting", "must lie within the meeting's dates"),
            );
        }
    }
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            checks.add(
                "ends_at",
                Problem::new("before_start", "must be after starts_at"),
            );
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::sessions)]
pub struct Session {
    pub id: String,
    pub meeting_id: String,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub room_id: Option<String>,
    pub language: String,
    pub interpretation: bool,
    pub position: i32,
    pub translations: String,
    pub updated_at: NaiveDateTime,
}

impl Session {
    pub fn translations(&self) -> Translations {
        serde_json::from_str(&self.translations).unwrap_or_default()
    }
    pub fn title_in(&self, language: Language) -> String {
        self.translations()
            .remove(&language)
            .and_then(|t| t.title)
            .unwrap_or_else(|| self.title.clone())
    }
    pub fn description_in(&self, language: Language) -> String {
        self.translations()
            .remove(&language)
            .and_then(|t| t.description)
            .unwrap_or_else(|| self.description.clone())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::rooms)]
pub struct Room {
    pub id: String,
    #[serde(skip)]
    pub meeting_id: String,
    pub name: String,
    pub capacity: Option<i64>,
}

/// A speaker as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpeakerView {
    pub role: String,
    pub name: String,
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
    /// Organizers only, for registered participants: marked public by the organizer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomRef {
    pub id: String,
    pub name: String,
}

/// A session as the API shows it, times in the meeting's zone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub room: Option<RoomRef>,
    pub language: String,
    pub interpretation: bool,
    pub position: i32,
    pub translations: Translations,
    pub speakers: Vec<SpeakerView>,
}

/// What a session was or is, as a change notice tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSnapshot {
    pub title: String,
    #[serde(default)]
    pub titles: BTreeMap<Language, String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub room: Option<String>,
}

impl SessionSnapshot {
    pub fn of(session: &Session, room: Option<&str>) -> Self {
        Self {
            title: session.title.clone(),
            titles: session
                .translations()
                .into_iter()
                .filter_map(|(l, t)| t.title.map(|title| (l, title)))
                .collect(),
            starts_at: session.starts_at,
            ends_at: session.ends_at,
            room: room.map(str::to_owned),
        }
    }
    pub fn title_in(&self, language: Language) -> &str {
        self.titles.get(&language).unwrap_or(&self.title)
    }
    /// Whether a participant needs to hear of the difference: time or place.
    pub fn moved_from(&self, other: &Self) -> bool {
        self.starts_at != other.starts_at
            || self.ends_at != other.ends_at
            || self.room != other.room
    }
}

/// One change in a notice: before and after (`after` is `None` for a cancelled session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChange {
    pub session_id: String,
    pub before: SessionSnapshot,
    pub after: Option<SessionSnapshot>,
}

/// Several edits of one session in a batch become one change: first before, last after. Edits
/// that end where they began are dropped.
pub fn coalesce(changes: Vec<SessionChange>) -> Vec<SessionChange> {
    let mut merged: Vec<SessionChange> = Vec::new();
    for change in changes {
        match merged
            .iter_mut()
            .find(|c| c.session_id == change.session_id)
        {
            Some(existing) => existing.after = change.after,
            None => merged.push(change),
        }
    }
    merged.retain(|c| {
        c.after
            .as_ref()
            .is_none_or(|after| after.moved_from(&c.before))
    });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(hour: u32, room: &str) -> SessionSnapshot {
        let day = chrono::NaiveDate::from_ymd_opt(2030, 5, 29).unwrap();
        SessionSnapshot {
            title: "Panel".into(),
            titles: BTreeMap::new(),
            starts_at: day.and_hms_opt(hour, 0, 0).unwrap(),
            ends_at: day.and_hms_opt(hour + 1, 0, 0).unwrap(),
            room: Some(room.into()),
        }
    }

    #[test]
    fn edits_of_one_session_coalesce() {
        let change = |id: &str, before, after| SessionChange {
            session_id: id.into(),
            before,
            after,
        };
        let merged = coalesce(vec![
            change("a", snapshot(9, "A"), Some(snapshot(10, "A"))),
            change("b", snapshot(9, "B"), Some(snapshot(9, "C"))),
            change("a", snapshot(10, "A"), Some(snapshot(11, "B"))),
            change("b", snapshot(9, "C"), Some(snapshot(9, "B"))),
            change("c", snapshot(14, "A"), None),
        ]);
        assert_eq!(merged.len(), 2, "b moved back where it was");
        assert_eq!(merged[0].before, snapshot(9, "A"));
        assert_eq!(merged[0].after, Some(snapshot(11, "B")));
        assert_eq!(merged[1].after, None);
    }

    #[test]
    fn guests_are_known_by_their_name() {
        let guest = |name: &str| NewSpeaker {
            person: Person::Guest {
                name: name.into(),
                organization: None,
            },
            role: SpeakerRole::Speaker,
            public: false,
        };
        assert_eq!(
            guest("Ana  Pérez").person_key(),
            guest("ana pérez").person_key()
        );
    }
}
