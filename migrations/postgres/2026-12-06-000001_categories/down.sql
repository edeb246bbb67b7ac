DELETE FROM meeting_counts WHERE dimension = 'category';
DROP INDEX registrations_category_queue;
ALTER TABLE registrations DROP COLUMN category;
DROP TABLE categories;
