//! `mock-broker qa --url URL [--json] COMMAND`: a QA engineer's controls of a running
//! broker started with `--qa`, from a shell — the clock in human durations, reset,
//! locks, the broker's and the phones' faults, freeze and thaw, the SMS outbox, the
//! audit log and the request journal (each can `--follow`), a device's key, and Client
//! Services' and Compliance's actions (as `operator`).
//!
//! Every request goes through the project's typed client (`portcullis-client`), with
//! `MOCK_BROKER_QA_TOKEN` as `X-QA-Token` when set. People get aligned tables; `--json`
//! prints the broker's answer as JSON (with `--follow`, one line per new entry). What
//! is typed wrong is found before anything is sent: exit status 2 and one line; a
//! broker that refuses (its code and message) or cannot be reached: 1.

mod commands;
mod duration;
mod table;

pub use duration::{format_millis, parse_millis, DurationError};

use crate::rules::Username;
use clap::{Args, Subcommand, ValueEnum};
use portcullis_api::{ErrorCode, FaultRequest, ForcedErrorRequest, JournalQuery};
use std::process::ExitCode;

#[derive(Args)]
pub struct QaArgs {
    /// The broker, e.g. http://127.0.0.1:8080 (its X-QA-Token from MOCK_BROKER_QA_TOKEN).
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// Print the broker's answers as JSON, for scripts (with --follow, one line each).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: QaCommand,
}

#[derive(Subcommand)]
pub enum QaCommand {
    /// Show the simulated clock, or move it (`advance`, `set`).
    Clock {
        #[command(subcommand)]
        action: Option<ClockAction>,
    },
    /// Back to the scenario: users, devices, no locks or sessions, the clock at real
    /// time; the journal and every fault cleared.
    Reset,
    /// L5: Client Services lifts USER's lock.
    Unlock { user: String },
    /// Faults: a route of the broker, the way to the phones; list; clear.
    #[command(subcommand)]
    Fault(FaultAction),
    /// Hold every request but QA ones until `thaw` (connections are still accepted).
    Freeze,
    /// Let the requests held by `freeze` go on.
    Thaw,
    /// The simulated SMS outbox.
    Sms {
        /// Only the messages to this number.
        #[arg(long)]
        phone: Option<String>,
    },
    /// The audit log, oldest first.
    Audit {
        /// Only this user's events.
        #[arg(long)]
        user: Option<String>,
        /// The latest this many events.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Keep printing new events until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// The request journal: what clients asked of the broker, oldest first.
    Journal(JournalArgs),
    /// A device's key or card grid, as a simulator gets it (audited).
    Provision { device: String },
    /// T1: Client Services issues USER a temporary passcode (shown this once).
    TempPasscode { user: String },
    /// T4/T5: activate a shipped device, or reactivate one set aside.
    Activate { device: String },
    /// S4: Compliance approves a sharing waiting for it.
    ApproveSharing { sharing_id: String },
    /// S4: Compliance rejects a sharing waiting for it.
    RejectSharing {
        sharing_id: String,
        /// Why, in one line of at most 200 characters.
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ClockAction {
    /// Move the clock forward: 90s, 15m, 2h, 3d, 1w, or combined, 1d2h.
    Advance {
        #[arg(allow_hyphen_values = true)]
        duration: String,
    },
    /// Set the clock to a time, RFC 3339: 2026-05-01T09:30:00Z.
    Set { time: String },
}

#[derive(Subcommand)]
pub enum FaultAction {
    /// A route of the broker answers late, with an error, or both (never a QA route).
    Route {
        /// The route's template: /v1/login, /v1/phone/pushes/{id}/approve.
        route: String,
        /// Only this method (every method of the route when absent).
        #[arg(long)]
        method: Option<String>,
        /// Wait this long first (real time): 500ms, 2s, 1m; at most 60s.
        #[arg(long)]
        delay: Option<String>,
        /// Answer this error instead: STATUS:CODE (503:unavailable) or CODE alone.
        #[arg(long, value_name = "STATUS:CODE")]
        error: Option<String>,
        /// Only this many times, then lifted.
        #[arg(long)]
        times: Option<u32>,
    },
    /// K4, the way to the phone: drop, delay or offline; none lifts.
    Phone {
        mode: PhoneMode,
        /// One IB Key device; every device when absent.
        #[arg(long)]
        device: Option<String>,
        /// With `delay`: how late (real time), e.g. 3s.
        #[arg(long)]
        delay: Option<String>,
    },
    /// Lift one route fault by its id.
    Remove { id: u64 },
    /// Every fault in force: the broker's routes and the phones'.
    List,
    /// Lift every fault: the broker's routes and the phones'.
    Clear,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PhoneMode {
    Drop,
    Delay,
    Offline,
    None,
}

#[derive(Args)]
pub struct JournalArgs {
    #[arg(long)]
    method: Option<String>,
    /// A route's template, e.g. /v1/login/resend.
    #[arg(long)]
    route: Option<String>,
    /// `ok` or an error code.
    #[arg(long)]
    code: Option<String>,
    #[arg(long)]
    user: Option<String>,
    /// Only entries after this sequence number.
    #[arg(long)]
    since: Option<u64>,
    /// At most this many entries (1-10000; 200 when absent).
    #[arg(long)]
    limit: Option<u32>,
    /// QA requests too.
    #[arg(long)]
    include_qa: bool,
    /// Keep printing new entries until Ctrl-C.
    #[arg(long)]
    follow: bool,
}

/// One checked request (or two, for `fault list`/`clear`), ready to send.
enum Action {
    Clock,
    Advance {
        seconds: i64,
    },
    SetClock {
        unix_seconds: i64,
    },
    Reset,
    Unlock(String),
    RouteFault(portcullis_api::RouteFaultRequest),
    PhoneFault(FaultRequest),
    RemoveFault(u64),
    Faults,
    ClearFaults,
    Freeze,
    Thaw,
    Sms(Option<String>),
    Audit {
        user: Option<String>,
        limit: u32,
        follow: bool,
    },
    Journal {
        query: JournalQuery,
        follow: bool,
    },
    Provision(String),
    TempPasscode(String),
    Activate(String),
    ApproveSharing(String),
    RejectSharing {
        id: String,
        reason: Option<String>,
    },
}

/// Why the command did not do its job.
enum Failure {
    /// Typed wrong: nothing was sent (exit 2).
    Usage(String),
    /// The broker refused (its code and message), or could not be asked (exit 1).
    Broker(String),
}

/// Runs `mock-broker qa …`; the exit status says how it went.
pub fn run(args: QaArgs) -> ExitCode {
    let outcome = checked(args).and_then(|(url, json, action)| {
        commands::execute(&url, json, action).map_err(Failure::Broker)
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Broker(why)) => {
            eprintln!("error: {why}");
            ExitCode::from(1)
        }
    }
}

fn checked(args: QaArgs) -> Result<(String, bool, Action), Failure> {
    let usage = Failure::Usage;
    let Some(url) = args.url else {
        return Err(usage("give the broker: --url http://127.0.0.1:PORT".into()));
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(usage(format!("{url}: a broker URL starts with http://")));
    }
    let action = action_of(args.command).map_err(usage)?;
    Ok((url, args.json, action))
}

fn action_of(command: QaCommand) -> Result<Action, String> {
    Ok(match command {
        QaCommand::Clock { action: None } => Action::Clock,
        QaCommand::Clock {
            action: Some(ClockAction::Advance { duration }),
        } => {
            let ms = parse_millis(&duration).map_err(|e| e.to_string())?;
            if ms % 1000 != 0 {
                return Err(format!("{duration:?}: the clock moves in whole seconds"));
            }
            Action::Advance {
                seconds: i64::try_from(ms / 1000).map_err(|_| format!("{duration:?}: too long"))?,
            }
        }
        QaCommand::Clock {
            action: Some(ClockAction::Set { time }),
        } => Action::SetClock {
            unix_seconds: rfc3339_seconds(&time)?,
        },
        QaCommand::Reset => Action::Reset,
        QaCommand::Unlock { user } => Action::Unlock(username(&user)?),
        QaCommand::Fault(action) => fault_action(action)?,
        QaCommand::Freeze => Action::Freeze,
        QaCommand::Thaw => Action::Thaw,
        QaCommand::Sms { phone } => {
            if let Some(n) = &phone {
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("--phone {n:?}: digits only"));
                }
            }
            Action::Sms(phone)
        }
        QaCommand::Audit {
            user,
            limit,
            follow,
        } => Action::Audit {
            user: user.as_deref().map(username).transpose()?,
            limit,
            follow,
        },
        QaCommand::Journal(j) => Action::Journal {
            query: JournalQuery {
                method: j.method,
                route: j.route,
                code: j.code,
                user: j.user.as_deref().map(username).transpose()?,
                since_seq: j.since,
                limit: j.limit,
                include_qa: j.include_qa.then_some(true),
            },
            follow: j.follow,
        },
        QaCommand::Provision { device } => Action::Provision(identifier("device id", &device)?),
        QaCommand::TempPasscode { user } => Action::TempPasscode(username(&user)?),
        QaCommand::Activate { device } => Action::Activate(identifier("device id", &device)?),
        QaCommand::ApproveSharing { sharing_id } => {
            Action::ApproveSharing(identifier("sharing id", &sharing_id)?)
        }
        QaCommand::RejectSharing { sharing_id, reason } => Action::RejectSharing {
            id: identifier("sharing id", &sharing_id)?,
            reason,
        },
    })
}

fn fault_action(action: FaultAction) -> Result<Action, String> {
    Ok(match action {
        FaultAction::Route {
            route,
            method,
            delay,
            error,
            times,
        } => Action::RouteFault(portcullis_api::RouteFaultRequest {
            route,
            method,
            delay_ms: delay
                .as_deref()
                .map(|d| parse_millis(d).map_err(|e| format!("--delay {e}")))
                .transpose()?,
            error: error.as_deref().map(forced_error).transpose()?,
            times,
        }),
        FaultAction::Phone {
            mode,
            device,
            delay,
        } => {
            let delay_ms = match (mode, delay) {
                (PhoneMode::Delay, None) => return Err("fault phone delay needs --delay".into()),
                (PhoneMode::Delay, Some(d)) => {
                    parse_millis(&d).map_err(|e| format!("--delay {e}"))?
                }
                (PhoneMode::Drop | PhoneMode::Offline | PhoneMode::None, Some(_)) => {
                    return Err("--delay goes with `fault phone delay` only".into())
                }
                (PhoneMode::Drop | PhoneMode::Offline | PhoneMode::None, None) => 0,
            };
            let mode = match mode {
                PhoneMode::Drop => "drop",
                PhoneMode::Delay => "delay",
                PhoneMode::Offline => "offline",
                PhoneMode::None => "none",
            };
            Action::PhoneFault(FaultRequest {
                device_id: device
                    .as_deref()
                    .map(|d| identifier("--device", d))
                    .transpose()?,
                mode: mode.into(),
                delay_ms,
            })
        }
        FaultAction::Remove { id } => Action::RemoveFault(id),
        FaultAction::List => Action::Faults,
        FaultAction::Clear => Action::ClearFaults,
    })
}

/// `503:unavailable`, or a code alone (its usual status).
fn forced_error(text: &str) -> Result<ForcedErrorRequest, String> {
    let (status, code) = match text.split_once(':') {
        Some((status, code)) => {
            let status: u16 = status
                .parse()
                .ok()
                .filter(|s| (400..=599).contains(s))
                .ok_or_else(|| format!("--error {text:?}: the status is 400 to 599"))?;
            (Some(status), code)
        }
        None => (None, text),
    };
    let code: ErrorCode = serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|_| {
            format!("--error {text:?}: {code:?} is not one of the broker's error codes")
        })?;
    Ok(ForcedErrorRequest {
        status,
        code,
        message: None,
    })
}

fn rfc3339_seconds(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("{text:?}: not an RFC 3339 time ({e}), e.g. 2026-05-01T09:30:00Z"))
}

fn username(text: &str) -> Result<String, String> {
    Username::parse(text)
        .map(|u| u.as_str().to_owned())
        .map_err(|e| format!("user name {text:?}: {e}"))
}

/// An id as the broker issues them (letters, digits and '-'), checked before it goes
/// into a URL path.
fn identifier(what: &str, id: &str) -> Result<String, String> {
    if !crate::operator::is_plain_id(id) {
        return Err(format!("{what} {id:?}: letters, digits and '-'"));
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forced_error_is_status_and_code_or_code_alone() {
        let e = forced_error("503:unavailable").unwrap();
        assert_eq!((e.status, e.code), (Some(503), ErrorCode::Unavailable));
        assert_eq!(forced_error("busy").unwrap().status, None);
        assert!(forced_error("200:busy").is_err());
        assert!(forced_error("503:down").is_err());
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339_seconds("2033-05-18T03:33:20Z"), Ok(2_000_000_000));
        assert_eq!(
            rfc3339_seconds("2033-05-18T05:33:20+02:00"),
            Ok(2_000_000_000)
        );
        assert!(rfc3339_seconds("tomorrow").is_err());
    }
}
