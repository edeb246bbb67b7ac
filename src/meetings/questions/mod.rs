//! Registration questions an organizer defines: typed, required or not, perhaps for some
//! categories only, with labels and options in both languages. The form draws them in order;
//! the answers (`answers.rs`) are checked against them and kept with the registration.

pub mod answers;
pub mod dashboard;
pub mod routes;
pub mod store;

pub use answers::{Answers, Questionnaire, RawAnswers};

use crate::error::{AppError, Checks, Problem};
use crate::schema::questions;
use crate::values::{optional_line, required_line, Code, Language};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MAX_LABEL: usize = 300;
const MAX_OPTIONS: usize = 50;

/// What a question takes as its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    YesNo,
    Choice,
    MultiChoice,
    Date,
    Number,
    Country,
}

impl Kind {
    pub const ALL: [Self; 8] = [
        Self::Text,
        Self::LongText,
        Self::YesNo,
        Self::Choice,
        Self::MultiChoice,
        Self::Date,
        Self::Number,
        Self::Country,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::LongText => "long_text",
            Self::YesNo => "yes_no",
            Self::Choice => "choice",
            Self::MultiChoice => "multi_choice",
            Self::Date => "date",
            Self::Number => "number",
            Self::Country => "country",
        }
    }

    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        let code = raw.map(str::trim).filter(|s| !s.is_empty());
        let code = code.ok_or_else(Problem::required)?;
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == code)
            .ok_or_else(|| {
                Problem::new(
                    "invalid",
                    "one of text, long_text, yes_no, choice, multi_choice, date, number, country",
                )
            })
    }

    /// Whether its answers are picked from the question's options.
    pub fn has_options(self) -> bool {
        matches!(self, Self::Choice | Self::MultiChoice)
    }
}

/// A label in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One option of a choice, as sent and as kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionForm {
    pub code: Option<String>,
    pub label: Option<String>,
    pub translations: Option<BTreeMap<String, LabelText>>,
}

/// A question as sent by an organizer (create, or laid under a PATCH).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "arrival", "label": "Arrival date",
    "translations": {"es": {"label": "Fecha de llegada"}}, "kind": "date", "options": [],
    "required": true, "categories": ["delegate"], "position": 1}))]
pub struct QuestionForm {
    pub code: Option<String>,
    pub label: Option<String>,
    pub translations: Option<BTreeMap<String, LabelText>>,
    /// `text | long_text | yes_no | choice | multi_choice | date | number | country`
    pub kind: Option<String>,
    /// For `choice` and `multi_choice` only.
    pub options: Option<Vec<OptionForm>>,
    pub required: Option<bool>,
    /// Asked only of these categories; null: of everyone.
    pub categories: Option<Vec<String>>,
    /// Where it stands in the form; left out: after the others.
    pub position: Option<i32>,
}

/// One option, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub translations: BTreeMap<Language, LabelText>,
}

impl Choice {
    pub fn label_in(&self, language: Language) -> &str {
        self.translations
            .get(&language)
            .and_then(|text| text.label.as_deref())
            .unwrap_or(&self.label)
    }
}

/// A question's every field, checked.
#[derive(Debug, Clone)]
pub struct QuestionDraft {
    pub code: Code,
    pub label: String,
    pub translations: BTreeMap<Language, LabelText>,
    pub kind: Kind,
    pub options: Vec<Choice>,
    pub required: bool,
    pub categories: Option<Vec<Code>>,
    pub position: Option<i32>,
}

impl QuestionDraft {
    /// Checks every field and reports all problems at once. Whether the categories exist is
    /// the store's to check, with the meeting's.
    pub fn parse(form: &QuestionForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let code = checks.field("code", Code::parse(form.code.as_deref()));
        let label = checks.field("label", required_line(form.label.as_deref(), MAX_LABEL));
        let translations = checks.field("translations", labels(form.translations.as_ref()));
        let kind = checks.field("kind", Kind::parse(form.kind.as_deref()));
        let options = match kind {
            Some(kind) => checks.field("options", parse_options(kind, form.options.as_deref())),
            None => Some(Vec::new()),
        };
        let categories = checks.field("categories", category_codes(form.categories.as_deref()));
        let position = checks.field(
            "position",
            match form.position {
                Some(p) if !(0..=10_000).contains(&p) => {
                    Err(Problem::new("out_of_range", "must be between 0 and 10000"))
                }
                p => Ok(p),
            },
        );
        let draft = (|| {
            Some(Self {
                code: code?,
                label: label?,
                translations: translations?,
                kind: kind?,
                options: options?,
                required: form.required.unwrap_or(false),
                categories: categories?,
                position: position?,
            })
        })();
        match draft {
            Some(draft) if checks.is_clean() => Ok(draft),
            _ => Err(checks.into_error()),
        }
    }
}

fn labels(
    raw: Option<&BTreeMap<String, LabelText>>,
) -> Result<BTreeMap<Language, LabelText>, Problem> {
    let mut labels = BTreeMap::new();
    for (code, text) in raw.into_iter().flatten() {
        let language = Language::from_code(code)
            .ok_or_else(|| Problem::new("invalid", "translations are keyed \"en\" or \"es\""))?;
        if let Some(label) = optional_line(text.label.as_deref(), MAX_LABEL)? {
            labels.insert(language, LabelText { label: Some(label) });
        }
    }
    Ok(labels)
}

/// A choice's options: at least one, codes unique; other kinds take none.
fn parse_options(kind: Kind, raw: Option<&[OptionForm]>) -> Result<Vec<Choice>, Problem> {
    let raw = raw.unwrap_or_default();
    if !kind.has_options() {
        return match raw {
            [] => Ok(Vec::new()),
            _ => Err(Problem::new(
                "not_a_choice",
                "only choice and multi_choice questions have options",
            )),
        };
    }
    if raw.is_empty() || raw.len() > MAX_OPTIONS {
        return Err(Problem::new(
            "out_of_range",
            format!("a choice has 1 to {MAX_OPTIONS} options"),
        ));
    }
    let mut options: Vec<Choice> = Vec::with_capacity(raw.len());
    for option in raw {
        let code = Code::parse(option.code.as_deref())?;
        if options.iter().any(|o| o.code == code.as_str()) {
            return Err(Problem::new(
                "duplicate",
                format!("the option code {} is given twice", code.as_str()),
            ));
        }
        options.push(Choice {
            code: code.as_str().to_owned(),
            label: required_line(option.label.as_deref(), MAX_LABEL)?,
            translations: labels(option.translations.as_ref())?,
        });
    }
    Ok(options)
}

fn category_codes(raw: Option<&[String]>) -> Result<Option<Vec<Code>>, Problem> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.is_empty() {
        return Err(Problem::new(
            "empty",
            "name at least one category, or null for every category",
        ));
    }
    let mut codes: Vec<Code> = Vec::new();
    for code in raw {
        let code = Code::parse(Some(code))?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(Some(codes))
}

/// A question as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questions)]
pub struct Question {
    pub id: String,
    pub meeting_id: String,
    pub code: String,
    pub label: String,
    pub translations: String,
    pub kind: String,
    pub options: String,
    pub required: bool,
    pub categories: Option<String>,
    pub position: i32,
    pub created_at: NaiveDateTime,
}

impl Question {
    pub fn kind(&self) -> Kind {
        Kind::parse(Some(&self.kind)).unwrap_or(Kind::Text)
    }

    pub fn translations(&self) -> BTreeMap<Language, LabelText> {
        serde_json::from_str(&self.translations).unwrap_or_default()
    }

    pub fn options(&self) -> Vec<Choice> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// The categories it is asked of; `None`: all.
    pub fn categories(&self) -> Option<Vec<String>> {
        self.categories
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// Whether someone registering in `category` is asked it.
    pub fn asked_of(&self, category: &str) -> bool {
        self.categories()
            .is_none_or(|codes| codes.iter().any(|code| code == category))
    }

    /// The label a reader of `language` sees.
    pub fn label_in(&self, language: Language) -> String {
        self.translations()
            .remove(&language)
            .and_then(|text| text.label)
            .unwrap_or_else(|| self.label.clone())
    }

    /// The question as its form, so a PATCH can be laid over it and checked like a new one.
    pub fn to_form(&self) -> QuestionForm {
        let texts = |translations: BTreeMap<Language, LabelText>| {
            translations
                .into_iter()
                .map(|(language, text)| (language.as_str().to_owned(), text))
                .collect()
        };
        QuestionForm {
            code: Some(self.code.clone()),
            label: Some(self.label.clone()),
            translations: Some(texts(self.translations())),
            kind: Some(self.kind.clone()),
            options: Some(
                self.options()
                    .into_iter()
                    .map(|choice| OptionForm {
                        code: Some(choice.code),
                        label: Some(choice.label),
                        translations: Some(texts(choice.translations)),
                    })
                    .collect(),
            ),
            required: Some(self.required),
            categories: self.categories(),
            position: Some(self.position),
        }
    }
}

/// An option as the API shows it: its label in the reader's language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChoiceView {
    pub code: String,
    pub label: String,
    pub translations: BTreeMap<Language, LabelText>,
}

/// A question as the API shows it, so that a client can draw the form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub code: String,
    /// In the reader's language (`?lang=`), else as given.
    pub label: String,
    pub translations: BTreeMap<Language, LabelText>,
    pub kind: Kind,
    pub options: Vec<ChoiceView>,
    pub required: bool,
    /// Asked only of these categories; null: of everyone.
    pub categories: Option<Vec<String>>,
    pub position: i32,
}

impl QuestionView {
    pub fn new(question: &Question, language: Language) -> Self {
        Self {
            code: question.code.clone(),
            label: question.label_in(language),
            translations: question.translations(),
            kind: question.kind(),
            options: question
                .options()
                .into_iter()
                .map(|choice| ChoiceView {
                    label: choice.label_in(language).to_owned(),
                    code: choice.code,
                    translations: choice.translations,
                })
                .collect(),
            required: question.required,
            categories: question.categories(),
            position: question.position,
        }
    }
}

#[cfg(test)]
mod tests;
