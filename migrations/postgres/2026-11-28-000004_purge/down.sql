ALTER TABLE meetings DROP COLUMN purged_counts;
ALTER TABLE meetings DROP COLUMN purged_at;
