-- A meeting's counts, kept by the database itself as rows change, so the organizer's stats,
-- the press summary and the seat counts read a few rows however large the meeting grows.
-- Triggers keep them in the transaction of the change, whichever code path (or hand-run SQL)
-- makes it; a test compares them with a fresh count after racing changes.
--   status/<status>        every registration, by status
--   org/<organization id>  confirmed participants, by organisation (its kind is read at count
--                          time, so a change of kind needs no recount)
--   country/<code>         confirmed participants, by country
--   press_org/<id>, press_country/<code>: the same for those who agreed to be listed
--   email/<status>         the meeting's emails in the outbox, by status
-- A count is the sum over its shards. PostgreSQL spreads `status` and `email` over 8 shards
-- (by the row's id), so registrations racing into one meeting, which take no meeting lock,
-- do not queue behind one counter row; SQLite has one writer and uses shard 0. Rows that fall
-- to zero stay (a meeting's keys are few), and have no foreign key: nothing deletes meetings.
CREATE TABLE meeting_counts (
    meeting_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, dimension, key, shard)
);

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
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER registrations_recounted AFTER UPDATE ON registrations
WHEN OLD.status IS NOT NEW.status OR OLD.organization_id IS NOT NEW.organization_id
    OR OLD.country IS NOT NEW.country OR OLD.consent_press_listing IS NOT NEW.consent_press_listing
    OR OLD.meeting_id IS NOT NEW.meeting_id
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
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER emails_counted AFTER INSERT ON outbox BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT NEW.meeting_id, 'email', NEW.status, 0, 1 WHERE NEW.meeting_id IS NOT NULL
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER emails_uncounted AFTER DELETE ON outbox BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT OLD.meeting_id, 'email', OLD.status, 0, -1 WHERE OLD.meeting_id IS NOT NULL
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER emails_recounted AFTER UPDATE ON outbox
WHEN OLD.status IS NOT NEW.status OR OLD.meeting_id IS NOT NEW.meeting_id
BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT OLD.meeting_id, 'email', OLD.status, 0, -1 WHERE OLD.meeting_id IS NOT NULL
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
    INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
    SELECT NEW.meeting_id, 'email', NEW.status, 0, 1 WHERE NEW.meeting_id IS NOT NULL
    ON CONFLICT (meeting_id, dimension, key, shard) DO UPDATE SET n = n + excluded.n;
END;

-- What the meetings hold now.
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'status', status, 0, count(*) FROM registrations GROUP BY meeting_id, status;
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'org', organization_id, 0, count(*) FROM registrations
WHERE status = 'confirmed' GROUP BY meeting_id, organization_id;
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'country', country, 0, count(*) FROM registrations
WHERE status = 'confirmed' GROUP BY meeting_id, country;
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'press_org', organization_id, 0, count(*) FROM registrations
WHERE status = 'confirmed' AND consent_press_listing GROUP BY meeting_id, organization_id;
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'press_country', country, 0, count(*) FROM registrations
WHERE status = 'confirmed' AND consent_press_listing GROUP BY meeting_id, country;
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'email', status, 0, count(*) FROM outbox
WHERE meeting_id IS NOT NULL GROUP BY meeting_id, status;
