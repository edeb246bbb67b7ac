//! SQLite's single writer: the thread that runs queued writes in groups, one commit per group.

use super::checkpointer::{Checkpointer, LOG_LIMIT};
use super::connect::{DatabaseUrl, DbPool};
use super::{checkpoint, DbConn};
use crate::error::{AppError, AppResult};
use diesel::{Connection, RunQueryDsl};

/// At most this many SQLite writes share one transaction (and so wait in the queue at once).
pub(super) const WRITE_GROUP: usize = 64;

/// SQLite's single writer: a thread that runs the queued writes in groups, each write in a
/// savepoint of one transaction per group, and answers the writes of a group only once it is
/// committed. Writes that queued while the previous group ran then share one commit, and the
/// pages several of them touch (the newest leaf of each index, the meeting's counter) are
/// appended to the log once instead of once per write.
pub(super) struct SqliteWriter {
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
    pub(super) fn start(pool: DbPool, url: &DatabaseUrl) -> anyhow::Result<Self> {
        let (queue, queued) = std::sync::mpsc::channel::<Box<dyn GroupedWrite>>();
        let mut checkpointer = Checkpointer::start(url, LOG_LIMIT)?;
        std::thread::Builder::new()
            .name("convene-writer".into())
            .spawn(move || {
                // Ends when every `Pools` is gone.
                while let Ok(first) = queued.recv() {
                    let mut group = vec![first];
                    group.extend(queued.try_iter().take(WRITE_GROUP - 1));
                    Self::commit(&pool, group, &mut checkpointer);
                    checkpointer.wake();
                }
            })?;
        Ok(Self { queue })
    }

    fn commit(
        pool: &DbPool,
        mut group: Vec<Box<dyn GroupedWrite>>,
        checkpointer: &mut Checkpointer,
    ) {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(error) => {
                let error = diesel::result::Error::QueryBuilderError(error.to_string().into());
                return group.into_iter().for_each(|w| w.answer(Some(&error)));
            }
        };
        checkpointer.catch_up(&mut conn);
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
                    let _copying = checkpointer.copying();
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

    pub(super) async fn send<T, F>(&self, work: F, checkpoint: bool) -> AppResult<T>
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

#[cfg(test)]
mod tests {
    use crate::db::connect;
    use crate::db::tests::{count, insert, scratch};
    use crate::error::{AppError, AppResult};
    use diesel::connection::SimpleConnection;
    use std::time::Duration;

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
}
