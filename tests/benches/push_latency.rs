//! Push latency, measured on the real broker process (not a timed test: it prints).
//!
//! - broker → phone: from the broker sending a push (its `sent_unix_ms`) to the phone's
//!   event stream delivering it;
//! - approve → desktop proceeds: from the phone's approval request to the desktop's
//!   waiting long poll returning the session.
//!
//! `cargo build --release -p mock-broker && cargo bench -p portcullis-testkit --bench push_latency`
//! (`PUSH_BENCH_ROUNDS`, default 200).

use portcullis_testkit::phone::Phone;
use portcullis_testkit::{Broker, Opened};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{name:<28} n={:<4} p50={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("PUSH_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let broker = Broker::start().await;
    let phone = Phone::provision(&broker, "demo-phone").await;
    let mut events = phone.events().await;
    let mut delivery = Vec::with_capacity(rounds);
    let mut proceed = Vec::with_capacity(rounds);

    for _ in 0..rounds {
        let step = broker.login("dana", "Trade2026").await.ok();
        let push = events.next_push(Duration::from_secs(10)).await;
        delivery.push(wall_ms() - push.sent_unix_ms as f64);

        let ticket = step.ticket().expect("a push's ticket").to_owned();
        let waiting = broker.wait(&ticket, 10_000);
        let approving = async {
            // Let the desktop's long poll reach the broker first, as it would in use.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let started = Instant::now();
            phone.approve(&push, "2580", None).await.ok();
            started
        };
        let (outcome, started) = tokio::join!(waiting, approving);
        outcome.ok().opened();
        proceed.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    println!("push latency over {rounds} logins (real broker process, loopback):");
    report("broker -> phone (SSE)", delivery);
    report("approve -> desktop proceeds", proceed);
}
