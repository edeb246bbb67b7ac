DROP INDEX registrations_search;
