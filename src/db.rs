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

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection given back inside a transaction (work that panicked half-way) is closed,
    /// which rolls it back, rather than handed to the next caller.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// Reads and writes go through separate pools. On SQLite the writer pool holds one connection,
/// used by one thread ([`SqliteWriter`]): a deferred transaction that reads and then writes fails
/// at once when another connection committed in between, so writes are serialised here rather
/// than left to the busy timeout.
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
    /// SQLite's writes, run in groups by one thread.
    writer: Option<Arc<SqliteWriter>>,
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
                let write = build(1)?;
                Ok(Self {
                    writer: Some(Arc::new(SqliteWriter::start(write.clone())?)),
                    write,
                    read: build(readers)?,
                    url: url.clone(),
                    read_queue: Arc::new(Semaphore::new(readers as usize)),
                    write_queue: Arc::new(Semaphore::new(WRITE_GROUP)),
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
                    writer: None,
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
        on_pool(&self.read, work).await
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

    /// A write. On SQLite it joins the writer's next group, in a savepoint of its own: all of
    /// `work` or none of it.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = take_turn(&self.write_queue).await?;
        match &self.writer {
            Some(writer) => writer.send(work, false).await,
            None => on_pool(&self.write, work).await,
        }
    }

    /// A write that deletes personal data: as `write`, then, on SQLite, the write-ahead log is
    /// copied into the database file and emptied ([`checkpoint`]) before the answer, so the
    /// deleted rows' old pages do not stay readable in the `-wal` file.
    pub async fn erase<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = take_turn(&self.write_queue).await?;
        match &self.writer {
            Some(writer) => writer.send(work, true).await,
            None => on_pool(&self.write, work).await,
        }
    }

    /// `erase` for background work, queued as `write_background`.
    pub async fn erase_background<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _lane = take_turn(&self.background_lane).await?;
        self.erase(work).await
    }

    /// Work on the write connection outside any transaction of ours, such as migrations, which
    /// manage their own.
    pub async fn write_apart<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        on_pool(&self.write, work).await
    }
}

/// Runs blocking diesel work on a connection from `pool`, off the async executor.
async fn on_pool<T, F>(pool: &DbPool, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || work(&mut *pool.get()?)).await?
}

/// At most this many SQLite writes share one transaction (and so wait in the queue at once).
const WRITE_GROUP: usize = 64;

/// SQLite's single writer: a thread that runs the queued writes in groups, each write in a
/// savepoint of one transaction per group, and answers the writes of a group only once it is
/// committed. Writes that queued while the previous group ran then share one commit, and the
/// pages several of them touch (the newest leaf of each index, the meeting's counter) are
/// appended to the log once instead of once per write.
struct SqliteWriter {
    queue: std::sync::mpsc::Sender<Box<dyn GroupedWrite>>,
}

/// One queued write, whatever its result type.
trait GroupedWrite: Send {
    /// Runs the write in a savepoint of the group's transaction; a failed write is rolled back
    /// alone.
    fn run(&mut self, conn: &mut DbConn);
    /// Answers the write's outcome, or the group's failure to commit.
    fn answer(self: Box<Self>, group_failed: Option<&diesel::result::Error>);
    /// Whether the log is to be emptied once the group commits (the write deleted personal data).
    fn checkpoint(&self) -> bool;
}

struct Queued<T, F> {
    work: Option<F>,
    outcome: Option<AppResult<T>>,
    reply: tokio::sync::oneshot::Sender<AppResult<T>>,
    checkpoint: bool,
}

impl<T, F> GroupedWrite for Queued<T, F>
where
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut DbConn) {
        if let Some(work) = self.work.take() {
            self.outcome = Some(conn.transaction(work));
        }
    }

    fn answer(self: Box<Self>, group_failed: Option<&diesel::result::Error>) {
        let outcome = match group_failed {
            Some(error) if crate::error::is_busy_message(&error.to_string()) => {
                Err(AppError::Unavailable)
            }
            Some(error) => Err(AppError::Unexpected(anyhow::anyhow!(
                "the write's group did not commit: {error}"
            ))),
            None => self.outcome.unwrap_or(Err(AppError::Unavailable)),
        };
        let _ = self.reply.send(outcome);
    }

    fn checkpoint(&self) -> bool {
        self.checkpoint
    }
}

impl SqliteWriter {
    fn start(pool: DbPool) -> anyhow::Result<Self> {
        let (queue, queued) = std::sync::mpsc::channel::<Box<dyn GroupedWrite>>();
        std::thread::Builder::new()
            .name("convene-writer".into())
            .spawn(move || {
                // Ends when every `Pools` is gone.
                while let Ok(first) = queued.recv() {
                    let mut group = vec![first];
                    group.extend(queued.try_iter().take(WRITE_GROUP - 1));
                    Self::commit(&pool, group);
                }
            })?;
        Ok(Self { queue })
    }

    fn commit(pool: &DbPool, mut group: Vec<Box<dyn GroupedWrite>>) {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(error) => {
                let error = diesel::result::Error::QueryBuilderError(error.to_string().into());
                return group.into_iter().for_each(|w| w.answer(Some(&error)));
            }
        };
        let committed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            conn.transaction(|conn| {
                take_write_lock(conn)?;
                group.iter_mut().for_each(|write| write.run(conn));
                Ok::<_, diesel::result::Error>(())
            })
        }));
        match committed {
            Ok(Ok(())) => {
                // After the commit, outside any transaction, and before answering: whoever
                // asked for a deletion finds the log already emptied.
                if group.iter().any(|w| w.checkpoint()) {
                    if let Err(error) = checkpoint(&mut conn) {
                        tracing::warn!(error.cause = %error, "cannot empty the write-ahead log");
                    }
                }
                group.into_iter().for_each(|w| w.answer(None))
            }
            Ok(Err(error)) => group.into_iter().for_each(|w| w.answer(Some(&error))),
            Err(_) => {
                // A write panicked inside the transaction: the connection is dropped broken
                // (see `has_broken`), which rolls the whole group back.
                let error = diesel::result::Error::RollbackTransaction;
                group.into_iter().for_each(|w| w.answer(Some(&error)));
            }
        }
    }

    async fn send<T, F>(&self, work: F, checkpoint: bool) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let queued = Queued {
            work: Some(work),
            outcome: None,
            reply,
            checkpoint,
        };
        self.queue
            .send(Box::new(queued))
            .map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
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

/// On SQLite, copies the write-ahead log into the database file and truncates it, so that old
/// versions of deleted rows are not left in the `-wal` file (`secure_delete` already zeroes
/// them in the database file). Call it outside a transaction, after a deletion commits; it
/// waits (busy timeout) for readers still using the log. Nothing to do on PostgreSQL, whose
/// files are not ours to read (VACUUM reclaims dead rows there).
pub fn checkpoint(conn: &mut DbConn) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    if let DbConn::Sqlite(sqlite) = conn {
        let outcome: Outcome =
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(sqlite)?;
        if outcome.busy != 0 {
            anyhow::bail!("a reader kept the write-ahead log busy");
        }
    }
    Ok(())
}

/// Takes SQLite's write lock first thing in a transaction, with a write that changes nothing,
/// as `BEGIN IMMEDIATE` would (which the shared connection type cannot issue). A transaction
/// that reads first and writes after another process committed (two servers on one file) fails
/// at once with "database is locked", whatever the busy timeout; one that starts by writing
/// waits its turn.
fn take_write_lock(conn: &mut DbConn) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE __diesel_schema_migrations SET version = version WHERE 0")
        .execute(conn)
        .map(|_| ())
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
    fn scratch() -> (tempfile::TempDir, Pools, DatabaseUrl) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let mut conn = connect(&url).unwrap();
        migrate(&mut conn).unwrap();
        conn.batch_execute("CREATE TABLE t (n INTEGER NOT NULL)")
            .unwrap();
        let pools = Pools::open(&url, 4).unwrap();
        (dir, pools, url)
    }

    fn insert(conn: &mut DbConn) {
        conn.batch_execute("INSERT INTO t (n) VALUES (1)").unwrap();
    }

    fn count(conn: &mut DbConn) -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM t)",
        ))
        .get_result(conn)
        .unwrap()
    }

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

    #[actix_web::test]
    async fn a_write_that_reads_first_waits_for_another_process_instead_of_failing() {
        let (_dir, pools, url) = scratch();
        let (read_done, other_may_write) = std::sync::mpsc::channel::<()>();
        let (other_wrote, wrote) = std::sync::mpsc::channel::<()>();
        // Another process on the same file: a plain connection, with the same busy timeout.
        let other = std::thread::spawn(move || {
            let mut conn = connect(&url).unwrap();
            other_may_write.recv().unwrap();
            conn.batch_execute("INSERT INTO t (n) VALUES (2)").unwrap();
            let _ = other_wrote.send(());
        });
        let outcome = pools
            .write(move |conn| {
                let before = count(conn);
                read_done.send(()).unwrap();
                // Without the lock taken up front, the other process commits here, and the
                // write below fails at once on the stale snapshot.
                let _ = wrote.recv_timeout(Duration::from_millis(500));
                conn.batch_execute("INSERT INTO t (n) VALUES (1)")?;
                Ok(before)
            })
            .await;
        other.join().unwrap();
        assert_eq!(outcome.unwrap(), 0);
        assert_eq!(pools.read(|conn| Ok(count(conn))).await.unwrap(), 2);
    }

    #[actix_web::test]
    async fn sqlite_writes_queued_together_share_one_commit() {
        let (_dir, pools, url) = scratch();
        // The first write holds the writer while the others queue behind it.
        let first = pools.write(|conn| {
            std::thread::sleep(Duration::from_millis(100));
            insert(conn);
            Ok(())
        });
        let later = (0..10).map(|_| {
            let url = url.clone();
            pools.write(move |conn| {
                insert(conn);
                // The writer's connection sees its group's writes so far; another connection
                // sees only what is committed.
                Ok((count(conn), count(&mut connect(&url).unwrap())))
            })
        });
        let (first, later) =
            futures_util::future::join(first, futures_util::future::join_all(later)).await;
        first.unwrap();
        let seen: Vec<(i64, i64)> = later.into_iter().map(Result::unwrap).collect();
        assert!(
            seen.iter().any(|(own, committed)| own - committed > 1),
            "several writes in one transaction: {seen:?}"
        );
        assert_eq!(count(&mut connect(&url).unwrap()), 11, "all committed");
    }

    #[actix_web::test]
    async fn a_failing_or_panicking_sqlite_write_is_undone_alone() {
        let (_dir, pools, url) = scratch();
        let writes = (0..12).map(|i| {
            pools.write(move |conn| {
                insert(conn);
                if i % 3 == 0 {
                    Err(AppError::NotFound)
                } else {
                    Ok(())
                }
            })
        });
        let outcomes = futures_util::future::join_all(writes).await;
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 8);
        assert_eq!(
            count(&mut connect(&url).unwrap()),
            8,
            "the failed ones' rows are gone"
        );

        let panicked = pools
            .write(|conn| -> AppResult<()> {
                insert(conn);
                panic!("a bug in a write")
            })
            .await;
        assert!(panicked.is_err());
        pools
            .write(|conn| {
                insert(conn);
                Ok(())
            })
            .await
            .expect("the writer lives on, with a fresh connection");
        assert_eq!(count(&mut connect(&url).unwrap()), 9);
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
