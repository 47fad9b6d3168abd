//! Issue 6, the broker's edges: memory under concurrent logins, connections that never
//! finish, a lockout record that grew while locked, event streams of rotated phone
//! tokens, the state folder's modes, and who may drive a broker (JSON-only POSTs,
//! `Origin`, `Host`, the QA token, `--qa` beyond loopback).

use portcullis_api::{
    ClockInfo, DeviceList, ErrorBody, ErrorCode, Health, LoginStep, PhonePushes, ResetDone,
};
use portcullis_testkit::phone::Phone;
use portcullis_testkit::{binary, decode, eventually, Broker, BrokerOptions, QA_TOKEN_ENV};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SOON: Duration = Duration::from_secs(10);
const MIB: u64 = 1024;

fn host_port(b: &Broker) -> String {
    b.url.trim_start_matches("http://").to_owned()
}

/// Reads until the broker closes the connection; how long that took, or None if it
/// was still open at the deadline.
async fn closed_within(stream: &mut TcpStream, deadline: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    tokio::time::timeout(deadline, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .ok()
    .map(|()| started.elapsed())
}

// ---- item 6: password hashing is bounded -------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hardening_bounded_password_hashing_keeps_memory_under_100_mib() {
    let b = Broker::start().await;
    // A fresh connection per login: a kept-alive one left idle between bursts may be
    // closed by the broker's header timeout just as the next burst reuses it, and
    // that race belongs to the client's pool, not to the bound under test.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("{}/v1/login", b.url);
    let contract = b.contract().await;
    let at_start = b.rss_kib();
    let (mut peaks, mut busy, mut refused) = (Vec::new(), 0, 0);
    for burst in 0..10 {
        let mut logins = tokio::task::JoinSet::new();
        for i in 0..200 {
            let (http, url, contract) = (http.clone(), url.clone(), contract.clone());
            logins.spawn(async move {
                let body = json!({ "username": format!("nobody{burst}x{i}"), "password": "wrong" });
                let resp = http.post(url).json(&body).send().await.expect("POST");
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let body: Option<Value> = resp.json().await.ok();
                contract.check("POST", "/v1/login", status, body.as_ref());
                let body: ErrorBody = serde_json::from_value(body.unwrap_or_default())
                    .expect("a wrong password answers an error body");
                (status, retry_after, body)
            });
        }
        // The peak, sampled while the burst runs, not only what is left after it.
        let mut peak = b.rss_kib();
        while !logins.is_empty() {
            tokio::select! {
                done = logins.join_next() => {
                    let (status, retry_after, body) = done.expect("a login").expect("task");
                    match status {
                        401 => {
                            assert_eq!(body.code, ErrorCode::InvalidCredentials, "{body}");
                            refused += 1;
                        }
                        503 => {
                            assert_eq!(body.code, ErrorCode::Busy, "the only 5xx is busy: {body}");
                            assert!(
                                retry_after.is_some_and(|s| s >= 1),
                                "busy says when to retry: {retry_after:?}"
                            );
                            busy += 1;
                        }
                        other => panic!("unexpected {other}: {body}"),
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            peak = peak.max(b.rss_kib());
        }
        peak = peak.max(b.rss_kib());
        peaks.push(peak);
        assert!(
            peak < 100 * MIB,
            "burst {burst}: broker RSS peaked at {} MiB (start {} MiB, bursts {:?} KiB)",
            peak / MIB,
            at_start / MIB,
            peaks
        );
    }
    eprintln!(
        "RSS at start {at_start} KiB; peak per burst of 200 (KiB): {peaks:?}; \
         {refused} invalid_credentials, {busy} busy"
    );
    assert!(refused > 0, "some logins were checked");
}

// ---- item 7: connections -----------------------------------------------------------

#[tokio::test]
async fn hardening_a_thousand_idle_sockets_do_not_starve_health() {
    // The test's own side of 1,100 sockets needs the descriptors too.
    rlimit::increase_nofile_limit(4096).expect("raise the test's descriptor limit");
    // The setting: a soft limit of 1,024; the broker raises it to the hard one.
    let b = BrokerOptions::qa().soft_nofile(1024).start().await;
    let addr = host_port(&b);
    let mut idle = Vec::with_capacity(1100);
    for i in 0..1100 {
        let socket = tokio::time::timeout(SOON, TcpStream::connect(&addr))
            .await
            .unwrap_or_else(|_| panic!("connection {i} not accepted within {SOON:?}"))
            .expect("connect");
        idle.push(socket);
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let resp = http
        .get(format!("{}/health", b.url))
        .send()
        .await
        .expect("/health answers within 5 s beside 1,100 idle sockets");
    assert_eq!(resp.status(), 200);
    let health: Health = resp.json().await.expect("the health answer");
    assert_eq!(health, Health::Ok);
    drop(idle);
}

#[tokio::test]
async fn hardening_slowloris_headers_are_cut_off() {
    let b = BrokerOptions::qa()
        .arg("--header-timeout-ms")
        .arg("300")
        .start()
        .await;
    let mut slow = TcpStream::connect(host_port(&b)).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .await
        .unwrap();
    let took = closed_within(&mut slow, SOON).await;
    assert!(
        took.is_some(),
        "a connection with partial headers is closed by the header timeout"
    );
    // A connection that never sends a byte goes the same way.
    let mut silent = TcpStream::connect(host_port(&b)).await.unwrap();
    assert!(closed_within(&mut silent, SOON).await.is_some());
    // The broker still answers whole requests.
    assert_eq!(b.get_as::<Health>("/health").await.ok(), Health::Ok);
}

#[tokio::test]
async fn hardening_a_stalled_body_is_cut_off_by_the_idle_timeout() {
    let b = BrokerOptions::qa()
        .arg("--idle-timeout-ms")
        .arg("300")
        .start()
        .await;
    let mut stalled = TcpStream::connect(host_port(&b)).await.unwrap();
    stalled
        .write_all(
            b"POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    assert!(
        closed_within(&mut stalled, SOON).await.is_some(),
        "a request whose body stops coming is closed once the connection is idle"
    );
    // And the broker still serves, on a connection of its own: the kit's pooled ones
    // sat idle past 300 ms too, so the broker may be closing one just as it is reused.
    let fresh = reqwest::Client::new()
        .post(format!("{}/v1/login", b.url))
        .json(&json!({ "username": "blake", "password": "Trade2026" }))
        .send()
        .await
        .expect("the broker answers a new connection");
    assert_eq!(fresh.status().as_u16(), 200);
}

// ---- item 8: the lockout record stays small while locked -------------------------

#[tokio::test]
async fn l4_lockout_record_stays_small_while_locked() {
    let b = Broker::start().await;
    for _ in 0..10 {
        b.login("blake", "wrong").await;
    }
    for _ in 0..100 {
        assert_eq!(b.login("blake", "Trade2026").await.status, 423);
    }
    let state = b.lockout_info("blake").await;
    assert_eq!(
        (state.locked, state.failures_in_window),
        (true, 110),
        "L4: every refused attempt still counts: {state:?}"
    );
    let db = rusqlite::Connection::open_with_flags(
        b.state_dir().join("broker.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the broker's database");
    let size: i64 = db
        .query_row(
            "SELECT length(state) FROM lockouts WHERE username = 'blake'",
            [],
            |r| r.get(0),
        )
        .expect("blake's lockout record");
    assert!(
        size < 200,
        "the record keeps what L4 needs, not every attempt: {size} bytes"
    );
}

// ---- item 9: a rotated phone token loses its event streams ------------------------

#[tokio::test]
async fn hardening_rotating_a_phone_token_ends_its_event_stream() {
    let b = Broker::start().await;
    let old = Phone::provision(&b, "demo-phone").await;
    let mut old_events = old.events().await;
    let new = Phone::provision(&b, "demo-phone").await;
    let mut new_events = new.events().await;
    // The next push goes out at once, while the old stream might still be open.
    b.login("dana", "Trade2026").await.ok();
    let ended = old_events.ended_within(SOON).await;
    assert_eq!(
        ended,
        Ok(()),
        "the old token's stream ends, without the next push"
    );
    assert_eq!(new_events.next_push(SOON).await.username, "dana");
    let e = old.get_as::<PhonePushes>("/v1/phone/pushes").await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::UnknownPhone));
}

#[tokio::test]
async fn hardening_reset_ends_phone_event_streams() {
    let b = Broker::start().await;
    let phone = Phone::provision(&b, "demo-phone").await;
    let mut events = phone.events().await;
    assert_eq!(
        b.post_as::<ResetDone>("/qa/reset", &json!({})).await.ok(),
        ResetDone::Reset
    );
    assert_eq!(
        events.ended_within(SOON).await,
        Ok(()),
        "a reset gives every phone a new token: the old streams end"
    );
}

// ---- item 10: the state folder is private -----------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn hardening_state_folder_is_0700_and_its_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let b = Broker::start().await;
    // A login writes: the WAL and its index exist.
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
    let dir = b.state_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    assert!(
        names.iter().any(|n| n == "broker.sqlite3-wal"),
        "the WAL was checked too: {names:?}"
    );
}

// ---- item 11: who may drive a broker -----------------------------------------------

#[tokio::test]
async fn hardening_posts_must_be_json() {
    let b = Broker::start().await;
    b.advance(3600).await;
    let (status, body) = b.post_raw("/qa/reset", "text/plain", b"{}".to_vec()).await;
    let e = decode::<ResetDone>(status, body).err();
    assert_eq!((e.status, e.code), (415, ErrorCode::UnsupportedMediaType));
    let path = "/qa/users/blake/unlock";
    let (status, body) = b
        .exchange("POST", path, b.http.post(format!("{}{path}", b.url)))
        .await;
    assert_eq!(
        decode::<ResetDone>(status, body).err().status,
        415,
        "a POST without a content type"
    );
    let offset = b.get_as::<ClockInfo>("/qa/clock").await.ok().offset_ms;
    assert!(offset >= 3_600_000, "nothing was reset: offset {offset}");
    b.post_as::<ResetDone>("/qa/reset", &json!({})).await.ok();
}

#[tokio::test]
async fn hardening_a_foreign_origin_is_forbidden() {
    let b = Broker::start().await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        let request = b
            .http
            .post(format!("{}/v1/login", b.url))
            .header("origin", origin)
            .json(&json!({ "username": "blake", "password": "wrong" }));
        let (status, body) = b.exchange("POST", "/v1/login", request).await;
        let e = decode::<LoginStep>(status, body).err();
        assert_eq!(
            (e.status, e.code),
            (403, ErrorCode::ForbiddenOrigin),
            "{origin}"
        );
        let request = b
            .http
            .get(format!("{}/qa/devices", b.url))
            .header("origin", origin);
        let (status, body) = b.exchange("GET", "/qa/devices", request).await;
        assert_eq!(
            decode::<DeviceList>(status, body).err().code,
            ErrorCode::ForbiddenOrigin,
            "{origin} reads nothing either"
        );
    }
    assert_eq!(
        b.lockout_info("blake").await.failures_in_window,
        0,
        "refused before anything counted"
    );
    let request = b
        .http
        .get(format!("{}/qa/clock", b.url))
        .header("origin", &b.url);
    let (status, body) = b.exchange("GET", "/qa/clock", request).await;
    assert!(
        decode::<ClockInfo>(status, body).is_ok(),
        "the broker's own origin is fine"
    );
}

#[tokio::test]
async fn hardening_a_foreign_host_is_forbidden() {
    let b = Broker::start().await;
    let port = b.url.rsplit(':').next().unwrap().to_owned();
    let host = |h: String| {
        let request = b
            .http
            .get(format!("{}/qa/devices", b.url))
            .header("host", h);
        async {
            let (status, body) = b.exchange("GET", "/qa/devices", request).await;
            (status, decode::<DeviceList>(status, body).code())
        }
    };
    for foreign in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        "127.0.0.1.evil.example".to_owned(),
    ] {
        assert_eq!(
            host(foreign.clone()).await,
            (403, Some(ErrorCode::ForbiddenHost)),
            "DNS rebinding: {foreign}"
        );
    }
    for local in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(host(local.clone()).await.0, 200, "{local}");
    }
}

#[tokio::test]
async fn hardening_qa_token_is_required_when_set() {
    let token = "qa-token-for-the-tests";
    let b = BrokerOptions::qa().env(QA_TOKEN_ENV, token).start().await;
    let bare = reqwest::Client::new();
    let url = format!("{}/qa/clock", b.url);
    let clock = |request: reqwest::RequestBuilder| async {
        let (status, body) = b.exchange("GET", "/qa/clock", request).await;
        decode::<ClockInfo>(status, body)
    };
    let e = clock(bare.get(&url)).await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::QaTokenRequired));
    let wrong = clock(bare.get(&url).header("x-qa-token", "qa-token-for-the-test")).await;
    assert_eq!(wrong.status, 401, "a wrong token");
    let (status, body) = b
        .exchange(
            "POST",
            "/qa/reset",
            bare.post(format!("{}/qa/reset", b.url)).json(&json!({})),
        )
        .await;
    assert_eq!(
        decode::<ResetDone>(status, body).code(),
        Some(ErrorCode::QaTokenRequired),
        "no reset without the token"
    );
    clock(bare.get(&url).header("x-qa-token", token)).await.ok();
    // The login endpoints need no token.
    b.login("blake", "Trade2026").await.ok();
}

/// A child process killed on drop, even when the test fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> KillOnDrop {
    KillOnDrop(
        std::process::Command::new(binary("mock-broker"))
            .arg("serve")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn mock-broker"),
    )
}

#[tokio::test]
async fn hardening_qa_beyond_loopback_needs_allow_remote_qa() {
    let mut refused = serve(&["--qa", "--addr", "0.0.0.0:0"]);
    let exited = eventually("the broker to refuse --qa on 0.0.0.0", SOON, || {
        let status = refused.0.try_wait().expect("try_wait");
        async move { status }
    })
    .await;
    assert!(!exited.success(), "{exited}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut refused.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("--allow-remote-qa"), "{stderr}");

    let mut allowed = serve(&["--qa", "--allow-remote-qa", "--addr", "0.0.0.0:0"]);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(allowed.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line:?}");
}
