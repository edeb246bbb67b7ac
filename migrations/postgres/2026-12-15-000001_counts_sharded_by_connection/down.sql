-- The count triggers as `2026-12-13-000002_counts_without_dynamic_sql` left them.
CREATE OR REPLACE FUNCTION registrations_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, id, status, organization_id, country, consent_press_listing,
                     category, 1 AS sign FROM added) AS r,
        LATERAL registration_counted_keys(r.id, r.status, r.organization_id, r.country,
                                          r.consent_press_listing, r.category) AS p
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, id, status, organization_id, country, consent_press_listing,
                     category, -1 AS sign FROM removed) AS r,
        LATERAL registration_counted_keys(r.id, r.status, r.organization_id, r.country,
                                          r.consent_press_listing, r.category) AS p
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSE
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, id, status, organization_id, country, consent_press_listing,
                     category, -1 AS sign FROM removed
              UNION ALL
              SELECT meeting_id, id, status, organization_id, country, consent_press_listing,
                     category, 1 FROM added) AS r,
        LATERAL registration_counted_keys(r.id, r.status, r.organization_id, r.country,
                                          r.consent_press_listing, r.category) AS p
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$function$;

DROP FUNCTION registration_counted_keys(TEXT, TEXT, TEXT, BOOLEAN, TEXT);

-- The counter keys one registration adds to, written once for the three operations.
CREATE FUNCTION registration_counted_keys(
    id TEXT, status TEXT, organization_id TEXT, country TEXT, press BOOLEAN, category TEXT
) RETURNS TABLE (dimension TEXT, key TEXT, shard INTEGER)
LANGUAGE sql IMMUTABLE AS $function$
    SELECT p.dimension, p.key, p.shard FROM (VALUES
        ('status', status, hashtext(id) & 7, TRUE),
        ('org', organization_id, 0, status = 'confirmed'),
        ('country', country, 0, status = 'confirmed'),
        ('press_org', organization_id, 0, status = 'confirmed' AND press),
        ('press_country', country, 0, status = 'confirmed' AND press),
        ('category', category || '/' || status, hashtext(id) & 7, category IS NOT NULL)
    ) AS p (dimension, key, shard, counted)
    WHERE p.counted
$function$;

CREATE OR REPLACE FUNCTION emails_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, hashtext(r.id) & 7, count(*)
        FROM added AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, hashtext(r.id) & 7, -count(*)
        FROM removed AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSE
        -- Most updates of an email (its lease renewed, a failure noted) keep its status.
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, hashtext(r.id) & 7, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, id, status, -1 AS sign FROM removed
              UNION ALL
              SELECT meeting_id, id, status, 1 FROM added) AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$function$;

DROP FUNCTION counter_shard();
