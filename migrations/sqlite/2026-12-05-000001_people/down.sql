ALTER TABLE meetings DROP COLUMN contact_email;
ALTER TABLE meetings DROP COLUMN address;
DROP INDEX registrations_meeting_name;
DROP INDEX audit_log_subject;
