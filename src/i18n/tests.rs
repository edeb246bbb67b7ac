//! The catalogues: complete, translated, and the date and count helpers.
use super::*;
use chrono::NaiveDate;

#[test]
fn counts_take_the_singular_for_one_alone() {
    let es = catalogue(Language::Es);
    assert_eq!(counted(1, es.seats_left), "Queda 1 lugar");
    assert_eq!(counted(0, es.seats_left), "Quedan 0 lugares");
    assert_eq!(counted(24, EN.participants_counted), "24 participants");
    assert_eq!(counted(1, EN.countries_counted), "1 country");
}

#[test]
fn days_read_as_headings_in_both_languages() {
    let day = NaiveDate::from_ymd_opt(2030, 5, 29).unwrap();
    assert_eq!(day_heading(day, Language::En), "Wednesday 29 May 2030");
    assert_eq!(
        day_heading(day, Language::Es),
        "Miércoles 29 de mayo de 2030"
    );
}

#[test]
fn dates_read_naturally_in_both_languages() {
    let at = NaiveDate::from_ymd_opt(2026, 5, 29)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    assert_eq!(date_time(&at, Language::En), "29 May 2026, 09:00");
    assert_eq!(date_time(&at, Language::Es), "29 de mayo de 2026, 09:00");
}

/// Both catalogues have every key (the struct sees to that), none empty, and the Spanish one
/// is translated: a text the same in both languages must be listed here as meant to be.
#[test]
fn each_catalogue_has_every_key_of_the_other_translated() {
    // A group of texts (`desk`) is checked text by text, as `desk.title`.
    fn flat(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        let mut flat = serde_json::Map::new();
        for (key, value) in value.as_object().unwrap() {
            match value {
                serde_json::Value::Object(_) => {
                    for (inner, text) in value.as_object().unwrap() {
                        flat.insert(format!("{key}.{inner}"), text.clone());
                    }
                }
                other => {
                    flat.insert(key.clone(), other.clone());
                }
            }
        }
        flat
    }
    let (en, es) = (
        flat(serde_json::to_value(&EN).unwrap()),
        flat(serde_json::to_value(&ES).unwrap()),
    );
    let (en, es) = (&en, &es);
    let keys =
        |m: &serde_json::Map<String, serde_json::Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(en), keys(es));
    // "{participants}." reads the same in both: the words are in the counted forms.
    let same_on_purpose = ["kind_panel", "no", "press_meeting_people"];
    // A text, or the forms of a counted text (one, other), each checked alike.
    let texts = |value: &serde_json::Value| -> Vec<String> {
        match value {
            serde_json::Value::String(text) => vec![text.clone()],
            serde_json::Value::Array(forms) => forms
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let holes = |t: &str| {
        t.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(h, _)| h.to_owned()))
            .collect::<std::collections::BTreeSet<_>>()
    };
    for (key, value) in en {
        let (english, spanish) = (texts(value), texts(&es[key]));
        assert_eq!(english.len(), spanish.len(), "{key} has other forms");
        assert!(
            es[key] != *value || same_on_purpose.contains(&key.as_str()),
            "{key} is not translated"
        );
        for (text, translated) in english.iter().zip(&spanish) {
            assert!(!text.trim().is_empty(), "{key} is empty in English");
            assert!(!translated.trim().is_empty(), "{key} is empty in Spanish");
            // Placeholders must match, or a value would go missing in one language.
            assert_eq!(holes(text), holes(translated), "{key} placeholders differ");
        }
    }
}

#[test]
fn placeholders_are_filled() {
    assert_eq!(fill("Hola, {name}:", &[("name", "Ana")]), "Hola, Ana:");
}
