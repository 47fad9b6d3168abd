//! What the edge and the router answer before any rule runs.

use crate::util::TestBroker;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_post_that_is_not_json_is_415() {
    let b = TestBroker::demo();
    let form = Request::builder()
        .method(Method::POST)
        .uri("/v1/login")
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=avery&password=Trade2026"))
        .unwrap();
    let answer = b.send(form).await;
    assert_eq!(
        answer.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{answer:?}"
    );
    assert_eq!(answer.code(), "unsupported_media_type");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_codes() {
    let b = TestBroker::demo();
    let missing = b.get("/v1/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    let wrong_method = b.get("/v1/login").await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!wrong_method.code().is_empty(), "{wrong_method:?}");
}

#[tokio::test]
async fn a_foreign_host_is_refused() {
    let b = TestBroker::demo();
    let rebound = Request::builder()
        .uri("/health")
        .header(header::HOST, "attacker.example")
        .body(Body::empty())
        .unwrap();
    let answer = b.send(rebound).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "forbidden_host");
}

#[tokio::test]
async fn missing_fields_and_unknown_fields_are_400() {
    let b = TestBroker::demo();
    let empty = b.login("", "x").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.code(), "missing_field");
    let extra = b
        .post(
            "/v1/login",
            serde_json::json!({ "username": "avery", "password": "x", "colour": "red" }),
        )
        .await;
    assert_eq!(extra.status.as_u16() / 100, 4, "{extra:?}");
    assert_eq!(extra.code(), "invalid_field");
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_invalid_field_even_where_an_enum_belongs() {
    let b = TestBroker::demo();
    for channel in [json!(null), json!(5), json!(["portal"]), json!("Portal")] {
        let answer = b
            .post(
                "/v1/login",
                json!({ "username": "gwen", "password": "Trade2026", "channel": channel }),
            )
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "channel {channel}: {answer:?}"
        );
        assert!(
            answer.body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("channel"),
            "names the field: {answer:?}"
        );
    }
    let cut_short = Request::builder()
        .method(Method::POST)
        .uri("/v1/login")
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"username\":"))
        .unwrap();
    let not_json = b.send(cut_short).await;
    assert_eq!(not_json.code(), "invalid_json", "{not_json:?}");
    assert_eq!(b.failures("gwen").await, 0, "nothing counted");
}
