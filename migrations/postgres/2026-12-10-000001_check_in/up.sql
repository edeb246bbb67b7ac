-- Signatory of the meeting's documents (certificates of attendance, letters).
ALTER TABLE meetings ADD COLUMN signatory_name TEXT;
ALTER TABLE meetings ADD COLUMN signatory_title TEXT;

-- What the desk scans: unguessable, not the manage token, unique across meetings. Codes are
-- made by the application; rows older than codes get one here.
ALTER TABLE registrations ADD COLUMN checkin_code TEXT;
UPDATE registrations SET checkin_code = upper(replace(gen_random_uuid()::text, '-', ''));
CREATE UNIQUE INDEX registrations_checkin_code ON registrations (checkin_code);

-- When anything the desk shows changed (status, name, organisation, an arrival): the desk's
-- `?since=` reads this.
ALTER TABLE registrations ADD COLUMN updated_at TIMESTAMP;
UPDATE registrations SET updated_at = status_changed_at;
CREATE INDEX registrations_updated ON registrations (meeting_id, updated_at);

-- Every scan, kept: which desk, the device's time and ours, and its nonce. A nonce is taken
-- once per meeting, so a resent scan (a batch sent twice) records nothing new.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    registration_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    -- The meeting's local date of the device's time: the day this scan counts for.
    day TEXT NOT NULL,
    device_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    -- desk (online), batch (sent after being offline), organizer
    source TEXT NOT NULL,
    desk_token_id TEXT,
    account_id TEXT,
    -- Whether this scan was the day's arrival (the first), as answered to the desk.
    first BOOLEAN NOT NULL,
    undone_at TIMESTAMP
);
CREATE UNIQUE INDEX check_ins_nonce ON check_ins (meeting_id, nonce);
CREATE INDEX check_ins_registration ON check_ins (registration_id, day);

-- One arrival per person and day, whichever desk saw them first: the attendance.
CREATE TABLE attendances (
    registration_id TEXT NOT NULL,
    day TEXT NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    arrived_at TIMESTAMP NOT NULL,
    check_in_id TEXT NOT NULL,
    PRIMARY KEY (registration_id, day)
);
CREATE INDEX attendances_meeting ON attendances (meeting_id, day);
