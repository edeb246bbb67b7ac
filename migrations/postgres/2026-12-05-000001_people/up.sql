-- A person's page in the dashboard shows their history: the audit entries about them.
CREATE INDEX audit_log_subject ON audit_log (subject_id, at);
-- The organizer's table by name, ignoring case and accents: the folded key starts with the name.
CREATE INDEX registrations_meeting_name ON registrations (meeting_id, search_text, id);
-- Practical information for participants: where exactly, and whom to write to (also the
-- Reply-To of the meeting's emails).
ALTER TABLE meetings ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN contact_email TEXT;
