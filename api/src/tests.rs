//! The wire as the README documents it: these shapes are what clients already parse.

use super::*;
use serde_json::json;

fn session() -> SessionInfo {
    SessionInfo {
        username: "avery".into(),
        full_name: "Avery Quinn".into(),
        account: "U7012345".into(),
        device_id: Some("DSCP-1".into()),
        device_kind: Some(DeviceKind::DscPlus),
        channel: Channel::Trading,
        logged_in_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2026-01-01T00:30:00Z".into(),
        idle_timeout_seconds: 1800,
        limits: WithdrawalLimits {
            row: LimitRow::DscPlus,
            device_kind: Some(DeviceKind::DscPlus),
            per_day_usd: None,
            per_5_business_days_usd: None,
        },
        restriction: None,
    }
}

#[test]
fn a_second_factor_is_flat_with_its_method() {
    let step = LoginStep::SecondFactor(SecondFactor {
        ticket: "t".into(),
        device_id: "IBK-1".into(),
        device_kind: DeviceKind::IbKey,
        method: Method::Push { number_match: None },
        expires_at: "x".into(),
        expires_in_seconds: 180,
    });
    assert_eq!(
        serde_json::to_value(&step).unwrap(),
        json!({"status": "second_factor", "ticket": "t", "device_id": "IBK-1",
               "device_kind": "ib_key", "method": "push", "number_match": null,
               "expires_at": "x", "expires_in_seconds": 180})
    );
    let back: LoginStep = serde_json::from_value(serde_json::to_value(&step).unwrap()).unwrap();
    assert_eq!(back, step);
}

#[test]
fn authenticated_carries_token_and_session_beside_the_status() {
    let v = serde_json::to_value(SessionOpened::Authenticated(NewSession {
        token: "tok".into(),
        session: session(),
    }))
    .unwrap();
    assert_eq!(v["status"], "authenticated");
    assert_eq!(v["token"], "tok");
    assert_eq!(v["session"]["channel"], "trading");
    assert_eq!(v["session"]["device_kind"], "dsc_plus");
}

#[test]
fn fixed_answers_are_their_status() {
    assert_eq!(
        serde_json::to_value(LoginCancelled::Cancelled).unwrap(),
        json!({"status": "cancelled"})
    );
    assert_eq!(
        serde_json::to_value(LoggedOut::LoggedOut).unwrap(),
        json!({"status": "logged_out"})
    );
    assert_eq!(
        serde_json::to_value(Health::Ok).unwrap(),
        json!({"status": "ok"})
    );
    assert_eq!(
        serde_json::to_value(ResetDone::Reset).unwrap(),
        json!({"status": "reset"})
    );
    assert_eq!(
        serde_json::to_value(PushApproved::Approved).unwrap(),
        json!({"status": "approved"})
    );
    assert_eq!(
        serde_json::to_value(PushDenied::Denied).unwrap(),
        json!({"status": "denied"})
    );
}

#[test]
fn an_error_sends_only_the_fields_its_code_has() {
    assert_eq!(
        serde_json::to_value(ErrorBody::new(ErrorCode::BadCharacter, "BAD CHARACTER")).unwrap(),
        json!({"code": "bad_character", "message": "BAD CHARACTER"})
    );
    let body = ErrorBody {
        reason: Some(ErrorReason::TrunkPrefix),
        ..ErrorBody::new(ErrorCode::InvalidPhoneNumber, "m")
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"code": "invalid_phone_number", "message": "m", "reason": "trunk_prefix"})
    );
}

#[test]
fn error_codes_name_themselves_as_serde_does() {
    for code in [
        ErrorCode::BadCharacter,
        ErrorCode::PushAlreadyAnswered,
        ErrorCode::QaTokenRequired,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Internal,
    ] {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
    }
}

#[test]
fn the_login_request_defaults_to_the_trading_channel() {
    let req: LoginRequest =
        serde_json::from_value(json!({"username": "a", "password": "b"})).unwrap();
    assert_eq!(req.channel, Channel::Trading);
    let req: LoginRequest =
        serde_json::from_value(json!({"username": "a", "password": "b", "channel": "portal"}))
            .unwrap();
    assert_eq!(req.channel, Channel::Portal);
    assert!(serde_json::from_value::<LoginRequest>(
        json!({"username": "a", "password": "b", "channel": "web"})
    )
    .is_err());
}

#[test]
fn phone_events_carry_their_type() {
    let e = PhoneEvent::Withdrawn {
        phone_id: "p".into(),
        push_id: "x".into(),
    };
    assert_eq!(e.name(), "withdrawn");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"type": "withdrawn", "phone_id": "p", "push_id": "x"})
    );
}

#[test]
fn s4_a_rejections_reason_is_optional_one_line_and_bounded() {
    let parse = |v| serde_json::from_value::<SharingRejectRequest>(v);
    assert_eq!(parse(json!({})).unwrap().reason, None);
    assert_eq!(parse(json!({"reason": null})).unwrap().reason, None);
    assert_eq!(
        parse(json!({"reason": "  "})).unwrap().reason,
        None,
        "blank"
    );
    assert_eq!(
        parse(json!({"reason": " ID document expired "}))
            .unwrap()
            .reason
            .as_deref(),
        Some("ID document expired"),
        "trimmed"
    );
    let longest = "é".repeat(REJECTION_REASON_MAX_CHARS);
    assert_eq!(
        parse(json!({ "reason": longest })).unwrap().reason,
        Some(longest),
        "characters, not bytes"
    );
    for bad in [
        json!({"reason": "x".repeat(REJECTION_REASON_MAX_CHARS + 1)}),
        json!({"reason": "two\nlines"}),
        json!({"reason": 7}),
        json!({"why": "x"}),
    ] {
        assert!(parse(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn a_message_always_sends_its_device_sharing_and_activation_fields() {
    let m = UserMessage {
        id: "SHR-1-rejected".into(),
        kind: MessageKind::SharingRejected,
        at: "x".into(),
        device_id: "DSCP-1".into(),
        activates_at: None,
        sharing_id: Some("SHR-1".into()),
        device_kind: DeviceKind::DscPlus,
        owner: Some("avery".into()),
        devices_set_aside: vec![],
        reason: None,
        text: "t".into(),
    };
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"id": "SHR-1-rejected", "kind": "sharing_rejected", "at": "x",
               "device_id": "DSCP-1", "activates_at": null, "sharing_id": "SHR-1",
               "device_kind": "dsc_plus", "owner": "avery", "devices_set_aside": [],
               "reason": null, "text": "t"})
    );
}
