//! The line to the login server: whether it answers, and getting it back when it does
//! not. One supervisor task probes `/health` every second; a probe that takes longer
//! than [`SLOW_AFTER`] makes the status `slow` (so a trader hears about a frozen server
//! within 2 s), one that fails or gets no answer within the request deadline makes it
//! `reconnecting`, and probes go on with a growing pause ([`backoff`]) until the server
//! answers again. A bundled broker that has exited is started again. **Retry** probes
//! at once. Each change is sent to the windows as the `broker-status` event.
//!
//! Requests never wait for the supervisor: they use the current client and fail on
//! their own deadlines (`portcullis_client::REQUEST_DEADLINE`).
//!
//! The login window's `broker_status` and `broker_retry` commands are here too.

use crate::broker_process::{self, BrokerSource, BundledBroker};
use crate::error::AppError;
use portcullis_client::{backoff, BrokerClient, REQUEST_DEADLINE};
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};

/// Probe this often while the line is good.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// A probe unanswered for this long makes the status `slow`.
pub const SLOW_AFTER: Duration = Duration::from_millis(900);

/// What the login window shows; `state` is the `data-state` of `broker-status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BrokerStatus {
    Starting,
    Ready {
        url: String,
        bundled: bool,
    },
    /// Asked, and no answer yet after [`SLOW_AFTER`].
    Slow {
        url: String,
        bundled: bool,
    },
    /// Lost; trying again by itself in `retry_in_seconds` (and at once on Retry).
    Reconnecting {
        code: String,
        message: String,
        retry_in_seconds: u64,
    },
    /// The bundled broker could not be started; only Retry tries again.
    Failed {
        code: String,
        message: String,
    },
}

struct Connection {
    client: Option<BrokerClient>,
    bundled: Option<BundledBroker>,
    status: BrokerStatus,
}

pub struct Line {
    source: BrokerSource,
    connection: Mutex<Connection>,
    retry: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Line {
    pub fn new(source: BrokerSource) -> Line {
        Line {
            source,
            connection: Mutex::new(Connection {
                client: None,
                bundled: None,
                status: BrokerStatus::Starting,
            }),
            retry: tokio::sync::Notify::new(),
        }
    }

    /// The client for a request. While the line is down the request is still tried
    /// (and fails fast): the server may be back before the next probe.
    pub fn client(&self) -> Result<BrokerClient, AppError> {
        let c = lock(&self.connection);
        if let Some(client) = &c.client {
            return Ok(client.clone());
        }
        match &c.status {
            BrokerStatus::Failed { code, message }
            | BrokerStatus::Reconnecting { code, message, .. } => {
                Err(AppError::new(code, message.clone()))
            }
            BrokerStatus::Starting | BrokerStatus::Ready { .. } | BrokerStatus::Slow { .. } => Err(
                AppError::new("broker_starting", "The login server is starting…"),
            ),
        }
    }

    pub fn status(&self) -> BrokerStatus {
        lock(&self.connection).status.clone()
    }

    /// Retry: probe (or start the bundled broker) now.
    pub fn retry_now(&self) {
        self.retry.notify_one();
    }

    /// Stops the bundled broker (at app exit).
    pub fn shut_down(&self) {
        let mut c = lock(&self.connection);
        c.client = None;
        c.bundled = None;
    }

    fn set(&self, app: &AppHandle, status: BrokerStatus) {
        let changed = {
            let mut c = lock(&self.connection);
            let changed = c.status != status;
            c.status = status.clone();
            changed
        };
        if changed {
            tracing::info!(?status, "login server status");
            let _ = app.emit("broker-status", status);
        }
    }
}

#[tauri::command]
pub fn broker_status(line: State<'_, Line>) -> BrokerStatus {
    line.status()
}

/// Retry: look at the line (or start the bundled broker) now.
#[tauri::command]
pub fn broker_retry(line: State<'_, Line>) {
    line.retry_now();
}

/// Starts the supervisor; it runs for the life of the app.
pub fn supervise(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut failures = 0u32;
        loop {
            let pause = check(&app, &mut failures).await;
            let line = app.state::<Line>();
            tokio::select! {
                () = sleep_or_forever(pause) => {}
                () = line.retry.notified() => failures = 0,
            }
        }
    });
}

async fn sleep_or_forever(pause: Option<Duration>) {
    match pause {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// One look at the line; returns the pause before the next (None: wait for Retry).
async fn check(app: &AppHandle, failures: &mut u32) -> Option<Duration> {
    let line = app.state::<Line>();
    let current = lock(&line.connection).client.clone();
    let client = match current {
        Some(client) => client,
        None => {
            if line.source.is_bundled() {
                line.set(app, BrokerStatus::Starting);
            }
            let source = line.source.clone();
            let connected =
                tauri::async_runtime::spawn_blocking(move || broker_process::connect(&source))
                    .await
                    .unwrap_or_else(|e| Err(AppError::new("broker_not_started", e.to_string())));
            match connected {
                Ok((client, bundled)) => {
                    let mut c = lock(&line.connection);
                    c.client = Some(client.clone());
                    c.bundled = bundled;
                    client
                }
                Err(e) => {
                    line.set(
                        app,
                        BrokerStatus::Failed {
                            code: e.code,
                            message: e.message,
                        },
                    );
                    return None;
                }
            }
        }
    };
    let bundled = line.source.is_bundled();
    let url = client.base().to_owned();
    let probe = client.health();
    tokio::pin!(probe);
    let answer = match tokio::time::timeout(SLOW_AFTER, &mut probe).await {
        Ok(answer) => answer,
        Err(_) => {
            line.set(
                app,
                BrokerStatus::Slow {
                    url: url.clone(),
                    bundled,
                },
            );
            tokio::time::timeout(REQUEST_DEADLINE - SLOW_AFTER, probe)
                .await
                .unwrap_or_else(|_| Err(AppError::broker_timeout("no answer to /health")))
        }
    };
    match answer {
        Ok(()) => {
            *failures = 0;
            line.set(app, BrokerStatus::Ready { url, bundled });
            Some(PROBE_EVERY)
        }
        Err(e) => {
            *failures += 1;
            {
                // A bundled broker that died is started again on the next look.
                let mut c = lock(&line.connection);
                if c.bundled.as_mut().is_some_and(BundledBroker::exited) {
                    c.bundled = None;
                    c.client = None;
                }
            }
            let pause = backoff(*failures);
            let e = if e.is_connection() {
                e
            } else {
                AppError::broker_unreachable(e)
            };
            line.set(
                app,
                BrokerStatus::Reconnecting {
                    code: e.code,
                    message: e.message,
                    retry_in_seconds: pause.as_secs_f64().ceil() as u64,
                },
            );
            Some(pause)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardening_slow_is_said_within_two_seconds() {
        assert!(
            PROBE_EVERY + SLOW_AFTER <= Duration::from_secs(2),
            "a frozen server is noticed within 2 s of the last good answer"
        );
    }

    #[test]
    fn status_serializes_with_its_state() {
        let s = serde_json::to_value(BrokerStatus::Reconnecting {
            code: "broker_unreachable".into(),
            message: "m".into(),
            retry_in_seconds: 2,
        })
        .unwrap();
        assert_eq!(s["state"], "reconnecting");
        assert_eq!(s["retry_in_seconds"], 2);
    }
}
