-- After a meeting's personal data is purged, its anonymous counts stay (JSON).
ALTER TABLE meetings ADD COLUMN purged_at TIMESTAMP;
ALTER TABLE meetings ADD COLUMN purged_counts TEXT;
