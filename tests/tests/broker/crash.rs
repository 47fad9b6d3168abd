//! Crash consistency (issue 11): a storm of failed logins, `kill -9` at random moments
//! fifty times on one state folder, and afterwards no acknowledged failure lost, the
//! SQLite file sound, and the lockout counters equal to the audit log.
//!
//! The store commits each request in one IMMEDIATE transaction on a WAL database with
//! `synchronous = FULL` (`mock-broker/src/store/mod.rs`) before the answer is written,
//! so an answer the client received is already in the file.

use portcullis_api::{ErrorBody, ErrorCode, LoginRequest};
use portcullis_testkit::contract::Contract;
use portcullis_testkit::BrokerOptions;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const ROUNDS: usize = 50;
/// One client each; blake twice, so two clients race on one counter. `ghost` is no
/// user: L2 counts its failures all the same.
const CLIENTS: [&str; 4] = ["blake", "blake", "casey", "ghost"];
/// The environment variable that repeats a run's kill targets (how many answers, then
/// how long, before each kill).
const SEED_ENV: &str = "PORTCULLIS_CRASH_SEED";
/// The audit events that record one failed attempt each (L4: a refusal under the lock
/// is a failure too).
const FAILURE_EVENTS: [&str; 2] = ["invalid_credentials", "refused_locked"];

/// SplitMix64: a seeded stream, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One client's round: the attempts it sent and those the broker answered as failed.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    sent: u64,
    acknowledged: u64,
}

/// How the broker answered one wrong password.
enum Outcome {
    /// `invalid_credentials` (401) or `locked` (423): a failure the broker owns up to.
    Failed,
    /// 503 `busy`: no attempt was made (README, limits).
    Busy,
    /// No complete answer: the process died with the request in flight (or before it).
    Lost,
}

async fn wrong_password(
    http: &reqwest::Client,
    url: &str,
    contract: &Contract,
    username: &str,
) -> Outcome {
    let request = LoginRequest {
        username: username.into(),
        password: "not-the-password".into(),
        device_id: None,
        channel: Default::default(),
    };
    let Ok(resp) = http
        .post(format!("{url}/v1/login"))
        .json(&request)
        .send()
        .await
    else {
        return Outcome::Lost;
    };
    let status = resp.status().as_u16();
    let Ok(bytes) = resp.bytes().await else {
        return Outcome::Lost;
    };
    let body: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("a complete answer that is not JSON ({e}): {bytes:?}"));
    contract.check("POST", "/v1/login", status, Some(&body));
    let error: ErrorBody = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("a wrong password answered {status} {body}: {e}"));
    match (status, error.code) {
        (401, ErrorCode::InvalidCredentials) | (423, ErrorCode::Locked) => Outcome::Failed,
        (503, ErrorCode::Busy) => Outcome::Busy,
        other => panic!("a wrong password answered {other:?}: {body}"),
    }
}

/// Fires wrong passwords as `username` until the broker stops answering; bumps `acks`
/// and wakes `kill` when the round's target is reached.
async fn storm(
    http: reqwest::Client,
    url: String,
    contract: Arc<Contract>,
    username: &'static str,
    acks: Arc<AtomicU64>,
    target: u64,
    kill: Arc<Notify>,
) -> (&'static str, Tally) {
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the broker was not killed within 30 s"
        );
        tally.sent += 1;
        match wrong_password(&http, &url, &contract, username).await {
            Outcome::Failed => {
                tally.acknowledged += 1;
                if acks.fetch_add(1, Ordering::SeqCst) + 1 == target {
                    kill.notify_one();
                }
            }
            Outcome::Busy => {}
            Outcome::Lost => return (username, tally),
        }
    }
}

/// What the SQLite file says of one user: failures audited, the lockout counter
/// (failures in the window, or all the lock has seen), and `locked` events.
#[derive(Debug, PartialEq, Eq)]
struct Recorded {
    audited: u64,
    counter: u64,
    locked: bool,
    lock_events: u64,
}

fn recorded(db: &rusqlite::Connection, username: &str) -> Recorded {
    let count = |sql: &str| -> u64 {
        db.query_row(sql, [username], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let audited = count(&format!(
        "SELECT COUNT(*) FROM audit WHERE username = ?1 AND event IN ('{}')",
        FAILURE_EVENTS.join("', '")
    ));
    let lock_events = count("SELECT COUNT(*) FROM audit WHERE username = ?1 AND event = 'locked'");
    let state: Option<String> = db
        .query_row(
            "SELECT state FROM lockouts WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .ok();
    let state: Value = state.map_or(json!({ "state": "open", "failures": [] }), |s| {
        serde_json::from_str(&s).expect("a lockout record is JSON")
    });
    let (locked, counter) = match state["state"].as_str() {
        Some("open") => (
            false,
            state["failures"].as_array().expect("times").len() as u64,
        ),
        Some("locked") => (true, state["failures"].as_u64().expect("a count")),
        _ => panic!("{username}'s lockout record: {state}"),
    };
    Recorded {
        audited,
        counter,
        locked,
        lock_events,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_kill_9_in_a_failed_login_storm_loses_no_acknowledged_failure() {
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos() as u64
        });
    eprintln!("crash test seed {seed} ({SEED_ENV}={seed} repeats its kill targets)");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut b = BrokerOptions::qa().light_hashing().start().await;
    let mut totals: BTreeMap<&str, Tally> = BTreeMap::new();
    for round in 0..ROUNDS {
        if round > 0 {
            b.restart();
        }
        let contract = b.contract().await;
        // The kill comes after 1–24 acknowledged failures of this round, then a further
        // 0–3 ms: while the other clients' requests are anywhere inside the broker.
        let target = 1 + rng.below(24);
        let jitter = Duration::from_micros(rng.below(3_000));
        let acks = Arc::new(AtomicU64::new(0));
        let kill = Arc::new(Notify::new());
        let clients: Vec<_> = CLIENTS
            .iter()
            .map(|&user| {
                tokio::spawn(storm(
                    b.http.clone(),
                    b.url.clone(),
                    contract.clone(),
                    user,
                    acks.clone(),
                    target,
                    kill.clone(),
                ))
            })
            .collect();
        tokio::time::timeout(Duration::from_secs(30), kill.notified())
            .await
            .unwrap_or_else(|_| panic!("round {round}: {target} failures not answered in 30 s"));
        tokio::time::sleep(jitter).await;
        b.kill_hard();
        for client in clients {
            let (user, tally) = client.await.expect("a client task");
            let total = totals.entry(user).or_default();
            total.sent += tally.sent;
            total.acknowledged += tally.acknowledged;
        }
    }

    // The file as the last kill left it, read before any broker opens it again.
    let db = rusqlite::Connection::open(b.state_dir().join("broker.sqlite3"))
        .expect("the state file opens");
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .expect("integrity_check runs");
    assert_eq!(
        integrity,
        ["ok"],
        "PRAGMA integrity_check after {ROUNDS} kills"
    );
    let mut users: BTreeMap<&str, Recorded> = BTreeMap::new();
    for (&user, tally) in &totals {
        let r = recorded(&db, user);
        eprintln!(
            "{user}: {} sent, {} acknowledged, {} audited, counter {}, locked {}",
            tally.sent, tally.acknowledged, r.audited, r.counter, r.locked
        );
        assert!(
            r.audited >= tally.acknowledged,
            "{user}: {} acknowledged failures, only {} audited: one was lost (seed {seed})",
            tally.acknowledged,
            r.audited
        );
        assert!(
            r.audited <= tally.sent,
            "{user}: {} audited of {} sent (seed {seed})",
            r.audited,
            tally.sent
        );
        assert_eq!(
            r.counter, r.audited,
            "{user}: the lockout counter and the audit log disagree (seed {seed})"
        );
        assert_eq!(
            (r.locked, r.lock_events),
            (r.counter >= 10, u64::from(r.counter >= 10)),
            "{user}: L4 locks once, at the tenth failure (seed {seed})"
        );
        users.insert(user, r);
    }
    drop(db);

    // A broker started on the file reads the same counts.
    b.restart();
    for (user, r) in &users {
        let info = b.lockout_info(user).await;
        assert_eq!(
            (info.locked, info.failures_in_window as u64),
            (r.locked, r.counter),
            "{user}: the restarted broker's lockout"
        );
    }
    eprintln!(
        "crash test: {ROUNDS} kills in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
