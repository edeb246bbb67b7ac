//! What a dashboard form did, told once at the top of the page its redirect leads to
//! ("Saved."): the redirect names it in `?done=` (`web::confirm::done_at`), the layout shows it.
//! A bulk action also tells how many it skipped (`&skipped=`).

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
    Promoted,
    /// A bulk action sent with nothing ticked.
    NothingSelected,
    /// A bulk action whose every ticked registration was skipped.
    NoneApplied,
}

/// What the page after a redirect tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub done: Done,
    /// Of a bulk action: the selected registrations whose status did not allow it.
    pub skipped: u32,
}

impl Notice {
    /// The `done=` (and `skipped=`) of a query string, when it names something a form does.
    pub fn from_query(query: &str) -> Option<Self> {
        fn value<'q>(query: &'q str, key: &'static str) -> impl Iterator<Item = &'q str> {
            query
                .split('&')
                .filter_map(move |pair| pair.strip_prefix(key)?.strip_prefix('='))
        }
        let done =
            value(query, "done").find_map(|key| Done::ALL.into_iter().find(|d| d.key() == key))?;
        let skipped = value(query, "skipped")
            .find_map(|n| n.parse().ok())
            .unwrap_or(0);
        Some(Self { done, skipped })
    }

    /// Whether it warns rather than confirms.
    pub fn warns(self) -> bool {
        matches!(self.done, Done::NothingSelected | Done::NoneApplied) || self.skipped > 0
    }
}

impl Done {
    const ALL: [Self; 12] = [
        Self::Saved,
        Self::Added,
        Self::Deleted,
        Self::Created,
        Self::Approved,
        Self::Rejected,
        Self::CheckedIn,
        Self::Cancelled,
        Self::Revoked,
        Self::Promoted,
        Self::NothingSelected,
        Self::NoneApplied,
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
            Self::Promoted => "promoted",
            Self::NothingSelected => "nothing-selected",
            Self::NoneApplied => "none-applied",
        }
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
            Self::Promoted => t.done_promoted,
            Self::NothingSelected => t.done_nothing_selected,
            Self::NoneApplied => t.done_none_applied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_done_is_told() {
        let told = |query| Notice::from_query(query);
        assert_eq!(
            told("q=a&done=checked-in"),
            Some(Notice {
                done: Done::CheckedIn,
                skipped: 0
            })
        );
        assert_eq!(told("done=<script>"), None);
        assert_eq!(told("undone=saved"), None);
        assert_eq!(
            told("done=approved&skipped=2"),
            Some(Notice {
                done: Done::Approved,
                skipped: 2
            })
        );
        assert_eq!(told("done=approved&skipped=-1").map(|n| n.skipped), Some(0));
    }
}
