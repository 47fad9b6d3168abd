//! What the bench measures besides requests: latency percentiles, its own CPU time,
//! and a broker process's memory, threads and CPU, read from `/proc` (Linux).
//!
//! CPU times come from `/proc/PID/stat` (the counters `getrusage` reports, in clock
//! ticks of 1/100 s, as on every Linux this runs on): the crate forbids `unsafe`, so
//! no call into libc.

use std::time::{Duration, Instant};

/// Clock ticks per second (`getconf CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// Latency samples in microseconds, merged from the tasks of a phase.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn record(&mut self, took: Duration) {
        self.0
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `p` quantile (0–1) in milliseconds; 0 without samples.
    pub fn quantile_ms(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let n = self.0.len();
        // Nearest rank: the smallest sample with at least `p` of them at or below it.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((n as f64) * p).ceil() as usize;
        f64::from(self.0[rank.clamp(1, n) - 1]) / 1000.0
    }

    /// `p50 x.xx ms  p99 y.yy ms`.
    pub fn summary(&mut self) -> String {
        format!(
            "p50 {:.2} ms  p99 {:.2} ms",
            self.quantile_ms(0.50),
            self.quantile_ms(0.99)
        )
    }
}

/// User + system CPU time of a process, and when it was read.
#[derive(Debug, Clone, Copy)]
pub struct CpuReading {
    ticks: u64,
    at: Instant,
}

impl CpuReading {
    /// This process.
    pub fn own() -> CpuReading {
        CpuReading::of("self").unwrap_or(CpuReading {
            ticks: 0,
            at: Instant::now(),
        })
    }

    /// Process `pid` (`"self"` for this one); None when it cannot be read.
    pub fn of(pid: &str) -> Option<CpuReading> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The name in parentheses may hold spaces: count fields after the last `)`.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields 14 and 15 of proc(5), utime and stime; `rest` starts at field 3.
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(CpuReading {
            ticks: utime + stime,
            at: Instant::now(),
        })
    }

    /// Cores used since `self` (CPU seconds per wall second).
    pub fn cores_since(&self, later: &CpuReading) -> f64 {
        let wall = later.at.duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        // Tick counts stay far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let cpu = later.ticks.saturating_sub(self.ticks) as f64 / TICKS_PER_SECOND;
        cpu / wall
    }
}

/// `client CPU x.xx cores` since `start`.
pub fn client_cpu(start: &CpuReading) -> String {
    format!(
        "client CPU {:.2} cores",
        start.cores_since(&CpuReading::own())
    )
}

/// A broker process seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessStatus {
    pub rss_kib: u64,
    pub threads: u64,
}

impl ProcessStatus {
    /// `/proc/PID/status`'s `VmRSS` and `Threads`.
    pub fn of(pid: u32) -> Option<ProcessStatus> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| -> Option<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        Some(ProcessStatus {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:")?,
        })
    }

    pub fn rss_mib(&self) -> f64 {
        // Kibibytes of a process's memory stay far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let kib = self.rss_kib as f64;
        kib / 1024.0
    }
}

/// How many sockets process `pid` holds open (its connections and listeners).
pub fn open_sockets(pid: u32) -> Option<usize> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(
        dir.filter_map(Result::ok)
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count(),
    )
}

/// The broker's CPU and peak RSS over a phase, sampled every 100 ms while it runs.
pub struct BrokerWatch {
    pid: u32,
    start: Option<CpuReading>,
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl BrokerWatch {
    pub fn start(pid: u32) -> BrokerWatch {
        use std::sync::atomic::Ordering;
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = peak.clone();
        let sampler = tokio::spawn(async move {
            loop {
                if let Some(s) = ProcessStatus::of(pid) {
                    seen.fetch_max(s.rss_kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        BrokerWatch {
            pid,
            start: CpuReading::of(&pid.to_string()),
            peak,
            sampler,
        }
    }

    /// `broker CPU x.xx cores, peak RSS y MiB` since the start.
    pub fn finish(self) -> String {
        let since = self.start.map(|s| s.at.elapsed()).unwrap_or_default();
        let pid = self.pid;
        self.finish_over(since)
            .map_or(format!("broker {pid} not readable"), |(_, line)| line)
    }

    /// The broker's cores over `active` (its CPU time spread over that span: it was
    /// idle the rest), and the line [`finish`](Self::finish) prints.
    pub fn finish_over(self, active: Duration) -> Option<(f64, String)> {
        self.sampler.abort();
        let end = CpuReading::of(&self.pid.to_string())?;
        let start = self.start?;
        let peak = ProcessStatus {
            rss_kib: self.peak.load(std::sync::atomic::Ordering::Relaxed),
            threads: 0,
        };
        let cpu = start.cores_since(&end) * end.at.duration_since(start.at).as_secs_f64();
        let cores = cpu / active.as_secs_f64().max(f64::EPSILON);
        let line = format!(
            "broker CPU {cores:.2} cores, peak RSS {:.0} MiB",
            peak.rss_mib()
        );
        Some((cores, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue11_quantiles_are_nearest_rank_in_milliseconds() {
        let mut l = Latencies::default();
        for us in (1..=100).rev() {
            l.record(Duration::from_micros(us * 1000));
        }
        assert_eq!(
            l.quantile_ms(0.5),
            50.0,
            "the middle of 1..=100 ms by nearest rank"
        );
        assert_eq!(l.quantile_ms(0.99), 99.0);
        assert_eq!(
            Latencies::default().quantile_ms(0.99),
            0.0,
            "no samples: zero"
        );
    }

    #[test]
    fn issue11_own_process_is_readable_from_proc() {
        let me = ProcessStatus::of(std::process::id()).expect("/proc/self/status");
        assert!(me.threads >= 1 && me.rss_kib > 0, "{me:?}");
        assert!(CpuReading::of("self").is_some(), "/proc/self/stat parses");
    }
}
