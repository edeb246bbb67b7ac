-- PostgreSQL's count triggers lose their dynamic SQL; SQLite's never had it.
SELECT 1;
