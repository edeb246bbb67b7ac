//! Storage: one connection type over SQLite and PostgreSQL, pools, pragmas and migrations.

use crate::error::{AppError, AppResult};
use anyhow::Context;
use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a request waits for a database connection before it answers 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL points at, decided by its scheme and never by trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if raw.contains("://") {
            anyhow::bail!("unsupported database URL scheme (use a SQLite path, sqlite://path or postgres://…)");
        }
        if raw.is_empty() {
            anyhow::bail!("the database URL is empty");
        }
        Ok(Self::Sqlite(raw.to_owned()))
    }

    /// What to print in logs: the backend and where, never a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite file {path}"),
            Self::Postgres(url) => {
                let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                let host_and_db = after_scheme
                    .rsplit_once('@')
                    .map_or(after_scheme, |(_, rest)| rest);
                let without_query = host_and_db.split('?').next().unwrap_or(host_and_db);
                format!("postgresql {without_query}")
            }
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// Opens connections of the backend the URL names, with SQLite's pragmas on each.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

pub fn connect(url: &DatabaseUrl) -> Result<DbConn, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConn::Postgres),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
            )
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        connect(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// Reads and writes go through separate pools. On SQLite the writer pool holds one connection:
/// a deferred transaction that reads and then writes fails at once when another connection
/// committed in between, so writes are serialised here rather than left to the busy timeout.
///
/// Work waits for a connection in a fair queue (a semaphore with one permit per connection)
/// rather than in r2d2, whose waiters wake in no particular order: under a burst the unlucky ones
/// would wait past the pool timeout while later ones got through.
#[derive(Clone)]
pub struct Pools {
    pub read: DbPool,
    pub write: DbPool,
    pub url: DatabaseUrl,
    read_queue: Arc<Semaphore>,
    write_queue: Arc<Semaphore>,
    /// Background work (the email worker) passes through this first, so that at most this many
    /// of its writes stand in the write queue ahead of a request's.
    background_lane: Arc<Semaphore>,
}

impl Pools {
    pub fn open(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<Self> {
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // A PostgreSQL connection can die with its server; a SQLite one is a file
                // handle, and a check before every use would only cost a statement.
                .test_on_check_out(!url.is_sqlite())
                .connection_timeout(CHECKOUT_TIMEOUT)
                .build(ConnectionManager::new(url.clone()))
                .with_context(|| format!("cannot open {}", url.describe()))
        };
        match url {
            DatabaseUrl::Sqlite(_) => {
                // Reads are short and this is a small server: a few readers, each with its own cache.
                let readers = max_connections.clamp(1, 4);
                Ok(Self {
                    write: build(1)?,
                    read: build(readers)?,
                    url: url.clone(),
                    read_queue: Arc::new(Semaphore::new(readers as usize)),
                    write_queue: Arc::new(Semaphore::new(1)),
                    background_lane: Arc::new(Semaphore::new(1)),
                })
            }
            DatabaseUrl::Postgres(_) => {
                let size = max_connections.max(2);
                let pool = build(size)?;
                // One pool, one queue: reads and writes share the connections.
                let queue = Arc::new(Semaphore::new(size as usize));
                Ok(Self {
                    read: pool.clone(),
                    write: pool,
                    url: url.clone(),
                    read_queue: queue.clone(),
                    write_queue: queue,
                    background_lane: Arc::new(Semaphore::new((size as usize / 2).max(1))),
                })
            }
        }
    }
}

impl Pools {
    /// Runs blocking diesel work on a pooled read connection, off the async executor.
    pub async fn read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = take_turn(&self.read_queue).await?;
        let pool = self.read.clone();
        actix_web::web::block(move || work(&mut *pool.get()?)).await?
    }

    /// A write of background work: it queues behind at most a few others of its kind, so a
    /// request's write never waits behind a pile of them (on SQLite, behind more than one).
    pub async fn write_background<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _lane = take_turn(&self.background_lane).await?;
        self.write(work).await
    }

    /// Like `read`, on the writer pool (one connection on SQLite).
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = take_turn(&self.write_queue).await?;
        let pool = self.write.clone();
        actix_web::web::block(move || work(&mut *pool.get()?)).await?
    }
}

/// A place at a connection, waiting in line no longer than a pool checkout may take: when the
/// database is away, the queue answers 503 rather than growing without end.
async fn take_turn(queue: &Semaphore) -> AppResult<SemaphorePermit<'_>> {
    match tokio::time::timeout(CHECKOUT_TIMEOUT, queue.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Unavailable),
    }
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

/// True for the error a UNIQUE constraint raises, on either backend.
pub fn unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

pub fn is_busy_message(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// Now, in UTC, cut to microseconds: PostgreSQL keeps no more, and both backends must agree.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

pub fn truncate(at: NaiveDateTime) -> NaiveDateTime {
    let micros = at.nanosecond() / 1_000 * 1_000;
    at.with_nanosecond(micros).unwrap_or(at)
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

    #[test]
    fn both_backends_have_the_same_migrations() {
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = folder_names(&format!("{root}/migrations/sqlite"));
        let postgres = folder_names(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn urls_pick_the_backend_by_scheme() {
        assert!(DatabaseUrl::parse("convene.db").unwrap().is_sqlite());
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(!DatabaseUrl::parse("postgres://u:p@h/db")
            .unwrap()
            .is_sqlite());
        assert!(DatabaseUrl::parse("postgress://u@h/db").is_err());
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        let described = DatabaseUrl::parse("postgres://u:secret@h:5432/db?x=1")
            .unwrap()
            .describe();
        assert_eq!(described, "postgresql h:5432/db");
    }

    #[test]
    fn timestamps_are_cut_to_microseconds() {
        let at = now();
        assert_eq!(at.nanosecond() % 1_000, 0);
    }
}
