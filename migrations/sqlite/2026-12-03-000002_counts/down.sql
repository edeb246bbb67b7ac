DROP TRIGGER emails_recounted;
DROP TRIGGER emails_uncounted;
DROP TRIGGER emails_counted;
DROP TRIGGER registrations_recounted;
DROP TRIGGER registrations_uncounted;
DROP TRIGGER registrations_counted;
DROP TABLE meeting_counts;
