//! Filling templates, and dates, times and counts as each language writes them.

use super::catalogue;
use crate::values::Language;
use chrono::{Datelike, Timelike};

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// A local date and time written the way a reader of that language expects.
pub fn date_time<T: Datelike + Timelike>(at: &T, language: Language) -> String {
    let texts = catalogue(language);
    fill(
        texts.date_time,
        &[
            ("day", &at.day().to_string()),
            ("month", texts.months[at.month0() as usize]),
            ("year", &at.year().to_string()),
            ("time", &format!("{:02}:{:02}", at.hour(), at.minute())),
        ],
    )
}

/// A count with its noun or sentence in the right number: `forms` is the text for one, then for
/// any other count ("1 participant", "24 participants"), each with `{n}`. Singular is exactly
/// one in both languages.
pub fn counted(n: impl Into<i64>, forms: [&str; 2]) -> String {
    let n = n.into();
    fill(forms[usize::from(n != 1)], &[("n", &n.to_string())])
}

/// A day as a heading reads it: "Wednesday 29 May 2030", "Miércoles 29 de mayo de 2030" (a
/// heading starts with a capital, though Spanish writes weekdays in lower case).
pub fn day_heading(day: chrono::NaiveDate, language: Language) -> String {
    let texts = catalogue(language);
    let heading = fill(
        texts.day_heading,
        &[
            (
                "weekday",
                texts.weekdays[day.weekday().num_days_from_monday() as usize],
            ),
            ("day", &day.day().to_string()),
            ("month", texts.months[day.month0() as usize]),
            ("year", &day.year().to_string()),
        ],
    );
    let mut letters = heading.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => heading,
    }
}
