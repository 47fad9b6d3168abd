//! Security checks named after OWASP ASVS 4.0.3 (issue 11): V2, authentication
//! (authenticators single-use, bound to their login, expiring; anti-automation;
//! system-generated temporary secrets) and V3, session management (token entropy,
//! tokens never in the URL, logout, idle and absolute timeouts). Each test names the
//! ASVS requirement and the SLS rule it rests on, and asserts the outcome itself on the
//! real broker process; time moves on the broker's simulated clock.

use super::ibkey::{password, start, ticket, DANA_PIN, SOON};
use super::sessions::{keepalive, log_in, set_clock, LATE_EVENING, MORNING};
use portcullis_api::{
    ApproveRequest, ErrorCode, ErrorReason, LoginRequest, LoginStep, Method, PushApproved,
    PushWait, TemporaryPasscodeIssued,
};
use portcullis_testkit::{Broker, BrokerOptions, Failure, Opened, Reply, StepExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const PASSWORD: &str = "Trade2026";
const AVERY_CARD: &str = "DSCP-40211873";
const AVERY_PIN: &str = "1234";
const FRANK_KEY: &str = "IBK-10000002";
const MINUTE: i64 = 60;

/// A phone's approval of push `push_id` carrying `response`, whatever push it was
/// computed for.
async fn approve_with(
    phone: &portcullis_testkit::phone::Phone,
    push_id: &str,
    response: String,
) -> Reply<PushApproved> {
    phone
        .post_as(
            &format!("/v1/phone/pushes/{push_id}/approve"),
            &ApproveRequest {
                response,
                picked: None,
                method: "pin".into(),
            },
        )
        .await
}

/// avery's password step, and the card's right answer to its challenge.
async fn avery_login(b: &Broker) -> (LoginStep, String) {
    let step = b.login("avery", PASSWORD).await.ok();
    let answer = b
        .card_response(AVERY_CARD, AVERY_PIN, step.challenge())
        .await;
    (step, answer)
}

#[track_caller]
fn refusal<T: std::fmt::Debug>(answer: Reply<T>) -> (u16, ErrorCode, Option<ErrorReason>) {
    let e: Failure = answer.err();
    (e.status, e.code, e.reason)
}

// ---- V2: authentication ------------------------------------------------------------

/// ASVS 2.7.3: an out-of-band request is usable once, and only for the login that
/// asked for it (K6). Two logins wait on one phone; frank's push approved with the
/// answer that is valid for dana's push is refused, and dana's push answers once.
#[tokio::test]
async fn asvs_v2_7_3_k6_a_push_is_single_use_and_bound_to_its_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let dana = password(&b, "dana").await;
    let frank = b
        .login_with(&LoginRequest {
            username: "frank".into(),
            password: PASSWORD.into(),
            device_id: Some(FRANK_KEY.into()),
            channel: Default::default(),
        })
        .await
        .ok();
    let (first, second) = (events.next_push(SOON).await, events.next_push(SOON).await);
    let (dana_push, frank_push) = if first.username == "dana" {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(
        (dana_push.username.as_str(), frank_push.username.as_str()),
        ("dana", "frank")
    );

    // dana's push's valid answer, sent to frank's push: refused, and frank's login
    // fails (K6: a wrong answer ends the push).
    let dana_answer = phone.response(&dana_push, DANA_PIN);
    let crossed = approve_with(&phone, &frank_push.push_id, dana_answer.clone()).await;
    let crossed = refusal(crossed);
    assert_eq!(
        (crossed.0, crossed.1),
        (401, ErrorCode::LoginFailed),
        "another login's answer does not approve this push"
    );
    assert_eq!(
        refusal(b.wait(ticket(&frank), 2_000).await),
        (
            401,
            ErrorCode::LoginFailed,
            Some(ErrorReason::WrongResponse)
        ),
        "frank's login is not let in"
    );
    assert!(
        matches!(
            b.wait(ticket(&dana), 200).await.ok(),
            PushWait::Pending { .. }
        ),
        "dana's login is untouched by the crossed answer"
    );

    // Its own answer approves dana's push, once.
    assert_eq!(
        approve_with(&phone, &dana_push.push_id, dana_answer.clone())
            .await
            .ok(),
        PushApproved::Approved
    );
    let again = approve_with(&phone, &dana_push.push_id, dana_answer).await;
    assert_eq!(
        refusal(again).1,
        ErrorCode::PushAlreadyAnswered,
        "an approval is used once"
    );
    let opened = b.wait(ticket(&dana), 2_000).await.ok();
    assert_eq!(opened.opened().session.username, "dana");
    assert_eq!(
        refusal(b.wait(ticket(&dana), 200).await),
        (409, ErrorCode::NoPendingLogin, None),
        "one approval opens one session"
    );
    let successes = b
        .audit_events()
        .await
        .iter()
        .filter(|e| e.event == "login_success")
        .count();
    assert_eq!(successes, 1, "dana only");
}

/// ASVS 2.8.4 (and 2.7.3): a DSC+ response is accepted once, and only for the challenge
/// of the login that showed it (C4). A valid response to an earlier login's challenge
/// does not open a later login.
#[tokio::test]
async fn asvs_v2_8_4_c4_a_dsc_plus_challenge_is_single_use_and_bound_to_its_login() {
    let b = Broker::start().await;
    let (first, first_answer) = avery_login(&b).await;
    // A new attempt (C4) with a different challenge: the first answer is for the
    // first login only.
    let second = loop {
        let step = b.login("avery", PASSWORD).await.ok();
        if step.challenge() != first.challenge() {
            break step;
        }
    };
    assert_eq!(
        refusal(b.respond(&second.factor().ticket, &first_answer).await).1,
        ErrorCode::LoginFailed,
        "a valid response to another login's challenge is refused"
    );
    assert_eq!(
        refusal(b.respond(&first.factor().ticket, &first_answer).await),
        (409, ErrorCode::NoPendingLogin, None),
        "the earlier login's challenge died with the later attempt"
    );

    let (third, answer) = avery_login(&b).await;
    let opened = b.respond(&third.factor().ticket, &answer).await.ok();
    assert_eq!(opened.opened().session.username, "avery");
    assert_eq!(
        refusal(b.respond(&third.factor().ticket, &answer).await),
        (409, ErrorCode::NoPendingLogin, None),
        "a response is accepted once"
    );
    assert_eq!(
        b.lockout_info("avery").await.failures_in_window,
        0,
        "L4: the success reset the count the crossed answer had raised"
    );
}

/// ASVS 2.8.1: a challenge has a defined lifetime, 5 minutes (C4), on the broker's
/// clock: answered at 4:58 it opens a session; at 5:00 the right answer is refused.
#[tokio::test]
async fn asvs_v2_8_1_c4_a_challenge_expires_after_five_minutes() {
    let b = Broker::start().await;
    let (step, answer) = avery_login(&b).await;
    b.advance(5 * MINUTE - 2).await;
    assert!(b.respond(&step.factor().ticket, &answer).await.is_ok());

    let (step, answer) = avery_login(&b).await;
    b.advance(5 * MINUTE).await;
    assert_eq!(
        refusal(b.respond(&step.factor().ticket, &answer).await),
        (410, ErrorCode::ChallengeExpired, None)
    );
}

/// ASVS 2.7.2: an out-of-band request expires (ASVS: within 10 minutes; K6: 180 s). At
/// 179 s the phone's approval lets the login in; at 180 s it is refused and the
/// waiting login hears `push_expired`.
#[tokio::test]
async fn asvs_v2_7_2_k6_a_push_expires_after_180_seconds() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(179).await;
    assert_eq!(
        phone.approve(&push, DANA_PIN, None).await.ok(),
        PushApproved::Approved
    );
    b.wait(ticket(&step), 2_000).await.ok().opened();

    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(180).await;
    assert_eq!(
        refusal(phone.approve(&push, DANA_PIN, None).await),
        (410, ErrorCode::PushExpired, None),
        "the right answer, too late"
    );
    assert_eq!(
        refusal(b.wait(ticket(&step), 2_000).await),
        (410, ErrorCode::PushExpired, None)
    );
}

/// ASVS 2.2.1: anti-automation. L4: nine wrong passwords leave the user open, the
/// tenth locks, and then even the right password is refused (423, with the time it
/// lifts, L5) until 24 hours after the last failure.
#[tokio::test]
async fn asvs_v2_2_1_l4_ten_failures_lock_out_even_the_right_password() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    for n in 1..=9 {
        assert_eq!(
            refusal(b.login("blake", "wrong").await).1,
            ErrorCode::InvalidCredentials,
            "failure {n}"
        );
    }
    let open = b.lockout_info("blake").await;
    assert_eq!((open.locked, open.failures_in_window), (false, 9));
    assert_eq!(
        refusal(b.login("blake", "wrong").await).1,
        ErrorCode::InvalidCredentials
    );
    assert!(b.lockout_info("blake").await.locked, "the tenth locks");
    let locked = b.login("blake", PASSWORD).await.err();
    assert_eq!((locked.status, locked.code), (423, ErrorCode::Locked));
    assert!(locked.locked_until.is_some(), "L5: until when: {locked:?}");

    // The refused attempt extended the lock (L4): 24 h from it, not from the tenth.
    b.advance(24 * 60 * MINUTE - 1).await;
    assert_eq!(
        refusal(b.login("blake", PASSWORD).await).1,
        ErrorCode::Locked
    );
    b.advance(24 * 60 * MINUTE).await;
    b.login("blake", PASSWORD).await.ok().opened();
}

/// ASVS 2.2.1 (no user enumeration for brute force to feed on): L2. An unknown user
/// and a wrong password get the same status, code and body, byte for byte; locked, an
/// unknown name answers like a real user (same status, code and fields).
#[tokio::test]
async fn asvs_v2_2_1_l2_unknown_user_and_wrong_password_answer_alike() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    let request = |user: &str| json!({ "username": user, "password": "wrong" });
    let unknown = b.post("/v1/login", request("nosuchuser")).await;
    let wrong = b.post("/v1/login", request("blake")).await;
    assert_eq!(unknown.0, 401);
    assert_eq!(unknown.1["code"], "invalid_credentials");
    assert_eq!(unknown, wrong, "the same answer for both");

    for _ in 0..9 {
        assert_eq!(b.post("/v1/login", request("nosuchuser")).await.0, 401);
        assert_eq!(b.post("/v1/login", request("blake")).await.0, 401);
    }
    let (unknown_status, unknown) = b.post("/v1/login", request("nosuchuser")).await;
    let (real_status, real) = b.post("/v1/login", request("blake")).await;
    let fields = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .expect("an error body")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        (unknown_status, &unknown["code"], fields(&unknown)),
        (real_status, &real["code"], fields(&real)),
        "locked, an unknown name looks like a real one: {unknown} / {real}"
    );
    assert_eq!((real_status, real["code"].as_str()), (423, Some("locked")));
}

/// ASVS 2.3.1: a system-generated temporary secret (T1's passcode) is random, at least
/// 6 characters, case-sensitive, not issued twice in a row, and expires (T2: nothing
/// after day 12).
#[tokio::test]
async fn asvs_v2_3_1_t1_t2_a_temporary_passcode_is_random_not_reissued_and_expires() {
    let b = Broker::start().await;
    let issue = |user: &'static str| {
        let b = &b;
        async move {
            b.post_as::<TemporaryPasscodeIssued>(
                &format!("/qa/users/{user}/temporary-passcode"),
                &json!({}),
            )
            .await
        }
    };
    let avery = issue("avery").await.ok().passcode;
    let casey = issue("casey").await.ok().passcode;
    for code in [&avery, &casey] {
        assert!(
            code.len() >= 6
                && code
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "T1: upper-case letters and digits, 6 or more: {code:?}"
        );
    }
    assert_ne!(avery, casey, "each passcode is drawn afresh");

    let step = b.login("avery", PASSWORD).await.ok();
    assert_eq!(step.factor().method, Method::TemporaryPasscode {});
    assert_eq!(
        refusal(
            b.respond(&step.factor().ticket, &avery.to_lowercase())
                .await
        )
        .1,
        ErrorCode::LoginFailed,
        "T1: case-sensitive"
    );
    let step = b.login("avery", PASSWORD).await.ok();
    b.respond(&step.factor().ticket, &avery).await.ok().opened();

    assert_eq!(
        refusal(issue("avery").await),
        (409, ErrorCode::ConsecutivePasscode, None),
        "T1: not issued twice in a row"
    );

    b.advance(12 * 24 * 60 * MINUTE + MINUTE).await;
    assert_eq!(
        refusal(b.login("avery", PASSWORD).await),
        (403, ErrorCode::TemporaryAccessExpired, None),
        "T2: past day 12 the passcode opens nothing"
    );
}

// ---- V3: session management --------------------------------------------------------

/// ASVS 3.2.2 (at least 64 bits; Portcullis: at least 128) and 3.2.1 (a new token at
/// each authentication): 64 sessions' tokens are all distinct, and their random part
/// — what follows the prefix they share — is long enough over its alphabet, with
/// every symbol about equally frequent (no counters, no timestamps).
#[tokio::test]
async fn asvs_v3_2_2_session_tokens_carry_at_least_128_random_bits() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    let mut tokens = Vec::new();
    for _ in 0..64 {
        let step = b.login("blake", PASSWORD).await.ok();
        tokens.push(step.opened().token.clone());
    }
    let distinct: BTreeSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), tokens.len(), "every login a new token");

    let prefix = tokens.iter().skip(1).fold(tokens[0].as_str(), |p, t| {
        let common = p.bytes().zip(t.bytes()).take_while(|(a, b)| a == b).count();
        &p[..common]
    });
    let random: Vec<&str> = tokens.iter().map(|t| &t[prefix.len()..]).collect();
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    for c in random.iter().flat_map(|t| t.chars()) {
        *counts.entry(c).or_default() += 1;
    }
    let alphabet = counts.len();
    let shortest = random.iter().map(|t| t.len()).min().expect("tokens");
    let bits = shortest as f64 * (alphabet as f64).log2();
    assert!(
        bits >= 128.0,
        "{shortest} random characters over {alphabet} symbols: {bits:.0} bits"
    );
    let total = counts.values().sum::<usize>() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum();
    assert!(
        entropy >= 0.98 * (alphabet as f64).log2(),
        "symbols used unevenly: {entropy:.3} bits each of {:.3}: {counts:?}",
        (alphabet as f64).log2()
    );
    // Every position varies: no fixed or counting characters inside the random part.
    for i in 0..shortest {
        let at_i: BTreeSet<u8> = random.iter().map(|t| t.as_bytes()[i]).collect();
        assert!(at_i.len() >= 6, "position {i} takes {} values", at_i.len());
    }
}

/// ASVS 3.1.1: the token is never taken from the URL. A session token in the query
/// string of a session, keepalive or logout request is refused as no token, and does
/// not log the session out.
#[tokio::test]
async fn asvs_v3_1_1_a_session_token_in_the_url_is_not_accepted() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    let step = b.login("blake", PASSWORD).await.ok();
    let token = step.opened().token.clone();
    for name in ["token", "access_token", "session", "bearer"] {
        let path = "/v1/session";
        let request = b.http.get(format!("{}{path}?{name}={token}", b.url));
        let (status, body) = b.exchange("GET", path, request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_session")),
            "GET ?{name}=: {body}"
        );
        for path in ["/v1/session/keepalive", "/v1/logout"] {
            let request = b
                .http
                .post(format!("{}{path}?{name}={token}", b.url))
                .json(&json!({}));
            let (status, body) = b.exchange("POST", path, request).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("invalid_session")),
                "POST {path}?{name}=: {body}"
            );
        }
    }
    assert_eq!(
        b.session(&token).await.ok().username,
        "blake",
        "the session lives on: the logout in the URL did nothing"
    );
}

/// ASVS 3.3.1: logout invalidates the token on the server. After it every call with the
/// token is `invalid_session` (401), a second logout too; the user's other session
/// stays.
#[tokio::test]
async fn asvs_v3_3_1_logout_invalidates_the_token_on_the_server() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    let token = log_in(&b).await;
    let other = log_in(&b).await;
    assert_eq!(b.logout(&token).await, 200);
    assert_eq!(
        refusal(b.session(&token).await),
        (401, ErrorCode::InvalidSession, None)
    );
    assert_eq!(
        refusal(keepalive(&b, &token).await),
        (401, ErrorCode::InvalidSession, None),
        "not revived by activity"
    );
    assert_eq!(b.logout(&token).await, 401, "nothing left to log out");
    assert_eq!(b.session(&other).await.ok().username, "blake");
    assert!(
        b.audit_events()
            .await
            .iter()
            .any(|e| e.event == "logout" && e.username.as_deref() == Some("blake")),
        "audited"
    );
}

/// ASVS 3.3.2: re-authentication after inactivity and at a fixed end. A session ends
/// after 30 idle minutes — activity moves the idle end — and every day at 23:45 UTC
/// however active it is (`session_expired` with its reason), on the broker's clock.
#[tokio::test]
async fn asvs_v3_3_2_sessions_end_after_30_idle_minutes_and_at_the_daily_end() {
    let b = BrokerOptions::qa().light_hashing().start().await;
    set_clock(&b, MORNING).await;
    let token = log_in(&b).await;
    b.advance(29 * MINUTE).await;
    keepalive(&b, &token).await.ok();
    b.advance(29 * MINUTE).await;
    assert!(
        b.session(&token).await.is_ok(),
        "58 minutes in, 29 idle: alive"
    );
    b.advance(2 * MINUTE).await;
    assert_eq!(
        refusal(b.session(&token).await),
        (401, ErrorCode::SessionExpired, Some(ErrorReason::Idle))
    );
    assert_eq!(
        refusal(keepalive(&b, &token).await),
        (401, ErrorCode::SessionExpired, Some(ErrorReason::Idle)),
        "an idle-ended session is not revived"
    );

    set_clock(&b, LATE_EVENING).await;
    let token = log_in(&b).await;
    for _ in 0..2 {
        b.advance(20 * MINUTE).await;
        keepalive(&b, &token).await.ok();
    }
    // 23:46, six minutes after the last activity.
    b.advance(6 * MINUTE).await;
    assert_eq!(
        refusal(b.session(&token).await),
        (401, ErrorCode::SessionExpired, Some(ErrorReason::DailyEnd)),
        "the daily end holds however active the session"
    );
}
