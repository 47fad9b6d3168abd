//! `mock-broker qa` against a real broker (issue 10): the clock in human durations,
//! reset, a route fault seen in the journal, `--json` that scripts can parse, exit
//! status 2 for what is typed wrong and 1 for a refusal (with its code), the QA token,
//! and `journal --follow`.

use portcullis_api::{ClockInfo, ErrorCode, JournalPage, LockoutInfo, ResetDone, RouteFault};
use portcullis_testkit::{binary, Broker, BrokerOptions};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// `mock-broker qa --url URL ARGS…` against `b`, with `env`.
fn qa_with(b: &Broker, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(binary("mock-broker"))
        .args(["qa", "--url", &b.url])
        .args(args)
        .env_remove("MOCK_BROKER_QA_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("the CLI runs")
}

fn qa(b: &Broker, args: &[&str]) -> Output {
    qa_with(b, &[], args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `--json` answer, decoded as a script would.
fn json_of<T: serde::de::DeserializeOwned>(out: &Output) -> T {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json prints JSON ({e}): {}", stdout(out)))
}

#[tokio::test]
async fn qa_cli_clock_advance_takes_a_human_duration() {
    let b = Broker::start().await;
    let before: ClockInfo = b.get_as("/qa/clock").await.ok();
    let moved = qa(&b, &["clock", "advance", "1d2h"]);
    assert_eq!(moved.status.code(), Some(0), "{}", stderr(&moved));
    assert!(
        stdout(&moved).starts_with("now "),
        "a record: {}",
        stdout(&moved)
    );
    let after: ClockInfo = json_of(&qa(&b, &["--json", "clock", "advance", "90s"]));
    let travelled = after.now_ms - before.now_ms;
    assert!(
        travelled >= (86_400 + 7_200 + 90) * 1000,
        "1d2h then 90s: {travelled} ms"
    );

    let back = qa(&b, &["clock", "advance", "-5m"]);
    assert_eq!(
        back.status.code(),
        Some(2),
        "a negative duration is typed wrong"
    );
    let why = stderr(&back);
    assert_eq!(why.lines().count(), 1, "one line: {why}");
    assert!(why.contains("only moves forward"), "{why}");
    for typo in [
        ["clock", "advance", "90"],
        ["clock", "advance", "3y"],
        ["clock", "set", "soon"],
    ] {
        assert_eq!(qa(&b, &typo).status.code(), Some(2), "{typo:?}");
    }
    let set: ClockInfo = json_of(&qa(&b, &["--json", "clock", "set", "2033-05-18T03:33:20Z"]));
    assert!(set.now.starts_with("2033-05-18T03:33:2"), "{set:?}");
}

#[tokio::test]
async fn qa_cli_reset_restores_the_scenario() {
    let b = Broker::start().await;
    for _ in 0..10 {
        b.login("blake", "wrong").await;
    }
    assert!(b.lockout_info("blake").await.locked);
    let done: ResetDone = json_of(&qa(&b, &["reset", "--json"]));
    assert_eq!(done, ResetDone::Reset);
    assert!(
        !b.lockout_info("blake").await.locked,
        "L4's lock is gone with the reset"
    );
    let lifted: LockoutInfo = json_of(&qa(&b, &["--json", "unlock", "blake"]));
    assert!(!lifted.locked);
}

#[tokio::test]
async fn qa_cli_a_route_fault_shows_in_the_journal() {
    let b = Broker::start().await;
    let rule: RouteFault = json_of(&qa(
        &b,
        &[
            "--json",
            "fault",
            "route",
            "/v1/login",
            "--error",
            "503:unavailable",
            "--times",
            "1",
        ],
    ));
    assert_eq!(rule.times, Some(1));
    let refused = b.login("blake", "Trade2026").await.err();
    assert_eq!(refused.code, ErrorCode::Unavailable);

    let page: JournalPage = json_of(&qa(&b, &["--json", "journal", "--route", "/v1/login"]));
    let entry = page.entries.last().expect("the login is journalled");
    assert_eq!(
        (entry.status, entry.code.as_str(), entry.fault_id),
        (503, "unavailable", Some(rule.id))
    );
    let table = stdout(&qa(&b, &["journal", "--route", "/v1/login"]));
    let header = table.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("SEQ") && header.contains("ROUTE"),
        "{table}"
    );

    let listed: Value = json_of(&qa(&b, &["--json", "fault", "list"]));
    assert_eq!(
        listed,
        json!({ "rules": [], "faults": [] }),
        "times 1: lifted"
    );
    let phone = qa(&b, &["fault", "phone", "drop", "--device", "IBK-10000001"]);
    assert_eq!(phone.status.code(), Some(0), "{}", stderr(&phone));
    let cleared: Value = json_of(&qa(&b, &["--json", "fault", "clear"]));
    assert_eq!(cleared, json!({ "rules": [], "faults": [] }));
}

#[tokio::test]
async fn qa_cli_a_refusal_exits_1_with_its_code_and_a_typo_2() {
    let b = Broker::start().await;
    let unknown = qa(&b, &["provision", "DSCP-NOPE"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).starts_with("error: not_found: "),
        "{}",
        stderr(&unknown)
    );
    let bad_rule = qa(&b, &["fault", "route", "/v1/logins", "--delay", "1s"]);
    assert_eq!(bad_rule.status.code(), Some(1), "the broker refuses it");
    assert!(
        stderr(&bad_rule).contains("invalid_field"),
        "{}",
        stderr(&bad_rule)
    );
    let no_url = Command::new(binary("mock-broker"))
        .args(["qa", "clock"])
        .output()
        .expect("the CLI runs");
    assert_eq!(no_url.status.code(), Some(2), "{}", stderr(&no_url));
    assert_eq!(
        qa(&b, &["unlock", "bl ake"]).status.code(),
        Some(2),
        "L3, before sending"
    );

    let plain = Broker::start_with(None, false).await;
    let off = qa(&plain, &["clock"]);
    assert_eq!(off.status.code(), Some(1));
    assert!(stderr(&off).contains("qa_disabled"), "{}", stderr(&off));
}

#[tokio::test]
async fn qa_cli_sends_the_qa_token_from_the_environment() {
    let b = BrokerOptions::qa()
        .env("MOCK_BROKER_QA_TOKEN", "s3cret")
        .start()
        .await;
    let without = qa(&b, &["clock"]);
    assert_eq!(without.status.code(), Some(1));
    assert!(
        stderr(&without).contains("qa_token_required"),
        "{}",
        stderr(&without)
    );
    let with = qa_with(&b, &[("MOCK_BROKER_QA_TOKEN", "s3cret")], &["clock"]);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
}

#[tokio::test]
async fn qa_cli_journal_follow_prints_new_requests_as_json_lines() {
    let b = Broker::start().await;
    let mut follow = Command::new(binary("mock-broker"))
        .args([
            "qa", "--url", &b.url, "--json", "journal", "--follow", "--user", "blake",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the CLI runs");
    let lines = BufReader::new(follow.stdout.take().expect("stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    b.login("blake", "Trade2026").await.ok();
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the new request within the deadline");
    let _ = follow.kill();
    let _ = follow.wait();
    let entry: Value = serde_json::from_str(&line).expect("one JSON object per line");
    assert_eq!(
        (&entry["route"], &entry["user"]),
        (&json!("/v1/login"), &json!("blake"))
    );
}
