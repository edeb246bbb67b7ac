//! Who spent the CPU while a load ran: PostgreSQL, the server's request threads, its email
//! worker, the load generator. Read from `/proc` (Linux): a rate varies with the machine's mood
//! from one minute to the next, the CPU each registration costs each party much less, and it
//! says where a gap to a ceiling comes from.

use std::time::Instant;

/// CPU seconds by party.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    pub postgres: f64,
    /// The server's threads other than the email worker's.
    pub requests: f64,
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
}

/// Started before a load, stopped after it.
pub struct Watch {
    server: Option<u32>,
    postgres_processes: usize,
    at: Instant,
    before: Spent,
}

impl Watch {
    pub fn start(server: Option<u32>) -> Self {
        Self {
            server,
            postgres_processes: postgres_processes(),
            at: Instant::now(),
            before: spent(server),
        }
    }

    pub fn stop(self) -> CpuUse {
        let wall = self.at.elapsed().as_secs_f64();
        // A load generator's connections end with it, and their processes' time moves to the
        // postmaster's children's once it has waited for them: read after that.
        let waiting_since = Instant::now();
        while postgres_processes() > self.postgres_processes
            && waiting_since.elapsed() < std::time::Duration::from_secs(2)
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let after = spent(self.server);
        let rate = |a: f64, b: f64| (a - b).max(0.0) / wall;
        CpuUse {
            per_second: Spent {
                postgres: rate(after.postgres, self.before.postgres),
                requests: rate(after.requests, self.before.requests),
                email: rate(after.email, self.before.email),
                load: rate(after.load, self.before.load),
            },
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
        }
    }
}

impl CpuUse {
    /// `PostgreSQL 1,010 µs, server 220 µs + email 70 µs, wrk 45 µs, idle 8%`: the CPU each of
    /// `per_second` operations cost each party (no load generator when `generator` is empty).
    pub fn describe(&self, per_second: f64, generator: &str) -> String {
        let each = |seconds: f64| {
            if per_second > 0.0 {
                format!("{:.0} µs", seconds / per_second * 1e6)
            } else {
                "?".into()
            }
        };
        let s = self.per_second;
        let busy = s.postgres + s.requests + s.email + s.load;
        let idle = (1.0 - busy / self.cores).max(0.0) * 100.0;
        let server = if s.requests + s.email > 0.0 {
            format!(
                ", server {} + email worker {}",
                each(s.requests),
                each(s.email)
            )
        } else {
            String::new()
        };
        let generator = if generator.is_empty() {
            String::new()
        } else {
            format!(", {generator} {}", each(s.load))
        };
        format!(
            "CPU each: PostgreSQL {}{server}{generator}; idle {idle:.0}%",
            each(s.postgres)
        )
    }
}

/// How many of PostgreSQL's processes there are, exited ones not yet waited for included.
fn postgres_processes() -> usize {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .count()
}

/// The CPU seconds spent so far by each party.
fn spent(server: Option<u32>) -> Spent {
    let mut spent = Spent {
        load: children_seconds(),
        ..Spent::default()
    };
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return spent;
    };
    let mut postgres = Vec::new();
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
        if stat.command == "postgres" {
            postgres.push((pid, stat));
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
            spent.requests += stat.own - email;
        }
    }
    let pids: Vec<u32> = postgres.iter().map(|(pid, _)| *pid).collect();
    for (_, stat) in &postgres {
        spent.postgres += stat.own;
        // The postmaster (whose parent is not PostgreSQL's) holds its finished children:
        // backends that ended during the load.
        if !pids.contains(&stat.parent) {
            spent.postgres += stat.children;
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
