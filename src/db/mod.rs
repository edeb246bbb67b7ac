//! Storage: one connection type over SQLite and PostgreSQL, pools, pragmas and migrations.
//! Opening connections is in `connect.rs`, the read and write pools in `pools.rs`, SQLite's
//! single writer in `writer.rs` and the copying of its log in `checkpointer.rs`; what every
//! store uses on a connection is here.

mod checkpointer;
mod connect;
mod direct;
mod json_call;
mod load;
mod pools;
mod stream;
mod writer;

pub use connect::{connect, connection_lost, ConnectionManager, DatabaseUrl, DbPool, PooledConn};
pub use direct::DirectPg;
pub use json_call::JsonCall;
pub use load::{Reading, RequestLoad};
pub use pools::Pools;
pub use stream::each_row;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::{PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the embedded migrations of the connection's backend. On PostgreSQL an advisory lock
/// keeps two instances starting at once from racing each other.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<()> {
    let result = match conn {
        DbConn::Sqlite(conn) => conn.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Postgres(conn) => {
            conn.batch_execute("SELECT pg_advisory_lock(7346551)")?;
            let result = conn.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            conn.batch_execute("SELECT pg_advisory_unlock(7346551)")?;
            result
        }
    };
    result.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
}

/// On SQLite, merges the search index (dropping deleted rows' trigrams), then copies the
/// write-ahead log into the database file and truncates it, so that old versions of deleted
/// rows are not left in the `-wal` file (`secure_delete` already zeroes them in the database
/// file). Call it outside a transaction, after a deletion commits; it
/// waits (busy timeout) for readers still using the log. Nothing to do on PostgreSQL, whose
/// files are not ours to read (VACUUM reclaims dead rows there).
pub fn checkpoint(conn: &mut DbConn) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    if let DbConn::Sqlite(sqlite) = conn {
        // The search index keeps a deleted row's trigrams in its segments until they are
        // merged; merging them all now drops them (and `secure_delete` zeroes the pages freed).
        // The log is emptied whatever the merge does.
        let merged = diesel::sql_query(
            "INSERT INTO registrations_search (registrations_search) VALUES ('optimize')",
        )
        .execute(sqlite);
        let outcome: Outcome =
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(sqlite)?;
        merged?;
        if outcome.busy != 0 {
            anyhow::bail!("a reader kept the write-ahead log busy");
        }
    }
    Ok(())
}

/// Runs a statement that compiles only on each backend's own connection, not through
/// `DbConn` (an upsert such as `ON CONFLICT DO NOTHING`): the same code, once per variant.
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, $each:ident => $statement:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($each) => $statement,
            $crate::db::DbConn::Sqlite($each) => $statement,
        }
    };
}

/// True for the error a UNIQUE constraint raises, on either backend.
pub fn unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Now, in UTC, cut to microseconds: PostgreSQL keeps no more, and both backends must agree.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

pub fn truncate(at: NaiveDateTime) -> NaiveDateTime {
    let micros = at.nanosecond() / 1_000 * 1_000;
    at.with_nanosecond(micros).unwrap_or(at)
}

/// A time as a JSON argument of a PostgreSQL function gets it: text, to the microsecond, as
/// diesel binds a timestamp, so the function stores what the Rust path would.
pub fn timestamp_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// A new id: UUIDv7, so ids sort by creation time (used by cursors).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Answers whether the database can run a query now.
pub fn ping(conn: &mut DbConn) -> bool {
    diesel::sql_query("SELECT 1").execute(conn).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_names(dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A scratch SQLite database with one table, and pools over it.
    pub(super) fn scratch() -> (tempfile::TempDir, Pools, DatabaseUrl) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let mut conn = connect(&url).unwrap();
        migrate(&mut conn).unwrap();
        conn.batch_execute("CREATE TABLE t (n INTEGER NOT NULL)")
            .unwrap();
        let pools = Pools::open(&url, 4).unwrap();
        (dir, pools, url)
    }

    pub(super) fn insert(conn: &mut DbConn) {
        conn.batch_execute("INSERT INTO t (n) VALUES (1)").unwrap();
    }

    pub(super) fn count(conn: &mut DbConn) -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM t)",
        ))
        .get_result(conn)
        .unwrap()
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = folder_names(&format!("{root}/migrations/sqlite"));
        let postgres = folder_names(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn timestamps_are_cut_to_microseconds() {
        let at = now();
        assert_eq!(at.nanosecond() % 1_000, 0);
    }
}
