//! `mock-broker bench`: a load client for a running broker, printing figures (issue 11).
//! It logs the bench scenario's users in as the desktop app does, computing their DSC+
//! and IB Key responses itself with the broker's OCRA rule, and reads the broker's
//! memory, threads and CPU from `/proc` when given its process id.
//!
//! Phases (`--only`): `rounds` (password step + response), `verify` (the response
//! alone), `full` (rounds against a broker at the default Argon2id cost, beside the bare
//! hash rate of this machine), `push` (delivery and approval latency) and `waiters`
//! (many push logins with a desktop long-polling each). Nothing here asserts a figure.
//!
//! Edges: the users must come from `mock-broker bench scenario` (their password, key
//! and PIN are this module's constants); the phone phases need a `--qa` broker (the
//! phone is provisioned through `/qa`).

mod client;
mod load;
mod measure;
mod push;
pub mod scenario;

use crate::password::Argon2Settings;
use clap::{Args, Subcommand, ValueEnum};
use client::Failure;
use load::Outcome;
use measure::{client_cpu, open_sockets, BrokerWatch, CpuReading, ProcessStatus};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Print the bench scenario (TOML): card users u000001.. (a DSC+ card each) and IB
    /// Key users k000001.. (all on the phone bench-phone), password Trade2026, PIN 1234.
    Scenario {
        /// How many card users.
        #[arg(long, default_value_t = 64)]
        cards: usize,
        /// How many IB Key users (the waiters phase needs one per waiting login).
        #[arg(long, default_value_t = 0)]
        ib_keys: usize,
    },
}

/// A phase of the bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Rounds,
    Verify,
    Full,
    Push,
    Waiters,
}

/// What to measure, and where (`mock-broker bench --help` says which brokers).
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The broker measured for rounds, verifications, pushes and waiters: one started
    /// with cheap hashing (the figures are the store's, not Argon2's) and `--qa`.
    #[arg(long, required = true)]
    pub url: Option<String>,
    /// A broker at the default Argon2id cost for the full logins (its scenario's card
    /// users); without it the `full` phase is skipped.
    #[arg(long)]
    pub full_url: Option<String>,
    /// Card users in --url's scenario (u000001..).
    #[arg(long, default_value_t = 64)]
    pub cards: usize,
    /// IB Key users in --url's scenario (k000001..).
    #[arg(long, default_value_t = 0)]
    pub ib_keys: usize,
    /// Card users in --full-url's scenario.
    #[arg(long, default_value_t = 64)]
    pub full_cards: usize,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Connection counts for rounds and verifications.
    #[arg(long, value_delimiter = ',', default_values_t = [8, 32])]
    pub connections: Vec<usize>,
    /// Connections for the full logins (and for the rounds beside the waiters).
    #[arg(long, default_value_t = 8)]
    pub full_connections: usize,
    /// Phases to run, in this order whatever the order given.
    #[arg(long, value_delimiter = ',', value_enum,
          default_values_t = [Phase::Rounds, Phase::Verify, Phase::Full, Phase::Push, Phase::Waiters])]
    pub only: Vec<Phase>,
    /// Push logins approved one by one for the latency figures.
    #[arg(long, default_value_t = 200)]
    pub push_rounds: usize,
    /// Push logins left pending with a desktop long-polling each (at most --ib-keys).
    #[arg(long, default_value_t = 10_000)]
    pub waiters: usize,
    /// Seconds the broker is watched idle with the waiters waiting.
    #[arg(long, default_value_t = 5.0)]
    pub idle_seconds: f64,
    /// The --url broker's process id, for its RSS, threads, CPU and sockets.
    #[arg(long)]
    pub broker_pid: Option<u32>,
    /// The --full-url broker's process id, for its CPU and peak RSS under full logins.
    #[arg(long)]
    pub full_broker_pid: Option<u32>,
    /// The --full-url broker's Argon2id memory (KiB), for the bare hash rate.
    #[arg(long, default_value_t = Argon2Settings::default().memory_kib)]
    pub argon2_memory_kib: u32,
    /// The --full-url broker's Argon2id iterations.
    #[arg(long, default_value_t = Argon2Settings::default().iterations)]
    pub argon2_iterations: u32,
    /// The --full-url broker's Argon2id parallelism.
    #[arg(long, default_value_t = Argon2Settings::default().parallelism)]
    pub argon2_parallelism: u32,
    /// Threads hashing for the bare rate: the broker's hash slots (one per core).
    #[arg(long, default_value_t = std::thread::available_parallelism().map_or(2, usize::from))]
    pub hash_workers: usize,
}

impl RunArgs {
    fn run_for(&self) -> Duration {
        Duration::from_secs_f64(self.seconds.max(0.0))
    }

    fn wants(&self, phase: Phase) -> bool {
        self.only.contains(&phase)
    }
}

/// `mock-broker bench …`: prints the scenario or runs the phases.
pub fn run(args: BenchArgs) -> ExitCode {
    if let Some(BenchCommand::Scenario { cards, ib_keys }) = args.command {
        print!("{}", scenario::scenario(cards, ib_keys));
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(&args.run, &mut Report::printing())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The report's lines, printed as they come and kept.
pub struct Report {
    pub lines: Vec<String>,
    print: bool,
}

impl Report {
    pub fn printing() -> Report {
        Report {
            lines: Vec::new(),
            print: true,
        }
    }

    pub fn quiet() -> Report {
        Report {
            lines: Vec::new(),
            print: false,
        }
    }

    fn line(&mut self, line: String) {
        if self.print {
            println!("{line}");
        }
        self.lines.push(line);
    }
}

/// Runs the phases asked for and reports each. Fails only when a phase cannot start
/// (too few users, no phone); failed requests are counted in the report.
pub async fn bench(args: &RunArgs, report: &mut Report) -> Result<(), Failure> {
    let url = args
        .url
        .clone()
        .ok_or_else(|| Failure("--url is required".into()))?;
    let cards: Vec<String> = (1..=args.cards).map(scenario::card_user).collect();
    let ib_keys: Vec<String> = (1..=args.ib_keys).map(scenario::ib_key_user).collect();
    let qa_token = std::env::var(crate::operator::QA_TOKEN_ENV).ok();
    report.line(format!(
        "bench {url}: {} card users, {} IB Key users, {} s per measurement, {} client threads",
        args.cards,
        args.ib_keys,
        args.seconds,
        std::thread::available_parallelism().map_or(0, usize::from)
    ));
    if args.wants(Phase::Rounds) {
        for &c in &args.connections {
            let cpu = CpuReading::own();
            let watch = args.broker_pid.map(BrokerWatch::start);
            let out = load::rounds(&url, &cards, c, args.run_for()).await?;
            throughput(report, "rounds", c, "rounds/s", out, &cpu, watch);
        }
    }
    if args.wants(Phase::Verify) {
        for &c in &args.connections {
            let cpu = CpuReading::own();
            let out = load::verifications(&url, &cards, c, args.run_for()).await?;
            // The broker's CPU here would include the untimed password steps.
            throughput(report, "verify", c, "verifications/s", out, &cpu, None);
        }
    }
    if args.wants(Phase::Full) {
        full(args, report).await?;
    }
    if args.wants(Phase::Push) {
        if ib_keys.is_empty() {
            report.line("push: skipped (no IB Key users: --ib-keys)".into());
        } else {
            let cpu = CpuReading::own();
            let mut p =
                push::latencies(&url, &ib_keys, args.push_rounds, qa_token.as_deref()).await?;
            let failed = match &p.first_failure {
                None => "failures 0".to_owned(),
                Some(f) => format!("failures {} (first: {f})", p.failures),
            };
            report.line(format!(
                "push delivery (broker -> phone)      n={:<5} {}",
                p.delivery.len(),
                p.delivery.summary()
            ));
            report.line(format!(
                "push approval (phone -> desktop)     n={:<5} {}  {failed}  {}",
                p.approval.len(),
                p.approval.summary(),
                client_cpu(&cpu)
            ));
        }
    }
    if args.wants(Phase::Waiters) {
        waiters(args, &url, &cards, &ib_keys, report).await?;
    }
    Ok(())
}

/// `NAME  C conn: R unit/s  p50 … p99 …  n=… failures …  client CPU …  [broker …]`.
fn throughput(
    report: &mut Report,
    name: &str,
    connections: usize,
    unit: &str,
    mut out: Outcome,
    cpu: &CpuReading,
    watch: Option<BrokerWatch>,
) {
    let broker = watch
        .map(|w| format!("  {}", w.finish()))
        .unwrap_or_default();
    report.line(format!(
        "{name:<12} {connections:>3} conn: {:>8.0} {unit}  {}  {}  {}{broker}",
        out.rate(),
        out.latencies.summary(),
        out.tally(),
        client_cpu(cpu)
    ));
}

/// Full logins at the real cost, then the bare Argon2id rate, and their ratio.
async fn full(args: &RunArgs, report: &mut Report) -> Result<(), Failure> {
    let Some(full_url) = &args.full_url else {
        report.line("full logins: skipped (no --full-url)".into());
        return Ok(());
    };
    let settings = Argon2Settings {
        memory_kib: args.argon2_memory_kib,
        iterations: args.argon2_iterations,
        parallelism: args.argon2_parallelism,
    };
    let users: Vec<String> = (1..=args.full_cards).map(scenario::card_user).collect();
    // Full logins and bare hashes take turns in slices of at most a second, so both
    // meet the same background load on a shared machine.
    let slices = args.seconds.ceil().max(1.0);
    let slice = args.run_for().div_f64(slices);
    let (mut logins, mut hashes, mut took) = (Outcome::default(), 0u64, Duration::ZERO);
    let (mut login_cpu, mut hash_cpu) = (0.0, 0.0);
    let watch = args.full_broker_pid.map(BrokerWatch::start);
    let mut watched = Duration::ZERO;
    let workers = args.hash_workers;
    // At most a few thousand slices: the count fits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    for _ in 0..slices as u32 {
        let cpu = CpuReading::own();
        let out = load::rounds(full_url, &users, args.full_connections, slice).await?;
        login_cpu += cpu.cores_since(&CpuReading::own()) * out.elapsed.as_secs_f64();
        watched += out.elapsed;
        logins.merge(out);
        let cpu = CpuReading::own();
        let (n, t) =
            tokio::task::spawn_blocking(move || load::bare_hashes(settings, workers, slice))
                .await
                .map_err(|e| Failure(format!("hashing ended: {e}")))??;
        hash_cpu += cpu.cores_since(&CpuReading::own()) * t.as_secs_f64();
        hashes += n;
        took += t;
    }
    let login_rate = logins.rate();
    let broker_cpu = watch.and_then(|w| w.finish_over(watched));
    let broker = broker_cpu
        .as_ref()
        .map(|(_, line)| format!("  {line}"))
        .unwrap_or_default();
    report.line(format!(
        "{:<12} {:>3} conn: {:>8.0} logins/s  {}  {}  client CPU {:.2} cores{broker}",
        "full logins",
        args.full_connections,
        login_rate,
        logins.latencies.summary(),
        logins.tally(),
        login_cpu / watched.as_secs_f64().max(f64::EPSILON),
    ));
    // Counts stay far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let bare = hashes as f64 / took.as_secs_f64().max(f64::EPSILON);
    report.line(format!(
        "bare Argon2id {workers:>2} workers: {bare:>8.0} hashes/s  (m={} KiB t={} p={}, \
         in turns with the logins)  client CPU {:.2} cores",
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        hash_cpu / took.as_secs_f64().max(f64::EPSILON),
    ));
    let ratio = if bare > 0.0 { login_rate / bare } else { 0.0 };
    // On a machine shared with other work the two may get different shares of the
    // cores: per core used, the comparison still holds.
    let bare_cores = hash_cpu / took.as_secs_f64().max(f64::EPSILON);
    let per_core = match broker_cpu {
        Some((cores, _)) if cores > 0.0 && bare_cores > 0.0 => {
            let (full, bare) = (login_rate / cores, bare / bare_cores);
            format!(
                "; per core used: {full:.0} logins/s against {bare:.0} hashes/s, {:.2}",
                full / bare
            )
        }
        Some(_) | None => String::new(),
    };
    report.line(format!("full/bare ratio: {ratio:.2}{per_core}"));
    Ok(())
}

/// Rounds without waiters, then many push logins each long-polled, the broker watched
/// idle, rounds again beside them, and the p99 ratio.
async fn waiters(
    args: &RunArgs,
    url: &str,
    cards: &[String],
    ib_keys: &[String],
    report: &mut Report,
) -> Result<(), Failure> {
    let count = args.waiters.min(ib_keys.len());
    if count == 0 {
        report.line("waiters: skipped (no IB Key users: --ib-keys)".into());
        return Ok(());
    }
    let c = args.full_connections;
    let limit = raise_descriptor_limit();
    if limit < u64::try_from(count).unwrap_or(u64::MAX) + 256 {
        report.line(format!(
            "waiters: this client may open only {limit} descriptors for {count} waiters \
             (raise `ulimit -Hn`)"
        ));
    }
    let broker = args.broker_pid.and_then(ProcessStatus::of);
    let cpu = CpuReading::own();
    let mut without = load::rounds(url, cards, c, args.run_for()).await?;
    let p99_without = without.latencies.quantile_ms(0.99);
    throughput(report, "no waiters:", c, "rounds/s", without, &cpu, None);
    let cpu = CpuReading::own();
    let held = push::Waiters::start(url, &ib_keys[..count], 32).await;
    report.line(format!(
        "waiters: {} push logins created in {:.1} s ({:.0}/s), {}  {}",
        held.created,
        held.creating.as_secs_f64(),
        held.create_failures.rate(),
        held.create_failures.tally(),
        client_cpu(&cpu)
    ));
    if let Some(pid) = args.broker_pid {
        // The long polls reach the broker (its sockets tell), then it is left alone.
        let connecting = std::time::Instant::now();
        // The broker's sockets: the listener and one per desktop.
        while open_sockets(pid).unwrap_or(0) < held.created + 1
            && connecting.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        report.line(format!(
            "waiters: {} desktops connected in {:.1} s",
            open_sockets(pid)
                .unwrap_or(0)
                .saturating_sub(1)
                .min(held.created),
            connecting.elapsed().as_secs_f64()
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let start = CpuReading::of(&pid.to_string());
        tokio::time::sleep(Duration::from_secs_f64(args.idle_seconds.max(0.1))).await;
        let end = CpuReading::of(&pid.to_string());
        let status = ProcessStatus::of(pid);
        let sockets = open_sockets(pid);
        match (start, end, status, broker) {
            (Some(start), Some(end), Some(status), Some(before)) => report.line(format!(
                "waiters idle {:.0} s: broker RSS {:.0} MiB (before {:.0} MiB), threads {} \
                 (before {}), CPU {:.0}%, sockets open {}",
                args.idle_seconds,
                status.rss_mib(),
                before.rss_mib(),
                status.threads,
                before.threads,
                start.cores_since(&end) * 100.0,
                sockets.map_or("?".into(), |s| s.to_string()),
            )),
            (None | Some(_), _, _, _) => {
                report.line(format!("waiters idle: broker {pid} not readable"));
            }
        }
        if let Some(s) = sockets {
            if s < count {
                report.line(format!(
                    "waiters: the broker holds {s} sockets for {count} waiters: past its \
                     connection cap the rest wait in the listen backlog; raise it with \
                     `mock-broker serve --max-connections N` (and its `ulimit -n`)"
                ));
            }
        }
    } else {
        tokio::time::sleep(Duration::from_secs(2)).await;
        report.line("waiters idle: no --broker-pid, memory not read".into());
    }
    let cpu = CpuReading::own();
    let mut with = load::rounds(url, cards, c, args.run_for()).await?;
    let p99_with = with.latencies.quantile_ms(0.99);
    throughput(report, "with waiters:", c, "rounds/s", with, &cpu, None);
    let failed = held
        .wait_failures
        .load(std::sync::atomic::Ordering::Relaxed);
    let first = held
        .first_wait_failure
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    report.line(format!(
        "waiters: p99 with/without {:.2}x; long polls failed {failed}{}",
        if p99_without > 0.0 {
            p99_with / p99_without
        } else {
            0.0
        },
        first.map(|f| format!(" (first: {f})")).unwrap_or_default()
    ));
    held.end(url, 32).await;
    Ok(())
}

/// Raises this process's soft descriptor limit to its hard one; the limit now.
fn raise_descriptor_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::Resource::NOFILE.get().map(|(soft, _)| soft))
        .unwrap_or(1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Broker, Clock};
    use crate::rules::time::Duration as BrokerDuration;
    use crate::scenario::Scenario;
    use crate::server::{self, AppState};
    use clap::Parser;
    use std::sync::Arc;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    /// Every phase against an in-process broker for a fraction of a second: the report
    /// has each phase's fields. The figures are not checked (issue 11: no timed
    /// assertions).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn issue11_bench_reports_every_phase_against_an_in_process_broker() {
        let cheap = Argon2Settings {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let mut s = Scenario::parse(&scenario::scenario(8, 24)).expect("bench scenario");
        // The daily end half a day away, whatever the time of day.
        let end = Clock::real_now().plus(BrokerDuration::hours(12));
        s.sessions.daily_end_utc = end.rfc3339()[11..16].to_owned();
        let broker = Arc::new(Broker::open(None, s, cheap).expect("broker"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let serving = tokio::spawn(server::run(
            listener,
            AppState::new(broker, true),
            std::future::pending(),
        ));
        let pid = std::process::id().to_string();
        let args = Cli::try_parse_from([
            "bench",
            "--url",
            &url,
            "--full-url",
            &url,
            "--cards",
            "8",
            "--full-cards",
            "8",
            "--ib-keys",
            "24",
            "--seconds",
            "0.3",
            "--connections",
            "2,4",
            "--full-connections",
            "2",
            "--push-rounds",
            "5",
            "--waiters",
            "20",
            "--idle-seconds",
            "0.2",
            "--broker-pid",
            &pid,
            "--full-broker-pid",
            &pid,
            "--argon2-memory-kib",
            "8",
            "--argon2-iterations",
            "1",
            "--hash-workers",
            "1",
        ])
        .expect("the flags parse")
        .run;
        let mut report = Report::quiet();
        bench(&args, &mut report).await.expect("every phase runs");
        serving.abort();
        let text = report.lines.join("\n");
        for field in [
            "rounds         2 conn:",
            "rounds         4 conn:",
            "verify         4 conn:",
            "rounds/s",
            "verifications/s",
            "logins/s",
            "hashes/s",
            "full/bare ratio:",
            "push delivery (broker -> phone)",
            "push approval (phone -> desktop)",
            "push logins created",
            "waiters idle",
            "threads",
            "no waiters:",
            "with waiters:",
            "p99 with/without",
            "p50 ",
            "p99 ",
            "client CPU",
            "broker CPU",
        ] {
            assert!(text.contains(field), "the report has {field:?}:\n{text}");
        }
        let counted: Vec<&str> = text
            .split("failures ")
            .skip(1)
            .chain(text.split("long polls failed ").skip(1))
            .collect();
        assert!(
            counted.len() >= 10 && counted.iter().all(|after| after.starts_with("0")),
            "no request failed against a healthy broker:\n{text}"
        );
    }
}
