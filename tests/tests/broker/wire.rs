//! Malformed requests get a 4xx with a code, never a 500, and change nothing.

use portcullis_tests::Broker;

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
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
        assert!(answer["message"].is_string());
    }
    assert_eq!(
        b.lockout("blake").await["failures_in_window"],
        0,
        "nothing counted"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_codes() {
    let b = Broker::start().await;
    let (status, body) = b.get("/v1/nothing").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, body) = b.get("/v1/login").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn session_needs_a_live_token() {
    let b = Broker::start().await;
    let resp = b
        .http
        .get(format!("{}/v1/session", b.url))
        .bearer_auth("pcs_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let (_, body) = b.login("blake", "Trade2026").await;
    let token = body["token"].as_str().unwrap();
    let out = b
        .http
        .post(format!("{}/v1/logout", b.url))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after = b
        .http
        .get(format!("{}/v1/session", b.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401, "logged out sessions are gone");
}

#[tokio::test]
async fn the_broker_listens_on_loopback_by_default() {
    let b = Broker::start().await;
    assert!(b.url.starts_with("http://127.0.0.1:"), "{}", b.url);
}
