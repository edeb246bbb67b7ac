//! The meeting's own questions on the participant's forms: drawn in order with their errors
//! beside them, read back into the API's `answers`, and listed with the answers given.

use crate::i18n::Catalogue;
use crate::meetings::questions::answers::answer_text;
use crate::meetings::questions::{Answers, Kind, Question, RawAnswers};
use crate::values::Language;
use crate::web::forms::{filled, Field, FormState};
use maud::{html, Markup};
use serde_json::Value;
use std::collections::HashMap;

/// A question's input name: its error (`answers.<code>`) lands on it as `answers_<code>`.
pub fn input_name(question: &Question) -> String {
    format!("answers_{}", question.code)
}

/// A multiple-choice option's checkbox: one name each, so no value is lost to a repeated name.
fn option_name(question: &Question, option: &str) -> String {
    format!("answers_{}__{option}", question.code)
}

/// The questions, each drawn for its kind; those asked of some categories only say which.
pub fn fields(
    t: &Catalogue,
    language: Language,
    form: &FormState,
    questions: &[Question],
    category_names: &HashMap<String, String>,
) -> Markup {
    html! {
        @if !questions.is_empty() {
            fieldset {
                legend { (t.questions_legend) }
                @for question in questions {
                    (field(t, language, form, question, category_names))
                }
            }
        }
    }
}

fn field(
    t: &Catalogue,
    language: Language,
    form: &FormState,
    question: &Question,
    category_names: &HashMap<String, String>,
) -> Markup {
    let name = input_name(question);
    let label = question.label_in(language);
    let only_for = question.categories().map(|codes| {
        let names: Vec<&str> = codes
            .iter()
            .map(|code| {
                category_names
                    .get(code)
                    .map_or(code.as_str(), String::as_str)
            })
            .collect();
        crate::i18n::fill(t.question_only_for, &[("categories", &names.join(", "))])
    });
    let mut field = Field::new(&name, &label);
    if question.required {
        field = field.required();
    }
    if let Some(hint) = only_for.as_deref() {
        field = field.hint(hint);
    }
    let error = form.errors.get(&name).copied();
    match question.kind() {
        Kind::Text => field.input(form),
        Kind::LongText => field.textarea(form),
        Kind::Date => field.kind("date").input(form),
        Kind::Number => field.kind("number").input(form),
        Kind::Country => field.select(form, t.choose, &super::country_options(language)),
        Kind::Choice => field.select(form, t.choose, &options(question, language)),
        Kind::YesNo => html! {
            fieldset.field.choices aria-describedby=[error.map(|_| format!("{name}-error"))] {
                legend { (label) @if question.required { " " span.req aria-hidden="true" { "*" } } }
                @if let Some(hint) = only_for.as_deref() { span.hint { (hint) } }
                @if let Some(error) = error { span.error id={ (name) "-error" } { (error) } }
                @for (value, text) in [("yes", t.yes), ("no", t.no)] {
                    div.check {
                        input type="radio" id={ (name) "-" (value) } name=(name) value=(value)
                            checked[form.value(&name) == value];
                        label for={ (name) "-" (value) } { (text) }
                    }
                }
            }
        },
        Kind::MultiChoice => html! {
            // The first box carries the question's id, so the error summary's link lands here.
            fieldset.field.choices id=(name) aria-describedby=[error.map(|_| format!("{name}-error"))] {
                legend { (label) @if question.required { " " span.req aria-hidden="true" { "*" } } }
                @if let Some(hint) = only_for.as_deref() { span.hint { (hint) } }
                @if let Some(error) = error { span.error id={ (name) "-error" } { (error) } }
                @for (code, text) in options(question, language) {
                    @let option = option_name(question, &code);
                    div.check {
                        input type="checkbox" id=(option) name=(option) value="on"
                            checked[form.checked(&option)];
                        label for=(option) { (text) }
                    }
                }
            }
        },
    }
}

fn options(question: &Question, language: Language) -> Vec<(String, String)> {
    question
        .options()
        .into_iter()
        .map(|choice| (choice.label_in(language).to_owned(), choice.code))
        .map(|(label, code)| (code, label))
        .collect()
}

/// The answers in a submitted form, typed as the API takes them: yes/no as a bool, a number
/// as a number (or the text as typed, which the check then refuses), ticked options as a list.
/// Only the questions given: one not asked of the chosen category is not read.
pub fn answers_from_form<'a>(
    values: &HashMap<String, String>,
    questions: impl Iterator<Item = &'a Question>,
) -> RawAnswers {
    let mut answers = RawAnswers::new();
    for question in questions {
        let name = input_name(question);
        let value = match question.kind() {
            Kind::YesNo => match filled(values, &name).as_deref() {
                Some("yes") => Value::Bool(true),
                Some("no") => Value::Bool(false),
                Some(other) => Value::String(other.to_owned()),
                None => continue,
            },
            Kind::Number => match filled(values, &name) {
                Some(text) => text
                    .replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::String(text), Value::Number),
                None => continue,
            },
            Kind::MultiChoice => Value::Array(
                question
                    .options()
                    .into_iter()
                    .filter(|choice| filled(values, &option_name(question, &choice.code)).is_some())
                    .map(|choice| Value::String(choice.code))
                    .collect(),
            ),
            _ => match filled(values, &name) {
                Some(text) => Value::String(text),
                None => continue,
            },
        };
        answers.insert(question.code.clone(), value);
    }
    answers
}

/// The form's values for answers already given, to fill the form again.
pub fn form_values(questions: &[Question], answers: &Answers) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for question in questions {
        let Some(value) = answers.get(&question.code) else {
            continue;
        };
        match value {
            Value::Bool(yes) => {
                values.insert(input_name(question), if *yes { "yes" } else { "no" }.into());
            }
            Value::Array(items) => {
                for code in items.iter().filter_map(Value::as_str) {
                    values.insert(option_name(question, code), "on".into());
                }
            }
            other => {
                let text = crate::meetings::questions::answers::program_text(other);
                values.insert(input_name(question), text);
            }
        }
    }
    values
}

/// The answers given, question by question, as a definition list (empty when none).
pub fn answers_list(questions: &[Question], answers: &Answers, language: Language) -> Markup {
    html! {
        @let given: Vec<_> = questions.iter().filter_map(|q| Some((q, answers.get(&q.code)?))).collect();
        @if !given.is_empty() {
            dl.answers {
                @for (question, value) in given {
                    dt { (question.label_in(language)) }
                    dd { (answer_text(question, value, language)) }
                }
            }
        }
    }
}

/// The questions' labels by input name, for the error summary.
pub fn labels(questions: &[Question], language: Language) -> HashMap<String, String> {
    questions
        .iter()
        .map(|question| (input_name(question), question.label_in(language)))
        .collect()
}
