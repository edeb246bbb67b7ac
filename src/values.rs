//! Value types shared by several domains, each valid by construction: parse once at the edge.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// Text as searches compare it: accents and case dropped, runs of spaces made one, so that
/// "zuniga" finds "Zúñiga" on both backends (neither database folds accents by itself).
pub fn search_fold(text: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let bare: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    bare.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rejects control characters, which have no place in single-line text (and would let input
/// break out of email headers or CSV rows).
fn has_control(text: &str, allow_newlines: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
}

/// Required single-line text, trimmed, 1..=max characters.
pub fn required_line(raw: Option<&str>, max: usize) -> Result<String, Problem> {
    optional_line(raw, max)?.ok_or_else(Problem::required)
}

/// Optional single-line text: missing or blank becomes `None`.
pub fn optional_line(raw: Option<&str>, max: usize) -> Result<Option<String>, Problem> {
    optional_text(raw, max, false)
}

/// Optional text that may span lines (descriptions, needs).
pub fn optional_multiline(raw: Option<&str>, max: usize) -> Result<Option<String>, Problem> {
    optional_text(raw, max, true)
}

fn optional_text(
    raw: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, Problem> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(Problem::new(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if has_control(text, multiline) {
        return Err(Problem::new("invalid", "contains control characters"));
    }
    Ok(Some(text.to_owned()))
}

/// Characters that change how text reads without being seen: bidi overrides and isolates, which
/// can reverse a name on screen, zero-width and joiner characters, which make a look-alike of a
/// name, and the rest of Unicode's format (Cf) characters plus the line and paragraph
/// separators. A name has no use for them. (Unicode 16 Cf list; ZWJ/ZWNJ are used in some
/// scripts, but names here are refused rather than guessed about.)
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    ) || c.is_control()
}

/// A required name (of a person, an organisation, a job): a line with no invisible characters.
pub fn required_name(raw: Option<&str>, max: usize) -> Result<String, Problem> {
    optional_name(raw, max)?.ok_or_else(Problem::required)
}

/// An optional name: see [`required_name`].
pub fn optional_name(raw: Option<&str>, max: usize) -> Result<Option<String>, Problem> {
    let name = optional_line(raw, max)?;
    if name.as_deref().is_some_and(|n| n.chars().any(is_invisible)) {
        return Err(Problem::new(
            "invisible_characters",
            "contains invisible or text-direction characters",
        ));
    }
    Ok(name)
}

/// An email address as typed, trimmed. Uniqueness uses `key()`, the lowercase form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let text = raw
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::required)?;
        let invalid = || Problem::new("invalid", "not an email address");
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        // An unquoted local part is dot-separated words: no leading, trailing or double dot.
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains('@')
            && !local.chars().any(|c| {
                matches!(
                    c,
                    '<' | '>' | '(' | ')' | ',' | ';' | ':' | '"' | '[' | ']' | '\\'
                )
            });
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
    /// For values read back from storage, which were valid when written.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// The languages Convene speaks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Es];
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.map(str::trim) {
            None | Some("") => Err(Problem::required()),
            Some(code) => Self::from_code(code)
                .ok_or_else(|| Problem::new("invalid", "must be \"en\" or \"es\"")),
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
}

/// A country, as an ISO 3166-1 alpha-2 code in capitals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let text = raw
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::required)?;
        let code = text.to_ascii_uppercase();
        if code.len() == 2 && crate::countries::is_known(&code) {
            Ok(Self(code))
        } else {
            Err(Problem::new(
                "invalid",
                "must be an ISO 3166-1 alpha-2 country code such as \"MX\"",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }
}

impl From<CountryCode> for String {
    fn from(code: CountryCode) -> Self {
        code.0
    }
}

/// What kind of body an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    InformationHub,
    UnAgency,
    CivilSociety,
    Government,
    Academia,
    Donor,
    Media,
    Other,
}

impl OrganizationKind {
    pub const ALL: [OrganizationKind; 8] = [
        Self::InformationHub,
        Self::UnAgency,
        Self::CivilSociety,
        Self::Government,
        Self::Academia,
        Self::Donor,
        Self::Media,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InformationHub => "information_hub",
            Self::UnAgency => "un_agency",
            Self::CivilSociety => "civil_society",
            Self::Government => "government",
            Self::Academia => "academia",
            Self::Donor => "donor",
            Self::Media => "media",
            Self::Other => "other",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == code)
    }
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let text = raw
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::required)?;
        Self::from_code(text).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
            Problem::new("invalid", format!("must be one of {}", known.join(", ")))
        })
    }
}

/// What programs name a category, a question or an option by: 1 to 40 lowercase letters,
/// digits and underscores, starting with a letter. A code never changes once given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Code(String);

impl Code {
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let text = raw
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::required)?;
        let ok = text.len() <= 40
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Problem::new(
                "invalid",
                "must be 1 to 40 lowercase letters, digits or underscores, starting with a letter",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A meeting's address part: lowercase letters, digits and dashes, 3..=64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let text = raw
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::required)?;
        let ok = (3..=64).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Problem::new(
                "invalid",
                "must be 3 to 64 lowercase letters, digits or dashes",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An address made from a title: folded (no accents, lowercase), every run of other
    /// characters one dash, cut at 64. `None` when too little is left.
    pub fn suggest(title: &str) -> Option<String> {
        let folded = search_fold(title);
        let mut slug = String::with_capacity(folded.len());
        for c in folded.chars() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.chars().take(64).collect();
        let slug = slug.trim_end_matches('-').to_owned();
        Self::parse(Some(&slug)).ok().map(|slug| slug.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(Some(&raw)).map_err(|p| p.message)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_is_suggested_from_a_title() {
        assert_eq!(
            Slug::suggest("Intercambio regional: Ñandú & Peña 2030!").as_deref(),
            Some("intercambio-regional-nandu-pena-2030")
        );
        assert_eq!(Slug::suggest("  ¿Qué?  ").as_deref(), Some("que"));
        assert_eq!(
            Slug::suggest("日本").as_deref(),
            None,
            "nothing usable is left"
        );
        let long = Slug::suggest(&"taller ".repeat(20)).unwrap();
        assert!(long.len() <= 64 && !long.ends_with('-'), "{long}");
    }

    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses_and_keys_them_lowercase() {
        let email = Email::parse(Some("  Ana.Perez@Example.ORG ")).unwrap();
        assert_eq!(email.as_str(), "Ana.Perez@Example.ORG");
        assert_eq!(email.key(), "ana.perez@example.org");
        assert!(Email::parse(Some("josé@correo.gt")).is_ok());
    }

    #[test]
    fn email_rejects_what_is_not_an_address() {
        for bad in [
            "ana",
            "ana@",
            "@x.org",
            "ana@localhost",
            "ana@x..org",
            "a b@x.org",
            "ana@x.org\r\nBcc: evil@x.org",
            "<ana@x.org>",
            "ana@@x.org",
            ".ana@x.org",
            "ana.@x.org",
            "an..a@x.org",
        ] {
            assert_eq!(
                Email::parse(Some(bad)).unwrap_err().code,
                "invalid",
                "{bad}"
            );
        }
        assert_eq!(Email::parse(None).unwrap_err().code, "required");
        let long = format!("{}@x.org", "a".repeat(250));
        assert!(Email::parse(Some(&long)).is_err());
    }

    #[test]
    fn country_codes_are_real_ones() {
        assert_eq!(CountryCode::parse(Some("gt")).unwrap().as_str(), "GT");
        for code in ["MX", "BZ", "CR", "SV", "HN", "NI", "PA"] {
            assert!(CountryCode::parse(Some(code)).is_ok());
        }
        for bad in ["XX", "MEX", "M", "ZZ", "  "] {
            assert!(CountryCode::parse(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(crate::countries::COUNTRIES.len(), 250);
    }

    #[test]
    fn text_is_trimmed_bounded_and_single_line() {
        assert_eq!(required_line(Some("  Ana "), 10).unwrap(), "Ana");
        assert_eq!(required_line(Some("   "), 10).unwrap_err().code, "required");
        assert_eq!(required_line(Some("ñññññ"), 5).unwrap(), "ñññññ");
        assert_eq!(
            required_line(Some("ññññññ"), 5).unwrap_err().code,
            "too_long"
        );
        assert_eq!(required_line(Some("a\nb"), 5).unwrap_err().code, "invalid");
        assert_eq!(
            optional_multiline(Some("a\nb"), 5).unwrap().unwrap(),
            "a\nb"
        );
        assert_eq!(optional_line(Some(""), 5).unwrap(), None);
    }

    #[test]
    fn names_refuse_invisible_and_direction_characters() {
        assert_eq!(required_name(Some(" Ana Pérez "), 50).unwrap(), "Ana Pérez");
        assert_eq!(required_name(Some("محمد رضا"), 50).unwrap(), "محمد رضا");
        for bad in [
            "Ana\u{202E}zeréP",
            "Ana\u{2066}P\u{2069}",
            "A\u{200B}na",
            "A\u{200D}na",
            "A\u{2060}na",
            "\u{FEFF}Ana B",
            "An\u{00AD}a",
            "Ana\u{2028}B",
        ] {
            assert_eq!(
                required_name(Some(bad), 50).unwrap_err().code,
                "invisible_characters",
                "{bad:?}"
            );
        }
        assert_eq!(optional_name(Some("  "), 50).unwrap(), None);
        assert_eq!(optional_name(Some("a\nb"), 50).unwrap_err().code, "invalid");
    }

    #[test]
    fn slugs_and_kinds() {
        assert!(Slug::parse(Some("mexico-city-hubs-2026")).is_ok());
        for bad in ["Mexico", "a", "-ab", "ab-", "a_b", "../etc"] {
            assert!(Slug::parse(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            OrganizationKind::parse(Some("un_agency")).unwrap(),
            OrganizationKind::UnAgency
        );
        assert!(OrganizationKind::parse(Some("UN")).is_err());
        assert_eq!(Language::parse(Some("ES")).unwrap(), Language::Es);
        assert!(Language::parse(Some("fr")).is_err());
    }
}
