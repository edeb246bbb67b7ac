-- A scan at the desk in one statement: what `checkin::store::check_in` does on SQLite, the
-- same statements in the same order, without a round trip between them. The Rust side decides
-- every value first (the day, the ids, the audit entry, the webhook plan) and passes it in `p`;
-- see `checkin::store::check_in_pg` for each field.
--
-- It answers one row: `checked_in` with the person as the desk shows them, their arrival on
-- the day and whether this scan was it; or `not_found` (no such person in this meeting),
-- `not_confirmed`, `nonce_taken` (the nonce names another person's scan).
--
-- Where the Rust path rolls its transaction back (the scan's nonce was taken after the
-- arrival was inserted), this deletes the arrival it inserted: the rows left are the same.
CREATE FUNCTION convene_check_in(p jsonb)
RETURNS TABLE (outcome text, person_id text, person_name text, organization_name text,
               person_country text, person_category text, person_code text,
               arrived timestamp, was_first boolean)
LANGUAGE plpgsql AS $$
DECLARE
    meeting text := p->>'meeting_id';
    scan_at timestamp := (p->>'at')::timestamp;
    at_now timestamp := (p->>'now')::timestamp;
    person record;
    earlier record;
    first_arrival boolean;
    arrival timestamp;
    needed text;
BEGIN
    -- Every value the inserts need is given: a missing one would fail a NOT NULL constraint,
    -- and PostgreSQL would log the failing row with the error.
    FOREACH needed IN ARRAY ARRAY['meeting_id', 'nonce', 'day', 'at', 'now', 'scan_id', 'source',
        'confirmed_status', 'audit_id', 'audit_actor', 'audit_action', 'audit_detail'] LOOP
        IF p->>needed IS NULL THEN
            RAISE EXCEPTION 'convene_check_in: % is missing', needed;
        END IF;
    END LOOP;
    IF (p->>'code' IS NULL) = (p->>'registration_id' IS NULL) THEN
        RAISE EXCEPTION 'convene_check_in: either code or registration_id is needed';
    END IF;

    -- The person the scan names, with their organisation.
    IF p->>'code' IS NOT NULL THEN
        SELECT r.id, r.meeting_id, r.status, r.full_name, o.name AS organization, r.country,
               r.category, r.checkin_code, r.checked_in_at
        INTO person
        FROM registrations r JOIN organizations o ON o.id = r.organization_id
        WHERE r.checkin_code = p->>'code';
    ELSE
        SELECT r.id, r.meeting_id, r.status, r.full_name, o.name AS organization, r.country,
               r.category, r.checkin_code, r.checked_in_at
        INTO person
        FROM registrations r JOIN organizations o ON o.id = r.organization_id
        WHERE r.id = p->>'registration_id';
    END IF;
    IF NOT FOUND OR person.meeting_id <> meeting THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, NULL::text, NULL::text,
            NULL::text, NULL::text, NULL::timestamp, NULL::boolean;
        RETURN;
    END IF;

    IF person.status = p->>'confirmed_status' THEN
        INSERT INTO attendances (registration_id, day, meeting_id, arrived_at, check_in_id)
        VALUES (person.id, p->>'day', meeting, scan_at, p->>'scan_id')
        ON CONFLICT DO NOTHING;
        first_arrival := FOUND;
        INSERT INTO check_ins (id, meeting_id, registration_id, nonce, day, device_at,
                               received_at, source, desk_token_id, account_id, first)
        VALUES (p->>'scan_id', meeting, person.id, p->>'nonce', p->>'day', scan_at, at_now,
                p->>'source', p->>'desk_token_id', p->>'account_id', first_arrival)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            IF first_arrival THEN
                -- The column's value, not the one read above: a first arrival on another
                -- day, committed in between by another desk, is kept if it was earlier. (The
                -- Rust path reads it in its transaction; SQLite's one writer runs them in turn.)
                UPDATE registrations
                SET checked_in_at = LEAST(checked_in_at, scan_at), updated_at = at_now
                WHERE id = person.id;
                INSERT INTO audit_log (id, at, actor, action, meeting_id, subject_id, detail)
                VALUES (p->>'audit_id', at_now, p->>'audit_actor', p->>'audit_action', meeting,
                        person.id, p->>'audit_detail');
                -- The webhooks that want the event, as `webhooks::store::queue` writes them;
                -- the payload names the person by a placeholder, for only now are they known.
                IF p->'hook' IS NOT NULL THEN
                    INSERT INTO webhook_deliveries (id, webhook_id, meeting_id, subject_id,
                        event, payload, status, attempts, next_attempt_at, created_at)
                    SELECT p->'hook'->>'prefix' || w.id, w.id, w.meeting_id, person.id,
                           p->'hook'->>'event',
                           replace(p->'hook'->>'payload', p->>'subject_placeholder', person.id),
                           p->'hook'->>'status', 0, at_now, at_now
                    FROM webhooks w
                    WHERE w.meeting_id = meeting AND w.disabled_at IS NULL
                      AND ' ' || w.events || ' ' LIKE p->'hook'->>'wanted';
                END IF;
                arrival := scan_at;
            ELSE
                SELECT a.arrived_at INTO arrival FROM attendances a
                WHERE a.registration_id = person.id AND a.day = p->>'day';
            END IF;
            RETURN QUERY SELECT 'checked_in'::text, person.id, person.full_name,
                person.organization, person.country, person.category, person.checkin_code,
                arrival, first_arrival;
            RETURN;
        END IF;
        -- The nonce was taken: the Rust path rolls back, and so this scan leaves nothing.
        IF first_arrival THEN
            DELETE FROM attendances WHERE registration_id = person.id AND day = p->>'day';
        END IF;
    END IF;

    -- A scan sent again answers what it answered then (even for someone cancelled since).
    SELECT c.registration_id, c.day, c.first INTO earlier FROM check_ins c
    WHERE c.meeting_id = meeting AND c.nonce = p->>'nonce';
    IF NOT FOUND THEN
        RETURN QUERY SELECT CASE WHEN person.status = p->>'confirmed_status'
                                 THEN 'not_found' ELSE 'not_confirmed' END, NULL::text, NULL::text, NULL::text, NULL::text,
            NULL::text, NULL::text, NULL::timestamp, NULL::boolean;
        RETURN;
    END IF;
    IF earlier.registration_id <> person.id THEN
        RETURN QUERY SELECT 'nonce_taken'::text, NULL::text, NULL::text, NULL::text,
            NULL::text, NULL::text, NULL::text, NULL::timestamp, NULL::boolean;
        RETURN;
    END IF;
    SELECT a.arrived_at INTO arrival FROM attendances a
    WHERE a.registration_id = person.id AND a.day = earlier.day;
    -- An arrival undone since is no longer this scan's.
    RETURN QUERY SELECT 'checked_in'::text, person.id, person.full_name, person.organization,
        person.country, person.category, person.checkin_code, arrival,
        earlier.first AND arrival IS NOT NULL;
END;
$$;
