-- PostgreSQL's registration function (see migrations/postgres). SQLite registers through the
-- Rust code in `registrations::store::signup`: its one writer is in this process, so a round
-- trip costs nothing there.
SELECT 1;
