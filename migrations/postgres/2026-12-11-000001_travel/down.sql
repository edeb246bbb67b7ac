DROP TABLE visa_letters;
DROP TABLE travel_requests;
ALTER TABLE meetings DROP COLUMN visa_letters;
ALTER TABLE meetings DROP COLUMN travel_support;
