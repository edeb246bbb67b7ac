DROP TABLE attendances;
DROP TABLE check_ins;
DROP INDEX registrations_updated;
ALTER TABLE registrations DROP COLUMN updated_at;
DROP INDEX registrations_checkin_code;
ALTER TABLE registrations DROP COLUMN checkin_code;
ALTER TABLE meetings DROP COLUMN signatory_title;
ALTER TABLE meetings DROP COLUMN signatory_name;
