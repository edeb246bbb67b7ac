-- Webhooks: an organizer's receiver of a meeting's events, and its deliveries, queued in the
-- transaction of the change (the audit entry's) and sent by the webhook worker.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    url TEXT NOT NULL,
    -- The events sent, separated by spaces: "registration.created registration.confirmed".
    events TEXT NOT NULL,
    -- The signing secret (HMAC-SHA256): the receiver holds it too, so it is kept as it is.
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Set when the receiver answered 410 Gone: nothing more is sent.
    disabled_at TIMESTAMP
);
CREATE INDEX webhooks_meeting ON webhooks (meeting_id);

-- `seq` orders the deliveries as they were queued, several in one transaction included.
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    -- No foreign key: a registration queuing a delivery must never wait on, or fail with, a
    -- webhook being removed at that moment; removing a webhook removes its deliveries.
    webhook_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    subject_id TEXT,
    event TEXT NOT NULL,
    -- The event as sent, without the delivery's own id (added when it is signed).
    payload TEXT NOT NULL,
    -- pending / sent / dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, seq);
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subject_id, seq);
