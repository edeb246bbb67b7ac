//! Calls of PostgreSQL's one-statement functions (`convene_register`) made from the request's
//! own thread, on connections of that thread, without a blocking thread between.
//!
//! Through diesel a call hops from the request's thread to a blocking thread, which then sleeps
//! in libpq until PostgreSQL answers, and hops back: under a burst, over a quarter of the
//! server's CPU went to the kernel switching threads. Here the request's thread
//! sends the statement and serves other requests until the answer comes (tokio-postgres, whose
//! connections pipeline). Diesel stays the driver for everything else; this is for the hot
//! path's single statement, which needs no transaction of ours.
//!
//! Only on plain connections (`sslmode=disable`, as on loopback or a private network): with
//! another `sslmode` libpq's TLS applies, and the calls go through diesel.

use crate::error::{AppError, AppResult};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Row, Statement};

/// How long a request waits for a connection (opened, or opening) before it answers 503.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the connections go, and how many each thread may open.
#[derive(Debug)]
pub struct DirectPg {
    /// The key of this database's connections in each thread's set.
    url: String,
    config: tokio_postgres::Config,
    per_thread: usize,
}

/// How these connections show in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "convene-direct";

/// One connection of this thread, with its prepared statements.
struct Connection {
    client: Client,
    prepared: RefCell<HashMap<&'static str, Statement>>,
    /// Calls sent on it and not yet answered.
    in_flight: std::cell::Cell<usize>,
}

/// This thread's connections to one database.
#[derive(Default)]
struct ThreadSet {
    open: Vec<Rc<Connection>>,
    /// Connections being opened: counted against the thread's share, so a burst that finds
    /// every connection busy opens no more than the share in all.
    opening: usize,
    /// Told when a connection opened or failed to, for calls that wait for one.
    changed: Rc<tokio::sync::Notify>,
}

/// What a call does for a connection.
enum Pick {
    Use(Rc<Connection>),
    Open,
    Wait(Rc<tokio::sync::Notify>),
}

thread_local! {
    /// This thread's connections, by URL (one per process in practice; tests open several).
    static CONNECTIONS: RefCell<HashMap<String, ThreadSet>> = RefCell::default();
}

/// Counts a call on a connection while it is out.
struct Sent(Rc<Connection>);

impl Sent {
    fn on(connection: Rc<Connection>) -> Self {
        connection.in_flight.set(connection.in_flight.get() + 1);
        Self(connection)
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        self.0.in_flight.set(self.0.in_flight.get() - 1);
    }
}

impl DirectPg {
    /// For `url` if its connections are plain (`sslmode=disable`); `None` otherwise.
    pub fn for_url(url: &str, per_thread: usize) -> Option<Self> {
        let parsed = url::Url::parse(url).ok()?;
        let plain = parsed
            .query_pairs()
            .any(|(key, value)| key == "sslmode" && value == "disable");
        let mut config: tokio_postgres::Config = url.parse().ok()?;
        // tokio-postgres takes the host, user and password from the URL alone (no socket
        // default, no PGHOST, PGPASSWORD or .pgpass, as libpq has): without a host, diesel.
        if config.get_hosts().is_empty() {
            return None;
        }
        config.application_name(APPLICATION_NAME);
        plain.then(|| Self {
            url: url.to_owned(),
            config,
            per_thread: per_thread.max(1),
        })
    }

    /// `SELECT … FROM f($1::jsonb)` with `argument`, on a connection of this thread; `head` is
    /// the statement before the argument, as `db::JsonCall` takes it. Must run on a thread
    /// with a local task set (the request threads' runtime).
    pub async fn call_json(&self, head: &'static str, argument: &str) -> AppResult<Row> {
        // As long as a pooled call waits for its turn; then 503, rather than a queue without end.
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, self.connection())
            .await
            .map_err(|_| AppError::Unavailable)??;
        let sent = Sent::on(connection);
        let outcome = async {
            let statement = prepared(&sent.0, head).await?;
            sent.0.client.query_one(&statement, &[&argument]).await
        }
        .await;
        outcome.map_err(|error| {
            if sent.0.client.is_closed() {
                self.forget(&sent.0);
                tracing::warn!(error.cause = %error, "a database connection was lost");
                return AppError::Unavailable;
            }
            AppError::from_postgres(error)
        })
    }

    /// The least busy of this thread's connections, or a new one while all are busy and the
    /// thread has room for another. Connections found closed (the server restarted, or ended
    /// them) are dropped first: a call never sent on them is not lost.
    async fn connection(&self) -> AppResult<Rc<Connection>> {
        loop {
            let pick = CONNECTIONS.with_borrow_mut(|all| {
                let mine = all.entry(self.url.clone()).or_default();
                mine.open.retain(|c| !c.client.is_closed());
                let idlest = mine.open.iter().min_by_key(|c| c.in_flight.get()).cloned();
                let room = mine.open.len() + mine.opening < self.per_thread;
                match idlest {
                    Some(idle) if idle.in_flight.get() == 0 || !room => Pick::Use(idle),
                    _ if room => {
                        mine.opening += 1;
                        Pick::Open
                    }
                    _ => Pick::Wait(mine.changed.clone()),
                }
            });
            match pick {
                Pick::Use(connection) => return Ok(connection),
                Pick::Open => return self.open().await,
                Pick::Wait(changed) => changed.notified().await,
            }
        }
    }

    /// Opens a connection counted in `opening`, and tells the calls waiting for one.
    async fn open(&self) -> AppResult<Rc<Connection>> {
        let _opening = Opening(self);
        let opened = self.connect().await;
        if let Ok(connection) = &opened {
            CONNECTIONS.with_borrow_mut(|all| {
                let mine = all.entry(self.url.clone()).or_default();
                mine.open.push(connection.clone());
            });
        }
        opened
    }

    async fn connect(&self) -> AppResult<Rc<Connection>> {
        let connecting = self.config.connect(NoTls);
        let (client, connection) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(opened)) => opened,
            Ok(Err(error)) => {
                tracing::warn!(error.cause = %error, "cannot connect to the database");
                return Err(AppError::Unavailable);
            }
            Err(_) => return Err(AppError::Unavailable),
        };
        tokio::task::spawn_local(async move {
            if let Err(error) = connection.await {
                tracing::warn!(error.cause = %error, "a database connection ended");
            }
        });
        Ok(Rc::new(Connection {
            client,
            prepared: RefCell::default(),
            in_flight: std::cell::Cell::new(0),
        }))
    }

    fn forget(&self, lost: &Rc<Connection>) {
        CONNECTIONS.with_borrow_mut(|all| {
            if let Some(mine) = all.get_mut(&self.url) {
                mine.open.retain(|c| !Rc::ptr_eq(c, lost));
            }
        });
    }
}

/// A connection being opened: no longer counted once opened, failed, or given up (a request
/// whose client went away drops its future mid-connect), and the calls waiting are told.
struct Opening<'a>(&'a DirectPg);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        // The thread's set is gone only when the thread ends.
        let _ = CONNECTIONS.try_with(|all| {
            if let Some(mine) = all.borrow_mut().get_mut(&self.0.url) {
                mine.opening -= 1;
                mine.changed.notify_waiters();
            }
        });
    }
}

/// `head`'s statement on `connection`, prepared on first use (as `pgbench -M prepared`).
async fn prepared(
    connection: &Connection,
    head: &'static str,
) -> Result<Statement, tokio_postgres::Error> {
    if let Some(statement) = connection.prepared.borrow().get(head) {
        return Ok(statement.clone());
    }
    let statement = connection
        .client
        .prepare_typed(&format!("{head}$1::jsonb)"), &[Type::TEXT])
        .await?;
    connection
        .prepared
        .borrow_mut()
        .insert(head, statement.clone());
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_connections_are_made_directly() {
        let plain = "postgres://u@h/db?sslmode=disable";
        assert!(DirectPg::for_url(plain, 4).is_some());
        assert!(DirectPg::for_url("postgres://u@h/db", 4).is_none());
        assert!(DirectPg::for_url("postgres://u@h/db?sslmode=require", 4).is_none());
        assert!(DirectPg::for_url("postgres:///db?sslmode=disable", 4).is_none());
        assert_eq!(DirectPg::for_url(plain, 0).unwrap().per_thread, 1);
    }

    #[actix_web::test]
    async fn a_call_given_up_while_connecting_leaves_the_threads_share_whole() {
        // A server that takes the connection and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "postgres://u@{}/db?sslmode=disable",
            silent.local_addr().unwrap()
        );
        let direct = DirectPg::for_url(&url, 1).unwrap();
        let opening = || CONNECTIONS.with_borrow(|all| all.get(&url).map(|set| set.opening));
        for _ in 0..2 {
            let call = direct.call_json("SELECT 1 FROM f(", "{}");
            assert!(tokio::time::timeout(Duration::from_millis(100), call)
                .await
                .is_err());
            // Without this, the share of one would be spent, and every later call would wait
            // for a connection that is never opened.
            assert_eq!(opening(), Some(0));
        }
    }
}
