//! Meetings as sent, checked.
use super::*;

fn form() -> MeetingForm {
    serde_json::from_value(serde_json::json!({
        "slug": "mexico-city-hubs-2026", "title": "Regional exchange",
        "country": "MX", "timezone": "America/Mexico_City",
        "starts_at": "2026-05-29T09:00:00-06:00", "ends_at": "2026-05-30T18:00:00-06:00",
        "registration_closes_at": "2026-05-22T23:59:00-06:00",
        "capacity": 120, "languages": ["es", "en"],
        "translations": {"es": {"title": "Intercambio regional"}}
    }))
    .unwrap()
}

#[test]
fn a_good_meeting_parses_and_keeps_utc() {
    let draft = MeetingDraft::parse(&form()).unwrap();
    assert_eq!(draft.starts_at.to_string(), "2026-05-29 15:00:00");
    assert_eq!(draft.status, MeetingStatus::Draft);
    assert_eq!(
        draft.translations[&Language::Es].title.as_deref(),
        Some("Intercambio regional")
    );
}

#[test]
fn every_bad_field_is_reported() {
    let mut bad = form();
    bad.slug = Some("No Slug".into());
    bad.country = Some("XX".into());
    bad.timezone = Some("Mars/Olympus".into());
    bad.ends_at = Some("2026-05-28T09:00:00-06:00".into());
    bad.capacity = Some(0);
    bad.languages = Some(vec!["fr".into()]);
    bad.registration_opens_at = Some("tomorrow".into());
    let Err(AppError::Invalid(errors)) = MeetingDraft::parse(&bad) else {
        panic!("expected invalid")
    };
    let mut fields: Vec<_> = errors.iter().filter_map(|e| e.field.clone()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "capacity",
            "country",
            "ends_at",
            "languages",
            "registration_opens_at",
            "slug",
            "timezone"
        ]
        .map(String::from)
    );
}
