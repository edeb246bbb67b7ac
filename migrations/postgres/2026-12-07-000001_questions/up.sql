-- Registration questions an organizer defines (arrival date, sessions of interest, a visa…),
-- typed, in both languages, perhaps for some categories only. Answers are kept with the
-- registration as one JSON object by question code: they are read with it, never searched.
CREATE TABLE questions (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    translations TEXT NOT NULL DEFAULT '{}',
    kind TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    required BOOLEAN NOT NULL DEFAULT FALSE,
    -- A JSON list of category codes; null: asked of every category.
    categories TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, code)
);

ALTER TABLE registrations ADD COLUMN answers TEXT NOT NULL DEFAULT '{}';
