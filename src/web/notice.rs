//! What a dashboard form did, told once at the top of the page its redirect leads to
//! ("Saved."): the redirect names it in `?done=` (`web::confirm::done_at`), the layout shows it.

use crate::i18n::Catalogue;

/// What a form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Saved,
    Added,
    Deleted,
    Created,
    Approved,
    Rejected,
    CheckedIn,
    Cancelled,
    Revoked,
}

impl Done {
    const ALL: [Self; 9] = [
        Self::Saved,
        Self::Added,
        Self::Deleted,
        Self::Created,
        Self::Approved,
        Self::Rejected,
        Self::CheckedIn,
        Self::Cancelled,
        Self::Revoked,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::Added => "added",
            Self::Deleted => "deleted",
            Self::Created => "created",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::CheckedIn => "checked-in",
            Self::Cancelled => "cancelled",
            Self::Revoked => "revoked",
        }
    }

    /// The `done=` of a query string, when it names something a form does.
    pub fn from_query(query: &str) -> Option<Self> {
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("done="))
            .find_map(|key| Self::ALL.into_iter().find(|done| done.key() == key))
    }

    pub fn message(self, t: &Catalogue) -> &'static str {
        match self {
            Self::Saved => t.done_saved,
            Self::Added => t.done_added,
            Self::Deleted => t.done_deleted,
            Self::Created => t.done_created,
            Self::Approved => t.done_approved,
            Self::Rejected => t.done_rejected,
            Self::CheckedIn => t.done_checked_in,
            Self::Cancelled => t.done_cancelled,
            Self::Revoked => t.done_revoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_done_is_told() {
        assert_eq!(
            Done::from_query("q=a&done=checked-in"),
            Some(Done::CheckedIn)
        );
        assert_eq!(Done::from_query("done=<script>"), None);
    }
}
