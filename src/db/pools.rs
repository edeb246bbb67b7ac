//! The read and write pools, and the fair queues in front of them.

use super::checkpointer::NoAutomaticCheckpoint;
use super::connect::{ConnectionManager, DatabaseUrl, DbPool};
use super::load::RequestLoad;
use super::writer::{SqliteWriter, WRITE_GROUP};
use super::DbConn;
use crate::error::{AppError, AppResult};
use anyhow::Context;
use diesel::r2d2::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a request waits for a database connection before it answers 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// Requests' calls in flight (`read`, `write`, `erase`; not the background ones), for
    /// background work to stand aside while they fill the database.
    pub load: Arc<RequestLoad>,
    /// PostgreSQL's one-statement calls from the request's own thread, on plain connections.
    pub direct: Option<Arc<super::DirectPg>>,
}

impl Pools {
    pub fn open(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<Self> {
        let builder = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // A PostgreSQL connection can die with its server: checked once one was found
                // lost (`ConnectionManager::is_valid`). A SQLite one is a file handle.
                .test_on_check_out(!url.is_sqlite())
                .connection_timeout(CHECKOUT_TIMEOUT)
        };
        let opened = |pool: Result<DbPool, _>| {
            pool.with_context(|| format!("cannot open {}", url.describe()))
        };
        let build = |size: u32| opened(builder(size).build(ConnectionManager::new(url.clone())));
        match url {
            DatabaseUrl::Sqlite(_) => {
                // Reads are short and this is a small server: a few readers, each with its own cache.
                let readers = max_connections.clamp(1, 4);
                let write = opened(
                    builder(1)
                        .connection_customizer(Box::new(NoAutomaticCheckpoint))
                        .build(ConnectionManager::new(url.clone())),
                )?;
                Ok(Self {
                    writer: Some(Arc::new(SqliteWriter::start(write.clone(), url)?)),
                    write,
                    read: build(readers)?,
                    url: url.clone(),
                    read_queue: Arc::new(Semaphore::new(readers as usize)),
                    write_queue: Arc::new(Semaphore::new(WRITE_GROUP)),
                    background_lane: Arc::new(Semaphore::new(1)),
                    load: Arc::default(),
                    direct: None,
                })
            }
            DatabaseUrl::Postgres(raw) => {
                let size = max_connections.max(2);
                let pool = build(size)?;
                // Each request thread (one a core) may open its share of as many again.
                let cores = std::thread::available_parallelism().map_or(2, usize::from);
                let direct = super::DirectPg::for_url(raw, (size as usize).div_ceil(cores));
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
                    load: Arc::default(),
                    direct: direct.map(Arc::new),
                })
            }
        }
    }
}

impl Pools {
    /// Runs a request's blocking diesel work on a pooled read connection, off the async
    /// executor.
    pub async fn read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _counted = self.load.begin();
        self.read_background(work).await
    }

    /// `read` for background work: not counted as a request's.
    pub async fn read_background<T, F>(&self, work: F) -> AppResult<T>
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
        self.write_uncounted(work, false).await
    }

    /// A request's write. On SQLite it joins the writer's next group, in a savepoint of its
    /// own: all of `work` or none of it.
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _counted = self.load.begin();
        self.write_uncounted(work, false).await
    }

    /// A request's write that deletes personal data: as `write`, then, on SQLite, the
    /// write-ahead log is copied into the database file and emptied ([`checkpoint`]) before
    /// the answer, so the deleted rows' old pages do not stay readable in the `-wal` file.
    ///
    /// [`checkpoint`]: super::checkpoint
    pub async fn erase<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _counted = self.load.begin();
        self.write_uncounted(work, true).await
    }

    /// `erase` for background work, queued as `write_background`.
    pub async fn erase_background<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _lane = take_turn(&self.background_lane).await?;
        self.write_uncounted(work, true).await
    }

    async fn write_uncounted<T, F>(&self, work: F, erasing: bool) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = take_turn(&self.write_queue).await?;
        match &self.writer {
            Some(writer) => writer.send(work, erasing).await,
            None => on_pool(&self.write, work).await,
        }
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

/// A place at a connection, waiting in line no longer than a pool checkout may take: when the
/// database is away, the queue answers 503 rather than growing without end.
async fn take_turn(queue: &Semaphore) -> AppResult<SemaphorePermit<'_>> {
    match tokio::time::timeout(CHECKOUT_TIMEOUT, queue.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Unavailable),
    }
}
