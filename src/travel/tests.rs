use super::*;
use crate::error::Checks;

fn rules() -> TravelRules {
    TravelRules {
        travel_support: true,
        visa_letters: true,
        first_day: NaiveDate::from_ymd_opt(2027, 5, 29).unwrap(),
        last_day: NaiveDate::from_ymd_opt(2027, 5, 30).unwrap(),
        today: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
    }
}

fn full() -> TravelForm {
    TravelForm {
        funding_requested: Some(true),
        departure_city: Some("Tegucigalpa".into()),
        arrival_date: Some("2027-05-28".into()),
        departure_date: Some("2027-05-31".into()),
        hotel_needed: Some(true),
        visa_letter_requested: Some(true),
        nationality: Some("hn".into()),
        passport_number: Some("g 123-4567".into()),
        passport_expiry: Some("2030-01-31".into()),
        date_of_birth: Some("1990-04-02".into()),
    }
}

fn parse(form: &TravelForm, rules: &TravelRules) -> (Option<TravelDraft>, Vec<String>) {
    let mut checks = Checks::default();
    let draft = TravelDraft::parse(Some(form), rules, &mut checks).unwrap();
    let fields = checks
        .into_errors()
        .into_iter()
        .map(|e| format!("{}:{}", e.field.unwrap_or_default(), e.code))
        .collect();
    (draft, fields)
}

#[test]
fn a_full_request_is_kept_with_the_passport_as_printed() {
    let (draft, problems) = parse(&full(), &rules());
    assert!(problems.is_empty(), "{problems:?}");
    let draft = draft.unwrap();
    let visa = draft.visa.unwrap();
    assert_eq!(visa.passport_number, "G1234567");
    assert_eq!(visa.nationality.as_str(), "HN");
    assert_eq!(masked(&visa.passport_number), "•••••567");
    assert!(
        !format!("{visa:?}").contains("G1234567"),
        "not in debug output"
    );
}

#[test]
fn every_bad_field_is_named_at_once() {
    let bad = TravelForm {
        arrival_date: Some("2027-06-02".into()),
        departure_date: Some("2027-05-31".into()),
        passport_expiry: Some("2027-05-29".into()),
        passport_number: Some("12".into()),
        date_of_birth: Some("2030-01-01".into()),
        nationality: Some("XX".into()),
        ..full()
    };
    let (_, problems) = parse(&bad, &rules());
    for expected in [
        "travel.departure_date:before_arrival",
        "travel.passport_expiry:expires_before_meeting_end",
        "travel.passport_number:invalid_passport_number",
        "travel.date_of_birth:implausible",
        "travel.nationality:",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected} in {problems:?}"
        );
    }
    let far = TravelForm {
        arrival_date: Some("2026-01-01".into()),
        ..full()
    };
    assert!(parse(&far, &rules())
        .1
        .contains(&"travel.arrival_date:far_from_meeting".to_owned()));
}

#[test]
fn what_the_meeting_does_not_offer_is_refused() {
    let letters_off = TravelRules {
        visa_letters: false,
        ..rules()
    };
    let mut checks = Checks::default();
    let refused = TravelDraft::parse(Some(&full()), &letters_off, &mut checks);
    assert!(
        matches!(refused, Err(AppError::Conflict { code, .. }) if code == "visa_letters_not_offered")
    );

    let (_, problems) = parse(&full(), &TravelRules::none());
    assert_eq!(problems, vec!["travel:not_offered".to_owned()]);
    let funding_off = TravelRules {
        travel_support: false,
        ..rules()
    };
    let (_, problems) = parse(&full(), &funding_off);
    assert_eq!(
        problems,
        vec!["travel.funding_requested:not_offered".to_owned()]
    );
}

#[test]
fn without_a_letter_no_passport_is_kept() {
    let form = TravelForm {
        visa_letter_requested: Some(false),
        ..full()
    };
    let (draft, problems) = parse(&form, &rules());
    assert!(problems.is_empty());
    assert!(draft.unwrap().visa.is_none());
}
