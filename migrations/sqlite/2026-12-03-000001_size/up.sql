-- Reads that stay flat however large a meeting grows. Registration ids are time-ordered
-- (UUIDv7), so the organizer's list, its pages and its exports walk a meeting in id order on
-- an index that starts with the meeting: no read sorts the meeting.
CREATE INDEX registrations_meeting_order ON registrations (meeting_id, id);
-- The same walk within one status (the list filtered by status, the press list's count).
CREATE INDEX registrations_meeting_status_order ON registrations (meeting_id, status, id);
-- The waiting list in queue order: positions are counted on it, and seats given from its head.
CREATE INDEX registrations_waiting_order ON registrations (meeting_id, status, queue_ticket);
-- Both start with what this one held.
DROP INDEX registrations_meeting_status;
