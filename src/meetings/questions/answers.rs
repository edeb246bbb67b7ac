//! Answers to a meeting's questions: checked against the questions asked of the registration's
//! category, each problem named `answers.<code>`, and kept as one JSON object by code.

use super::{Kind, Question};
use crate::error::{Checks, Problem};
use crate::values::{optional_line, optional_multiline, Code, CountryCode, Language};
use serde_json::Value;
use std::collections::BTreeMap;

/// Answers as sent: any JSON value by question code.
pub type RawAnswers = BTreeMap<String, Value>;

const MAX_TEXT: usize = 500;
const MAX_LONG_TEXT: usize = 4000;
const MAX_NUMBER: f64 = 1e12;
/// More answers than any form has questions is not a form.
const MAX_ANSWERS: usize = 200;

/// Checked answers, by question code: a string, a bool, an option code, a list of option
/// codes, a `YYYY-MM-DD` date, a number or a country code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers(BTreeMap<String, Value>);

impl Answers {
    /// As kept in the registration's `answers` column.
    pub fn from_stored(json: &str) -> Self {
        Self(serde_json::from_str(json).unwrap_or_default())
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn get(&self, code: &str) -> Option<&Value> {
        self.0.get(code)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Answers already checked (a registration's view holds them so).
    pub fn from_raw(raw: RawAnswers) -> Self {
        Self(raw)
    }

    /// As a participant would send them again.
    pub fn to_raw(&self) -> RawAnswers {
        self.0.clone()
    }
}

/// What a registration is asked: the meeting's questions, and the category a registration
/// that names none goes into (the only one open to the public), to know which apply.
#[derive(Debug, Clone, Default)]
pub struct Questionnaire {
    pub questions: Vec<Question>,
    pub default_category: Option<String>,
    /// All the meeting's categories, which a registration chooses from.
    pub categories: Vec<crate::meetings::categories::Category>,
}

impl Questionnaire {
    /// The questions asked of `category` (or of the default one), in order. With no category
    /// known, only those asked of everyone.
    pub fn asked<'a>(&'a self, category: Option<&'a str>) -> impl Iterator<Item = &'a Question> {
        let category = category.or(self.default_category.as_deref());
        self.questions
            .iter()
            .filter(move |question| match category {
                Some(code) => question.asked_of(code),
                None => question.categories.is_none(),
            })
    }

    /// Checks the answers for a registration in `category`, each problem into `checks` as
    /// `answers.<code>`: unknown codes, answers to questions not asked of that category, missing
    /// required answers and values of the wrong type. `None` when any is bad.
    pub fn check(
        &self,
        category: Option<&str>,
        raw: &RawAnswers,
        checks: &mut Checks,
    ) -> Option<Answers> {
        if raw.len() > MAX_ANSWERS {
            checks.add(
                "answers",
                Problem::new("too_many", "more answers than the meeting has questions"),
            );
            return None;
        }
        let mut clean = true;
        let mut answers = BTreeMap::new();
        for question in self.asked(category) {
            let field = format!("answers.{}", question.code);
            match answer(question, raw.get(&question.code)) {
                Ok(Some(value)) => {
                    answers.insert(question.code.clone(), value);
                }
                Ok(None) if question.required => {
                    checks.add(&field, Problem::required());
                    clean = false;
                }
                Ok(None) => {}
                Err(problem) => {
                    checks.add(&field, problem);
                    clean = false;
                }
            }
        }
        for code in raw.keys().filter(|code| !answers.contains_key(*code)) {
            let problem = match self.questions.iter().find(|q| &q.code == code) {
                Some(question) if self.asked(category).any(|q| q.id == question.id) => continue,
                Some(_) => Problem::new("not_asked", "this question is not asked of your category"),
                None => Problem::new("unknown", "not a question of this meeting"),
            };
            // A code that is no code is named as the whole field: it is hostile input, and an
            // error message should not carry it back.
            let field = match Code::parse(Some(code)) {
                Ok(code) => format!("answers.{}", code.as_str()),
                Err(_) => "answers".to_owned(),
            };
            checks.add(&field, problem);
            clean = false;
        }
        clean.then_some(Answers(answers))
    }
}

/// One answer checked against its question: `None` when there is none (null, blank, empty).
fn answer(question: &Question, value: Option<&Value>) -> Result<Option<Value>, Problem> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::Array(items)) if items.is_empty() => return Ok(None),
        Some(value) => value,
    };
    let wrong = |what: &str| Problem::new("wrong_type", format!("must be {what}"));
    match question.kind() {
        Kind::Text | Kind::LongText => {
            let text = value.as_str().ok_or_else(|| wrong("text"))?;
            let checked = if question.kind() == Kind::Text {
                optional_line(Some(text), MAX_TEXT)?
            } else {
                optional_multiline(Some(text), MAX_LONG_TEXT)?
            };
            Ok(checked.map(Value::String))
        }
        Kind::YesNo => {
            let yes = value.as_bool().ok_or_else(|| wrong("true or false"))?;
            Ok(Some(Value::Bool(yes)))
        }
        Kind::Choice => {
            let code = value.as_str().ok_or_else(|| wrong("an option's code"))?;
            Ok(Some(Value::String(option(question, code)?)))
        }
        Kind::MultiChoice => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong("a list of option codes"))?;
            let mut picked = Vec::with_capacity(items.len());
            for item in items {
                let code = item
                    .as_str()
                    .ok_or_else(|| wrong("a list of option codes"))?;
                picked.push(option(question, code)?);
            }
            // In the options' order, each once: the same answer reads the same everywhere.
            let ordered = question
                .options()
                .into_iter()
                .filter(|choice| picked.contains(&choice.code))
                .map(|choice| Value::String(choice.code))
                .collect();
            Ok(Some(Value::Array(ordered)))
        }
        Kind::Date => {
            let text = value.as_str().ok_or_else(|| wrong("a date, YYYY-MM-DD"))?;
            let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
                .ok_or_else(|| wrong("a date, YYYY-MM-DD"))?;
            Ok(Some(Value::String(date.format("%Y-%m-%d").to_string())))
        }
        Kind::Number => {
            let n = value
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| wrong("a number"))?;
            if n.abs() > MAX_NUMBER {
                return Err(Problem::new(
                    "out_of_range",
                    "a number this large is no answer",
                ));
            }
            Ok(Some(number(n)))
        }
        Kind::Country => {
            let code = value.as_str().ok_or_else(|| wrong("a country code"))?;
            let country = CountryCode::parse(Some(code))?;
            Ok(Some(Value::String(country.as_str().to_owned())))
        }
    }
}

fn option(question: &Question, code: &str) -> Result<String, Problem> {
    question
        .options()
        .into_iter()
        .find(|choice| choice.code == code)
        .map(|choice| choice.code)
        .ok_or_else(|| Problem::new("invalid", "not one of the question's options"))
}

/// A whole number as an integer, so `3` stays `3` and not `3.0`.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

/// An answer as a person reads it: yes/no, option labels and country names in `language`.
pub fn answer_text(question: &Question, value: &Value, language: Language) -> String {
    let t = crate::i18n::catalogue(language);
    let options = question.options();
    let label = |code: &str| {
        options
            .iter()
            .find(|choice| choice.code == code)
            .map(|choice| choice.label_in(language).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    match (question.kind(), value) {
        (_, Value::Bool(yes)) => t.yes_no(*yes).to_owned(),
        (Kind::Choice, Value::String(code)) => label(code),
        (Kind::MultiChoice, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join("; "),
        (Kind::Country, Value::String(code)) => {
            crate::i18n::countries::name(code, language).to_owned()
        }
        (Kind::Date, Value::String(date)) => {
            match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(day) => crate::i18n::day_heading(day, language),
                Err(_) => date.clone(),
            }
        }
        _ => program_text(value),
    }
}

/// An answer as a program reads it: codes, `true`/`false`, ISO dates, option codes joined by
/// `;`.
pub fn program_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(program_text).collect::<Vec<_>>().join(";"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A question's column in the organizer's exports: `answers.<code>` for a program, its label
/// for a person.
pub fn column(question: &Question) -> crate::exports::Column {
    crate::exports::Column {
        name: format!("answers.{}", question.code).into(),
        width: 24.0,
        en: question.label_in(Language::En).into(),
        es: question.label_in(Language::Es).into(),
    }
}

/// An answer's cell in an export: what the participant typed stays text that never runs as a
/// formula; the rest (codes, names, dates, numbers) are values.
pub fn cell(
    question: &Question,
    value: Option<&Value>,
    reader: crate::exports::Reader,
) -> crate::exports::Cell {
    use crate::exports::{Cell, Reader};
    let Some(value) = value else {
        return Cell::Value(String::new());
    };
    let text = match reader {
        Reader::Program => program_text(value),
        Reader::Person(language) => answer_text(question, value, language),
    };
    match question.kind() {
        Kind::Text | Kind::LongText => Cell::Text(text),
        _ => Cell::Value(text),
    }
}
