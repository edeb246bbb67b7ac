//! A PATCH body: the fields sent, laid over the current form and then checked like a new one,
//! so a change can never reach a state that creating could not.

use crate::error::AppError;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

/// The fields of a PATCH, as sent (a JSON object; anything else is a 422 from the body parser).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(transparent)]
pub struct Patch(Map<String, Value>);

impl Patch {
    /// A patch of the fields of `form` (a serializable form), less those in `except`.
    pub fn of<F: Serialize>(form: &F, except: &[&str]) -> Result<Self, AppError> {
        let Value::Object(mut fields) = serde_json::to_value(form).map_err(anyhow::Error::from)?
        else {
            return Err(anyhow::anyhow!("a form serializes to an object").into());
        };
        for field in except {
            fields.remove(*field);
        }
        Ok(Self(fields))
    }

    /// A patch that sets one field.
    pub fn set(field: &str, value: impl Into<Value>) -> Self {
        Self(Map::from_iter([(field.to_owned(), value.into())]))
    }

    /// Takes `field` out of the patch, for its own check.
    pub fn take(&mut self, field: &str) -> Option<Value> {
        self.0.remove(field)
    }

    /// The value sent for `field`, if any.
    pub fn field(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    /// The patch with the object sent as `field` laid over `current` key by key (a key sent
    /// as null removes it), so that a change of one answer keeps the others. Anything else
    /// sent as `field` stays as sent, for the form's check to refuse.
    pub fn merged(
        mut self,
        field: &str,
        current: &std::collections::BTreeMap<String, Value>,
    ) -> Self {
        if let Some(Value::Object(sent)) = self.0.get(field) {
            let mut merged: Map<String, Value> = current.clone().into_iter().collect();
            for (key, value) in sent {
                match value {
                    Value::Null => merged.remove(key),
                    value => merged.insert(key.clone(), value.clone()),
                };
            }
            self.0.insert(field.to_owned(), Value::Object(merged));
        }
        self
    }

    /// `current` with the sent fields laid over it, parsed back into its form type; a field of
    /// the wrong type is named as the body parser names it.
    pub fn over<F: Serialize + DeserializeOwned>(self, current: &F) -> Result<F, AppError> {
        let Value::Object(mut fields) =
            serde_json::to_value(current).map_err(anyhow::Error::from)?
        else {
            return Err(anyhow::anyhow!("a form serializes to an object").into());
        };
        fields.extend(self.0);
        crate::error::from_value(Value::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Form {
        name: String,
        seats: Option<u32>,
    }

    #[test]
    fn sent_fields_replace_and_the_rest_stay() {
        let current = Form {
            name: "Ana".into(),
            seats: Some(3),
        };
        let patch: Patch = serde_json::from_str(r#"{"seats": null}"#).unwrap();
        let changed = patch.over(&current).unwrap();
        assert_eq!(
            changed,
            Form {
                name: "Ana".into(),
                seats: None
            }
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let current = Form {
            name: "Ana".into(),
            seats: None,
        };
        let error = Patch::set("seats", "many").over(&current).unwrap_err();
        match error {
            AppError::Invalid(errors) => assert!(format!("{errors:?}").contains("seats")),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_patch_of_a_form_leaves_out_what_it_must_not_change() {
        let patch = Patch::of(
            &Form {
                name: "Ana".into(),
                seats: Some(1),
            },
            &["name"],
        )
        .unwrap();
        assert!(patch.field("name").is_none());
        assert_eq!(patch.field("seats"), Some(&Value::from(1)));
    }
}
