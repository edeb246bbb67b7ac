-- Privacy and abuse guards.
-- When a registration's link was last emailed because someone registered its address again:
-- such emails go out at most once an hour.
ALTER TABLE registrations ADD COLUMN link_resent_at TIMESTAMP;
-- Registrations accepted from one client in one meeting, for an hour: a digest of the client's
-- address (salted with the meeting), never the address. Written for every accepted attempt,
-- new address or known, so the limit says nothing of who is registered.
CREATE TABLE registration_attempts (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    client_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX registration_attempts_client ON registration_attempts (meeting_id, client_key, at);
CREATE INDEX registration_attempts_at ON registration_attempts (at);
-- Once this many seats are confirmed, further confirmations wait for the organizer.
ALTER TABLE meetings ADD COLUMN approval_threshold BIGINT;
-- A registered speaker shows publicly while confirmed and consenting, or when marked public.
ALTER TABLE session_speakers ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
-- Deleting a registration cascades to its emails and speaker slots, deleting a token to its
-- uses: without these, each delete scans those tables.
CREATE INDEX outbox_registration ON outbox (registration_id);
CREATE INDEX session_speakers_registration ON session_speakers (registration_id);
CREATE INDEX press_access_log_token ON press_access_log (token_id);
-- Whether anyone still names an organisation, asked when a registration leaves it.
CREATE INDEX registrations_organization ON registrations (organization_id);
