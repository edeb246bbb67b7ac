DROP INDEX registrations_press;
DROP INDEX tokens_meeting_kind;
DROP TABLE press_access_log;
