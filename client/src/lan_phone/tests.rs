//! The listener's routes through `oneshot`: only what is listed answers, the API wants
//! the paired phone's cookie and JSON, and a pairing code works once.

use super::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const HOST: &str = "127.0.0.2:8377";

fn lan() -> LanPhone {
    LanPhone::new(
        HOST.parse().expect("address"),
        Arc::new(|| Err(Error::broker_unreachable("no broker in this test"))),
        Arc::new(|| "fr".to_owned()),
        tokio::runtime::Handle::current(),
    )
}

fn code_of(lan: &LanPhone) -> String {
    let url = lan.pairing_url().expect("a code while no phone is paired");
    url.rsplit('/').next().expect("the code").to_owned()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
}

async fn send(lan: &LanPhone, request: Request<Body>) -> Answer {
    let response = router(lan.clone())
        .oneshot(request)
        .await
        .expect("an answer");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn get(path: &str) -> axum::http::request::Builder {
    Request::builder().uri(path).header(header::HOST, HOST)
}

async fn pair(lan: &LanPhone) -> String {
    let code = code_of(lan);
    let answer = send(
        lan,
        get(&format!("/pair/{code}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_code_pairs_once_with_a_strict_http_only_cookie_and_leaves_the_address_bar() {
    let lan = lan();
    let code = code_of(&lan);
    assert_eq!(code.len(), 32, "128 bits, as hex");
    assert_eq!(lan.status().state, "waiting");
    assert!(lan.status().qr_svg.unwrap().contains("<svg"));

    let first = send(
        &lan,
        get(&format!("/pair/{code}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.headers[header::LOCATION], "/phone");
    let cookie = first.headers[header::SET_COOKIE].to_str().unwrap();
    let (pair, flags) = cookie.split_once(';').unwrap();
    let secret = pair
        .strip_prefix(&format!("{COOKIE}="))
        .expect("our cookie");
    assert_eq!(secret.len(), 64, "256 bits, as hex");
    assert_eq!(flags.trim(), "HttpOnly; SameSite=Strict; Path=/");
    assert_eq!(lan.status().state, "paired");
    assert!(
        lan.status().url.is_none(),
        "no code to scan while a phone is paired"
    );

    let again = send(
        &lan,
        get(&format!("/pair/{code}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(
        again.body.contains("data-code=\"pairing_code_used\""),
        "{}",
        again.body
    );
    assert!(again.body.contains("lang=\"fr\""), "the app's language");
    assert!(again.headers.get(header::SET_COOKIE).is_none());

    // The session still works: a second use changed nothing.
    let status = send(
        &lan,
        get("/phone/api/status")
            .header(header::COOKIE, pair)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(status.json()["paired"], true);
    assert_eq!(status.json()["locale"], "fr");
    assert_eq!(status.json()["phone"]["configured"], false);
}

#[tokio::test]
async fn a_wrong_code_is_404_and_changes_nothing() {
    let lan = lan();
    let code = code_of(&lan);
    let wrong = format!("{}0", &code[..31]);
    let wrong = if wrong == code {
        format!("{}1", &code[..31])
    } else {
        wrong
    };
    for path in [
        format!("/pair/{wrong}"),
        "/pair/x".to_owned(),
        format!("/pair/{code}0"),
    ] {
        let answer = send(&lan, get(&path).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.body.contains("data-code=\"pairing_code_unknown\""));
        assert!(answer.headers.get(header::SET_COOKIE).is_none());
    }
    assert_eq!(code_of(&lan), code, "the code in the QR still works");
    assert_eq!(lan.status().state, "waiting");
    pair(&lan).await;
}

#[tokio::test]
async fn without_the_cookie_the_api_is_401_not_paired() {
    let lan = lan();
    let cookie = pair(&lan).await;
    let wrong = format!("{COOKIE}={}", "0".repeat(64));
    for (method, path) in [
        (Method::GET, "/phone/api/status"),
        (Method::GET, "/phone/api/events"),
        (Method::GET, "/phone/api/messages"),
        (Method::POST, "/phone/api/activation/start"),
        (Method::POST, "/phone/api/activation/verify"),
        (Method::POST, "/phone/api/activation/finish"),
        (Method::POST, "/phone/api/approve"),
        (Method::POST, "/phone/api/deny"),
        (Method::POST, "/phone/api/authenticate"),
    ] {
        for sent in [None, Some(wrong.as_str())] {
            let mut request = get(path)
                .method(method.clone())
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(c) = sent {
                request = request.header(header::COOKIE, c);
            }
            let answer = send(&lan, request.body(Body::from("{}")).unwrap()).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {sent:?}"
            );
            assert_eq!(answer.code(), "not_paired");
        }
    }
    // Reset demo: the session is void, a new code is minted.
    let old = lan.pairing_url();
    lan.reset();
    let after = send(
        &lan,
        get("/phone/api/status")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "not_paired");
    assert_eq!(lan.status().state, "waiting");
    assert_ne!(lan.pairing_url(), old);
}

#[tokio::test]
async fn posts_must_be_json() {
    let lan = lan();
    let cookie = pair(&lan).await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = get("/phone/api/deny")
            .method(Method::POST)
            .header(header::COOKIE, &cookie);
        if let Some(t) = content_type {
            request = request.header(header::CONTENT_TYPE, t);
        }
        let answer = send(
            &lan,
            request.body(Body::from(r#"{"push_id":"p"}"#)).unwrap(),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(answer.code(), "unsupported_media_type");
    }
    let bad = send(
        &lan,
        get("/phone/api/deny")
            .method(Method::POST)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{"))
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_json");
    // JSON that reaches the phone: no broker here, so the phone says so.
    let reached = send(
        &lan,
        get("/phone/api/deny")
            .method(Method::POST)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"push_id":"p"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reached.code(), "phone_not_set_up");
}

#[tokio::test]
async fn only_the_listed_routes_answer() {
    let lan = lan();
    let cookie = pair(&lan).await;
    for path in ["/phone", "/phone/lan-phone.js", "/phone/lan-phone.css"] {
        let answer = send(&lan, get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
        assert!(answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
    }
    let page = send(&lan, get("/phone").body(Body::empty()).unwrap()).await;
    assert!(page.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("name=\"viewport\""));
    assert!(!page.body.contains("api.js"), "the page needs no Tauri");
    for path in [
        "/",
        "/qa/reset",
        "/qa/clock",
        "/qa/sms",
        "/v1/login",
        "/v1/phone/pushes",
        "/v1/phone/events",
        "/index.html",
        "/api.js",
        "/phone.html",
        "/phone/api",
        "/phone/api/nothing",
        "/phone/../qa/reset",
        "/pair",
        "/openapi.json",
        "/phone/lan-phone.html",
    ] {
        for method in [Method::GET, Method::POST] {
            let answer = send(
                &lan,
                get(path)
                    .method(method.clone())
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(answer.code(), "not_found");
        }
    }
    let wrong_method = send(
        &lan,
        get("/phone/api/approve")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");
}

#[tokio::test]
async fn another_host_is_refused() {
    let lan = lan();
    let code = code_of(&lan);
    for host in ["evil.example:8377", "127.0.0.1:8377", "localhost"] {
        let answer = send(
            &lan,
            Request::builder()
                .uri(format!("/pair/{code}"))
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{host}");
        assert_eq!(answer.code(), "forbidden_host");
    }
    assert_eq!(lan.status().state, "waiting", "the code is still good");
}

#[tokio::test]
async fn a_reset_replaces_an_unused_code_and_the_old_one_says_so() {
    let lan = lan();
    let old = code_of(&lan);
    lan.reset();
    let answer = send(
        &lan,
        get(&format!("/pair/{old}")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::GONE);
    assert!(answer.body.contains("pairing_code_expired"));
    pair(&lan).await;
}

#[test]
fn every_address_is_refused_a_specific_one_is_taken() {
    for bad in ["0.0.0.0:8377", "[::]:0", "[fe80::1%2]:8377"] {
        let e = check_address(&bad.parse().unwrap()).unwrap_err();
        assert_eq!(e.code, "phone_lan_address");
    }
    for good in ["192.168.1.20:8377", "127.0.0.2:0", "[::1]:0"] {
        check_address(&good.parse().unwrap()).unwrap();
    }
}

#[tokio::test]
async fn on_port_80_the_host_without_its_port_is_this_listener() {
    let lan = LanPhone::new(
        "192.168.1.20:80".parse().expect("address"),
        Arc::new(|| Err(Error::broker_unreachable("no broker in this test"))),
        Arc::new(|| "en".to_owned()),
        tokio::runtime::Handle::current(),
    );
    let ask = |host: &'static str| {
        let lan = lan.clone();
        async move {
            send(
                &lan,
                Request::builder()
                    .uri("/phone")
                    .header(header::HOST, host)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .status
        }
    };
    assert_eq!(ask("192.168.1.20").await, StatusCode::OK);
    assert_eq!(ask("192.168.1.20:80").await, StatusCode::OK);
    assert_eq!(ask("192.168.1.21").await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pairing_and_acting_on_the_page_are_visits_reading_it_is_not() {
    let lan = lan();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    lan.on_visit(Box::new(move |visit| {
        record.lock().expect("visits").push(visit)
    }));
    let cookie = pair(&lan).await;
    let status = send(
        &lan,
        get("/phone/api/status")
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(*seen.lock().expect("visits"), vec![Visit::Paired]);
    send(
        &lan,
        Request::builder()
            .method(Method::POST)
            .uri("/phone/api/deny")
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"push_id":"none"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(
        *seen.lock().expect("visits"),
        vec![Visit::Paired, Visit::Acted]
    );
}
