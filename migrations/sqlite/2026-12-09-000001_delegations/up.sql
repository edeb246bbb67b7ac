-- Delegations: an organisation gets seats in a category and a focal point who nominates its
-- delegates. The seats are set aside: until the nomination deadline releases the unused ones,
-- the public cannot take them. The focal point's token is made as its email is written and
-- only its digest is kept.
CREATE TABLE delegations (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    organization_name TEXT NOT NULL,
    organization_kind TEXT NOT NULL,
    organization_country TEXT NOT NULL,
    category TEXT NOT NULL,
    seats BIGINT NOT NULL,
    focal_email TEXT NOT NULL,
    focal_name TEXT NOT NULL,
    focal_language TEXT NOT NULL,
    token_digest TEXT UNIQUE,
    nomination_deadline TIMESTAMP,
    -- release | keep: what the deadline does with seats no nominee holds
    unused_seats TEXT NOT NULL,
    -- When the deadline released the unused seats (once; the job's guard).
    released_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX delegations_meeting ON delegations (meeting_id, released_at);
CREATE INDEX delegations_deadline ON delegations (released_at, nomination_deadline);

-- A delegate's registration names its delegation: it holds one of the delegation's seats.
ALTER TABLE registrations ADD COLUMN delegation_id TEXT;
CREATE INDEX registrations_delegation ON registrations (delegation_id, status);
CREATE INDEX invitations_delegation ON invitations (delegation_id, status);
