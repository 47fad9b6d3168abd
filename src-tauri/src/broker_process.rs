//! Which broker the app talks to: the one named by `--broker-url` or
//! `PORTCULLIS_BROKER_URL`, or else the bundled `mock-broker`, started here as a child
//! on a free loopback port with the demo scenario, its state in the app's data folder.
//!
//! Starting never hangs the window: it runs on a thread, with a deadline; `link`
//! watches the line afterwards and restarts a bundled broker that went away.
//!
//! The bundled broker gets a random QA token, through its environment only (never its
//! command line, which every local user can read), so no other process or web page
//! can drive its QA controls.

use crate::error::AppError;
use portcullis_client::BrokerClient;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the bundled broker may take to print its address.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// Where the broker comes from, decided once at start-up, with the QA token the app
/// sends on `/qa/*` calls.
#[derive(Debug, Clone)]
pub enum BrokerSource {
    /// `PORTCULLIS_QA_TOKEN`, if set, is that broker's QA token.
    External {
        url: String,
        qa_token: Option<String>,
    },
    /// A token made up at each app start.
    Bundled {
        binary: PathBuf,
        state_dir: PathBuf,
        qa_token: String,
    },
}

impl BrokerSource {
    /// `--broker-url URL` on the command line wins, then `PORTCULLIS_BROKER_URL`.
    pub fn from_environment(data_dir: &Path) -> BrokerSource {
        let args: Vec<String> = std::env::args().collect();
        let from_args = args
            .iter()
            .position(|a| a == "--broker-url")
            .and_then(|i| args.get(i + 1).cloned());
        if let Some(url) = from_args.or_else(|| std::env::var("PORTCULLIS_BROKER_URL").ok()) {
            let qa_token = std::env::var("PORTCULLIS_QA_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
            return BrokerSource::External { url, qa_token };
        }
        BrokerSource::Bundled {
            binary: bundled_binary(),
            state_dir: data_dir.join("broker"),
            qa_token: random_token(),
        }
    }

    pub fn is_bundled(&self) -> bool {
        matches!(self, BrokerSource::Bundled { .. })
    }
}

/// 32 random bytes, hex.
fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `PORTCULLIS_MOCK_BROKER`, or `mock-broker` beside the app's own executable (where
/// cargo puts both).
fn bundled_binary() -> PathBuf {
    if let Ok(path) = std::env::var("PORTCULLIS_MOCK_BROKER") {
        return PathBuf::from(path);
    }
    let name = if cfg!(windows) {
        "mock-broker.exe"
    } else {
        "mock-broker"
    };
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The bundled broker process; stopped when dropped.
pub struct BundledBroker {
    child: Child,
}

impl BundledBroker {
    /// Whether the process has ended (killed, crashed): then it is started again.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for BundledBroker {
    fn drop(&mut self) {
        // Its store survives even SIGKILL (SQLite, one transaction per request).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the broker `source` names (or just checks an external one) and returns its
/// client. Blocking: call it from a thread.
pub fn connect(source: &BrokerSource) -> Result<(BrokerClient, Option<BundledBroker>), AppError> {
    match source {
        BrokerSource::External { url, qa_token } => {
            Ok((BrokerClient::new(url, qa_token.clone()), None))
        }
        BrokerSource::Bundled {
            binary,
            state_dir,
            qa_token,
        } => {
            let (url, child) = spawn(binary, state_dir, qa_token)?;
            Ok((BrokerClient::new(&url, Some(qa_token.clone())), Some(child)))
        }
    }
}

fn spawn(
    binary: &Path,
    state_dir: &Path,
    qa_token: &str,
) -> Result<(String, BundledBroker), AppError> {
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--qa",
            "--exit-with-stdin",
            "--state",
        ])
        .arg(state_dir)
        .env("MOCK_BROKER_QA_TOKEN", qa_token)
        // stdin stays open while the app lives: if the app dies, the broker follows.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            AppError::new(
                "broker_not_started",
                format!(
                    "The built-in login server could not be started ({}): {e}",
                    binary.display()
                ),
            )
        })?;
    let stdout = child.stdout.take();
    let mut guard = BundledBroker { child };
    let Some(stdout) = stdout else {
        return Err(AppError::new(
            "broker_not_started",
            "The built-in login server has no output.",
        ));
    };

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let _ = tx.send(reader.read_line(&mut line).map(|_| line));
        // Keep reading so the pipe never fills.
        let mut sink = String::new();
        while matches!(reader.read_line(&mut sink), Ok(n) if n > 0) {
            sink.clear();
        }
    });
    let line = match rx.recv_timeout(START_DEADLINE) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => {
            return Err(AppError::new(
                "broker_not_started",
                format!("The built-in login server failed: {e}"),
            ))
        }
        Err(_) => {
            let exited = guard.child.try_wait().ok().flatten();
            let message = match exited {
                Some(status) => format!(
                    "The built-in login server exited ({status}). See its messages in the terminal."
                ),
                None => format!(
                    "The built-in login server did not start within {} s.",
                    START_DEADLINE.as_secs()
                ),
            };
            return Err(AppError::new("broker_not_started", message));
        }
    };
    match line.trim().strip_prefix("listening on ") {
        Some(url) => Ok((url.to_owned(), guard)),
        None => Err(AppError::new(
            "broker_not_started",
            "The built-in login server exited before it was ready. See its messages in the terminal.",
        )),
    }
}
