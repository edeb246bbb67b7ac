-- Participant categories: delegate, observer, media… each with its own capacity, approval,
-- invitation-only flag and waiting list, the meeting's capacity still bounding the total.
-- Every meeting has at least one; those made before get `participant`, which every one of
-- their registrations joins, so they keep working unchanged.
CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    translations TEXT NOT NULL DEFAULT '{}',
    capacity BIGINT,
    requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
    invitation_only BOOLEAN NOT NULL DEFAULT FALSE,
    press_accreditation BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, code)
);

INSERT INTO categories (id, meeting_id, code, name, translations, created_at)
SELECT 'participant-' || id, id, 'participant', 'Participant', '{"es":{"name":"Participante"}}',
    created_at
FROM meetings;

-- By code, which never changes: a registration's category is read without a join. (SQLite
-- cannot add a foreign key of two columns to a table; the code keeps it.)
ALTER TABLE registrations ADD COLUMN category TEXT;
UPDATE registrations SET category = 'participant';
-- A category's waiting list in queue order, and its seats by status.
CREATE INDEX registrations_category_queue
    ON registrations (meeting_id, category, status, queue_ticket);

-- The counts gain `category/<code>/<status>`: a category's seats are read under the
-- meeting lock like the meeting's, from a few kept rows.
DROP TRIGGER registrations_counted;
DROP TRIGGER registrations_uncounted;
DROP TRIGGER registrations_recounted;

CREATE TRIGGER registrations_counted AFTER INSERT ON registrations BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT NEW.meeting_id, d, k, 0, 1 FROM (
        SELECT 'status' AS d, NEW.status AS k
        UNION ALL SELECT 'org', NEW.organization_id WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'country', NEW.country WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'press_org', NEW.organization_id
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'press_country', NEW.country
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'category', NEW.category || '/' || NEW.status
            WHERE NEW.category IS NOT NULL
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER registrations_uncounted AFTER DELETE ON registrations BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT OLD.meeting_id, d, k, 0, -1 FROM (
        SELECT 'status' AS d, OLD.status AS k
        UNION ALL SELECT 'org', OLD.organization_id WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'country', OLD.country WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'press_org', OLD.organization_id
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'press_country', OLD.country
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'category', OLD.category || '/' || OLD.status
            WHERE OLD.category IS NOT NULL
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER registrations_recounted AFTER UPDATE ON registrations
WHEN OLD.status IS NOT NEW.status OR OLD.organization_id IS NOT NEW.organization_id
    OR OLD.country IS NOT NEW.country OR OLD.consent_press_listing IS NOT NEW.consent_press_listing
    OR OLD.meeting_id IS NOT NEW.meeting_id OR OLD.category IS NOT NEW.category
BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT OLD.meeting_id, d, k, 0, -1 FROM (
        SELECT 'status' AS d, OLD.status AS k
        UNION ALL SELECT 'org', OLD.organization_id WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'country', OLD.country WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'press_org', OLD.organization_id
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'press_country', OLD.country
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'category', OLD.category || '/' || OLD.status
            WHERE OLD.category IS NOT NULL
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT NEW.meeting_id, d, k, 0, 1 FROM (
        SELECT 'status' AS d, NEW.status AS k
        UNION ALL SELECT 'org', NEW.organization_id WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'country', NEW.country WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'press_org', NEW.organization_id
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'press_country', NEW.country
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'category', NEW.category || '/' || NEW.status
            WHERE NEW.category IS NOT NULL
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'category', category || '/' || status, 0, count(*) FROM registrations
GROUP BY meeting_id, category, status;
