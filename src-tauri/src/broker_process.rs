//! Which broker the app talks to: the one named by `--broker-url` or
//! `PORTCULLIS_BROKER_URL`, or else the bundled `mock-broker`, started here as a child
//! on a free loopback port with the demo scenario, its state in the app's data folder.
//!
//! Starting never hangs the window: it runs on a thread, with a deadline, and the
//! login screen shows "starting", "ready" or the reason it failed with a Retry.

use crate::client::BrokerClient;
use crate::error::AppError;
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the bundled broker may take to print its address.
const START_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BrokerStatus {
    Starting,
    Ready { url: String, bundled: bool },
    Failed { code: String, message: String },
}

/// Where the broker comes from, decided once at start-up.
#[derive(Debug, Clone)]
pub enum BrokerSource {
    External(String),
    Bundled { binary: PathBuf, state_dir: PathBuf },
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
            return BrokerSource::External(url);
        }
        BrokerSource::Bundled {
            binary: bundled_binary(),
            state_dir: data_dir.join("broker"),
        }
    }
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
        BrokerSource::External(url) => Ok((BrokerClient::new(url), None)),
        BrokerSource::Bundled { binary, state_dir } => {
            let (url, child) = spawn(binary, state_dir)?;
            Ok((BrokerClient::new(&url), Some(child)))
        }
    }
}

fn spawn(binary: &Path, state_dir: &Path) -> Result<(String, BundledBroker), AppError> {
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
        // stdin stays open while the app lives: if the app dies, the broker follows.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            AppError::new(
                "broker_not_started",
                format!(
                    "The bundled broker could not be started ({}): {e}",
                    binary.display()
                ),
            )
        })?;
    let stdout = child.stdout.take();
    let mut guard = BundledBroker { child };
    let Some(stdout) = stdout else {
        return Err(AppError::new(
            "broker_not_started",
            "The bundled broker has no output.",
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
                format!("The bundled broker failed: {e}"),
            ))
        }
        Err(_) => {
            let exited = guard.child.try_wait().ok().flatten();
            let message = match exited {
                Some(status) => format!(
                    "The bundled broker exited ({status}). See its messages in the terminal."
                ),
                None => format!(
                    "The bundled broker did not start within {} s.",
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
            "The bundled broker exited before it was ready. See its messages in the terminal.",
        )),
    }
}
