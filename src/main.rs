//! The `convene` command: serve, migrate, demo, organizer accounts.

use anyhow::Context;
use clap::{Parser, Subcommand};
use convene::accounts::model::NewAccount;
use convene::config::ServeArgs;
use convene::db::{self, DatabaseUrl};
use convene::{accounts, demo, telemetry, Server};
use std::io::BufRead;

#[derive(Parser)]
#[command(
    name = "convene",
    version,
    about = "Registration and agenda service for regional meetings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written: `text` for people, `json` (one object a line) for log
    /// collectors.
    #[arg(
        long,
        global = true,
        env = "CONVENE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: telemetry::LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run the migrations, then serve HTTP and send emails.
    Serve(ServeArgs),
    /// Run the migrations and exit.
    Migrate {
        #[arg(long, env = "DATABASE_URL", default_value = "convene.db")]
        database_url: String,
    },
    /// Load the Mexico City demo meeting (once), print how to log in, then serve.
    Demo(ServeArgs),
    /// Purge the personal data of meetings that ended more than DAYS days ago (anonymous
    /// counts stay); the running server also does this every minute.
    Purge {
        #[arg(long, env = "DATABASE_URL", default_value = "convene.db")]
        database_url: String,
        #[arg(long, env = "CONVENE_PURGE_AFTER_DAYS", default_value_t = 90)]
        days: u32,
    },
    /// The data key is lost: erase the passport numbers and dates of birth sealed with it, so
    /// the server starts (with a new key) and everything but the visa letters goes on. Those
    /// participants enter their passport details again for a letter.
    ForgetSealedData {
        #[arg(long, env = "DATABASE_URL", default_value = "convene.db")]
        database_url: String,
    },
    /// Organizer accounts.
    Organizer {
        #[command(subcommand)]
        command: OrganizerCommand,
    },
}

#[derive(Subcommand)]
enum OrganizerCommand {
    /// Create an organizer account; the password is read from standard input.
    Add {
        #[arg(long, env = "DATABASE_URL", default_value = "convene.db")]
        database_url: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
}

fn open(database_url: &str) -> anyhow::Result<db::DbConn> {
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = db::connect(&url).with_context(|| format!("cannot open {}", url.describe()))?;
    convene::app::bring_up_to_date(&mut conn).map_err(describe)?;
    Ok(conn)
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    private_files();
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate { database_url } => {
            open(&database_url)?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Demo(args) => run_demo(args).await,
        Command::Purge { database_url, days } => purge(&database_url, days),
        Command::ForgetSealedData { database_url } => forget_sealed_data(&database_url),
        Command::Organizer {
            command:
                OrganizerCommand::Add {
                    database_url,
                    email,
                    name,
                    password_stdin,
                },
        } => add_organizer(&database_url, &email, &name, password_stdin),
    }
}

/// Loads the demo meeting (once), prints where it is and how to log in, then serves.
async fn run_demo(args: ServeArgs) -> anyhow::Result<()> {
    let mut conn = open(&args.database_url)?;
    let seeded = demo::seed(&mut conn, db::now()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    drop(conn);
    let base = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    println!();
    println!(
        "Convene demo: {} the Mexico City exchange of migrant information hubs.",
        if seeded.created {
            "loaded"
        } else {
            "already had"
        }
    );
    println!("  Meeting    {base}/api/v1/meetings/{}", demo::MEETING_SLUG);
    println!(
        "  Organizer  {} / {}",
        demo::ORGANIZER_EMAIL,
        demo::ORGANIZER_PASSWORD
    );
    println!("  API token  curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' \\");
    println!(
        "               -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'",
        demo::ORGANIZER_EMAIL,
        demo::ORGANIZER_PASSWORD
    );
    println!("  Emails     written as .eml files to {}", args.mail_url);
    println!(
        "             (the focal points' /d/ links and the invitations' /i/ links are in them)"
    );
    println!();
    serve(args).await
}

/// Purges the personal data of meetings that ended more than `days` days ago.
fn forget_sealed_data(database_url: &str) -> anyhow::Result<()> {
    let mut conn = open(database_url)?;
    let erased = convene::travel::sealed::forget_all(&mut conn).map_err(describe)?;
    println!("erased the passport details of {erased} travel request(s); those participants enter them again for a visa letter");
    if let Err(error) = db::checkpoint(&mut conn) {
        eprintln!("warning: the write-ahead log still holds the erased fields ({error:#}); it is emptied at the next checkpoint");
    }
    Ok(())
}

fn purge(database_url: &str, days: u32) -> anyhow::Result<()> {
    let mut conn = open(database_url)?;
    let at = db::now();
    let before = at - chrono::Duration::days(days.into());
    let passports =
        convene::travel::purge::erase(&mut conn, convene::travel::purge::ended_before(at), at)
            .map_err(describe)?;
    if passports > 0 {
        println!("erased the passport details of {passports} travel request(s) of meetings that ended more than 30 days ago");
    }
    let purged =
        convene::registrations::store::purge_ended(&mut conn, before, at).map_err(describe)?;
    println!(
        "purged the personal data of {purged} meeting(s) that ended more than {days} days ago"
    );
    // The purged rows' old pages must not stay readable in SQLite's log. The purge is
    // done whatever happens here: a reader holding the log is told, not an error.
    if let Err(error) = db::checkpoint(&mut conn) {
        eprintln!("warning: the write-ahead log still holds the purged rows ({error:#}); it is emptied at the next checkpoint");
    }
    Ok(())
}

/// Creates an organizer account, the password read from standard input.
fn add_organizer(
    database_url: &str,
    email: &str,
    name: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    if !password_stdin {
        anyhow::bail!("pass --password-stdin and give the password on standard input");
    }
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let account = NewAccount::parse(email, name, password).map_err(describe)?;
    let mut conn = open(database_url)?;
    let hash = account.password.hash()?;
    accounts::store::create(&mut conn, &account, &hash, db::now()).map_err(describe)?;
    println!("organizer account created for {}", account.email.as_str());
    Ok(())
}

fn describe(error: convene::error::AppError) -> anyhow::Error {
    let problems: Vec<String> = error
        .field_errors()
        .into_iter()
        .map(|e| format!("{}: {}", e.field.unwrap_or_default(), e.message))
        .collect();
    anyhow::anyhow!(problems.join("; "))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let server = Server::build(args.into_settings()?).await?;
    server.run().await?;
    Ok(())
}

/// glibc gives each thread that allocates its own arena (up to eight per core) and keeps what
/// they free; for a server whose blocking threads come and go that is resident memory held for
/// nothing. Two arenas serve two cores.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator, which is thread-safe.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Everything Convene writes (the SQLite database and its journals, mail files, exports) holds
/// personal data: files it creates are readable by its own user only, whatever its parent's
/// umask. The places that create files also set their mode, for library callers.
fn private_files() {
    // SAFETY: umask only sets the process's file creation mask; no memory is involved.
    unsafe {
        libc::umask(0o077);
    }
}
