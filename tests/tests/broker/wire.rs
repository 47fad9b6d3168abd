//! Malformed requests get a 4xx with a code, never a 500, and change nothing.

use portcullis_api::{Channel, ErrorCode, LoginRequest, LoginStep, SessionInfo};
use portcullis_testkit::{decode, Broker, Opened};

#[tokio::test]
async fn malformed_requests_get_4xx_codes_and_change_nothing() {
    let b = Broker::start().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "application/json",
            br#"{"username":"blake"}"#.to_vec(),
            422,
            "invalid_field",
        ),
        (
            "application/json",
            br#"{"username":"blake","password":"wrong","extra":1}"#.to_vec(),
            422,
            "invalid_field",
        ),
        (
            "application/json",
            br#"{"username":5,"password":"wrong"}"#.to_vec(),
            422,
            "invalid_field",
        ),
        (
            "application/json",
            b"{\"username\":\"bl\xffke\",\"password\":\"wrong\"}".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "text/plain",
            br#"{"username":"blake","password":"wrong"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            format!(
                r#"{{"username":"blake","password":"{}"}}"#,
                "x".repeat(64 * 1024)
            )
            .into_bytes(),
            413,
            "body_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let (got, answer) = b.post_raw("/v1/login", content_type, body).await;
        let e = decode::<LoginStep>(got, answer).err();
        assert_eq!((e.status, e.code.as_str()), (status, code), "{e:?}");
        assert!(!e.message.is_empty());
    }
    assert_eq!(
        b.lockout_info("blake").await.failures_in_window,
        0,
        "nothing counted"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_codes() {
    let b = Broker::start().await;
    let e = b.get_as::<SessionInfo>("/v1/nothing").await.err();
    assert_eq!((e.status, e.code), (404, ErrorCode::NotFound));
    let e = b.get_as::<SessionInfo>("/v1/login").await.err();
    assert_eq!((e.status, e.code), (405, ErrorCode::MethodNotAllowed));
}

#[tokio::test]
async fn session_needs_a_live_token() {
    let b = Broker::start().await;
    let e = b.session("pcs_nope").await.err();
    assert_eq!((e.status, e.code), (401, ErrorCode::InvalidSession));
    let step = b.login("blake", "Trade2026").await.ok();
    let token = &step.opened().token;
    assert_eq!(b.logout(token).await, 200);
    let e = b.session(token).await.err();
    assert_eq!(
        (e.status, e.code),
        (401, ErrorCode::InvalidSession),
        "logged out sessions are gone"
    );
}

#[tokio::test]
async fn the_broker_listens_on_loopback_by_default() {
    let b = Broker::start().await;
    assert!(b.url.starts_with("http://127.0.0.1:"), "{}", b.url);
}

#[tokio::test]
async fn a_login_keeps_its_channel_in_its_session() {
    let b = Broker::start().await;
    let step = b.login("blake", "Trade2026").await.ok();
    assert_eq!(
        step.opened().session.channel,
        Channel::Trading,
        "no channel said: the trading workstation"
    );
    let step = b
        .login_with(&LoginRequest {
            username: "blake".into(),
            password: "Trade2026".into(),
            device_id: None,
            channel: Channel::Portal,
        })
        .await
        .ok();
    assert_eq!(step.opened().session.channel, Channel::Portal);
    let session = b.session(&step.opened().token).await.ok();
    assert_eq!(session.channel, Channel::Portal, "kept with the session");
    let (status, answer) = b
        .post(
            "/v1/login",
            serde_json::json!({ "username": "blake", "password": "Trade2026", "channel": "web" }),
        )
        .await;
    let e = decode::<LoginStep>(status, answer).err();
    assert_eq!((e.status, e.code), (422, ErrorCode::InvalidField));
}

#[tokio::test]
async fn a_channel_goes_through_the_second_factor() {
    let b = Broker::start().await;
    let step = b
        .login_with(&LoginRequest {
            username: "avery".into(),
            password: "Trade2026".into(),
            device_id: None,
            channel: Channel::Portal,
        })
        .await
        .ok();
    use portcullis_testkit::StepExt;
    let response = b
        .card_response("DSCP-40211873", "1234", step.challenge())
        .await;
    let opened = b.respond(&step.factor().ticket, &response).await.ok();
    assert_eq!(opened.opened().session.channel, Channel::Portal);
}
