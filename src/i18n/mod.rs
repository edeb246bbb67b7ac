//! The text Convene shows people, one catalogue per language. Both catalogues are values of one
//! struct, so a text missing in either language does not compile.

pub mod countries;
mod en;
mod es;

pub use en::EN;
pub use es::ES;

use crate::values::Language;
use chrono::{Datelike, Timelike};

#[derive(serde::Serialize)]
pub struct Catalogue {
    pub months: [&'static str; 12],
    /// "{day} {month} {year}, {time}"
    pub date_time: &'static str,
    /// Monday first, as chrono numbers them.
    pub weekdays: [&'static str; 7],
    pub day_heading: &'static str,
    pub greeting: &'static str,
    pub greeting_unnamed: &'static str,
    pub new_link_subject: &'static str,
    pub new_link_body: &'static str,
    pub sign_out_heading: &'static str,
    pub sign_out_explain: &'static str,
    pub sign_out_button: &'static str,
    pub signed_out_done: &'static str,
    pub link_used: &'static str,
    pub link_heading: &'static str,
    pub confirm_page_heading: &'static str,
    pub confirm_page_body: &'static str,
    pub link_emailed: &'static str,
    pub signature: &'static str,
    pub manage_intro: &'static str,
    pub manage_link: &'static str,
    pub when: &'static str,
    pub where_: &'static str,

    pub confirm_subject: &'static str,
    pub confirm_body: &'static str,
    pub confirm_button: &'static str,
    pub confirm_ignore: &'static str,

    pub already_subject: &'static str,
    pub already_body: &'static str,

    pub confirmed_subject: &'static str,
    pub confirmed_body: &'static str,
    pub calendar_attached: &'static str,

    pub waitlisted_subject: &'static str,
    pub waitlisted_body: &'static str,

    pub promoted_subject: &'static str,
    pub promoted_body: &'static str,

    pub awaiting_subject: &'static str,
    pub awaiting_body: &'static str,

    pub approved_subject: &'static str,
    pub approved_body: &'static str,

    pub rejected_subject: &'static str,
    pub rejected_body: &'static str,

    pub cancelled_subject: &'static str,
    pub cancelled_body: &'static str,

    pub agenda_subject: &'static str,
    pub agenda_body: &'static str,
    pub agenda_cancelled: &'static str,
    pub agenda_calendar: &'static str,

    // Pages
    pub lang_name: &'static str,
    pub skip_to_content: &'static str,
    pub done_saved: &'static str,
    pub done_added: &'static str,
    pub done_deleted: &'static str,
    pub done_created: &'static str,
    pub done_approved: &'static str,
    pub done_rejected: &'static str,
    pub done_checked_in: &'static str,
    pub done_cancelled: &'static str,
    pub done_revoked: &'static str,
    pub go_back: &'static str,
    pub required_note: &'static str,
    pub approval_ahead: &'static str,
    pub this_field: &'static str,
    pub waitlist_hint: &'static str,
    pub waiting_since: &'static str,
    pub remove_from_waitlist: &'static str,
    pub leave_waitlist_consequence: &'static str,
    pub cancel_pending_consequence: &'static str,
    pub press_use_page: &'static str,
    pub press_use_list: &'static str,
    pub press_use_file: &'static str,
    pub confirm_cancel_registration: &'static str,
    pub cancel_registration_consequence: &'static str,
    pub confirm_reject_registration: &'static str,
    pub reject_registration_consequence: &'static str,
    pub confirm_delete_session: &'static str,
    pub delete_session_consequence: &'static str,
    pub confirm_revoke_link: &'static str,
    pub revoke_link_consequence: &'static str,
    pub language_label: &'static str,
    pub meetings_heading: &'static str,
    pub no_meetings: &'static str,
    pub more_and_register: &'static str,
    pub seats_left: [&'static str; 2],
    pub waitlist_only: &'static str,
    pub registration_open_until: &'static str,
    pub registration_open: &'static str,
    pub registration_closed: &'static str,
    pub register_cta: &'static str,
    pub programme: &'static str,
    pub no_sessions: &'static str,
    pub add_to_calendar: &'static str,
    pub interpretation_mark: &'static str,
    pub no_room: &'static str,
    pub session_language_en: &'static str,
    pub session_language_es: &'static str,
    pub session_language_both: &'static str,
    pub role_speaker: &'static str,
    pub role_moderator: &'static str,
    pub role_rapporteur: &'static str,
    pub kind_plenary: &'static str,
    pub kind_panel: &'static str,
    pub kind_workshop: &'static str,
    pub kind_break: &'static str,
    pub kind_networking: &'static str,
    pub kind_other: &'static str,
    pub org_information_hub: &'static str,
    pub org_un_agency: &'static str,
    pub org_civil_society: &'static str,
    pub org_government: &'static str,
    pub org_academia: &'static str,
    pub org_donor: &'static str,
    pub org_media: &'static str,
    pub org_other: &'static str,
    pub register_heading: &'static str,
    pub about_you: &'static str,
    pub full_name: &'static str,
    pub email: &'static str,
    pub email_hint: &'static str,
    pub job_title: &'static str,
    pub country: &'static str,
    pub email_language: &'static str,
    pub organization: &'static str,
    pub organization_pick: &'static str,
    pub organization_other: &'static str,
    pub organization_name: &'static str,
    pub organization_kind: &'static str,
    pub organization_country: &'static str,
    pub needs: &'static str,
    pub needs_hint: &'static str,
    pub dietary: &'static str,
    pub accessibility: &'static str,
    pub interpretation: &'static str,
    pub consents: &'static str,
    pub consent_data: &'static str,
    pub consent_press: &'static str,
    pub choose: &'static str,
    pub optional: &'static str,
    pub submit_registration: &'static str,
    pub errors_summary: &'static str,
    pub error_required: &'static str,
    pub error_invalid: &'static str,
    pub error_too_long: &'static str,
    pub error_symbols: &'static str,
    pub error_invisible: &'static str,
    pub error_email: &'static str,
    pub error_consent: &'static str,
    pub error_slug: &'static str,
    pub error_slug_taken: &'static str,
    pub error_country: &'static str,
    pub error_timezone: &'static str,
    pub error_language: &'static str,
    pub error_password_short: &'static str,
    pub error_date_time: &'static str,
    pub error_whole_number: &'static str,
    pub error_room: &'static str,
    pub error_too_many_speakers: &'static str,
    pub error_before_start: &'static str,
    pub error_before_open: &'static str,
    pub error_outside_meeting: &'static str,
    pub error_after_end: &'static str,
    pub error_in_the_past: &'static str,
    pub error_too_far: &'static str,
    pub slug_hint: &'static str,
    pub title_hint: &'static str,
    pub title_es_hint: &'static str,
    pub title_en_hint: &'static str,
    pub check_inbox_heading: &'static str,
    pub check_inbox_body: &'static str,
    pub confirmed_heading: &'static str,
    pub waitlisted_heading: &'static str,
    pub waitlist_position: &'static str,
    pub awaiting_heading: &'static str,
    pub awaiting_page_body: &'static str,
    pub link_invalid: &'static str,
    pub see_registration: &'static str,
    pub your_registration: &'static str,
    pub status_label: &'static str,
    pub status_pending_email: &'static str,
    pub status_pending_approval: &'static str,
    pub status_confirmed: &'static str,
    pub status_waitlisted: &'static str,
    pub status_rejected: &'static str,
    pub status_cancelled: &'static str,
    pub status_expired: &'static str,
    /// How the organizer reads `pending_email` (the participant reads `status_pending_email`).
    pub status_unconfirmed_address: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub language_name_en: &'static str,
    pub language_name_es: &'static str,
    pub your_details: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub press_list: &'static str,
    pub press_on: &'static str,
    pub press_off: &'static str,
    pub press_give: &'static str,
    pub press_withdraw: &'static str,
    pub calendar_download: &'static str,
    pub cancel_heading: &'static str,
    pub cancel_button: &'static str,
    pub cancel_question: &'static str,
    pub cancel_yes: &'static str,
    pub cancel_no: &'static str,
    pub cancelled_done: &'static str,
    pub press_heading: &'static str,
    pub press_meeting_label: &'static str,
    pub press_meeting_size: &'static str,
    pub press_meeting_people: &'static str,
    pub press_listed_label: &'static str,
    pub press_counts: &'static str,
    pub press_note: &'static str,
    pub download_csv: &'static str,
    pub download_xlsx: &'static str,
    pub by_kind: &'static str,
    pub by_country: &'static str,
    pub by_status: &'static str,
    pub not_found_heading: &'static str,
    pub not_found_body: &'static str,
    pub error_heading: &'static str,
    pub error_body: &'static str,
    pub too_many_heading: &'static str,
    pub too_many_body: &'static str,
    pub forbidden_body: &'static str,
    pub back_home: &'static str,
    pub organizers: &'static str,
    pub login_heading: &'static str,
    pub password: &'static str,
    pub login_button: &'static str,
    pub login_failed: &'static str,
    pub logout: &'static str,
    pub session_expired: &'static str,
    pub your_meetings: &'static str,
    pub new_meeting: &'static str,
    pub edit_meeting: &'static str,
    pub summary: &'static str,
    pub registrations: &'static str,
    pub waiting_list: &'static str,
    pub press: &'static str,
    pub exports: &'static str,
    pub search: &'static str,
    pub all: &'static str,
    pub filter: &'static str,
    pub next_page: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub check_in: &'static str,
    pub cancel: &'static str,
    pub checked_in: &'static str,
    pub name: &'static str,
    pub position: &'static str,
    pub rooms: &'static str,
    pub room: &'static str,
    pub capacity: &'static str,
    pub add_room: &'static str,
    pub add_session: &'static str,
    pub title: &'static str,
    pub title_es: &'static str,
    pub title_en: &'static str,
    pub description: &'static str,
    pub description_es: &'static str,
    pub description_en: &'static str,
    pub starts: &'static str,
    pub ends: &'static str,
    pub kind: &'static str,
    pub session_language: &'static str,
    pub with_interpretation: &'static str,
    pub speakers_field: &'static str,
    pub delete: &'static str,
    pub edit: &'static str,
    pub edit_session: &'static str,
    pub linked_speakers_kept: &'static str,
    pub linked_speaker_public_hint: &'static str,
    pub create: &'static str,
    pub label: &'static str,
    pub expires: &'static str,
    pub create_press_link: &'static str,
    pub press_link_once: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub uses: &'static str,
    pub usage_log: &'static str,
    pub format: &'static str,
    pub when_label: &'static str,
    pub slug: &'static str,
    pub venue: &'static str,
    pub city: &'static str,
    pub meeting_country: &'static str,
    pub timezone: &'static str,
    pub local_times_hint: &'static str,
    pub registration_opens: &'static str,
    pub registration_closes: &'static str,
    pub per_organization_limit: &'static str,
    pub requires_approval: &'static str,
    pub meeting_status: &'static str,
    pub meeting_draft: &'static str,
    pub meeting_published: &'static str,
    pub meeting_closed: &'static str,
    pub meeting_cancelled: &'static str,
    pub no_limit_hint: &'static str,
    pub approval_threshold: &'static str,
    pub approval_threshold_hint: &'static str,
    pub honeypot_label: &'static str,
    pub emails_pending: &'static str,
    pub emails_dead: &'static str,
    pub empty_list: &'static str,
    pub delete_heading: &'static str,
    pub delete_button: &'static str,
    pub delete_question: &'static str,
    pub delete_yes: &'static str,
    pub deleted_done: &'static str,
    pub accredited_subject: &'static str,
    pub accredited_body: &'static str,
    pub accredited_button: &'static str,
    pub invited_as: &'static str,
    pub invited_address: &'static str,
    pub invitation_revoked: &'static str,
    pub invitation_used: &'static str,
    pub invitation_already_registered: &'static str,
    pub invitation_closed: &'static str,
    pub invitation_subject: &'static str,
    pub invitation_body: &'static str,
    pub invitation_reminder_subject: &'static str,
    pub invitation_reminder_body: &'static str,
    pub invitation_button: &'static str,
    pub invitation_reminder_days: &'static str,
    pub invitation_reminder_hint: &'static str,
    pub answers_heading: &'static str,
    pub questions_legend: &'static str,
    pub question_only_for: &'static str,
    pub category_label: &'static str,
    pub category_approved_by_hand: &'static str,
    pub error_choose_category: &'static str,
    pub done_none_applied: &'static str,
    pub meeting_is_cancelled: &'static str,
    pub confirm_cancel_meeting: &'static str,
    pub cancel_meeting_consequence: &'static str,
    pub cancel_meeting_yes: &'static str,
    pub nobody_listed_yet: &'static str,
    pub participants_counted: [&'static str; 2],
    pub organizations_counted: [&'static str; 2],
    pub countries_counted: [&'static str; 2],
    pub agreed_counted: [&'static str; 2],
    pub through_the_day: &'static str,
    pub next_day: &'static str,
    pub no_email_yet: &'static str,
    pub resend_button: &'static str,
    pub resend_heading: &'static str,
    pub resend_explain: &'static str,
    pub resend_done: &'static str,
    pub lost_link: &'static str,
    pub time_in_city: &'static str,
    pub city_hint: &'static str,
    pub city_es: &'static str,
    pub city_en: &'static str,
    pub organization_pick_hint: &'static str,
    pub organization_other_legend: &'static str,
    pub error_choose_organization: &'static str,
    pub register_again: &'static str,
    pub street_address: &'static str,
    pub street_address_hint: &'static str,
    pub contact_email: &'static str,
    pub contact_email_hint: &'static str,
    pub open_map: &'static str,
    pub contact_line: &'static str,
    pub contact_label: &'static str,
    pub done_promoted: &'static str,
    pub done_nothing_selected: &'static str,
    pub done_skipped: [&'static str; 2],
    pub registrations_found: &'static str,
    pub registrations_found_more: &'static str,
    pub printable_list: &'static str,
    pub select_label: &'static str,
    pub select_person: &'static str,
    pub bulk_label: &'static str,
    pub bulk_apply: &'static str,
    pub promote: &'static str,
    pub confirm_promote: &'static str,
    pub promote_consequence: &'static str,
    pub promote_full_consequence: &'static str,
    pub confirm_bulk_approve: [&'static str; 2],
    pub confirm_bulk_check_in: [&'static str; 2],
    pub confirm_bulk_cancel: [&'static str; 2],
    pub bulk_approve_consequence: &'static str,
    pub bulk_check_in_consequence: &'static str,
    pub bulk_cancel_consequence: &'static str,
    pub order_label: &'static str,
    pub order_oldest: &'static str,
    pub order_newest: &'static str,
    pub order_name: &'static str,
    pub print_hint: &'static str,
    pub printed_first: &'static str,
    pub signature_column: &'static str,
    pub all_registrations: &'static str,
    pub history: &'static str,
    pub history_registered: &'static str,
    pub history_updated: &'static str,
    pub history_signed_out: &'static str,
    pub history_seat_added: &'static str,
    pub by_organizer: &'static str,
    pub by_participant: &'static str,
    pub by_system: &'static str,
    pub consent_press_short: &'static str,
    pub registered_at: &'static str,
    pub confirmed_at: &'static str,
}

pub fn catalogue(language: Language) -> &'static Catalogue {
    match language {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

impl Catalogue {
    /// An organisation kind's name.
    pub fn kind_of_organization(&self, kind: &str) -> &'static str {
        match kind {
            "information_hub" => self.org_information_hub,
            "un_agency" => self.org_un_agency,
            "civil_society" => self.org_civil_society,
            "government" => self.org_government,
            "academia" => self.org_academia,
            "donor" => self.org_donor,
            "media" => self.org_media,
            _ => self.org_other,
        }
    }

    /// A registration's status as its participant reads it.
    pub fn status(&self, status: &str) -> &'static str {
        match status {
            "pending_email" => self.status_pending_email,
            "pending_approval" => self.status_pending_approval,
            "confirmed" => self.status_confirmed,
            "waitlisted" => self.status_waitlisted,
            "rejected" => self.status_rejected,
            "cancelled" => self.status_cancelled,
            _ => self.status_expired,
        }
    }

    /// A registration's status as the organizer reads it: about the participant, not to them.
    pub fn status_for_organizer(&self, status: &str) -> &'static str {
        match status {
            "pending_email" => self.status_unconfirmed_address,
            other => self.status(other),
        }
    }

    /// A speaker's role ("speaker", "moderator", "rapporteur") in words.
    pub fn speaker_role(&self, role: &str) -> &'static str {
        match role {
            "moderator" => self.role_moderator,
            "rapporteur" => self.role_rapporteur,
            _ => self.role_speaker,
        }
    }

    pub fn yes_no(&self, value: bool) -> &'static str {
        if value {
            self.yes
        } else {
            self.no
        }
    }

    /// A language's name, for the codes Convene speaks.
    pub fn language_name(&self, code: &str) -> &'static str {
        match code {
            "es" => self.language_name_es,
            _ => self.language_name_en,
        }
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// A local date and time written the way a reader of that language expects.
pub fn date_time<T: Datelike + Timelike>(at: &T, language: Language) -> String {
    let texts = catalogue(language);
    fill(
        texts.date_time,
        &[
            ("day", &at.day().to_string()),
            ("month", texts.months[at.month0() as usize]),
            ("year", &at.year().to_string()),
            ("time", &format!("{:02}:{:02}", at.hour(), at.minute())),
        ],
    )
}

/// A count with its noun or sentence in the right number: `forms` is the text for one, then for
/// any other count ("1 participant", "24 participants"), each with `{n}`. Singular is exactly
/// one in both languages.
pub fn counted(n: impl Into<i64>, forms: [&str; 2]) -> String {
    let n = n.into();
    fill(forms[usize::from(n != 1)], &[("n", &n.to_string())])
}

/// A day as a heading reads it: "Wednesday 29 May 2030", "Miércoles 29 de mayo de 2030" (a
/// heading starts with a capital, though Spanish writes weekdays in lower case).
pub fn day_heading(day: chrono::NaiveDate, language: Language) -> String {
    let texts = catalogue(language);
    let heading = fill(
        texts.day_heading,
        &[
            (
                "weekday",
                texts.weekdays[day.weekday().num_days_from_monday() as usize],
            ),
            ("day", &day.day().to_string()),
            ("month", texts.months[day.month0() as usize]),
            ("year", &day.year().to_string()),
        ],
    );
    let mut letters = heading.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => heading,
    }
}

#[cfg(test)]
mod tests;
