-- The foundation: organizer accounts, organizations, meetings, registrations, hashed tokens,
-- the email outbox and the audit log. Ids are UUIDv7 text made by the application; times are
-- UTC TIMESTAMPs written by the application (microseconds).

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name_key, country)
);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    venue TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    timezone TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    registration_opens_at TIMESTAMP,
    registration_closes_at TIMESTAMP,
    capacity BIGINT,
    per_organization_limit BIGINT,
    requires_approval BOOLEAN NOT NULL,
    languages TEXT NOT NULL,
    status TEXT NOT NULL,
    translations TEXT NOT NULL,
    -- Bumped by every transaction that moves seats: the UPDATE locks the meeting row, and its
    -- value orders the waiting list.
    queue_counter BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_status ON meetings (status);

CREATE TABLE meeting_organizers (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, account_id)
);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    full_name TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    job_title TEXT,
    country TEXT NOT NULL,
    language TEXT NOT NULL,
    dietary TEXT,
    accessibility TEXT,
    interpretation TEXT,
    consent_data_processing BOOLEAN NOT NULL,
    consent_press_listing BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    -- Set when the registration joins the waiting list; the list is served in ticket order.
    queue_ticket BIGINT,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    checked_in_at TIMESTAMP,
    status_changed_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, email_key)
);
CREATE INDEX registrations_meeting_status ON registrations (meeting_id, status);
CREATE INDEX registrations_meeting_org_status ON registrations (meeting_id, organization_id, status);
CREATE INDEX registrations_pending_email ON registrations (status, created_at);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    -- SHA-256 of the token, hex; the token itself is never stored.
    digest TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    registration_id TEXT REFERENCES registrations (id) ON DELETE CASCADE,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    label TEXT,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tokens_registration ON tokens (registration_id);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    registration_id TEXT REFERENCES registrations (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    -- When the row is next due; a claim pushes it forward by a lease, so a worker that dies
    -- mid-send leaves the row to be taken again later.
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_meeting ON outbox (meeting_id, status);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    meeting_id TEXT,
    subject_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_meeting ON audit_log (meeting_id, at);
