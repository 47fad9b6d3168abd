//! `mock-broker serve --seed N` as a real process (issue 10, test-only): two brokers
//! with the same seed show the same challenges for the same requests, another seed
//! others; session tokens stay random; the broker warns at start; `--seed` needs `--qa`.

use portcullis_api::{LoginStep, ResetDone};
use portcullis_testkit::{binary, Broker, BrokerOptions, Opened, StepExt};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

async fn seeded(seed: u64) -> Broker {
    BrokerOptions::qa().seed(seed).start().await
}

/// avery's challenges over three logins, and the session the last one opens.
async fn challenges(b: &Broker) -> (Vec<String>, String) {
    let mut shown = Vec::new();
    let mut last: Option<LoginStep> = None;
    for _ in 0..3 {
        let step = b.login("avery", "Trade2026").await.ok();
        shown.push(step.challenge().to_owned());
        last = Some(step);
    }
    let step = last.expect("three logins");
    let response = b
        .card_response("DSCP-40211873", "1234", step.challenge())
        .await;
    let opened = b.respond(step.ticket().expect("a ticket"), &response).await;
    (shown, opened.ok().opened().token.clone())
}

#[tokio::test]
async fn seed_two_brokers_with_the_same_seed_show_the_same_challenges() {
    let (one, two, other) = tokio::join!(seeded(2026), seeded(2026), seeded(2027));
    let (shown_one, token_one) = challenges(&one).await;
    let (shown_two, token_two) = challenges(&two).await;
    assert_eq!(shown_one, shown_two, "the same seed, the same requests");
    assert_ne!(
        token_one, token_two,
        "session tokens never come from the seed"
    );
    let (shown_other, _) = challenges(&other).await;
    assert_ne!(shown_one, shown_other, "another seed, other challenges");

    let reset: ResetDone = one.post_as("/qa/reset", &json!({})).await.ok();
    assert_eq!(reset, ResetDone::Reset);
    let (again, _) = challenges(&one).await;
    assert_eq!(again, shown_one, "a reset run repeats");
}

#[test]
fn seed_warns_at_start_and_needs_qa() {
    let mut child = Command::new(binary("mock-broker"))
        .args(["serve", "--qa", "--seed", "5", "--exit-with-stdin"])
        .env("MOCK_BROKER_LOG", "mock_broker=info")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mock-broker");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let warning = stderr
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("WARN") || line.contains("broker ready"))
        .expect("a log line");
    drop(child.stdin.take()); // --exit-with-stdin: it stops
    child.wait().expect("the broker ends");
    assert!(
        warning.contains("WARN") && warning.contains("seed") && warning.contains("tests only"),
        "a seeded broker says so before it is ready: {warning}"
    );

    let refused = Command::new(binary("mock-broker"))
        .args(["serve", "--seed", "5"])
        .output()
        .expect("run mock-broker");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "--seed without --qa is a usage error"
    );
}
