-- Search ignores accents and case: the search key is now folded by the application (which
-- alone knows Unicode), so every key is emptied here and written anew, folded, at the next
-- start (`registrations::store::refold_search_text`).
UPDATE registrations SET search_text = '';
-- A trigram index over the keys (FTS5, external content: it holds only the index), so that a
-- search reads the rows that contain the text instead of every row of the meeting. Triggers
-- keep it in step with the table.
CREATE VIRTUAL TABLE registrations_search USING fts5(
    search_text, content = 'registrations', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER registrations_search_added AFTER INSERT ON registrations BEGIN
    INSERT INTO registrations_search (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;
CREATE TRIGGER registrations_search_removed AFTER DELETE ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, search_text)
    VALUES ('delete', OLD.rowid, OLD.search_text);
END;
CREATE TRIGGER registrations_search_changed AFTER UPDATE OF search_text ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, search_text)
    VALUES ('delete', OLD.rowid, OLD.search_text);
    INSERT INTO registrations_search (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;
INSERT INTO registrations_search (registrations_search) VALUES ('rebuild');
