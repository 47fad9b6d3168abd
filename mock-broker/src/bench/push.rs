//! IB Key phases: push delivery and approval latency (K2), and the broker holding many
//! push logins with a desktop long-polling each.
//!
//! The phone is the scenario's `bench-phone`, provisioned through the QA endpoint
//! (its token and its users' keys); it listens on its event stream and approves with
//! the OCRA response, as the phone simulator does.

use super::client::{Card, Desktop, Failure};
use super::load::{share, Outcome};
use super::measure::Latencies;
use super::scenario::PHONE;
use portcullis_api::{ApproveRequest, Empty, Method, PhoneEvent, PhoneProvision, PushWait};
use portcullis_client::sse::EventStream;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::task::JoinSet;

/// How long the bench waits for a push to reach the phone before calling it lost.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(10);
/// Each waiting desktop's long poll (the broker's longest).
const LONG_POLL: Duration = Duration::from_secs(60);

/// The bench phone: its token and the key of each of its users.
pub struct Phone {
    token: String,
    cards: HashMap<String, Card>,
    events: EventStream,
}

impl Phone {
    /// Provisions `bench-phone` (QA) and opens its event stream.
    pub async fn open(desktop: &Desktop, qa_token: Option<&str>) -> Result<Phone, Failure> {
        let path = format!("/qa/phones/{PHONE}/provision");
        let p: PhoneProvision = desktop.post(&path, &Empty {}, None, qa_token).await?;
        let mut cards = HashMap::new();
        for a in p.accounts {
            let card = Card::from_hex(&a.secret_hex, a.pin_sha1_hex.as_deref())?;
            cards.insert(a.username, card);
        }
        // Its own client: the stream stays open past any request deadline.
        let resp = reqwest::Client::new()
            .get(format!("{}/v1/phone/events", desktop.base()))
            .bearer_auth(&p.phone_token)
            .send()
            .await
            .map_err(|e| Failure(format!("event stream: {e}")))?;
        if !resp.status().is_success() {
            return Err(Failure(format!("event stream: HTTP {}", resp.status())));
        }
        Ok(Phone {
            token: p.phone_token,
            cards,
            events: EventStream::new(resp),
        })
    }

    /// The next push for `username` (others, and withdrawals, are passed over).
    async fn push_for(&mut self, username: &str) -> Result<portcullis_api::PhonePush, Failure> {
        let deadline = tokio::time::Instant::now() + DELIVERY_DEADLINE;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .map_err(|_| Failure(format!("no push for {username} within 10 s")))?
                .ok_or_else(|| Failure("the event stream ended".into()))?;
            match serde_json::from_str::<PhoneEvent>(&event.data) {
                Ok(PhoneEvent::Push(push)) if push.username == username => return Ok(push),
                Ok(PhoneEvent::Push(_) | PhoneEvent::Withdrawn { .. }) => {}
                Err(e) => return Err(Failure(format!("event {}: {e}", event.name))),
            }
        }
    }
}

/// Delivery (broker sends → phone's stream delivers, from the push's `sent_unix_ms`)
/// and approval (phone asks to approve → the desktop's long poll answers) latencies.
#[derive(Debug, Default)]
pub struct PushLatencies {
    pub delivery: Latencies,
    pub approval: Latencies,
    pub failures: u64,
    pub first_failure: Option<Failure>,
}

fn unix_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// `rounds` push logins, one at a time, by the IB Key users in turn.
pub async fn latencies(
    url: &str,
    users: &[String],
    rounds: usize,
    qa_token: Option<&str>,
) -> Result<PushLatencies, Failure> {
    let desktop = Desktop::new(url);
    let approver = Desktop::new(url);
    let mut phone = Phone::open(&desktop, qa_token).await?;
    let mut out = PushLatencies::default();
    for username in users.iter().cycle().take(rounds) {
        if let Err(f) = push_round(&desktop, &approver, &mut phone, username, &mut out).await {
            out.failures += 1;
            out.first_failure.get_or_insert(f);
        }
    }
    Ok(out)
}

async fn push_round(
    desktop: &Desktop,
    approver: &Desktop,
    phone: &mut Phone,
    username: &str,
    out: &mut PushLatencies,
) -> Result<(), Failure> {
    // The phone listens while the desktop logs in: the push is timed as it arrives,
    // not after the password step's own answer.
    let (step, push) = tokio::join!(desktop.login(username), async {
        let push = phone.push_for(username).await;
        (push, unix_ms())
    });
    let step = step?;
    let (push, arrived_ms) = push;
    let push = push?;
    let late_ms = u64::try_from(arrived_ms - push.sent_unix_ms).unwrap_or(0);
    out.delivery.record(Duration::from_millis(late_ms));
    let picked = match step.method {
        Method::Push { number_match } => number_match,
        Method::Challenge { .. }
        | Method::Sms { .. }
        | Method::IndexCard { .. }
        | Method::TemporaryPasscode {} => {
            return Err(Failure(format!("{username} got no push")));
        }
    };
    let card = phone
        .cards
        .get(username)
        .ok_or_else(|| Failure(format!("{username} is not on {PHONE}")))?;
    let body = ApproveRequest {
        response: card.response(&push.challenge)?,
        picked,
        method: "pin".into(),
    };
    let waiting = async {
        let answer = desktop.wait(&step.ticket, Duration::from_secs(10)).await;
        (answer, Instant::now())
    };
    let approving = async {
        // The desktop's long poll reaches the broker first, as it does in use.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let started = Instant::now();
        (
            approver.approve(&phone.token, &push.push_id, &body).await,
            started,
        )
    };
    let ((answer, answered), (approved, started)) = tokio::join!(waiting, approving);
    approved?;
    match answer? {
        PushWait::Authenticated(_) => {
            out.approval
                .record(answered.saturating_duration_since(started));
            Ok(())
        }
        PushWait::Pending { .. } => Err(Failure("the approved login still waits".into())),
    }
}

/// Push logins with a desktop long-polling each, held until dropped.
pub struct Waiters {
    pub created: usize,
    pub creating: Duration,
    pub create_failures: Outcome,
    tickets: Vec<String>,
    waiting: JoinSet<()>,
    pub wait_failures: Arc<AtomicU64>,
    pub first_wait_failure: Arc<Mutex<Option<Failure>>>,
}

impl Waiters {
    /// One push login for each of `users`, on `connections` connections (timed: the
    /// rate at which pushes pile up), then a desktop of its own (one connection each)
    /// long-polling each login until the end, all at once. Created first and waited on
    /// after, so the pushes' three minutes (K6) are not spent creating them.
    pub async fn start(url: &str, users: &[String], connections: usize) -> Waiters {
        let start = Instant::now();
        let mut creators = JoinSet::new();
        for task in 0..connections.max(1) {
            let mine = share(users, task, connections.max(1));
            let desktop = Desktop::new(url);
            creators.spawn(async move {
                let mut out = Outcome::default();
                let mut tickets = Vec::new();
                for username in &mine {
                    let began = Instant::now();
                    match desktop.login(username).await {
                        Ok(step) => {
                            out.done += 1;
                            out.latencies.record(began.elapsed());
                            tickets.push(step.ticket);
                        }
                        Err(f) => out.fail(f),
                    }
                }
                (out, tickets)
            });
        }
        let mut created = Outcome::default();
        let mut tickets = Vec::new();
        while let Some(joined) = creators.join_next().await {
            if let Ok((out, t)) = joined {
                created.done += out.done;
                created.failures += out.failures;
                created.latencies.merge(out.latencies);
                if created.first_failure.is_none() {
                    created.first_failure = out.first_failure;
                }
                tickets.extend(t);
            }
        }
        let creating = start.elapsed();
        created.elapsed = creating;
        // One pool for every waiter: concurrent long polls each open a connection.
        let pool = reqwest::Client::builder()
            .timeout(LONG_POLL + Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        let wait_failures = Arc::new(AtomicU64::new(0));
        let first_wait_failure = Arc::new(Mutex::new(None));
        let mut waiting = JoinSet::new();
        for ticket in &tickets {
            waiting.spawn(wait_on(
                Desktop::with_client(url, pool.clone()),
                ticket.clone(),
                wait_failures.clone(),
                first_wait_failure.clone(),
            ));
        }
        Waiters {
            created: tickets.len(),
            creating,
            create_failures: created,
            tickets,
            waiting,
            wait_failures,
            first_wait_failure,
        }
    }

    /// Ends the long polls and cancels the logins (so the broker is left as found).
    pub async fn end(mut self, url: &str, connections: usize) {
        self.waiting.abort_all();
        while self.waiting.join_next().await.is_some() {}
        let mut cancelling = JoinSet::new();
        for task in 0..connections.max(1) {
            let mine = share(&self.tickets, task, connections.max(1));
            let desktop = Desktop::new(url);
            cancelling.spawn(async move {
                for ticket in mine {
                    let body = portcullis_api::TicketRequest { ticket };
                    let _: Result<serde::de::IgnoredAny, _> =
                        desktop.post("/v1/login/cancel", &body, None, None).await;
                }
            });
        }
        while cancelling.join_next().await.is_some() {}
    }
}

/// A desktop's K2 wait: long polls, one after the other, until the push is answered,
/// it fails (expired, refused) or the task is dropped.
async fn wait_on(
    desktop: Desktop,
    ticket: String,
    failures: Arc<AtomicU64>,
    first: Arc<Mutex<Option<Failure>>>,
) {
    loop {
        match desktop.wait(&ticket, LONG_POLL).await {
            Ok(PushWait::Pending { .. }) => {}
            Ok(PushWait::Authenticated(_)) => return,
            Err(f) => {
                failures.fetch_add(1, Ordering::Relaxed);
                first
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(f);
                return;
            }
        }
    }
}
