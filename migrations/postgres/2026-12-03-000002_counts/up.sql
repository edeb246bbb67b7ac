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

CREATE FUNCTION count_registration(r registrations, sign BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO meeting_counts (meeting_id, dimension, key, n)
    SELECT r.meeting_id, d, k, sign FROM (
        SELECT 'status' AS d, r.status AS k
        UNION ALL SELECT 'org', r.organization_id WHERE r.status = 'confirmed'
        UNION ALL SELECT 'country', r.country WHERE r.status = 'confirmed'
        UNION ALL SELECT 'press_org', r.organization_id
            WHERE r.status = 'confirmed' AND r.consent_press_listing
        UNION ALL SELECT 'press_country', r.country
            WHERE r.status = 'confirmed' AND r.consent_press_listing
    ) AS parts
    ON CONFLICT (meeting_id, dimension, key) DO UPDATE SET n = meeting_counts.n + EXCLUDED.n
$$;

CREATE FUNCTION registrations_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM count_registration(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM count_registration(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER registrations_counted AFTER INSERT OR DELETE ON registrations
FOR EACH ROW EXECUTE FUNCTION registrations_counted();

CREATE TRIGGER registrations_recounted AFTER UPDATE ON registrations
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.organization_id IS DISTINCT FROM NEW.organization_id
    OR OLD.country IS DISTINCT FROM NEW.country OR OLD.consent_press_listing IS DISTINCT FROM NEW.consent_press_listing
    OR OLD.meeting_id IS DISTINCT FROM NEW.meeting_id)
EXECUTE FUNCTION registrations_counted();

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
