ALTER TABLE registrations DROP COLUMN answers;
DROP TABLE questions;
