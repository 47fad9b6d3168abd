//! C1–C4, D5 and L6 over HTTP.

use portcullis_api::{DeviceKind, ErrorCode, HintCode, LoginCancelled, Method, TicketRequest};
use portcullis_testkit::{Broker, Opened, StepExt};

const AVERY_CARD: &str = "DSCP-40211873";

#[tokio::test]
async fn d5_c1_dsc_plus_user_gets_a_six_digit_challenge() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let factor = step.factor();
    assert_eq!(
        factor.device_kind,
        DeviceKind::DscPlus,
        "D5: a user with an active device needs it"
    );
    let Method::Challenge { challenge } = &factor.method else {
        panic!("a DSC+ answers a challenge: {step:?}");
    };
    assert_eq!(challenge.len(), 6);
    assert!(challenge.bytes().all(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn c3_right_response_logs_in_and_records_the_device() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let response = b.card_response(AVERY_CARD, "1234", step.challenge()).await;
    let opened = b.respond(&step.factor().ticket, &response).await.ok();
    let session = b.session(&opened.opened().token).await.ok();
    assert_eq!(session.username, "avery");
    assert_eq!(session.device_id.as_deref(), Some(AVERY_CARD));
    assert_eq!(session.account, "U7012345");
}

#[tokio::test]
async fn c3_wrong_pin_gives_a_response_the_broker_refuses() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let response = b.card_response(AVERY_CARD, "9999", step.challenge()).await;
    let e = b.respond(&step.factor().ticket, &response).await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::LoginFailed));
}

#[tokio::test]
async fn l6_wrong_response_says_login_failed_with_hints() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let e = b.respond(&step.factor().ticket, "1234 5678").await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::LoginFailed));
    assert_eq!(e.message, "Login failed");
    let hints = e.hints.clone().unwrap_or_default().join(" ");
    assert!(
        hints.contains("upper case") && hints.contains("no spaces"),
        "L6 hints: {hints}"
    );
    assert_eq!(
        e.hint_codes.as_deref(),
        Some(&[HintCode::TemporaryCase, HintCode::NoSpaces][..]),
        "each hint's code, in the same order"
    );
}

#[tokio::test]
async fn c4_challenge_is_single_use() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let ticket = &step.factor().ticket;
    let response = b.card_response(AVERY_CARD, "1234", step.challenge()).await;
    assert_eq!(b.respond(ticket, &response).await.status, 200);
    let e = b.respond(ticket, &response).await.err();
    assert_eq!(
        (e.status, e.code),
        (409, ErrorCode::NoPendingLogin),
        "C4: answered once only"
    );
}

#[tokio::test]
async fn c4_wrong_answer_spends_the_challenge() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let ticket = &step.factor().ticket;
    assert_eq!(b.respond(ticket, "00000000").await.status, 401);
    let response = b.card_response(AVERY_CARD, "1234", step.challenge()).await;
    assert_eq!(
        b.respond(ticket, &response).await.code(),
        Some(ErrorCode::NoPendingLogin)
    );
}

#[tokio::test]
async fn c4_challenge_expires_after_five_minutes() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let response = b.card_response(AVERY_CARD, "1234", step.challenge()).await;
    b.advance(5 * 60).await;
    let e = b.respond(&step.factor().ticket, &response).await.err();
    assert_eq!((e.status, e.code), (410, ErrorCode::ChallengeExpired));
}

#[tokio::test]
async fn c4_challenge_answered_just_inside_five_minutes_works() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let response = b.card_response(AVERY_CARD, "1234", step.challenge()).await;
    b.advance(5 * 60 - 2).await;
    assert_eq!(
        b.respond(&step.factor().ticket, &response).await.status,
        200
    );
}

#[tokio::test]
async fn c4_each_attempt_gets_a_fresh_challenge_and_voids_the_old_one() {
    let b = Broker::start().await;
    let first = b.login("avery", "Trade2026").await.ok();
    let second = b.login("avery", "Trade2026").await.ok();
    assert_ne!(first.factor().ticket, second.factor().ticket);
    let response = b.card_response(AVERY_CARD, "1234", first.challenge()).await;
    assert_eq!(
        b.respond(&first.factor().ticket, &response).await.status,
        409,
        "C4: the first challenge died with the second attempt"
    );
}

#[tokio::test]
async fn c4_cancel_withdraws_the_challenge() {
    let b = Broker::start().await;
    let step = b.login("avery", "Trade2026").await.ok();
    let ticket = &step.factor().ticket;
    let cancelled = b
        .post_as::<LoginCancelled>(
            "/v1/login/cancel",
            &TicketRequest {
                ticket: ticket.clone(),
            },
        )
        .await
        .ok();
    assert_eq!(cancelled, LoginCancelled::Cancelled);
    assert_eq!(b.respond(ticket, "12345678").await.status, 409);
}
