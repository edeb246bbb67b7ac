//! Two patterns every dashboard form shares: the redirect that tells the next page what was
//! done (`web::notice`), and the question asked before an action that cannot be undone,
//! answered by sending the same form again, confirmed. Neither needs a script.

use super::dashboard::{meeting_page, see_other, Tab};
pub use super::notice::Done;
use super::page::PageContext;
use crate::meetings::Meeting;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::html;
use std::collections::HashMap;

/// Redirects after a form (as [`see_other`]), telling the next page what was done.
pub fn done_at(location: &str, done: Done) -> HttpResponse {
    done_skipping(location, done, 0)
}

/// Redirects after a bulk action, telling what was done and how many were skipped. What an
/// earlier redirect told is replaced, the rest of the query kept.
pub fn done_skipping(location: &str, done: Done, skipped: u32) -> HttpResponse {
    let (path, query) = location.split_once('?').unwrap_or((location, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !pair.starts_with("done=") && !pair.starts_with("skipped="))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("done={}", done.key()));
    if skipped > 0 {
        pairs.push(format!("skipped={skipped}"));
    }
    see_other(&format!("{path}?{}", pairs.join("&")))
}

/// Whether the form was sent from its confirmation question.
pub fn confirmed(fields: &HashMap<String, String>) -> bool {
    fields.get("confirmed").is_some_and(|value| value == "yes")
}

/// The question before an action that cannot be undone.
pub struct Question<'a> {
    /// "Cancel the registration of María José Zúñiga?"
    pub question: String,
    /// What will happen, and that it cannot be undone.
    pub consequence: &'static str,
    /// The button that does it ("Cancel").
    pub yes: &'static str,
    /// Where the form goes: the action itself.
    pub action: String,
    /// Where "go back" leads.
    pub back: &'a str,
}

impl Question<'_> {
    /// The question as a page of the meeting's dashboard. The form carries the fields as they
    /// came (the CSRF token among them), and `confirmed=yes`.
    pub fn ask(
        self,
        ctx: &PageContext,
        meeting: &Meeting,
        tab: Tab,
        fields: &HashMap<String, String>,
    ) -> HttpResponse {
        let t = ctx.t();
        let mut kept: Vec<(&String, &String)> = fields
            .iter()
            .filter(|(name, _)| name.as_str() != "confirmed")
            .collect();
        kept.sort();
        meeting_page(
            ctx,
            meeting,
            tab,
            StatusCode::OK,
            html! {
                section.confirm {
                    h2 { (self.question) }
                    p { (self.consequence) }
                    form method="post" action=(self.action) {
                        @for (name, value) in kept { input type="hidden" name=(name) value=(value); }
                        input type="hidden" name="confirmed" value="yes";
                        button.danger type="submit" { (self.yes) }
                        " "
                        a.button.secondary href=(self.back) { (t.go_back) }
                    }
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_tells_one_thing_done_and_keeps_the_rest_of_its_query() {
        let response = done_at(
            "/organizer/m/x/registrations?status=confirmed&done=saved&q=ana",
            Done::Cancelled,
        );
        assert_eq!(
            response.headers().get("Location").unwrap(),
            "/organizer/m/x/registrations?status=confirmed&q=ana&done=cancelled"
        );
    }
}
