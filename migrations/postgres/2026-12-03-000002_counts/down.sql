DROP TRIGGER registrations_recounted ON registrations;
DROP TRIGGER registrations_counted ON registrations;
DROP FUNCTION registrations_counted();
DROP FUNCTION count_registration(registrations, BIGINT);
DROP TABLE meeting_counts;
