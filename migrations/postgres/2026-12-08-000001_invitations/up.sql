-- Invitations: a link bound to one address, emailed by the organizers (one by one, from a
-- CSV, or as a delegation's nominee). Following it proves the address. The link's token is
-- made when its email is written and only its digest is kept, replaced by each new email.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    full_name TEXT NOT NULL DEFAULT '',
    organization_name TEXT,
    organization_kind TEXT,
    country TEXT,
    category TEXT NOT NULL,
    language TEXT NOT NULL,
    token_digest TEXT UNIQUE,
    -- sent | registered | revoked
    status TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id) ON DELETE SET NULL,
    delegation_id TEXT,
    created_by TEXT,
    sent_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
-- One live invitation per address and meeting is looked up by its key; the list reads in
-- the order they were sent.
CREATE INDEX invitations_address ON invitations (meeting_id, email_key);
CREATE INDEX invitations_sent ON invitations (meeting_id, sent_at, id);
-- The reminder job: unused invitations, oldest first.
CREATE INDEX invitations_unused ON invitations (status, reminded_at, sent_at);

-- Days after which an unused invitation gets one reminder; null: none.
ALTER TABLE meetings ADD COLUMN invitation_reminder_days INTEGER;
