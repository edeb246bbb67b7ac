ALTER TABLE meetings DROP COLUMN invitation_reminder_days;
DROP TABLE invitations;
