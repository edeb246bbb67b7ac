-- The busiest counters (`status`, `category`, `email`) were spread over 8 shards by a hash of
-- the row's id. Eight connections registering at once then met on one shard row most of the
-- time (eight ids in eight shards rarely miss each other) and queued for its lock until the
-- other's commit: `Lock:transactionid` was the most frequent wait under load. The shard is now
-- the connection's (its backend process id, 64 shards), so two transactions on two
-- connections take different counter rows. A count is still the sum over its shards; a shard
-- may go below zero (a registration counted in on one connection and moved on another), the
-- sum stays exact.
CREATE FUNCTION counter_shard() RETURNS INTEGER
LANGUAGE sql STABLE AS $function$ SELECT pg_backend_pid() & 63 $function$;

CREATE OR REPLACE FUNCTION registrations_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, status, organization_id, country, consent_press_listing,
                     category, 1 AS sign FROM added) AS r,
        LATERAL registration_counted_keys(r.status, r.organization_id, r.country,
                                          r.consent_press_listing, r.category) AS p
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, status, organization_id, country, consent_press_listing,
                     category, -1 AS sign FROM removed) AS r,
        LATERAL registration_counted_keys(r.status, r.organization_id, r.country,
                                          r.consent_press_listing, r.category) AS p
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.sign) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSE
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, p.dimension, p.key, p.shard, sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, status, organization_id, country, consent_press_listing,
                     category, -1 AS sign FROM removed
              UNION ALL
              SELECT meeting_id, status, organization_id, country, consent_press_listing,
                     category, 1 FROM added) AS r,
        LATERAL registration_counted_keys(r.status, r.organization_id, r.country,
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

DROP FUNCTION registration_counted_keys(TEXT, TEXT, TEXT, TEXT, BOOLEAN, TEXT);

-- The counter keys one registration adds to, written once for the three operations.
CREATE FUNCTION registration_counted_keys(
    status TEXT, organization_id TEXT, country TEXT, press BOOLEAN, category TEXT
) RETURNS TABLE (dimension TEXT, key TEXT, shard INTEGER)
LANGUAGE sql STABLE AS $function$
    SELECT p.dimension, p.key, p.shard FROM (VALUES
        ('status', status, counter_shard(), TRUE),
        ('org', organization_id, 0, status = 'confirmed'),
        ('country', country, 0, status = 'confirmed'),
        ('press_org', organization_id, 0, status = 'confirmed' AND press),
        ('press_country', country, 0, status = 'confirmed' AND press),
        ('category', category || '/' || status, counter_shard(), category IS NOT NULL)
    ) AS p (dimension, key, shard, counted)
    WHERE p.counted
$function$;

CREATE OR REPLACE FUNCTION emails_counted() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, counter_shard(), count(*)
        FROM added AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, counter_shard(), -count(*)
        FROM removed AS r
        WHERE r.meeting_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (meeting_id, dimension, key, shard)
        DO UPDATE SET n = meeting_counts.n + EXCLUDED.n;
    ELSE
        -- Most updates of an email (its lease renewed, a failure noted) keep its status.
        INSERT INTO meeting_counts (meeting_id, dimension, key, shard, n)
        SELECT r.meeting_id, 'email', r.status, counter_shard(), sum(r.sign)::BIGINT
        FROM (SELECT meeting_id, status, -1 AS sign FROM removed
              UNION ALL
              SELECT meeting_id, status, 1 FROM added) AS r
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
