//! The HTML shell every page shares: language choice, layout, error pages, the stylesheet.

use crate::error::AppError;
use crate::i18n::{catalogue, Catalogue};
use crate::values::Language;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, Markup, DOCTYPE};

pub const STYLESHEET: &str = include_str!("../../static/convene.css");

/// What every page needs to know about its reader.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub lang: Language,
    /// The page's own path for the language switch: normalised, since it is echoed in links.
    pub path: String,
    /// Set when `?lang=` chose the language: remembered in a cookie.
    chosen: bool,
    /// Set when the reader chose the language here, now (`?lang=`) or before (the cookie): a
    /// choice [`PageContext::for_reader`] keeps.
    chosen_by_reader: bool,
    /// The organizer's name and CSRF token, on dashboard pages.
    pub organizer: Option<(String, String)>,
    /// What the dashboard form that led here did (`?done=`), told at the top of the page. Read
    /// on dashboard pages alone (`Dashboard`), so a crafted link cannot make a public page say
    /// that something was done.
    pub done: Option<super::notice::Notice>,
}

/// `?lang=`, then the `lang` cookie, then `Accept-Language`, then English.
pub fn language_of(req: &HttpRequest) -> (Language, bool) {
    let from_query = req
        .query_string()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(Language::from_code);
    if let Some(language) = from_query {
        return (language, true);
    }
    if let Some(language) = req
        .cookie("lang")
        .and_then(|c| Language::from_code(c.value()))
    {
        return (language, false);
    }
    let header = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (preferred(header).unwrap_or_default(), false)
}

/// The first of our languages in an `Accept-Language` header, by weight.
pub fn preferred(header: &str) -> Option<Language> {
    let mut best: Option<(Language, f32)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let weight = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(language) = Language::from_code(primary) {
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((language, weight));
            }
        }
    }
    best.map(|(language, _)| language)
}

impl PageContext {
    pub fn new(req: &HttpRequest) -> Self {
        let (lang, chosen) = language_of(req);
        let remembered = req
            .cookie("lang")
            .is_some_and(|c| Language::from_code(c.value()).is_some());
        Self {
            lang,
            chosen_by_reader: chosen || remembered,
            // An unusable path (`//host`, control characters) links to the home page instead.
            path: super::paths::local_path(req.path()).unwrap_or_else(|| "/".to_owned()),
            chosen,
            organizer: None,
            done: None,
        }
    }
    pub fn t(&self) -> &'static Catalogue {
        catalogue(self.lang)
    }

    /// The page in its reader's own language (a participant's, as they registered), unless
    /// they chose another on our pages (`?lang=`, remembered in the cookie): only the
    /// browser's `Accept-Language` gives way.
    pub fn for_reader(mut self, language: Language) -> Self {
        if !self.chosen_by_reader {
            self.lang = language;
        }
        self
    }
}

/// Wraps a page's content in the shared layout.
pub fn layout(ctx: &PageContext, title: &str, content: Markup) -> Markup {
    let t = ctx.t();
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Convene" }
                link rel="stylesheet" href="/static/convene.css";
            }
            body {
                a.skip href="#main" { (t.skip_to_content) }
                header.site {
                    div.bar {
                        a.brand href="/" { "Convene" }
                        nav aria-label=(t.language_label) {
                            ul.langs {
                                @for language in Language::ALL {
                                    li {
                                        @let name = catalogue(language).lang_name;
                                        @if language == ctx.lang {
                                            a href={ (ctx.path) "?lang=" (language.as_str()) } aria-current="true" lang=(language.as_str()) { (name) }
                                        } @else {
                                            a href={ (ctx.path) "?lang=" (language.as_str()) } lang=(language.as_str()) hreflang=(language.as_str()) { (name) }
                                        }
                                    }
                                }
                                @if let Some((name, csrf)) = &ctx.organizer {
                                    li { a href="/organizer" { (name) } }
                                    li {
                                        form.inline method="post" action="/organizer/logout" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.small.secondary type="submit" { (t.logout) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    @if let Some(notice) = ctx.done {
                        p.notice.ok[!notice.warns()].warn[notice.warns()] role="status" {
                            (notice.done.message(t))
                            @if notice.skipped > 0 {
                                " " (crate::i18n::counted(notice.skipped, t.done_skipped))
                            }
                        }
                    }
                    (content)
                }
                footer.site { p { "Convene" } }
            }
        }
    }
}

/// An HTML response, remembering a language chosen with `?lang=`.
pub fn respond(ctx: &PageContext, status: StatusCode, markup: Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    if ctx.chosen {
        response.cookie(language_cookie(ctx));
    }
    response.body(markup.into_string())
}

/// A reader who picked a language with `?lang=` keeps it.
fn language_cookie(ctx: &PageContext) -> Cookie<'static> {
    Cookie::build("lang", ctx.lang.as_str())
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// `response` (built elsewhere, such as from the render cache) with the language cookie when
/// the reader just picked one.
pub fn with_language_cookie(ctx: &PageContext, mut response: HttpResponse) -> HttpResponse {
    if ctx.chosen {
        let _ = response.add_cookie(&language_cookie(ctx));
    }
    response
}

pub fn ok(ctx: &PageContext, title: &str, content: Markup) -> HttpResponse {
    respond(ctx, StatusCode::OK, layout(ctx, title, content))
}

/// A link that does not (or no longer) work: said calmly, with the way back.
pub fn link_not_working(ctx: &PageContext, message: &str) -> HttpResponse {
    let t = ctx.t();
    respond(
        ctx,
        StatusCode::NOT_FOUND,
        layout(
            ctx,
            t.link_heading,
            html! {
                h1 { (t.link_heading) }
                p { (message) }
                p { a href="/" { (t.back_home) } }
            },
        ),
    )
}

/// A page that failed: answered as the error page, in the reader's language, with the
/// status the error maps to. Page handlers return [`PageResult`] and reach it with `?` through
/// [`OnPage::on_page`]; this is the one way a page answers an error.
pub struct PageError(Box<(PageContext, AppError)>);

/// The error alone: the context holds the organizer's CSRF token.
impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PageError").field(&self.0 .1).finish()
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

impl PageError {
    pub fn new(ctx: &PageContext, error: AppError) -> Self {
        Self(Box::new((ctx.clone(), error)))
    }
}

/// Turns a domain result into a page result for this reader.
pub trait OnPage<T> {
    fn on_page(self, ctx: &PageContext) -> Result<T, PageError>;
}

impl<T> OnPage<T> for Result<T, AppError> {
    fn on_page(self, ctx: &PageContext) -> Result<T, PageError> {
        self.map_err(|error| PageError::new(ctx, error))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0 .1.fmt(f)
    }
}

impl actix_web::ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        actix_web::ResponseError::status_code(&self.0 .1)
    }

    fn error_response(&self) -> HttpResponse {
        let (ctx, error) = (&self.0 .0, &self.0 .1);
        let t = ctx.t();
        error.log_if_unexpected();
        let (heading, body) = match error {
            AppError::NotFound => (t.not_found_heading, t.not_found_body),
            AppError::RateLimited { .. } => (t.too_many_heading, t.too_many_body),
            AppError::Forbidden | AppError::Unauthenticated => (t.error_heading, t.forbidden_body),
            _ => (t.error_heading, t.error_body),
        };
        let markup = layout(
            ctx,
            heading,
            html! {
                h1 { (heading) }
                p { (body) }
                p { a href="/" { (t.back_home) } }
            },
        );
        let mut response = respond(ctx, error.status_code(), markup);
        if let Some((name, value)) = error.header() {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The message for a field error, in the reader's language.
pub fn field_message(t: &Catalogue, field: &str, code: &str) -> &'static str {
    match (field, code) {
        ("consent_data_processing", _) => t.error_consent,
        (_, "checked_in") => t.error_locked_after_check_in,
        ("organization", "required") => t.error_choose_organization,
        ("category", _) => t.error_choose_category,
        ("email" | "contact_email", "invalid") => t.error_email,
        ("slug", "invalid") => t.error_slug,
        ("country" | "organization_country", "invalid") => t.error_country,
        ("timezone", "invalid") => t.error_timezone,
        ("language", "invalid") => t.error_language,
        ("password", "too_short") => t.error_password_short,
        (
            "starts_at"
            | "ends_at"
            | "registration_opens_at"
            | "registration_closes_at"
            | "expires_at",
            "invalid",
        ) => t.error_date_time,
        (
            "capacity"
            | "room_capacity"
            | "per_organization_limit"
            | "approval_threshold"
            | "invitation_reminder_days",
            _,
        ) => t.error_whole_number,
        ("room_id", _) => t.error_room,
        ("speakers", "too_many") => t.error_too_many_speakers,
        (_, "before_start") => t.error_before_start,
        (_, "before_open") => t.error_before_open,
        (_, "outside_meeting") => t.error_outside_meeting,
        (_, "after_end") => t.error_after_end,
        (_, "in_the_past") => t.error_in_the_past,
        (_, "too_far") => t.error_too_far,
        (_, "required") => t.error_required,
        (_, "too_long") => t.error_too_long,
        (_, "symbols") => t.error_symbols,
        (_, "invisible_characters") => t.error_invisible,
        _ => t.error_invalid,
    }
}

pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    let mut response = super::cached(
        &req,
        "text/css; charset=utf-8",
        STYLESHEET.as_bytes().to_vec(),
    );
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("public, max-age=3600"),
    );
    super::guards::public_read(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_by_weight() {
        assert_eq!(preferred("es-MX,es;q=0.9,en;q=0.8"), Some(Language::Es));
        assert_eq!(preferred("fr-FR, en;q=0.5, es;q=0.7"), Some(Language::Es));
        assert_eq!(preferred("de, fr"), None);
        assert_eq!(preferred("en-GB"), Some(Language::En));
        assert_eq!(preferred("es;q=0"), None);
    }
}
