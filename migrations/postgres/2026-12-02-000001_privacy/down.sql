DROP INDEX registrations_organization;
DROP INDEX outbox_registration;
ALTER TABLE session_speakers DROP COLUMN public;
ALTER TABLE meetings DROP COLUMN approval_threshold;
DROP INDEX registrations_client;
ALTER TABLE registrations DROP COLUMN client_key;
ALTER TABLE registrations DROP COLUMN link_resent_at;
