//! Where emails go: a folder of `.eml` files (the default) or an SMTP server.

use anyhow::{bail, Context};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long connecting, or any one SMTP exchange, may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub enum Transport {
    /// Writes each message as `<uuid>.eml` in a folder; we pick the names, so no input can
    /// reach the path. Files are 0600 and a folder we create 0700: they hold personal data.
    File(PathBuf, String),
    Smtp(SmtpServer),
}

/// Where and how to reach the SMTP server.
pub struct SmtpServer {
    host: String,
    port: u16,
    implicit_tls: bool,
    tls: TlsParameters,
    credentials: Option<Credentials>,
    hello: ClientId,
    description: String,
}

impl Transport {
    /// `file://DIR`, `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or
    /// `smtps://user:pass@host[:port]` (TLS from the start).
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                bail!("file:// needs a folder, such as file://mail");
            }
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create mail folder {dir}"))?;
            return Ok(Self::File(dir.into(), format!("files in {dir}")));
        }
        let parsed = url::Url::parse(url).context("the mail URL is not a URL")?;
        let host = parsed
            .host_str()
            .context("the mail URL has no host")?
            .to_owned();
        let implicit_tls = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                bail!("unsupported mail URL scheme {other:?} (use file://, smtp:// or smtps://)")
            }
        };
        let port = parsed.port().unwrap_or(if implicit_tls { 465 } else { 25 });
        let credentials = (!parsed.username().is_empty()).then(|| {
            Credentials::new(
                percent_decode(parsed.username()),
                percent_decode(parsed.password().unwrap_or("")),
            )
        });
        Ok(Self::Smtp(SmtpServer {
            tls: TlsParameters::new(host.clone()).context("cannot set up TLS")?,
            description: format!("{}://{host}:{port}", parsed.scheme()),
            host,
            port,
            implicit_tls,
            credentials,
            hello: ClientId::default(),
        }))
    }

    /// Where mail goes, without credentials, for logs.
    pub fn describe(&self) -> &str {
        match self {
            Self::File(_, description) => description,
            Self::Smtp(server) => &server.description,
        }
    }

    /// A session for a batch of messages: over SMTP one connection, opened at the first
    /// message and reused for the rest.
    pub fn session(&self) -> Session<'_> {
        Session {
            transport: self,
            connection: None,
        }
    }
}

/// A new file only its owner can read, whatever the process umask.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

pub struct Session<'a> {
    transport: &'a Transport,
    connection: Option<AsyncSmtpConnection>,
}

impl Session<'_> {
    pub async fn send(&mut self, message: Message) -> anyhow::Result<()> {
        let server = match self.transport {
            Transport::File(dir, _) => {
                let path = dir.join(format!("{}.eml", uuid::Uuid::new_v4()));
                let raw = message.formatted();
                tokio::task::spawn_blocking(move || write_private(&path, &raw))
                    .await
                    .context("the email file writer stopped")?
                    .context("cannot write the email file")?;
                return Ok(());
            }
            Transport::Smtp(server) => server,
        };
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => server.connect().await?,
        };
        let envelope: &Envelope = message.envelope();
        let sent = tokio::time::timeout(
            SMTP_TIMEOUT,
            connection.send(envelope, &message.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {
                self.connection = Some(connection);
                Ok(())
            }
            Ok(Err(error)) => {
                // A refused message leaves the connection usable; a broken one is dropped.
                if !connection.has_broken() {
                    self.connection = Some(connection);
                }
                Err(error).context("the SMTP server refused the email")
            }
            Err(_) => {
                connection.abort().await;
                bail!("the SMTP server did not answer in time")
            }
        }
    }

    /// Says goodbye to the server, if a connection is open.
    pub async fn close(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.quit()).await;
        }
    }
}

impl SmtpServer {
    /// Connects, upgrades to TLS when the server offers it (or from the start for smtps://) and
    /// logs in when the URL carries credentials.
    async fn connect(&self) -> anyhow::Result<AsyncSmtpConnection> {
        let connecting = async {
            let mut connection = if self.implicit_tls {
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(SMTP_TIMEOUT),
                    &self.hello,
                    Some(self.tls.clone()),
                    None,
                )
                .await?
            } else {
                let stream =
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await?;
                // SMTP is a conversation of short lines: without this, Nagle's algorithm and
                // delayed ACKs hold each message back for about 40 ms.
                stream.set_nodelay(true)?;
                let mut connection =
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                        .await?;
                if connection.can_starttls() {
                    connection.starttls(self.tls.clone(), &self.hello).await?;
                }
                connection
            };
            if let Some(credentials) = &self.credentials {
                connection
                    .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?;
            }
            anyhow::Ok(connection)
        };
        tokio::time::timeout(SMTP_TIMEOUT, connecting)
            .await
            .context("the SMTP server did not answer in time")?
            .with_context(|| format!("cannot reach the SMTP server {}", self.description))
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_pick_the_transport_and_hide_credentials() {
        let dir = std::env::temp_dir().join(format!("convene-mail-{}", uuid::Uuid::new_v4()));
        let file = Transport::from_url(&format!("file://{}", dir.display())).unwrap();
        assert!(file.describe().starts_with("files in"));
        let smtp = Transport::from_url("smtps://user:s%40cret@mail.example.org").unwrap();
        assert_eq!(smtp.describe(), "smtps://mail.example.org:465");
        assert!(Transport::from_url("smtp://localhost:2525").is_ok());
        assert!(Transport::from_url("pop3://x").is_err());
        assert_eq!(percent_decode("s%40cret"), "s@cret");
        std::fs::remove_dir_all(dir).ok();
    }
}
