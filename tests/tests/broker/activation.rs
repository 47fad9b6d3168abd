//! K1 activation, K5 Add user, and D3 (SMS until IB Key) over HTTP.

use super::ibkey::{password, ticket, DANA_PIN, SOON};
use portcullis_api::{
    Activated, ActivationFinishRequest, ActivationStartRequest, ActivationStep,
    ActivationVerifyRequest, DeviceKind, DeviceList, DeviceStatus, ErrorCode, ErrorReason,
    LoginCancelled, Method, SmsMessage, SmsOutbox, TicketRequest, VerifyMethod,
};
use portcullis_testkit::phone::Phone;
use portcullis_testkit::{dsc_plus_response, ActivationExt, Broker, Opened, Reply, StepExt};

const AVERY_CARD: &str = "DSCP-40211873";
const AVERY_PIN: &str = "1234";
/// A number none of the demo users has on record.
const NEW_NUMBER: &str = "7700900999";

async fn outbox(b: &Broker, number: &str) -> Vec<SmsMessage> {
    b.get_as::<SmsOutbox>(&format!("/qa/sms?number={number}"))
        .await
        .ok()
        .messages
}

fn activation_id(started: &ActivationStep) -> String {
    match started {
        ActivationStep::CodeSent(c) => c.activation_id.clone(),
        ActivationStep::VerifyDevice(v) => v.activation_id.clone(),
    }
}

async fn verify(b: &Broker, started: &ActivationStep, response: &str) -> Reply<ActivationStep> {
    b.post_as(
        "/v1/phone/activation/verify",
        &ActivationVerifyRequest {
            activation_id: activation_id(started),
            response: response.into(),
        },
    )
    .await
}

fn finish(
    started: &ActivationStep,
    code: &str,
    security: &str,
    pin: &str,
) -> ActivationFinishRequest {
    ActivationFinishRequest {
        activation_id: activation_id(started),
        code: code.into(),
        security: security.into(),
        pin: pin.into(),
    }
}

async fn finish_on(b: &Broker, request: &ActivationFinishRequest) -> Reply<Activated> {
    b.post_as("/v1/phone/activation/finish", request).await
}

fn start_request(username: &str, number: &str) -> ActivationStartRequest {
    ActivationStartRequest {
        username: username.into(),
        password: "Trade2026".into(),
        phone_number: number.into(),
    }
}

fn challenge_of(started: &ActivationStep) -> &str {
    match &started.verify_device().method {
        VerifyMethod::Challenge { challenge } => challenge,
        VerifyMethod::Sms { .. }
        | VerifyMethod::IndexCard { .. }
        | VerifyMethod::TemporaryPasscode {} => panic!("expected a challenge: {started:?}"),
    }
}

#[tokio::test]
async fn k1_activation_refuses_bad_numbers_and_changes_nothing() {
    let b = Broker::start().await;
    for (number, says, reason) in [
        ("+447700900456", "digits only", ErrorReason::NotDigits),
        ("7700 900456", "digits only", ErrorReason::NotDigits),
        ("07700900456", "trunk prefix", ErrorReason::TrunkPrefix),
        ("12345", "6 to 14 digits", ErrorReason::Length),
    ] {
        let e = b.start_activation("erin", "Trade2026", number).await.err();
        assert_eq!(
            (e.status, e.code, e.reason),
            (400, ErrorCode::InvalidPhoneNumber, Some(reason)),
            "{number}: which check failed is in `reason`"
        );
        assert!(e.message.contains(says), "{number}: {e:?}");
    }
    let outbox: SmsOutbox = b.get_as("/qa/sms").await.ok();
    assert!(outbox.messages.is_empty(), "no code sent");
}

#[tokio::test]
async fn k1_activation_code_by_sms_then_pin_and_d3_sms_is_removed() {
    let b = Broker::start().await;
    // Before: erin's second factor is SMS (D3).
    let before = password(&b, "erin").await;
    assert!(matches!(before.factor().method, Method::Sms { .. }));
    b.post_as::<LoginCancelled>(
        "/v1/login/cancel",
        &TicketRequest {
            ticket: ticket(&before).to_owned(),
        },
    )
    .await
    .ok();

    let started = b
        .start_activation("erin", "Trade2026", "7700900456")
        .await
        .ok();
    let sent = started.code_sent();
    assert_eq!(sent.masked_number, "•••• 0456", "the number is on record");
    let code = b.last_sms_code("7700900456").await;
    let short = finish_on(&b, &finish(&started, &code, "pin", "123"))
        .await
        .err();
    assert_eq!(
        (short.status, short.code, short.reason),
        (400, ErrorCode::InvalidPin, Some(ErrorReason::Length)),
        "K1: 4 to 6 characters"
    );
    let spaced = finish_on(&b, &finish(&started, &code, "pin", "12 45"))
        .await
        .err();
    assert_eq!(
        (spaced.code, spaced.reason),
        (ErrorCode::InvalidPin, Some(ErrorReason::Characters)),
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = finish_on(&b, &finish(&started, wrong, "pin", "12#45"))
        .await
        .err();
    assert_eq!(
        (bad.status, bad.code, bad.tries_left),
        (401, ErrorCode::InvalidCode, Some(2))
    );
    let done = finish_on(&b, &finish(&started, &code, "pin", "12#45"))
        .await
        .ok();
    assert!(done.phone_token.is_some() && done.secret_hex.len() == 64);

    let after = password(&b, "erin").await;
    assert!(
        matches!(after.factor().method, Method::Push { .. }),
        "D3: activating IB Key removes SMS"
    );
}

#[tokio::test]
async fn k1_three_wrong_codes_end_the_activation() {
    let b = Broker::start().await;
    let started = b
        .start_activation("erin", "Trade2026", "7700900456")
        .await
        .ok();
    let code = b.last_sms_code("7700900456").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = |c: &str| finish(&started, c, "pin", "1234");
    assert_eq!(finish_on(&b, &body(wrong)).await.status, 401);
    assert_eq!(finish_on(&b, &body(wrong)).await.status, 401);
    assert_eq!(
        finish_on(&b, &body(wrong)).await.code(),
        Some(ErrorCode::ActivationOver)
    );
    assert_eq!(
        finish_on(&b, &body(&code)).await.code(),
        Some(ErrorCode::ActivationOver)
    );
}

#[tokio::test]
async fn k1_activation_code_expires_after_ten_minutes() {
    let b = Broker::start().await;
    let started = b
        .start_activation("erin", "Trade2026", "7700900456")
        .await
        .ok();
    let code = b.last_sms_code("7700900456").await;
    b.advance(600).await;
    let e = finish_on(&b, &finish(&started, &code, "pin", "1234"))
        .await
        .err();
    assert_eq!((e.status, e.code), (410, ErrorCode::ActivationOver));
}

#[tokio::test]
async fn k1_wrong_password_at_activation_is_a_failed_attempt() {
    let b = Broker::start().await;
    let e = b.start_activation("erin", "nope", "7700900456").await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::InvalidCredentials));
    assert_eq!(
        b.lockout_info("erin").await.failures_in_window,
        1,
        "L4: one lock across every channel"
    );
}

#[tokio::test]
async fn k5_add_user_puts_a_second_username_on_the_same_phone() {
    let b = Broker::start().await;
    let phone = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    let started: ActivationStep = phone
        .post_as(
            "/v1/phone/activation/start",
            &start_request("blake", "7700900456"),
        )
        .await
        .ok();
    let code = b.last_sms_code("7700900456").await;
    let added: Activated = phone
        .post_as(
            "/v1/phone/activation/finish",
            &finish(&started, &code, "biometric", "9753"),
        )
        .await
        .ok();
    assert_eq!(added.phone_id, phone.id, "K5: the same phone");
    assert!(added.phone_token.is_none(), "the phone keeps its token");

    let mut events = phone.events().await;
    let step = password(&b, "blake").await;
    assert!(matches!(step.factor().method, Method::Push { .. }));
    assert_eq!(events.next_push(SOON).await.username, "blake");

    let again = phone
        .post_as::<ActivationStep>(
            "/v1/phone/activation/start",
            &start_request("blake", "7700900456"),
        )
        .await
        .err();
    assert_eq!((again.status, again.code), (409, ErrorCode::AlreadyAdded));
}

#[tokio::test]
async fn d3_sms_code_logs_in_and_a_wrong_one_fails() {
    let b = Broker::start().await;
    let step = password(&b, "erin").await;
    assert_eq!(
        step.factor().method,
        Method::Sms {
            masked_number: "•••• 0456".into()
        }
    );
    let code = b.last_sms_code("7700900456").await;
    let done = b.respond(ticket(&step), &code).await.ok();
    assert_eq!(done.opened().session.device_id.as_deref(), Some("SMS-erin"));

    let step = password(&b, "erin").await;
    let failed = b.respond(ticket(&step), "000000x").await.err();
    assert_eq!((failed.status, failed.code), (401, ErrorCode::LoginFailed));
}

#[tokio::test]
async fn d3_sms_code_expires_after_five_minutes() {
    let b = Broker::start().await;
    let step = password(&b, "erin").await;
    let code = b.last_sms_code("7700900456").await;
    b.advance(300).await;
    assert_eq!(
        b.respond(ticket(&step), &code).await.code(),
        Some(ErrorCode::ChallengeExpired)
    );
}

#[tokio::test]
async fn k1_activation_with_a_number_not_on_record_needs_the_active_device() {
    let b = Broker::start().await;
    let started = b
        .start_activation("avery", "Trade2026", NEW_NUMBER)
        .await
        .ok();
    let asked = started.verify_device();
    assert_eq!(
        (asked.device_id.as_str(), asked.device_kind),
        (AVERY_CARD, DeviceKind::DscPlus),
        "D5: a password alone does not enrol a second factor: {started:?}"
    );
    assert!(matches!(asked.method, VerifyMethod::Challenge { .. }));
    assert!(asked.expires_in_seconds > 0);
    assert!(
        outbox(&b, NEW_NUMBER).await.is_empty(),
        "no activation code before the device answers"
    );
    let early = finish_on(&b, &finish(&started, "123456", "pin", "1234"))
        .await
        .err();
    assert_eq!(
        (early.status, early.code, early.reason),
        (
            409,
            ErrorCode::WrongStage,
            Some(ErrorReason::AwaitingDevice)
        ),
    );

    let response = b
        .card_response(AVERY_CARD, AVERY_PIN, challenge_of(&started))
        .await;
    let sent = verify(&b, &started, &response).await.ok();
    let sent = sent.code_sent();
    assert_eq!(
        (sent.masked_number.as_str(), sent.activation_id.clone()),
        ("•••• 0999", activation_id(&started))
    );
    let code = b.last_sms_code(NEW_NUMBER).await;
    let done = finish_on(&b, &finish(&started, &code, "pin", "4321"))
        .await
        .ok();
    assert_eq!(done.username, "avery");
}

#[tokio::test]
async fn k1_a_wrong_device_response_at_activation_fails_counts_and_ends_it() {
    let b = Broker::start().await;
    let started = b
        .start_activation("avery", "Trade2026", NEW_NUMBER)
        .await
        .ok();
    started.verify_device();
    let failed = verify(&b, &started, "00000000").await.err();
    assert_eq!((failed.status, failed.code), (401, ErrorCode::LoginFailed));
    assert_eq!(
        b.lockout_info("avery").await.failures_in_window,
        1,
        "L4: a wrong second factor is a failed attempt"
    );
    let right = b
        .card_response(AVERY_CARD, AVERY_PIN, challenge_of(&started))
        .await;
    let over = verify(&b, &started, &right).await.err();
    assert_eq!(
        (over.status, over.code),
        (410, ErrorCode::ActivationOver),
        "one answer per activation"
    );
    assert!(outbox(&b, NEW_NUMBER).await.is_empty());
}

#[tokio::test]
async fn k1_a_user_with_only_sms_verifies_with_a_code_to_the_number_on_record() {
    let b = Broker::start().await;
    let started = b
        .start_activation("erin", "Trade2026", NEW_NUMBER)
        .await
        .ok();
    let asked = started.verify_device();
    assert_eq!(
        (asked.device_id.as_str(), &asked.method),
        (
            "SMS-erin",
            &VerifyMethod::Sms {
                masked_number: "•••• 0456".into()
            }
        ),
    );
    assert!(outbox(&b, NEW_NUMBER).await.is_empty());
    let on_record = b.last_sms_code("7700900456").await;
    verify(&b, &started, &on_record).await.ok().code_sent();
    assert_eq!(outbox(&b, NEW_NUMBER).await.len(), 1);
}

#[tokio::test]
async fn k1_a_number_on_record_or_no_device_gets_the_code_at_once() {
    let b = Broker::start().await;
    for (user, number) in [("erin", "7700900456"), ("blake", NEW_NUMBER)] {
        b.start_activation(user, "Trade2026", number)
            .await
            .ok()
            .code_sent();
        assert_eq!(outbox(&b, number).await.len(), 1, "{user}");
    }
}

#[tokio::test]
async fn k5_add_user_from_another_phone_needs_the_active_device() {
    let b = Broker::start().await;
    let demo = Phone::provision(&b, "demo-phone").await;
    let other = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    let started: ActivationStep = other
        .post_as(
            "/v1/phone/activation/start",
            &start_request("dana", "7700900456"),
        )
        .await
        .ok();
    let asked = started.verify_device();
    assert_eq!(
        asked.device_id, "IBK-10000001",
        "K1/K5: moving dana's IB Key to another phone needs it first"
    );
    let devices: DeviceList = b.get_as("/qa/devices").await.ok();
    let dana_key = devices
        .devices
        .iter()
        .find(|d| d.id == "IBK-10000001")
        .expect("dana's key");
    assert_eq!(
        dana_key.status,
        DeviceStatus::Active,
        "her IB Key is untouched"
    );

    // The Authenticate screen of her real IB Key answers the challenge.
    let response = dsc_plus_response(demo.key_of("dana"), DANA_PIN, challenge_of(&started));
    let sent: ActivationStep = other
        .post_as(
            "/v1/phone/activation/verify",
            &ActivationVerifyRequest {
                activation_id: activation_id(&started),
                response,
            },
        )
        .await
        .ok();
    sent.code_sent();
}

#[tokio::test]
async fn l4_a_lock_taken_during_activation_stops_it() {
    let b = Broker::start().await;
    let started = b
        .start_activation("erin", "Trade2026", "7700900456")
        .await
        .ok();
    let code = b.last_sms_code("7700900456").await;
    for _ in 0..10 {
        assert_eq!(b.login("erin", "wrong").await.status, 401);
    }
    let refused = finish_on(&b, &finish(&started, &code, "pin", "4321"))
        .await
        .err();
    assert_eq!((refused.status, refused.code), (423, ErrorCode::Locked));
    let devices: DeviceList = b.get_as("/qa/devices").await.ok();
    assert!(
        !devices
            .devices
            .iter()
            .any(|d| d.owner == "erin" && d.kind == DeviceKind::IbKey),
        "no IB Key enrolled during the lock"
    );
}
