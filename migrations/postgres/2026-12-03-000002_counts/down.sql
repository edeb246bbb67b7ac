DROP TRIGGER emails_uncounted ON outbox;
DROP TRIGGER emails_recounted ON outbox;
DROP TRIGGER emails_counted ON outbox;
DROP FUNCTION emails_counted();
DROP TRIGGER registrations_uncounted ON registrations;
DROP TRIGGER registrations_recounted ON registrations;
DROP TRIGGER registrations_counted ON registrations;
DROP FUNCTION registrations_counted();
DROP TABLE meeting_counts;
