-- Search ignores accents and case: the search key is now folded by the application (which
-- alone knows Unicode), so every key is emptied here and written anew, folded, at the next
-- start (`registrations::store::refold_search_text`).
UPDATE registrations SET search_text = '';
-- A trigram index over the keys, so that a search for a part of a name reads the rows that
-- contain it instead of every row of the meeting. pg_trgm ships with PostgreSQL and is a
-- trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX registrations_search ON registrations USING gin (search_text gin_trgm_ops);
