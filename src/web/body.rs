//! The JSON body of a request, read so that every problem names its field: a wrong type or an
//! unknown field answers 422 with the field's path, an oversized body 413, one that arrives too
//! slowly 408.

use crate::error::{field_error, AppError, FieldError};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// Like `web::Json`, with errors in our shape.
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Body<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|error| {
                if error.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AppError::PayloadTooLarge
                } else if error
                    .as_error::<actix_web::error::PayloadError>()
                    .is_some_and(super::guards::timed_out)
                {
                    AppError::RequestTimeout
                } else {
                    AppError::Invalid(vec![FieldError {
                        field: None,
                        code: "malformed",
                        message: "the body could not be read".into(),
                        session: None,
                    }])
                }
            })?;
            if !is_json {
                return Err(AppError::Invalid(vec![FieldError {
                    field: None,
                    code: "malformed",
                    message: "send JSON with Content-Type: application/json".into(),
                    session: None,
                }]));
            }
            let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
            let mut json: serde_json::Value =
                serde_path_to_error::deserialize(&mut deserializer).map_err(field_error)?;
            integral_numbers_as_integers(&mut json);
            let value = serde_path_to_error::deserialize(json).map_err(field_error)?;
            Ok(Body(value))
        })
    }
}

/// JSON has one number type: `152.0` and `152` are the same value (and the same to JSON Schema),
/// so a whole number written with a fraction is read as the integer it is.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64() {
                // 2^63 is exact as an f64; below it every whole float fits an i64.
                if float.fract() == 0.0 && float.abs() < 9_223_372_036_854_775_808.0 {
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        let mut value =
            json!({"capacity": 152.0, "nested": [{"position": -3.0}], "ratio": 0.5, "huge": 1e300});
        integral_numbers_as_integers(&mut value);
        assert_eq!(
            value,
            json!({"capacity": 152, "nested": [{"position": -3}], "ratio": 0.5, "huge": 1e300})
        );
        assert!(value["capacity"].is_i64());
    }
}
