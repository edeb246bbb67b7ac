-- PostgreSQL's counters take their shard from the connection (see migrations/postgres).
-- SQLite has one writer and keeps every count in shard 0.
SELECT 1;
