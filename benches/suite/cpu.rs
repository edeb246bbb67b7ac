//! Who spent the CPU while a load ran: the benchmark's PostgreSQL, the server's threads, its
//! email worker's, the load generator. Read from `/proc` (Linux): a rate varies with the
//! machine's mood from one minute to the next, the CPU each registration costs each party much
//! less, and it says where a gap to a ceiling comes from.

use super::Database;
use std::time::Instant;

/// CPU seconds by party.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    /// The benchmark's PostgreSQL: its postmaster and the postmaster's processes.
    pub postgres: f64,
    /// The server's threads other than the email worker's.
    pub server: f64,
    /// The email worker's threads (named `convene-mail`).
    pub email: f64,
    /// The load generator (`wrk` or `pgbench`): this process's finished children.
    pub load: f64,
}

/// CPU use over a load: each party's CPU seconds per wall second, and the machine's cores.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    pub per_second: Spent,
    pub cores: f64,
    /// Whether PostgreSQL was watched (not on SQLite).
    pub postgres: bool,
}

/// The processes to watch; started before a load, stopped after it.
pub struct Watch {
    server: Option<u32>,
    postmaster: Option<u32>,
    at: Instant,
    before: Spent,
}

impl Watch {
    /// `server` is the `convene` process, if one serves; PostgreSQL is `db`'s, if it is one.
    pub fn start(server: Option<u32>, db: &Database) -> Self {
        let postmaster = postmaster_of(db);
        Self {
            server,
            postmaster,
            at: Instant::now(),
            before: spent(server, postmaster),
        }
    }

    pub fn stop(self) -> CpuUse {
        let after = spent(self.server, self.postmaster);
        let wall = self.at.elapsed().as_secs_f64();
        let rate = |a: f64, b: f64| (a - b).max(0.0) / wall;
        CpuUse {
            per_second: Spent {
                postgres: rate(after.postgres, self.before.postgres),
                server: rate(after.server, self.before.server),
                email: rate(after.email, self.before.email),
                load: rate(after.load, self.before.load),
            },
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
            postgres: self.postmaster.is_some(),
        }
    }
}

impl CpuUse {
    /// `CPU each: PostgreSQL 1010 µs, server 220 µs + email worker 70 µs, wrk 45 µs; not
    /// spent by them 8%`: what each of `per_second` operations cost each party (no load
    /// generator when `generator` is empty).
    pub fn describe(&self, per_second: f64, generator: &str) -> String {
        let each = |seconds: f64| {
            if per_second > 0.0 {
                format!("{:.0} µs", seconds / per_second * 1e6)
            } else {
                "?".into()
            }
        };
        let s = self.per_second;
        let mut parts = Vec::new();
        if self.postgres {
            parts.push(format!("PostgreSQL {}", each(s.postgres)));
        }
        if s.server + s.email > 0.0 {
            parts.push(format!(
                "server {} + email worker {}",
                each(s.server),
                each(s.email)
            ));
        }
        if !generator.is_empty() {
            parts.push(format!("{generator} {}", each(s.load)));
        }
        let busy = s.postgres + s.server + s.email + s.load;
        let idle = (1.0 - busy / self.cores).max(0.0) * 100.0;
        format!(
            "CPU each: {}; not spent by them {idle:.0}%",
            parts.join(", ")
        )
    }
}

/// The postmaster of `db`'s server: the parent of a connection's process.
fn postmaster_of(db: &Database) -> Option<u32> {
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    db.postgres_admin.as_ref()?;
    let mut conn = db.connect();
    let backend = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Backend>(&mut conn)
        .ok()?;
    Some(Stat::read(&format!("/proc/{}/stat", backend.pid))?.parent)
}

/// The CPU seconds spent so far by each party.
fn spent(server: Option<u32>, postmaster: Option<u32>) -> Spent {
    // A connection's process that ends while `/proc` is read moves its time to the
    // postmaster's finished children's, perhaps after the postmaster was read: read again
    // until the postmaster's children's time is the same before and after.
    for _ in 0..10 {
        let finished = postmaster.and_then(finished_children);
        let spent = read_spent(server, postmaster);
        if postmaster.and_then(finished_children) == finished {
            return spent;
        }
    }
    read_spent(server, postmaster)
}

fn finished_children(postmaster: u32) -> Option<f64> {
    Some(Stat::read(&format!("/proc/{postmaster}/stat"))?.children)
}

fn read_spent(server: Option<u32>, postmaster: Option<u32>) -> Spent {
    let mut spent = Spent {
        load: children_seconds(),
        ..Spent::default()
    };
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return spent;
    };
    for entry in processes.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(stat) = Stat::read(&format!("/proc/{pid}/stat")) else {
            continue;
        };
        if Some(pid) == postmaster {
            spent.postgres += stat.own + stat.children;
        } else if Some(stat.parent) == postmaster {
            spent.postgres += stat.own;
        } else if Some(pid) == server {
            let email: f64 = std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|task| Stat::read(&format!("{}/stat", task.path().display())))
                .filter(|thread| thread.command.starts_with("convene-mail"))
                .map(|thread| thread.own)
                .sum();
            spent.email += email;
            spent.server += stat.own - email;
        }
    }
    spent
}

/// What a `/proc/…/stat` line says of one process or thread, in seconds.
struct Stat {
    command: String,
    parent: u32,
    own: f64,
    children: f64,
}

impl Stat {
    fn read(path: &str) -> Option<Self> {
        let line = std::fs::read_to_string(path).ok()?;
        // The command is in parentheses and may hold spaces; the fields follow the last `)`.
        let open = line.find('(')?;
        let close = line.rfind(')')?;
        let fields: Vec<&str> = line[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        let hz = clock_ticks();
        Some(Self {
            command: line[open + 1..close].to_owned(),
            parent: fields.get(1)?.parse().ok()?,
            // utime, stime, cutime, cstime: fields 14–17 of proc(5), 11–14 after the command.
            own: (ticks(11)? + ticks(12)?) / hz,
            children: (ticks(13)? + ticks(14)?) / hz,
        })
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads its argument.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// CPU seconds of this process's children that finished and were waited for (`wrk`,
/// `pgbench`).
fn children_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the pointer it is given.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) != 0 {
            return 0.0;
        }
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
