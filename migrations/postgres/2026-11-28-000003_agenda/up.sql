-- The agenda: rooms, sessions and who speaks at them; and the session changes waiting to be
-- told to participants in one batch.
CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    capacity BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, name)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    room_id TEXT REFERENCES rooms (id),
    language TEXT NOT NULL,
    interpretation BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    translations TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_meeting_start ON sessions (meeting_id, starts_at);
CREATE INDEX sessions_room ON sessions (room_id, starts_at);

CREATE TABLE session_speakers (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id) ON DELETE CASCADE,
    name TEXT,
    organization TEXT,
    -- Who this is, for clash checks: the registration id, or the guest's name in lowercase.
    person_key TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX session_speakers_session ON session_speakers (session_id);
CREATE INDEX session_speakers_person ON session_speakers (meeting_id, person_key);

CREATE TABLE agenda_changes (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    -- JSON: what the session was and what it is now (null when added or cancelled).
    change TEXT NOT NULL,
    notified_at TIMESTAMP
);
CREATE INDEX agenda_changes_pending ON agenda_changes (notified_at, meeting_id, at);
