//! What an answered push leads to: an approval sticks (K2), a lock taken while the push
//! was out still holds (L4), and the wait says which way the phone refused (K6).

use super::ibkey::{password, start, ticket, DANA_PIN, SOON};
use portcullis_api::{
    DeviceRequest, ErrorCode, ErrorReason, LoginCancelled, LoginStep, Method, PushDenied,
    SettingsInfo, TicketRequest,
};
use portcullis_testkit::{Broker, Opened, Reply, StepExt};
use serde_json::json;

const DANA_KEY: &str = "IBK-10000001";

async fn post_ticket(b: &Broker, path: &str, step: &LoginStep) -> Reply<LoginStep> {
    b.post_as(
        path,
        &TicketRequest {
            ticket: ticket(step).to_owned(),
        },
    )
    .await
}

#[tokio::test]
async fn l4_a_push_approved_after_the_lock_does_not_log_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    for _ in 0..10 {
        assert_eq!(b.login("dana", "wrong").await.status, 401);
    }
    assert!(b.lockout_info("dana").await.locked);

    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);
    let refused = b.wait(ticket(&step), 5_000).await.err();
    assert_eq!(
        (refused.status, refused.code),
        (423, ErrorCode::Locked),
        "L4: a locked user is refused on every path that completes a login: {refused:?}"
    );
    assert!(refused.locked_until.is_some(), "{refused:?}");
    let lock = b.lockout_info("dana").await;
    assert_eq!(
        (lock.locked, lock.failures_in_window),
        (true, 11),
        "L4: the lock stays and the refused attempt counts"
    );
    let again = b.wait(ticket(&step), 200).await.err();
    assert_eq!(
        (again.status, again.code),
        (409, ErrorCode::NoPendingLogin),
        "the refused login is over"
    );
    assert!(
        !b.audit_events()
            .await
            .iter()
            .any(|e| e.event == "login_success"),
        "no session opened"
    );
}

#[tokio::test]
async fn k2_an_approved_push_refuses_fallback_and_resend() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.status, 200);

    for path in ["/v1/login/fallback", "/v1/login/resend"] {
        let e = post_ticket(&b, path, &step).await.err();
        assert_eq!(
            (e.status, e.code, e.reason),
            (409, ErrorCode::WrongStage, Some(ErrorReason::PushApproved)),
            "K2: once approved, the login proceeds ({path})"
        );
    }
    let e = b
        .post_as::<LoginStep>(
            "/v1/login/device",
            &DeviceRequest {
                ticket: ticket(&step).to_owned(),
                device_id: DANA_KEY.into(),
            },
        )
        .await
        .err();
    assert_eq!(
        (e.status, e.code, e.reason),
        (409, ErrorCode::WrongStage, Some(ErrorReason::PushApproved)),
        "K2: no device choice after an approval"
    );
    let done = b.wait(ticket(&step), 2_000).await.ok();
    assert_eq!(done.opened().session.device_id.as_deref(), Some(DANA_KEY));
}

#[tokio::test]
async fn k2_an_approval_racing_a_fallback_never_strands_the_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    for round in 0..6 {
        let step = password(&b, "dana").await;
        let push = events.next_push(SOON).await;
        let (approved, fallback) = tokio::join!(
            phone.approve(&push, DANA_PIN, None),
            post_ticket(&b, "/v1/login/fallback", &step)
        );
        match (approved.status, fallback.status) {
            (200, 409) => {
                assert_eq!(
                    fallback.code(),
                    Some(ErrorCode::WrongStage),
                    "round {round}"
                );
                let done = b.wait(ticket(&step), 2_000).await;
                assert!(done.is_ok(), "round {round}: the approval logs in");
                done.ok().opened();
            }
            (409, 200) => {
                assert_eq!(
                    approved.code(),
                    Some(ErrorCode::NoPendingLogin),
                    "round {round}"
                );
                let fallback = fallback.ok();
                assert!(
                    matches!(fallback.factor().method, Method::Challenge { .. }),
                    "round {round}"
                );
                b.post_as::<LoginCancelled>(
                    "/v1/login/cancel",
                    &TicketRequest {
                        ticket: ticket(&step).to_owned(),
                    },
                )
                .await
                .ok();
            }
            other => panic!(
                "round {round}: exactly one of approve and fallback wins, got {other:?}: \
                 {approved:?} / {fallback:?}"
            ),
        }
    }
}

#[tokio::test]
async fn k6_the_wait_tells_a_denial_from_a_wrong_response_and_a_wrong_number() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;

    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.deny(&push).await.ok(), PushDenied::Denied);
    let denied = b.wait(ticket(&step), 2_000).await.err();
    assert_eq!(
        (denied.status, denied.code, denied.reason),
        (401, ErrorCode::PushDenied, None),
        "{denied:?}"
    );

    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let on_phone = phone.approve(&push, "0000", None).await.err();
    assert_eq!(
        (on_phone.status, on_phone.code),
        (401, ErrorCode::LoginFailed)
    );
    let wrong = b.wait(ticket(&step), 2_000).await.err();
    assert_eq!(
        (wrong.status, wrong.code, wrong.reason),
        (
            401,
            ErrorCode::LoginFailed,
            Some(ErrorReason::WrongResponse)
        ),
        "a wrong response on the phone is not a denial"
    );
    assert!(wrong.hints.is_some(), "L6: with the hints: {wrong:?}");

    b.post_as::<SettingsInfo>("/qa/settings", &json!({ "number_matching": true }))
        .await
        .ok();
    let step = password(&b, "dana").await;
    let Method::Push {
        number_match: Some(shown),
    } = step.factor().method
    else {
        panic!("a number is shown: {step:?}");
    };
    let push = events.next_push(SOON).await;
    let wrong_pick = push
        .number_choices
        .clone()
        .expect("choices")
        .into_iter()
        .find(|c| *c != shown);
    let on_phone = phone.approve(&push, DANA_PIN, wrong_pick).await.err();
    assert_eq!(
        (on_phone.status, on_phone.code),
        (401, ErrorCode::NumberMismatch)
    );
    let mismatch = b.wait(ticket(&step), 2_000).await.err();
    assert_eq!(
        (mismatch.status, mismatch.code, mismatch.reason),
        (
            401,
            ErrorCode::LoginFailed,
            Some(ErrorReason::NumberMismatch)
        ),
    );
    assert_eq!(
        b.lockout_info("dana").await.failures_in_window,
        3,
        "L4/K6: each of the three counts once"
    );
}
