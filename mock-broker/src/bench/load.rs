//! Throughput phases: second-factor rounds (password step + DSC+ response), the
//! response step alone, full logins at the broker's real Argon2id cost, and the bare
//! Argon2id rate of this machine for comparison.
//!
//! Each connection is a task with a [`Desktop`] of its own (one keep-alive connection)
//! and its own slice of the users: C4 allows one login under way per user (a new
//! attempt replaces the last), so two tasks never log the same user in at once. Every
//! response sent is right, so no run comes near L4's lock.

use super::client::{Card, Challenged, Desktop, Failure};
use super::measure::Latencies;
use crate::password::Argon2Settings;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// A task gives up after this many failures in a row (a broker gone, not a hiccup).
const GIVE_UP_AFTER: u32 = 100;
/// At most this many logins are readied (password step, untimed) before each timed
/// batch of responses; fewer with fewer users.
const VERIFY_BATCH: usize = 4096;

/// What a phase did: successes, failures (the first kept to print), the time it was
/// timed for and each success's latency.
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: u64,
    pub failures: u64,
    pub first_failure: Option<Failure>,
    pub elapsed: Duration,
    pub latencies: Latencies,
}

impl Outcome {
    pub(super) fn fail(&mut self, failure: Failure) {
        self.failures += 1;
        self.first_failure.get_or_insert(failure);
    }

    /// Adds `other`'s counts, samples and timed span.
    pub(super) fn merge(&mut self, other: Outcome) {
        self.elapsed += other.elapsed;
        self.done += other.done;
        self.failures += other.failures;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.latencies.merge(other.latencies);
    }

    /// Successes per second of the timed part.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        // Counts stay far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let done = self.done as f64;
        done / secs
    }

    /// `n=… failures …` and the first failure, if any.
    pub fn tally(&self) -> String {
        match &self.first_failure {
            None => format!("n={} failures 0", self.done),
            Some(f) => format!("n={} failures {} (first: {f})", self.done, self.failures),
        }
    }
}

/// The users (or tickets) of task `task` of `tasks`: every `tasks`th from its own start.
pub(super) fn share(users: &[String], task: usize, tasks: usize) -> Vec<String> {
    users.iter().skip(task).step_by(tasks).cloned().collect()
}

fn enough_users(users: &[String], connections: usize) -> Result<(), Failure> {
    if users.len() < connections || connections == 0 {
        return Err(Failure(format!(
            "{connections} connections need at least as many users (have {})",
            users.len()
        )));
    }
    Ok(())
}

async fn gather(mut tasks: JoinSet<Outcome>) -> Outcome {
    let mut total = Outcome::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(outcome) => total.merge(outcome),
            Err(e) => total.fail(Failure(format!("a task ended: {e}"))),
        }
    }
    total
}

/// One second-factor round: the password step, then the card's response.
async fn round(desktop: &Desktop, card: &Card, username: &str) -> Result<(), Failure> {
    let Challenged { ticket, challenge } = desktop.challenged(username).await?;
    desktop.respond(&ticket, &card.response(&challenge)?).await
}

/// Rounds (password step + response, timed together) on `connections` connections for
/// `run_for`, each task going through its users in turn.
pub async fn rounds(
    url: &str,
    users: &[String],
    connections: usize,
    run_for: Duration,
) -> Result<Outcome, Failure> {
    enough_users(users, connections)?;
    let card = Card::bench();
    let start = Instant::now();
    let deadline = start + run_for;
    let mut tasks = JoinSet::new();
    for task in 0..connections {
        let mine = share(users, task, connections);
        let desktop = Desktop::new(url);
        let card = card.clone();
        tasks.spawn(async move {
            let mut out = Outcome::default();
            let mut in_a_row = 0;
            for username in mine.iter().cycle() {
                if Instant::now() >= deadline || in_a_row >= GIVE_UP_AFTER {
                    break;
                }
                let began = Instant::now();
                match round(&desktop, &card, username).await {
                    Ok(()) => {
                        out.done += 1;
                        out.latencies.record(began.elapsed());
                        in_a_row = 0;
                    }
                    Err(f) => {
                        out.fail(f);
                        in_a_row += 1;
                    }
                }
            }
            out
        });
    }
    let mut total = gather(tasks).await;
    total.elapsed = start.elapsed();
    Ok(total)
}

/// Responses alone: batches of logins readied by their password step (untimed), then
/// their responses sent on `connections` connections (timed), until `run_for` of timed
/// work. A batch holds each user once (C4: one login under way per user) and is
/// answered within seconds of its challenges (C4: five minutes).
pub async fn verifications(
    url: &str,
    users: &[String],
    connections: usize,
    run_for: Duration,
) -> Result<Outcome, Failure> {
    enough_users(users, connections)?;
    let card = Card::bench();
    let desktops: Vec<Desktop> = (0..connections).map(|_| Desktop::new(url)).collect();
    let batch = users.len().min(VERIFY_BATCH);
    let mut total = Outcome::default();
    let mut next = 0;
    while total.elapsed < run_for {
        let chosen: Vec<String> = (0..batch)
            .map(|i| users[(next + i) % users.len()].clone())
            .collect();
        next = (next + batch) % users.len();
        let ready = Arc::new(ready(&desktops, &card, chosen).await?);
        let taken = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = JoinSet::new();
        for desktop in &desktops {
            let (desktop, ready, taken) = (desktop.clone(), ready.clone(), taken.clone());
            tasks.spawn(async move {
                let mut out = Outcome::default();
                while let Some((ticket, response)) =
                    ready.get(taken.fetch_add(1, Ordering::Relaxed))
                {
                    let began = Instant::now();
                    match desktop.respond(ticket, response).await {
                        Ok(()) => {
                            out.done += 1;
                            out.latencies.record(began.elapsed());
                        }
                        Err(f) => out.fail(f),
                    }
                }
                out
            });
        }
        let outcome = gather(tasks).await;
        total.elapsed += start.elapsed();
        let nothing_done = outcome.done == 0;
        total.merge(outcome);
        if nothing_done {
            break;
        }
    }
    Ok(total)
}

/// Password steps for `users` on the desktops, their responses computed: (ticket,
/// response) each. Untimed.
async fn ready(
    desktops: &[Desktop],
    card: &Card,
    users: Vec<String>,
) -> Result<Vec<(String, String)>, Failure> {
    let mut tasks = JoinSet::new();
    for (task, desktop) in desktops.iter().enumerate() {
        let (desktop, card) = (desktop.clone(), card.clone());
        let mine = share(&users, task, desktops.len());
        tasks.spawn(async move {
            let mut ready = Vec::with_capacity(mine.len());
            for username in &mine {
                let Challenged { ticket, challenge } = desktop.challenged(username).await?;
                ready.push((ticket, card.response(&challenge)?));
            }
            Ok::<_, Failure>(ready)
        });
    }
    let mut all = Vec::with_capacity(users.len());
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.map_err(|e| Failure(format!("a task ended: {e}")))??);
    }
    Ok(all)
}

/// Argon2id hashes on `workers` threads for `run_for`, with `settings`, each worker
/// reusing its memory as the broker's hash slots do: (hashes, elapsed).
pub fn bare_hashes(
    settings: Argon2Settings,
    workers: usize,
    run_for: Duration,
) -> Result<(u64, Duration), Failure> {
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    let params = Params::new(
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        None,
    )
    .map_err(|e| Failure(format!("Argon2 settings: {e}")))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let start = Instant::now();
    let deadline = start + run_for;
    let hashes = std::thread::scope(|scope| {
        let running: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (argon2, params) = (&argon2, &params);
                scope.spawn(move || {
                    let mut memory = vec![Block::default(); params.block_count()];
                    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        if argon2
                            .hash_password_into_with_memory(
                                b"Trade2026",
                                b"portcullis-bench-salt",
                                &mut out,
                                &mut memory,
                            )
                            .is_ok()
                        {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        running
            .into_iter()
            .map(|w| w.join().unwrap_or(0))
            .sum::<u64>()
    });
    Ok((hashes, start.elapsed()))
}
