//! Emails rendered from their outbox rows, each with fresh links whose tokens are stored
//! only for a row the worker still holds.

use super::messages::{self, Recipient};
use super::outbox::{Claimed, ParticipantMail};
use crate::accounts::tokens::{self, Grant, TokenKind};
use crate::agenda::{self, store::AgendaItem};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::meetings::{self, Meeting};
use crate::registrations;
use chrono::NaiveDateTime;
use lettre::message::Mailbox;
use lettre::Message;
use std::collections::HashMap;

/// An email whose links' tokens are made but not yet stored: they are stored only for a row
/// this worker still holds, and the outbox itself never holds a token.
pub(super) struct Drafted {
    pub message: Message,
    links: Links,
}

/// The links an email carries, whose tokens are stored as it goes.
enum Links {
    Registration(RegistrationLinks),
    /// An invitation's id and its new link's token.
    Invitation(String, String),
    /// A delegation's id, the focal point's address and their new link's token.
    FocalPoint(String, String, String),
}

struct RegistrationLinks {
    registration_id: String,
    meeting_id: String,
    manage: String,
    confirm: Option<(String, NaiveDateTime)>,
    /// A journalist's press link, with its end and the label organizers see it by.
    press: Option<(String, NaiveDateTime, String)>,
}

impl Drafted {
    /// The links to a registration this email carries. A batch's are stored together
    /// (`tokens::replace_all`), before `store_rest`.
    pub fn registration_links(&self) -> Option<tokens::EmailLinks<'_>> {
        match &self.links {
            Links::Registration(links) => Some(links.email_links()),
            Links::Invitation(..) | Links::FocalPoint(..) => None,
        }
    }

    /// Stores the email's other tokens; answers whether it is still to be sent.
    pub fn store_rest(&self, conn: &mut DbConn, now: NaiveDateTime) -> AppResult<bool> {
        match &self.links {
            Links::Registration(links) => links.store_press(conn, now).map(|()| true),
            Links::Invitation(id, token) => crate::invitations::store::store_link(conn, id, token),
            Links::FocalPoint(id, email, token) => {
                crate::delegations::store::store_link(conn, id, email, token)
            }
        }
    }
}

impl RegistrationLinks {
    fn email_links(&self) -> tokens::EmailLinks<'_> {
        let mut links = vec![tokens::NewLink {
            token: &self.manage,
            kind: TokenKind::Manage,
            expires_at: None,
        }];
        if let Some((confirm, expires_at)) = &self.confirm {
            links.push(tokens::NewLink {
                token: confirm,
                kind: TokenKind::Confirm,
                expires_at: Some(*expires_at),
            });
        }
        tokens::EmailLinks {
            registration_id: &self.registration_id,
            meeting_id: &self.meeting_id,
            links,
        }
    }

    /// A journalist's press link, after the batch's links are stored: storing them holds the
    /// registration (PostgreSQL), so a cancellation cannot slip between this check and the
    /// token.
    fn store_press(&self, conn: &mut DbConn, now: NaiveDateTime) -> AppResult<()> {
        if let Some((press, expires_at, label)) = &self.press {
            if registrations::store::holds_press_seat(conn, &self.registration_id)? {
                let grant = Grant {
                    registration_id: Some(&self.registration_id),
                    meeting_id: Some(&self.meeting_id),
                    expires_at: Some(*expires_at),
                    label: Some(label),
                    ..Grant::default()
                };
                tokens::replace(conn, press, TokenKind::Press, grant, now)?;
                crate::audit::record(
                    conn,
                    crate::audit::NewEntry {
                        actor: &crate::audit::Actor::System,
                        action: "press_token.accredited",
                        meeting_id: Some(&self.meeting_id),
                        subject_id: Some(&self.registration_id),
                        detail: "",
                    },
                    now,
                )?;
            }
        }
        Ok(())
    }
}

/// Renders a claimed row into a message with new links; each email carries its own. The
/// contacts are read once per batch, as are meetings and their agendas.
pub(super) fn draft(
    conn: &mut DbConn,
    row: &Claimed,
    contacts: &HashMap<String, registrations::store::Contact>,
    meetings: &mut HashMap<String, (Meeting, Vec<AgendaItem>)>,
    from: &Mailbox,
    base_url: &str,
    host: &str,
) -> anyhow::Result<Drafted> {
    let mail: ParticipantMail = serde_json::from_str(&row.payload)?;
    let sender = Sender {
        from,
        base_url,
        host,
    };
    match &mail {
        ParticipantMail::Invited { invitation, .. } => {
            return draft_invitation(conn, row, &mail, invitation, meetings, &sender)
        }
        ParticipantMail::FocalPoint { delegation } => {
            return draft_focal_point(conn, row, &mail, delegation, meetings, &sender)
        }
        _ => {}
    }
    let (registration_id, contact) = contact_of(conn, row, contacts)?;
    let (meeting, agenda) = meeting_of(conn, meetings, &contact.meeting_id)?;
    let manage = tokens::generate();
    let confirm = match mail {
        ParticipantMail::ConfirmAddress => Some((
            tokens::generate(),
            contact.created_at + registrations::model::CONFIRMATION_WINDOW,
        )),
        _ => None,
    };
    // A press link lasts until a month after the meeting, as organizers' press links may.
    let press = match mail {
        ParticipantMail::PressAccredited => Some((
            tokens::generate(),
            meeting.ends_at + chrono::TimeDelta::days(30),
            format!("{} ({})", contact.full_name, contact.email),
        )),
        _ => None,
    };
    let to = Recipient {
        full_name: &contact.full_name,
        email: &contact.email,
        language: contact.language,
        confirm_link: confirm
            .as_ref()
            .map(|(token, _)| format!("{base_url}/confirm/{token}")),
        manage_link: Some(format!("{base_url}/manage/{manage}")),
        press_link: press
            .as_ref()
            .map(|(token, _, _)| format!("{base_url}/press/{token}")),
        invitation: None,
        checkin_code: contact.checkin_code.clone(),
    };
    let rendered = messages::render(&mail, meeting, agenda, &to, host);
    let message = messages::build(
        &mail,
        &rendered,
        &to,
        meeting,
        from,
        format!("<{}@{host}>", row.id),
    )?;
    Ok(Drafted {
        message,
        links: Links::Registration(RegistrationLinks {
            registration_id,
            meeting_id: contact.meeting_id,
            manage,
            confirm,
            press,
        }),
    })
}

/// The registration an email is about, and its contact. Read for the whole batch beforehand:
/// one missing was deleted meanwhile, and reading it again gives the error the email's
/// failure records.
fn contact_of(
    conn: &mut DbConn,
    row: &Claimed,
    contacts: &HashMap<String, registrations::store::Contact>,
) -> anyhow::Result<(String, registrations::store::Contact)> {
    let registration_id = row
        .registration_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("email without registration"))?;
    let contact = match contacts.get(&registration_id) {
        Some(contact) => contact.clone(),
        None => registrations::store::contact(conn, &registration_id)?,
    };
    Ok((registration_id, contact))
}

/// A meeting and its public agenda, read once per batch.
fn meeting_of<'a>(
    conn: &mut DbConn,
    meetings: &'a mut HashMap<String, (Meeting, Vec<AgendaItem>)>,
    meeting_id: &str,
) -> anyhow::Result<&'a (Meeting, Vec<AgendaItem>)> {
    if !meetings.contains_key(meeting_id) {
        let meeting = meetings::store::by_id(conn, meeting_id)?;
        let agenda = agenda::store::agenda(conn, &meeting.id, agenda::store::Audience::Public)?;
        meetings.insert(meeting_id.to_owned(), (meeting, agenda));
    }
    Ok(&meetings[meeting_id])
}

/// Where emails come from and where their links lead.
struct Sender<'a> {
    from: &'a Mailbox,
    base_url: &'a str,
    host: &'a str,
}

/// Renders an invitation (or its reminder) with a new link to the registration form.
fn draft_invitation(
    conn: &mut DbConn,
    row: &Claimed,
    mail: &ParticipantMail,
    invitation_id: &str,
    meetings: &mut HashMap<String, (Meeting, Vec<AgendaItem>)>,
    sender: &Sender,
) -> anyhow::Result<Drafted> {
    let meeting_id = row
        .meeting_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("invitation email without meeting"))?;
    let invitation = crate::invitations::store::by_id(conn, &meeting_id, invitation_id)?;
    let (meeting, agenda) = meeting_of(conn, meetings, &meeting_id)?;
    let language = invitation.language();
    let category = meetings::categories::store::names(conn, &meeting_id, language)?
        .remove(&invitation.category)
        .unwrap_or_else(|| invitation.category.clone());
    let token = tokens::generate();
    let to = Recipient {
        full_name: &invitation.full_name,
        email: &invitation.email,
        language,
        confirm_link: None,
        manage_link: None,
        press_link: None,
        invitation: Some((format!("{}/i/{token}", sender.base_url), category)),
        checkin_code: None,
    };
    let rendered = messages::render(mail, meeting, agenda, &to, sender.host);
    let message = messages::build(
        mail,
        &rendered,
        &to,
        meeting,
        sender.from,
        format!("<{}@{}>", row.id, sender.host),
    )?;
    Ok(Drafted {
        message,
        links: Links::Invitation(invitation.id, token),
    })
}

/// Renders a focal point's email with a new link to their delegation's page.
fn draft_focal_point(
    conn: &mut DbConn,
    row: &Claimed,
    mail: &ParticipantMail,
    delegation_id: &str,
    meetings: &mut HashMap<String, (Meeting, Vec<AgendaItem>)>,
    sender: &Sender,
) -> anyhow::Result<Drafted> {
    let meeting_id = row
        .meeting_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("focal point email without meeting"))?;
    let delegation = crate::delegations::store::by_id(conn, &meeting_id, delegation_id)?;
    let (meeting, agenda) = meeting_of(conn, meetings, &meeting_id)?;
    let token = tokens::generate();
    let to = Recipient {
        full_name: &delegation.focal_name,
        email: &row.recipient,
        language: delegation.focal_language(),
        confirm_link: None,
        manage_link: None,
        press_link: None,
        invitation: Some((
            format!("{}/d/{token}", sender.base_url),
            delegation.organization_name.clone(),
        )),
        checkin_code: None,
    };
    let rendered = messages::render(mail, meeting, agenda, &to, sender.host);
    let message = messages::build(
        mail,
        &rendered,
        &to,
        meeting,
        sender.from,
        format!("<{}@{}>", row.id, sender.host),
    )?;
    Ok(Drafted {
        message,
        links: Links::FocalPoint(delegation.id, row.recipient.clone(), token),
    })
}
