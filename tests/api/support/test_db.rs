//! A database of the test's own: a SQLite file, or a fresh database on the shared PostgreSQL.

use super::{postgres_admin_url, Backend};
use convene::db::{self, DatabaseUrl};
use diesel::{Connection, PgConnection, RunQueryDsl};

/// A database of the test's own, removed when the test ends.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("convene.db").display().to_string();
                Self::Sqlite { _dir: dir, url }
            }
            Backend::Postgres => {
                Self::on_postgres(postgres_admin_url().expect("postgres reachable"))
            }
        }
    }
    /// A fresh database on the PostgreSQL server that `admin` connects to.
    pub fn on_postgres(admin: &str) -> Self {
        let admin = admin.to_owned();
        let name = format!("convene_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin).expect("admin connection");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let mut url = url::Url::parse(&admin).expect("admin url");
        url.set_path(&name);
        Self::Postgres {
            admin,
            name,
            url: url.to_string(),
        }
    }
    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }
    pub fn connect(&self) -> db::DbConn {
        db::connect(&DatabaseUrl::parse(self.url()).unwrap()).expect("test connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { admin, name, .. } = self {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}
