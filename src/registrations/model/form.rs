//! What a participant sends, and the same checked: the registration form, its organisation,
//! and the key under which look-alike organisation names meet.

use crate::error::{AppError, Checks, Problem};
use crate::meetings::questions::{Answers, Questionnaire, RawAnswers};
use crate::travel::sealed::Sealer;
use crate::travel::{TravelDraft, TravelForm, TravelRules};
use crate::values::{
    optional_line, optional_multiline, optional_name, required_name, Code, CountryCode, Email,
    Language, OrganizationKind,
};
use serde::{Deserialize, Serialize};

/// An organisation as sent in a registration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationForm {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub country: Option<String>,
}

/// A registration as sent: raw values, checked by `NewRegistration::parse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Ana María Pérez", "email": "ana.perez@example.org",
    "organization": {"name": "Centro de Información Tapachula", "kind": "information_hub", "country": "MX"},
    "job_title": "Coordinadora", "country": "MX", "language": "es",
    "consent_data_processing": true, "consent_press_listing": true,
    "dietary": null, "accessibility": null, "interpretation": "es-en", "category": "participant"}))]
pub struct RegistrationForm {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<OrganizationForm>,
    pub job_title: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub consent_data_processing: Option<bool>,
    pub consent_press_listing: Option<bool>,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
    /// The category's code; may be left out when the meeting has one category open to the
    /// public. Set at registration, not changed afterwards.
    pub category: Option<String>,
    /// Answers to the meeting's questions, by question code.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<RawAnswers>,
    /// An invitation's token: registers its address at once (201), in its category.
    pub invitation: Option<String>,
    /// Travel, on a meeting that offers travel support or visa letters.
    pub travel: Option<TravelForm>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    pub kind: OrganizationKind,
    pub country: CountryCode,
}

/// The stored search key of a registration: its fields folded ([`search_fold`]) as searches
/// are, written with the row.
pub fn search_text(
    full_name: &str,
    email: &str,
    organization: &str,
    job_title: Option<&str>,
) -> String {
    crate::values::search_fold(&[full_name, email, organization, job_title.unwrap_or("")].join(" "))
}

impl NewOrganization {
    /// Organisations are the same, in one country, when their names look alike: see
    /// [`organization_key`].
    pub fn key(&self) -> String {
        organization_key(&self.name)
    }
}

/// The key under which look-alike organisation names meet, so that a trailing dot, a Cyrillic
/// `о`, a zero-width space, fullwidth letters, case or spacing cannot make a "new" organisation
/// (and so a fresh per-organisation limit). Compatibility forms are folded (NFKC), lowercased,
/// mapped to their confusables skeleton (Unicode TR39), and everything but letters, digits and
/// single spaces dropped. Accents stay: "Perú" and "Peru" are different words.
pub fn organization_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Lowercase before the skeleton too: it maps "I" to "l" but "i" to itself.
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    let skeleton: String = unicode_security::skeleton(&folded).nfc().collect();
    skeleton
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What an organisation's name may hold: letters (with their accents), digits, spaces and the
/// punctuation names use. Its key drops everything else, so a name with symbols or emoji would
/// share a row with the plain name and could show there, in the picker and the press list.
fn organization_char(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace()
        || unicode_normalization::char::is_combining_mark(c)
        || ".,-–—&'’()/+:;\"«»¡!¿?#°ºª@*_".contains(c)
}

/// A registration's every field, checked.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub full_name: String,
    pub email: Email,
    pub organization: NewOrganization,
    pub job_title: Option<String>,
    pub country: CountryCode,
    pub language: Language,
    pub consent_press_listing: bool,
    pub dietary: Option<String>,
    pub accessibility: Option<String>,
    pub interpretation: Option<String>,
    /// As asked; the meeting decides which one when it is left out.
    pub category: Option<Code>,
    pub answers: Answers,
    pub travel: Option<TravelDraft>,
    /// Seals the travel's passport details when they are kept ([`Self::sealed_by`]); none
    /// until given, and then nothing sealed can be kept.
    pub sealer: Sealer,
}

const MAX_NAME: usize = 200;
const MAX_NEEDS: usize = 1000;

impl NewRegistration {
    /// Checks every field, the answers against the questions asked of its category, and
    /// reports all problems at once. Travel is refused: see [`Self::parse_with_travel`].
    pub fn parse(form: &RegistrationForm, asked: &Questionnaire) -> Result<Self, AppError> {
        Self::parse_with_travel(form, asked, &TravelRules::none())
    }

    /// As `parse`, with travel checked against what the meeting offers.
    pub fn parse_with_travel(
        form: &RegistrationForm,
        asked: &Questionnaire,
        travel: &TravelRules,
    ) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let travel = TravelDraft::parse(form.travel.as_ref(), travel, &mut checks)?;
        let full_name = checks.field(
            "full_name",
            required_name(form.full_name.as_deref(), MAX_NAME),
        );
        let email = checks.field("email", Email::parse(form.email.as_deref()));
        let organization = NewOrganization::parse(form.organization.as_ref(), &mut checks);
        let job_title = checks.field(
            "job_title",
            optional_name(form.job_title.as_deref(), MAX_NAME),
        );
        let country = checks.field("country", CountryCode::parse(form.country.as_deref()));
        let language = checks.field("language", Language::parse(form.language.as_deref()));
        if form.consent_data_processing != Some(true) {
            checks.add(
                "consent_data_processing",
                Problem::new(
                    "required",
                    "consent to the processing of your data is required to register",
                ),
            );
        }
        let dietary = checks.field(
            "dietary",
            optional_multiline(form.dietary.as_deref(), MAX_NEEDS),
        );
        let accessibility = checks.field(
            "accessibility",
            optional_multiline(form.accessibility.as_deref(), MAX_NEEDS),
        );
        let interpretation = checks.field(
            "interpretation",
            optional_line(form.interpretation.as_deref(), MAX_NAME),
        );
        let category = match form.category.as_deref() {
            None => Some(None),
            Some(code) => checks.field("category", Code::parse(Some(code)).map(Some)),
        };
        let answers = asked.check(
            form.category.as_deref(),
            &form.answers.clone().unwrap_or_default(),
            &mut checks,
        );
        // Every field, or none if one failed (its problem is recorded in `checks`).
        let new = (|| {
            Some(Self {
                full_name: full_name?,
                email: email?,
                organization: organization?,
                job_title: job_title?,
                country: country?,
                language: language?,
                consent_press_listing: form.consent_press_listing.unwrap_or(false),
                dietary: dietary?,
                accessibility: accessibility?,
                interpretation: interpretation?,
                category: category?,
                answers: answers?,
                travel: travel.clone(),
                sealer: Sealer::none(),
            })
        })();
        match new {
            Some(new) if checks.is_clean() => Ok(new),
            _ => Err(checks.into_error()),
        }
    }

    /// The key that seals the travel's passport details when they are kept.
    pub fn sealed_by(mut self, sealer: &Sealer) -> Self {
        self.sealer = sealer.clone();
        self
    }

    /// What the organizer's search matches: name, address, organisation and job title.
    pub fn search_text(&self) -> String {
        search_text(
            &self.full_name,
            self.email.as_str(),
            &self.organization.name,
            self.job_title.as_deref(),
        )
    }
}

impl NewOrganization {
    /// Checks the organisation's fields in `checks`, in order (it is required as a whole);
    /// `None` unless every one is good.
    fn parse(form: Option<&OrganizationForm>, checks: &mut Checks) -> Option<Self> {
        let org = form.cloned().unwrap_or_default();
        if form.is_none() {
            checks.add("organization", Problem::required());
        }
        let name = checks.field("organization.name", organization_name(org.name.as_deref()));
        let kind = checks.field(
            "organization.kind",
            OrganizationKind::parse(org.kind.as_deref()),
        );
        let country = checks.field(
            "organization.country",
            CountryCode::parse(org.country.as_deref()),
        );
        Some(Self {
            name: name?,
            kind: kind?,
            country: country?,
        })
    }
}

/// An organisation's name: required, with letters or digits (so it has a key), and only the
/// characters names use ([`organization_char`]).
fn organization_name(raw: Option<&str>) -> Result<String, Problem> {
    required_name(raw, MAX_NAME).and_then(|name| {
        if organization_key(&name).is_empty() {
            Err(Problem::new("invalid", "must contain letters or digits"))
        } else if !name.chars().all(organization_char) {
            Err(Problem::new(
                "symbols",
                "letters, digits, spaces and punctuation only",
            ))
        } else {
            Ok(name)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RegistrationForm {
        serde_json::from_value(serde_json::json!({
            "full_name": "Ana María Pérez", "email": "ana@example.org",
            "organization": {"name": "Centro de Información  Tapachula", "kind": "information_hub", "country": "MX"},
            "job_title": "Coordinator", "country": "MX", "language": "es",
            "consent_data_processing": true, "consent_press_listing": false,
            "dietary": null, "accessibility": null, "interpretation": "es-en"
        }))
        .unwrap()
    }

    #[test]
    fn a_good_registration_parses() {
        let new = NewRegistration::parse(&form(), &Questionnaire::default()).unwrap();
        assert_eq!(
            new.organization.key(),
            organization_key("Centro de Información Tapachula")
        );
        assert_eq!(new.language, Language::Es);
        assert!(!new.consent_press_listing);
        assert!(
            new.search_text().contains("ana maria perez"),
            "accents and case folded"
        );
    }

    #[test]
    fn look_alike_organisation_names_share_a_key() {
        let key = organization_key("Centro Hub Tapachula");
        assert_eq!(key, "centro hub tapachula");
        for alike in [
            "Centro Hub Tapachula.",
            "Centro Hub Tapachula ...",
            "Centr\u{043E} Hub Tapachula",  // Cyrillic о
            "Centro Hub Tapa\u{200B}chula", // zero-width space
            "\u{FF23}entro Hub Tapachula",  // fullwidth C
            "  centro   HUB\tTapachula ",
            "CENTRO HUB TAPACHULA",
            "Centro Hub Tap\u{0430}chula", // Cyrillic а
            "Centro Hub, Tapachula",
        ] {
            assert_eq!(organization_key(alike), key, "{alike:?}");
        }
        for different in [
            "Centro Hub Tapachula Norte",
            "Centro Hub Tijuana",
            "Centro Hub",
            "Centr Hub Tapachula",
        ] {
            assert_ne!(organization_key(different), key, "{different:?}");
        }
        assert_ne!(organization_key("Perú Hub"), organization_key("Peru Hub"));
        assert_eq!(
            organization_key("Información"),
            organization_key("Informacio\u{0301}n"),
            "composed and decomposed accents are one"
        );
    }

    #[test]
    fn organisation_names_hold_no_symbols() {
        let named = |name: &str| {
            let mut f = form();
            f.organization.as_mut().unwrap().name = Some(name.into());
            NewRegistration::parse(&f, &Questionnaire::default())
        };
        for fine in [
            "Médicos Sin Fronteras (MSF) – México",
            "Informacio\u{0301}n & Apoyo A.C.",
            "Casa del Migrante \"Belén\", Tapachula",
        ] {
            assert!(named(fine).is_ok(), "{fine}");
        }
        for symbols in ["Centro Hub Tapachula 🖕", "Centro ★ Hub", "Hub €€€"] {
            let Err(AppError::Invalid(errors)) = named(symbols) else {
                panic!("{symbols} was taken")
            };
            assert_eq!(errors[0].code, "symbols", "{symbols}");
        }
    }

    #[test]
    fn names_with_invisible_characters_are_refused_by_field() {
        let mut bad = form();
        bad.full_name = Some("Ana\u{202E}zeréP".into());
        bad.organization.as_mut().unwrap().name = Some("Hub\u{200B}".into());
        bad.job_title = Some("Coord\u{2066}inator".into());
        let Err(AppError::Invalid(errors)) =
            NewRegistration::parse(&bad, &Questionnaire::default())
        else {
            panic!()
        };
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_deref().unwrap_or(""), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("full_name", "invisible_characters"),
                ("organization.name", "invisible_characters"),
                ("job_title", "invisible_characters")
            ]
        );
        let mut dots = form();
        dots.organization.as_mut().unwrap().name = Some("...".into());
        assert!(NewRegistration::parse(&dots, &Questionnaire::default()).is_err());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = form();
        bad.full_name = Some(" ".into());
        bad.email = Some("ana".into());
        bad.organization = Some(OrganizationForm {
            name: None,
            kind: Some("club".into()),
            country: Some("XX".into()),
        });
        bad.country = None;
        bad.language = Some("fr".into());
        bad.consent_data_processing = Some(false);
        bad.dietary = Some("x".repeat(1001));
        let Err(AppError::Invalid(errors)) =
            NewRegistration::parse(&bad, &Questionnaire::default())
        else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "email",
                "organization.name",
                "organization.kind",
                "organization.country",
                "country",
                "language",
                "consent_data_processing",
                "dietary"
            ]
        );
    }
}
