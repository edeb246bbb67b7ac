//! What the tests share (the harness): the real app on a real database (SQLite file or a
//! fresh PostgreSQL database), sending through a real SMTP server on loopback, driven over HTTP.

pub mod app;
pub mod html;
pub mod process;
pub mod smtp;
pub mod test_db;
pub mod tools;

pub use app::{spawn_app, spawn_app_on, spawn_app_with, test_settings, TestApp};
pub use smtp::SmtpSink;
pub use test_db::TestDb;

use diesel::{Connection, PgConnection};
use std::io::Write;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Each test runs twice: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                if $crate::support::postgres_admin_url().is_some() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        }
    )+};
}

fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("CONVENE_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The PostgreSQL server tests create their databases on, if one answers. Unreachable, the
/// PostgreSQL half of every test is skipped with a loud notice, or fails under `CI=true`.
pub fn postgres_admin_url() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        // Without TLS on loopback: libpq's TLS sessions live on in the servers' threads when
        // the test process exits, and OpenSSL's clean-up at exit then crashed it now and then
        // (a segfault in libcrypto after every test had passed).
        let url = std::env::var("CONVENE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
        });
        match PgConnection::establish(&url) {
            Ok(_) => Some(url),
            Err(error) if postgres_required() => {
                panic!("PostgreSQL is required (CI=true) but unreachable at {url}: {error}")
            }
            Err(error) => {
                // Written past the test harness's capture, so it shows even for passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                     !!! PostgreSQL unreachable at {url}: {error}\n\
                     !!! The PostgreSQL half of every storage test is SKIPPED.\n\
                     !!! Start it, or set CONVENE_TEST_POSTGRES_URL; CI=true makes this fail.\n\
                     !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                );
                None
            }
        }
    })
    .as_deref()
}
