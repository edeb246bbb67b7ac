//! Opening connections: which backend a URL names, the connection manager the pools use, and
//! SQLite's pragmas on each new connection.

use super::DbConn;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use std::sync::atomic::{AtomicI64, Ordering};

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

/// Creates a new SQLite file as 0600 before SQLite opens it: SQLite would make it 0644 (less
/// the umask), and it gives the `-wal` and `-shm` files the database file's mode.
fn create_private(path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.starts_with(':') || path.starts_with("file:") || path.is_empty() {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

pub fn connect(url: &DatabaseUrl) -> Result<DbConn, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConn::Postgres),
        DatabaseUrl::Sqlite(path) => {
            create_private(path)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            let mut conn = SqliteConnection::establish(path)?;
            // temp_store = MEMORY also keeps savepoint journals in memory: each grouped write
            // runs in a savepoint, whose journal otherwise spills to a temporary file (create,
            // write, delete) once a write touches more than 64 KiB of pages.
            // secure_delete = ON zeroes deleted rows and freed pages, so that a deleted
            // participant's text is not left readable in the file (see also `checkpoint`).
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                 PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
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

    /// Asked at every checkout on PostgreSQL, it asks the server only in the seconds after a
    /// connection was found lost ([`connection_lost`]): a server that restarted leaves every
    /// pooled connection dead, and these are then found and replaced before use. Asking at
    /// every checkout would cost each request a round trip; without it, each dead connection
    /// fails one request (a 503, nothing written) before it is found.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        if !lately_lost() {
            return Ok(());
        }
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection given back inside a transaction (work that panicked half-way) is closed,
    /// which rolls it back, rather than handed to the next caller; so is one that the work
    /// using it found lost ([`connection_lost`], on this thread: the work runs on the thread
    /// that gives the connection back).
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        LOST_HERE.take()
            || <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// When a connection was last found lost, in milliseconds since the Unix epoch (0: never).
static LOST_AT_MS: AtomicI64 = AtomicI64::new(0);
/// How long after a lost connection every checkout asks the server first.
const SUSPICION_MS: i64 = 30_000;

fn epoch_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

thread_local! {
    /// Whether work on this thread found its connection lost since the last connection was
    /// given back here.
    static LOST_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records that a connection to the database was found closed: it is not given out again,
/// and for a while checkouts test their connection before handing it out.
pub fn connection_lost() {
    LOST_HERE.set(true);
    LOST_AT_MS.store(epoch_ms(), Ordering::Relaxed);
}

fn lately_lost() -> bool {
    let at = LOST_AT_MS.load(Ordering::Relaxed);
    at != 0 && epoch_ms() - at < SUSPICION_MS
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::scratch;
    use crate::error::AppResult;
    use diesel::RunQueryDsl;

    #[actix_web::test]
    async fn sqlite_connections_keep_savepoint_journals_in_memory() {
        let (_dir, pools, _url) = scratch();
        let pragma = |conn: &mut DbConn| -> AppResult<i32> {
            Ok(
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                    "(SELECT temp_store FROM pragma_temp_store)",
                ))
                .get_result(conn)?,
            )
        };
        // 2 is MEMORY: the writer's savepoints then never create a temporary file.
        assert_eq!(pools.write(pragma).await.unwrap(), 2);
        assert_eq!(pools.read(pragma).await.unwrap(), 2);
    }

    #[actix_web::test]
    async fn sqlite_connections_zero_deleted_content() {
        let (_dir, pools, _url) = scratch();
        let pragma = |conn: &mut DbConn| -> AppResult<i32> {
            Ok(
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                    "(SELECT secure_delete FROM pragma_secure_delete)",
                ))
                .get_result(conn)?,
            )
        };
        // Debian's SQLite is built with it on; a bundled or other build is not.
        assert_eq!(pools.write(pragma).await.unwrap(), 1);
        assert_eq!(pools.read(pragma).await.unwrap(), 1);
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
}
