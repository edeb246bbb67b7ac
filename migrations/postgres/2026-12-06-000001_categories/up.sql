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

-- By code, which never changes: a registration's category is read without a join.
ALTER TABLE registrations ADD COLUMN category TEXT;
UPDATE registrations SET category = 'participant';
ALTER TABLE registrations ALTER COLUMN category SET NOT NULL;
ALTER TABLE registrations ADD CONSTRAINT registrations_category
    FOREIGN KEY (meeting_id, category) REFERENCES categories (meeting_id, code);
-- A category's waiting list in queue order, and its seats by status.
CREATE INDEX registrations_category_queue
    ON registrations (meeting_id, category, status, queue_ticket);

-- The counts gain `category/<code>/<status>`, sharded like `status` (registrations
-- race into a category without the meeting lock while their address is unconfirmed).
CREATE OR REPLACE FUNCTION registrations_counted() RETURNS trigger
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
            ('press_country', r.country, 0, r.status = 'confirmed' AND r.consent_press_listing),
            ('category', r.category || '/' || r.status, hashtext(r.id) & 7,
                r.category IS NOT NULL)
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

INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
SELECT meeting_id, 'category', category || '/' || status, hashtext(id) & 7, count(*)
FROM registrations
GROUP BY 1, 2, 3, 4;
