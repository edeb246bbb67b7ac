//! The real `convene` binary as a child process, for tests that kill, restart or run several.

use crate::support::{SmtpSink, TestApp, TestDb};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `convene serve` as a child process, logging to a file.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
    pub log: std::path::PathBuf,
}

impl ServerProcess {
    pub async fn start(
        db_url: &str,
        smtp_port: u16,
        log_dir: &std::path::Path,
        rust_log: &str,
    ) -> Self {
        Self::start_with(db_url, smtp_port, log_dir, rust_log, &[]).await
    }

    /// Like `start`, with more environment (settings) for the server.
    pub async fn start_with(
        db_url: &str,
        smtp_port: u16,
        log_dir: &std::path::Path,
        rust_log: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = log_dir.join(format!("server-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_convene"))
            .args([
                "serve",
                "--database-url",
                db_url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--mail-url", &format!("smtp://127.0.0.1:{smtp_port}")])
            .env("CONVENE_DATA_KEY", super::app::TEST_DATA_KEY)
            .env("CONVENE_RATE_LIMIT_PER_MINUTE", "0")
            .env("CONVENE_REGISTRATIONS_PER_CLIENT", "0")
            .env("CONVENE_MAIL_POLL_MS", "50")
            .env("CONVENE_MAIL_RETRY_BASE_MS", "100")
            .env("CONVENE_MAIL_LEASE_MS", "1500")
            .env("CONVENE_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("RUST_LOG", rust_log)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("convene starts");
        let address = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::get(format!("{address}/readyz"))
            .await
            .map(|r| r.status() != 200)
            .unwrap_or(true)
        {
            // A debug build migrating a fresh database while the rest of the suite loads both
            // cores: once seen past 30 s (2026-12-06, a full run), never alone.
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the server never became ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            address,
            log,
        }
    }

    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().ok();
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TestApp-like handle on a server process, for the domain helpers.
pub fn handle(db: TestDb, smtp: SmtpSink, address: &str) -> TestApp {
    TestApp {
        address: address.to_owned(),
        client: reqwest::Client::new(),
        db,
        smtp,
    }
}

/// A PostgreSQL server of the test's own (initdb into a temporary folder, its own port), so
/// that a test may stop and start it without touching the shared server the other tests use.
pub struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    pub port: u16,
}

impl PrivateCluster {
    /// `None` (with a loud notice) when PostgreSQL's programs are not installed; under `CI=true`
    /// a failure instead.
    pub fn create() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .find(|b| b.join("initdb").exists())
            });
        let Some(bin) = bin else {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "PostgreSQL's server programs (initdb, pg_ctl) are required under CI=true"
            );
            eprintln!("\n!!! initdb not found under /usr/lib/postgresql: the PostgreSQL restart test is SKIPPED.\n");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("convene-pg")
            .tempdir_in("/tmp")
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { dir, bin, port };
        // PostgreSQL refuses to run as root; as root, it runs as the `postgres` user.
        if Self::is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path())
                .status();
            assert!(
                chown.is_ok_and(|s| s.success()),
                "chown the cluster's folder"
            );
        }
        let data = cluster.data();
        cluster.as_postgres(
            "initdb",
            Command::new(cluster.bin.join("initdb"))
                .args(["-U", "postgres", "--auth=trust", "--no-sync", "-D"])
                .arg(&data),
        );
        cluster.start();
        Some(cluster)
    }

    fn is_root() -> bool {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false)
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `command` (as the `postgres` user when we are root), waiting for it.
    fn output_as_postgres(&self, command: &mut Command) -> std::process::Output {
        let output = if Self::is_root() {
            let mut wrapped = Command::new("runuser");
            wrapped
                .args(["-u", "postgres", "--"])
                .arg(command.get_program())
                .args(command.get_args());
            wrapped.output()
        } else {
            command.output()
        };
        output.expect("the command runs")
    }

    /// Like `output_as_postgres`, and `command` must succeed.
    fn as_postgres(&self, what: &str, command: &mut Command) {
        let output = self.output_as_postgres(command);
        assert!(
            output.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// What the server has written to its own log so far.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.as_postgres(
            "pg_ctl start",
            Command::new(self.bin.join("pg_ctl"))
                .args(["-w", "-t", "30", "-o", &options, "-l"])
                .arg(self.dir.path().join("server.log"))
                .arg("-D")
                .arg(self.data())
                .arg("start"),
        );
    }

    /// Stops the server the quick way, closing every connection.
    pub fn stop(&self) {
        self.as_postgres(
            "pg_ctl stop",
            Command::new(self.bin.join("pg_ctl"))
                .args(["-w", "-m", "fast", "-D"])
                .arg(self.data())
                .arg("stop"),
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.output_as_postgres(
            Command::new(self.bin.join("pg_ctl"))
                .args(["-m", "immediate", "-D"])
                .arg(self.data())
                .arg("stop"),
        );
    }
}
