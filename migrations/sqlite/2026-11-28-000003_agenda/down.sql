DROP TABLE agenda_changes;
DROP TABLE session_speakers;
DROP TABLE sessions;
DROP TABLE rooms;
