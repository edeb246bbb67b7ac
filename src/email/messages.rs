//! What each email says, in the participant's language: plain text, HTML and, where a date is
//! involved, an `.ics` file.

use super::outbox::ParticipantMail;
use crate::agenda::calendar;
use crate::agenda::model::SessionSnapshot;
use crate::agenda::store::AgendaItem;
use crate::i18n::{catalogue, date_time, fill, Catalogue};
use crate::meetings::Meeting;
use crate::values::Language;
use anyhow::Context;
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use maud::{html, DOCTYPE};

/// Who an email is for and what its links are.
pub struct Recipient<'a> {
    pub full_name: &'a str,
    pub email: &'a str,
    pub language: Language,
    pub confirm_link: Option<String>,
    /// A participant's own page; none for someone not registered (an invited person).
    pub manage_link: Option<String>,
    /// An accredited journalist's press page.
    pub press_link: Option<String>,
    /// An invitation's link and the name of the category it registers into; or a focal
    /// point's page and their organisation's name.
    pub invitation: Option<(String, String)>,
    /// A confirmed participant's check-in code, shown as a QR code in the emails that seat them.
    pub checkin_code: Option<String>,
}

pub struct Rendered {
    pub attachment_name: &'static str,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub action: Option<(String, String)>,
    pub ics: Option<String>,
    /// The check-in code to show, as text and as an inline QR image.
    pub checkin_code: Option<String>,
}

/// The inline QR image's Content-ID, which the HTML names as `cid:`.
const QR_CONTENT_ID: &str = "checkin-code";

/// Drops line breaks and other control characters: nothing typed may start a new header line.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The longest name an email repeats: a name is typed by whoever registers, and an email from
/// the organizer must not carry a stranger's message.
const MAX_NAME_IN_EMAIL: usize = 60;

/// The name an email may address its recipient by. None before the address is proven: anyone
/// can register any address, so the email asking to confirm it names nobody.
pub fn display_name(mail: &ParticipantMail, full_name: &str) -> Option<String> {
    if matches!(mail, ParticipantMail::ConfirmAddress) {
        return None;
    }
    let name = one_line(full_name);
    let name = name.trim();
    Some(match name.char_indices().nth(MAX_NAME_IN_EMAIL) {
        Some((cut, _)) => format!("{}…", name[..cut].trim_end()),
        None => name.to_owned(),
    })
}

/// A session's time and place, in the meeting's zone: "29 May 2030, 09:00–10:30, Sala A".
fn slot(snapshot: &SessionSnapshot, meeting: &Meeting, language: Language) -> String {
    let end = meeting.local(snapshot.ends_at);
    let mut text = format!(
        "{}–{}",
        date_time(&meeting.local(snapshot.starts_at), language),
        end.format("%H:%M")
    );
    if let Some(room) = &snapshot.room {
        text.push_str(&format!(", {room}"));
    }
    text
}

fn change_lines(
    mail: &ParticipantMail,
    meeting: &Meeting,
    language: Language,
    t: &Catalogue,
) -> Vec<String> {
    let ParticipantMail::AgendaChanged { changes } = mail else {
        return Vec::new();
    };
    changes
        .iter()
        .map(|change| {
            let title = change.before.title_in(language);
            let before = slot(&change.before, meeting, language);
            match &change.after {
                Some(after) => format!("• {title}: {before} → {}", slot(after, meeting, language)),
                None => format!("• {title} ({before}): {}", t.agenda_cancelled),
            }
        })
        .collect()
}

/// The meeting's dates in its own zone, and its venue, address and city when it has them.
fn when_and_where(meeting: &Meeting, language: Language, t: &Catalogue) -> Vec<String> {
    let place = meeting.place(language);
    let mut lines = vec![format!(
        "{}: {} – {} ({})",
        t.when,
        date_time(&meeting.local(meeting.starts_at), language),
        date_time(&meeting.local(meeting.ends_at), language),
        meeting.zone_in(language)
    )];
    if !place.is_empty() {
        lines.push(format!("{}: {place}", t.where_));
    }
    lines
}

/// An email's subject, its main paragraph, and its calendar file when it has one.
fn subject_and_body(
    mail: &ParticipantMail,
    meeting: &Meeting,
    agenda: &[AgendaItem],
    to: &Recipient<'_>,
    host: &str,
) -> (&'static str, String, Option<String>) {
    let language = to.language;
    let t = catalogue(language);
    let title = meeting.title_in(language);
    let with_meeting = |template: &str| fill(template, &[("meeting", &title)]);
    let ics = || Some(calendar::participant_ics(meeting, agenda, language, host));
    match mail {
        ParticipantMail::ConfirmAddress => (t.confirm_subject, with_meeting(t.confirm_body), None),
        ParticipantMail::AlreadyRegistered => {
            (t.already_subject, with_meeting(t.already_body), None)
        }
        ParticipantMail::Confirmed => (t.confirmed_subject, with_meeting(t.confirmed_body), ics()),
        ParticipantMail::Waitlisted { position } => (
            t.waitlisted_subject,
            fill(
                t.waitlisted_body,
                &[("meeting", &title), ("position", &position.to_string())],
            ),
            None,
        ),
        ParticipantMail::Promoted => (t.promoted_subject, with_meeting(t.promoted_body), ics()),
        ParticipantMail::AwaitingApproval => {
            (t.awaiting_subject, with_meeting(t.awaiting_body), None)
        }
        ParticipantMail::Approved => (t.approved_subject, with_meeting(t.approved_body), ics()),
        ParticipantMail::Rejected => (t.rejected_subject, with_meeting(t.rejected_body), None),
        ParticipantMail::Cancelled => (t.cancelled_subject, with_meeting(t.cancelled_body), None),
        ParticipantMail::AgendaChanged { .. } => {
            (t.agenda_subject, with_meeting(t.agenda_body), ics())
        }
        ParticipantMail::NewLink => (t.new_link_subject, with_meeting(t.new_link_body), None),
        ParticipantMail::PressAccredited => {
            (t.accredited_subject, with_meeting(t.accredited_body), None)
        }
        ParticipantMail::Invited { reminder, .. } => {
            let category = to.invitation.as_ref().map_or("", |(_, name)| name.as_str());
            let body = fill(
                if *reminder {
                    t.invitation_reminder_body
                } else {
                    t.invitation_body
                },
                &[
                    ("meeting", &title),
                    ("category", category),
                    ("email", to.email),
                ],
            );
            let subject = match reminder {
                true => t.invitation_reminder_subject,
                false => t.invitation_subject,
            };
            (subject, body, None)
        }
        ParticipantMail::Travel { news } => {
            let (subject, paragraphs) = news.told(&title, t.travel);
            (subject, paragraphs.join("\n\n"), None)
        }
        ParticipantMail::FocalPoint { .. } => {
            let organization = to.invitation.as_ref().map_or("", |(_, name)| name.as_str());
            let body = fill(
                t.focal_point_body,
                &[("meeting", &title), ("organization", organization)],
            );
            (t.focal_point_subject, body, None)
        }
    }
}

pub fn render(
    mail: &ParticipantMail,
    meeting: &Meeting,
    agenda: &[AgendaItem],
    to: &Recipient<'_>,
    host: &str,
) -> Rendered {
    let language = to.language;
    let t = catalogue(language);
    let title = meeting.title_in(language);
    let with_meeting = |template: &str| fill(template, &[("meeting", &title)]);
    let (subject, body, ics) = subject_and_body(mail, meeting, agenda, to, host);
    let greeting = match display_name(mail, to.full_name) {
        Some(name) => fill(t.greeting, &[("name", &name)]),
        None => t.greeting_unnamed.to_owned(),
    };
    let mut paragraphs = vec![greeting, body];
    paragraphs.extend(change_lines(mail, meeting, language, t));
    let action = match (mail, &to.confirm_link, &to.press_link) {
        (ParticipantMail::ConfirmAddress, Some(link), _) => {
            Some((t.confirm_button.to_owned(), link.clone()))
        }
        (ParticipantMail::PressAccredited, _, Some(link)) => {
            Some((t.accredited_button.to_owned(), link.clone()))
        }
        (ParticipantMail::Invited { .. }, _, _) => to
            .invitation
            .as_ref()
            .map(|(link, _)| (t.invitation_button.to_owned(), link.clone())),
        (ParticipantMail::FocalPoint { .. }, _, _) => to
            .invitation
            .as_ref()
            .map(|(link, _)| (t.focal_point_button.to_owned(), link.clone())),
        (
            ParticipantMail::Travel {
                news: crate::travel::TravelNews::LetterIssued,
            },
            _,
            _,
        ) => to.manage_link.as_ref().map(|page| {
            let letter = format!("{page}/visa-letter.pdf");
            (t.travel.form.download_letter.to_owned(), letter)
        }),
        _ => None,
    };
    paragraphs.extend(when_and_where(meeting, language, t));
    match (&ics, mail) {
        (Some(_), ParticipantMail::AgendaChanged { .. }) => {
            paragraphs.push(t.agenda_calendar.to_owned())
        }
        (Some(_), _) => paragraphs.push(t.calendar_attached.to_owned()),
        (None, _) => {}
    }
    if matches!(mail, ParticipantMail::ConfirmAddress) {
        paragraphs.push(t.confirm_ignore.to_owned());
    }
    Rendered {
        attachment_name: match mail {
            ParticipantMail::AgendaChanged { .. } => "agenda.ics",
            _ => "invite.ics",
        },
        subject: one_line(&with_meeting(subject)),
        paragraphs,
        action,
        ics,
        checkin_code: match mail {
            ParticipantMail::Confirmed | ParticipantMail::Promoted | ParticipantMail::Approved => {
                to.checkin_code.clone()
            }
            _ => None,
        },
    }
}

impl Rendered {
    pub fn text(&self, to: &Recipient<'_>, meeting: &Meeting) -> String {
        let t = catalogue(to.language);
        let mut text = String::new();
        for (i, paragraph) in self.paragraphs.iter().enumerate() {
            text.push_str(paragraph);
            text.push_str("\n\n");
            if i == 1 {
                if let Some((_, link)) = &self.action {
                    text.push_str(&format!("{link}\n\n"));
                }
            }
        }
        if let Some(code) = &self.checkin_code {
            let code = crate::checkin::CheckinCode::grouped(code);
            text.push_str(&format!(
                "{}: {code}\n{}\n\n",
                t.checkin_code_heading, t.checkin_code_hint
            ));
        }
        if let Some(manage) = &to.manage_link {
            text.push_str(&format!("{}\n{manage}\n\n", t.manage_intro));
        }
        text.push_str(&fill(
            t.signature,
            &[("meeting", &meeting.title_in(to.language))],
        ));
        text.push('\n');
        if let Some(contact) = &meeting.contact_email {
            text.push_str(&fill(t.contact_line, &[("email", contact)]));
            text.push('\n');
        }
        text
    }

    pub fn html(&self, to: &Recipient<'_>, meeting: &Meeting) -> String {
        let t = catalogue(to.language);
        html! {
            (DOCTYPE)
            html lang=(to.language.as_str()) {
                head { meta charset="utf-8"; title { (self.subject) } }
                body style="font-family: sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 40em" {
                    @for (i, paragraph) in self.paragraphs.iter().enumerate() {
                        p { (paragraph) }
                        @if i == 1 {
                            @if let Some((label, link)) = &self.action {
                                p {
                                    a href=(link) style="display: inline-block; padding: .6em 1.2em; background: #0b5394; color: #fff; text-decoration: none; border-radius: 4px" { (label) }
                                }
                                p style="font-size: .9em; color: #555" { (link) }
                            }
                        }
                    }
                    @if let Some(code) = &self.checkin_code {
                        p { strong { (t.checkin_code_heading) } br; (t.checkin_code_hint) }
                        p {
                            img src={ "cid:" (QR_CONTENT_ID) } width="200" height="200" alt=(t.checkin_code_heading);
                            br; code style="font-size: 1.1em" { (crate::checkin::CheckinCode::grouped(code)) }
                        }
                    }
                    @if let Some(manage) = &to.manage_link {
                        p { (t.manage_intro) br; a href=(manage) { (t.manage_link) } }
                    }
                    p style="color: #555" {
                        (fill(t.signature, &[("meeting", &meeting.title_in(to.language))]))
                        @if let Some(contact) = &meeting.contact_email { br; (fill(t.contact_line, &[("email", contact)])) }
                    }
                }
            }
        }
        .into_string()
    }
}

/// Plain text and HTML; the HTML with the QR image of the check-in code beside it, when it
/// shows one.
fn body(rendered: &Rendered, to: &Recipient<'_>, meeting: &Meeting) -> anyhow::Result<MultiPart> {
    let (text, html) = (rendered.text(to, meeting), rendered.html(to, meeting));
    let Some(code) = &rendered.checkin_code else {
        return Ok(MultiPart::alternative_plain_html(text, html));
    };
    let image = Attachment::new_inline(QR_CONTENT_ID.to_owned()).body(
        crate::checkin::qr::png(code)?,
        ContentType::parse("image/png").context("image content type")?,
    );
    Ok(MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .multipart(
            MultiPart::related()
                .singlepart(SinglePart::html(html))
                .singlepart(image),
        ))
}

/// Assembles the message: plain text and HTML, the `.ics` when there is one, and a
/// `Message-ID` fixed by the outbox row, so a resend after a crash can be recognised.
pub fn build(
    mail: &ParticipantMail,
    rendered: &Rendered,
    to: &Recipient<'_>,
    meeting: &Meeting,
    from: &Mailbox,
    message_id: String,
) -> anyhow::Result<Message> {
    let address = to
        .email
        .parse()
        .context("the recipient address is not deliverable")?;
    let mailbox = Mailbox::new(display_name(mail, to.full_name), address);
    let body = body(rendered, to, meeting)?;
    let mut builder = Message::builder().from(from.clone());
    // Replies reach the meeting's contact, not the sending address.
    if let Some(contact) = meeting
        .contact_email
        .as_deref()
        .and_then(|c| c.parse().ok())
    {
        builder = builder.reply_to(Mailbox::new(None, contact));
    }
    let builder = builder
        .to(mailbox)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id));
    let message = match &rendered.ics {
        None => builder.multipart(body),
        Some(ics) => builder.multipart(
            MultiPart::mixed().multipart(body).singlepart(
                Attachment::new(rendered.attachment_name.to_owned()).body(
                    ics.clone(),
                    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                        .context("calendar content type")?,
                ),
            ),
        ),
    };
    message.context("cannot assemble the email")
}
