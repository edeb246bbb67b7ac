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

-- Statement-level triggers over the rows a statement changed (transition tables): a statement
-- that changes many registrations (an expiry sweep, a purge) adds each key's change once, and
-- takes the counter rows in one order, so two such statements never wait on each other in a
-- circle.
CREATE FUNCTION registrations_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM added'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS sign FROM removed'
        ELSE 'SELECT *, -1 AS sign FROM removed UNION ALL SELECT *, 1 FROM added'
    END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (%s) AS r,
        LATERAL (VALUES
            ('status', r.status, hashtext(r.id) & 7, TRUE),
            ('org', r.organization_id, 0, r.status = 'confirmed'),
            ('country', r.country, 0, r.status = 'confirmed'),
            ('press_org', r.organization_id, 0,
                r.status = 'confirmed' AND r.consent_press_listing),
            ('press_country', r.country, 0, r.status = 'confirmed' AND r.consent_press_listing)
        ) AS p (dimension, key, shard, counted)
        WHERE p.counted
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n
    $sql$, changed);
    RETURN NULL;
END
$function$;

CREATE TRIGGER registrations_counted AFTER INSERT ON registrations
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION registrations_counted();
CREATE TRIGGER registrations_recounted AFTER UPDATE ON registrations
REFERENCING OLD TABLE AS removed NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION registrations_counted();
CREATE TRIGGER registrations_uncounted AFTER DELETE ON registrations
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION registrations_counted();

CREATE FUNCTION emails_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM added'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS sign FROM removed'
        ELSE 'SELECT *, -1 AS sign FROM removed UNION ALL SELECT *, 1 FROM added'
    END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, hashtext(r.id) & 7, sum(r.sign)::BIGINT
        FROM (%s) AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n
    $sql$, changed);
    RETURN NULL;
END
$function$;

CREATE TRIGGER emails_counted AFTER INSERT ON outbox
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION emails_counted();
CREATE TRIGGER emails_recounted AFTER UPDATE ON outbox
REFERENCING OLD TABLE AS removed NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION emails_counted();
CREATE TRIGGER emails_uncounted AFTER DELETE ON outbox
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION emails_counted();

-- What the meetings hold now.
INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'status', status, hashtext(id) & 7, count(*) FROM registrations
GROUP BY 1, 2, 3, 4;
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
SELECT meeting_id, 'email', status, hashtext(id) & 7, count(*) FROM outbox
WHERE meeting_id IS NOT NULL GROUP BY 1, 2, 3, 4;
