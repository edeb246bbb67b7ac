-- A public registration in one statement: what `registrations::store::signup` does on SQLite,
-- the same statements in the same order, without a round trip between them. (One difference:
-- when the insert meets the same address registered a moment ago, only an organisation made
-- here is removed, where the Rust path sweeps the one it found too if nothing names it.) The Rust side decides
-- everything it can before (the meeting is open, the category, the ids, the texts and payloads)
-- and passes it in `p`; see `registrations::store::signup_pg` for each field.
--
-- It answers one row: `registered`, `known` (the address was registered: its link went out
-- again, at most once an hour) or `rate_limited` with the oldest attempt in the window.
-- Nothing here fails on purpose: a duplicate is found by looking, never by a refused insert,
-- which would write the address into the server's log.

-- Emails a registered address its link again (confirm while unconfirmed, else manage), unless
-- one went out within the interval. One statement decides, so racing requests send one email.
CREATE FUNCTION convene_resend_link(p jsonb, known_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    known record;
BEGIN
    UPDATE registrations SET link_resent_at = (p->>'now')::timestamp
    WHERE id = known_id
      AND (link_resent_at IS NULL OR link_resent_at <= (p->>'resend_before')::timestamp)
    RETURNING meeting_id, email, status INTO known;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO outbox (id, kind, meeting_id, registration_id, recipient, payload, status,
                        attempts, next_attempt_at, created_at)
    SELECT p->>'outbox_id', mail->>'kind', known.meeting_id, known_id, known.email,
           mail->>'payload', p->>'outbox_status', 0, (p->>'now')::timestamp,
           (p->>'now')::timestamp
    FROM (SELECT CASE WHEN known.status = p->>'pending_status'
                      THEN p->'confirm_mail' ELSE p->'known_mail' END AS mail) chosen;
END;
$$;

CREATE FUNCTION convene_register(p jsonb)
RETURNS TABLE (outcome text, oldest_attempt timestamp)
LANGUAGE plpgsql AS $$
DECLARE
    at_now timestamp := (p->>'now')::timestamp;
    meeting text := p->>'meeting_id';
    attempts_made bigint;
    oldest timestamp;
    known record;
    organization text;
    organization_made boolean := false;
    needed text;
BEGIN
    -- Every value the inserts need is given: a missing one would fail a NOT NULL constraint,
    -- and PostgreSQL would log the failing row (an address, a name) with the error.
    FOREACH needed IN ARRAY ARRAY['now', 'meeting_id', 'attempts_since', 'attempt_id', 'email',
        'email_key', 'again', 'resend_before', 'org_id', 'org_name', 'org_key', 'org_kind',
        'org_country', 'id', 'category', 'checkin_code', 'full_name', 'country', 'language',
        'press_listing', 'search_text', 'answers', 'pending_status', 'outbox_status',
        'outbox_id', 'audit_id', 'audit_actor', 'audit_action'] LOOP
        IF p->>needed IS NULL THEN
            RAISE EXCEPTION 'convene_register: % is missing', needed;
        END IF;
    END LOOP;
    IF p->'confirm_mail'->>'payload' IS NULL OR p->'known_mail'->>'payload' IS NULL
       OR p->'confirm_mail'->>'kind' IS NULL OR p->'known_mail'->>'kind' IS NULL THEN
        RAISE EXCEPTION 'convene_register: an email is missing';
    END IF;
    -- The client's attempts in the window: refused at the limit, else this one counts.
    IF p->>'client_key' IS NOT NULL THEN
        SELECT count(*), min(recent.at) INTO attempts_made, oldest
        FROM (SELECT a.at FROM registration_attempts a
              WHERE a.meeting_id = meeting AND a.client_key = p->>'client_key'
                AND a.at > (p->>'attempts_since')::timestamp
              ORDER BY a.at LIMIT (p->>'attempt_limit')::bigint) recent;
        IF attempts_made >= (p->>'attempt_limit')::bigint THEN
            RETURN QUERY SELECT 'rate_limited'::text, oldest;
            RETURN;
        END IF;
        INSERT INTO registration_attempts (id, meeting_id, client_key, at)
        VALUES (p->>'attempt_id', meeting, p->>'client_key', at_now);
    END IF;

    -- An address registered before: set aside when it may register again, else its link.
    SELECT r.id, r.status, r.email_key INTO known FROM registrations r
    WHERE r.meeting_id = meeting AND r.email_key = p->>'email_key';
    IF FOUND THEN
        IF p->'again' ? known.status THEN
            UPDATE registrations SET email_key = known.email_key || ' ' || known.id
            WHERE id = known.id;
        ELSE
            PERFORM convene_resend_link(p, known.id);
            RETURN QUERY SELECT 'known'::text, NULL::timestamp;
            RETURN;
        END IF;
    END IF;

    -- The organisation, made on first mention; held (FOR KEY SHARE) until this commits, so that
    -- a sweep of unused organisations cannot take it in between.
    SELECT o.id INTO organization FROM organizations o
    WHERE o.name_key = p->>'org_key' AND o.country = p->>'org_country' FOR KEY SHARE;
    IF NOT FOUND THEN
        INSERT INTO organizations (id, name, name_key, kind, country, created_at)
        VALUES (p->>'org_id', p->>'org_name', p->>'org_key', p->>'org_kind', p->>'org_country',
                at_now)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            organization := p->>'org_id';
            organization_made := true;
        ELSE
            SELECT o.id INTO STRICT organization FROM organizations o
            WHERE o.name_key = p->>'org_key' AND o.country = p->>'org_country' FOR KEY SHARE;
        END IF;
    END IF;

    INSERT INTO registrations (id, meeting_id, email, email_key, consent_data_processing, status,
        created_at, status_changed_at, updated_at, checkin_code, category, full_name,
        organization_id, job_title, country, language, dietary, accessibility, interpretation,
        consent_press_listing, search_text, answers)
    VALUES (p->>'id', meeting, p->>'email', p->>'email_key', true, p->>'pending_status',
        at_now, at_now, at_now, p->>'checkin_code', p->>'category', p->>'full_name',
        organization, p->>'job_title', p->>'country', p->>'language', p->>'dietary',
        p->>'accessibility', p->>'interpretation', (p->>'press_listing')::boolean,
        p->>'search_text', p->>'answers')
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        -- The same address registered a moment ago, in a transaction of its own. An
        -- organisation made here is seen by no one else yet: it goes.
        IF organization_made THEN
            DELETE FROM organizations WHERE id = organization;
        END IF;
        SELECT r.id INTO STRICT known FROM registrations r
        WHERE r.meeting_id = meeting AND r.email_key = p->>'email_key';
        PERFORM convene_resend_link(p, known.id);
        RETURN QUERY SELECT 'known'::text, NULL::timestamp;
        RETURN;
    END IF;

    INSERT INTO audit_log (id, at, actor, action, meeting_id, subject_id, detail)
    VALUES (p->>'audit_id', at_now, p->>'audit_actor', p->>'audit_action', meeting, p->>'id',
            p->>'pending_status');
    -- The webhooks that want the event, as `webhooks::store::queue` writes them.
    IF p->'hook' IS NOT NULL THEN
        INSERT INTO webhook_deliveries (id, webhook_id, meeting_id, subject_id, event, payload,
                                        status, attempts, next_attempt_at, created_at)
        SELECT p->'hook'->>'prefix' || w.id, w.id, w.meeting_id, p->>'id', p->'hook'->>'event',
               p->'hook'->>'payload', p->'hook'->>'status', 0, at_now, at_now
        FROM webhooks w
        WHERE w.meeting_id = meeting AND w.disabled_at IS NULL
          AND ' ' || w.events || ' ' LIKE p->'hook'->>'wanted';
    END IF;
    INSERT INTO outbox (id, kind, meeting_id, registration_id, recipient, payload, status,
                        attempts, next_attempt_at, created_at)
    VALUES (p->>'outbox_id', p->'confirm_mail'->>'kind', meeting, p->>'id', p->>'email',
            p->'confirm_mail'->>'payload', p->>'outbox_status', 0, at_now, at_now);
    RETURN QUERY SELECT 'registered'::text, NULL::timestamp;
END;
$$;
