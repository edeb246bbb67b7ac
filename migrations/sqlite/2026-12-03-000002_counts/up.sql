-- A meeting's counts, kept by the database itself as registrations change, so the organizer's
-- stats and the press summary read a few rows however large the meeting grows. Triggers keep
-- them, in the transaction of the change, whichever code path (or hand-run SQL) makes it; a
-- test compares them with a fresh count after racing changes.
--   status/<status>        every registration, by status
--   org/<organization id>  confirmed participants, by organisation (its kind is read at count
--                          time, so renaming or re-kinding an organisation needs no recount)
--   country/<code>         confirmed participants, by country
--   press_org/<id>, press_country/<code>: the same for those who agreed to be listed
-- No foreign key to meetings: a meeting's rows go with it explicitly, and a cascade deleting a
-- meeting's registrations must not re-create them.
CREATE TABLE meeting_counts (
    meeting_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, dimension, key)
);

CREATE TRIGGER registrations_counted AFTER INSERT ON registrations BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, n)
    SELECT NEW.meeting_id, d, k, 1 FROM (
        SELECT 'status' AS d, NEW.status AS k
        UNION ALL SELECT 'org', NEW.organization_id WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'country', NEW.country WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'press_org', NEW.organization_id
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'press_country', NEW.country
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER registrations_uncounted AFTER DELETE ON registrations BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, n)
    SELECT OLD.meeting_id, d, k, -1 FROM (
        SELECT 'status' AS d, OLD.status AS k
        UNION ALL SELECT 'org', OLD.organization_id WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'country', OLD.country WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'press_org', OLD.organization_id
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'press_country', OLD.country
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER registrations_recounted AFTER UPDATE ON registrations
WHEN OLD.status IS NOT NEW.status OR OLD.organization_id IS NOT NEW.organization_id
    OR OLD.country IS NOT NEW.country OR OLD.consent_press_listing IS NOT NEW.consent_press_listing
    OR OLD.meeting_id IS NOT NEW.meeting_id
BEGIN
    INSERT INTO meeting_counts (meeting_id, dimension, key, n)
    SELECT OLD.meeting_id, d, k, -1 FROM (
        SELECT 'status' AS d, OLD.status AS k
        UNION ALL SELECT 'org', OLD.organization_id WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'country', OLD.country WHERE OLD.status = 'confirmed'
        UNION ALL SELECT 'press_org', OLD.organization_id
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
        UNION ALL SELECT 'press_country', OLD.country
            WHERE OLD.status = 'confirmed' AND OLD.consent_press_listing
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO meeting_counts (meeting_id, dimension, key, n)
    SELECT NEW.meeting_id, d, k, 1 FROM (
        SELECT 'status' AS d, NEW.status AS k
        UNION ALL SELECT 'org', NEW.organization_id WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'country', NEW.country WHERE NEW.status = 'confirmed'
        UNION ALL SELECT 'press_org', NEW.organization_id
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
        UNION ALL SELECT 'press_country', NEW.country
            WHERE NEW.status = 'confirmed' AND NEW.consent_press_listing
    ) WHERE true
    ON CONFLICT (meeting_id, dimension, key) DO UPDATE SET n = n + excluded.n;
END;

-- What the meeting holds now.
INSERT INTO meeting_counts (meeting_id, dimension, key, n)
SELECT meeting_id, 'status', status, count(*) FROM registrations GROUP BY meeting_id, status;
INSERT INTO meeting_counts (meeting_id, dimension, key, n)
SELECT meeting_id, 'org', organization_id, count(*) FROM registrations
WHERE status = 'confirmed' GROUP BY meeting_id, organization_id;
INSERT INTO meeting_counts (meeting_id, dimension, key, n)
SELECT meeting_id, 'country', country, count(*) FROM registrations
WHERE status = 'confirmed' GROUP BY meeting_id, country;
INSERT INTO meeting_counts (meeting_id, dimension, key, n)
SELECT meeting_id, 'press_org', organization_id, count(*) FROM registrations
WHERE status = 'confirmed' AND consent_press_listing GROUP BY meeting_id, organization_id;
INSERT INTO meeting_counts (meeting_id, dimension, key, n)
SELECT meeting_id, 'press_country', country, count(*) FROM registrations
WHERE status = 'confirmed' AND consent_press_listing GROUP BY meeting_id, country;
