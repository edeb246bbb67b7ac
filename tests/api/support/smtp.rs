//! A real SMTP server on loopback that keeps what it receives, and the mails as an
//! independent MIME parser reads them.

use mail_parser::MimeHeaders;
use mailin_embedded::{response, Handler, Response};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message as the SMTP server received it, parsed by an independent MIME parser.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The SMTP envelope's recipients.
    pub to: Vec<String>,
    /// The addresses of the `To:` header.
    pub to_header: Vec<String>,
    /// The addresses of the `Reply-To:` header.
    pub reply_to: Vec<String>,
    pub header_names: Vec<String>,

    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

impl Mail {
    fn parse(to: Vec<String>, raw: Vec<u8>) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("parsable email");
        let attachments = message
            .attachments()
            .map(|part| {
                let content_type = part
                    .content_type()
                    .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")))
                    .unwrap_or_default();
                (
                    part.attachment_name().unwrap_or("").to_owned(),
                    content_type,
                    part.contents().to_vec(),
                )
            })
            .collect();
        let to_header = message
            .to()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let reply_to = message
            .reply_to()
            .map(|to| {
                to.iter()
                    .filter_map(|a| a.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let header_names = message
            .headers()
            .iter()
            .map(|h| h.name().to_owned())
            .collect();
        Self {
            to_header,
            reply_to,
            header_names,
            subject: message.subject().unwrap_or("").to_owned(),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            message_id: message.message_id().unwrap_or("").to_owned(),
            attachments,
            to,
        }
    }

    /// The calendar file attached (beside it may be the inline QR image of a check-in code).
    pub fn calendar(&self) -> &(String, String, Vec<u8>) {
        self.attachments
            .iter()
            .find(|(_, kind, _)| kind == "text/calendar")
            .unwrap_or_else(|| panic!("a calendar attached: {:?}", self.subject))
    }

    fn token_after(&self, marker: &str) -> Option<String> {
        let start = self.text.find(marker)? + marker.len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        (token.len() == 64).then_some(token)
    }
    pub fn confirm_token(&self) -> String {
        self.token_after("/confirm/").expect("a confirm link")
    }
    pub fn manage_token(&self) -> String {
        self.token_after("/manage/").expect("a manage link")
    }
    pub fn press_token(&self) -> String {
        self.token_after("/press/").expect("a press link")
    }
    pub fn invitation_token(&self) -> String {
        self.token_after("/i/").expect("an invitation link")
    }
}

#[derive(Clone)]
struct SinkHandler {
    inbox: Arc<Mutex<Vec<Mail>>>,
    accepting: Arc<AtomicBool>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for SinkHandler {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        if self.accepting.load(Ordering::SeqCst) {
            response::OK
        } else {
            response::INTERNAL_ERROR
        }
    }
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let mail = Mail::parse(std::mem::take(&mut self.to), std::mem::take(&mut self.data));
        self.inbox.lock().unwrap().push(mail);
        response::OK
    }
}

/// A real SMTP server (mailin) on loopback that keeps what it receives.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Mail>>>,
    accepting: Arc<AtomicBool>,
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("smtp port"))
    }

    /// A port on which nothing listens yet: an SMTP server that is down.
    pub fn reserve() -> (u16, impl FnOnce() -> SmtpSink) {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        (port, move || {
            Self::start_on(TcpListener::bind(("127.0.0.1", port)).expect("reserved smtp port"))
        })
    }

    fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let accepting = Arc::new(AtomicBool::new(true));
        let handler = SinkHandler {
            inbox: inbox.clone(),
            accepting: accepting.clone(),
            to: vec![],
            data: vec![],
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("sink.test")
            .with_tcp_listener(listener)
            .with_num_threads(4);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            port,
            inbox,
            accepting,
        }
    }

    /// While refusing, the server answers every message with a temporary failure.
    pub fn refuse(&self, refuse: bool) {
        self.accepting.store(!refuse, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until `address` has received `count` messages; answers them in arrival order.
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.to(address);
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{address} got {} of {count} emails",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `count` messages have arrived in all.
    pub async fn wait_for_total(&self, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.all();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "got {} of {count} emails",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
