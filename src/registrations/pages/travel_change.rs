//! The participant's change of their travel from their page: the form sits in the page's
//! travel section ([`super::travel`]), and the page comes back as [`super::manage`] draws it.

use crate::db::now;
use crate::error::AppError;
use crate::travel::own::{replace_own, Blanks};
use crate::web::forms::FormState;
use crate::web::page::{OnPage, PageError, PageResult};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest};

/// The participant's change of their travel, from the manage page. A blank passport number
/// or date of birth keeps the one given, since the page never shows them.
pub(super) async fn save_travel(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    fields: super::Fields,
) -> PageResult {
    let token = token.into_inner();
    let (ctx, found) = super::manage::managed(&state, &req, token.clone()).await;
    let (id, _, meeting, ..) = found.on_page(&ctx)?;
    let values = fields.into_inner();
    let form = super::travel::from_form(&values, &meeting).ok_or(AppError::NotFound);
    let sealer = state.sealer.clone();
    let result = match form {
        Ok(form) => {
            state
                .write(move |conn| replace_own(conn, &id, form, Blanks::KeepSealed, &sealer, now()))
                .await
        }
        Err(error) => Err(error),
    };
    let t = ctx.t();
    match result {
        Ok(()) => {
            super::manage::redisplay(&state, &ctx, token, None, Some(t.travel.form.saved)).await
        }
        Err(AppError::Invalid(errors)) => {
            let errors = super::form_errors(&values, errors);
            let sent = FormState::new(values).with_errors(&errors, t, super::input_name);
            super::manage::redisplay(&state, &ctx, token, Some(&sent), None).await
        }
        Err(error) => Err(PageError::new(&ctx, error)),
    }
}
