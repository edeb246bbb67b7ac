DROP INDEX invitations_delegation;
DROP INDEX registrations_delegation;
ALTER TABLE registrations DROP COLUMN delegation_id;
DROP TABLE delegations;
