//! Form fields with their labels, hints and error messages bound to the input, so screen
//! readers announce them; values typed are kept when the form comes back.

use super::page::field_message;
use crate::error::FieldError;
use crate::i18n::Catalogue;
use maud::{html, Markup};
use std::collections::HashMap;

/// A submitted field's value, trimmed; `None` when it is missing or blank.
pub fn filled(values: &HashMap<String, String>, name: &str) -> Option<String> {
    values
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// What a form was filled with, and what was wrong with it.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, &'static str>,
    /// Labels of fields a meeting defines (its questions), for the error summary.
    pub labels: HashMap<String, String>,
}

impl FormState {
    pub fn new(values: HashMap<String, String>) -> Self {
        Self {
            values,
            errors: HashMap::new(),
            labels: HashMap::new(),
        }
    }
    /// Names the fields the error summary cannot know by name (a meeting's questions).
    pub fn with_labels(mut self, labels: HashMap<String, String>) -> Self {
        self.labels = labels;
        self
    }
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.value(name), "on" | "true" | "yes" | "1")
    }
    /// Records the errors of a failed parse; `rename` maps API field names to input names.
    pub fn with_errors(
        mut self,
        errors: &[FieldError],
        t: &Catalogue,
        rename: impl Fn(&str) -> String,
    ) -> Self {
        for error in errors {
            let field = error.field.as_deref().unwrap_or("");
            self.errors
                .insert(rename(field), field_message(t, field, error.code));
        }
        self
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

fn described_by(name: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if hint.is_some() {
        ids.push(format!("{name}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            hint: None,
            required: false,
            autocomplete: None,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn autocomplete(mut self, value: &'a str) -> Self {
        self.autocomplete = Some(value);
        self
    }

    fn head(&self, error: Option<&str>) -> Markup {
        html! {
            // The asterisk is for the eye; `required` on the input tells a screen reader.
            label for=(self.name) { (self.label) @if self.required { " " span.req aria-hidden="true" { "*" } } }
            @if let Some(hint) = self.hint { span.hint id={ (self.name) "-hint" } { (hint) } }
            @if let Some(error) = error { span.error id={ (self.name) "-error" } { (error) } }
        }
    }

    pub fn input(&self, form: &FormState) -> Markup {
        let error = form.errors.get(self.name).copied();
        html! {
            div.field {
                (self.head(error))
                input type=(self.kind) id=(self.name) name=(self.name) value=(form.value(self.name))
                    required[self.required] autocomplete=[self.autocomplete]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[described_by(self.name, self.hint, error)];
            }
        }
    }

    pub fn textarea(&self, form: &FormState) -> Markup {
        let error = form.errors.get(self.name).copied();
        html! {
            div.field {
                (self.head(error))
                textarea id=(self.name) name=(self.name) rows="3"
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[described_by(self.name, self.hint, error)] { (form.value(self.name)) }
            }
        }
    }

    /// A select of (value, label) options, with a first empty "Choose…" option.
    pub fn select(&self, form: &FormState, choose: &str, options: &[(String, String)]) -> Markup {
        let error = form.errors.get(self.name).copied();
        let current = form.value(self.name);
        html! {
            div.field {
                (self.head(error))
                select id=(self.name) name=(self.name) required[self.required]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[described_by(self.name, self.hint, error)] {
                    option value="" { (choose) }
                    @for (value, label) in options {
                        option value=(value) selected[value == current] { (label) }
                    }
                }
            }
        }
    }
}

/// A checkbox with its label beside it.
pub fn checkbox(form: &FormState, name: &str, label: &str, required: bool) -> Markup {
    let error = form.errors.get(name).copied();
    html! {
        @if let Some(error) = error { span.error id={ (name) "-error" } { (error) } }
        div.check {
            input type="checkbox" id=(name) name=(name) value="on" checked[form.checked(name)] required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{name}-error"))];
            label for=(name) { (label) }
        }
    }
}

/// The summary at the top of a form that came back with errors: each field named, with what
/// is wrong, linked to the field.
pub fn error_summary(form: &FormState, t: &Catalogue) -> Markup {
    let mut errors: Vec<(&String, &&str)> = form.errors.iter().collect();
    errors.sort_by_key(|(name, _)| {
        // A meeting's questions come after the needs, before the consents.
        let field = if name.starts_with("answers_") {
            "consent_data_processing"
        } else {
            name
        };
        let place = FORM_ORDER.iter().position(|known| *known == field);
        (place.unwrap_or(FORM_ORDER.len()), name.as_str())
    });
    html! {
        @if form.has_errors() {
            div.notice.bad.error-summary role="alert" {
                p { strong { (t.errors_summary) } }
                ul {
                    @for (name, message) in errors {
                        @let label = form.labels.get(name.as_str()).map_or_else(|| field_label(t, name), String::as_str);
                        li { a href={ "#" (name) } { (label) } ": " (message) }
                    }
                }
            }
        }
    }
}

/// The order fields come in on the forms, so the summary reads as the form does.
const FORM_ORDER: [&str; 48] = [
    "category",
    "full_name",
    "email",
    "password",
    "organization",
    "organization_name",
    "organization_kind",
    "organization_country",
    "job_title",
    "country",
    "language",
    "dietary",
    "accessibility",
    "interpretation",
    "consent_data_processing",
    "consent_press_listing",
    "title",
    "title_en",
    "title_es",
    "slug",
    "description",
    "description_en",
    "description_es",
    "kind",
    "starts_at",
    "ends_at",
    "timezone",
    "venue",
    "address",
    "city",
    "city_es",
    "city_en",
    "capacity",
    "per_organization_limit",
    "approval_threshold",
    "registration_opens_at",
    "registration_closes_at",
    "contact_email",
    "invitation_reminder_days",
    "status",
    "signatory_name",
    "signatory_title",
    "room_id",
    "room_name",
    "room_capacity",
    "speakers",
    "label",
    "expires_at",
];

/// The note that explains the asterisk, above a form with required fields.
pub fn required_note(t: &Catalogue) -> Markup {
    html! { p.muted { span.req aria-hidden="true" { "*" } " " (t.required_note) } }
}

/// A form field's label, by its input's name, for the error summary (the fields' own labels
/// are drawn after it).
fn travel_label(t: &Catalogue, name: &str) -> &'static str {
    let f = &t.travel.form;
    match name.trim_start_matches("travel_") {
        "funding_requested" => f.funding_requested,
        "departure_city" => f.departure_city,
        "arrival_date" => f.arrival_date,
        "departure_date" => f.departure_date,
        "hotel_needed" => f.hotel_needed,
        "visa_letter_requested" => f.visa_letter_requested,
        "nationality" => f.nationality,
        "passport_number" => f.passport_number,
        "passport_expiry" => f.passport_expiry,
        "date_of_birth" => f.date_of_birth,
        _ => t.travel.heading,
    }
}

pub fn field_label(t: &Catalogue, name: &str) -> &'static str {
    match name {
        "accessibility" => t.accessibility,
        "address" => t.street_address,
        "contact_email" => t.contact_email,
        "invitation_reminder_days" => t.invitation_reminder_days,
        "signatory_name" => t.signatory_name,
        "signatory_title" => t.signatory_title,
        "approval_threshold" => t.approval_threshold,
        "capacity" | "room_capacity" => t.capacity,
        "category" => t.category_label,
        "city" => t.city,
        "city_es" => t.city_es,
        "city_en" => t.city_en,
        "country" => t.country,
        "description" => t.description,
        "description_en" => t.description_en,
        "description_es" => t.description_es,
        "dietary" => t.dietary,
        "email" => t.email,
        "ends_at" => t.ends,
        "expires_at" => t.expires,
        "full_name" => t.full_name,
        "interpretation" => t.interpretation,
        "job_title" => t.job_title,
        "kind" => t.kind,
        "label" => t.label,
        "language" => t.email_language,
        "organization" => t.organization_pick,
        "organization_country" => t.organization_country,
        "organization_kind" => t.organization_kind,
        "organization_name" => t.organization_name,
        "password" => t.password,
        "per_organization_limit" => t.per_organization_limit,
        "registration_closes_at" => t.registration_closes,
        "registration_opens_at" => t.registration_opens,
        "room_id" => t.room,
        "room_name" => t.name,
        "slug" => t.slug,
        "speakers" => t.speakers_field,
        "starts_at" => t.starts,
        "status" => t.meeting_status,
        "timezone" => t.timezone,
        "title" => t.title,
        "title_en" => t.title_en,
        "title_es" => t.title_es,
        "venue" => t.venue,
        "consent_data_processing" => t.consent_data,
        "consent_press_listing" => t.consent_press,
        "travel" => t.travel.heading,
        name if name.starts_with("travel_") => travel_label(t, name),
        _ => t.this_field,
    }
}
