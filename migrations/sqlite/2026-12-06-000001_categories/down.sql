-- The triggers read `category`: they go first, and come back as they were before.
DROP TRIGGER registrations_counted;
DROP TRIGGER registrations_uncounted;
DROP TRIGGER registrations_recounted;
DELETE FROM meeting_counts WHERE dimension = 'category';
DROP INDEX registrations_category_queue;
ALTER TABLE registrations DROP COLUMN category;
DROP TABLE categories;

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
