-- A claim takes the first due emails in (next_attempt_at, id) order. The index held only
-- (status, next_attempt_at), so each claim read every pending email and sorted them: during a
-- burst of registrations that left 19,000 waiting, a claim of 50 cost about 8 ms on average,
-- and the worker fell further behind the longer the queue. With the id in the index, a claim reads its 50 rows.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
