//! The real `convene` binary as a child process, for tests that kill, restart or run several.

use crate::helpers::{SmtpSink, TestApp, TestDb};
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
            .env("CONVENE_RATE_LIMIT_PER_MINUTE", "0")
            .env("CONVENE_MAIL_POLL_MS", "50")
            .env("CONVENE_MAIL_RETRY_BASE_MS", "100")
            .env("CONVENE_MAIL_LEASE_MS", "1500")
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
            assert!(
                started.elapsed() < Duration::from_secs(30),
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
    let settings = crate::helpers::test_settings(&db, smtp.port);
    TestApp {
        address: address.to_owned(),
        client: reqwest::Client::new(),
        db,
        smtp,
        settings,
    }
}
