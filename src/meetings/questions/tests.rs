use super::*;
use crate::error::{AppError, Checks};
use serde_json::json;

fn question(code: &str, kind: &str, extra: serde_json::Value) -> Question {
    let mut form = json!({"code": code, "label": code, "kind": kind});
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        form[key] = value;
    }
    let draft = QuestionDraft::parse(&serde_json::from_value(form).unwrap()).unwrap();
    Question {
        id: format!("id-{code}"),
        meeting_id: "m".into(),
        code: code.into(),
        label: draft.label,
        translations: serde_json::to_string(&draft.translations).unwrap(),
        kind: draft.kind.as_str().into(),
        options: serde_json::to_string(&draft.options).unwrap(),
        required: draft.required,
        categories: draft.categories.map(|codes| {
            serde_json::to_string(&codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()).unwrap()
        }),
        position: 0,
        created_at: chrono::NaiveDateTime::default(),
    }
}

fn questionnaire() -> Questionnaire {
    let options = json!({"options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]});
    Questionnaire {
        questions: vec![
            question("note", "text", json!({"required": true})),
            question("long", "long_text", json!({})),
            question("yes", "yes_no", json!({})),
            question("one", "choice", options.clone()),
            question("many", "multi_choice", options),
            question("day", "date", json!({})),
            question("count", "number", json!({})),
            question("from", "country", json!({})),
            question(
                "room",
                "text",
                json!({"categories": ["delegate"], "required": true}),
            ),
        ],
        default_category: Some("participant".into()),
        categories: Vec::new(),
    }
}

fn check(category: Option<&str>, raw: serde_json::Value) -> Result<Answers, Vec<String>> {
    let raw: RawAnswers = serde_json::from_value(raw).unwrap();
    let mut checks = Checks::default();
    match questionnaire().check(category, &raw, &mut checks) {
        Some(answers) if checks.is_clean() => Ok(answers),
        _ => match checks.into_error() {
            AppError::Invalid(errors) => Err(errors
                .into_iter()
                .map(|e| format!("{}:{}", e.field.unwrap_or_default(), e.code))
                .collect()),
            other => panic!("{other:?}"),
        },
    }
}

#[test]
fn every_kind_takes_its_own_values_and_keeps_them_normalised() {
    let answers = check(
        None,
        json!({"note": " hola ", "long": "line one\nline two", "yes": false, "one": "b",
            "many": ["b", "a", "b"], "day": "2030-05-28", "count": 3.0, "from": "gt"}),
    )
    .unwrap();
    assert_eq!(answers.get("note"), Some(&json!("hola")));
    assert_eq!(answers.get("many"), Some(&json!(["a", "b"])));
    assert_eq!(
        answers.get("count"),
        Some(&json!(3)),
        "a whole number stays whole"
    );
    assert_eq!(answers.get("from"), Some(&json!("GT")));
    assert_eq!(answers.get("yes"), Some(&json!(false)), "no is an answer");
    let blank = check(
        None,
        json!({"note": "x", "long": "  ", "many": [], "day": null}),
    )
    .unwrap();
    assert!(
        blank.get("long").is_none() && blank.get("many").is_none() && blank.get("day").is_none()
    );
}

#[test]
fn each_bad_answer_is_named_once_with_what_is_wrong() {
    let errors = check(
        Some("participant"),
        json!({"long": 5, "yes": "yes", "one": "c", "many": "a", "day": "2030-02-30",
            "count": 1e13, "from": "XX", "room": "101", "ghost": 1}),
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "answers.note:required",
            "answers.long:wrong_type",
            "answers.yes:wrong_type",
            "answers.one:invalid",
            "answers.many:wrong_type",
            "answers.day:wrong_type",
            "answers.count:out_of_range",
            "answers.from:invalid",
            "answers.ghost:unknown",
            "answers.room:not_asked",
        ]
    );
}

#[test]
fn a_question_for_some_categories_is_asked_of_them_alone() {
    assert_eq!(
        check(Some("delegate"), json!({"note": "x"})).unwrap_err(),
        ["answers.room:required"]
    );
    assert!(check(Some("delegate"), json!({"note": "x", "room": "101"})).is_ok());
    assert!(
        check(None, json!({"note": "x"})).is_ok(),
        "the default category is not asked"
    );
}

#[test]
fn bad_questions_are_refused_by_field() {
    let form =
        |value: serde_json::Value| -> QuestionForm { serde_json::from_value(value).unwrap() };
    let fields = |value| match QuestionDraft::parse(&form(value)) {
        Err(AppError::Invalid(errors)) => errors
            .into_iter()
            .filter_map(|e| e.field)
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        fields(
            json!({"code": "1x", "label": " ", "kind": "essay", "categories": [], "position": -1})
        ),
        ["code", "label", "kind", "categories", "position"]
    );
    assert_eq!(
        fields(
            json!({"code": "x", "label": "X", "kind": "text", "options": [{"code": "a", "label": "A"}]})
        ),
        ["options"]
    );
    assert_eq!(
        fields(json!({"code": "x", "label": "X", "kind": "choice",
            "options": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}]})),
        ["options"]
    );
    assert_eq!(
        fields(
            json!({"code": "x", "label": "X", "kind": "yes_no", "translations": {"fr": {"label": "Oui"}}})
        ),
        ["translations"]
    );
}
