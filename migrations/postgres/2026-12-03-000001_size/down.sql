CREATE INDEX registrations_meeting_status ON registrations (meeting_id, status);
DROP INDEX registrations_waiting_order;
DROP INDEX registrations_meeting_status_order;
DROP INDEX registrations_meeting_order;
