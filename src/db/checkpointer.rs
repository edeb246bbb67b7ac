//! SQLite's write-ahead log copied into the database file by a thread of its own.
//!
//! SQLite's automatic checkpoint runs in the commit that crosses a thousand pages: the copy and
//! its two fsyncs then delay that commit, and every write grouped with it. At a check-in desk's
//! rate that was about one write in a hundred, waiting several milliseconds (p99 5 ms against a
//! median of 0.6). Here the writer's connection never checkpoints on its own; this thread copies
//! the log while the writer goes on appending to it.
//!
//! A log is only started afresh (its file reused from the top) by a write that begins when all
//! of it is copied, which a copy running beside the writer never quite reaches under steady
//! load. So when the log has grown past a limit, the writer copies the few frames the last pass
//! left, itself, once ([`Checkpointer::catch_up`]): its next write then starts the log afresh.
//! In any pause of the writes longer than a pass, the log starts afresh without that help.

use super::connect::{connect, DatabaseUrl};
use super::DbConn;
use diesel::r2d2::CustomizeConnection;
use diesel::RunQueryDsl;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Frames (pages) the log may hold before the writer helps: 128 MiB of 4 KiB pages. Each help
/// delays the writes queued meanwhile by a few milliseconds, so under writes that never pause
/// it is worth seldom (a desk's scans at 10,000 a second write about 100 MiB of log a second).
#[cfg(not(test))]
pub(super) const LOG_LIMIT: i64 = 32768;
/// Small enough for a test to cross it many times.
#[cfg(test)]
pub(super) const LOG_LIMIT: i64 = 64;

/// A pass at most this often: under load each pass copies what the pause let pile up.
const PAUSE: Duration = Duration::from_millis(10);

pub(super) struct Checkpointer {
    wake: SyncSender<()>,
    /// Held by whoever copies: SQLite runs one checkpoint at a time and answers any other with
    /// BUSY at once, whatever the busy timeout.
    copying: Arc<Mutex<()>>,
    /// Frames in the log at the end of the last pass.
    log_frames: Arc<AtomicI64>,
    limit: i64,
    /// The log's length at which the writer next helps: past the limit once more after a help
    /// that could not start the log afresh (a reader still held its end).
    help_at: i64,
}

#[derive(diesel::QueryableByName)]
struct Pass {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// Copies what it can of the log, without waiting for readers; answers the log's length.
fn passive(conn: &mut DbConn) -> diesel::QueryResult<i64> {
    let pass: Pass = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)?;
    Ok(i64::from(pass.log))
}

impl Checkpointer {
    pub(super) fn start(url: &DatabaseUrl, limit: i64) -> anyhow::Result<Self> {
        let mut conn = connect(url)?;
        let (wake, woken) = sync_channel::<()>(1);
        let copying = Arc::new(Mutex::new(()));
        let log_frames = Arc::new(AtomicI64::new(0));
        let (held, frames) = (copying.clone(), log_frames.clone());
        std::thread::Builder::new()
            .name("convene-checkpointer".into())
            .spawn(move || {
                // Ends with the writer, which holds the other end.
                while woken.recv().is_ok() {
                    let copied = {
                        let _copying = held.lock().unwrap_or_else(|e| e.into_inner());
                        passive(&mut conn)
                    };
                    match copied {
                        Ok(log) => frames.store(log, Ordering::Relaxed),
                        Err(error) => {
                            tracing::warn!(error.cause = %error, "cannot copy the write-ahead log")
                        }
                    }
                    std::thread::sleep(PAUSE);
                }
            })?;
        Ok(Self {
            wake,
            copying,
            log_frames,
            limit,
            help_at: limit,
        })
    }

    /// After a commit: a pass soon, if none is waiting already.
    pub(super) fn wake(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }

    /// On the writer's connection, before a group: when the log has grown past the limit,
    /// copies what the last pass left, so that the group's write starts the log afresh.
    pub(super) fn catch_up(&mut self, conn: &mut DbConn) {
        let frames = self.log_frames.load(Ordering::Relaxed);
        if frames < self.limit {
            self.help_at = self.limit;
            return;
        }
        if frames < self.help_at {
            return;
        }
        // Never wait for a pass: try again before the next group, when it has copied more.
        let Ok(_copying) = self.copying.try_lock() else {
            return;
        };
        // Past the limit once more before the next help, should a reader keep the log's end.
        self.help_at = frames + self.limit;
        if let Err(error) = passive(conn) {
            tracing::warn!(error.cause = %error, "cannot copy the write-ahead log");
        }
    }

    /// Held across a checkpoint of the writer's own (emptying the log after a deletion).
    pub(super) fn copying(&self) -> MutexGuard<'_, ()> {
        self.copying.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer's connections do not checkpoint on their own (see the module's comment), and a
/// log grown longer than the limit is cut back to 256 MiB when it starts afresh.
#[derive(Debug)]
pub(super) struct NoAutomaticCheckpoint;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for NoAutomaticCheckpoint {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 268435456")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

#[cfg(test)]
mod tests {
    use super::LOG_LIMIT;
    use crate::db::tests::scratch;
    use diesel::connection::SimpleConnection;
    use std::time::{Duration, Instant};

    fn file_holds(path: &std::path::Path, text: &str) -> bool {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    #[actix_web::test]
    async fn what_the_writer_commits_reaches_the_database_file_without_a_checkpoint_of_its_own() {
        let (dir, pools, _url) = scratch();
        pools
            .write(|conn| {
                conn.batch_execute(
                    "CREATE TABLE marks (text TEXT NOT NULL); \
                     INSERT INTO marks VALUES ('copied-by-the-checkpointer')",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        let file = dir.path().join("t.db");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !file_holds(&file, "copied-by-the-checkpointer") {
            assert!(Instant::now() < deadline, "the log was never copied");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[actix_web::test]
    async fn under_steady_writes_and_reads_the_log_starts_afresh_instead_of_growing() {
        let (_dir, pools, url) = scratch();
        pools
            .write(|conn| {
                conn.batch_execute("CREATE TABLE pages (blob BLOB NOT NULL)")?;
                Ok(())
            })
            .await
            .unwrap();
        // A reader always at work, as the pages' readers are on a busy server.
        let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let readers = (0..2).map(|_| {
            let (pools, reading) = (pools.clone(), reading.clone());
            actix_web::rt::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    pools
                        .read(|conn| Ok(crate::db::tests::count(conn)))
                        .await
                        .unwrap();
                }
            })
        });
        let readers: Vec<_> = readers.collect();
        // Each write appends at least two pages to the log (a leaf and an overflow page); in
        // all, many times the limit.
        let writes = LOG_LIMIT * 40;
        for _ in 0..writes {
            pools
                .write(|conn| {
                    conn.batch_execute("INSERT INTO pages VALUES (zeroblob(6000))")?;
                    Ok(())
                })
                .await
                .unwrap();
        }
        reading.store(false, std::sync::atomic::Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        // The log's length now: what was written since it last started afresh.
        let log = super::passive(&mut crate::db::connect(&url).unwrap()).unwrap();
        assert!(
            log < writes,
            "the log ({log} pages) holds most of the {} or more pages written",
            2 * writes
        );
    }
}
