DROP TABLE audit_log;
DROP TABLE outbox;
DROP TABLE tokens;
DROP TABLE registrations;
DROP TABLE meeting_organizers;
DROP TABLE meetings;
DROP TABLE organizations;
DROP TABLE accounts;
