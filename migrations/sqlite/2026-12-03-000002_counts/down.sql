DROP TRIGGER registrations_recounted;
DROP TRIGGER registrations_uncounted;
DROP TRIGGER registrations_counted;
DROP TABLE meeting_counts;
