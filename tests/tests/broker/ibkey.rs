//! The IB Key push over HTTP — K2–K4, K6, K7, D6 and number matching — with a phone on
//! its event stream.

use portcullis_api::{
    ApproveRequest, DeviceKind, DeviceRequest, ErrorCode, ErrorReason, LoginStep, Method,
    PhoneAccessList, PhoneEvent, PhonePushes, PushApproved, PushList, PushWait, SettingsInfo,
    TicketRequest,
};
use portcullis_testkit::phone::Phone;
use portcullis_testkit::{Broker, Opened, StepExt};
use serde_json::json;
use std::time::{Duration, Instant};

const DANA_KEY: &str = "IBK-10000001";
pub(crate) const DANA_PIN: &str = "2580";
const FRANK_PIN: &str = "1357";
pub(crate) const SOON: Duration = Duration::from_secs(10);

pub(crate) async fn start() -> (Broker, Phone) {
    let b = Broker::start().await;
    let phone = Phone::provision(&b, "demo-phone").await;
    (b, phone)
}

/// Logs in with the password; returns the step (a push for dana).
pub(crate) async fn password(b: &Broker, user: &str) -> LoginStep {
    b.login(user, "Trade2026").await.ok()
}

pub(crate) fn ticket(step: &LoginStep) -> &str {
    step.ticket().expect("ticket")
}

/// frank picks his IB Key (D6).
async fn choose_frank_key(b: &Broker, frank: &LoginStep) -> LoginStep {
    b.post_as(
        "/v1/login/device",
        &DeviceRequest {
            ticket: ticket(frank).to_owned(),
            device_id: "IBK-10000002".into(),
        },
    )
    .await
    .ok()
}

#[track_caller]
fn authenticated(wait: PushWait) {
    wait.opened();
}

fn shown_number(step: &LoginStep) -> Option<u8> {
    match step.factor().method {
        Method::Push { number_match } => number_match,
        Method::Challenge { .. }
        | Method::Sms { .. }
        | Method::IndexCard { .. }
        | Method::TemporaryPasscode {} => panic!("expected a push: {step:?}"),
    }
}

#[tokio::test]
async fn k2_approval_on_the_phone_lets_the_waiting_desktop_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    assert!(
        matches!(step.factor().method, Method::Push { .. }),
        "{step:?}"
    );
    let push = events.next_push(SOON).await;
    assert_eq!(push.username, "dana");

    // The desktop is already waiting when the phone approves.
    let waiting = b.wait(ticket(&step), 20_000);
    let approving = async {
        assert_eq!(
            phone.approve(&push, DANA_PIN, None).await.ok(),
            PushApproved::Approved
        );
    };
    let (outcome, ()) = tokio::join!(waiting, approving);
    let outcome = outcome.ok();
    assert_eq!(
        outcome.opened().session.device_id.as_deref(),
        Some(DANA_KEY)
    );
}

#[tokio::test]
async fn k2_wait_without_an_answer_says_pending() {
    let (b, _phone) = start().await;
    let step = password(&b, "dana").await;
    let outcome = b.wait(ticket(&step), 200).await.ok();
    let PushWait::Pending { expires_in_seconds } = outcome else {
        panic!("pending: {outcome:?}");
    };
    assert!(expires_in_seconds > 170);
}

#[tokio::test]
async fn k6_denial_is_login_failed_and_a_failed_attempt() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.deny(&push).await.status, 200);
    let outcome = b.wait(ticket(&step), 5_000).await.err();
    assert_eq!((outcome.status, outcome.code), (401, ErrorCode::PushDenied));
    assert!(outcome.message.starts_with("Login failed"));
    assert_eq!(
        b.lockout_info("dana").await.failures_in_window,
        1,
        "L4: a denial counts"
    );
}

#[tokio::test]
async fn k6_push_expires_after_180_seconds() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(180).await;
    let outcome = b.wait(ticket(&step), 5_000).await.err();
    assert_eq!(
        (outcome.status, outcome.code),
        (410, ErrorCode::PushExpired)
    );
    let late = phone.approve(&push, DANA_PIN, None).await.err();
    assert_eq!((late.status, late.code), (410, ErrorCode::PushExpired));
}

#[tokio::test]
async fn k6_push_answered_at_179_seconds_still_counts() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(179).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    authenticated(b.wait(ticket(&step), 5_000).await.ok());
}

#[tokio::test]
async fn k6_a_push_answers_once() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    let again = phone.approve(&push, DANA_PIN, None).await.err();
    assert_eq!(
        (again.status, again.code),
        (409, ErrorCode::PushAlreadyAnswered)
    );
    let deny = phone.deny(&push).await.err();
    assert_eq!(
        (deny.status, deny.code),
        (409, ErrorCode::PushAlreadyAnswered)
    );
}

#[tokio::test]
async fn k6_approval_redeems_only_its_own_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let first = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    // Another login of frank's (same phone) cannot redeem dana's approval.
    let other = password(&b, "frank").await;
    choose_frank_key(&b, &other).await;
    assert!(matches!(
        b.wait(ticket(&other), 200).await.ok(),
        PushWait::Pending { .. }
    ));
    authenticated(b.wait(ticket(&first), 2_000).await.ok());
}

#[tokio::test]
async fn k6_response_for_another_push_is_refused() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let dana = password(&b, "dana").await;
    let dana_push = events.next_push(SOON).await;
    let frank = password(&b, "frank").await;
    choose_frank_key(&b, &frank).await;
    let frank_push = events.next_push(SOON).await;
    // dana's answer (her key, her challenge) sent as the approval of frank's push.
    let body = ApproveRequest {
        response: phone.response(&dana_push, DANA_PIN),
        picked: None,
        method: "pin".into(),
    };
    let refused = phone
        .post_as::<PushApproved>(
            &format!("/v1/phone/pushes/{}/approve", frank_push.push_id),
            &body,
        )
        .await
        .err();
    assert_eq!(
        (refused.status, refused.code),
        (401, ErrorCode::LoginFailed)
    );
    let refused = b.wait(ticket(&frank), 2_000).await.err();
    assert_eq!(
        (refused.code, refused.reason),
        (ErrorCode::LoginFailed, Some(ErrorReason::WrongResponse))
    );
    assert!(
        matches!(
            b.wait(ticket(&dana), 200).await.ok(),
            PushWait::Pending { .. }
        ),
        "dana's login is untouched"
    );
}

#[tokio::test]
async fn k6_another_phone_cannot_answer() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let stranger = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let forged = json!({ "response": "12345678", "method": "pin" });
    let e = stranger
        .post_as::<PushApproved>(
            &format!("/v1/phone/pushes/{}/approve", push.push_id),
            &forged,
        )
        .await
        .err();
    assert_eq!((e.status, e.code), (404, ErrorCode::NotFound));
    assert_eq!(stranger.deny(&push).await.status, 404);
}

#[tokio::test]
async fn k2_wrong_pin_on_the_phone_fails_the_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let e = phone.approve(&push, "0000", None).await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::LoginFailed));
    let failed = b.wait(ticket(&step), 2_000).await.err();
    assert_eq!(
        (failed.code, failed.reason),
        (ErrorCode::LoginFailed, Some(ErrorReason::WrongResponse))
    );
    assert_eq!(b.lockout_info("dana").await.failures_in_window, 1);
}

#[tokio::test]
async fn k3_fallback_withdraws_the_push_and_the_challenge_logs_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let fallback: LoginStep = b
        .post_as(
            "/v1/login/fallback",
            &TicketRequest {
                ticket: ticket(&step).to_owned(),
            },
        )
        .await
        .ok();
    let challenge = fallback.challenge();
    let withdrawn = events.next(SOON).await.expect("withdrawal");
    assert_eq!(
        withdrawn,
        PhoneEvent::Withdrawn {
            phone_id: phone.id.clone(),
            push_id: push.push_id.clone()
        }
    );
    assert_eq!(
        phone.approve(&push, DANA_PIN, None).await.code(),
        Some(ErrorCode::NoPendingLogin),
        "withdrawn"
    );

    // The phone's Authenticate screen: PIN + challenge → response.
    let response = portcullis_testkit::dsc_plus_response(phone.key_of("dana"), DANA_PIN, challenge);
    let done = b.respond(ticket(&step), &response).await.ok();
    assert_eq!(done.opened().session.device_id.as_deref(), Some(DANA_KEY));
}

#[tokio::test]
async fn k6_send_again_after_expiry_sends_a_new_push() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let first = events.next_push(SOON).await;
    b.advance(181).await;
    assert_eq!(
        b.wait(ticket(&step), 2_000).await.code(),
        Some(ErrorCode::PushExpired)
    );
    let again: LoginStep = b
        .post_as(
            "/v1/login/resend",
            &TicketRequest {
                ticket: ticket(&step).to_owned(),
            },
        )
        .await
        .ok();
    assert!(
        matches!(again.factor().method, Method::Push { .. }),
        "{again:?}"
    );
    let second = events.next_push(SOON).await;
    assert_ne!(first.push_id, second.push_id);
    assert_eq!(phone.approve(&second, DANA_PIN, None).await.status, 200);
    authenticated(b.wait(ticket(&step), 2_000).await.ok());
}

#[tokio::test]
async fn k4_dropped_push_never_reaches_the_phone() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "drop", 0).await;
    password(&b, "dana").await;
    // Frank's device has no fault: his push is the first the phone hears.
    let frank = password(&b, "frank").await;
    choose_frank_key(&b, &frank).await;
    assert_eq!(
        events.next_push(SOON).await.username,
        "frank",
        "dana's push was dropped"
    );
    let pending: PhonePushes = phone.get_as("/v1/phone/pushes").await.ok();
    let users: Vec<_> = pending.pushes.iter().map(|p| p.username.as_str()).collect();
    assert_eq!(users, vec!["frank"]);
}

#[tokio::test]
async fn k4_fault_for_all_devices_drops_every_push() {
    let (b, phone) = start().await;
    b.fault(None, "drop", 0).await;
    password(&b, "dana").await;
    let pending: PhonePushes = phone.get_as("/v1/phone/pushes").await.ok();
    assert!(pending.pushes.is_empty());
    let pushes: PushList = b.get_as("/qa/pushes?username=dana").await.ok();
    assert_eq!(pushes.pushes[0].delivery, "dropped");
}

#[tokio::test]
async fn k4_delayed_push_arrives_late() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "delay", 400).await;
    let sent = Instant::now();
    password(&b, "dana").await;
    events.next_push(SOON).await;
    assert!(
        sent.elapsed() >= Duration::from_millis(400),
        "K4: delivered after the delay, not before"
    );
}

#[tokio::test]
async fn k4_offline_phone_gets_the_push_when_back_online() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "offline", 0).await;
    let step = password(&b, "dana").await;
    let pending: PhonePushes = phone.get_as("/v1/phone/pushes").await.ok();
    assert!(pending.pushes.is_empty(), "held while offline");
    b.fault(Some(DANA_KEY), "none", 0).await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    authenticated(b.wait(ticket(&step), 2_000).await.ok());
}

#[tokio::test]
async fn d6_several_devices_ask_which_and_default_to_the_last_used() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "frank").await;
    let kinds: Vec<DeviceKind> = step.choice().devices.iter().map(|d| d.kind).collect();
    assert!(kinds.contains(&DeviceKind::IbKey) && kinds.contains(&DeviceKind::DscPlus));

    let push_step = choose_frank_key(&b, &step).await;
    assert!(matches!(push_step.factor().method, Method::Push { .. }));
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, FRANK_PIN, None).await.status, 200);
    authenticated(b.wait(ticket(&step), 2_000).await.ok());

    let next = password(&b, "frank").await;
    assert_eq!(
        next.choice().default_device_id,
        "IBK-10000002",
        "D6: the last one used"
    );
}

#[tokio::test]
async fn number_matching_right_pick_approves_and_wrong_pick_denies() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.post_as::<SettingsInfo>("/qa/settings", &json!({ "number_matching": true }))
        .await
        .ok();

    let step = password(&b, "dana").await;
    let shown = shown_number(&step).expect("the desktop shows a number");
    let push = events.next_push(SOON).await;
    let choices = push.number_choices.clone().expect("choices");
    assert_eq!(choices.len(), 3);
    assert!(choices.contains(&shown));
    assert_eq!(
        phone.approve(&push, DANA_PIN, Some(shown)).await.status,
        200
    );
    authenticated(b.wait(ticket(&step), 2_000).await.ok());

    let step = password(&b, "dana").await;
    let shown = shown_number(&step).expect("a number");
    let push = events.next_push(SOON).await;
    let wrong = push
        .number_choices
        .clone()
        .expect("choices")
        .into_iter()
        .find(|c| *c != shown);
    let e = phone.approve(&push, DANA_PIN, wrong).await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::NumberMismatch));
    let failed = b.wait(ticket(&step), 2_000).await.err();
    assert_eq!(
        (failed.code, failed.reason),
        (ErrorCode::LoginFailed, Some(ErrorReason::NumberMismatch))
    );
}

#[tokio::test]
async fn number_matching_is_off_by_default() {
    let (b, _phone) = start().await;
    let step = password(&b, "dana").await;
    assert_eq!(shown_number(&step), None);
}

#[tokio::test]
async fn k7_pin_grants_12_hours_of_trading_access_biometrics_30() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    let frank = password(&b, "frank").await;
    choose_frank_key(&b, &frank).await;
    let push = events.next_push(SOON).await;
    let body = ApproveRequest {
        response: phone.response(&push, FRANK_PIN),
        picked: None,
        method: "biometric".into(),
    };
    assert_eq!(
        phone
            .post_as::<PushApproved>(&format!("/v1/phone/pushes/{}/approve", push.push_id), &body)
            .await
            .status,
        200
    );

    let access = |v: &PhoneAccessList, user: &str| {
        v.accounts
            .iter()
            .find(|a| a.username == user)
            .expect("the account")
            .trading_access
    };
    let now: PhoneAccessList = phone.get_as("/v1/phone/access").await.ok();
    assert_eq!((access(&now, "dana"), access(&now, "frank")), (true, true));
    b.advance(12 * 3600).await;
    let later: PhoneAccessList = phone.get_as("/v1/phone/access").await.ok();
    assert_eq!(
        (access(&later, "dana"), access(&later, "frank")),
        (false, true),
        "K7: PIN 12 h"
    );
    b.advance(18 * 3600).await;
    let latest: PhoneAccessList = phone.get_as("/v1/phone/access").await.ok();
    assert!(!access(&latest, "frank"), "K7: biometrics 30 h");
}

#[tokio::test]
async fn phone_endpoints_need_the_phone_token() {
    let b = Broker::start().await;
    let stranger = Phone::new(&b, "nobody", "pct_nope", vec![]).await;
    assert_eq!(
        stranger
            .get_as::<PhonePushes>("/v1/phone/pushes")
            .await
            .code(),
        Some(ErrorCode::UnknownPhone)
    );
    assert_eq!(
        stranger
            .get_as::<PhoneAccessList>("/v1/phone/access")
            .await
            .status,
        401
    );
}
