//! What codes read as in a catalogue's language: statuses, kinds, languages, yes and no.

use super::Catalogue;

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
