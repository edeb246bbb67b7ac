//! Country names in the reader's language.

pub use crate::countries::COUNTRIES;
use crate::values::Language;

/// The name of a country in the reader's language; the code itself when unknown.
pub fn name(code: &str, language: Language) -> &str {
    COUNTRIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, es)| match language {
            Language::En => *en,
            Language::Es => *es,
        })
        .unwrap_or(code)
}
