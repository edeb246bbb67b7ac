DROP INDEX registrations_organization;
DROP INDEX press_access_log_token;
DROP INDEX session_speakers_registration;
DROP INDEX outbox_registration;
ALTER TABLE session_speakers DROP COLUMN public;
ALTER TABLE meetings DROP COLUMN approval_threshold;
DROP TABLE registration_attempts;
ALTER TABLE registrations DROP COLUMN link_resent_at;
