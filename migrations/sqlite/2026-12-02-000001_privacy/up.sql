-- Privacy and abuse guards.
-- When a registration's manage link was last emailed because someone registered its address
-- again: such emails are sent at most once an hour.
ALTER TABLE registrations ADD COLUMN link_resent_at TIMESTAMP;
-- A keyed digest of the address a registration came from, kept only while its address is
-- unconfirmed: it bounds the unconfirmed registrations one client may hold in a meeting.
ALTER TABLE registrations ADD COLUMN client_key TEXT;
CREATE INDEX registrations_client ON registrations (meeting_id, client_key, status);
-- Once this many people hold or await a seat, new registrations wait for the organizer.
ALTER TABLE meetings ADD COLUMN approval_threshold BIGINT;
-- A registered speaker shows publicly while confirmed and consenting, or when marked public.
ALTER TABLE session_speakers ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
-- Deleting a registration cascades to its emails: without this, every delete scans the outbox.
CREATE INDEX outbox_registration ON outbox (registration_id);
-- Whether anyone still names an organisation, asked when a registration leaves it.
CREATE INDEX registrations_organization ON registrations (organization_id);
