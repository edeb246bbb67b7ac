-- The count triggers as `2026-12-06-000001_categories` left them.
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

CREATE OR REPLACE FUNCTION emails_counted() RETURNS trigger
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

DROP FUNCTION registration_counted_keys(TEXT, TEXT, TEXT, TEXT, BOOLEAN, TEXT);
