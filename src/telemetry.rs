//! Structured logs through `tracing`, filtered by `RUST_LOG` (default `info`): text for people,
//! or one JSON object a line for log collectors (`CONVENE_LOG_FORMAT=json`). Either way the
//! same fields, and never an address, a token or a password: what is logged is chosen where it
//! is logged (route patterns, ids, counts).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to standard error, leaving standard output to what commands print.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        // Colours only on a terminal, and never with NO_COLOR.
        LogFormat::Text => {
            let colour = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
            builder.with_ansi(colour).try_init()
        }
    };
}
