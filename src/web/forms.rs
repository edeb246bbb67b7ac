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
}

impl FormState {
    pub fn new(values: HashMap<String, String>) -> Self {
        Self {
            values,
            errors: HashMap::new(),
        }
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
            label for=(self.name) { (self.label) }
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

/// The summary at the top of a form that came back with errors.
pub fn error_summary(form: &FormState, t: &Catalogue) -> Markup {
    html! {
        @if form.has_errors() {
            div.notice.bad role="alert" { p { strong { (t.errors_summary) } } }
        }
    }
}
