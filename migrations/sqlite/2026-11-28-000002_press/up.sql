-- Every use of a press token: when, which token, which format.
CREATE TABLE press_access_log (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    format TEXT NOT NULL
);
CREATE INDEX press_access_log_meeting ON press_access_log (meeting_id, at);
CREATE INDEX tokens_meeting_kind ON tokens (meeting_id, kind);
-- The press list: confirmed, consenting, in name order.
CREATE INDEX registrations_press ON registrations (meeting_id, status, consent_press_listing, full_name, id);
