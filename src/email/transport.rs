//! Where emails go: a folder of `.eml` files (the default) or an SMTP server.

use anyhow::{bail, Context};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub enum Transport {
    /// Writes each message as `<uuid>.eml` in a folder; lettre picks the names, so no input can
    /// reach the path.
    File(AsyncFileTransport<Tokio1Executor>, String),
    Smtp(AsyncSmtpTransport<Tokio1Executor>, String),
}

impl Transport {
    /// `file://DIR`, `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or
    /// `smtps://user:pass@host[:port]` (TLS from the start).
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                bail!("file:// needs a folder, such as file://mail");
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create mail folder {dir}"))?;
            return Ok(Self::File(
                AsyncFileTransport::new(dir),
                format!("files in {dir}"),
            ));
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
        let tls = TlsParameters::new(host.clone()).context("cannot set up TLS")?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)))
            .tls(if implicit_tls {
                Tls::Wrapper(tls)
            } else {
                Tls::Opportunistic(tls)
            });
        if !parsed.username().is_empty() {
            let user = percent_decode(parsed.username());
            let password = percent_decode(parsed.password().unwrap_or(""));
            builder = builder.credentials(Credentials::new(user, password));
        }
        let scheme = parsed.scheme();
        Ok(Self::Smtp(
            builder.build(),
            format!("{scheme}://{host}:{port}"),
        ))
    }

    /// Where mail goes, without credentials, for logs.
    pub fn describe(&self) -> &str {
        match self {
            Self::File(_, description) | Self::Smtp(_, description) => description,
        }
    }

    pub async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Self::File(transport, _) => {
                transport
                    .send(message)
                    .await
                    .context("cannot write the email file")?;
            }
            Self::Smtp(transport, _) => {
                transport
                    .send(message)
                    .await
                    .context("the SMTP server refused the email")?;
            }
        }
        Ok(())
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
