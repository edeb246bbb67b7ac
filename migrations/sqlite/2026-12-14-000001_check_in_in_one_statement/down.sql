-- PostgreSQL's check-in function (see migrations/postgres). SQLite checks in through the Rust
-- code in `checkin::store`: its one writer is in this process, so a round trip costs nothing
-- there.
SELECT 1;
