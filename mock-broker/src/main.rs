//! `mock-broker`: serve the Secure Login System over HTTP, or compute an OCRA value.

use clap::{Args, Parser, Subcommand};
use mock_broker::broker::Broker;
use mock_broker::password::Argon2Settings;
use mock_broker::scenario::Scenario;
use mock_broker::server::{self, AppState, ConnectionLimits, EdgePolicy, QaToken};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable a `--qa` broker reads its QA token from (never a flag: the
/// command line is visible to every local user).
const QA_TOKEN_ENV: &str = mock_broker::operator::QA_TOKEN_ENV;
/// Descriptors kept back from the connection cap: the database, its WAL, stdio, epoll.
const RESERVED_DESCRIPTORS: u64 = 64;

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Parser)]
#[command(name = "mock-broker", version, about = "The Portcullis mock broker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the broker over HTTP; prints `listening on http://HOST:PORT` when ready.
    Serve(ServeArgs),
    /// Compute an OCRA (RFC 6287) value; prints it as the last line.
    Ocra(OcraArgs),
    /// Client Services' actions against a running `--qa` broker (audited there).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// QA controls of a running `--qa` broker: clock, reset, locks, faults, freeze,
    /// SMS, audit, journal, device keys. Exit 2: typed wrong; 1: the broker refused.
    Qa(mock_broker::qa_cli::QaArgs),
    /// Load a running broker and print figures (issue 11): second-factor rounds and
    /// verifications per second, full logins beside the bare Argon2id rate, push
    /// latency, memory with many waiting desktops. `bench scenario` prints its users.
    ///
    /// Two brokers serving `mock-broker bench scenario`: --url started with cheap hashing
    /// and --qa (`serve --qa --argon2-memory-kib 8 --argon2-iterations 1
    /// --max-connections 12000`) for rounds, verifications, pushes and waiters; --full-url
    /// at the default Argon2id cost for the full logins. `mock-broker/bench/all.sh`
    /// starts both with their state on disk and runs every phase. The QA token, if the
    /// broker has one, comes from MOCK_BROKER_QA_TOKEN.
    Bench(Box<mock_broker::bench::BenchArgs>),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// T1: issue a temporary passcode; prints it (shown this once) as the last line.
    TempPasscode {
        /// The user name (lower case).
        username: String,
        /// The broker, e.g. http://127.0.0.1:8080 (its X-QA-Token from MOCK_BROKER_QA_TOKEN).
        #[arg(long)]
        url: String,
    },
    /// Activate a shipped replacement or reactivate a kept device (T4: temporary access
    /// ends).
    Activate {
        device_id: String,
        #[arg(long)]
        url: String,
    },
    /// S4: Compliance approves a device sharing waiting for it.
    ApproveSharing {
        sharing_id: String,
        #[arg(long)]
        url: String,
    },
    /// S4: Compliance rejects a device sharing waiting for it; the requesting user reads
    /// the reason in their messages.
    RejectSharing {
        sharing_id: String,
        /// Why, in one line of at most 200 characters.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        url: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Folder for the SQLite state; kept across restarts. In memory when absent.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Scenario file (TOML); the built-in demo scenario when absent.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Enable the QA controls under /qa (clock, reset, locks, audit, provisioning).
    /// With MOCK_BROKER_QA_TOKEN set, every /qa request must carry it as X-QA-Token.
    #[arg(long)]
    qa: bool,
    /// Allow --qa on a non-loopback --addr (the QA controls open to the network).
    #[arg(long, requires = "qa")]
    allow_remote_qa: bool,
    /// TESTS ONLY: the codes people read (challenges, index numbers, SMS, activation and
    /// temporary codes, online cards, the ids they see) come from this seed, so the same
    /// requests give the same codes, again after each /qa/reset. Anyone who knows the
    /// seed knows the codes; tokens, tickets and keys stay random.
    #[arg(long, requires = "qa", value_name = "N")]
    seed: Option<u64>,
    /// A request's headers must arrive within this many milliseconds (and the next
    /// request's on a kept-alive connection).
    #[arg(long, default_value_t = duration_ms(ConnectionLimits::default().header_timeout))]
    header_timeout_ms: u64,
    /// A connection with nothing read or written for this many milliseconds is closed.
    #[arg(long, default_value_t = duration_ms(ConnectionLimits::default().idle_timeout))]
    idle_timeout_ms: u64,
    /// At most this many connections at once (fewer if descriptors are short).
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// Stop when standard input closes: a parent that starts the broker keeps the pipe
    /// open, so the broker ends with it even if the parent is killed.
    #[arg(long)]
    exit_with_stdin: bool,
    /// Argon2id memory cost in KiB.
    #[arg(long, default_value_t = Argon2Settings::default().memory_kib)]
    argon2_memory_kib: u32,
    /// Argon2id iterations.
    #[arg(long, default_value_t = Argon2Settings::default().iterations)]
    argon2_iterations: u32,
    /// Argon2id parallelism.
    #[arg(long, default_value_t = Argon2Settings::default().parallelism)]
    argon2_parallelism: u32,
}

#[derive(Args)]
struct OcraArgs {
    /// The suite, e.g. OCRA-1:HOTP-SHA256-8:QN06-PSHA1.
    #[arg(long)]
    suite: String,
    /// The key, hex.
    #[arg(long)]
    key: String,
    /// The question as typed: decimal for QN, hex for QH, text for QA.
    #[arg(long)]
    question: String,
    /// The PIN, hashed with the suite's P algorithm.
    #[arg(long, conflicts_with = "pin_hash")]
    pin: Option<String>,
    /// The PIN's hash, hex.
    #[arg(long)]
    pin_hash: Option<String>,
    #[arg(long)]
    counter: Option<u64>,
    /// Session information, hex (as in RFC 6287's reference code).
    #[arg(long)]
    session: Option<String>,
    /// Unix time in seconds; divided by the suite's time step.
    #[arg(long)]
    timestamp: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Operator(action) => operator(action),
        Command::Qa(args) => mock_broker::qa_cli::run(args),
        Command::Bench(args) => mock_broker::bench::run(*args),
        Command::Ocra(args) => match ocra_value(&args) {
            Ok(value) => {
                println!("{value}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn operator(action: OperatorCommand) -> ExitCode {
    use mock_broker::operator;
    let outcome =
        match action {
            OperatorCommand::TempPasscode { username, url } => {
                operator::temp_passcode(&url, &username).map(|issued| {
                    println!(
                    "temporary passcode for {} ({}): full access until {}, Client Portal until {}",
                    issued.username, issued.device_id, issued.full_access_until, issued.portal_until
                );
                    println!("{}", issued.passcode);
                })
            }
            OperatorCommand::Activate { device_id, url } => operator::activate(&url, &device_id)
                .map(|d| {
                    println!(
                        "{} ({}) of {}: {}",
                        d.id,
                        d.kind.as_str(),
                        d.owner,
                        d.status.as_str()
                    );
                }),
            OperatorCommand::ApproveSharing { sharing_id, url } => {
                operator::approve_sharing(&url, &sharing_id).map(|s| print_sharing(&s))
            }
            OperatorCommand::RejectSharing {
                sharing_id,
                reason,
                url,
            } => operator::reject_sharing(&url, &sharing_id, reason.as_deref())
                .map(|s| print_sharing(&s)),
        };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A sharing after Compliance's decision, on one line: `SHR-…: requester shares
/// DEVICE of owner: status`.
fn print_sharing(s: &portcullis_api::Sharing) {
    println!(
        "{}: {} shares {} of {}: {}",
        s.id,
        s.requester,
        s.device_id,
        s.owner,
        serde_json::to_string(&s.status)
            .unwrap_or_default()
            .trim_matches('"')
    );
}

fn ocra_value(args: &OcraArgs) -> Result<String, String> {
    let suite: ocra::Suite = args
        .suite
        .parse()
        .map_err(|e: ocra::SuiteError| e.to_string())?;
    let key = hex::decode(&args.key).map_err(|e| format!("--key is not hex: {e}"))?;
    let pin_hash = match (&args.pin, &args.pin_hash, suite.pin) {
        (Some(pin), None, Some(alg)) => Some(ocra::hash_pin(alg, pin)),
        (Some(_), None, None) => return Err("the suite takes no PIN".into()),
        (None, Some(h), _) => {
            Some(hex::decode(h).map_err(|e| format!("--pin-hash is not hex: {e}"))?)
        }
        (None, None, _) => None,
        (Some(_), Some(_), _) => return Err("give --pin or --pin-hash, not both".into()),
    };
    let session = args
        .session
        .as_deref()
        .map(hex::decode)
        .transpose()
        .map_err(|e| format!("--session is not hex: {e}"))?;
    let input = ocra::DataInput {
        counter: args.counter,
        question: &args.question,
        pin_hash,
        session,
        unix_seconds: args.timestamp,
    };
    ocra::compute(&suite, &key, &input).map_err(|e| e.to_string())
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOCK_BROKER_LOG")
                .unwrap_or_else(|_| "mock_broker=info".into()),
        )
        .init();
    match serve_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-broker: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve_inner(args: ServeArgs) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let loopback = args.addr.ip().is_loopback();
    if args.qa && !loopback && !args.allow_remote_qa {
        return Err(format!(
            "refusing --qa on {}: the QA controls (reset, unlock, device keys) would be open \
             to the network. Listen on 127.0.0.1, or add --allow-remote-qa to mean it.",
            args.addr
        )
        .into());
    }
    let qa_token = match std::env::var(QA_TOKEN_ENV) {
        Ok(token) if args.qa && !token.is_empty() => Some(QaToken::new(&token)),
        Ok(_) | Err(_) => None,
    };
    let limits = ConnectionLimits {
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        idle_timeout: Duration::from_millis(args.idle_timeout_ms),
        max_connections: args.max_connections.min(descriptor_budget()),
    };
    let scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
            Scenario::parse(&text)?
        }
        None => Scenario::demo(),
    };
    let argon2 = Argon2Settings {
        memory_kib: args.argon2_memory_kib,
        iterations: args.argon2_iterations,
        parallelism: args.argon2_parallelism,
    };
    let broker = Arc::new(Broker::open(args.state.as_deref(), scenario, argon2)?);
    if let Some(seed) = args.seed {
        broker.seed_codes(seed);
        tracing::warn!(
            seed,
            "codes are seeded (--seed): challenges, SMS, activation and temporary codes are \
             predictable to anyone who knows the seed; for tests only"
        );
    }
    if !loopback {
        tracing::warn!(addr = %args.addr, "listening beyond loopback, as asked: any Host is served");
    }
    let runtime = runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let local = listener.local_addr()?;
        tracing::info!(
            qa = args.qa,
            qa_token = qa_token.is_some(),
            state = ?args.state,
            max_connections = limits.max_connections,
            "broker ready"
        );
        // The one line on stdout: tests and the desktop app wait for it.
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{local}")?;
        stdout.flush()?;
        let state = AppState::new(broker, args.qa).with_edge(EdgePolicy {
            qa_token,
            any_host: !loopback,
        });
        server::run_with_limits(
            listener,
            state,
            limits,
            shutdown_signal(args.exit_with_stdin),
        )
        .await?;
        Ok(())
    })
}

/// Blocking threads besides one per core (the password hash turns): the store is one
/// connection behind a lock, so a few more threads keep it busy and more would only
/// wait on it. Tokio's default (512) let a burst of requests park hundreds of threads
/// on that lock.
const STORE_THREADS: usize = 8;

/// The runtime: a worker per core, and a blocking pool of one thread per core plus
/// [`STORE_THREADS`]; broker calls past that wait in the pool's queue, holding no thread.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores + STORE_THREADS)
        .build()
}

/// Raises the soft descriptor limit to the hard one and says how many connections it
/// leaves room for. Idle sockets at a 1,024 limit once stopped the broker accepting.
fn descriptor_budget() -> usize {
    let soft = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(soft) => soft,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the descriptor limit");
            rlimit::Resource::NOFILE
                .get()
                .map_or(1024, |(soft, _)| soft)
        }
    };
    tracing::debug!(soft, "descriptor limit");
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS).max(16)).unwrap_or(usize::MAX)
}

async fn shutdown_signal(exit_with_stdin: bool) {
    let (stdin_closed_tx, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    if exit_with_stdin {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = stdin_closed_tx.send(());
        });
    } else {
        // Never resolves: the sender lives as long as the process.
        std::mem::forget(stdin_closed_tx);
    }
    let stdin_closed = async move {
        let _ = stdin_closed.await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
        _ = stdin_closed => {}
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await
}
