//! A meeting's participant categories: delegate, observer, media… Each has its own capacity,
//! approval, invitation-only flag and FIFO waiting list; the meeting's capacity bounds them all.
//! Every meeting has at least one: `participant`, made with the meeting. Codes never change, so
//! a registration names its category by code.

pub mod dashboard;
pub mod routes;
pub mod store;

use crate::error::{AppError, Checks, Problem};
use crate::schema::categories;
use crate::values::{optional_line, required_line, Code, Language};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The category every meeting starts with.
pub const DEFAULT_CODE: &str = "participant";

const MAX_NAME: usize = 100;

/// A category as sent by an organizer (create, or laid under a PATCH).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "delegate", "name": "Delegate",
    "translations": {"es": {"name": "Delegada o delegado"}}, "capacity": 60,
    "requires_approval": false, "invitation_only": true, "press_accreditation": false}))]
pub struct CategoryForm {
    pub code: Option<String>,
    pub name: Option<String>,
    pub translations: Option<BTreeMap<String, CategoryText>>,
    /// Seats in this category; null: only the meeting's capacity bounds it.
    pub capacity: Option<i64>,
    pub requires_approval: Option<bool>,
    /// Only through an invitation (or a delegation).
    pub invitation_only: Option<bool>,
    /// Journalists: always approved by an organizer, who then get a press link.
    pub press_accreditation: Option<bool>,
}

/// A category's name in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A category's every field, checked.
#[derive(Debug, Clone)]
pub struct CategoryDraft {
    pub code: Code,
    pub name: String,
    pub translations: BTreeMap<Language, CategoryText>,
    pub capacity: Option<i64>,
    pub requires_approval: bool,
    pub invitation_only: bool,
    pub press_accreditation: bool,
}

impl CategoryDraft {
    /// Checks every field and reports all problems at once. Press accreditation always needs
    /// approval: a journalist's press link is an organizer's decision.
    pub fn parse(form: &CategoryForm) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let code = checks.field("code", Code::parse(form.code.as_deref()));
        let name = checks.field("name", required_line(form.name.as_deref(), MAX_NAME));
        let translations = checks.field("translations", parse_names(form.translations.as_ref()));
        let capacity = checks.field(
            "capacity",
            match form.capacity {
                None => Ok(None),
                Some(n) if (1..=1_000_000).contains(&n) => Ok(Some(n)),
                Some(_) => Err(Problem::new(
                    "out_of_range",
                    "must be between 1 and 1000000, or null for no limit",
                )),
            },
        );
        let press_accreditation = form.press_accreditation.unwrap_or(false);
        let draft = (|| {
            Some(Self {
                code: code?,
                name: name?,
                translations: translations?,
                capacity: capacity?,
                requires_approval: form.requires_approval.unwrap_or(false) || press_accreditation,
                invitation_only: form.invitation_only.unwrap_or(false),
                press_accreditation,
            })
        })();
        match draft {
            Some(draft) if checks.is_clean() => Ok(draft),
            _ => Err(checks.into_error()),
        }
    }
}

fn parse_names(
    raw: Option<&BTreeMap<String, CategoryText>>,
) -> Result<BTreeMap<Language, CategoryText>, Problem> {
    let mut names = BTreeMap::new();
    for (code, text) in raw.into_iter().flatten() {
        let language = Language::from_code(code)
            .ok_or_else(|| Problem::new("invalid", "translations are keyed \"en\" or \"es\""))?;
        if let Some(name) = optional_line(text.name.as_deref(), MAX_NAME)? {
            names.insert(language, CategoryText { name: Some(name) });
        }
    }
    Ok(names)
}

/// A category as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: String,
    pub meeting_id: String,
    pub code: String,
    pub name: String,
    pub translations: String,
    pub capacity: Option<i64>,
    pub requires_approval: bool,
    pub invitation_only: bool,
    pub press_accreditation: bool,
    pub position: i32,
    pub created_at: NaiveDateTime,
}

impl Category {
    pub fn translations(&self) -> BTreeMap<Language, CategoryText> {
        serde_json::from_str(&self.translations).unwrap_or_default()
    }

    /// The name a reader of `language` sees: the translation, else the name as given.
    pub fn name_in(&self, language: Language) -> String {
        self.translations()
            .remove(&language)
            .and_then(|text| text.name)
            .unwrap_or_else(|| self.name.clone())
    }

    /// Whether one more can be seated in it beside the `seated` already there.
    pub fn has_room(&self, seated: i64) -> bool {
        self.capacity.is_none_or(|capacity| seated < capacity)
    }

    /// What the category and the meeting still hold once `seated` hold theirs; null: no
    /// limit.
    pub fn seats_left(&self, seated: i64, meeting_seats_left: Option<i64>) -> Option<i64> {
        let own = self.capacity.map(|capacity| (capacity - seated).max(0));
        match (own, meeting_seats_left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the organizers decide each registration in it.
    pub fn needs_approval(&self, meeting: &crate::meetings::Meeting) -> bool {
        meeting.requires_approval || self.requires_approval || self.press_accreditation
    }

    /// The category as its form, so a PATCH can be laid over it and checked like a new one.
    pub fn to_form(&self) -> CategoryForm {
        CategoryForm {
            code: Some(self.code.clone()),
            name: Some(self.name.clone()),
            translations: Some(
                self.translations()
                    .into_iter()
                    .map(|(language, text)| (language.as_str().to_owned(), text))
                    .collect(),
            ),
            capacity: self.capacity,
            requires_approval: Some(self.requires_approval),
            invitation_only: Some(self.invitation_only),
            press_accreditation: Some(self.press_accreditation),
        }
    }
}

/// A category as the API shows it: to everyone in the meeting's view, to its organizers alone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub code: String,
    /// In the reader's language (`?lang=`), else as given.
    pub name: String,
    pub translations: BTreeMap<Language, CategoryText>,
    pub capacity: Option<i64>,
    /// What the category and the meeting still hold; null: no limit.
    pub seats_left: Option<i64>,
    pub requires_approval: bool,
    pub invitation_only: bool,
    pub press_accreditation: bool,
}

impl CategoryView {
    pub fn new(
        category: &Category,
        confirmed_in_category: i64,
        meeting_seats_left: Option<i64>,
        language: Language,
    ) -> Self {
        let seats_left = category.seats_left(confirmed_in_category, meeting_seats_left);
        Self {
            code: category.code.clone(),
            name: category.name_in(language),
            translations: category.translations(),
            capacity: category.capacity,
            seats_left,
            requires_approval: category.requires_approval,
            invitation_only: category.invitation_only,
            press_accreditation: category.press_accreditation,
        }
    }
}
