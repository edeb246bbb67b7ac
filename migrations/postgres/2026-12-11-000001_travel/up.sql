-- Travel support and visa letters, each turned on per meeting.
ALTER TABLE meetings ADD COLUMN travel_support BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE meetings ADD COLUMN visa_letters BOOLEAN NOT NULL DEFAULT false;

-- A participant's travel: what they asked, what the organizer decided and booked. The passport
-- number and the date of birth are sealed by the application (an AEAD under the data key, bound
-- to the registration and the field); the passport's last three characters are all that shows.
CREATE TABLE travel_requests (
    registration_id TEXT PRIMARY KEY NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    funding_requested BOOLEAN NOT NULL,
    departure_city TEXT,
    arrival_date TEXT,
    departure_date TEXT,
    hotel_needed BOOLEAN NOT NULL,
    visa_letter_requested BOOLEAN NOT NULL,
    nationality TEXT,
    passport_sealed BYTEA,
    passport_hint TEXT,
    passport_expiry TEXT,
    birth_date_sealed BYTEA,
    -- approved / declined, with the organizer's note
    funding_decision TEXT,
    decision_note TEXT,
    decided_at TIMESTAMP,
    itinerary TEXT,
    hotel_booking TEXT,
    updated_at TIMESTAMP NOT NULL,
    -- When the sealed fields were purged (30 days after the meeting).
    sensitive_purged_at TIMESTAMP
);
CREATE INDEX travel_requests_meeting ON travel_requests (meeting_id);

-- Issued visa letters. The reference is printed on the letter and checked at /verify/.
CREATE TABLE visa_letters (
    reference TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    issued_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX visa_letters_registration ON visa_letters (registration_id);
